"""Admin for decisions, runs and the audit log.

Everything here is read-only as a form: decisions change only through the review actions
(operator_app.services), the registry only through operator_app.changes, and the audit log
never. Each action needs its own permission (Decision.Meta / AuditLog.Meta) and goes
through a confirmation page (llmops.lib.admin_actions).
"""

from django.conf import settings
from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from llmops.lib.admin_actions import Effect, Result, confirmed_action
from llmops.lib.admin_base import ReadOnlyAdmin
from operator_app.admin_display import age, evidence_html, key_values, pretty_json, text_block
from operator_app.changes import Actor, ChangeError, change_revert
from operator_app.models import Action, AuditLog, Decision, OperatorRun
from operator_app.services import decisions_approve, decisions_reject


def _link(url_name: str, pk, text) -> str:
    if not pk:
        return "—"
    return format_html('<a href="{}">{}</a>', reverse(url_name, args=[pk]), text)


# --- decisions ------------------------------------------------------------------------------

class ConfidenceBandFilter(admin.SimpleListFilter):
    title = "confidence"
    parameter_name = "confidence_band"

    def lookups(self, request, model_admin):
        auto = settings.OPERATOR_AUTO_CONFIDENCE
        return [
            ("auto", f"≥ {auto:.2f} (auto-execute level)"),
            ("high", f"0.80 – {auto:.2f}"),
            ("medium", "0.50 – 0.80"),
            ("low", "< 0.50"),
        ]

    def queryset(self, request, queryset):
        auto = settings.OPERATOR_AUTO_CONFIDENCE
        bands = {
            "auto": {"confidence__gte": auto},
            "high": {"confidence__gte": 0.8, "confidence__lt": auto},
            "medium": {"confidence__gte": 0.5, "confidence__lt": 0.8},
            "low": {"confidence__lt": 0.5},
        }
        return queryset.filter(**bands[self.value()]) if self.value() in bands else queryset


def _decision_label(d: Decision) -> str:
    return f"{d.action} {d.provider}/{d.model_id} (confidence {d.confidence:.2f}, {d.status})"


def _approve_effect(d: Decision, *, execute: bool) -> Effect:
    if d.status != Decision.Status.PENDING:
        return Effect(_decision_label(d), f"skipped: it is {d.status}, not pending", will_act=False)
    if not execute:
        return Effect(_decision_label(d), "marked approved; the registry is not changed now")
    if d.action == Action.DISABLE:
        return Effect(_decision_label(d),
                      f"approved and executed: {d.provider}/{d.model_id} is disabled in the registry "
                      "(audited, revertible)")
    return Effect(_decision_label(d), f"approved ({d.action}: nothing to execute)")


def _outcome_results(outcomes, *, verb: str) -> list[Result]:
    done = [o for o in outcomes if o.claimed]
    skipped = [o for o in outcomes if not o.claimed]
    failed = [o for o in done if o.message.startswith("execution failed")]
    results = []
    ok = [o for o in done if o not in failed]
    if ok:
        detail = "; ".join(f"{o.decision.provider}/{o.decision.model_id}: {o.message}" for o in ok[:20])
        results.append(Result(messages.SUCCESS, f"{verb} {len(ok)} decision(s). {detail}"))
    if failed:
        detail = "; ".join(f"{o.decision.provider}/{o.decision.model_id}: {o.message}" for o in failed[:20])
        results.append(Result(messages.ERROR, f"{len(failed)} failed. {detail}"))
    if skipped:
        detail = "; ".join(
            (f"{o.decision.provider}/{o.decision.model_id}: " if o.decision else "") + o.message for o in skipped[:20])
        results.append(Result(messages.WARNING, f"{len(skipped)} skipped (already reviewed). {detail}"))
    return results


def _approve(request, ids, reason):
    outcomes = decisions_approve(decision_ids=ids, actor=Actor.for_user(request.user), execute=False, note=reason)
    return _outcome_results(outcomes, verb="Approved")


def _approve_execute(request, ids, reason):
    outcomes = decisions_approve(decision_ids=ids, actor=Actor.for_user(request.user), execute=True, note=reason)
    return _outcome_results(outcomes, verb="Approved and executed")


def _reject(request, ids, reason):
    try:
        outcomes = decisions_reject(decision_ids=ids, actor=Actor.for_user(request.user), reason=reason)
    except ChangeError as exc:
        return [Result(messages.ERROR, str(exc))]
    return _outcome_results(outcomes, verb="Rejected")


