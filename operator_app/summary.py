"""Text and JSON renderings of an operator pass (command output, task logs)."""

from __future__ import annotations

from llmops.lib.dates import iso_utc
from operator_app import policy
from registry.vocabulary import Action


def replay_row(proposal, *, source: str) -> dict:
    """One object of the snapshot-format.md "Replay output"."""
    return {
        "source": source,
        "provider": proposal.provider,
        "model_id": proposal.model_id,
        "action": proposal.action,
        "confidence": round(float(proposal.confidence), 4),
        "auto_execute": bool(proposal.policy.auto_execute),
        "error_class": proposal.error_class or None,
        "suggested_by": proposal.suggested_by,
        "reasoning": proposal.reasoning,
    }


def report_json(report) -> dict:
    return {
        "as_of": iso_utc(report.as_of),
        "dry_run": report.dry_run,
        "run_id": None if report.dry_run else report.run.pk,
        "llm": report.llm_note,
        "models_analyzed": len(report.proposals),
        "situations": len(report.situations),
        "counts": report.counts,
        "llm_calls": report.llm_calls,
        "prompt_tokens": report.prompt_tokens,
        "completion_tokens": report.completion_tokens,
        "estimated_cost_usd": report.estimated_cost_usd,
        "fallbacks": report.fallbacks,
        "fallback_reasons": report.fallback_reasons,
        "llm_cached": report.llm_cached,
        "llm_off": report.llm_off or None,
        "auto_confidence": policy.AUTO_CONFIDENCE,
        "timings": report.timings,
        "runner_silence": (report.run.params or {}).get("runner_silence"),
        "decisions": [
            {**replay_row(p, source="db"), "auto_execute_reason": p.policy.reason, "executed": p.executed,
             "decision_id": p.decision_id or None, "situation": p.situation_key or None,
             "suggested_model_id": p.suggested_model_id, "held_by": p.held_by.as_dict() if p.held_by else None,
             "rules": p.rules.action if p.rules else None, "llm": p.llm_answer.action if p.llm_answer else None}
            for p in report.proposals if p.action != Action.IGNORE
        ],
        "held": report.held,
    }


def report_text(report) -> str:
    """The seed's summary shape: analyzed N, action counts, confident disables, what ran, LLM use."""
    c = report.counts
    threshold = policy.AUTO_CONFIDENCE
    lines = [
        f"Operator pass as of {report.as_of:%Y-%m-%d %H:%M} UTC" + (" (dry run: nothing written)" if report.dry_run else ""),
        f"  analyzed {len(report.proposals)} models in {len(report.situations)} situations",
        f"  disable: {c['disable']}  monitor: {c['monitor']}  ignore: {c['ignore']}"
        + "".join(f"  {action}: {c[action]}" for action in (Action.RENAME, Action.ENABLE) if c.get(action)),
    ]
    silence = (report.run.params or {}).get("runner_silence")
    if silence:
        lines += [f"  RUNNER SILENT: {message}" for message in silence["messages"]]
        lines.append(f"  {silence['models_held']} model(s) held out of this pass: no evidence, nothing decided "
                     "about them until the runner writes again")
    confident = [p for p in report.proposals if p.action == Action.DISABLE and p.confidence >= threshold
                 and not p.held_by]
    if confident:
        lines.append(f"  high-confidence disables (≥ {threshold:.2f}):")
        for p in confident:
            lines.append(f"    - {p.provider}/{p.model_id} ({p.confidence:.2f}, {p.suggested_by}): {p.reasoning[:240]}")
    allowed = report.auto_execute
    verb = "would auto-execute" if report.dry_run else "auto-executed"
    done = allowed if report.dry_run else report.executed
    lines.append(f"  {verb}: {len(done)}")
    for p in done:
        lines.append(f"    - {p.action} {p.provider}/{p.model_id}: {p.policy.reason}")
    failed = [p for p in allowed if not report.dry_run and not p.executed]
    for p in failed:
        lines.append(f"    ! {p.provider}/{p.model_id} not executed: {p.execution_message}")
    capped = [p for p in report.proposals if p.policy.capped]
    if capped:
        lines.append(f"  left pending by the caps: {len(capped)} (they run on the next passes)")
    renames = [p for p in report.proposals if p.action == Action.RENAME and not p.held_by]
    for p in renames:
        lines.append(f"  rename suggested: {p.provider}/{p.model_id}: Update model ID to {p.successor.model_id} "
                     f"({p.successor.source}; {p.successor.verified})")
    held = [p for p in report.proposals if p.held_by]
    if held:
        lines.append(f"  held by human verdicts: {len(held)} (no new decision, nothing unattended)")
        for p in held:
            lines.append(f"    - {p.action} {p.provider}/{p.model_id}: held by {p.held_by.text}")
    reopened = [p for p in report.proposals if p.reopened_by]
    for p in reopened:
        lines.append(f"  reopened for a human: {p.action} {p.provider}/{p.model_id}: {p.policy.reason}")
    if report.resumed:
        lines.append(f"  carried out earlier approvals whose process had died: {len(report.resumed)}")
    pending = sum(1 for p in report.proposals if p.action != Action.IGNORE and not p.executed and not p.held_by)
    lines.append(f"  pending for review: {pending}" + ("" if report.dry_run else
                                                        f" ({report.decisions_created} new decisions)"))
    lines.append(f"  {report.llm_note}")
    lines.append(f"  LLM calls: {report.llm_calls}, tokens: {report.prompt_tokens} prompt + "
                 f"{report.completion_tokens} completion (~${report.estimated_cost_usd:.4f})"
                 + (f"; {report.llm_cached} situation(s) answered from stored answers (unchanged)"
                    if report.llm_cached else ""))
    disagreements = [p for p in report.proposals if p.disagreement]
    if disagreements:
        lines.append(f"  rules and LLM disagree on {len(disagreements)} model(s) (pending for a human):")
        for p in disagreements[:20]:
            lines.append(f"    - {p.provider}/{p.model_id}: rules: {p.rules.action} · LLM: {p.llm_answer.action}")
    if report.fallbacks:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(report.fallback_reasons.items()))
        lines.append(f"  FALLBACK to the classifier for {report.fallbacks} situation(s) — {reasons}")
    if report.ignored_answers:
        ignored = ", ".join(f"{k}: {v}" for k, v in sorted(report.ignored_answers.items()))
        lines.append(f"  LLM answers thrown away: {ignored}")
    timings = ", ".join(f"{k} {v:.2f}s" for k, v in report.timings.items())
    lines.append(f"  timings: {timings}")
    return "\n".join(lines)


