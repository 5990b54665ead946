from django.contrib import admin

from llmops.lib.admin_base import ReadOnlyAdmin
from llmops.lib.text import sanitize_text
from llmops.models import JobFailure


@admin.register(JobFailure)
class JobFailureAdmin(ReadOnlyAdmin):
    """Failed attempts of periodic jobs: read-only, written by llmops.lib.tasks."""

    list_display = ("failed_at", "job", "attempt", "final", "transient", "error_type", "short_error")
    list_filter = ("job", "final", "transient")
    search_fields = ("job", "error_type")
    date_hierarchy = "failed_at"
    show_full_result_count = False

    @admin.display(description="error")
    def short_error(self, obj):
        return sanitize_text(obj.error, limit=160)
