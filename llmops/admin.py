from django.contrib import admin

from llmops.models import JobFailure


@admin.register(JobFailure)
class JobFailureAdmin(admin.ModelAdmin):
    """Failed attempts of periodic jobs: read-only, written by llmops.lib.tasks."""

    list_display = ("failed_at", "job", "attempt", "final", "transient", "error_type", "short_error")
    list_filter = ("job", "final", "transient")
    search_fields = ("job", "error_type")
    date_hierarchy = "failed_at"
    show_full_result_count = False

    @admin.display(description="error")
    def short_error(self, obj):
        return obj.error[:160] + ("…" if len(obj.error) > 160 else "")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
