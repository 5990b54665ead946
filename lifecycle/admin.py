from django.contrib import admin

from lifecycle.models import (
    BenchmarkError,
    BenchmarkResult,
    ModelStatus,
    ProviderCatalogEntry,
    ProviderCatalogSync,
    RegisteredModel,
)


@admin.register(RegisteredModel)
class RegisteredModelAdmin(admin.ModelAdmin):
    list_display = ("provider", "model_id", "enabled", "deprecated", "disabled_class", "disabled_at", "recheck_after")
    list_filter = ("provider", "enabled", "deprecated", "disabled_class")
    search_fields = ("provider", "model_id", "display_name")
    readonly_fields = ("created_at",)
    list_per_page = 100


@admin.register(ModelStatus)
class ModelStatusAdmin(admin.ModelAdmin):
    list_display = ("provider", "model_id", "lifecycle_status", "computed_at")
    list_filter = ("lifecycle_status", "provider")
    search_fields = ("provider", "model_id")
    readonly_fields = ("computed_at",)


@admin.register(BenchmarkResult)
class BenchmarkResultAdmin(admin.ModelAdmin):
    list_display = ("provider", "model_name", "run_ts", "gen_ts")
    list_filter = ("provider",)
    search_fields = ("provider", "model_name")
    date_hierarchy = "run_ts"
    show_full_result_count = False


@admin.register(BenchmarkError)
class BenchmarkErrorAdmin(admin.ModelAdmin):
    list_display = ("provider", "model_name", "ts", "http_status", "stage", "short_message")
    list_filter = ("provider", "http_status", "stage")
    search_fields = ("provider", "model_name")
    show_full_result_count = False

    @admin.display(description="message")
    def short_message(self, obj):
        text = obj.message or obj.error or ""
        return text[:120] + ("…" if len(text) > 120 else "")


@admin.register(ProviderCatalogEntry)
class ProviderCatalogEntryAdmin(admin.ModelAdmin):
    list_display = ("provider", "model_id", "name", "first_seen_at", "last_seen_at")
    list_filter = ("provider",)
    search_fields = ("provider", "model_id", "name")


@admin.register(ProviderCatalogSync)
class ProviderCatalogSyncAdmin(admin.ModelAdmin):
    list_display = ("provider", "started_at", "finished_at", "status", "complete", "pages", "count", "new")
    list_filter = ("provider", "status", "complete")
