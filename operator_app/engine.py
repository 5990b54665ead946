"""One operator pass: collect → triage → reason → policy → persist → auto-execute.

- collect: lifecycle.collector.collect_snapshots (or a SnapshotSet replayed from a file);
- triage: rules settle disabled and clearly healthy models (`ignore`), no LLM;
- reason: the rest is grouped into situations and sent to the LLM in token-budgeted
  batches; every situation the LLM did not answer validly is decided by the classifier,
  and the run records how many and why;
- policy: code decides what may run unattended (operator_app.policy), with caps;
- persist: model_status (lifecycle.services.model_status_write), decisions without
  duplicates, the model_status.operator_decision mirror;
- auto-execute: the allowed decisions, through the audited change service.

`dry_run` writes nothing and executes nothing. A non-dry pass holds a database lease
(operator_app.locking) and renews it at every checkpoint (each stage, each LLM batch, each
executed decision), so two passes at once cannot create duplicate decisions and a killed pass
blocks the next one for one lease at most.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from lifecycle.classifier import Verdict, classify_model, provider_problem
from lifecycle.collector import collect_snapshots
from lifecycle.services import model_status_write
from lifecycle.snapshots import SnapshotSet
from lifecycle.taxonomy import annotate_snapset
from llmops.lib.dates import iso_utc
from llmops.lib.text import sanitize_text
from operator_app import policy as policy_mod
from operator_app.llm import OperatorLLM, llm_cost
from operator_app.locking import operator_lock
from operator_app.models import OperatorRun
from operator_app.proposals import Proposal
from operator_app.services import decision_mirror_doc, decisions_auto_execute, decisions_persist, model_status_mirror
from operator_app.situations import Situation, model_facts, model_samples, situations_build
from operator_app.triage import model_error_class, streak_classes, triage_model
from registry.selectors import registry_states
from registry.vocabulary import Action

# Why the classifier decided a situation instead of the LLM, when the LLM was not used at all
# (the run's fallback reasons and RunReport.llm_off say which).
NO_API_KEY = "no_api_key"
NO_LLM_FLAG = "llm_off"


@dataclass
class RunReport:
    as_of: datetime
    dry_run: bool
    llm_enabled: bool
    llm_note: str
    run: OperatorRun
    # Why the LLM was not used (NO_LLM_FLAG, NO_API_KEY), or "" when it was on.
    llm_off: str = ""
    proposals: list[Proposal] = field(default_factory=list)
    situations: list[Situation] = field(default_factory=list)
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated_cost_usd: float = 0.0
    fallbacks: int = 0
    fallback_reasons: dict = field(default_factory=dict)
    ignored_answers: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    decisions_created: int = 0
    superseded: int = 0
    classifier_verdicts: dict = field(default_factory=dict)

    @property
    def counts(self) -> dict:
        c = Counter(p.action for p in self.proposals)
        return {str(action): c[action] for action in (Action.DISABLE, Action.MONITOR, Action.IGNORE)}

    @property
    def auto_execute(self) -> list[Proposal]:
        return [p for p in self.proposals if p.policy.auto_execute]

    @property
    def executed(self) -> list[Proposal]:
        return [p for p in self.proposals if p.executed]


class _Stopwatch:
    def __init__(self, timings: dict):
        self.timings = timings

    def __call__(self, name: str):
        watch = self

        class _Stage:
            def __enter__(self):
                self.start = time.perf_counter()

            def __exit__(self, *exc):
                watch.timings[name] = round(watch.timings.get(name, 0) + time.perf_counter() - self.start, 4)

        return _Stage()


def _snapset_filter(snapset: SnapshotSet, *, providers, model_keys) -> SnapshotSet:
    models = snapset.models
    if providers:
        models = [m for m in models if m.provider in set(providers)]
    if model_keys:
        models = [m for m in models if m.key in set(model_keys)]
    return SnapshotSet(as_of=snapset.as_of, providers=snapset.providers, models=models, source=snapset.source)


def _llm_mode(use_llm: bool) -> tuple[str, str]:
    """(why the LLM is off, or "" when it is on; the note the summary prints)."""
    if not use_llm:
        return NO_LLM_FLAG, "LLM off (--no-llm): the deterministic classifier decided every situation"
    if not settings.OPENAI_API_KEY:
        return NO_API_KEY, "no OPENAI_API_KEY: the deterministic classifier decided every situation"
    return "", f"LLM {settings.OPERATOR_LLM_MODEL}"


def _proposal_from_verdict(snapshot, verdict: Verdict, *, suggested_by: str, situation: Situation | None,
                           fallback_reason: str = "") -> Proposal:
    return Proposal(
        snapshot=snapshot, action=verdict.action, confidence=float(verdict.confidence),
        reasoning=verdict.reasoning, suggested_by=suggested_by, error_class=model_error_class(snapshot),
        lifecycle_status=verdict.lifecycle_status, situation_key=situation.key if situation else "",
        fallback_reason=fallback_reason,
    )


def _evidence(proposal: Proposal, *, situation: Situation | None, as_of: datetime) -> dict:
    s = proposal.snapshot
    evidence = {
        "as_of": iso_utc(as_of),
        "model": model_facts(s, as_of=as_of),
        "error_class": proposal.error_class,
        "streak_classes": list(streak_classes(s)),
        "samples": model_samples([s]),
    }
    if situation is not None:
        evidence["situation"] = {"key": situation.key, "kind": situation.kind, "models": len(situation.members)}
        # Top level: the admin's evidence table and the health report's provider-issues query
        # (evidence__provider_context__provider_problem) read them there.
        evidence["provider_context"] = situation.evidence.get("provider_context")
        evidence["catalog"] = situation.evidence.get("catalog")
    if proposal.fallback_reason:
        evidence["fallback_reason"] = proposal.fallback_reason
    return evidence


def decide_snapset(*, snapset: SnapshotSet, as_of: datetime, use_llm: bool, report: RunReport, progress=None,
                   llm=None) -> list[Proposal]:
    """Triage, reason and apply the policy to one snapshot set (no database access)."""
    stage = _Stopwatch(report.timings)
    with stage("triage"):
        annotate_snapset(snapset)
        problems = {name: provider_problem(ctx) for name, ctx in snapset.providers.items()}
        verdicts = {m.key: classify_model(m, snapset.providers.get(m.provider), as_of=as_of) for m in snapset.models}
        report.classifier_verdicts.update(verdicts)
        proposals: dict[tuple[str, str], Proposal] = {}
        rest = []
        for snapshot in snapset.models:
            settled = triage_model(snapshot, as_of=as_of)
            if settled is None:
                rest.append(snapshot)
                continue
            verdict = verdicts[snapshot.key]
            # The classifier's wording is richer (deprecation dates, earlier errors) when it agrees.
            reasoning = verdict.reasoning if verdict.action == settled.action else settled.reasoning
            proposals[snapshot.key] = Proposal(
                snapshot=snapshot, action=settled.action, confidence=settled.confidence, reasoning=reasoning,
                suggested_by="rules", error_class=model_error_class(snapshot),
                lifecycle_status=verdict.lifecycle_status,
            )
        situations = situations_build(snapset=snapset, snapshots=rest, as_of=as_of, provider_problems=problems)
        report.situations.extend(situations)

    with stage("reason"):
        answers, failures = {}, {}
        if situations and report.llm_enabled:
            client = llm or OperatorLLM()
            result = client.decide(situations, as_of_iso=iso_utc(as_of), progress=progress)
            answers, failures = result.answers, result.failures
            report.llm_calls += result.calls
            report.prompt_tokens += result.prompt_tokens
            report.completion_tokens += result.completion_tokens
            report.estimated_cost_usd = llm_cost(prompt_tokens=report.prompt_tokens,
                                                 completion_tokens=report.completion_tokens)
            for reason, n in result.ignored.items():
                report.ignored_answers[reason] = report.ignored_answers.get(reason, 0) + n
        elif situations:
            failures = {s.id: report.llm_off for s in situations}
        for situation in situations:
            answer = answers.get(situation.id)
            if answer is not None:
                single = len(situation.members) == 1
                for snapshot in situation.members:
                    proposals[snapshot.key] = Proposal(
                        snapshot=snapshot, action=answer.action, confidence=answer.confidence,
                        reasoning=answer.reasoning, suggested_by="llm", error_class=model_error_class(snapshot),
                        lifecycle_status=verdicts[snapshot.key].lifecycle_status, situation_key=situation.key,
                        suggested_model_id=answer.suggested_model_id if single else None,
                    )
                continue
            reason = failures.get(situation.id, "missing_situation")
            report.fallbacks += 1
            report.fallback_reasons[reason] = report.fallback_reasons.get(reason, 0) + 1
            for snapshot in situation.members:
                proposals[snapshot.key] = _proposal_from_verdict(
                    snapshot, verdicts[snapshot.key], suggested_by="classifier-fallback", situation=situation,
                    fallback_reason=reason,
                )

    with stage("policy"):
        member_situation = {m.key: s for s in situations for m in s.members}
        ordered = [proposals[m.key] for m in snapset.models]
        checked = []
        for proposal in ordered:
            s = proposal.snapshot
            ctx = snapset.providers.get(s.provider)
            item = policy_mod.PolicyInput(
                provider=s.provider, model_id=s.model_id, action=proposal.action, confidence=proposal.confidence,
                error_class=proposal.error_class, streak_classes=streak_classes(s),
                streak_started_at=s.streak_started_at, last_success_at=s.last_success_at,
                provider_wide=bool(problems.get(s.provider)), catalog=ctx.catalog if ctx else None,
                in_provider_catalog=s.in_provider_catalog,
            )
            proposal.policy = policy_mod.policy_check(item=item, as_of=as_of)
            proposal.evidence = _evidence(proposal, situation=member_situation.get(s.key), as_of=as_of)
            checked.append((item, proposal.policy))
        policy_mod.policy_apply_caps(candidates=checked)
    return ordered


def _run_record(*, as_of, providers, model_keys, dry_run, use_llm, trigger, llm_enabled) -> OperatorRun:
    return OperatorRun(
        as_of=as_of, trigger=trigger, status=OperatorRun.Status.RUNNING, llm_enabled=llm_enabled,
        llm_model=settings.OPERATOR_LLM_MODEL if llm_enabled else "",
        params={"providers": list(providers or []), "models": ["/".join(k) for k in model_keys or []],
                "dry_run": dry_run, "use_llm": use_llm, "auto_confidence": policy_mod.AUTO_CONFIDENCE,
                "auto_execute": settings.OPERATOR_AUTO_EXECUTE},
    )


def _run_fill(run: OperatorRun, report: RunReport) -> None:
    run.models_analyzed = len(report.proposals)
    run.situations = len(report.situations)
    run.llm_calls = report.llm_calls
    run.prompt_tokens = report.prompt_tokens
    run.completion_tokens = report.completion_tokens
    run.estimated_cost_usd = report.estimated_cost_usd
    run.fallbacks = report.fallbacks
    run.fallback_reasons = dict(report.fallback_reasons)
    if report.ignored_answers:
        run.fallback_reasons["ignored_answers"] = dict(report.ignored_answers)
    run.counts = {**report.counts, "auto_execute_allowed": len(report.auto_execute), "superseded": report.superseded}
    run.auto_executed = len(report.executed)
    run.pending = sum(1 for p in report.proposals if p.action != Action.IGNORE and not p.executed)
    run.decisions_created = report.decisions_created
    run.timings = dict(report.timings)


def operator_run(*, as_of=None, providers=None, model_keys=None, dry_run=False, use_llm=True, trigger="command",
                 progress=None, snapset: SnapshotSet | None = None, llm=None) -> RunReport:
    """One operator pass. With `snapset` it decides from that snapshot (replay) instead of collecting."""
    as_of = as_of or (snapset.as_of if snapset is not None else timezone.now())
    llm_off, llm_note = _llm_mode(use_llm)
    run = _run_record(as_of=as_of, providers=providers, model_keys=model_keys, dry_run=dry_run, use_llm=use_llm,
                      trigger=trigger, llm_enabled=not llm_off)
    report = RunReport(as_of=as_of, dry_run=dry_run, llm_enabled=not llm_off, llm_note=llm_note, run=run,
                       llm_off=llm_off)
    if dry_run:
        _run_stages(report, snapset=snapset, providers=providers, model_keys=model_keys, progress=progress, llm=llm)
        _run_fill(run, report)
        return report
    with operator_lock() as lease:
        run.save()
        try:
            lease.attach(run)
            _run_stages(report, snapset=snapset, providers=providers, model_keys=model_keys,
                        progress=_renewing(progress, lease), llm=llm, lease=lease)
        except BaseException as exc:
            # Any end but success is recorded (a KeyboardInterrupt too): never left `running`.
            _run_fill(run, report)
            run.status, run.finished_at = OperatorRun.Status.FAILED, timezone.now()
            run.error = sanitize_text(f"{type(exc).__name__}: {exc}", limit=2000)
            run.save()
            raise
        _run_fill(run, report)
        run.status, run.finished_at = OperatorRun.Status.SUCCEEDED, timezone.now()
        run.save()
    return report


def _registry_overlay(snapset: SnapshotSet) -> None:
    """A given snapshot that will be acted on takes `enabled` from the registry (one query):
    the registry, not a file, says what is disabled now."""
    providers = {m.provider for m in snapset.models}
    enabled = {(row["provider"], row["model_id"]): row["enabled"] for row in registry_states(providers=providers)}
    for snapshot in snapset.models:
        if snapshot.key in enabled:
            snapshot.enabled = enabled[snapshot.key]


def _renewing(progress, lease):
    """The progress callback, renewing the lease on the way (the LLM reports after every batch)."""
    def report(*args, **kwargs):
        lease.renew()
        if progress:
            progress(*args, **kwargs)
    return report


class _NoLease:
    def renew(self, *, force: bool = False) -> None:
        pass


def _run_stages(report: RunReport, *, snapset, providers, model_keys, progress, llm, lease=None) -> None:
    """collect → decide → persist → execute, each timed into report.timings (a dry run stops after deciding).
    `lease` is renewed between stages and steps; before each writing stage it must still be ours."""
    lease = lease or _NoLease()
    stage = _Stopwatch(report.timings)
    as_of = report.as_of
    with stage("collect"):
        if snapset is None:
            snapset = collect_snapshots(as_of=as_of, providers=providers, model_keys=model_keys)
        else:
            snapset = _snapset_filter(snapset, providers=providers, model_keys=model_keys)
            if not report.dry_run:
                _registry_overlay(snapset)
    lease.renew()
    report.proposals = decide_snapset(snapset=snapset, as_of=as_of, use_llm=report.llm_enabled, report=report,
                                      progress=progress, llm=llm)
    if report.dry_run:
        return
    run = report.run
    lease.renew(force=True)  # still ours, with a whole lease ahead, before anything is written
    with stage("persist"):
        persisted = decisions_persist(run=run, proposals=report.proposals, as_of=as_of, providers=providers)
        report.decisions_created = len(persisted.created)
        report.superseded = persisted.superseded
        for proposal in report.proposals:
            decision = persisted.by_key.get(proposal.key)
            if decision is not None:
                proposal.decision_id = decision.pk
        # model_status records the classifier's view (lifecycle status, its verdict); the
        # operator's decision is mirrored to operator_decision after execution. Rows created
        # now start with it, so the mirror rewrites only what execution changed.
        model_status_write(snapset=snapset, verdicts=report.classifier_verdicts,
                           operator_decisions=_mirror_docs(report.proposals, persisted.by_key, as_of=as_of))
    lease.renew(force=True)
    with stage("execute"):
        allowed = [persisted.by_key[p.key] for p in report.proposals if p.policy.auto_execute and p.key in persisted.by_key]
        by_decision = {p.decision_id: p for p in report.proposals if p.decision_id}
        for decision in allowed:
            lease.renew()
            # One at a time, marking each proposal as it goes: if the database fails midway,
            # the failed run's record still counts what this pass did execute.
            for outcome in decisions_auto_execute(decisions=[decision], run=run):
                proposal = by_decision.get(outcome.decision.pk)
                if proposal is not None:
                    proposal.executed = outcome.executed
                    proposal.execution_message = outcome.message
        model_status_mirror(decisions=list(persisted.by_key.values()), docs=_ignore_docs(report.proposals, as_of=as_of))


def _ignore_docs(proposals, *, as_of) -> dict:
    return {
        p.key: {
            "action": Action.IGNORE.value, "confidence": round(p.confidence, 4), "reasoning": p.reasoning,
            "suggested_at": iso_utc(as_of), "suggested_by": p.suggested_by, "status": "none", "executed_at": None,
        }
        for p in proposals if p.action == Action.IGNORE
    }


def _mirror_docs(proposals, by_key: dict, *, as_of) -> dict:
    """operator_decision as the mirror would write it before execution, per model."""
    docs = _ignore_docs(proposals, as_of=as_of)
    docs.update({key: decision_mirror_doc(decision) for key, decision in by_key.items()})
    return docs
