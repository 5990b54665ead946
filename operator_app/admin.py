"""Admin for decisions and operator runs.

Everything here is read-only as a form: decisions change only through the review actions
(operator_app.services), which change the registry only through registry.services. Each
action needs its own permission (Decision.Meta) and goes through a confirmation page
(llmops.lib.admin_actions).
"""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from lifecycle.timeline import model_week, timeline_svg
from llmops.lib.admin_actions import Effect, Result, confirmed_action
from llmops.lib.admin_base import ReadOnlyAdmin
from llmops.lib.admin_display import age, key_values, pretty_json, text_block
from llmops.lib.text import redact, redact_json
from operator_app.admin_display import evidence_html, held_table
from operator_app.models import Decision, OperatorRun
from operator_app.selectors import decision_todo, pending_situations
from operator_app.services import decisions_approve, decisions_reject
from registry.models import AuditLog
from registry.services import Actor, ChangeError
from registry.vocabulary import Action


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
    return f"{d.what} (confidence {d.confidence:.2f}, {d.status})"


# What approving carries out, per action (the services do exactly this: operator_app.services).
_APPROVAL_EFFECT = {
    Action.DISABLE: "approved and carried out: {p}/{m} is disabled in the registry (audited, revertible)",
    Action.ENABLE: "approved and carried out: {p}/{m} is enabled in the registry (audited, revertible)",
    Action.RENAME: "approved and carried out: {p}/{m} is renamed to {new} in the registry (audited, revertible)",
}


def _approve_effect(d: Decision) -> Effect:
    if refusal := d.execution_refusal():
        return Effect(_decision_label(d), f"skipped: {refusal}", will_act=False)
    template = _APPROVAL_EFFECT.get(d.action)
    if template is None:
        return Effect(_decision_label(d), f"acknowledged ({d.action}): nothing changes in the registry; not proposed "
                                          "again until its evidence changes")
    return Effect(_decision_label(d), template.format(p=d.provider, m=d.model_id, new=d.new_model_id))


def _reject_effect(d: Decision) -> Effect:
    if refusal := d.execution_refusal():
        return Effect(_decision_label(d), f"skipped: {refusal}", will_act=False)
    return Effect(_decision_label(d), "rejected: nothing changes in the registry, and the same action is not "
                                      "proposed again on the same evidence")


def _outcome_results(outcomes, *, verb: str) -> list[Result]:
    done = [o for o in outcomes if o.claimed]
    skipped = [o for o in outcomes if not o.claimed]
    failed = [o for o in done if o.failed]
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
    outcomes = decisions_approve(decision_ids=ids, actor=Actor.for_user(request.user), note=reason)
    return _outcome_results(outcomes, verb="Approved")


def _reject(request, ids, reason):
    try:
        outcomes = decisions_reject(decision_ids=ids, actor=Actor.for_user(request.user), reason=reason)
    except ChangeError as exc:
        return [Result(messages.ERROR, str(exc))]
    return _outcome_results(outcomes, verb="Rejected")


def _decision_fields(qs):
    return qs.only("pk", "provider", "model_id", "action", "confidence", "status", "proposed_change").order_by(
        "provider", "model_id")


