"""Runner silence: when the benchmark runner wrote nothing for a whole provider (or the fleet).

No result and no error at all is not evidence that models died; it is evidence that the runner
stopped (a crashed cron, an expired runner key, a full disk). Ages measured across such a gap
would grow by themselves and turn every streak into a "dead for days", so a provider whose
newest row is older than settings.RUNNER_SILENCE_HOURS is held out of conclusions: an operator
pass and the signal collection decide nothing about its models, and the daily report goes
CRITICAL. Only providers with an enabled registered model are expected to have rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings

from lifecycle.snapshots import ModelSnapshot, SnapshotSet
from llmops.lib.dates import iso_minutes


@dataclass(frozen=True)
class RunnerSilence:
    as_of: datetime
    hours: int
    # Silent providers only -> their newest row (None: no row in the window at all).
    silent: dict[str, datetime | None] = field(default_factory=dict)
    # Providers that should have rows: they have an enabled registered model.
    watched: frozenset = frozenset()
    window_hours: int | None = None

    def __bool__(self) -> bool:
        return bool(self.silent)

    @property
    def fleet(self) -> bool:
        """Silent everywhere: no provider we benchmark had a row."""
        return bool(self.watched) and self.watched <= set(self.silent)

    @property
    def since(self) -> datetime | None:
        """The newest row of the silent providers (None: none of them had one in the window)."""
        return max((t for t in self.silent.values() if t is not None), default=None)

    def _since_text(self, moment: datetime | None) -> str:
        if moment is None:
            window = f" {self.window_hours} h" if self.window_hours else ""
            return f"before the{window} signal window (no row in it)"
        hours = (self.as_of - moment).total_seconds() / 3600
        return f"{iso_minutes(moment)} ({hours:.1f} h ago)"

    def messages(self) -> list[str]:
        """One line per finding, the report's CRITICAL wording."""
        if not self.silent:
            return []
        if self.fleet:
            return [f"runner silent since {self._since_text(self.since)}: no result and no error from any "
                    f"provider for more than {self.hours} h"]
        return [f"runner silent for {provider} since {self._since_text(moment)}: no result and no error for "
                f"more than {self.hours} h" for provider, moment in sorted(self.silent.items())]

    def as_dict(self) -> dict:
        return {"hours": self.hours, "fleet": self.fleet,
                "providers": {p: iso_minutes(t) if t else None for p, t in sorted(self.silent.items())},
                "messages": self.messages()}


def runner_silence_find(*, as_of: datetime, last_rows: dict, watched, hours: int | None = None,
                        window_hours: int | None = None) -> RunnerSilence:
    """Which watched providers wrote nothing for more than `hours` (settings.RUNNER_SILENCE_HOURS)."""
    hours = int(hours or settings.RUNNER_SILENCE_HOURS)
    limit = as_of - timedelta(hours=hours)
    watched = frozenset(watched)
    silent = {p: last_rows.get(p) for p in sorted(watched) if last_rows.get(p) is None or last_rows[p] < limit}
    return RunnerSilence(as_of=as_of, hours=hours, silent=silent, watched=watched, window_hours=window_hours)


def _derived_last_rows(models: list[ModelSnapshot]) -> dict[str, datetime]:
    """Newest row per provider from the snapshots alone (a replayed file): last successes and the
    newest error of each group."""
    newest: dict[str, datetime] = {}
    for m in models:
        moments = [m.last_success_at, *(g.last_seen_at for g in m.errors)]
        for moment in moments:
            if moment is not None and (m.provider not in newest or moment > newest[m.provider]):
                newest[m.provider] = moment
    return newest


def snapset_runner_silence(snapset: SnapshotSet, *, hours: int | None = None) -> RunnerSilence:
    watched = {m.provider for m in snapset.models if m.registered and m.enabled}
    last_rows = snapset.runner_last_rows if snapset.runner_last_rows is not None else \
        _derived_last_rows(snapset.models)
    window = max((m.window_hours for m in snapset.models), default=None)
    return runner_silence_find(as_of=snapset.as_of, last_rows=last_rows, watched=watched, hours=hours,
                               window_hours=window)


def snapset_hold_silent(snapset: SnapshotSet, *, hours: int | None = None) -> tuple[RunnerSilence, list]:
    """Take the models (and provider contexts) of silent providers out of `snapset`, in place, so
    nothing is concluded about them; returns the silence and the models held out."""
    silence = snapset_runner_silence(snapset, hours=hours)
    if not silence:
        return silence, []
    held = [m for m in snapset.models if m.provider in silence.silent]
    snapset.models = [m for m in snapset.models if m.provider not in silence.silent]
    snapset.providers = {p: ctx for p, ctx in snapset.providers.items() if p not in silence.silent}
    return silence, held
