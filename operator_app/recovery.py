"""Closing the lifecycle: disabled models come back and candidates get in — by probing.

A recheck run (`manage.py recheck_models`, the daily `recheck-models` beat task) holds the operator
lock and goes in three steps:

1. **Due.** A disabled model whose class is recoverable (RECOVERABLE_CLASSES) is due once its
   `recheck_after` has passed; a candidate added from discovery is due until it is admitted or
   rejected; an enabled model past its announced retirement date is probed once a day for a week.
   A model whose provider recovered from a billing or credential incident (another of its models
   succeeds again, in the benchmark or a probe) is due at once. Hard classes are probed only when a
   human asks (`--model P/ID`). Nothing is probed twice within an hour, nor once its evidence is
   complete (two successful probes an hour apart, the newer within a day); an early probe after a
   provider's recovery that fails is not repeated (the model's own schedule resumes).
2. **Probe**, within PROBE_MAX_PER_RUN / PROBE_MAX_PER_PROVIDER, oldest due first
   (lifecycle.probes); a provider that recovered has its other models probed in a second round.
3. **Decide** from each model's probes since it was disabled — only conclusive ones count (a 429, a
   timeout, a 5xx or a network error says nothing and changes nothing):
   - recovery: a success → an **enable** decision; a failure → `recheck_after` moves out 3, 7, then
     30 days (registry.services.registry_recheck_defer, audited);
   - admission: two successes → an enable decision; two definitive refusals (404/400 model errors)
     → the candidate is rejected with the reason and rechecked after 30 days (audited).
   Enable decisions go through the policy (operator_app.policy: unattended only for a model the
   operator disabled unattended for a recoverable class — or a candidate with
   ADMISSION_AUTO_ENABLE — after two successful probes an hour apart, within the kill switch and the
   caps), then human verdicts and unattended holds (which can only hold it back), then persist
   (which owns only enable decisions here) and execution through the audited registry service.

A dry run says what is due and probes, writes and executes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from lifecycle.models import ModelProbe
from lifecycle.probes import ProbeTarget, prober_for, probes_run
from lifecycle.retirements import day_start, retirement_calendar
from lifecycle.selectors import probe_history, provider_last_successes
from lifecycle.snapshots import ModelSnapshot
from llmops.lib.dates import iso_utc
from llmops.lib.text import sanitize_text
from operator_app import policy as policy_mod
from operator_app.locking import operator_lock
from operator_app.models import Decision
from operator_app.persist import RECHECK_ACTIONS, decisions_persist
from operator_app.proposals import Proposal
from operator_app.services import decisions_auto_execute, model_status_mirror
from operator_app.verdicts import human_verdicts, proposal_check, proposal_hear
from registry.models import AuditLog, RegisteredModel
from registry.selectors import unattended_holds
from registry.services import Actor, ChangeError, registry_candidate_reject, registry_recheck_defer
from registry.vocabulary import ACCOUNT_CLASSES, RECOVERABLE_CLASSES, Action, ErrorClass

RECOVERY, ADMISSION, HARD = "recovery", "admission", "hard"
PURPOSE = {RECOVERY: ModelProbe.Purpose.RECHECK, ADMISSION: ModelProbe.Purpose.ADMISSION}
# How far back a model's probes are read: beyond the longest backoff step three times over.
HISTORY = timedelta(days=90)
# A failed recheck's next one: 3 days, then 7, then every 30.
BACKOFF = (timedelta(days=3), timedelta(days=7), timedelta(days=30))
CANDIDATE_RECHECK = timedelta(days=30)
REFUSALS_TO_REJECT = 2
SUCCESSES_TO_ADMIT = 2
# Complete evidence (two successes an hour apart) needs no probe while its newer success is this fresh.
FRESH = timedelta(hours=24)
# Enabled models past their announced date are probed once a day for this long.
RETIREMENT_PROBE_DAYS = 7
RETIREMENT_PROBE_EVERY = timedelta(hours=24)
# Two or more models of a provider disabled for the same account class this close together: an incident.
INCIDENT_WINDOW = timedelta(hours=24)


class RecheckError(Exception):
    """The run cannot do what was asked (an unknown model, an enabled one); nothing was done."""


# --- what the probes say about one disabled model --------------------------------------------------

@dataclass
class ModelState:
    row: RegisteredModel
    kind: str  # recovery | admission | hard
    probes: list[ModelProbe] = field(default_factory=list)  # since it was disabled, oldest first
    disabled_unattended: bool = False
    provenance: dict = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return self.row.key

    @property
    def conclusive(self) -> list[ModelProbe]:
        return [p for p in self.probes if p.conclusive]

    def _trailing(self, test) -> list[ModelProbe]:
        run = []
        for probe in reversed(self.conclusive):
            if not test(probe):
                break
            run.append(probe)
        return run[::-1]

    @property
    def successes(self) -> list[ModelProbe]:
        """The successful probes since the last failed one."""
        return self._trailing(lambda p: p.ok)

    @property
    def failures(self) -> list[ModelProbe]:
        """The failed (conclusive) probes since the last successful one."""
        return self._trailing(lambda p: not p.ok)

    @property
    def refusals(self) -> list[ModelProbe]:
        return self._trailing(lambda p: not p.ok and p.error_class == ErrorClass.HARD_MODEL)

    @property
    def last_probe_at(self) -> datetime | None:
        return self.probes[-1].at if self.probes else None

    def confirmed(self, as_of: datetime) -> bool:
        """Two successes an hour apart, the newer fresh: nothing more to learn by probing."""
        oks = self.successes
        return (len(oks) >= 2 and oks[-1].at - oks[0].at >= policy_mod.PROBE_SPACING
                and as_of - oks[-1].at < FRESH)


def _kind(row: RegisteredModel) -> str:
    if row.is_candidate:
        return ADMISSION
    return RECOVERY if row.disabled_class in RECOVERABLE_CLASSES else HARD


def _states(rows, *, as_of: datetime) -> dict[tuple[str, str], ModelState]:
    """Each disabled row's state: probes of its current episode, who disabled it, a candidate's
    provenance (two reads)."""
    states = {row.key: ModelState(row, _kind(row)) for row in rows}
    if not states:
        return {}
    history = probe_history(keys=states, since=as_of - HISTORY, as_of=as_of)
    for key, state in states.items():
        start = state.row.disabled_at
        state.probes = [p for p in history.get(key, []) if start is None or p.at >= start]
    providers = sorted({p for p, _ in states})
    # By provider only: one row per disable or add, and the disabled models may be thousands.
    audits = AuditLog.objects.filter(action__in=["disable", "add"], status=AuditLog.Status.APPLIED,
                                     provider__in=providers)
    for audit in audits.order_by("at").only("provider", "model_id", "action", "actor_type", "after"):
        state = states.get((audit.provider, audit.model_id))
        if state is None:
            continue
        if audit.action == "disable":
            state.disabled_unattended = audit.actor_type == AuditLog.ActorType.OPERATOR
        elif isinstance(audit.after, dict) and isinstance(audit.after.get("provenance"), dict):
            state.provenance = audit.after["provenance"]
    return states


# --- due ---------------------------------------------------------------------------------------------

def _incidents(rows) -> set[tuple[str, str]]:
    """(provider, class) of account incidents: two or more of its models disabled for that billing or
    credentials class within INCIDENT_WINDOW of each other."""
    times: dict[tuple[str, str], list[datetime]] = {}
    for row in rows:
        if row.disabled_class in ACCOUNT_CLASSES and row.disabled_at is not None:
            times.setdefault((row.provider, row.disabled_class), []).append(row.disabled_at)
    found = set()
    for key, moments in times.items():
        moments.sort()
        if any(b - a <= INCIDENT_WINDOW for a, b in zip(moments, moments[1:])):
            found.add(key)
    return found


def _provider_recovered(state: ModelState, *, incidents, last_success: dict) -> datetime | None:
    """When the provider succeeded again after the incident this model was disabled in, if it has since
    the model was disabled and last looked at. An early probe that failed is not repeated on the next
    success of another model (it is this model's own trouble, then): its schedule resumes."""
    row = state.row
    if (row.provider, row.disabled_class) not in incidents:
        return None
    conclusive = state.conclusive
    if conclusive and not conclusive[-1].ok and conclusive[-1].purpose == ModelProbe.Purpose.PROVIDER_RECOVERED:
        return None
    success = last_success.get(row.provider)
    looked = max(filter(None, [row.disabled_at] + [p.at for p in conclusive]), default=None)
    if success is None or (looked is not None and success <= looked):
        return None
    return success


def _due(state: ModelState, *, as_of: datetime, incidents, last_success: dict) -> ProbeTarget | None:
    row = state.row
    if state.kind == HARD:
        return None  # only when a human asks
    last = state.last_probe_at
    if last is not None and as_of - last < policy_mod.PROBE_SPACING:
        return None
    if state.confirmed(as_of):
        return None
    base = row.recheck_after or row.disabled_at
    if row.recheck_after is None or row.recheck_after <= as_of:
        due_at = max(filter(None, [base, last]), default=None)
        return ProbeTarget(row.provider, row.model_id, PURPOSE[state.kind], due_at=due_at)
    recovered = _provider_recovered(state, incidents=incidents, last_success=last_success)
    if recovered is not None:
        return ProbeTarget(row.provider, row.model_id, ModelProbe.Purpose.PROVIDER_RECOVERED, due_at=recovered)
    return None


def _retirement_targets(*, as_of: datetime, providers, asked: set) -> list[ProbeTarget]:
    """Enabled models past their announced date (up to RETIREMENT_PROBE_DAYS), once a day each."""
    today = as_of.date()
    calendar = retirement_calendar(providers=providers,
                                   between=(today - timedelta(days=RETIREMENT_PROBE_DAYS), today))
    calendar = {k: r for k, r in calendar.items() if day_start(r.retires_on) <= as_of and k not in asked}
    if not calendar:
        return []
    enabled = {row.key for row in RegisteredModel.objects.filter(
        enabled=True, provider__in=sorted({p for p, _ in calendar}),
        model_id__in=sorted({m for _, m in calendar})).only("provider", "model_id")}
    history = probe_history(keys=enabled, since=as_of - RETIREMENT_PROBE_EVERY, as_of=as_of)
    return [ProbeTarget(p, m, ModelProbe.Purpose.RETIREMENT, due_at=day_start(calendar[(p, m)].retires_on))
            for p, m in sorted(enabled) if not history.get((p, m))]


# --- the run -----------------------------------------------------------------------------------------

@dataclass
class RecheckReport:
    as_of: datetime
    dry_run: bool
    due: list[ProbeTarget] = field(default_factory=list)
    probed: list[tuple[ProbeTarget, ModelProbe]] = field(default_factory=list)
    waiting: list[ProbeTarget] = field(default_factory=list)  # over a cap: the next run
    skipped: dict[str, str] = field(default_factory=dict)  # provider -> why it cannot be probed
    not_probed: list[ProbeTarget] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    decisions_created: int = 0
    superseded: int = 0
    executed: list = field(default_factory=list)  # DecisionOutcome of what ran unattended
    deferred: list[tuple[str, datetime, int]] = field(default_factory=list)  # (P/M, next recheck, failures)
    rejected: list[tuple[str, datetime, str]] = field(default_factory=list)  # (P/M, next recheck, why)
    errors: list[str] = field(default_factory=list)

    @property
    def pending(self) -> list[Proposal]:
        return [p for p in self.proposals if p.action == Action.ENABLE and not p.executed and not p.held_by]

    @property
    def counts(self) -> dict:
        return dict(Counter(t.purpose for t in self.due))


def _scope(*, providers, model_keys) -> tuple[list[RegisteredModel], set[tuple[str, str]]]:
    """The disabled rows a run looks at, and the (provider, model_id) a human asked for."""
    asked = {tuple(k) for k in model_keys or []}
    if asked:
        found = {row.key: row for row in RegisteredModel.objects.filter(
            provider__in=sorted({p for p, _ in asked}), model_id__in=sorted({m for _, m in asked}))
            if row.key in asked}
        missing = sorted(f"{p}/{m}" for p, m in asked - set(found))
        if missing:
            raise RecheckError(f"not in the registry: {', '.join(missing)}")
        enabled = sorted(str(row) for row in found.values() if row.enabled)
        if enabled:
            raise RecheckError(f"enabled, nothing to recheck: {', '.join(enabled)}")
        return list(found.values()), asked
    rows = RegisteredModel.objects.filter(enabled=False)
    if providers:
        rows = rows.filter(provider__in=sorted(providers))
        if not RegisteredModel.objects.filter(provider__in=sorted(providers)).exists():
            raise RecheckError(f"no registry model of provider {', '.join(sorted(providers))}")
    return list(rows.order_by("provider", "model_id")), asked


def recheck_run(*, as_of: datetime | None = None, providers=None, model_keys=None, dry_run: bool = False,
                factory=prober_for, progress=None) -> RecheckReport:
    """One recheck run (see the module docstring). `factory(provider)` gives a provider's probe (tests
    point it at a local server through settings.PROVIDERS; the default is lifecycle.probes.prober_for).
    `as_of` stamps the run and its probes (default now)."""
    stamp = as_of
    as_of = as_of or timezone.now()
    report = RecheckReport(as_of=as_of, dry_run=dry_run)
    rows, asked = _scope(providers=providers, model_keys=model_keys)
    if dry_run:
        states = _states(rows, as_of=as_of)
        report.due = _targets(states, asked=asked, as_of=as_of, providers=providers, model_keys=model_keys)
        return report
    with operator_lock() as lease:
        def probed(n):
            lease.renew()
            if progress:
                progress(n)

        states = _states(rows, as_of=as_of)
        report.due = _targets(states, asked=asked, as_of=as_of, providers=providers, model_keys=model_keys)
        _absorb(report, probes_run(targets=report.due, as_of=stamp, factory=factory, progress=probed))
        if report.probed:
            # A provider whose models answer again after an incident: its other models are due at once.
            now = stamp or timezone.now()
            seen = {t.key for t in report.due}
            more = [t for t in _targets(_states(rows, as_of=now), asked=set(), as_of=now, providers=providers,
                                        model_keys=model_keys) if t.key not in seen]
            if more:
                used = Counter(t.provider for t, _ in report.probed)
                report.due += more
                _absorb(report, probes_run(targets=more, as_of=stamp, factory=factory, progress=probed,
                                           max_per_run=max(settings.PROBE_MAX_PER_RUN - sum(used.values()), 0),
                                           already=used))
            states = _states(rows, as_of=stamp or timezone.now())
        lease.renew(force=True)
        _decide(report, states, asked=asked, as_of=stamp or timezone.now())
    return report


def _absorb(report: RecheckReport, run) -> None:
    report.probed += run.probed
    report.waiting += run.waiting
    report.skipped.update(run.skipped)
    report.not_probed += run.not_probed


def _targets(states, *, asked, as_of, providers, model_keys) -> list[ProbeTarget]:
    incidents = _incidents(state.row for state in states.values())
    last_success = provider_last_successes(providers={p for p, _ in states}, as_of=as_of) if incidents else {}
    targets = []
    for key, state in states.items():
        if key in asked:
            targets.append(ProbeTarget(key[0], key[1], ModelProbe.Purpose.MANUAL, asked=True))
            continue
        if target := _due(state, as_of=as_of, incidents=incidents, last_success=last_success):
            targets.append(target)
    if not model_keys:
        targets += _retirement_targets(as_of=as_of, providers=providers, asked=asked)
    return targets


# --- deciding ----------------------------------------------------------------------------------------

def _snapshot(provider: str, model_id: str, *, disabled_at: datetime | None = None) -> ModelSnapshot:
    # A disabled model is not benchmarked: its "streak" is its disabled episode, which is what
    # a human verdict about bringing it back was given on (operator_app.verdicts).
    return ModelSnapshot(provider=provider, model_id=model_id, window_hours=1, runs=0, successes=0,
                         last_success_at=None, enabled=False, streak_started_at=disabled_at)


def _probe_doc(probe: ModelProbe) -> dict:
    return {"at": iso_utc(probe.at), "purpose": probe.purpose, "ok": probe.ok, "status": probe.http_status,
            "class": probe.error_class, "conclusive": probe.conclusive, "latency_ms": probe.latency_ms,
            "message": sanitize_text(probe.message, 300)}


def _evidence(state: ModelState, *, as_of: datetime) -> dict:
    row = state.row
    evidence = {
        "as_of": iso_utc(as_of),
        "error_class": row.disabled_class,
        "situation": {"key": f"{state.kind}:{row.provider}/{row.model_id}"[:255], "kind": state.kind, "models": 1},
        "model": {"model_id": row.model_id, "streak_started_at": iso_utc(row.disabled_at),
                  "disabled_at": iso_utc(row.disabled_at), "disabled_class": row.disabled_class,
                  "disabled_by": row.disabled_by, "disabled_unattended": state.disabled_unattended,
                  "recheck_after": iso_utc(row.recheck_after)},
        "probes": [_probe_doc(p) for p in state.probes[-8:]],
        "samples": [{"status": p.http_status, "class": p.error_class, "message": sanitize_text(p.message, 300)}
                    for p in state.probes[-8:] if not p.ok][-3:],
    }
    if state.provenance:
        evidence["provenance"] = {k: state.provenance.get(k) for k in ("openrouter_id", "method", "confidence")}
    return evidence


def _enable_proposal(state: ModelState, *, as_of: datetime) -> Proposal:
    row, oks = state.row, state.successes
    spaced = len(oks) >= 2 and oks[-1].at - oks[0].at >= policy_mod.PROBE_SPACING
    when = " and ".join(f"{p.at:%Y-%m-%d %H:%M}" for p in ([oks[0], oks[-1]] if len(oks) > 1 else oks))
    if state.kind == ADMISSION:
        found = state.provenance.get("openrouter_id")
        reasoning = (f"Candidate {row.provider}/{row.model_id} answered {len(oks)} probes ({when} UTC)"
                     + (f"; discovered on OpenRouter as {found}" if found else "")
                     + ". Enabling it puts it in the benchmark.")
    else:
        by = "the operator (unattended)" if state.disabled_unattended else (row.disabled_by or "someone")
        since = f" since {row.disabled_at:%Y-%m-%d %H:%M} UTC" if row.disabled_at else ""
        reasoning = (f"Recovered: {len(oks)} probe(s) of {row.provider}/{row.model_id} succeeded ({when} UTC); "
                     f"disabled{since} for {row.disabled_class or 'no class'} by {by}. Enabling it puts it back "
                     "in the benchmark.")
    return Proposal(
        snapshot=_snapshot(row.provider, row.model_id, disabled_at=row.disabled_at), action=Action.ENABLE,
        confidence=0.95 if spaced else 0.7,
        reasoning=reasoning, suggested_by="probes", error_class=row.disabled_class or "manual",
        lifecycle_status="disabled", situation_key=f"{state.kind}:{row.provider}/{row.model_id}",
        evidence=_evidence(state, as_of=as_of), evidence_basis={"kind": state.kind, "successes": min(len(oks), 2),
                                                                "spaced": spaced},
    )


def _settled(state: ModelState) -> Proposal:
    """Nothing to enable now (its latest answer is a failure): any pending enable of it is stale."""
    return Proposal(snapshot=_snapshot(state.row.provider, state.row.model_id), action=Action.IGNORE, confidence=1.0,
                    reasoning="its latest probe failed", suggested_by="probes", error_class=state.row.disabled_class)


def _policy_item(proposal: Proposal, state: ModelState, *, as_of: datetime) -> policy_mod.PolicyInput:
    row = state.row
    return policy_mod.PolicyInput(
        provider=row.provider, model_id=row.model_id, action=proposal.action, confidence=proposal.confidence,
        error_class=row.disabled_class, streak_classes=(), streak_started_at=row.disabled_at or as_of,
        last_success_at=None, provider_wide=False, catalog=None,
        in_provider_catalog=None, disabled_class=row.disabled_class, disabled_unattended=state.disabled_unattended,
        admission=state.kind == ADMISSION, probe_successes=tuple(p.at for p in state.successes),
    )


def _failure_text(probes: list[ModelProbe]) -> str:
    last = probes[-1]
    return (f"{len(probes)} failed probe(s), the last {last.at:%Y-%m-%d %H:%M} UTC: "
            f"{last.http_status or 'no status'} {last.error_class}: {sanitize_text(last.message, 200)}")


def _after_failure(report: RecheckReport, state: ModelState, *, actor: Actor) -> None:
    """A failed recheck moves `recheck_after` out (3, 7, 30 days); two refusals reject a candidate.
    Once per failed probe: nothing to do when recheck_after is already past it."""
    row, failures = state.row, state.failures
    last = failures[-1]
    if row.recheck_after is not None and row.recheck_after > last.at:
        return
    label = f"{row.provider}/{row.model_id}"
    try:
        if state.kind == ADMISSION and state.refusals and len(state.refusals) < REFUSALS_TO_REJECT:
            return  # one refusal: the next probe, an hour on, confirms it or not
        if state.kind == ADMISSION and len(state.refusals) >= REFUSALS_TO_REJECT:
            when = last.at + CANDIDATE_RECHECK
            why = f"{len(state.refusals)} definitive refusals: {_failure_text(state.refusals)}"
            registry_candidate_reject(provider=row.provider, model_id=row.model_id, reason=why, recheck_after=when,
                                      actor=actor)
            report.rejected.append((label, when, why))
            return
        if state.kind == HARD:
            return  # looked at because a human asked; it has no recheck schedule to move
        when = last.at + BACKOFF[min(len(failures), len(BACKOFF)) - 1]
        registry_recheck_defer(provider=row.provider, model_id=row.model_id, recheck_after=when, actor=actor,
                               reason=f"recheck failed: {_failure_text(failures)}")
        report.deferred.append((label, when, len(failures)))
    except ChangeError as exc:
        report.errors.append(f"{label}: {exc}")


def _decide(report: RecheckReport, states: dict, *, asked: set, as_of: datetime) -> None:
    actor = Actor.operator()
    proposals: list[Proposal] = []
    items = {}
    for key, state in states.items():
        if not state.conclusive or (state.kind == HARD and key not in asked):
            continue
        if not state.conclusive[-1].ok:
            _after_failure(report, state, actor=actor)
            proposals.append(_settled(state))
            continue
        if state.kind == ADMISSION and len(state.successes) < SUCCESSES_TO_ADMIT:
            continue
        proposal = _enable_proposal(state, as_of=as_of)
        items[key] = _policy_item(proposal, state, as_of=as_of)
        proposal.policy = policy_mod.policy_check(item=items[key], as_of=as_of)
        proposals.append(proposal)
    proposals += _stale_enables(exclude={p.key for p in proposals})
    enables = [p for p in proposals if p.action == Action.ENABLE]
    if enables:
        seen = {p.provider for p in enables}
        verdicts, holds = human_verdicts(providers=seen), unattended_holds(providers=seen)
        for proposal in enables:
            check = proposal_check(proposal, situation_kind=states[proposal.key].kind, verdicts=verdicts, as_of=as_of)
            proposal_hear(proposal, check=check, holds=holds)
        policy_mod.policy_apply_caps(candidates=[(items[p.key], p.policy) for p in enables])
    report.proposals = proposals
    if not proposals:
        return
    persisted = decisions_persist(run=None, proposals=proposals, as_of=as_of, actions=RECHECK_ACTIONS)
    report.decisions_created, report.superseded = len(persisted.created), persisted.superseded
    for proposal in proposals:
        if (decision := persisted.by_key.get(proposal.key)) is not None:
            proposal.decision_id = decision.pk
    allowed = [persisted.by_key[p.key] for p in enables if p.policy.auto_execute and p.key in persisted.by_key]
    by_decision = {p.decision_id: p for p in enables}
    for outcome in decisions_auto_execute(decisions=allowed, run=None):
        proposal = by_decision.get(outcome.decision.pk)
        if proposal is not None:
            proposal.executed, proposal.execution_message = outcome.executed, outcome.message
        report.executed.append(outcome)
    model_status_mirror(decisions=list(persisted.by_key.values()),
                        settled=[p.key for p in proposals if p.action == Action.IGNORE], settled_actions=RECHECK_ACTIONS)


def _stale_enables(*, exclude: set) -> list[Proposal]:
    """A pending enable of a model that is enabled again (or gone) asks nothing any more: superseded."""
    pending = {(d["provider"], d["model_id"]) for d in Decision.objects.filter(
        status=Decision.Status.PENDING, action=Action.ENABLE).values("provider", "model_id")} - exclude
    if not pending:
        return []
    disabled = {row.key for row in RegisteredModel.objects.filter(
        enabled=False, provider__in=sorted({p for p, _ in pending}),
        model_id__in=sorted({m for _, m in pending})).only("provider", "model_id")}
    return [Proposal(snapshot=_snapshot(p, m), action=Action.IGNORE, confidence=1.0, reasoning="enabled again (or gone)",
                     suggested_by="probes", error_class="") for p, m in sorted(pending - disabled)]
