"""Redis locks that keep periodic jobs from overlapping.

A lock expires by itself (`ttl`), so a worker that dies mid-job cannot block the next
runs forever. Release is token-checked (redis-py's Lock runs a compare-and-delete
script), so a run whose lock already expired never deletes the lock of the run that
took over. Management commands do not use these locks: they must run without Redis.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import redis
from django.conf import settings
from redis.exceptions import LockError

logger = logging.getLogger(__name__)

KEY_PREFIX = "llmops:lock:"


def redis_client(*, url: str | None = None) -> redis.Redis:
    """A client for the lock store (settings.REDIS_URL unless `url` is given)."""
    return redis.Redis.from_url(url or settings.REDIS_URL, socket_connect_timeout=5, socket_timeout=10)


def lock_key(name: str) -> str:
    return f"{KEY_PREFIX}{name}"


@contextlib.contextmanager
def job_lock(name: str, *, ttl: int | None = None, client: redis.Redis | None = None) -> Iterator[bool]:
    """Try once to take the lock `name`; yield whether we hold it.

    Never waits: a job that finds the lock taken should log and exit, not queue up
    behind the running one. Connection errors propagate (the caller retries them).
    """
    client = client or redis_client()
    lock = client.lock(lock_key(name), timeout=ttl or settings.JOB_LOCK_TTL, blocking=False)
    acquired = lock.acquire(blocking=False)
    try:
        yield acquired
    finally:
        if acquired:
            try:
                lock.release()
            except LockError:
                # The TTL ran out before the job finished; another run may hold it now.
                logger.warning("lock %s expired before the job finished (ttl too short?)", name)


def lock_holder_exists(name: str, *, client: redis.Redis | None = None) -> bool:
    """Whether some run currently holds the lock `name` (for diagnostics and tests)."""
    client = client or redis_client()
    return bool(client.exists(lock_key(name)))
