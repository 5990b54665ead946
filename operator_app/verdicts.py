"""The memory of human verdicts: a human's word holds until the evidence changes.

A verdict is what a human said about one (provider, model, action): rejected it, approved it,
acknowledged it (approved a decision that changes nothing), or reverted the change it made. It is
read from where it is already recorded — reviewed decisions, and the audit log's reverts (a person's
own enable of a model the operator disabled counts as one: registry.selectors.human_undos) —
so there is nothing to keep in sync, and it carries the evidence signature it was given on
(`evidence_signature`: error class, situation kind, streak start; never the growing hours).

A pass that reaches the same action on the same evidence within OPERATOR_VERDICT_TTL_DAYS is
*held*: no new decision, nothing unattended, and the model is reported as held by that verdict.
New evidence (another class, a new streak after a success) or an older verdict *reopens* the
question as a pending suggestion: once a human has spoken about a model's action, that action
waits for a human. Separately, a model whose unattended change a human reverted is not changed
unattended again until a human clears that (registry.selectors.unattended_holds).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from llmops.lib.dates import iso_utc
from operator_app.models import Decision
from operator_app.policy import PolicyVerdict
from registry.models import AuditLog
from registry.selectors import UnattendedHold, human_undos
from registry.vocabulary import Action

REVIEWED = (Decision.Status.REJECTED, Decision.Status.APPROVED, Decision.Status.ACKNOWLEDGED)
KIND_OF_STATUS = {Decision.Status.REJECTED: "rejected", Decision.Status.APPROVED: "approved",
                  Decision.Status.ACKNOWLEDGED: "acknowledged"}


def evidence_signature(*, error_class: str | None, situation_kind: str | None, streak_started_at: str | None) -> dict:
    """What a verdict was given on: the class of the failure, the kind of situation (one model's
    signature or a provider-wide problem) and when the streak began — not how long it has run."""
    return {"error_class": error_class or "", "situation_kind": situation_kind or "", "streak_started_at":
            streak_started_at or ""}


def decision_signature(decision: Decision) -> dict:
    evidence = decision.evidence if isinstance(decision.evidence, dict) else {}
    situation = evidence.get("situation") if isinstance(evidence.get("situation"), dict) else {}
    model = evidence.get("model") if isinstance(evidence.get("model"), dict) else {}
    return evidence_signature(error_class=decision.error_class or evidence.get("error_class"),
                              situation_kind=situation.get("kind"), streak_started_at=model.get("streak_started_at"))


def proposal_signature(proposal, *, situation_kind: str | None) -> dict:
    return evidence_signature(error_class=proposal.error_class, situation_kind=situation_kind,
                              streak_started_at=iso_utc(proposal.snapshot.streak_started_at))


@dataclass(frozen=True)
class HumanVerdict:
    provider: str
    model_id: str
    action: str
    kind: str  # rejected | approved | acknowledged | reverted
    by: str
    at: datetime
    reason: str
    signature: dict
    decision_id: str = ""
    audit_id: str = ""

    @property
    def text(self) -> str:
        """"alice's verdict of 2026-11-30 14:05 UTC (rejected disable): the model is fine"."""
        return (f"{self.by or 'a reviewer'}'s verdict of {self.at:%Y-%m-%d %H:%M} UTC ({self.kind} {self.action})"
                + (f": {self.reason}" if self.reason else ""))

    def as_dict(self) -> dict:
        return {"provider": self.provider, "model_id": self.model_id, "action": self.action, "kind": self.kind,
                "by": self.by, "at": iso_utc(self.at), "reason": self.reason, "decision": self.decision_id,
                "audit": self.audit_id}


def human_verdicts(*, providers=None) -> dict[tuple[str, str, str], HumanVerdict]:
    """The latest human verdict per (provider, model_id, action) (four reads, whatever the count)."""
    reviewed = Decision.objects.filter(status__in=REVIEWED, reviewed_at__isnull=False)
    reverts = human_undos()
    if providers:
        reviewed = reviewed.filter(provider__in=sorted(providers))
        reverts = reverts.filter(provider__in=sorted(providers))
    found: dict[tuple[str, str, str], HumanVerdict] = {}

    def keep(verdict: HumanVerdict) -> None:
        key = (verdict.provider, verdict.model_id, verdict.action)
        if key not in found or verdict.at > found[key].at:
            found[key] = verdict

    for d in reviewed.only("pk", "provider", "model_id", "action", "status", "reviewer_name", "reviewed_at",
                           "review_note", "error_class", "evidence"):
        keep(HumanVerdict(d.provider, d.model_id, d.action, KIND_OF_STATUS[d.status], d.reviewer_name,
                          d.reviewed_at, d.review_note, decision_signature(d), decision_id=d.pk))
    reverts = list(reverts.only("pk", "provider", "model_id", "actor", "at", "reason", "reverts_id"))
    originals = AuditLog.objects.in_bulk([r.reverts_id for r in reverts if r.reverts_id])
    decisions = Decision.objects.in_bulk([o.decision_ref for o in originals.values() if o.decision_ref])
    for revert in reverts:
        original = originals.get(revert.reverts_id)
        decision = decisions.get(original.decision_ref) if original else None
        if decision is None:
            continue  # a human undoing a human's change: not an operator question
        keep(HumanVerdict(decision.provider, decision.model_id, decision.action, "reverted", revert.actor,
                          revert.at, revert.reason, decision_signature(decision), decision_id=decision.pk,
                          audit_id=revert.pk))
    return found


@dataclass
class VerdictCheck:
    """What the verdicts say about one proposal."""

    held_by: HumanVerdict | None = None  # same action, same evidence, fresh: hold it
    reopened_by: HumanVerdict | None = None  # a human spoke before, the evidence changed: ask a human
    why: str = ""


def verdict_check(*, provider: str, model_id: str, action: str, signature: dict, verdicts: dict,
                  as_of: datetime) -> VerdictCheck:
    verdict = verdicts.get((provider, model_id, action))
    if verdict is None:
        return VerdictCheck()
    ttl = timedelta(days=settings.OPERATOR_VERDICT_TTL_DAYS)
    if verdict.signature == signature and as_of - verdict.at < ttl:
        return VerdictCheck(held_by=verdict)
    if as_of - verdict.at >= ttl:
        why = f"{verdict.text} is older than {settings.OPERATOR_VERDICT_TTL_DAYS} days"
    else:
        changed = [f"{k.replace('_', ' ')} {verdict.signature.get(k) or '—'} → {signature.get(k) or '—'}"
                   for k in signature if signature.get(k) != verdict.signature.get(k)]
        why = f"the evidence changed since {verdict.text} ({'; '.join(changed)})"
    return VerdictCheck(reopened_by=verdict, why=why)


def proposal_check(proposal, *, situation_kind: str, verdicts: dict, as_of: datetime) -> VerdictCheck:
    """verdict_check for one proposal of a pass or a recheck, on its own evidence signature."""
    return verdict_check(provider=proposal.provider, model_id=proposal.model_id, action=proposal.action,
                         signature=proposal_signature(proposal, situation_kind=situation_kind), verdicts=verdicts,
                         as_of=as_of)


def proposal_hear(proposal, *, check: VerdictCheck, holds: dict) -> None:
    """Put what the verdicts say on the proposal: who holds or reopened it, and its policy once heard."""
    proposal.held_by, proposal.reopened_by = check.held_by, check.reopened_by
    proposal.policy = policy_after_verdicts(policy=proposal.policy, check=check, hold=holds.get(proposal.key),
                                            action=proposal.action)


def policy_after_verdicts(*, policy: PolicyVerdict, check: VerdictCheck, hold: UnattendedHold | None,
                          action: str) -> PolicyVerdict:
    """The policy's verdict once human verdicts are heard: they can only hold a change back."""
    if check.held_by is not None:
        return PolicyVerdict(False, f"held by {check.held_by.text}")
    if check.reopened_by is not None:
        return PolicyVerdict(False, f"reopened for a human: {check.why}")
    if hold is not None and action != Action.IGNORE and policy.auto_execute:
        return PolicyVerdict(False, f"no unattended change: {hold.text}")
    return policy
