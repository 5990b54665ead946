"""Writes on decisions: review (approve, reject), carrying decisions out, and the model_status mirror.

Approving does what it says: a decision that changes the registry (disable, enable, rename) is
carried out through the audited registry service in the same step (status `approved`, with its
executed_at); one that changes nothing (monitor) is `acknowledged`. Either way the human's word
is remembered (operator_app.verdicts reads reviewed decisions) and not asked again on the same
evidence.

Reviews claim decisions with one conditional update (`filter(pk__in=…, status="pending")
.update(status=…, claim_token=…)`) and act only on the rows that carry their token, so two admins
approving the same decisions at once carry each of them out once, with no transaction needed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from lifecycle.models import ModelStatus
from llmops.lib.dates import iso_utc
from llmops.lib.object_id import ObjectIdPKField, new_object_id
from llmops.lib.text import sanitize_text
from operator_app.models import Decision
from registry.models import AuditLog
from registry.services import Actor, ChangeError, audit_records, registry_disable, registry_enable, registry_rename
from registry.vocabulary import Action, DisabledClass

logger = logging.getLogger(__name__)

# A decision claimed this long ago and still not carried out lost its process (killed mid-change):
# the next pass carries it out (decisions_resume).
RESUME_AFTER = timedelta(minutes=10)


@dataclass
class DecisionOutcome:
    decision: Decision | None
    claimed: bool
    executed: bool
    audit: AuditLog | None
    message: str
    # Claimed, but carrying it out failed (the decision is now `failed`, the message says why).
    failed: bool = False


# --- the model_status mirror ------------------------------------------------------------------

def decision_mirror_doc(decision: Decision) -> dict:
    """model_status.operator_decision as the spec shows it."""
    return {
        "action": decision.action,
        "confidence": round(float(decision.confidence), 4),
        "reasoning": decision.reasoning,
        "suggested_at": iso_utc(decision.suggested_at),
        "suggested_by": decision.suggested_by,
        "status": decision.mirror_status,
        "executed_at": iso_utc(decision.executed_at),
    }


def model_status_mirror(*, decisions: list[Decision] = (), settled=(), settled_actions=None) -> int:
    """Copy decisions onto model_status.operator_decision; clear a pending doc of the `settled` models
    ((provider, model_id) that need nothing any more, e.g. recovered) — only one of `settled_actions`
    when given (the actions the caller decides: a pass's settled model keeps a recheck's pending enable).
    Returns rows written.

    Two queries in all, and only rows whose document changes are written. A reviewed or executed
    decision stays mirrored after its model is settled: it is the model's last decision (what the
    existing tools query, `{"operator_decision.status": "auto_executed"}`). Rows are written by
    the collector (lifecycle.services.model_status_write); a model without one is skipped rather
    than created here, so the two writers never race on the unique (provider, model_id) key.
    """
    wanted: dict[tuple[str, str], dict | None] = {key: None for key in settled}
    latest: dict[tuple[str, str], Decision] = {}
    for decision in decisions:
        key = (decision.provider, decision.model_id)
        if key not in latest or decision.suggested_at >= latest[key].suggested_at:
            latest[key] = decision
    wanted.update({key: decision_mirror_doc(d) for key, d in latest.items()})
    if not wanted:
        return 0
    rows = []
    rows_qs = ModelStatus.objects.filter(provider__in=sorted({k[0] for k in wanted}))
    if len(wanted) <= 200:  # a few models (a review): select them; a whole pass reads its providers
        rows_qs = rows_qs.filter(model_id__in=sorted({k[1] for k in wanted}))
    for row in rows_qs.only("pk", "provider", "model_id", "operator_decision"):
        key = (row.provider, row.model_id)
        if key not in wanted:
            continue
        doc = wanted[key]
        current = row.operator_decision or {}
        if doc is None and not current.get("status") == Decision.Status.PENDING:
            continue  # nothing pending to clear: the last decision stays on record
        if doc is None and settled_actions is not None and current.get("action") not in settled_actions:
            continue  # pending, but another writer's question
        if row.operator_decision == doc:
            continue
        row.operator_decision = doc
        rows.append(row)
    if rows:
        ModelStatus.objects.bulk_update(rows, ["operator_decision"], batch_size=1000)
    return len(rows)


# --- carrying a decision out ---------------------------------------------------------------------

def _disabled_class(decision: Decision) -> str:
    cls = decision.error_class or ""
    return cls if cls in DisabledClass.values else DisabledClass.MANUAL


def _registry_change(decision: Decision, *, actor: Actor, run) -> tuple[AuditLog, str]:
    """Carry one decision's change out through the audited registry service."""
    reason = f"operator decision {decision.pk}: {decision.reasoning}"[:2000]
    common = {"provider": decision.provider, "model_id": decision.model_id, "reason": reason, "actor": actor,
              "decision": decision, "run": run or decision.run}
    if decision.action == Action.DISABLE:
        return registry_disable(disabled_class=_disabled_class(decision), **common), \
            f"disabled {decision.provider}/{decision.model_id}"
    if decision.action == Action.ENABLE:
        return registry_enable(**common), f"enabled {decision.provider}/{decision.model_id}"
    if decision.action == Action.RENAME:
        return registry_rename(new_model_id=decision.new_model_id, **common), \
            f"renamed {decision.provider}/{decision.model_id} to {decision.new_model_id}"
    raise ChangeError(f"a {decision.action} decision changes nothing in the registry")


