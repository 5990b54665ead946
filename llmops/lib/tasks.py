"""Periodic Celery jobs that never overlap, retry transient failures, and record failures.

Every task of the llmops app has JobTask as its base (llmops/celery.py). A task that beat
schedules (its name is in settings.CELERY_BEAT_SCHEDULE), or one declared with
@periodic_job(name=...), is a job when a worker runs it: each run first takes a Redis lock
named after the job (with an expiry, settings.JOB_LOCK_TTL, so a dead worker cannot block
it for good). A second run that finds the lock taken logs and
returns {"skipped": "locked"}. A transient failure (network, timeouts, a database or Redis
connection problem, or TransientJobError) is retried with exponential backoff; every failed
attempt is stored as llmops.JobFailure, which the admin lists.
"""

from __future__ import annotations

import logging

import httpx
import redis
from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from llmops.lib.backoff import backoff_delay
from llmops.lib.locks import job_lock
from llmops.lib.text import sanitize_text
from llmops.models import JobFailure

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
        try:
            with job_lock(name, ttl=self.lock_ttl or settings.JOB_LOCK_TTL) as acquired:
                if not acquired:
                    logger.info("%s: another run holds the lock; this run exits without doing anything", name)
                    return {"skipped": "locked"}
                logger.info("%s: started (attempt %d)", name, attempt)
                result = super().__call__(*args, **kwargs)
                logger.info("%s: finished", name)
                return result
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
