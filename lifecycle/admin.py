"""Admin for the evidence lifecycle reads: benchmark rows, health rows and provider catalogs.

All of it is evidence that decisions rest on, written by the runner or by our collectors:
viewable, never editable by hand. Provider text is redacted and capped before it is shown
(the admin escapes it)."""

from django.contrib import admin

from lifecycle.models import BenchmarkError, BenchmarkResult, ModelStatus, ProviderCatalogEntry, ProviderCatalogSync
from llmops.lib.admin_base import ReadOnlyAdmin
from llmops.lib.text import sanitize_text


@admin.register(ModelStatus)
class ModelStatusAdmin(ReadOnlyAdmin):
    list_display = ("provider", "model_id", "lifecycle_status", "computed_at")
    list_filter = ("lifecycle_status", "provider")
    search_fields = ("provider", "model_id")
    readonly_fields = ("computed_at",)


@admin.register(BenchmarkResult)
class BenchmarkResultAdmin(ReadOnlyAdmin):
    list_display = ("provider", "model_name", "run_ts", "gen_ts")
    list_filter = ("provider",)
    search_fields = ("provider", "model_name")
    date_hierarchy = "run_ts"
    show_full_result_count = False


@admin.register(BenchmarkError)
class BenchmarkErrorAdmin(ReadOnlyAdmin):
    list_display = ("provider", "model_name", "ts", "http_status", "stage", "short_message")
    list_filter = ("provider", "http_status", "stage")
    search_fields = ("provider", "model_name")
    show_full_result_count = False

    @admin.display(description="message")
    def short_message(self, obj):
        # Provider text is untrusted: redacted and capped (the admin escapes it).
        return sanitize_text(obj.message or obj.error or "", limit=120)


@admin.register(ProviderCatalogEntry)
class ProviderCatalogEntryAdmin(ReadOnlyAdmin):
    list_display = ("provider", "model_id", "name", "first_seen_at", "last_seen_at")
    list_filter = ("provider",)
    search_fields = ("provider", "model_id", "name")


@admin.register(ProviderCatalogSync)
class ProviderCatalogSyncAdmin(ReadOnlyAdmin):
    list_display = ("provider", "started_at", "finished_at", "status", "complete", "pages", "count", "new")
    list_filter = ("provider", "status", "complete")
