"""The operator pass's side of runner silence (lifecycle/silence.py): silent providers sit it out."""

from __future__ import annotations

import logging

from lifecycle.silence import RunnerSilence, snapset_hold_silent
from lifecycle.snapshots import SnapshotSet

logger = logging.getLogger(__name__)


def runner_silence_hold(*, snapset: SnapshotSet, report) -> RunnerSilence:
    """Before triage: take the models of providers the runner has been silent about out of the pass
    (no proposal, no decision, no model_status rewrite, their pending decisions left as they are), and
    record why on the run (params["runner_silence"]: read by the run summary and shown in the admin)."""
    silence, held = snapset_hold_silent(snapset)
    if silence:
        report.run.params = {**(report.run.params or {}),
                             "runner_silence": {**silence.as_dict(), "models_held": len(held)}}
        for message in silence.messages():
            logger.warning("%s; %d model(s) held out of this pass, nothing concluded about them", message, len(held))
    return silence
