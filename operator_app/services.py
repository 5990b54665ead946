"""Writes on decisions: review (approve/reject), execution, and the model_status mirror.

Reviews claim a decision with a conditional update (`filter(pk=…, status="pending")
.update(status="approved")`) and act only when it returned 1, so two admins approving
the same decisions at once execute each of them once, with no transaction needed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from lifecycle.models import ModelStatus
from llmops.lib.dates import iso_utc
from llmops.lib.object_id import ObjectIdPKField, new_object_id
from llmops.lib.text import sanitize_text
from operator_app.models import Decision
from registry.models import AuditLog
from registry.services import Actor, ChangeError, audit_records, registry_disable
from registry.vocabulary import Action, DisabledClass

logger = logging.getLogger(__name__)


@dataclass
class DecisionOutcome:
    decision: Decision | None
    claimed: bool
    executed: bool
    audit: AuditLog | None
    message: str
    # Claimed, but carrying it out failed (the decision is now `failed`, the message says why).
    failed: bool = False


def decision_mirror_doc(decision: Decision) -> dict:
    """The seed's operator_decision shape stored on model_status."""
    return {
        "action": decision.action,
        "confidence": round(float(decision.confidence), 4),
        "reasoning": decision.reasoning,
        "suggested_at": iso_utc(decision.suggested_at),
        "suggested_by": decision.suggested_by,
        "status": decision.status,
        "executed_at": iso_utc(decision.executed_at),
    }


def model_status_mirror(*, decisions: list[Decision] = (), docs: dict | None = None) -> int:
    """Copy decisions (or ready docs, keyed by (provider, model_id)) onto model_status.operator_decision.

    Two queries in all, and only rows whose document changes are written. An `ignore`
    doc does not overwrite an existing `ignore` (its timestamps would churn every run).
    Rows are written by the collector (lifecycle.services.model_status_write); a model
    without one is skipped rather than created here, so the two writers never race on
    the unique (provider, model_id) key.
    """
    wanted: dict[tuple[str, str], dict] = dict(docs or {})
    latest: dict[tuple[str, str], Decision] = {}
    for decision in decisions:
        key = (decision.provider, decision.model_id)
        if key not in latest or decision.suggested_at >= latest[key].suggested_at:
            latest[key] = decision
    wanted.update({key: decision_mirror_doc(d) for key, d in latest.items()})
    if not wanted:
        return 0
    providers = sorted({k[0] for k in wanted})
    rows = []
    rows_qs = ModelStatus.objects.filter(provider__in=providers)
    if len(wanted) <= 200:  # a few models (a review): select them; a whole pass reads its providers
        rows_qs = rows_qs.filter(model_id__in=sorted({k[1] for k in wanted}))
    for row in rows_qs.only("pk", "provider", "model_id", "operator_decision"):
        doc = wanted.get((row.provider, row.model_id))
        if doc is None or row.operator_decision == doc:
            continue
        current = row.operator_decision or {}
        if doc.get("action") == "ignore" and current.get("action") == "ignore":
            continue
        row.operator_decision = doc
        rows.append(row)
    if rows:
        ModelStatus.objects.bulk_update(rows, ["operator_decision"], batch_size=1000)
    return len(rows)


def _disabled_class(decision: Decision) -> str:
    cls = decision.error_class or ""
    return cls if cls in DisabledClass.values else DisabledClass.MANUAL


def decision_execute(*, decision: Decision, actor: Actor, run=None, mirror: bool = True) -> DecisionOutcome:
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
        if mirror:
            model_status_mirror(decisions=[decision])
        return DecisionOutcome(decision, True, False, None, f"execution failed: {exc}", failed=True)
    except Exception as exc:
        _claim_release(decision, exc)
        raise
    Decision.objects.filter(pk=decision.pk, status=Decision.Status.APPROVED).update(
        status=Decision.Status.EXECUTED, executed_at=now
    )
    decision.status, decision.executed_at = Decision.Status.EXECUTED, now
    if mirror:
        model_status_mirror(decisions=[decision])
    return DecisionOutcome(decision, True, True, audit, f"executed: disabled {decision.provider}/{decision.model_id}")


