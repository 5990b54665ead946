import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connections

from lifecycle.models import ModelStatus
from operator_app.models import Decision
from operator_app.services import decisions_approve, decisions_reject
from registry.models import AuditLog, RegisteredModel
from registry.services import Actor, ChangeError

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return Actor.for_user(get_user_model().objects.create_user("alice"))


def _decision(model_id="gpt-4.5-preview", action="disable", error_class="hard_model", **kw):
    RegisteredModel.objects.get_or_create(provider="openai", model_id=model_id)
    ModelStatus.objects.get_or_create(provider="openai", model_id=model_id)
    return Decision.objects.create(provider="openai", model_id=model_id, action=action, confidence=0.9,
                                   reasoning="404 for days", suggested_by="llm", error_class=error_class, **kw)


def test_it_approves_and_carries_out_through_the_change_service(alice):
    d = _decision()
    [outcome] = decisions_approve(decision_ids=[d.pk], actor=alice, note="looks dead")
    assert outcome.claimed and outcome.executed and outcome.audit.action == "disable"
    d.refresh_from_db()
    assert d.status == "approved" and d.executed_at and d.reviewer_name == "alice" and d.review_note == "looks dead"
    assert not RegisteredModel.objects.get(model_id="gpt-4.5-preview").enabled
    mirror = ModelStatus.objects.get(model_id="gpt-4.5-preview").operator_decision
    assert mirror["status"] == "approved" and mirror["action"] == "disable" and mirror["executed_at"]
    assert set(mirror) == {"action", "confidence", "reasoning", "suggested_at", "suggested_by", "status", "executed_at"}
    assert set(AuditLog.objects.values_list("action", flat=True)) == {"approve_decision", "disable"}


def test_it_acknowledges_a_decision_that_changes_nothing(alice):
    d = _decision(action="monitor", error_class="auth")
    [outcome] = decisions_approve(decision_ids=[d.pk], actor=alice)
    assert outcome.claimed and not outcome.executed and "acknowledged" in outcome.message
    d.refresh_from_db()
    assert d.status == "acknowledged" and d.executed_at is None
    assert RegisteredModel.objects.get(model_id="gpt-4.5-preview").enabled
    # the mirror reads in the spec's vocabulary: an acknowledgement is an approval
    assert ModelStatus.objects.get(model_id="gpt-4.5-preview").operator_decision["status"] == "approved"


def test_it_approves_each_decision_once(alice):
    d = _decision()
    first = decisions_approve(decision_ids=[d.pk], actor=alice)
    second = decisions_approve(decision_ids=[d.pk, d.pk], actor=alice)
    assert first[0].executed and not second[0].claimed and "not pending" in second[0].message
    assert len(second) == 1  # the same id twice counts once
    assert AuditLog.objects.filter(action="disable").count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_executes_once_when_two_admins_approve_concurrently():
    if connections["default"].vendor == "sqlite":
        pytest.skip("SQLite locks whole tables across threads; this race runs on PostgreSQL")
    users = [get_user_model().objects.create_user(n) for n in ("alice", "bob")]
    decisions = [_decision(model_id=f"m{i}") for i in range(6)]
    ids = [d.pk for d in decisions]
    results, barrier = {}, threading.Barrier(2)

    def approve(user):
        barrier.wait()
        try:
            results[user.username] = decisions_approve(decision_ids=ids, actor=Actor.for_user(user))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    executed = sum(o.executed for outcomes in results.values() for o in outcomes)
    assert executed == 6
    assert AuditLog.objects.filter(action="disable", status="applied").count() == 6
    assert not RegisteredModel.objects.filter(enabled=True).exists()


def test_it_marks_a_failed_execution_and_keeps_going(alice):
    gone = _decision(model_id="gone")
    RegisteredModel.objects.filter(model_id="gone").delete()
    ok = _decision(model_id="ok")
    outcomes = decisions_approve(decision_ids=[gone.pk, ok.pk, "missing"], actor=alice)
    assert [o.executed for o in outcomes] == [False, True, False]
    assert "not in the registry" in outcomes[0].message and "no decision missing" == outcomes[2].message
    gone.refresh_from_db()
    assert gone.status == "failed" and "not in the registry" in gone.execution_error


def test_it_approves_monitor_decisions_without_a_registry_change(alice):
    d = _decision(action="monitor", error_class="auth")
    [outcome] = decisions_approve(decision_ids=[d.pk], actor=alice)
    assert outcome.claimed and not outcome.executed
    assert RegisteredModel.objects.get(model_id="gpt-4.5-preview").enabled


def test_it_disables_recoverable_classes_with_a_recheck(alice):
    d = _decision(error_class="auth")
    decisions_approve(decision_ids=[d.pk], actor=alice)
    row = RegisteredModel.objects.get(model_id="gpt-4.5-preview")
    assert row.disabled_class == "auth" and row.recheck_after is not None


def test_it_rejects_with_a_reason_only(alice):
    d = _decision()
    with pytest.raises(ChangeError, match="reason is required"):
        decisions_reject(decision_ids=[d.pk], actor=alice, reason=" ")
    [outcome] = decisions_reject(decision_ids=[d.pk], actor=alice, reason="model is fine")
    assert outcome.claimed
    d.refresh_from_db()
    assert d.status == "rejected" and d.review_note == "model is fine"
    assert ModelStatus.objects.get(model_id="gpt-4.5-preview").operator_decision["status"] == "rejected"
    [again] = decisions_approve(decision_ids=[d.pk], actor=alice)
    assert not again.claimed and RegisteredModel.objects.get(model_id="gpt-4.5-preview").enabled
