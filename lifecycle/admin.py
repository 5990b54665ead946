"""Admin for the evidence lifecycle reads: benchmark rows, health rows and provider catalogs.

All of it is evidence that decisions rest on, written by the runner or by our collectors:
viewable, never editable by hand. Provider text is redacted and capped before it is shown
(the admin escapes it)."""

from django.contrib import admin
from django.utils import timezone

from lifecycle.models import BenchmarkError, BenchmarkResult, ModelStatus, ProviderCatalogEntry, ProviderCatalogSync
from lifecycle.timeline import model_week, timeline_svg
from llmops.lib.admin_base import ReadOnlyAdmin
from llmops.lib.admin_display import pretty_json, text_block
from llmops.lib.text import redact_json, sanitize_text
from registry.admin import RegisteredModelAdmin
from registry.models import RegisteredModel

# Provider text on a detail page: redacted and capped, but long enough to read whole.
DETAIL_LIMIT = 8000


@admin.register(ModelStatus)
class ModelStatusAdmin(ReadOnlyAdmin):
    list_display = ("provider", "model_id", "lifecycle_status", "computed_at")
    list_filter = ("lifecycle_status", "provider")
    search_fields = ("provider", "model_id")
    # Signals and the mirrored decision hold provider and LLM text: shown redacted (rows written
    # before a redaction rule existed still hold what it now catches).
    fields = ("provider", "model_id", "lifecycle_status", "computed_at", "signals_display", "decision_display")
    readonly_fields = ("computed_at", "signals_display", "decision_display")

    @admin.display(description="signals")
    def signals_display(self, obj):
        return pretty_json(redact_json(obj.signals))

    @admin.display(description="operator decision")
    def decision_display(self, obj):
        return pretty_json(redact_json(obj.operator_decision))


@admin.register(BenchmarkResult)
class BenchmarkResultAdmin(ReadOnlyAdmin):
    list_display = ("provider", "model_name", "run_ts", "gen_ts")
    list_filter = ("provider",)
    search_fields = ("provider", "model_name")
    date_hierarchy = "run_ts"
    show_full_result_count = False
    fields = ("provider", "model_name", "run_ts", "gen_ts", "warnings_display")
    readonly_fields = ("warnings_display",)

    @admin.display(description="warnings")
    def warnings_display(self, obj):
        return pretty_json(redact_json(obj.warnings))


@admin.register(BenchmarkError)
class BenchmarkErrorAdmin(ReadOnlyAdmin):
    list_display = ("provider", "model_name", "ts", "http_status", "stage", "short_message")
    list_filter = ("provider", "http_status", "stage")
    search_fields = ("provider", "model_name")
    show_full_result_count = False
    # The detail page shows the runner's raw `message`/`error` only through the redactor: a
    # provider can echo our credentials back, and viewers must not read them here.
    fields = ("provider", "model_name", "ts", "created_at", "timestamp", "http_status", "stage", "message_display",
              "error_display")
    readonly_fields = ("message_display", "error_display")

    @admin.display(description="message")
    def short_message(self, obj):
        # Provider text is untrusted: redacted and capped (the admin escapes it).
        return sanitize_text(obj.message or obj.error or "", limit=120)

    @admin.display(description="message")
    def message_display(self, obj):
        return text_block(sanitize_text(obj.message, limit=DETAIL_LIMIT))

    @admin.display(description="error (legacy rows)")
    def error_display(self, obj):
        return text_block(sanitize_text(obj.error, limit=DETAIL_LIMIT))


@admin.register(ProviderCatalogEntry)
class ProviderCatalogEntryAdmin(ReadOnlyAdmin):
    list_display = ("provider", "model_id", "name", "first_seen_at", "last_seen_at")
    list_filter = ("provider",)
    search_fields = ("provider", "model_id", "name")


@admin.register(ProviderCatalogSync)
class ProviderCatalogSyncAdmin(ReadOnlyAdmin):
    list_display = ("provider", "started_at", "finished_at", "status", "complete", "pages", "count", "new", "skipped")
    list_filter = ("provider", "status", "complete")
    fields = ("provider", "source", "started_at", "finished_at", "status", "complete", "pages", "count", "new",
              "skipped", "skipped_entries_display", "error")
    readonly_fields = ("skipped_entries_display",)

    @admin.display(description="skipped entries")
    def skipped_entries_display(self, obj):
        return text_block("\n".join(obj.skipped_entries or []))


class RegisteredModelWithWeekAdmin(RegisteredModelAdmin):
    """The registry's admin (registry.admin) with the model's week drawn on its page: the runs live in
    this app, the registry below it cannot read them."""

    readonly_fields = (*RegisteredModelAdmin.readonly_fields, "model_week")

    @admin.display(description="the model's week")
    def model_week(self, obj):
        return timeline_svg(model_week(provider=obj.provider, model_id=obj.model_id, as_of=timezone.now()))


admin.site.unregister(RegisteredModel)
admin.site.register(RegisteredModel, RegisteredModelWithWeekAdmin)
