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
from registry.selectors import BenchmarkEntry
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


def triage_model(snapshot: ModelSnapshot, *, as_of: datetime, entered: BenchmarkEntry | None = None
                 ) -> TriageResult | None:
    """`ignore` for models that need no reasoning; None for the ones that do. `entered` is the model's
    latest entry into the benchmark within RUNNER_SILENCE_HOURS (registry.selectors.registry_entries)."""
    if not snapshot.enabled:
        return TriageResult(Action.IGNORE, 1.0, "disabled in the registry: not measured, nothing to decide")
    if not getattr(snapshot, "registered", True):
        # Seen in results/errors only: nothing in the registry to disable or keep.
        return TriageResult(Action.IGNORE, 1.0, "not in the registry (seen only in benchmark rows): nothing to decide")
    if entered is not None and not _ran_since(snapshot, entered.at):
        # Just enabled (a recovery, an admission, a person) or renamed, and the benchmark has not run it
        # since: every row it has predates that, and says nothing about it now; its next run will.
        return TriageResult(Action.IGNORE, 0.9, f"{entered.how} at {iso_minutes(entered.at)}; the benchmark has not "
                                                "run it since: waiting for its next run")
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


def _ran_since(snapshot: ModelSnapshot, moment: datetime) -> bool:
    """Whether any benchmark row of the model (a success or an error) is at or after `moment`."""
    seen = [snapshot.last_success_at, *(g.last_seen_at for g in snapshot.errors)]
    return any(t is not None and t >= moment for t in seen)
