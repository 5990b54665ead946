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
