"""Two workers running the operator at once (the database lock admits one pass), and two admins
approving the same batch of a pass (each decision executes once).

On PostgreSQL two threads (two connections) race for real. SQLite serialises writers
through one file lock, so the race there would test SQLite, not us; instead a second
pass is started *inside* the first one (from its LLM progress callback, while the first
holds the lock), through the engine, the management command and the Celery task.
"""

from __future__ import annotations

import threading
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from operator_app.engine import operator_run
from operator_app.locking import LockBusy
from operator_app.models import Decision, OperatorLock, OperatorRun
from tests.operator_app.fake_llm import FakeLLM, Reply, answers, request_situations

from .support import AS_OF, llm_settings, seed_fleet


def slow_disable_everything(request, number):
    """An LLM that takes a moment (so passes overlap) and answers disable 0.99 for everything."""
    reply = answers([{"situation_id": s["id"], "action": "disable", "confidence": 0.99, "reasoning": "gone",
                      "suggested_model_id": None} for s in request_situations(request)])
    return Reply(status=reply.status, body=reply.body, delay=0.4)


def _assert_one_live_decision_per_model():
    live = Counter(Decision.objects.filter(status="pending").values_list("provider", "model_id"))
    assert live and all(n == 1 for n in live.values()), live
    executed = Counter(Decision.objects.filter(executed_at__isnull=False).values_list("provider", "model_id"))
    assert all(n == 1 for n in executed.values()), executed


@pytest.mark.django_db(transaction=True)
def test_two_threads_race_and_exactly_one_pass_runs():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers with a file lock; the in-pass overlap test below covers it")
    seed_fleet()
    barrier = threading.Barrier(2)
    outcomes = []

    def worker():
        try:
            barrier.wait(timeout=5)
            report = operator_run(as_of=AS_OF, trigger="celery")
            outcomes.append(("ran", report.run.pk))
        except LockBusy as exc:
            outcomes.append(("refused", str(exc)))
        except Exception as exc:  # anything else is a failure of the test
            outcomes.append(("error", repr(exc)))
        finally:
            connections.close_all()

    with FakeLLM(slow_disable_everything) as server, llm_settings(server):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["ran", "refused"], outcomes
    assert "another operator pass is running" in next(text for kind, text in outcomes if kind == "refused")
    assert len(server.requests) == 1  # the refused pass never reached the LLM
    assert OperatorRun.objects.count() == 1 and OperatorRun.objects.get().status == "succeeded"
    _assert_one_live_decision_per_model()
    assert not OperatorLock.objects.exists()  # released


@pytest.mark.django_db
def test_a_pass_started_while_another_holds_the_lock_is_refused_cleanly():
    from llmops.celery import app

    seed_fleet()
    app.loader.import_default_modules()
    task = app.tasks["operator_app.tasks.run_operator"]
    attempts = []

    def second_pass(done, total):
        # Called by the first pass between LLM batches, while it holds the lock.
        with pytest.raises(LockBusy, match="another operator pass is running"):
            operator_run(as_of=AS_OF, use_llm=False)
        with pytest.raises(CommandError, match="another operator pass is running"):
            call_command("run_operator", "--no-llm", stdout=StringIO(), stderr=StringIO())
        attempts.append(task(use_llm=False))  # the Celery task's body at the same moment

    with FakeLLM(slow_disable_everything) as server, llm_settings(server):
        first = operator_run(as_of=AS_OF, progress=second_pass)
    assert attempts and attempts[0]["skipped"] == "locked"  # a clean skip, not a crash or a failure record
    runs = list(OperatorRun.objects.all())
    assert [r.pk for r in runs] == [first.run.pk] and runs[0].status == "succeeded"
    _assert_one_live_decision_per_model()
    assert not OperatorLock.objects.exists()
    from llmops.models import JobFailure

    assert not JobFailure.objects.exists()


@pytest.mark.mongo  # the quick MongoDB suite (make test-mongo-ci)
@pytest.mark.django_db(transaction=True)
def test_two_admins_approving_the_same_batch_of_a_pass_execute_it_once():
    """After a full pass left its disables for review, two admins approve the whole batch at once."""
    from django.contrib.auth import get_user_model
    from django.test import override_settings

    from operator_app.services import decisions_approve
    from registry.models import AuditLog
    from registry.services import Actor

    from .support import disabled_keys

    seed_fleet()
    with override_settings(OPENAI_API_KEY="", OPERATOR_AUTO_EXECUTE=False):
        operator_run(as_of=AS_OF)
    batch = list(Decision.objects.filter(status="pending").values_list("pk", flat=True))
    disables = set(Decision.objects.filter(status="pending", action="disable").values_list("provider", "model_id"))
    renames = Decision.objects.filter(status="pending", action="rename").count()
    assert disables and not disabled_keys()
    actors = [Actor.for_user(get_user_model().objects.create_user(name)) for name in ("alice", "bob")]
    outcomes = {}

    def approve(actor, barrier=None):
        try:
            if barrier:
                barrier.wait(timeout=5)
            outcomes[actor.name] = decisions_approve(decision_ids=batch, actor=actor)
        finally:
            if barrier:
                connections.close_all()

    if connection.vendor == "sqlite":  # one writer at a time: the second approval comes right after
        for actor in actors:
            approve(actor)
    else:
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=approve, args=(a, barrier)) for a in actors]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    claimed = [o for outs in outcomes.values() for o in outs if o.claimed]
    assert len(claimed) == len(batch)  # every decision claimed by exactly one admin
    assert disabled_keys() == disables
    applied = Counter(AuditLog.objects.filter(action="disable", status="applied").values_list("provider", "model_id"))
    assert set(applied) == disables and set(applied.values()) == {1}
    assert AuditLog.objects.filter(action="approve_decision").count() == len(batch)
    # disables and renames approved and carried out; the monitors acknowledged
    assert Counter(Decision.objects.filter(pk__in=batch).values_list("status", flat=True)) == {
        "approved": len(disables) + renames, "acknowledged": len(batch) - len(disables) - renames}
    assert Decision.objects.filter(pk__in=batch, status="approved", executed_at__isnull=False).count() == \
        len(disables) + renames
