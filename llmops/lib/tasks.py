"""Periodic Celery jobs that never overlap, retry transient failures, and record failures.

Every task of the llmops app has JobTask as its base (llmops/celery.py). A task that beat
schedules (its name is in settings.CELERY_BEAT_SCHEDULE), or one declared with
@periodic_job(name=...), is a job when a worker runs it: each run first takes a Redis lock
named after the job (with an expiry, settings.JOB_LOCK_TTL, so a dead worker cannot block
it for good). A second run that finds the lock taken logs and
returns {"skipped": "locked"}. A transient failure (network, timeouts, a database or Redis
connection problem, or TransientJobError) is retried with exponential backoff; every failed
attempt is stored as llmops.JobFailure, which the admin lists. Every run (each attempt) is
recorded as llmops.JobRun at its start and its finish (running → succeeded / failed /
skipped), which the admin's scheduled-jobs page and the daily report read. Only the worker
path records runs: a management command run by hand is not the schedule running.
"""

from __future__ import annotations

import logging

import httpx
import redis
from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from llmops.lib.backoff import backoff_delay
from llmops.lib.locks import job_lock
from llmops.lib.text import sanitize_text
from llmops.models import JobFailure, JobRun

logger = logging.getLogger(__name__)


class TransientJobError(Exception):
    """Raised by a job body for a failure worth retrying (e.g. a 5xx from a provider)."""


def _transient_exceptions() -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = [
        TransientJobError, ConnectionError, TimeoutError,
        httpx.TransportError, redis.ConnectionError, redis.TimeoutError,
        OperationalError, InterfaceError,
    ]
    try:
        from pymongo.errors import AutoReconnect, ConnectionFailure, ServerSelectionTimeoutError

        found += [AutoReconnect, ConnectionFailure, ServerSelectionTimeoutError]
    except ImportError:  # pymongo is only needed on MongoDB
        pass
    return tuple(found)


TRANSIENT_EXCEPTIONS = _transient_exceptions()


def backoff_seconds(attempt: int, *, base: int, cap: int, jitter: bool = True) -> int:
    """Seconds before retry number `attempt` (0-based): base, 2·base, 4·base… ≤ cap, plus up to 10%
    jitter so jobs that failed together do not retry in lockstep (never sooner than `base`)."""
    return int(backoff_delay(attempt, base=base, cap=cap, spread=(1.0, 1.1) if jitter else (1.0, 1.0)))


def _error_text(exc: BaseException) -> str:
    return sanitize_text(str(exc) or type(exc).__name__, limit=2000)


def job_failure_record(*, job: str, exc: BaseException, task_id: str = "", attempt: int = 1,
                       final: bool = True, transient: bool = False, retry_in: int | None = None):
    """Store one failed attempt so the admin shows it; never raises (the job's error matters more)."""
    try:
        return JobFailure.objects.create(
            job=job, task_id=task_id or "", attempt=attempt, final=final, transient=transient,
            error_type=f"{type(exc).__module__}.{type(exc).__qualname__}"[:255],
            error=_error_text(exc), retry_in_seconds=retry_in,
        )
    except Exception:  # the database may be what failed; the log still has it
        logger.exception("%s: could not record the failure", job)
        return None


def job_run_start(*, job: str, task_id: str = "", attempt: int = 1, status: str = JobRun.Status.RUNNING,
                  exc: BaseException | None = None):
    """Record that a run started (or, with another status, a run that ended as it began: skipped, or
    failed before it could start); never raises: the job matters more than its record, and the
    database may be what is down."""
    now = timezone.now()
    try:
        return JobRun.objects.create(job=job, task_id=task_id or "", attempt=attempt, started_at=now, status=status,
                                     finished_at=now if status != JobRun.Status.RUNNING else None,
                                     error=_error_text(exc) if exc is not None else "")
    except Exception:
        logger.exception("%s: could not record the run", job)
        return None


