"""Admin for the registry and the audit log.

Both are read-only as forms: the registry changes only through the audited services
(registry.services) — here the enable/disable actions — and the audit log never, not even
for a superuser. Each action needs its own permission and goes through a confirmation page
(llmops.lib.admin_actions).
"""

from django.contrib import admin, messages
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from llmops.lib.admin_actions import Effect, Result, confirmed_action
from llmops.lib.admin_base import ReadOnlyAdmin
from llmops.lib.admin_display import pretty_json, text_block
from llmops.lib.text import redact, redact_json
from registry.models import AuditLog, RegisteredModel
from registry.selectors import unattended_disable_in_force, unattended_holds
from registry.services import (
    Actor,
    ChangeError,
    change_revert,
    registry_disable_many,
    registry_enable_many,
    registry_hold_clear,
)
from registry.vocabulary import DisabledClass

UNDO = {"disable": "re-enable", "enable": "disable again", "rename": "rename back", "add": "remove the candidate"}


def _link(url_name: str, pk, text) -> str:
    """A link to another admin page by URL name (the page may belong to an app above this one)."""
    if not pk:
        return "—"
    try:
        return format_html('<a href="{}">{}</a>', reverse(url_name, args=[pk]), text)
    except NoReverseMatch:
        return str(text)


# --- registry ------------------------------------------------------------------------------

def _toggle_results(outcomes, *, enable: bool) -> list[Result]:
    done = [o for o in outcomes if o.changed]
    failed = [o for o in outcomes if not o.changed]
    verb = "Enabled" if enable else "Disabled"
    results = []
    if done:
        results.append(Result(messages.SUCCESS, f"{verb} {len(done)} model(s) (audited): "
                              + ", ".join(o.label for o in done[:30])))
    if failed:
        results.append(Result(messages.WARNING, f"{len(failed)} unchanged: " + "; ".join(o.error for o in failed[:30])))
    return results


def _selected_keys(ids):
    return [r.key for r in RegisteredModel.objects.filter(pk__in=ids).only("pk", "provider", "model_id")]


def _enable(request, ids, reason):
    outcomes = registry_enable_many(models=_selected_keys(ids), reason=reason, actor=Actor.for_user(request.user))
    return _toggle_results(outcomes, enable=True)


def _disable(request, ids, reason):
    outcomes = registry_disable_many(models=_selected_keys(ids), reason=reason, disabled_class=DisabledClass.MANUAL,
                                     actor=Actor.for_user(request.user))
    return _toggle_results(outcomes, enable=False)


def _toggle_effect(row: RegisteredModel, *, enable: bool) -> Effect:
    label = f"{row.provider}/{row.model_id}"
    if refusal := row.toggle_refusal(enable=enable):
        return Effect(label, f"skipped: {refusal}", will_act=False)
    if enable:
        was = f" (disabled: {row.disabled_class or 'no class'})" if row.disabled_class else ""
        held = ("; this undoes the operator's unattended disable, so it will not change the model unattended "
                "again until a human clears that" if unattended_disable_in_force(provider=row.provider,
                                                                                  model_id=row.model_id) else "")
        return Effect(label, f"enable{was}; the benchmark runs it again{held}")
    return Effect(label, "disable (class manual); the benchmark stops running it")


def _registry_fields(qs):
    return qs.only("pk", "provider", "model_id", "enabled", "disabled_class")


def _hold_effect(row: RegisteredModel) -> Effect:
    hold = unattended_holds(providers=[row.provider]).get(row.key)
    if hold is None:
        return Effect(str(row), "skipped: no unattended hold (the operator may change it unattended)", will_act=False)
    return Effect(str(row), f"allow unattended changes again (held since {hold.by} reverted an unattended change "
                            f"on {hold.at:%Y-%m-%d %H:%M} UTC)")


def _hold_clear(request, ids, reason):
    actor = Actor.for_user(request.user)
    done, failed = [], []
    for provider, model_id in _selected_keys(ids):
        try:
            registry_hold_clear(provider=provider, model_id=model_id, reason=reason, actor=actor)
            done.append(f"{provider}/{model_id}")
        except ChangeError as exc:
            failed.append(str(exc))
    results = [Result(messages.SUCCESS, f"Unattended changes allowed again for {len(done)} model(s): "
                      + ", ".join(done[:30]))] if done else []
    if failed:
        results.append(Result(messages.WARNING, f"{len(failed)} unchanged: " + "; ".join(failed[:30])))
    return results


