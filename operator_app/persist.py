"""Persisting an operator pass: its proposals become decisions, without duplicates.

One query loads the pending decisions; a proposal whose evidence hash matches the pending decision
of its model reuses it (its policy verdict is refreshed, which is how capped decisions drain over
successive runs); any other pending decision of a proposed model is superseded, and so is the
pending decision of a model now judged `ignore` or held by a human verdict (the human already
answered this evidence). Then bulk_create, bulk_update and one filter(pk__in=…).update().

Each writer owns its actions: an operator pass decides disable, monitor and rename about the
models the benchmark runs (PASS_ACTIONS), a recheck run decides enable about disabled ones
(RECHECK_ACTIONS, operator_app.recovery). A pass's `ignore` of a disabled model says nothing about
bringing it back, so it never supersedes a pending enable, and a recheck never touches a pending
disable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from operator_app.models import Decision
from registry.vocabulary import Action

# Proposals that become decisions; `ignore` needs none.
DECIDED = (Action.DISABLE, Action.MONITOR, Action.RENAME, Action.ENABLE)
PASS_ACTIONS = (Action.DISABLE, Action.MONITOR, Action.RENAME)
RECHECK_ACTIONS = (Action.ENABLE,)


@dataclass
class PersistResult:
    created: list[Decision]
    reused: list[Decision]
    superseded: int
    by_key: dict  # (provider, model_id) -> Decision for every proposal that is a decision


def _proposed_change(proposal) -> dict:
    if proposal.action == Action.DISABLE:
        return {"change": "disable", "disabled_class": proposal.error_class or "manual"}
    if proposal.action == Action.RENAME:
        return {"change": "rename", "new_model_id": proposal.successor.model_id, "source": proposal.successor.source,
                "verified": proposal.successor.verified, "otherwise": proposal.base_action}
    if proposal.action == Action.ENABLE:
        return {"change": "enable"}
    change = {}
    if proposal.suggested_model_id:
        change["suggested_model_id"] = proposal.suggested_model_id
    return change


def decisions_persist(*, run, proposals: list, as_of: datetime, providers=None,
                      actions=PASS_ACTIONS) -> PersistResult:
    """Store the proposals as decisions; only pending decisions of `actions` are reused or superseded
    (see the module docstring)."""
    keys = {p.key for p in proposals}
    pending = Decision.objects.filter(status=Decision.Status.PENDING, action__in=list(actions))
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
        if proposal.action not in DECIDED or proposal.held_by is not None:
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
        rules_verdict, llm_verdict = proposal.verdicts_record()
        decision = Decision(
            run=run, provider=proposal.provider, model_id=proposal.model_id, action=proposal.action,
            rules_verdict=rules_verdict, llm_verdict=llm_verdict,
            confidence=round(float(proposal.confidence), 4), reasoning=proposal.reasoning, suggested_at=as_of,
            suggested_by=proposal.suggested_by, status=Decision.Status.PENDING, error_class=proposal.error_class,
            lifecycle_status=proposal.lifecycle_status, situation_key=proposal.situation_key[:255],
            evidence=proposal.evidence, evidence_hash=digest, auto_execute=proposal.policy.auto_execute,
            auto_execute_reason=proposal.policy.reason, proposed_change=_proposed_change(proposal),
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
