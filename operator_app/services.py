"""Writes on decisions: review (approve/reject), execution, and the model_status mirror.

Reviews claim a decision with a conditional update (`filter(pk=…, status="pending")
.update(status="approved")`) and act only when it returned 1, so two admins approving
the same decisions at once execute each of them once, with no transaction needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from lifecycle.models import DisabledClass, ModelStatus
from operator_app.changes import Actor, ChangeError, audit_record, registry_disable
from operator_app.models import Action, AuditLog, Decision


@dataclass
class DecisionOutcome:
    decision: Decision | None
    claimed: bool
    executed: bool
    audit: AuditLog | None
    message: str


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def decision_mirror_doc(decision: Decision) -> dict:
    """The seed's operator_decision shape stored on model_status."""
    return {
        "action": decision.action,
        "confidence": round(float(decision.confidence), 4),
        "reasoning": decision.reasoning,
        "suggested_at": _iso(decision.suggested_at),
        "suggested_by": decision.suggested_by,
        "status": decision.status,
        "executed_at": _iso(decision.executed_at),
    }


def model_status_mirror(*, decisions: list[Decision]) -> int:
    """Copy each decision onto its model's model_status.operator_decision (two queries in all).

    Rows are written by the collector (lifecycle.services.model_status_write); a model
    without one is skipped rather than created here, so the two writers never race on
    the unique (provider, model_id) key.
    """
    if not decisions:
        return 0
    latest: dict[tuple[str, str], Decision] = {}
    for decision in decisions:
        key = (decision.provider, decision.model_id)
        if key not in latest or decision.suggested_at >= latest[key].suggested_at:
            latest[key] = decision
    providers = sorted({k[0] for k in latest})
    model_ids = sorted({k[1] for k in latest})
    rows = []
    for row in ModelStatus.objects.filter(provider__in=providers, model_id__in=model_ids).only(
        "pk", "provider", "model_id", "operator_decision"
    ):
        decision = latest.get((row.provider, row.model_id))
        if decision is not None:
            row.operator_decision = decision_mirror_doc(decision)
            rows.append(row)
    if rows:
        ModelStatus.objects.bulk_update(rows, ["operator_decision"], batch_size=500)
    return len(rows)


def _disabled_class(decision: Decision) -> str:
    cls = decision.error_class or ""
    return cls if cls in DisabledClass.values else DisabledClass.MANUAL


def decision_execute(*, decision: Decision, actor: Actor, run=None) -> DecisionOutcome:
    """Carry out an APPROVED decision through the change service; marks it executed or failed.

    Only `disable` changes the registry; approving `monitor`/`ignore` acknowledges it.
    A suggested new model_id (a rename) stays a suggestion: renames go through
    changes.registry_rename by a human who checked the new ID.
    """
    now = timezone.now()
    if decision.action != Action.DISABLE:
        return DecisionOutcome(decision, True, False, None, f"approved ({decision.action}: nothing to execute)")
    try:
        audit = registry_disable(
            provider=decision.provider, model_id=decision.model_id,
            reason=f"operator decision {decision.pk}: {decision.reasoning}"[:2000],
            disabled_class=_disabled_class(decision), actor=actor, decision=decision, run=run or decision.run,
        )
    except ChangeError as exc:
        Decision.objects.filter(pk=decision.pk, status=Decision.Status.APPROVED).update(
            status=Decision.Status.FAILED, execution_error=str(exc)
        )
        decision.status, decision.execution_error = Decision.Status.FAILED, str(exc)
        model_status_mirror(decisions=[decision])
        return DecisionOutcome(decision, True, False, None, f"execution failed: {exc}")
    Decision.objects.filter(pk=decision.pk, status=Decision.Status.APPROVED).update(
        status=Decision.Status.EXECUTED, executed_at=now
    )
    decision.status, decision.executed_at = Decision.Status.EXECUTED, now
    model_status_mirror(decisions=[decision])
    return DecisionOutcome(decision, True, True, audit, f"executed: disabled {decision.provider}/{decision.model_id}")