approve_decisions = confirmed_action(
    name="approve_decisions", description="Approve selected decisions (carries them out)", permissions=["approve"],
    title="Approve decisions?", confirm_label="Yes, approve and carry out", describe=_approve_effect,
    perform=_approve, reason="Note", danger=True, only=_decision_fields,
)
reject_decisions = confirmed_action(
    name="reject_decisions", description="Reject selected decisions (with a reason)", permissions=["reject"],
    title="Reject decisions?", confirm_label="Yes, reject", describe=_reject_effect,
    perform=_reject, reason="Reason", reason_required=True, only=_decision_fields,
)


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    # Fits a laptop screen: one line of what to do and why, long values wrap (operator_app/admin.css).
    list_display = ("when", "age", "status", "provider_model", "change", "confidence_display", "error_class",
                    "todo", "auto_verdict")
    list_display_links = ("when", "provider_model")
    list_filter = ("status", "action", "provider", "suggested_by", "error_class", ConfidenceBandFilter)
    search_fields = ("provider", "model_id")
    date_hierarchy = "suggested_at"
    list_select_related = ()  # nothing in the list comes from another collection
    show_full_result_count = False  # no second count over the whole collection
    list_per_page = 100
    ordering = ("-suggested_at",)
    actions = [approve_decisions, reject_decisions]
    readonly_fields = ("run_link", "reasoning_display", "evidence_display", "evidence_raw", "proposed_change_display",
                       "audit_links", "verdicts", "rules_verdict_display", "llm_verdict_display", "todo",
                       "model_week")
    fieldsets = (
        (None, {"fields": ("provider", "model_id", "action", "status", "confidence", "error_class",
                           "lifecycle_status", "suggested_by", "suggested_at", "run_link")}),
        ("What to do", {"fields": ("todo",)}),
        ("The model's week", {"fields": ("model_week",)}),
        ("Reasoning", {"fields": ("reasoning_display",)}),
        ("Rules and LLM", {"fields": ("verdicts", "rules_verdict_display", "llm_verdict_display")}),
        ("Evidence", {"fields": ("evidence_display", "evidence_raw")}),
        ("Policy", {"fields": ("auto_execute", "auto_execute_reason", "proposed_change_display")}),
        ("Review and execution", {"fields": ("reviewer_name", "reviewed_at", "review_note", "executed_at",
                                             "execution_error", "audit_links")}),
    )

    class Media:
        css = {"all": ("operator_app/admin.css",)}

    def get_urls(self):
        view = self.admin_site.admin_view(self.situations_view)
        return [path("situations/", view, name="operator_app_decision_situations"), *super().get_urls()]

    def situations_view(self, request):
        """The review queue one row per situation (a provider problem, or one shared error), each
        expandable to its models and approvable or rejectable as a group through the same
        confirmation pages as the list."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        groups = pending_situations(provider=request.GET.get("provider") or None)
        context = {
            **self.admin_site.each_context(request), "title": "Pending decisions by situation", "opts": self.model._meta,
            "groups": groups, "decisions": sum(len(g.decisions) for g in groups),
            "changelist_url": reverse("admin:operator_app_decision_changelist"),
            "can_approve": self.has_approve_permission(request), "can_reject": self.has_reject_permission(request),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/operator_app/situations.html", context)

    def has_approve_permission(self, request):
        return request.user.has_perm("operator_app.approve_decision")

    def has_reject_permission(self, request):
        return request.user.has_perm("operator_app.reject_decision")

    @admin.display(description="model", ordering="model_id")
    def provider_model(self, obj):
        return f"{obj.provider}/{obj.model_id}"

    @admin.display(description="when", ordering="suggested_at")
    def when(self, obj):
        return f"{obj.suggested_at:%m-%d %H:%M}"

    @admin.display(description="what to do · why")
    def todo(self, obj):
        return decision_todo(obj)

    @admin.display(description="the model's week")
    def model_week(self, obj):
        return timeline_svg(model_week(provider=obj.provider, model_id=obj.model_id, as_of=obj.suggested_at))

    @admin.display(description="rules vs LLM")
    def verdicts(self, obj):
        return obj.disagreement or "—"

    @admin.display(description="the rules said")
    def rules_verdict_display(self, obj):
        return key_values(obj.rules_verdict)

    @admin.display(description="the LLM said")
    def llm_verdict_display(self, obj):
        return key_values(obj.llm_verdict) if obj.llm_verdict else "— (not asked: the LLM was off, failed, or not needed)"

    @admin.display(description="change")
    def change(self, obj):
        if obj.action == Action.RENAME:
            return f"{obj.model_id} → {obj.new_model_id}"
        return obj.action

    @admin.display(description="confidence", ordering="confidence")
    def confidence_display(self, obj):
        return f"{obj.confidence:.2f}"

    @admin.display(description="auto-execute")
    def auto_verdict(self, obj):
        if obj.auto_execute:
            return "auto"
        reason = obj.auto_execute_reason or ""
        return "review" + (f": {reason[:60]}{'…' if len(reason) > 60 else ''}" if reason else "")

    @admin.display(description="age", ordering="suggested_at")
    def age(self, obj):
        return age(timezone.now(), obj.suggested_at)

    @admin.display(description="run")
    def run_link(self, obj):
        return _link("admin:operator_app_operatorrun_change", obj.run_id, obj.run_id)

    @admin.display(description="reasoning")
    def reasoning_display(self, obj):
        # Stored redacted; redacted again so rows older than a redaction rule are covered too.
        return text_block(redact(obj.reasoning or ""))

    @admin.display(description="evidence")
    def evidence_display(self, obj):
        return evidence_html(redact_json(obj.evidence))

    @admin.display(description="evidence (raw)")
    def evidence_raw(self, obj):
        return pretty_json(redact_json(obj.evidence))

    @admin.display(description="proposed change")
    def proposed_change_display(self, obj):
        return key_values(obj.proposed_change)

    @admin.display(description="audit entries")
    def audit_links(self, obj):
        url = reverse("admin:registry_auditlog_changelist")
        count = AuditLog.objects.filter(decision_ref=obj.pk).count()
        return format_html('<a href="{}?decision_ref={}">{} audit entr{}</a>', url, obj.pk, count,
                           "y" if count == 1 else "ies")


# --- operator runs ----------------------------------------------------------------------------

@admin.register(OperatorRun)
class OperatorRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "status", "trigger", "models_analyzed", "situations", "llm_calls", "tokens",
                    "cost", "fallbacks", "auto_executed", "pending", "held_count", "duration")
    list_filter = ("status", "trigger", "llm_enabled")
    date_hierarchy = "started_at"
    show_full_result_count = False
    readonly_fields = ("tokens", "cost", "duration", "fallback_reasons_display", "timings_display", "counts_display",
                       "params_display", "decisions_link", "held_display")
    fieldsets = (
        (None, {"fields": ("started_at", "finished_at", "duration", "as_of", "status", "trigger", "error",
                           "params_display")}),
        ("Figures", {"fields": ("models_analyzed", "situations", "llm_enabled", "llm_model", "llm_calls",
                                "llm_cached", "prompt_tokens", "completion_tokens", "tokens", "cost", "decisions_created",
                                "auto_executed", "pending", "counts_display", "decisions_link")}),
        ("Held by human verdicts", {"fields": ("held_display",)}),
        ("Fallbacks", {"fields": ("fallbacks", "fallback_reasons_display")}),
        ("Timings", {"fields": ("timings_display",)}),
    )

    @admin.display(description="held")
    def held_count(self, obj):
        return len(obj.held or [])

    @admin.display(description="models held by human verdicts")
    def held_display(self, obj):
        return held_table(obj.held)

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
