"""Decide from snapshot files instead of the database (export → replay).

Each file is its own world: its providers block applies only to its own models. All
files are read and validated before anything is decided, so a bad file fails the whole
replay with a message naming the file and the entry, and nothing is half-done.
"""

from __future__ import annotations

from lifecycle.classifier import Verdict, classify_model
from lifecycle.snapshots import SnapshotSet, load_snapshot_file
from lifecycle.taxonomy import annotate_snapset

SUGGESTED_BY = "classifier-fallback"


def snapset_verdicts(snapset: SnapshotSet) -> dict[tuple[str, str], Verdict]:
    """The classifier's verdict for every model of one snapshot set."""
    annotate_snapset(snapset)
    return {
        m.key: classify_model(m, snapset.providers.get(m.provider), as_of=snapset.as_of) for m in snapset.models
    }


def replay_rows(snapset: SnapshotSet, *, source: str | None = None) -> list[dict]:
    """Replay-output dicts for one snapshot set (the operator adds `auto_execute`)."""
    verdicts = snapset_verdicts(snapset)
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


def replay_snapshot_files(paths) -> list[dict]:
    """Decide every model of every file; raises SnapshotFormatError on the first bad file."""
    snapsets = [(str(path), load_snapshot_file(path)) for path in paths]
    rows = []
    for source, snapset in snapsets:
        rows.extend(replay_rows(snapset, source=source))
    return rows