enable_models = confirmed_action(
    name="enable_models", description="Enable selected models (with a reason)", permissions=["toggle"],
    title="Enable models?", confirm_label="Yes, enable", describe=lambda r: _toggle_effect(r, enable=True),
    perform=_enable, reason="Reason", reason_required=True, only=_registry_fields,
)
clear_holds = confirmed_action(
    name="clear_holds", description="Allow unattended changes again (after a human revert)", permissions=["toggle"],
    title="Allow unattended changes again?", confirm_label="Yes, allow them", describe=_hold_effect,
    perform=_hold_clear, reason="Reason", reason_required=True, only=_registry_fields,
)
disable_models = confirmed_action(
    name="disable_models", description="Disable selected models (with a reason)", permissions=["toggle"],
    title="Disable models?", confirm_label="Yes, disable", describe=lambda r: _toggle_effect(r, enable=False),
    perform=_disable, reason="Reason", reason_required=True, danger=True, only=_registry_fields,
)


@admin.register(RegisteredModel)
class RegisteredModelAdmin(ReadOnlyAdmin):
    """The registry is read-only as a form: it changes only through the audited services, here
    through the enable/disable actions."""

    list_display = ("provider", "model_id", "enabled", "deprecated", "disabled_class", "disabled_at", "recheck_after")
    list_filter = ("provider", "enabled", "deprecated", "disabled_class")
    search_fields = ("provider", "model_id", "display_name")
    readonly_fields = ("created_at",)
    list_per_page = 100
    show_full_result_count = False
    actions = [enable_models, disable_models, clear_holds]

    def has_toggle_permission(self, request):
        return request.user.has_perm("registry.change_registeredmodel")


# --- audit log -------------------------------------------------------------------------------

def _revert_effect(entry: AuditLog) -> Effect:
    label = f"{entry.at:%Y-%m-%d %H:%M} {entry.actor}: {entry.action} {entry.provider}/{entry.model_id}"
    if refusal := entry.revert_refusal():
        return Effect(label, f"skipped: {refusal}", will_act=False)
    undo = UNDO.get(entry.action, "undo")
    return Effect(label, f"{undo} {entry.provider}/{entry.model_id} (a new audit entry records it)")


def _revert(request, ids, reason):
    actor = Actor.for_user(request.user)
    done, failed = [], []
    for pk in ids:
        try:
            audit = change_revert(audit_id=pk, actor=actor, reason=reason)
            done.append(f"{audit.provider}/{audit.model_id}")
        except ChangeError as exc:
            failed.append(str(exc))
    results = []
    if done:
        results.append(Result(messages.SUCCESS, f"Reverted {len(done)} change(s): {', '.join(done[:20])}"))
    if failed:
        results.append(Result(messages.WARNING, f"{len(failed)} not reverted: " + "; ".join(failed[:20])))
    return results


revert_changes = confirmed_action(
    name="revert_changes", description="Revert selected changes", permissions=["revert"],
    title="Revert changes?", confirm_label="Yes, revert", describe=_revert_effect, perform=_revert,
    reason="Reason", danger=True,
)


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "actor_type", "action", "provider", "model_id", "status", "reversible",
                    "reverted_at", "decision_link", "run_link")
    list_filter = ("action", "actor_type", "actor", "provider", "status", "reversible")
    search_fields = ("provider", "model_id", "actor")
    date_hierarchy = "at"
    list_select_related = ()
    show_full_result_count = False
    list_per_page = 100
    actions = [revert_changes]
    readonly_fields = ("before_display", "after_display", "decision_link", "run_link", "reverts_link",
                       "reverted_by_link", "reason_display", "error_display")
    fieldsets = (
        (None, {"fields": ("at", "actor_type", "actor", "action", "provider", "model_id", "status",
                           "reason_display", "error_display")}),
        ("Change", {"fields": ("before_display", "after_display")}),
        ("Links", {"fields": ("decision_link", "run_link", "reversible", "reverted_at", "reverted_by_link",
                              "reverts_link")}),
    )

    def has_revert_permission(self, request):
        return request.user.has_perm("registry.revert_change")

    @admin.display(description="decision")
    def decision_link(self, obj):
        return _link("admin:operator_app_decision_change", obj.decision_ref, "decision")

    @admin.display(description="run")
    def run_link(self, obj):
        return _link("admin:operator_app_operatorrun_change", obj.run_ref, "run")

    @admin.display(description="reverts")
    def reverts_link(self, obj):
        return _link("admin:registry_auditlog_change", obj.reverts_id, obj.reverts_id)

    @admin.display(description="reverted by")
    def reverted_by_link(self, obj):
        return _link("admin:registry_auditlog_change", obj.reverted_by_id, obj.reverted_by_id)

    @admin.display(description="before")
    def before_display(self, obj):
        return pretty_json(redact_json(obj.before))

    @admin.display(description="after")
    def after_display(self, obj):
        return pretty_json(redact_json(obj.after))

    # An operator's reason quotes the decision's reasoning, itself partly provider text.
    @admin.display(description="reason")
    def reason_display(self, obj):
        return text_block(redact(obj.reason or ""))

    @admin.display(description="error")
    def error_display(self, obj):
        return text_block(redact(obj.error or ""))