def _decision_fields(qs):
    return qs.only("pk", "provider", "model_id", "action", "confidence", "status").order_by("provider", "model_id")


approve_decisions = confirmed_action(
    name="approve_decisions", description="Approve selected decisions", permissions=["approve"],
    title="Approve decisions?", confirm_label="Yes, approve",
    describe=lambda d: _approve_effect(d, execute=False), perform=_approve,
    reason="Note", only=_decision_fields,
)
approve_and_execute_decisions = confirmed_action(
    name="approve_and_execute_decisions", description="Approve and execute selected decisions",
    permissions=["approve"], title="Approve and execute decisions?", confirm_label="Yes, approve and execute",
    describe=lambda d: _approve_effect(d, execute=True), perform=_approve_execute,
    reason="Note", danger=True, only=_decision_fields,
)
reject_decisions = confirmed_action(
    name="reject_decisions", description="Reject selected decisions (with a reason)", permissions=["reject"],
    title="Reject decisions?", confirm_label="Yes, reject",
    describe=lambda d: (Effect(_decision_label(d), "rejected; nothing changes in the registry")
                        if d.status == Decision.Status.PENDING
                        else Effect(_decision_label(d), f"skipped: it is {d.status}, not pending", will_act=False)),
    perform=_reject, reason="Reason", reason_required=True, only=_decision_fields,
)


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ("suggested_at", "status", "action", "provider_model", "confidence_display", "error_class",
                    "auto_verdict", "age", "suggested_by")
    list_display_links = ("suggested_at", "provider_model")
    list_filter = ("status", "action", "provider", "suggested_by", "error_class", ConfidenceBandFilter)
    search_fields = ("provider", "model_id")
    date_hierarchy = "suggested_at"
    list_select_related = ()  # nothing in the list comes from another collection
    show_full_result_count = False  # no second count over the whole collection
    list_per_page = 100
    ordering = ("-suggested_at",)
    actions = [approve_decisions, approve_and_execute_decisions, reject_decisions]
    readonly_fields = ("run_link", "reasoning_display", "evidence_display", "evidence_raw", "proposed_change_display",
                       "audit_links")
    fieldsets = (
        (None, {"fields": ("provider", "model_id", "action", "status", "confidence", "error_class",
                           "lifecycle_status", "suggested_by", "suggested_at", "run_link")}),
        ("Reasoning", {"fields": ("reasoning_display",)}),
        ("Evidence", {"fields": ("evidence_display", "evidence_raw")}),
        ("Policy", {"fields": ("auto_execute", "auto_execute_reason", "proposed_change_display")}),
        ("Review and execution", {"fields": ("reviewer_name", "reviewed_at", "review_note", "executed_at",
                                             "execution_error", "audit_links")}),
    )

    def has_approve_permission(self, request):
        return request.user.has_perm("operator_app.approve_decision")

    def has_reject_permission(self, request):
        return request.user.has_perm("operator_app.reject_decision")

    @admin.display(description="model", ordering="model_id")
    def provider_model(self, obj):
        return f"{obj.provider}/{obj.model_id}"

    @admin.display(description="confidence", ordering="confidence")
    def confidence_display(self, obj):
        return f"{obj.confidence:.2f}"

    @admin.display(description="auto-execute")
    def auto_verdict(self, obj):
        if obj.auto_execute:
            return "auto"
        reason = obj.auto_execute_reason or ""
        return "review" + (f": {reason[:80]}{'…' if len(reason) > 80 else ''}" if reason else "")

    @admin.display(description="age", ordering="suggested_at")
    def age(self, obj):
        return age(timezone.now(), obj.suggested_at)

    @admin.display(description="run")
    def run_link(self, obj):
        return _link("admin:operator_app_operatorrun_change", obj.run_id, obj.run_id)

    @admin.display(description="reasoning")
    def reasoning_display(self, obj):
        return text_block(obj.reasoning)

    @admin.display(description="evidence")
    def evidence_display(self, obj):
        return evidence_html(obj.evidence)

    @admin.display(description="evidence (raw)")
    def evidence_raw(self, obj):
        return pretty_json(obj.evidence)

    @admin.display(description="proposed change")
    def proposed_change_display(self, obj):
        return key_values(obj.proposed_change)

    @admin.display(description="audit entries")
    def audit_links(self, obj):
        url = reverse("admin:operator_app_auditlog_changelist")
        count = AuditLog.objects.filter(decision=obj.pk).count()
        return format_html('<a href="{}?decision={}">{} audit entr{}</a>', url, obj.pk, count,
                           "y" if count == 1 else "ies")


