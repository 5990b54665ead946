"""Periodic Celery jobs that never overlap, retry transient failures, and record failures.

Usage (in an app's tasks.py; the body is a thin call into a service):

    @periodic_job(name="operator_app.tasks.run_operator")
    def run_operator():
        report = operator_run(trigger="celery")
        return {"run": report.run_id}

Each run first takes a Redis lock named after the job (with an expiry, settings.JOB_LOCK_TTL,
so a dead worker cannot block it for good). A second run that finds the lock taken logs and
returns {"skipped": "locked"}. A transient failure (network, timeouts, a database or Redis
connection problem, or TransientJobError) is retried with exponential backoff; every failed
attempt is stored as llmops.JobFailure, which the admin lists.
"""

from __future__ import annotations

import functools
import logging
import random

from celery import shared_task
from django.conf import settings

from llmops.lib.locks import job_lock

logger = logging.getLogger(__name__)


class TransientJobError(Exception):
    """Raised by a job body for a failure worth retrying (e.g. a 5xx from a provider)."""


def _transient_exceptions() -> tuple[type[BaseException], ...]:
    import httpx
    import redis
    from django.db import InterfaceError, OperationalError

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
    """Exponential backoff for retry number `attempt` (0-based): base, 2·base, 4·base… ≤ cap."""
    delay = min(cap, base * (2 ** attempt))
    if jitter and delay > 1:
        # Up to 10% jitter so jobs that failed together do not retry in lockstep.
        delay += random.randint(0, max(1, delay // 10))
    return int(delay)


def _error_text(exc: BaseException) -> str:
    from lifecycle.taxonomy import sanitize_text

    return sanitize_text(str(exc) or type(exc).__name__, limit=2000)


def job_failure_record(*, job: str, exc: BaseException, task_id: str = "", attempt: int = 1,
                       final: bool = True, transient: bool = False, retry_in: int | None = None):
    """Store one failed attempt so the admin shows it; never raises (the job's error matters more)."""
    from llmops.models import JobFailure

    try:
        return JobFailure.objects.create(
            job=job, task_id=task_id or "", attempt=attempt, final=final, transient=transient,
            error_type=f"{type(exc).__module__}.{type(exc).__qualname__}"[:255],
            error=_error_text(exc), retry_in_seconds=retry_in,
        )
    except Exception:  # the database may be what failed; the log still has it
        logger.exception("%s: could not record the failure", job)
        return None


def periodic_job(*, name: str, lock_ttl: int | None = None, max_retries: int = 3,
                 backoff_base: int = 60, backoff_cap: int = 1800, retry_on: tuple | None = None):
    """Turn `fn(**kwargs)` into a registered Celery task `name` with lock, retry and failure records."""
    retry_on = retry_on or TRANSIENT_EXCEPTIONS

    def decorate(fn):
        @shared_task(name=name, bind=True, max_retries=max_retries, acks_late=True)
        @functools.wraps(fn)
        def task(self, *args, **kwargs):
            attempt = self.request.retries + 1
            task_id = self.request.id or ""
            try:
                with job_lock(name, ttl=lock_ttl or settings.JOB_LOCK_TTL) as acquired:
                    if not acquired:
                        logger.info("%s: another run holds the lock; this run exits without doing anything", name)
                        return {"skipped": "locked"}
                    logger.info("%s: started (attempt %d)", name, attempt)
                    result = fn(*args, **kwargs)
                    logger.info("%s: finished", name)
                    return result
            except retry_on as exc:
                if self.request.retries < self.max_retries:
                    delay = backoff_seconds(self.request.retries, base=backoff_base, cap=backoff_cap)
                    logger.warning("%s: transient failure (%s: %s); retry %d/%d in %ds", name,
                                   type(exc).__name__, exc, attempt, self.max_retries, delay)
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

        task.job_function = fn
        return task

    return decorate