def decision_execute(*, decision: Decision, actor: Actor, run=None, mirror: bool = True) -> DecisionOutcome:
    """Carry out a claimed decision (status approved or auto_executed) through the registry service.

    Success sets executed_at (the status stays: approved by a human, or auto_executed); a refusal
    of the registry service marks it `failed` with the reason; an unexpected error (the database
    failed mid-change) puts it back to pending, so the next pass or reviewer takes it up again.
    """
    claimed_status = decision.status
    try:
        audit, done = _registry_change(decision, actor=actor, run=run)
    except ChangeError as exc:
        Decision.objects.filter(pk=decision.pk, status=claimed_status).update(
            status=Decision.Status.FAILED, execution_error=str(exc))
        decision.status, decision.execution_error = Decision.Status.FAILED, str(exc)
        if mirror:
            model_status_mirror(decisions=[decision])
        return DecisionOutcome(decision, True, False, None, f"execution failed: {exc}", failed=True)
    except Exception as exc:
        _claim_release(decision, exc)
        raise
    now = timezone.now()
    Decision.objects.filter(pk=decision.pk, status=claimed_status).update(executed_at=now, execution_error="")
    decision.executed_at = now
    if mirror:
        model_status_mirror(decisions=[decision])
    return DecisionOutcome(decision, True, True, audit, f"executed: {done}")


def _claim_release(decision: Decision, exc: BaseException) -> None:
    """After an unexpected error (the database failed mid-change), put the claimed decision back to
    pending so the next pass or reviewer takes it up again, instead of leaving it claimed with
    nothing to move it on. Best effort: the database may still be down."""
    error = sanitize_text(f"execution attempt failed, retried later: {type(exc).__name__}: {exc}", limit=1000)
    try:
        Decision.objects.filter(pk=decision.pk, status=decision.status, executed_at__isnull=True).update(
            status=Decision.Status.PENDING, execution_error=error, reviewer=None, reviewer_name="",
            reviewed_at=None, review_note="",
        )
        decision.status, decision.execution_error = Decision.Status.PENDING, error
    except Exception:
        logger.exception("could not return decision %s to pending after a failed execution", decision.pk)


# --- review --------------------------------------------------------------------------------------

def _valid_ids(decision_ids) -> list[tuple[str, str | None]]:
    """(what was given, its ObjectId text or None), each id once: duplicates count once."""
    field = ObjectIdPKField()
    out, seen = [], set()
    for raw in decision_ids:
        try:
            pk = field.to_python(raw)
        except ValidationError:
            pk = None
        if (pk or raw) in seen:
            continue
        seen.add(pk or raw)
        out.append((raw, pk))
    return out


def _claim(*, ids: list[str], actor: Actor, status: str, note: str) -> tuple[dict, set, datetime]:
    """Claim the pending ones among `ids` with ONE conditional update that also stamps a fresh token,
    then read them back: a row is ours exactly when it carries our token (a row leaves `pending`
    once, so no later claim can stamp it again). Constant in the batch size."""
    now = timezone.now()
    if not ids:
        return {}, set(), now
    token = new_object_id()
    Decision.objects.filter(pk__in=ids, status=Decision.Status.PENDING).update(
        status=status, reviewer=actor.user if getattr(actor.user, "pk", None) else None,
        reviewer_name=actor.name, reviewed_at=now, review_note=note or "", claim_token=token,
    )
    found = Decision.objects.in_bulk(ids)
    return found, {pk for pk, d in found.items() if d.claim_token == token}, now


def _refused(decision: Decision | None, raw) -> DecisionOutcome:
    if decision is None:
        return DecisionOutcome(None, False, False, None, f"no decision {raw}")
    return DecisionOutcome(decision, False, False, None,
                           f"{decision.execution_refusal() or 'claimed by another reviewer'}; nothing done")


