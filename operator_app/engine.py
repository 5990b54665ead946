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
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from lifecycle.classifier import Verdict, classify_model, provider_problem
from lifecycle.collector import collect_snapshots
from lifecycle.retirements import retirement_passed, retirements_from_warnings, snapshot_retirements_apply
from lifecycle.services import model_status_write
from lifecycle.snapshots import SnapshotSet
from lifecycle.taxonomy import annotate_snapset
from llmops.lib.dates import iso_utc
from llmops.lib.text import sanitize_text
from operator_app import policy as policy_mod
from operator_app.answers import AnswerCache, llm_budget_left
from operator_app.llm import OperatorLLM, llm_cost
from operator_app.locking import operator_lock
from operator_app.models import OperatorRun
from operator_app.persist import PASS_ACTIONS, decisions_persist
from operator_app.proposals import Proposal
from operator_app.renames import successor_find
from operator_app.services import decision_mirror_doc, decisions_auto_execute, decisions_resume, model_status_mirror
from operator_app.silence import runner_silence_hold
from operator_app.situations import Situation, model_facts, model_samples, situations_build
from operator_app.triage import model_error_class, streak_classes, triage_model
from operator_app.verdicts import human_verdicts, proposal_check, proposal_hear
from registry.selectors import registry_entries, registry_states, unattended_holds
from registry.vocabulary import Action, ErrorClass

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
    # Models human verdicts held back (operator_app.verdicts), as OperatorRun.held stores them.
    held: list = field(default_factory=list)
    # Decisions approved earlier whose process died before carrying them out, carried out now.
    resumed: list = field(default_factory=list)
    # Situations answered from stored answers, without a call (operator_app.answers).
    llm_cached: int = 0
    classifier_verdicts: dict = field(default_factory=dict)

    @property
    def counts(self) -> dict:
        c = Counter(p.action for p in self.proposals)
        counts = {str(action): c[action] for action in (Action.DISABLE, Action.MONITOR, Action.IGNORE)}
        counts.update({str(action): c[action] for action in (Action.RENAME, Action.ENABLE) if c[action]})
        if self.held:
            counts["held"] = len(self.held)
        return counts

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
    return SnapshotSet(as_of=snapset.as_of, providers=snapset.providers, models=models, source=snapset.source,
                       catalogs=snapset.catalogs)


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
        fallback_reason=fallback_reason, rules=verdict,
    )


# When the rules and the LLM disagree, the decision proposes the stronger action — for a human,
# never unattended (operator_app.policy) — with both verdicts on it.
_STRENGTH = {Action.IGNORE: 0, Action.MONITOR: 1, Action.DISABLE: 2}


def _proposal_from_answer(snapshot, answer, *, rules: Verdict, situation: Situation, single: bool) -> Proposal:
    common = {"snapshot": snapshot, "error_class": model_error_class(snapshot), "rules": rules, "llm_answer": answer,
              "lifecycle_status": rules.lifecycle_status, "situation_key": situation.key,
              "suggested_by": "llm-cached" if answer.cached else "llm",
              "suggested_model_id": answer.suggested_model_id if single else None}
    if answer.action == rules.action:
        return Proposal(action=answer.action, confidence=answer.confidence, reasoning=answer.reasoning, **common)
    stronger = rules if _STRENGTH[rules.action] >= _STRENGTH[answer.action] else answer
    return Proposal(action=stronger.action, confidence=float(stronger.confidence),
                    reasoning=(f"rules: {rules.action} ({rules.confidence:.2f}) · LLM: {answer.action} "
                               f"({answer.confidence:.2f}) — they disagree, a human decides. Rules: {rules.reasoning} "
                               f"LLM: {answer.reasoning}"), **common)


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
    if s.deprecation_date:
        # The retirement calendar's date (lifecycle.retirements), which the policy reads.
        evidence["retirement"] = {"date": s.deprecation_date, "successor": s.successor_model,
                                  "passed": retirement_passed(s, as_of) is not None}
    if proposal.successor is not None:
        evidence["successor"] = {"model_id": proposal.successor.model_id, "source": proposal.successor.source,
                                 "verified": proposal.successor.verified}
    return evidence