# --- recheck runs (operator_app.recovery) ------------------------------------------------------------

def _probe_line(target, probe) -> str:
    if probe.ok:
        outcome = f"ok {probe.http_status or ''}".strip()
    else:
        weight = "" if probe.conclusive else " (inconclusive: counts for nothing)"
        outcome = f"{probe.http_status or 'no status'} {probe.error_class}{weight}: {probe.message[:160]}"
    latency = f" ({probe.latency_ms} ms)" if probe.latency_ms is not None else ""
    return f"    - {target.provider}/{target.model_id} [{target.purpose}]: {outcome}{latency}"


def recheck_text(report) -> str:
    """What a recheck run did, for the command and the logs."""
    verb = "due" if not report.dry_run else "would probe"
    lines = [f"Recheck as of {report.as_of:%Y-%m-%d %H:%M} UTC" + (" (dry run: nothing probed or written)"
                                                                   if report.dry_run else "")]
    counts = ", ".join(f"{purpose} {n}" for purpose, n in sorted(report.counts.items())) or "none"
    lines.append(f"  {verb}: {len(report.due)} ({counts})")
    if report.dry_run:
        lines += [f"    - {t.provider}/{t.model_id} [{t.purpose}]" + (" (asked)" if t.asked else "")
                  for t in report.due]
        return "\n".join(lines)
    lines.append(f"  probed: {len(report.probed)}; waiting for the next run (caps): {len(report.waiting)}")
    lines += [f"  not probed: {why}" for why in report.skipped.values()]
    lines += [_probe_line(target, probe) for target, probe in report.probed]
    for outcome in report.executed:
        d = outcome.decision
        if not outcome.executed:
            lines.append(f"  not enabled: {d.provider}/{d.model_id}: {outcome.message}")
            continue
        lines.append(f"  enabled unattended: {d.provider}/{d.model_id} (audited; revert: python manage.py "
                     f"revert_change {outcome.audit.pk})")
    for proposal in report.pending:
        lines.append(f"  pending for a human: enable {proposal.provider}/{proposal.model_id} "
                     f"(decision {proposal.decision_id}; {proposal.policy.reason}): "
                     f"python manage.py approve_decision {proposal.decision_id}")
    lines += [f"  held: enable {p.provider}/{p.model_id} by {p.held_by.text}" for p in report.proposals if p.held_by]
    lines += [f"  backoff: {label} next recheck {when:%Y-%m-%d %H:%M} UTC ({n} failed)"
              for label, when, n in report.deferred]
    lines += [f"  rejected candidate: {label}, rechecked {when:%Y-%m-%d} ({why[:200]})"
              for label, when, why in report.rejected]
    lines += [f"  ERROR: {error}" for error in report.errors]
    return "\n".join(lines)


def recheck_json(report) -> dict:
    return {
        "as_of": iso_utc(report.as_of),
        "dry_run": report.dry_run,
        "due": [{"provider": t.provider, "model_id": t.model_id, "purpose": t.purpose, "asked": t.asked}
                for t in report.due],
        "probed": [{"provider": t.provider, "model_id": t.model_id, "purpose": t.purpose, "ok": p.ok,
                    "status": p.http_status, "error_class": p.error_class or None, "conclusive": p.conclusive,
                    "latency_ms": p.latency_ms} for t, p in report.probed],
        "waiting": [f"{t.provider}/{t.model_id}" for t in report.waiting],
        "skipped": report.skipped,
        "enabled": [f"{o.decision.provider}/{o.decision.model_id}" for o in report.executed if o.executed],
        "pending": [{"model": f"{p.provider}/{p.model_id}", "decision_id": p.decision_id, "why": p.policy.reason}
                    for p in report.pending],
        "deferred": [{"model": label, "recheck_after": iso_utc(when), "failures": n}
                     for label, when, n in report.deferred],
        "rejected": [{"model": label, "recheck_after": iso_utc(when), "why": why} for label, when, why in report.rejected],
        "decisions_created": report.decisions_created,
        "errors": report.errors,
    }