def decisions_approve(*, decision_ids, actor: Actor, note: str = "", run=None) -> list[DecisionOutcome]:
    """Approve each pending decision and carry it out: a registry change through the audited service
    (approved, executed_at), anything else acknowledged. One outcome per distinct id, in order."""
    given = _valid_ids(decision_ids)
    found, claimed, _now = _claim(ids=[pk for _raw, pk in given if pk], actor=actor,
                                  status=Decision.Status.APPROVED, note=note)
    mine = [found[pk] for _raw, pk in given if pk in claimed]
    acknowledged = [d.pk for d in mine if not d.changes_registry]
    if acknowledged:
        Decision.objects.filter(pk__in=acknowledged, status=Decision.Status.APPROVED).update(
            status=Decision.Status.ACKNOWLEDGED)
        for d in mine:
            if not d.changes_registry:
                d.status = Decision.Status.ACKNOWLEDGED
    audits = audit_records(actor=actor, entries=[
        {"action": "approve_decision", "reason": note, "provider": d.provider, "model_id": d.model_id,
         "decision": d, "run": run, "after": {"action": d.action, "status": d.status,
                                              **({"new_model_id": d.new_model_id} if d.new_model_id else {})}}
        for d in mine
    ])
    audit_of = {d.pk: audit for d, audit in zip(mine, audits)}
    outcomes = []
    for raw, pk in given:
        if pk not in claimed:
            outcomes.append(_refused(found.get(pk) if pk else None, raw))
            continue
        decision = found[pk]
        if not decision.changes_registry:
            outcomes.append(DecisionOutcome(decision, True, False, audit_of[pk],
                                            f"acknowledged ({decision.action}: nothing to change; not proposed "
                                            "again until its evidence changes)"))
            continue
        outcome = decision_execute(decision=decision, actor=actor, run=run, mirror=False)
        outcome.audit = outcome.audit or audit_of[pk]
        outcomes.append(outcome)
    model_status_mirror(decisions=mine)
    return outcomes


def decisions_reject(*, decision_ids, actor: Actor, reason: str) -> list[DecisionOutcome]:
    reason = (reason or "").strip()
    if not reason:
        raise ChangeError("a reason is required to reject a decision")
    given = _valid_ids(decision_ids)
    found, claimed, _now = _claim(ids=[pk for _raw, pk in given if pk], actor=actor,
                                  status=Decision.Status.REJECTED, note=reason)
    mine = [found[pk] for _raw, pk in given if pk in claimed]
    audits = audit_records(actor=actor, entries=[
        {"action": "reject_decision", "reason": reason, "provider": d.provider, "model_id": d.model_id,
         "decision": d, "after": {"action": d.action}} for d in mine
    ])
    audit_of = {d.pk: audit for d, audit in zip(mine, audits)}
    outcomes = [DecisionOutcome(found[pk], True, False, audit_of[pk], "rejected") if pk in claimed
                else _refused(found.get(pk) if pk else None, raw) for raw, pk in given]
    model_status_mirror(decisions=mine)
    return outcomes


# --- unattended -----------------------------------------------------------------------------------

def decisions_auto_execute(*, decisions: list[Decision], run) -> list[DecisionOutcome]:
    """Claim and carry out decisions the policy allowed (status auto_executed); each on its own."""
    actor = Actor.operator()
    outcomes = []
    now = timezone.now()
    for decision in decisions:
        claimed = Decision.objects.filter(pk=decision.pk, status=Decision.Status.PENDING).update(
            status=Decision.Status.AUTO_EXECUTED, reviewer_name=actor.name, reviewed_at=now,
            review_note="auto-executed by policy: " + decision.auto_execute_reason[:500],
        )
        if claimed != 1:
            outcomes.append(DecisionOutcome(decision, False, False, None, "no longer pending; skipped"))
            continue
        decision.status = Decision.Status.AUTO_EXECUTED
        outcomes.append(decision_execute(decision=decision, actor=actor, run=run, mirror=False))
    return outcomes


def decisions_resume(*, run, now=None) -> list[DecisionOutcome]:
    """Carry out decisions that were claimed (approved or auto_executed) but never carried out because
    their process died mid-change: what a human approved, or the policy allowed, still happens."""
    cutoff = (now or timezone.now()) - RESUME_AFTER
    stuck = Decision.objects.filter(
        status__in=[Decision.Status.APPROVED, Decision.Status.AUTO_EXECUTED], executed_at__isnull=True,
        action__in=[Action.DISABLE, Action.ENABLE, Action.RENAME], reviewed_at__lt=cutoff, execution_error="")
    stuck = list(stuck.order_by("reviewed_at")[:100])
    # The change may have landed before the process died: its applied audit entry says so.
    landed = {row["decision_ref"]: row["at"] for row in AuditLog.objects.filter(
        decision_ref__in=[d.pk for d in stuck], status=AuditLog.Status.APPLIED,
        action__in=AuditLog.REGISTRY_CHANGES).values("decision_ref", "at")}
    outcomes = []
    for decision in stuck:
        if decision.pk in landed:
            Decision.objects.filter(pk=decision.pk, executed_at__isnull=True).update(executed_at=landed[decision.pk])
            decision.executed_at = landed[decision.pk]
            model_status_mirror(decisions=[decision])
            outcomes.append(DecisionOutcome(decision, True, True, None, "executed (the change had landed)"))
            continue
        actor = Actor.operator() if decision.status == Decision.Status.AUTO_EXECUTED else \
            Actor.system(f"resumed approval of {decision.reviewer_name or 'a reviewer'}")
        outcomes.append(decision_execute(decision=decision, actor=actor, run=run))
    return outcomes
