from django.contrib import admin

from discovery.models import CatalogFetchRun, OpenRouterModel


@admin.register(OpenRouterModel)
class OpenRouterModelAdmin(admin.ModelAdmin):
    list_display = ("openrouter_id", "name", "match_status", "matched_provider", "matched_model_id", "match_confidence", "first_seen_at")
    list_filter = ("match_status", "matched_provider", "org")
    search_fields = ("openrouter_id", "name", "canonical_slug")


@admin.register(CatalogFetchRun)
class CatalogFetchRunAdmin(admin.ModelAdmin):
    list_display = ("started_at", "finished_at", "status", "count", "new", "source")
    list_filter = ("status",)