def _claim_release(decision: Decision, exc: BaseException) -> None:
    """After an unexpected error (the database failed mid-change), put the claimed decision back to
    pending so the next pass or reviewer takes it up again, instead of leaving it stuck in `approved`
    and letting the next pass create a duplicate. Best effort: the database may still be down."""
    error = sanitize_text(f"execution attempt failed, retried later: {type(exc).__name__}: {exc}", limit=1000)
    try:
        Decision.objects.filter(pk=decision.pk, status=Decision.Status.APPROVED).update(
            status=Decision.Status.PENDING, execution_error=error, reviewer=None, reviewer_name="",
            reviewed_at=None, review_note="",
        )
        decision.status, decision.execution_error = Decision.Status.PENDING, error
    except Exception:
        logger.exception("could not return decision %s to pending after a failed execution", decision.pk)


def _claim(*, decision_ids, actor: Actor, status: str, note: str) -> tuple[dict, dict, datetime]:
    """Claim the pending ones among `decision_ids` with ONE conditional update that also stamps
    a fresh token, then read them back: a row is ours exactly when it carries our token (a row
    leaves `pending` once, so no later claim can stamp it again). Constant in the batch size."""
    ids = list(dict.fromkeys(str(i) for i in decision_ids))
    now = timezone.now()
    if not ids:
        return {}, {}, now
    token = new_object_id()
    Decision.objects.filter(pk__in=ids, status=Decision.Status.PENDING).update(
        status=status, reviewer=actor.user if getattr(actor.user, "pk", None) else None,
        reviewer_name=actor.name, reviewed_at=now, review_note=note or "", claim_token=token,
    )
    found = Decision.objects.in_bulk(ids)
    claimed = {pk: decision.claim_token == token for pk, decision in found.items()}
    return found, claimed, now


def _valid_ids(decision_ids) -> list[str]:
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
        # Read after the claim: a claimed row already holds our review, any other its current status.
        yield original, found[pk], claimed.get(pk, False), now


def decisions_approve(*, decision_ids, actor: Actor, execute: bool = False, note: str = "",
                      run=None) -> list[DecisionOutcome]:
    reviewed = list(_review(decision_ids=decision_ids, actor=actor, status=Decision.Status.APPROVED, note=note))
    claimed_decisions = [decision for _original, decision, claimed, _now in reviewed if claimed]
    audits = audit_records(actor=actor, entries=[
        {"action": "approve_decision", "reason": note, "provider": d.provider, "model_id": d.model_id,
         "decision": d, "run": run, "after": {"action": d.action, "execute": execute}} for d in claimed_decisions
    ])
    audit_of = {d.pk: audit for d, audit in zip(claimed_decisions, audits)}
    outcomes = []
    for original, decision, claimed, _now in reviewed:
        if decision is None:
            outcomes.append(DecisionOutcome(None, False, False, None, f"no decision {original}"))
            continue
        if not claimed:
            outcomes.append(DecisionOutcome(decision, False, False, None,
                                            f"{decision.execution_refusal() or 'claimed by another reviewer'}; nothing done"))
            continue
        audit = audit_of[decision.pk]
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
    reviewed = list(_review(decision_ids=decision_ids, actor=actor, status=Decision.Status.REJECTED, note=reason))
    rejected = [decision for _original, decision, claimed, _now in reviewed if claimed]
    audits = audit_records(actor=actor, entries=[
        {"action": "reject_decision", "reason": reason, "provider": d.provider, "model_id": d.model_id,
         "decision": d, "after": {"action": d.action}} for d in rejected
    ])
    audit_of = {d.pk: audit for d, audit in zip(rejected, audits)}
    outcomes = []
    for original, decision, claimed, _now in reviewed:
        if decision is None:
            outcomes.append(DecisionOutcome(None, False, False, None, f"no decision {original}"))
        elif not claimed:
            outcomes.append(DecisionOutcome(decision, False, False, None,
                                            f"{decision.execution_refusal() or 'claimed by another reviewer'}; nothing done"))
        else:
            outcomes.append(DecisionOutcome(decision, True, False, audit_of[decision.pk], "rejected"))
    model_status_mirror(decisions=rejected)
    return outcomes


# --- persisting an operator pass ----------------------------------------------------

