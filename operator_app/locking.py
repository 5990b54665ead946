"""A database-backed lease for the operator pass (no Redis needed, works on MongoDB).

Two passes at once would both see "no pending decision" for a model and both create one;
holding this lock for the whole pass prevents that. The lock is a short lease
(settings.OPERATOR_LOCK_LEASE seconds) that the holder renews as it works — at every stage
boundary, after every LLM batch and every executed decision, once a third of the lease has
passed — so a pass that is killed (SIGKILL, a Celery hard time limit, a lost container)
blocks the next one for one lease at most, not for hours:

- taking it is an insert guarded by the unique name; a lease that lapsed is taken over with a
  conditional update on the old holder, and the run it belonged to is marked `abandoned`;
- renewing is a conditional update on our own token: if it matches nothing, the lease was
  taken over (or broken with `manage.py operator_unlock`) and the pass stops (LeaseLost) before
  it writes anything more;
- releasing deletes only our own row.

Renewal happens in the pass's own thread, not in a background one: a pass that hangs stops
renewing and its lease lapses, and the renewal runs on the pass's own database connection.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from llmops.lib.object_id import new_object_id
from operator_app.models import OperatorLock, OperatorRun
from registry.services import Actor, audit_record

OPERATOR_LOCK = "operator-run"


class LockBusy(RuntimeError):
    """Another operator pass holds the lock."""


class LeaseLost(RuntimeError):
    """Our lease was taken over (it lapsed) or broken (operator_unlock): stop, write nothing more."""


class UnlockRefused(RuntimeError):
    """operator_unlock cannot do what was asked (no lock, or a live lease without --force)."""


def lease_seconds() -> int:
    return int(settings.OPERATOR_LOCK_LEASE)


def runs_abandon(*, why: str, now: datetime, run_ref: str = "") -> int:
    """Mark runs left `running` by a pass that is gone as `abandoned` (the one of `run_ref`, or
    every running one: while we hold the lock no other writing pass is running)."""
    runs = OperatorRun.objects.filter(status=OperatorRun.Status.RUNNING)
    if run_ref:
        runs = runs.filter(pk=run_ref)
    return runs.update(status=OperatorRun.Status.ABANDONED, finished_at=now, error=why[:2000])


def lock_acquire(*, name: str, ttl_seconds: int | None = None) -> str | None:
    """Our token if we took the lock (fresh, or over a lapsed lease), None if someone holds it."""
    token = new_object_id()
    now = timezone.now()
    expires = now + timedelta(seconds=ttl_seconds or lease_seconds())
    try:
        # The savepoint keeps a unique violation from poisoning an outer SQL transaction.
        with transaction.atomic():
            OperatorLock.objects.create(name=name, holder=token, acquired_at=now, renewed_at=now, expires_at=expires)
    except IntegrityError:
        lapsed = OperatorLock.objects.filter(name=name, expires_at__lt=now).first()
        if lapsed is None:
            return None
        taken = OperatorLock.objects.filter(name=name, holder=lapsed.holder, expires_at__lt=now).update(
            holder=token, acquired_at=now, renewed_at=now, expires_at=expires, run_ref="")
        if taken != 1:
            return None  # another pass took it over first
        runs_abandon(now=now, why=f"abandoned: its lease lapsed at {lapsed.expires_at:%Y-%m-%d %H:%M:%S} UTC "
                                  "(the pass was killed or hung) and a new pass took the operator lock over")
        return token
    runs_abandon(now=now, why="abandoned: found running while no pass held the operator lock (the pass was "
                              "killed before it could record its end)")
    return token


def lock_release(*, name: str, token: str) -> None:
    OperatorLock.objects.filter(name=name, holder=token).delete()


@dataclass
class Lease:
    """The lease a running pass holds; `renew()` at every checkpoint (cheap until a third of the
    lease has passed, then one conditional update)."""

    name: str
    token: str
    seconds: int
    renewed: float = 0.0  # time.monotonic() of the last renewal

    def __post_init__(self):
        self.renewed = time.monotonic()

    def attach(self, run: OperatorRun) -> None:
        """Name the run this lease belongs to, so a takeover or operator_unlock can settle it."""
        OperatorLock.objects.filter(name=self.name, holder=self.token).update(run_ref=str(run.pk))
        self.renew(force=True)

    def renew(self, *, force: bool = False) -> None:
        if not force and time.monotonic() - self.renewed < self.seconds / 3:
            return
        now = timezone.now()
        kept = OperatorLock.objects.filter(name=self.name, holder=self.token).update(
            renewed_at=now, expires_at=now + timedelta(seconds=self.seconds))
        if kept != 1:
            raise LeaseLost("the operator lock was taken over or broken (operator_unlock) while this pass ran; "
                            "it stopped before writing anything more")
        self.renewed = time.monotonic()


@contextlib.contextmanager
def operator_lock(name: str = OPERATOR_LOCK):
    seconds = lease_seconds()
    token = lock_acquire(name=name, ttl_seconds=seconds)
    if token is None:
        holder = OperatorLock.objects.filter(name=name).first()
        since = f" since {holder.acquired_at:%Y-%m-%d %H:%M:%S} UTC" if holder else ""
        until = f" (lease until {holder.expires_at:%H:%M:%S} UTC)" if holder else ""
        raise LockBusy(f"another operator pass is running{since}{until}; try again when it has finished")
    try:
        yield Lease(name=name, token=token, seconds=seconds)
    finally:
        lock_release(name=name, token=token)


@dataclass
class UnlockOutcome:
    lock: OperatorLock
    lapsed: bool
    run: OperatorRun | None
    abandoned: bool
    audit: object


def lock_break(*, actor: Actor, reason: str, force: bool = False, name: str = OPERATOR_LOCK) -> UnlockOutcome:
    """Remove the operator lock (audited first) and mark its run abandoned.

    A lapsed lease is simply cleared (the next pass would take it over anyway). A live one is
    being renewed by a pass that is still working: breaking it needs `force`, and that pass
    then stops at its next renewal (LeaseLost) instead of racing the next one.
    """
    reason = (reason or "").strip()
    if not reason:
        raise UnlockRefused("a reason is required (it goes into the audit log)")
    row = OperatorLock.objects.filter(name=name).first()
    if row is None:
        raise UnlockRefused("no operator lock is held; nothing to unlock")
    now = timezone.now()
    lapsed = row.expires_at <= now
    if not lapsed and not force:
        renewed = row.renewed_at or row.acquired_at
        raise UnlockRefused(f"the lease is live until {row.expires_at:%Y-%m-%d %H:%M:%S} UTC (renewed "
                            f"{(now - renewed).total_seconds():.0f}s ago): a pass is probably still running. "
                            "Wait for it, or pass --force to break it anyway (that pass then stops).")
    run = OperatorRun.objects.filter(pk=row.run_ref).first() if row.run_ref else None
    before = {"holder": row.holder, "acquired_at": row.acquired_at.isoformat(), "expires_at": row.expires_at.isoformat(),
              "run": row.run_ref, "lapsed": lapsed}
    audit = audit_record(action="operator_unlock", actor=actor, reason=reason, run=run, before=before,
                         after={"lock": None, "run_status": OperatorRun.Status.ABANDONED if run else None})
    deleted, _ = OperatorLock.objects.filter(pk=row.pk, holder=row.holder).delete()
    if not deleted:
        raise UnlockRefused("the lock changed while unlocking (the pass finished or another took it); nothing done")
    abandoned = bool(row.run_ref) and runs_abandon(
        now=now, run_ref=row.run_ref, why=f"abandoned: operator lock broken by {actor.name} with operator_unlock "
                                          f"({reason[:200]})") == 1
    return UnlockOutcome(lock=row, lapsed=lapsed, run=run, abandoned=abandoned, audit=audit)
