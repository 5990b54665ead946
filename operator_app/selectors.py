"""Reads of the operator app: decisions, the review queue by situation, the fleet at a glance."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, QuerySet

from llmops.lib.text import sanitize_text
from llmops.models import JobFailure
from llmops.selectors import scheduled_jobs
from operator_app.models import Decision, OperatorRun
from registry.models import AuditLog
from registry.vocabulary import REMEDY, Action, ErrorClass, class_label


def decision_list(*, status: str | None = None, provider: str | None = None, limit: int | None = None) -> QuerySet:
    qs = Decision.objects.all().order_by("-suggested_at")
    if status:
        qs = qs.filter(status=status)
    if provider:
        qs = qs.filter(provider=provider)
    return qs[:limit] if limit else qs


# --- the review queue, one row per situation ----------------------------------------------------

def first_sentence(text: str, *, limit: int = 160) -> str:
    """The first sentence of a reasoning (what the list shows), capped."""
    text = " ".join((text or "").split())
    for end in (". ", "; "):
        if end in text[: limit + 2]:
            text = text.split(end, 1)[0] + end.strip()
            break
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def decision_todo(decision: Decision) -> str:
    """What to do about a decision and why, in one line: the remedy of its class, the first sentence
    of its reasoning, and the rules-vs-LLM verdicts when they differ."""
    parts = []
    if decision.disagreement:
        parts.append(decision.disagreement)
    why = first_sentence(sanitize_text(decision.reasoning, limit=600))
    if decision.action == Action.RENAME:
        # The reasoning of a rename usually names its successor already; say it once.
        if decision.new_model_id and decision.new_model_id not in why:
            parts.append(f"rename to {decision.new_model_id}")
    elif decision.action == Action.MONITOR and decision.error_class == ErrorClass.HARD_MODEL:
        # A hard error that is still being watched is not yet something to disable.
        parts.append("watch it: disable if it keeps failing")
    elif decision.error_class in REMEDY:
        parts.append(REMEDY[decision.error_class])
    parts.append(why)
    return " · ".join(p for p in parts if p)


@dataclass
class PendingSituation:
    """The pending decisions that share one situation (a provider problem, or one error signature)."""

    key: str
    provider: str
    error_class: str
    kind: str
    decisions: list[Decision] = field(default_factory=list)

    @property
    def label(self) -> str:
        """"deepinfra · billing / credit · 4 models · top up the account"."""
        n = len(self.decisions)
        remedy = REMEDY.get(self.error_class, "read the errors")
        if {d.action for d in self.decisions} == {Action.RENAME}:
            remedy = "approve the renames"
        scope = "provider-wide" if self.kind == "provider" else "same error"
        return (f"{self.provider} · {class_label(self.error_class).lower() if self.error_class else 'no errors'} · "
                f"{n} model{'s' if n != 1 else ''} ({scope}) · {remedy}")

    @property
    def actions(self) -> dict[str, int]:
        return dict(Counter(d.action for d in self.decisions).most_common())

    @property
    def ids(self) -> list[str]:
        return [d.pk for d in self.decisions]

    @property
    def why(self) -> str:
        return decision_todo(self.decisions[0]) if self.decisions else ""

    @property
    def oldest(self) -> datetime | None:
        return min((d.suggested_at for d in self.decisions), default=None)


def pending_situations(*, provider: str | None = None, limit: int = 2000) -> list[PendingSituation]:
    """Pending decisions grouped by situation, provider problems first, then the largest groups (one
    query). A decision made without a situation (triaged alone) is a group of its own."""
    qs = Decision.objects.filter(status=Decision.Status.PENDING)
    if provider:
        qs = qs.filter(provider=provider)
    rows = qs.only("pk", "provider", "model_id", "action", "confidence", "reasoning", "error_class", "situation_key",
                   "suggested_at", "proposed_change", "rules_verdict", "llm_verdict", "evidence").order_by(
        "provider", "model_id")[:limit]
    groups: dict[str, PendingSituation] = {}
    for d in rows:
        key = d.situation_key or f"model:{d.provider}/{d.model_id}"
        situation = (d.evidence or {}).get("situation") if isinstance(d.evidence, dict) else None
        kind = situation.get("kind", "") if isinstance(situation, dict) else ""
        groups.setdefault(key, PendingSituation(key, d.provider, d.error_class, kind)).decisions.append(d)
    return sorted(groups.values(), key=lambda g: (g.kind != "provider", -len(g.decisions), g.provider, g.key))


# --- the fleet at a glance (admin index) ------------------------------------------------------------

@dataclass
class FleetGlance:
    as_of: datetime
    pending_by_action: dict
    pending_situations: int
    unattended_24h: int
    provider_problems: list
    failed_jobs_24h: int
    overdue_jobs: list
    last_run: OperatorRun | None
    next_run_due: datetime | None


def fleet_glance(*, as_of: datetime) -> FleetGlance:
    """What an operator opening the admin needs first (a constant number of queries)."""
    since = as_of - timedelta(hours=24)
    pending = Decision.objects.filter(status=Decision.Status.PENDING)
    by_action = {row["action"]: row["n"] for row in pending.values("action").annotate(n=Count("id")).order_by("action")}
    # (A $group read back: counting a grouped query does not compile for MongoDB.)
    situations = len(list(pending.values("situation_key").annotate(n=Count("id")).order_by()))
    unattended = AuditLog.objects.filter(at__gte=since, at__lte=as_of, actor_type=AuditLog.ActorType.OPERATOR,
                                         status=AuditLog.Status.APPLIED, action__in=AuditLog.REGISTRY_CHANGES).count()
    problems: dict[str, set] = {}
    for row in pending.filter(evidence__situation__kind="provider").values("provider", "error_class").order_by():
        problems.setdefault(row["provider"], set()).add(row["error_class"])
    failed_jobs = JobFailure.objects.filter(failed_at__gte=since, failed_at__lte=as_of, final=True).count()
    jobs = scheduled_jobs(as_of=as_of)
    last_run = OperatorRun.objects.order_by("-started_at").only(
        "pk", "started_at", "finished_at", "status", "auto_executed", "pending", "llm_calls").first()
    operator_job = next((j for j in jobs if j.job == "operator_app.tasks.run_operator"), None)
    return FleetGlance(
        as_of=as_of, pending_by_action=by_action, pending_situations=situations, unattended_24h=unattended,
        provider_problems=sorted((p, ", ".join(class_label(c).lower() for c in sorted(cs)))
                                 for p, cs in problems.items()),
        failed_jobs_24h=failed_jobs, overdue_jobs=[j.entry for j in jobs if j.overdue or j.stuck],
        last_run=last_run, next_run_due=operator_job.next_due if operator_job else None,
    )
