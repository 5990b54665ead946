"""Beat schedule entries as a person reads them: their cron text, when they are next due, how often.

Celery's own crontab arithmetic (`remaining_delta`) answers "next due after a moment", so the
admin and the report agree with beat itself; `schedule` (a fixed interval) entries are supported too.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from celery.schedules import crontab
from celery.schedules import schedule as interval

# Enough consecutive gaps to see the longest one of any cron that repeats within a week.
GAPS_SAMPLED = 8


def schedule_text(entry_schedule) -> str:
    """`20 */3 * * *` for a crontab (its fields as written), `every 3600 s` for an interval."""
    if isinstance(entry_schedule, crontab):
        fields = ("_orig_minute", "_orig_hour", "_orig_day_of_month", "_orig_month_of_year", "_orig_day_of_week")
        return " ".join(str(getattr(entry_schedule, name, "?")) for name in fields)
    if isinstance(entry_schedule, interval):
        return f"every {int(entry_schedule.run_every.total_seconds())} s"
    if isinstance(entry_schedule, (int, float, timedelta)):
        seconds = entry_schedule.total_seconds() if isinstance(entry_schedule, timedelta) else entry_schedule
        return f"every {int(seconds)} s"
    return str(entry_schedule)


def _interval(entry_schedule) -> timedelta | None:
    if isinstance(entry_schedule, interval) and not isinstance(entry_schedule, crontab):
        return entry_schedule.run_every
    if isinstance(entry_schedule, timedelta):
        return entry_schedule
    if isinstance(entry_schedule, (int, float)):
        return timedelta(seconds=entry_schedule)
    return None


def schedule_next(entry_schedule, *, after: datetime) -> datetime | None:
    """The first moment strictly after `after` at which beat runs the entry (an interval: `after` +
    its period, as if it last ran then)."""
    every = _interval(entry_schedule)
    if every is not None:
        return after + every
    if isinstance(entry_schedule, crontab):
        start, delta, _now = entry_schedule.remaining_delta(after.astimezone(timezone.utc))
        return (start + delta).astimezone(timezone.utc)
    return None


def schedule_period(entry_schedule, *, after: datetime) -> timedelta | None:
    """How long the entry may go between two runs: the longest gap between its next runs."""
    every = _interval(entry_schedule)
    if every is not None:
        return every
    moment = schedule_next(entry_schedule, after=after)
    if moment is None:
        return None
    longest = timedelta(0)
    for _ in range(GAPS_SAMPLED):
        following = schedule_next(entry_schedule, after=moment)
        longest = max(longest, following - moment)
        moment = following
    return longest