def decide_snapset(*, snapset: SnapshotSet, as_of: datetime, use_llm: bool, report: RunReport, progress=None,
                   llm=None, verdicts: dict | None = None, holds: dict | None = None, answer_cache=None,
                   budget_usd: float | None = None, entries: dict | None = None) -> list[Proposal]:
    """Triage, reason and apply the policy to one snapshot set (no database access of its own).

    `verdicts`/`holds` (operator_app.verdicts.human_verdicts, registry.selectors.unattended_holds) are
    what humans said before, `answer_cache` the stored LLM answers (operator_app.answers),
    `budget_usd` what the LLM may still cost today and `entries` the models just enabled or renamed
    (registry.selectors.registry_entries); a replay of files has none of them."""
    stage = _Stopwatch(report.timings)
    with stage("triage"):
        runner_silence_hold(snapset=snapset, report=report)  # a silent runner is no evidence: those models sit out
        annotate_snapset(snapset)
        # A replayed file's models get the dates their own warnings announce, as collected ones do.
        snapshot_retirements_apply(snapset, {})
        problems = {name: provider_problem(ctx) for name, ctx in snapset.providers.items()}
        classified = {m.key: classify_model(m, snapset.providers.get(m.provider), as_of=as_of)
                      for m in snapset.models}
        report.classifier_verdicts.update(classified)
        proposals: dict[tuple[str, str], Proposal] = {}
        rest = []
        for snapshot in snapset.models:
            settled = triage_model(snapshot, as_of=as_of, entered=(entries or {}).get(snapshot.key))
            if settled is None:
                rest.append(snapshot)
                continue
            verdict = classified[snapshot.key]
            # The classifier's wording is richer (deprecation dates, earlier errors) when it agrees.
            reasoning = verdict.reasoning if verdict.action == settled.action else settled.reasoning
            proposals[snapshot.key] = Proposal(
                snapshot=snapshot, action=settled.action, confidence=settled.confidence, reasoning=reasoning,
                suggested_by="rules", error_class=model_error_class(snapshot),
                lifecycle_status=verdict.lifecycle_status,
            )
        situations = situations_build(snapset=snapset, snapshots=rest, as_of=as_of, provider_problems=problems,
                                      verdicts=classified)
        report.situations.extend(situations)

    with stage("reason"):
        answers, failures = {}, {}
        if situations and report.llm_enabled:
            answers = answer_cache.lookup(situations) if answer_cache is not None else {}
            report.llm_cached += len(answers)
            to_ask = [s for s in situations if s.id not in answers]
            if to_ask:
                client = llm or OperatorLLM()
                result = client.decide(to_ask, as_of_iso=iso_utc(as_of), progress=progress, budget_usd=budget_usd)
                answers.update(result.answers)
                failures = result.failures
                report.llm_calls += result.calls
                report.prompt_tokens += result.prompt_tokens
                report.completion_tokens += result.completion_tokens
                report.estimated_cost_usd = llm_cost(prompt_tokens=report.prompt_tokens,
                                                     completion_tokens=report.completion_tokens)
                for reason, n in result.ignored.items():
                    report.ignored_answers[reason] = report.ignored_answers.get(reason, 0) + n
                if answer_cache is not None:
                    answer_cache.store(to_ask, result.answers)
        for situation in situations:
            answer = answers.get(situation.id)
            if answer is not None:
                single = len(situation.members) == 1
                for snapshot in situation.members:
                    proposals[snapshot.key] = _proposal_from_answer(
                        snapshot, answer, rules=classified[snapshot.key], situation=situation, single=single)
                continue
            if report.llm_off:
                # The LLM is off (--no-llm, no key): the classifier decides, and that is no fallback.
                reason, suggested_by = "", "classifier-fallback"
            else:
                reason = failures.get(situation.id, "missing_situation")
                report.fallbacks += 1
                report.fallback_reasons[reason] = report.fallback_reasons.get(reason, 0) + 1
                suggested_by = "classifier-fallback"
            for snapshot in situation.members:
                proposals[snapshot.key] = _proposal_from_verdict(
                    snapshot, classified[snapshot.key], suggested_by=suggested_by, situation=situation,
                    fallback_reason=reason,
                )

    with stage("policy"):
        member_situation = {m.key: s for s in situations for m in s.members}
        ordered = [proposals[m.key] for m in snapset.models]
        registered = {m.key for m in snapset.models if m.registered}
        checked = []
        for proposal in ordered:
            situation = member_situation.get(proposal.key)
            _rename_consider(proposal, catalog=snapset.catalogs.get(proposal.provider), registered=registered)
            item = _policy_input(proposal, snapset=snapset, problems=problems, as_of=as_of)
            proposal.policy = policy_mod.policy_check(item=item, as_of=as_of)
            if verdicts is not None:
                item = _verdicts_hear(proposal, item=item, situation=situation, verdicts=verdicts, holds=holds,
                                      as_of=as_of, snapset=snapset, problems=problems)
            proposal.evidence = _evidence(proposal, situation=situation, as_of=as_of)
            checked.append((item, proposal.policy))
        policy_mod.policy_apply_caps(candidates=checked)
    return ordered


def _policy_input(proposal: Proposal, *, snapset: SnapshotSet, problems: dict, as_of: datetime
                  ) -> policy_mod.PolicyInput:
    s = proposal.snapshot
    ctx = snapset.providers.get(s.provider)
    rules, answer = proposal.rules, proposal.llm_answer
    return policy_mod.PolicyInput(
        provider=s.provider, model_id=s.model_id, action=proposal.action, confidence=proposal.confidence,
        error_class=proposal.error_class, streak_classes=streak_classes(s),
        streak_started_at=s.streak_started_at, last_success_at=s.last_success_at,
        provider_wide=bool(problems.get(s.provider)), catalog=ctx.catalog if ctx else None,
        in_provider_catalog=s.in_provider_catalog,
        rules_action=rules.action if rules else None, rules_confidence=rules.confidence if rules else None,
        llm_action=answer.action if answer else None, llm_confidence=answer.confidence if answer else None,
        successes=s.successes, window_hours=s.window_hours, retired_at=retirement_passed(s, as_of),
    )