def _claim(*, decision_ids, actor: Actor, status: str, note: str) -> tuple[dict, dict, datetime]:
    ids = list(dict.fromkeys(str(i) for i in decision_ids))
    found = Decision.objects.in_bulk(ids) if ids else {}
    now = timezone.now()
    claimed = {}
    for pk in ids:
        if pk not in found:
            continue
        updated = Decision.objects.filter(pk=pk, status=Decision.Status.PENDING).update(
            status=status, reviewer=actor.user if getattr(actor.user, "pk", None) else None,
            reviewer_name=actor.name, reviewed_at=now, review_note=note or "",
        )
        claimed[pk] = updated == 1
    return found, claimed, now


def _valid_ids(decision_ids) -> list[str]:
    from django.core.exceptions import ValidationError

    from llmops.lib.fields import ObjectIdPKField

    field = ObjectIdPKField()
    out = []
    for raw in decision_ids:
        try:
            out.append(field.to_python(raw))
        except ValidationError:
            out.append(None)
    return out


def _review(*, decision_ids, actor: Actor, status: str, note: str):
    raw = list(decision_ids)
    valid = _valid_ids(raw)
    found, claimed, now = _claim(decision_ids=[v for v in valid if v], actor=actor, status=status, note=note)
    for original, pk in zip(raw, valid):
        if pk is None or pk not in found:
            yield original, None, False, now
            continue
        decision = found[pk]
        if claimed.get(pk):
            decision.status, decision.reviewer_name, decision.reviewed_at = status, actor.name, now
            decision.review_note = note or ""
        else:
            decision.refresh_from_db(fields=["status"])
        yield original, decision, claimed.get(pk, False), now


def decisions_approve(*, decision_ids, actor: Actor, execute: bool = False, note: str = "",
                      run=None) -> list[DecisionOutcome]:
    outcomes = []
    claimed_decisions = []
    for original, decision, claimed, _now in _review(
        decision_ids=decision_ids, actor=actor, status=Decision.Status.APPROVED, note=note
    ):
        if decision is None:
            outcomes.append(DecisionOutcome(None, False, False, None, f"no decision {original}"))
            continue
        if not claimed:
            outcomes.append(DecisionOutcome(decision, False, False, None,
                                            f"not pending (it is {decision.status}); nothing done"))
            continue
        audit = audit_record(action="approve_decision", actor=actor, reason=note, provider=decision.provider,
                             model_id=decision.model_id, decision=decision, run=run,
                             after={"action": decision.action, "execute": execute})
        claimed_decisions.append(decision)
        if execute:
            outcome = decision_execute(decision=decision, actor=actor, run=run)
            outcome.audit = outcome.audit or audit
            outcomes.append(outcome)
        else:
            outcomes.append(DecisionOutcome(decision, True, False, audit, "approved"))
    if not execute:
        model_status_mirror(decisions=claimed_decisions)
    return outcomes


def decisions_reject(*, decision_ids, actor: Actor, reason: str) -> list[DecisionOutcome]:
    reason = (reason or "").strip()
    if not reason:
        raise ChangeError("a reason is required to reject a decision")
    outcomes = []
    rejected = []
    for original, decision, claimed, _now in _review(
        decision_ids=decision_ids, actor=actor, status=Decision.Status.REJECTED, note=reason
    ):
        if decision is None:
            outcomes.append(DecisionOutcome(None, False, False, None, f"no decision {original}"))
            continue
        if not claimed:
            outcomes.append(DecisionOutcome(decision, False, False, None,
                                            f"not pending (it is {decision.status}); nothing done"))
            continue
        audit = audit_record(action="reject_decision", actor=actor, reason=reason, provider=decision.provider,
                             model_id=decision.model_id, decision=decision, after={"action": decision.action})
        rejected.append(decision)
        outcomes.append(DecisionOutcome(decision, True, False, audit, "rejected"))
    model_status_mirror(decisions=rejected)
    return outcomes
