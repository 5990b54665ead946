"""Writes of the lifecycle app.

`model_status_write` records each model's health: one read of the existing rows, one
bulk_create for new ones, one bulk_update for changed ones. Idempotent: the same
snapshot writes nothing the second time (computed_at is the snapshot's as_of, and the
signal summary holds no wall-clock age). `operator_decision` is the operator's field and
is left alone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from lifecycle import selectors
from lifecycle.classifier import Verdict, classify_model, classify_snapset, provider_problem
from lifecycle.collector import collect_snapshots
from lifecycle.models import ModelStatus
from lifecycle.retirements import retirements_from_warnings
from lifecycle.silence import RunnerSilence, snapset_hold_silent
from lifecycle.snapshots import ErrorGroup, ModelSnapshot, SnapshotSet, write_snapshot_file
from lifecycle.taxonomy import annotate_snapset
from llmops.lib.dates import iso_utc as _iso
from llmops.lib.text import sanitize_text

MAX_GROUPS = 10
BATCH_SIZE = 500


def _group_summary(group: ErrorGroup) -> dict:
    return {
        "status": group.status,
        "class": group.error_class,
        "count": group.count,
        "first_seen_at": _iso(group.first_seen_at),
        "last_seen_at": _iso(group.last_seen_at),
        "streak_first_at": _iso(group.streak_first_at),
        "sample": sanitize_text(group.message, limit=300),
    }


def signals_summary(snapshot: ModelSnapshot, snapset: SnapshotSet, verdict: Verdict) -> dict:
    """The JSON stored in model_status.signals: evidence, not raw provider dumps."""
    ctx = snapset.providers.get(snapshot.provider)
    return {
        "as_of": _iso(snapset.as_of),
        "window_hours": snapshot.window_hours,
        "runs": snapshot.runs,
        "successes": snapshot.successes,
        "failures": snapshot.failures,
        "last_success_at": _iso(snapshot.last_success_at),
        "streak_started_at": _iso(snapshot.streak_started_at),
        "in_provider_catalog": snapshot.in_provider_catalog,
        "registered": snapshot.registered,
        "errors": [_group_summary(g) for g in snapshot.errors[:MAX_GROUPS]],
        "warnings": [_group_summary(g) for g in snapshot.warnings[:MAX_GROUPS]],
        "provider": None if ctx is None else {
            "error_rate": round(ctx.error_rate, 4),
            "models": ctx.models,
            "models_failing": ctx.models_failing,
            "models_streaking": ctx.models_streaking,
            "catalog": ctx.catalog,
            "dominant_error_class": ctx.dominant_error_class,
            "problem": provider_problem(ctx),
        },
        "classifier": {
            "action": verdict.action,
            "confidence": verdict.confidence,
            "error_class": verdict.error_class,
            "provider_issue": verdict.provider_issue,
            "reasoning": verdict.reasoning,
        },
    }


def model_status_write(*, snapset: SnapshotSet, verdicts: dict, operator_decisions: dict | None = None) -> int:
    """Create or update the model_status row of every model in `snapset`; returns rows written.

    A model without a verdict in `verdicts` is classified here. `operator_decisions`
    ((provider, model_id) -> document) seeds operator_decision on rows created here only,
    so a first pass does not write every new row a second time to mirror its decision.
    """
    operator_decisions = operator_decisions or {}
    annotate_snapset(snapset)
    providers = {m.provider for m in snapset.models}
    if not providers:
        return 0
    existing = selectors.model_status_by_key(providers=providers)
    to_create, to_update = [], []
    for snapshot in snapset.models:
        verdict = verdicts.get(snapshot.key) or classify_model(
            snapshot, snapset.providers.get(snapshot.provider), as_of=snapset.as_of
        )
        signals = signals_summary(snapshot, snapset, verdict)
        row = existing.get(snapshot.key)
        if row is None:
            to_create.append(ModelStatus(provider=snapshot.provider, model_id=snapshot.model_id,
                                         lifecycle_status=verdict.lifecycle_status, signals=signals,
                                         computed_at=snapset.as_of,
                                         operator_decision=operator_decisions.get(snapshot.key)))
            continue
        if (row.lifecycle_status, row.signals, row.computed_at) == (verdict.lifecycle_status, signals, snapset.as_of):
            continue
        row.lifecycle_status, row.signals, row.computed_at = verdict.lifecycle_status, signals, snapset.as_of
        to_update.append(row)
    if to_create:
        # No batch_size: as few INSERTs as the backend allows (one on PostgreSQL and MongoDB;
        # SQLite is held to Django's 999 variables per statement).
        ModelStatus.objects.bulk_create(to_create)
    if to_update:
        ModelStatus.objects.bulk_update(to_update, ["lifecycle_status", "signals", "computed_at"],
                                        batch_size=BATCH_SIZE)
    return len(to_create) + len(to_update)


@dataclass
class CollectReport:
    snapset: SnapshotSet
    verdicts: dict
    written: int = 0
    exported: str | None = None
    status_counts: Counter = field(default_factory=Counter)
    action_counts: Counter = field(default_factory=Counter)
    provider_problems: dict = field(default_factory=dict)
    # Providers the runner wrote nothing about lately: their models were not classified or written.
    silence: RunnerSilence | None = None
    held: int = 0


def signals_collect(*, as_of: datetime, window_hours: int | None = None, providers=None,
                    export_path: str | Path | None = None, progress=None) -> CollectReport:
    """Collect signals, classify every model, write model_status, optionally export the snapshot.

    The export is written atomically (temp file + rename) before model_status, so a
    failing export leaves the database as it was.
    """
    snapset = collect_snapshots(as_of=as_of, window_hours=window_hours, providers=providers, progress=progress)
    if export_path is not None:
        # The file keeps every model: a replay of it sees the same silence (lifecycle/silence.py).
        write_snapshot_file(snapset, export_path)
    silence, held = snapset_hold_silent(snapset)
    verdicts = classify_snapset(snapset)
    report = CollectReport(snapset=snapset, verdicts=verdicts, silence=silence, held=len(held))
    if export_path is not None:
        report.exported = str(export_path)
    report.written = model_status_write(snapset=snapset, verdicts=verdicts)
    # The dates deprecation warnings announce outlive the window they were read in.
    retirements_from_warnings(snapset=snapset, as_of=as_of)
    report.status_counts = Counter(v.lifecycle_status for v in verdicts.values())
    report.action_counts = Counter(v.action for v in verdicts.values())
    report.provider_problems = {
        name: problem for name, ctx in sorted(snapset.providers.items()) if (problem := provider_problem(ctx))
    }
    return report