def job_run_finish(run, *, status: str, exc: BaseException | None = None) -> None:
    """Close a run record (conditionally: only a running one); never raises."""
    if run is None:
        return
    try:
        JobRun.objects.filter(pk=run.pk, status=JobRun.Status.RUNNING).update(
            status=status, finished_at=timezone.now(), error=_error_text(exc) if exc is not None else "")
    except Exception:
        logger.exception("%s: could not record the end of the run", run.job)


def _skipped(result) -> bool:
    # A task that found the operator's own lock taken says so in its typed result.
    return isinstance(result, dict) and result.get("skipped") == "locked"


def periodic_task_names() -> set[str]:
    """Task names the beat schedule runs: these get the lock, retries and failure records."""
    return {entry["task"] for entry in getattr(settings, "CELERY_BEAT_SCHEDULE", {}).values()}


class JobTask(Task):
    """Base class of every task of the llmops Celery app (llmops/celery.py sets it).

    A task run by a worker whose name is in the beat schedule (or that sets periodic=True)
    takes the job lock first, retries transient failures with exponential backoff, and
    records each failed attempt. Calling the task function directly (tests, the shell) runs
    the body only: no Redis needed, like the management commands.
    """

    periodic: bool | None = None  # None: periodic iff CELERY_BEAT_SCHEDULE names this task
    lock_ttl: int | None = None  # default settings.JOB_LOCK_TTL
    max_retries = 3
    backoff_base = 60
    backoff_cap = 1800
    retry_on: tuple = TRANSIENT_EXCEPTIONS

    def is_periodic(self) -> bool:
        return self.periodic if self.periodic is not None else self.name in periodic_task_names()

    def __call__(self, *args, **kwargs):
        if self.request.called_directly or not self.is_periodic():
            return super().__call__(*args, **kwargs)
        name = self.name
        attempt = self.request.retries + 1
        task_id = self.request.id or ""
        run = None
        try:
            try:
                with job_lock(name, ttl=self.lock_ttl or settings.JOB_LOCK_TTL) as acquired:
                    if not acquired:
                        logger.info("%s: another run holds the lock; this run exits without doing anything", name)
                        job_run_start(job=name, task_id=task_id, attempt=attempt, status=JobRun.Status.SKIPPED)
                        return {"skipped": "locked"}
                    logger.info("%s: started (attempt %d)", name, attempt)
                    run = job_run_start(job=name, task_id=task_id, attempt=attempt)
                    result = super().__call__(*args, **kwargs)
                    logger.info("%s: finished", name)
                    job_run_finish(run, status=JobRun.Status.SKIPPED if _skipped(result) else JobRun.Status.SUCCEEDED)
                    return result
            except Exception as exc:
                if run is None:  # it failed before it started (the lock's Redis is down): still a run
                    job_run_start(job=name, task_id=task_id, attempt=attempt, status=JobRun.Status.FAILED, exc=exc)
                else:
                    job_run_finish(run, status=JobRun.Status.FAILED, exc=exc)
                raise
        except self.retry_on as exc:
            if self.request.retries < self.max_retries:
                delay = backoff_seconds(self.request.retries, base=self.backoff_base, cap=self.backoff_cap)
                logger.warning("%s: transient failure (%s: %s); retry %d/%d in %ds", name, type(exc).__name__,
                               exc, attempt, self.max_retries, delay)
                job_failure_record(job=name, exc=exc, task_id=task_id, attempt=attempt, final=False,
                                   transient=True, retry_in=delay)
                raise self.retry(exc=exc, countdown=delay) from exc
            logger.error("%s: giving up after %d attempts: %s: %s", name, attempt, type(exc).__name__, exc)
            job_failure_record(job=name, exc=exc, task_id=task_id, attempt=attempt, final=True, transient=True)
            raise
        except Exception as exc:
            logger.exception("%s: failed", name)
            job_failure_record(job=name, exc=exc, task_id=task_id, attempt=attempt, final=True)
            raise


def periodic_job(*, name: str, **options):
    """A task that always gets JobTask's lock/retry/record treatment, scheduled or not.

    Tasks named in CELERY_BEAT_SCHEDULE get it with a plain @shared_task(name=...) too.
    """

    def decorate(fn):
        return shared_task(name=name, base=JobTask, periodic=True, **options)(fn)

    return decorate
