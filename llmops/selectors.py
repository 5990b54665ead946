"""Reads of the llmops app: the scheduled jobs and how their runs went (admin page, daily report)."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce

from django.conf import settings
from django.db.models import Max, Min, Q

from llmops.lib.admin_display import span
from llmops.lib.schedules import schedule_next, schedule_period, schedule_text
from llmops.models import JobRun

# A job is overdue when it has not succeeded for longer than this many of its periods.
OVERDUE_PERIODS = 2


@dataclass
class JobState:
    entry: str  # the CELERY_BEAT_SCHEDULE key
    job: str  # the task name, JobRun.job
    schedule: str
    period: timedelta | None
    next_due: datetime | None
    last: JobRun | None
    last_success_at: datetime | None
    # Since when runs are recorded at all (None: no scheduled job ever ran through a worker).
    observed_since: datetime | None
    as_of: datetime

    @property
    def period_text(self) -> str:
        return span(self.period)

    @property
    def duration_text(self) -> str:
        return span(self.last.duration) if self.last else span(None)

    @property
    def overdue(self) -> bool:
        """Not succeeded within OVERDUE_PERIODS × its period (counted from its last success, or from
        the first recorded run of any job when it never succeeded)."""
        since = self.last_success_at or self.observed_since
        if self.period is None or since is None:
            return False
        return self.as_of - since > OVERDUE_PERIODS * self.period

    @property
    def stuck(self) -> bool:
        """Still `running` past the task time limit: the worker died under it."""
        last = self.last
        return bool(last and last.status == JobRun.Status.RUNNING and last.started_at
                    and self.as_of - last.started_at > timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT))


def _latest_runs(names: list[str]) -> tuple[dict[str, JobRun], datetime | None]:
    newest = list(JobRun.objects.filter(job__in=names).order_by().values("job")
                  .annotate(last=Max("started_at"), first=Min("started_at")))
    observed = min((row["first"] for row in newest if row["first"]), default=None)
    if not newest:
        return {}, observed
    wanted = reduce(operator.or_, [Q(job=row["job"], started_at=row["last"]) for row in newest])
    latest: dict[str, JobRun] = {}
    for run in JobRun.objects.filter(wanted).order_by("-started_at"):
        latest.setdefault(run.job, run)
    return latest, observed


def scheduled_jobs(*, as_of: datetime) -> list[JobState]:
    """Every entry of settings.CELERY_BEAT_SCHEDULE with its last run, last success and next due
    moment (three queries whatever the history)."""
    entries = getattr(settings, "CELERY_BEAT_SCHEDULE", {})
    names = sorted({entry["task"] for entry in entries.values()})
    latest, observed = _latest_runs(names)
    succeeded = {row["job"]: row["at"] for row in JobRun.objects.filter(job__in=names, status=JobRun.Status.SUCCEEDED)
                 .order_by().values("job").annotate(at=Max("finished_at"))}
    states = []
    for key, entry in entries.items():
        sched = entry["schedule"]
        states.append(JobState(
            entry=key, job=entry["task"], schedule=schedule_text(sched), period=schedule_period(sched, after=as_of),
            next_due=schedule_next(sched, after=as_of), last=latest.get(entry["task"]),
            last_success_at=succeeded.get(entry["task"]), observed_since=observed, as_of=as_of))
    return states
