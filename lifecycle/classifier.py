"""The deterministic classifier: the operator's fallback, demoted but always there.

It maps one model's snapshot (plus its provider's context) to a lifecycle status and an
operator-style decision. The rules, in order of precedence:

- a disabled model is `disabled` and ignored;
- recent successes outweigh old errors: if the model succeeded after its last failure,
  it is active (or, failing half its runs, watched);
- a provider-wide credentials, billing or outage problem is the provider's, never a
  reason to disable its models; billing is account-wide by nature;
- capability, content-filter, context-length and budget problems are our configuration:
  monitor, never disable;
- a hard-model streak of >= OPERATOR_HARD_STREAK_HOURS with no success since it began, at
  an otherwise healthy provider, is `likely_deprecated` -> disable with high confidence
  (higher when a complete catalog confirms absence; below the auto-execution bar when one
  still lists it, or when the model succeeded within the window and no complete catalog
  confirms absence); a fresher hard error is watched, unless the model is past its announced
  retirement date (lifecycle.retirements): then it is the retirement, and disabled the same way;
- a model that never succeeded is watched unless hard evidence says it is gone.

Provider text only ever reaches a decision through its taxonomy class; it is quoted
(sanitized) in the reasoning as evidence, never followed.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings

from lifecycle.retirements import EOL_DATE, retirement_passed
from lifecycle.snapshots import ModelSnapshot, ProviderContext, SnapshotSet, load_snapshot_file
from lifecycle.taxonomy import annotate_snapset, annotate_snapshot, dominant_class
from llmops.lib.dates import iso_minutes as _iso
from llmops.lib.text import sanitize_text
from registry.vocabulary import CONFIGURATION_CLASSES, PROVIDER_WIDE_CLASSES, WEATHER_CLASSES, Action

DISABLE, MONITOR, IGNORE = Action.DISABLE.value, Action.MONITOR.value, Action.IGNORE.value
# The replay output names the deterministic engine so: it is what decides when no LLM does.
SUGGESTED_BY = "classifier-fallback"
# A provider is in trouble when half its failures, or half its models right now, share
# one provider-level class.
PROVIDER_WIDE_ERROR_RATE = 0.5
PROVIDER_WIDE_MODEL_SHARE = 0.5
# Half the runs failing keeps a model under watch even when its last run succeeded.
FLAPPING_FAILURE_RATIO = 0.5
# Explicit retirement wording is stronger evidence than a bare "not found".
_EXPLICIT_RETIREMENT = re.compile(
    r"decommissioned|end of (?:its )?life|retired|no longer (?:supported|available)|has been deprecated", re.I
)


@dataclass
class Verdict:
    action: str
    confidence: float
    reasoning: str
    lifecycle_status: str
    error_class: str | None = None
    provider_issue: bool = False
    suggested_by: str = "classifier"

    def as_dict(self) -> dict:
        return asdict(self)


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def _evidence(group, as_of: datetime) -> str:
    status = group.status if group.status is not None else "no status"
    age = f", last {_hours(as_of - group.last_seen_at):.0f}h ago" if group.last_seen_at else ""
    return (
        f"{status} {group.error_class} x{group.count} "
        f"({_iso(group.first_seen_at)} → {_iso(group.last_seen_at)}{age}): "
        f"\"{sanitize_text(group.message, limit=140)}\""
    )


def _provider_text(ctx: ProviderContext | None) -> str:
    if ctx is None:
        return "no provider context"
    parts = [f"{ctx.provider} error rate {ctx.error_rate:.0%}"]
    if ctx.models_streaking is not None and ctx.models:
        parts.append(f"{ctx.models_streaking}/{ctx.models} models failing now")
    return ", ".join(parts)


def provider_problem(provider_ctx: ProviderContext | None) -> str | None:
    """The provider-wide class ("auth", "billing", "transient", …) or None if healthy.

    Two readings: most of the provider's models failing right now with one class (a key
    rotation shows at once), or most of its runs in the window failing with one class.
    Many models "not found" at once is reported too ("hard_model"): a changed endpoint
    is likelier than a mass extinction.
    """
    ctx = provider_ctx
    if ctx is None:
        return None
    streaking, total = ctx.models_streaking or 0, ctx.models or 0
    cls = ctx.streak_error_class
    if cls and total and streaking / total >= PROVIDER_WIDE_MODEL_SHARE:
        if cls in PROVIDER_WIDE_CLASSES and streaking >= 2:
            return cls
        if cls == "hard_model" and streaking >= 3:
            return cls
    if ctx.error_rate >= PROVIDER_WIDE_ERROR_RATE and ctx.dominant_error_class in PROVIDER_WIDE_CLASSES:
        return ctx.dominant_error_class
    return None


def _deprecation_note(snapshot: ModelSnapshot) -> str | None:
    if snapshot.warnings:
        text = snapshot.warnings[0].message
        date = snapshot.deprecation_date or (m.group(1) if (m := EOL_DATE.search(text)) else None)
        note = f"deprecation notice on {snapshot.warnings[0].count} successful runs"
        if date:
            note += f" (end of life {date})"
        return note + f": \"{sanitize_text(text, limit=140)}\""
    if snapshot.deprecated:
        return "marked deprecated in the registry" + (
            f" (end of life {snapshot.deprecation_date})" if snapshot.deprecation_date else ""
        )
    return None


def classify_model(snapshot: ModelSnapshot, provider_ctx: ProviderContext | None, *, as_of: datetime) -> Verdict:
    annotate_snapshot(snapshot)
    window_class = dominant_class(snapshot.errors)
    if not snapshot.enabled:
        return Verdict(IGNORE, 1.0, f"{snapshot.provider}/{snapshot.model_id} is disabled in the registry.",
                       "disabled", window_class)

    current = snapshot.streak_groups()
    if snapshot.streak_started_at is None or not current:
        return _not_failing_now(snapshot, provider_ctx, window_class, as_of)
    return _failing_now(snapshot, provider_ctx, current, as_of)


def _not_failing_now(snapshot, ctx, window_class, as_of) -> Verdict:
    last = snapshot.last_success_at
    if snapshot.runs == 0:
        if last is None:
            return Verdict(MONITOR, 0.6, f"No runs in the last {snapshot.window_hours}h and no success ever: "
                           "the benchmark is not exercising this model.", "never_succeeded", window_class)
        return Verdict(MONITOR, 0.6, f"No runs in the last {snapshot.window_hours}h; last success {_iso(last)} "
                       f"({_hours(as_of - last):.0f}h ago): stale data, nothing to judge.", "stale", window_class)

    ratio = snapshot.failures / snapshot.runs
    success = (f"{snapshot.successes}/{snapshot.runs} runs succeeded in the last {snapshot.window_hours}h, "
               f"last success {_iso(last)}")
    older = ""
    if snapshot.errors:
        older = "; earlier errors predate that success: " + "; ".join(_evidence(g, as_of) for g in snapshot.errors[:2])
    note = _deprecation_note(snapshot)
    if ratio >= FLAPPING_FAILURE_RATIO:
        return Verdict(MONITOR, 0.7, f"Flapping: {snapshot.failures}/{snapshot.runs} runs failed, but the last run "
                       f"succeeded ({success}){older}. {_provider_text(ctx)}.", "monitor", window_class)
    if note:
        return Verdict(IGNORE, 0.85, f"Working ({success}) with a {note}. Keep measuring until end of life and plan "
                       "a successor; disabling early loses data.", "deprecated", window_class)
    confidence = 0.95 if not snapshot.failures else 0.9
    return Verdict(IGNORE, confidence, f"Healthy: {success}{older}. Recent successes outweigh older errors.",
                   "active", window_class)


def _failing_now(snapshot, ctx, current, as_of) -> Verdict:
    hard_hours = settings.OPERATOR_HARD_STREAK_HOURS
    last = snapshot.last_success_at
    never = last is None
    status = "never_succeeded" if never else "failing"
    hard = [g for g in current if g.error_class == "hard_model"]
    cls = "hard_model" if hard else dominant_class(current)
    problem = provider_problem(ctx)
    streak_age = _hours(as_of - snapshot.streak_started_at)
    since = (f"failing since {_iso(snapshot.streak_started_at)} ({streak_age:.0f}h), "
             + ("no success ever" if never else f"last success {_iso(last)}"))
    evidence = "; ".join(_evidence(g, as_of) for g in current[:3])
    where = _provider_text(ctx)

    # A mass not-found only concerns models that are themselves not found.
    if problem and (problem != "hard_model" or hard):
        label = {"auth": "credentials", "billing": "billing", "transient": "outage", "network": "network",
                 "timeout": "timeout", "rate_limit": "rate-limit", "hard_model": "mass not-found (endpoint or "
                 "configuration change?)"}.get(problem, problem)
        return Verdict(MONITOR, 0.85, f"Provider issue, not a model problem: provider-wide {label} trouble at "
                       f"{snapshot.provider} ({where}). This model is {since}: {evidence}. Fix the provider "
                       "account/endpoint; do not disable its models.", status, cls, provider_issue=True)

    if hard:
        hard_start = min(g.streak_first_at for g in hard)
        hard_age = _hours(as_of - hard_start)
        hard_evidence = "; ".join(_evidence(g, as_of) for g in hard[:2])
        # Past its announced retirement a hard error is the retirement itself, not a blip: no waiting.
        retired = retirement_passed(snapshot, as_of)
        if hard_age < hard_hours and retired is None:
            return Verdict(MONITOR, 0.75, f"Fresh hard error ({hard_age:.0f}h < {hard_hours}h): {hard_evidence}; "
                           f"{since}. Could be a rollout blip or a rename; re-check once the streak reaches "
                           f"{hard_hours}h. {where}.", status, cls)
        confidence = 0.95
        notes = []
        if retired is not None:
            notes.append(f"it is past its announced retirement date ({snapshot.deprecation_date})")
        if any(_EXPLICIT_RETIREMENT.search(g.message) for g in hard):
            confidence += 0.01
            notes.append("the provider says it is retired")
        complete = ctx is not None and ctx.catalog == "complete"
        if complete and snapshot.in_provider_catalog is False:
            confidence += 0.03
            notes.append("the provider's complete catalog no longer lists it")
        elif complete and snapshot.in_provider_catalog:
            confidence = min(confidence, 0.8)
            notes.append("but the provider's complete catalog still lists it — a human should confirm")
        elif snapshot.successes:
            # Upstream's rule: a success within the window keeps a human in the loop,
            # unless a complete catalog confirms the model is gone.
            confidence = min(confidence, 0.9)
            notes.append(f"but it succeeded {snapshot.successes}x within the {snapshot.window_hours}h window")
        confidence = min(round(confidence, 2), 0.99)
        status = "deprecated" if snapshot.deprecated else "likely_deprecated"
        age = f"{hard_age:.0f}h (>= {hard_hours}h)" if hard_age >= hard_hours else f"{hard_age:.0f}h, after its retirement"
        return Verdict(DISABLE, confidence, f"Hard model error for {age} with no success "
                       f"since: {hard_evidence}; {since}. {where} (otherwise healthy)"
                       + (f"; {'; '.join(notes)}" if notes else "") + ".", status, cls)

    if cls in CONFIGURATION_CLASSES:
        what = {"hard_capability": "our request does not fit the model (parameters, endpoint, limits)",
                "content_filter": "the provider's content filter rejects the benchmark prompt",
                "budget_exhausted": "the benchmark budget is exhausted"}[cls]
        return Verdict(MONITOR, 0.9, f"Benchmark configuration problem, not model death: {what}. {since}: "
                       f"{evidence}. Fix the configuration; never disable for this.", status, cls)

    if cls == "billing":
        return Verdict(MONITOR, 0.9, f"Billing problem at {snapshot.provider} (account-wide by nature): {since}: "
                       f"{evidence}. {where}. Top up or fix the account; do not disable models.",
                       status, cls, provider_issue=True)

    if cls == "auth":
        if any(g.status == 401 for g in current):
            return Verdict(MONITOR, 0.85, f"Credentials rejected (401) for {snapshot.provider}: {since}: {evidence}. "
                           f"{where}. Check the API key; a key problem is never a model problem.",
                           status, cls, provider_issue=True)
        return Verdict(MONITOR, 0.8, f"Access denied for this model only (per-model entitlement, recoverable by "
                       f"granting access): {since}: {evidence}. {where}.", status, cls)

    if cls in WEATHER_CLASSES:
        if never:
            return Verdict(MONITOR, 0.75, f"Never succeeded, only {cls} failures so far (not an answer about the "
                           f"model): {since}: {evidence}. Keep probing. {where}.", status, cls)
        return Verdict(MONITOR, 0.7, f"{cls.replace('_', ' ').capitalize()} failures: {since}: {evidence}. "
                       f"{where}. Provider weather until proven otherwise.", status, cls)

    return Verdict(MONITOR, 0.6, f"Failing with unclassified errors: {since}: {evidence}. {where}. Needs a look.",
                   status, cls)


# --- whole snapshot sets and files -------------------------------------------------------------

def classify_snapset(snapset: SnapshotSet) -> dict[tuple[str, str], Verdict]:
    """The classifier's verdict for every model of one snapshot set."""
    annotate_snapset(snapset)
    return {
        m.key: classify_model(m, snapset.providers.get(m.provider), as_of=snapset.as_of) for m in snapset.models
    }


def classify_snapset_rows(snapset: SnapshotSet, *, source: str | None = None) -> list[dict]:
    """Replay-output dicts (snapshot-format.md) for one snapshot set; the operator adds `auto_execute`."""
    verdicts = classify_snapset(snapset)
    rows = []
    for m in snapset.models:
        v = verdicts[m.key]
        rows.append({
            "source": source if source is not None else snapset.source,
            "provider": m.provider,
            "model_id": m.model_id,
            "action": v.action,
            "confidence": v.confidence,
            "error_class": v.error_class,
            "suggested_by": SUGGESTED_BY,
            "reasoning": v.reasoning,
            "lifecycle_status": v.lifecycle_status,
        })
    return rows


def classify_snapshot_files(paths) -> list[dict]:
    """Decide every model of every file, each file its own world (its providers block applies only
    to its own models). Every file is read and validated first, so a bad one fails the whole replay
    (SnapshotFormatError naming the file and entry) before anything is decided."""
    snapsets = [(str(path), load_snapshot_file(path)) for path in paths]
    rows = []
    for source, snapset in snapsets:
        rows.extend(classify_snapset_rows(snapset, source=source))
    return rows
