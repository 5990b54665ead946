"""A database-backed lock for the operator pass (no Redis needed, works on MongoDB).

Two passes at once would both see "no pending decision" for a model and both create
one; holding this lock for the whole pass prevents that. Taking it is an insert guarded
by a unique name; releasing deletes only our own row (matched by token); a lock whose
holder died is taken over once it expires.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from llmops.lib.object_id import new_object_id
from operator_app.models import OperatorLock

OPERATOR_LOCK = "operator-run"


class LockBusy(RuntimeError):
    """Another operator pass holds the lock."""


def lock_acquire(*, name: str, ttl_seconds: int | None = None) -> str | None:
    """Our token if we took the lock, None if someone else holds it."""
    token = new_object_id()
    now = timezone.now()
    expires = now + timedelta(seconds=ttl_seconds or getattr(settings, "JOB_LOCK_TTL", 10800))
    try:
        # The savepoint keeps a unique violation from poisoning an outer SQL transaction.
        with transaction.atomic():
            OperatorLock.objects.create(name=name, holder=token, acquired_at=now, expires_at=expires)
        return token
    except IntegrityError:
        pass
    taken = OperatorLock.objects.filter(name=name, expires_at__lt=now).update(
        holder=token, acquired_at=now, expires_at=expires
    )
    return token if taken == 1 else None


def lock_release(*, name: str, token: str) -> None:
    OperatorLock.objects.filter(name=name, holder=token).delete()


@contextlib.contextmanager
def operator_lock(name: str = OPERATOR_LOCK):
    token = lock_acquire(name=name)
    if token is None:
        holder = OperatorLock.objects.filter(name=name).first()
        since = f" since {holder.acquired_at:%Y-%m-%d %H:%M:%S} UTC" if holder else ""
        raise LockBusy(f"another operator pass is running{since}; try again when it has finished")
    try:
        yield token
    finally:
        lock_release(name=name, token=token)
