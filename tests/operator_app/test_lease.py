"""A killed pass blocks the operator for one short lease, not hours: the lease is renewed while a
pass works, a lapsed one is taken over and its run marked abandoned, a pass whose lease was
broken stops before writing, and `manage.py operator_unlock` (audited) is there for the impatient."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from operator_app.engine import operator_run
from operator_app.locking import OPERATOR_LOCK, LeaseLost
from operator_app.models import Decision, OperatorLock, OperatorRun
from registry.models import AuditLog
from tests.faults.support import AS_OF, AS_OF_ISO, llm_settings, seed_fleet
from tests.operator_app.fake_llm import FakeLLM, answers, request_situations

pytestmark = pytest.mark.django_db


def _killed_pass(*, lapsed: bool) -> OperatorRun:
    """What a pass killed with SIGKILL mid-way leaves: its run `running`, its lease row."""
    now = timezone.now()
    run = OperatorRun.objects.create(started_at=now - timedelta(minutes=20), as_of=AS_OF, status="running")
    expires = now - timedelta(seconds=5) if lapsed else now + timedelta(seconds=200)
    OperatorLock.objects.create(name=OPERATOR_LOCK, holder="dead-holder-token", acquired_at=run.started_at,
                                renewed_at=expires - timedelta(seconds=300), expires_at=expires, run_ref=str(run.pk))
    return run


def _run_operator(*args):
    out, err = StringIO(), StringIO()
    call_command("run_operator", "--no-llm", "--as-of", AS_OF_ISO, *args, stdout=out, stderr=err)
    return out.getvalue()


def test_a_killed_pass_blocks_the_next_only_until_its_lease_lapses():
    seed_fleet()
    dead = _killed_pass(lapsed=False)
    with pytest.raises(CommandError, match=r"another operator pass is running since .* \(lease until"):
        _run_operator()
    assert Decision.objects.count() == 0
    OperatorLock.objects.filter(name=OPERATOR_LOCK).update(expires_at=timezone.now() - timedelta(seconds=1))
    _run_operator()  # takes the lapsed lease over
    dead.refresh_from_db()
    assert dead.status == "abandoned" and dead.finished_at is not None
    assert "lease lapsed" in dead.error and "took the operator lock over" in dead.error
    new = OperatorRun.objects.exclude(pk=dead.pk).get()
    assert new.status == "succeeded" and Decision.objects.filter(run=new).count() > 0
    assert not OperatorLock.objects.exists()  # released at the end
    report = StringIO()
    call_command("send_health_report", "--dry-run", stdout=report, stderr=StringIO())
    assert "1 failed operator run(s)" in report.getvalue()
    assert "ABANDONED: abandoned: its lease lapsed" in report.getvalue()


def test_a_run_left_running_without_any_lock_is_abandoned_by_the_next_pass():
    seed_fleet()
    stale = OperatorRun.objects.create(as_of=AS_OF, status="running")
    _run_operator()
    stale.refresh_from_db()
    assert stale.status == "abandoned" and "no pass held the operator lock" in stale.error


def _slow_llm(request, number):
    return answers([{"situation_id": s["id"], "action": "monitor", "confidence": 0.6, "reasoning": "watching"}
                    for s in request_situations(request)])


def test_a_working_pass_renews_its_lease_so_a_pass_longer_than_the_lease_keeps_it():
    seed_fleet()
    seen = []

    def probe(done, total, **kw):
        # Called in the pass's own thread after every LLM batch: the lease must be live and moving.
        lock = OperatorLock.objects.get(name=OPERATOR_LOCK)
        seen.append((timezone.now(), lock.expires_at, lock.run_ref))

    def slow(request, number):
        reply = _slow_llm(request, number)
        reply.delay = 0.45
        return reply

    with FakeLLM(slow) as server, llm_settings(server, OPERATOR_LOCK_LEASE=1, OPERATOR_LLM_BATCH_TOKENS=600):
        report = operator_run(as_of=AS_OF, progress=probe)
    assert report.run.status == "succeeded"
    assert len(seen) >= 3 and seen[-1][0] - seen[0][0] > timedelta(seconds=0.8)  # longer than a lease
    assert all(now < expires for now, expires, _ in seen)  # never lapsed while working
    assert len({expires for _, expires, _ in seen}) >= 2  # renewed
    assert {run_ref for *_, run_ref in seen} == {str(report.run.pk)}


def test_a_pass_whose_lease_was_broken_stops_before_writing():
    seed_fleet()

    def broken(done, total, **kw):
        OperatorLock.objects.filter(name=OPERATOR_LOCK).delete()  # operator_unlock --force, elsewhere

    with FakeLLM(_slow_llm) as server, llm_settings(server):
        with pytest.raises(LeaseLost):
            operator_run(as_of=AS_OF, progress=broken)
    run = OperatorRun.objects.get()
    assert run.status == "failed" and "LeaseLost" in run.error
    assert Decision.objects.count() == 0 and not AuditLog.objects.exists()


def test_operator_unlock_clears_a_lapsed_lease_abandons_its_run_and_is_audited():
    dead = _killed_pass(lapsed=True)
    out = StringIO()
    call_command("operator_unlock", "--reason", "worker OOM-killed at 03:20", "--actor", "ops-oncall", stdout=out)
    assert "lease lapsed" in out.getvalue() and "marked abandoned" in out.getvalue()
    assert not OperatorLock.objects.exists()
    dead.refresh_from_db()
    assert dead.status == "abandoned" and "operator_unlock" in dead.error
    entry = AuditLog.objects.get()
    assert (entry.action, entry.actor, entry.reason, entry.run_ref) == (
        "operator_unlock", "ops-oncall", "worker OOM-killed at 03:20", str(dead.pk))
    assert entry.before["holder"] == "dead-holder-token" and entry.after["run_status"] == "abandoned"


def test_operator_unlock_refuses_a_live_lease_without_force_and_when_nothing_is_held():
    with pytest.raises(CommandError, match="no operator lock is held"):
        call_command("operator_unlock", "--reason", "x", stdout=StringIO())
    live = _killed_pass(lapsed=False)
    with pytest.raises(CommandError, match=r"the lease is live until .* --force"):
        call_command("operator_unlock", "--reason", "impatient", stdout=StringIO())
    assert OperatorLock.objects.count() == 1 and not AuditLog.objects.exists()
    live.refresh_from_db()
    assert live.status == "running"
    call_command("operator_unlock", "--reason", "impatient", "--force", stdout=StringIO())
    live.refresh_from_db()
    assert live.status == "abandoned" and not OperatorLock.objects.exists()
    assert AuditLog.objects.get().before["lapsed"] is False