# --- operator runs ----------------------------------------------------------------------------

@admin.register(OperatorRun)
class OperatorRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "status", "trigger", "models_analyzed", "situations", "llm_calls", "tokens",
                    "cost", "fallbacks", "auto_executed", "pending", "duration")
    list_filter = ("status", "trigger", "llm_enabled")
    date_hierarchy = "started_at"
    show_full_result_count = False
    readonly_fields = ("tokens", "cost", "duration", "fallback_reasons_display", "timings_display", "counts_display",
                       "params_display", "decisions_link")
    fieldsets = (
        (None, {"fields": ("started_at", "finished_at", "duration", "as_of", "status", "trigger", "error",
                           "params_display")}),
        ("Figures", {"fields": ("models_analyzed", "situations", "llm_enabled", "llm_model", "llm_calls",
                                "prompt_tokens", "completion_tokens", "tokens", "cost", "decisions_created",
                                "auto_executed", "pending", "counts_display", "decisions_link")}),
        ("Fallbacks", {"fields": ("fallbacks", "fallback_reasons_display")}),
        ("Timings", {"fields": ("timings_display",)}),
    )

    @admin.display(description="tokens")
    def tokens(self, obj):
        return obj.prompt_tokens + obj.completion_tokens

    @admin.display(description="est. cost (USD)", ordering="estimated_cost_usd")
    def cost(self, obj):
        return f"{obj.estimated_cost_usd:.4f}"

    @admin.display(description="duration")
    def duration(self, obj):
        if not obj.finished_at:
            return "—"
        return f"{(obj.finished_at - obj.started_at).total_seconds():.1f}s"

    @admin.display(description="fallback reasons")
    def fallback_reasons_display(self, obj):
        return key_values(obj.fallback_reasons)

    @admin.display(description="timings (s)")
    def timings_display(self, obj):
        return key_values(obj.timings)

    @admin.display(description="counts")
    def counts_display(self, obj):
        return key_values(obj.counts)

    @admin.display(description="parameters")
    def params_display(self, obj):
        return key_values(obj.params)

    @admin.display(description="decisions")
    def decisions_link(self, obj):
        return format_html('<a href="{}?run={}">decisions of this run</a>',
                           reverse("admin:operator_app_decision_changelist"), obj.pk)


# --- audit log --------------------------------------------------------------------------------

def _revert_effect(entry: AuditLog) -> Effect:
    label = f"{entry.at:%Y-%m-%d %H:%M} {entry.actor}: {entry.action} {entry.provider}/{entry.model_id}"
    if entry.reverted_at:
        return Effect(label, "skipped: already reverted", will_act=False)
    if not entry.reversible:
        return Effect(label, "skipped: not reversible", will_act=False)
    if entry.status != AuditLog.Status.APPLIED:
        return Effect(label, f"skipped: it is {entry.status}, not applied", will_act=False)
    undo = {"disable": "re-enable", "enable": "disable again", "rename": "rename back",
            "add": "remove the candidate"}.get(entry.action, "undo")
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
        return request.user.has_perm("operator_app.revert_change")

    @admin.display(description="decision")
    def decision_link(self, obj):
        pk = obj.decision_id or obj.decision_ref
        return _link("admin:operator_app_decision_change", pk, "decision") if pk else "—"

    @admin.display(description="run")
    def run_link(self, obj):
        pk = obj.run_id or obj.run_ref
        return _link("admin:operator_app_operatorrun_change", pk, "run") if pk else "—"

    @admin.display(description="reverts")
    def reverts_link(self, obj):
        return _link("admin:operator_app_auditlog_change", obj.reverts_id, obj.reverts_id)

    @admin.display(description="reverted by")
    def reverted_by_link(self, obj):
        return _link("admin:operator_app_auditlog_change", obj.reverted_by_id, obj.reverted_by_id)

    @admin.display(description="before")
    def before_display(self, obj):
        return pretty_json(obj.before)

    @admin.display(description="after")
    def after_display(self, obj):
        return pretty_json(obj.after)

    @admin.display(description="reason")
    def reason_display(self, obj):
        return text_block(obj.reason)

    @admin.display(description="error")
    def error_display(self, obj):
        return text_block(obj.error)
