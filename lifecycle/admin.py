from django.contrib import admin, messages

from lifecycle.models import (
    BenchmarkError,
    BenchmarkResult,
    ModelStatus,
    ProviderCatalogEntry,
    ProviderCatalogSync,
    DisabledClass,
    RegisteredModel,
)
from lifecycle.taxonomy import sanitize_text
from llmops.lib.admin_actions import Effect, Result, confirmed_action
from llmops.lib.admin_base import ReadOnlyAdmin


def _registry_toggle(request, ids, reason, *, enable: bool):
    # Imported here: operator_app imports lifecycle, not the other way round at import time.
    from operator_app.changes import Actor, ChangeError, registry_disable, registry_enable

    actor = Actor.for_user(request.user)
    done, failed = [], []
    rows = RegisteredModel.objects.filter(pk__in=ids).only("pk", "provider", "model_id")
    for row in rows:
        try:
            if enable:
                registry_enable(provider=row.provider, model_id=row.model_id, reason=reason, actor=actor)
            else:
                registry_disable(provider=row.provider, model_id=row.model_id, reason=reason,
                                 disabled_class=DisabledClass.MANUAL, actor=actor)
            done.append(f"{row.provider}/{row.model_id}")
        except ChangeError as exc:
            failed.append(str(exc))
    verb = "Enabled" if enable else "Disabled"
    results = []
    if done:
        results.append(Result(messages.SUCCESS, f"{verb} {len(done)} model(s) (audited): {', '.join(done[:30])}"))
    if failed:
        results.append(Result(messages.WARNING, f"{len(failed)} unchanged: " + "; ".join(failed[:30])))
    return results


def _enable(request, ids, reason):
    return _registry_toggle(request, ids, reason, enable=True)


def _disable(request, ids, reason):
    return _registry_toggle(request, ids, reason, enable=False)


def _toggle_effect(row: RegisteredModel, *, enable: bool) -> Effect:
    label = f"{row.provider}/{row.model_id}"
    if enable == row.enabled:
        return Effect(label, f"skipped: already {'enabled' if row.enabled else 'disabled'}", will_act=False)
    if enable:
        was = f" (disabled: {row.disabled_class or 'no class'})" if row.disabled_class else ""
        return Effect(label, f"enable{was}; the benchmark runs it again")
    return Effect(label, "disable (class manual); the benchmark stops running it")


def _registry_fields(qs):
    return qs.only("pk", "provider", "model_id", "enabled", "disabled_class")


enable_models = confirmed_action(
    name="enable_models", description="Enable selected models (with a reason)", permissions=["toggle"],
    title="Enable models?", confirm_label="Yes, enable", describe=lambda r: _toggle_effect(r, enable=True),
    perform=_enable, reason="Reason", reason_required=True, only=_registry_fields,
)
disable_models = confirmed_action(
    name="disable_models", description="Disable selected models (with a reason)", permissions=["toggle"],
    title="Disable models?", confirm_label="Yes, disable", describe=lambda r: _toggle_effect(r, enable=False),
    perform=_disable, reason="Reason", reason_required=True, danger=True, only=_registry_fields,
)


@admin.register(RegisteredModel)
class RegisteredModelAdmin(ReadOnlyAdmin):
    """The registry is read-only as a form: it changes only through the audited service
    (operator_app.changes), here through the enable/disable actions."""

    list_display = ("provider", "model_id", "enabled", "deprecated", "disabled_class", "disabled_at", "recheck_after")
    list_filter = ("provider", "enabled", "deprecated", "disabled_class")
    search_fields = ("provider", "model_id", "display_name")
    readonly_fields = ("created_at",)
    list_per_page = 100
    show_full_result_count = False
    actions = [enable_models, disable_models]

    def has_toggle_permission(self, request):
        return request.user.has_perm("lifecycle.change_registeredmodel")


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