def _rename_consider(proposal: Proposal, *, catalog, registered) -> None:
    """A model gone under its ID whose verified successor is known becomes a rename proposal
    ("Update model ID to X"); it keeps the action it had, should a human decline the rename."""
    if proposal.error_class != ErrorClass.HARD_MODEL or proposal.action not in (Action.DISABLE, Action.MONITOR):
        return
    successor = successor_find(snapshot=proposal.snapshot, catalog=catalog, registered=registered,
                               llm_suggestion=proposal.suggested_model_id)
    if successor is None:
        return
    proposal.base_action, proposal.action, proposal.successor = proposal.action, Action.RENAME, successor
    proposal.suggested_model_id = successor.model_id
    proposal.reasoning = (f"Update model ID to {successor.model_id} (named by the {successor.source}; "
                          f"{successor.verified}). {proposal.reasoning}")


def _verdicts_hear(proposal: Proposal, *, item, situation, verdicts, holds, as_of, snapset, problems):
    """Human verdicts can only hold a change back (operator_app.verdicts). A rename a human declined on
    this evidence falls back to the action the model had, heard on its own verdicts, never unattended."""
    kind = situation.kind if situation is not None else ""
    check = proposal_check(proposal, situation_kind=kind, verdicts=verdicts, as_of=as_of)
    if check.held_by is not None and proposal.action == Action.RENAME and proposal.base_action:
        proposal.declined_rename = check.held_by
        proposal.action, proposal.suggested_model_id, proposal.successor = proposal.base_action, None, None
        item = _policy_input(proposal, snapset=snapset, problems=problems, as_of=as_of)
        proposal.policy = policy_mod.policy_check(item=item, as_of=as_of)
        check = proposal_check(proposal, situation_kind=kind, verdicts=verdicts, as_of=as_of)
    proposal_hear(proposal, check=check, holds=holds)
    if proposal.declined_rename is not None and proposal.policy.auto_execute:
        # A human who declined the rename has not said what should happen instead: they decide.
        proposal.policy = policy_mod.PolicyVerdict(False, f"the rename was declined ({proposal.declined_rename.text})"
                                                          "; a human decides what happens to it instead")
    return item


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
    run.pending = sum(1 for p in report.proposals if p.action != Action.IGNORE and not p.executed and not p.held_by)
    run.decisions_created = report.decisions_created
    run.held = list(report.held)
    run.llm_cached = report.llm_cached
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
    verdicts = holds = answer_cache = budget_usd = entries = None
    with stage("collect"):
        replay = snapset is not None and report.dry_run  # files decide alone: no database at all
        if snapset is None:
            snapset = collect_snapshots(as_of=as_of, providers=providers, model_keys=model_keys)
        else:
            snapset = _snapset_filter(snapset, providers=providers, model_keys=model_keys)
            if not report.dry_run:
                _registry_overlay(snapset)
        if not replay:
            seen = {m.provider for m in snapset.models}
            verdicts, holds = human_verdicts(providers=seen), unattended_holds(providers=seen)
            # Past RUNNER_SILENCE_HOURS with still no run, not running it is itself worth a human's look.
            entries = registry_entries(providers=seen, as_of=as_of,
                                       since=as_of - timedelta(hours=settings.RUNNER_SILENCE_HOURS))
            if report.llm_enabled:
                answer_cache = AnswerCache(as_of=as_of, write=not report.dry_run)
                budget_usd = llm_budget_left(as_of=as_of)
    lease.renew()
    report.proposals = decide_snapset(snapset=snapset, as_of=as_of, use_llm=report.llm_enabled, report=report,
                                      progress=progress, llm=llm, verdicts=verdicts, holds=holds,
                                      answer_cache=answer_cache, budget_usd=budget_usd, entries=entries)
    report.held = [{**p.held_by.as_dict(), "held_action": p.action} for p in report.proposals if p.held_by]
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
                           operator_decisions={key: decision_mirror_doc(d) for key, d in persisted.by_key.items()})
        # The dates deprecation warnings announce outlive the window they were read in.
        retirements_from_warnings(snapset=snapset, as_of=as_of)
    lease.renew(force=True)
    with stage("execute"):
        report.resumed = decisions_resume(run=run)
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
        settled = [p.key for p in report.proposals if p.action == Action.IGNORE]
        model_status_mirror(decisions=list(persisted.by_key.values()), settled=settled, settled_actions=PASS_ACTIONS)