@dataclass
class PersistResult:
    created: list[Decision]
    reused: list[Decision]
    superseded: int
    by_key: dict  # (provider, model_id) -> Decision for every disable/monitor proposal


def decisions_persist(*, run, proposals: list, as_of: datetime, providers=None) -> PersistResult:
    """Store the pass's disable/monitor proposals as decisions, without duplicates.

    One query loads the pending decisions; a proposal whose evidence hash matches the
    pending decision of its model reuses it (its policy verdict is refreshed, which is
    how capped decisions drain over successive runs); any other pending decision of a
    proposed model is superseded, and so is the pending decision of a model now judged
    `ignore`. Then bulk_create, bulk_update and one filter(pk__in=…).update().
    """
    keys = {p.key for p in proposals}
    pending = Decision.objects.filter(status=Decision.Status.PENDING)
    if providers:
        pending = pending.filter(provider__in=list(providers))
    existing: dict[tuple[str, str], list[Decision]] = {}
    for decision in pending.order_by("-suggested_at"):
        key = (decision.provider, decision.model_id)
        if key in keys:
            existing.setdefault(key, []).append(decision)

    created, reused, refreshed, supersede = [], [], [], []
    by_key = {}
    for proposal in proposals:
        olds = existing.get(proposal.key, [])
        if proposal.action not in (Action.DISABLE, Action.MONITOR):
            supersede += [d.pk for d in olds]
            continue
        digest = proposal.evidence_hash()
        keep = next((d for d in olds if d.evidence_hash == digest and d.action == proposal.action), None)
        supersede += [d.pk for d in olds if d is not keep]
        if keep is not None:
            if (keep.auto_execute, keep.auto_execute_reason) != (proposal.policy.auto_execute, proposal.policy.reason):
                keep.auto_execute, keep.auto_execute_reason = proposal.policy.auto_execute, proposal.policy.reason
                refreshed.append(keep)
            reused.append(keep)
            by_key[proposal.key] = keep
            continue
        proposed_change = {}
        if proposal.action == Action.DISABLE:
            proposed_change = {"change": "disable", "disabled_class": proposal.error_class or "manual"}
        if proposal.suggested_model_id:
            proposed_change["suggested_model_id"] = proposal.suggested_model_id
        decision = Decision(
            run=run, provider=proposal.provider, model_id=proposal.model_id, action=proposal.action,
            confidence=round(float(proposal.confidence), 4), reasoning=proposal.reasoning, suggested_at=as_of,
            suggested_by=proposal.suggested_by, status=Decision.Status.PENDING, error_class=proposal.error_class,
            lifecycle_status=proposal.lifecycle_status, situation_key=proposal.situation_key[:255],
            evidence=proposal.evidence, evidence_hash=digest, auto_execute=proposal.policy.auto_execute,
            auto_execute_reason=proposal.policy.reason, proposed_change=proposed_change,
        )
        created.append(decision)
        by_key[proposal.key] = decision
    if supersede:
        Decision.objects.filter(pk__in=supersede, status=Decision.Status.PENDING).update(
            status=Decision.Status.SUPERSEDED
        )
    if created:
        Decision.objects.bulk_create(created)  # as few INSERTs as the backend allows
    if refreshed:
        Decision.objects.bulk_update(refreshed, ["auto_execute", "auto_execute_reason"], batch_size=500)
    return PersistResult(created=created, reused=reused, superseded=len(supersede), by_key=by_key)


def decisions_auto_execute(*, decisions: list[Decision], run) -> list[DecisionOutcome]:
    """Claim and execute decisions the policy allowed; each item on its own."""
    actor = Actor.operator()
    outcomes = []
    now = timezone.now()
    for decision in decisions:
        claimed = Decision.objects.filter(pk=decision.pk, status=Decision.Status.PENDING).update(
            status=Decision.Status.APPROVED, reviewer_name=actor.name, reviewed_at=now,
            review_note="auto-executed by policy: " + decision.auto_execute_reason[:500],
        )
        if claimed != 1:
            outcomes.append(DecisionOutcome(decision, False, False, None, "no longer pending; skipped"))
            continue
        decision.status = Decision.Status.APPROVED
        outcomes.append(decision_execute(decision=decision, actor=actor, run=run, mirror=False))
    return outcomes
