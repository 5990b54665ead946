"""Rules that settle the obvious cases before any reasoning, and per-model evidence helpers.

Disabled models and clearly healthy ones (a recent success, no hard error since it) get
`ignore` here, without an LLM; only the rest is grouped into situations. Error groups
must be annotated by lifecycle.taxonomy (error_class/normalized) first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from lifecycle.snapshots import ModelSnapshot
from lifecycle.taxonomy import dominant_class
from llmops.lib.dates import iso_minutes
from registry.vocabulary import MODEL_TROUBLE_CLASSES, Action

# A success this recent means the model answers today.
RECENT_SUCCESS = timedelta(hours=24)


@dataclass
class TriageResult:
    action: str
    confidence: float
    reasoning: str


def model_error_class(snapshot: ModelSnapshot) -> str:
    """The taxonomy class that describes the model's failures now ('' when it has none)."""
    return dominant_class(snapshot.streak_groups()) or dominant_class(snapshot.errors) or ""


def streak_classes(snapshot: ModelSnapshot) -> tuple[str, ...]:
    return tuple(sorted({g.error_class for g in snapshot.streak_groups() if g.error_class}))


def hours_between(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return round((later - earlier).total_seconds() / 3600, 1)


def triage_model(snapshot: ModelSnapshot, *, as_of: datetime, answered_at: datetime | None = None,
                 renamed_at: datetime | None = None) -> TriageResult | None:
    """`ignore` for models that need no reasoning; None for the ones that do. `answered_at` is the
    model's newest successful probe (lifecycle.selectors.probe_last_successes), `renamed_at` when a
    rename gave it its ID within RUNNER_SILENCE_HOURS (registry.selectors.registry_renamed_to)."""
    if not snapshot.enabled:
        return TriageResult(Action.IGNORE, 1.0, "disabled in the registry: not measured, nothing to decide")
    if not getattr(snapshot, "registered", True):
        # Seen in results/errors only: nothing in the registry to disable or keep.
        return TriageResult(Action.IGNORE, 1.0, "not in the registry (seen only in benchmark rows): nothing to decide")
    if renamed_at is not None and snapshot.runs == 0:
        # Its rows so far are under the old ID: no run under the new one says nothing yet.
        return TriageResult(Action.IGNORE, 0.9, f"renamed to this ID at {iso_minutes(renamed_at)}; the benchmark "
                                                "has not run it under it yet: waiting for its first run")
    last_error = max((g.last_seen_at for g in snapshot.errors if g.last_seen_at), default=None)
    if answered_at is not None and last_error is not None and answered_at > last_error:
        # A real request answered after every error it has (a recovery's probes, while the benchmark
        # had not run it again since): those errors say nothing about it now; the next run will.
        return TriageResult(Action.IGNORE, 0.9, f"answered a probe at {iso_minutes(answered_at)}, after its last "
                                                f"error ({iso_minutes(last_error)}): waiting for the benchmark's next run")
    recent = snapshot.last_success_at is not None and as_of - snapshot.last_success_at <= RECENT_SUCCESS
    if not recent or snapshot.successes == 0:
        return None
    hard_since = [g for g in snapshot.streak_groups() if g.error_class in MODEL_TROUBLE_CLASSES]
    if hard_since:
        return None
    ago = hours_between(as_of, snapshot.last_success_at)
    if not snapshot.errors:
        why = f"healthy: {snapshot.successes}/{snapshot.runs} runs succeeded, last success {ago}h ago"
    else:
        why = (f"healthy: last success {ago}h ago, {snapshot.successes}/{snapshot.runs} runs succeeded; "
               "no hard error since the last success")
    return TriageResult(Action.IGNORE, 0.95, why)
