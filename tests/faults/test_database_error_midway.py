"""A real database error partway through a pass's auto-execution.

Two triggers on the registry table (`models`) do the work, on SQLite and PostgreSQL alike:

- an *audit guard* refuses any disable of a registry row for which no `pending` disable
  audit row exists at that moment — so every change the pass makes proves, in the
  database itself, that its audit record was written first (MongoDB has no transaction
  to tie the two together, so that order is the whole guarantee);
- a *fault* refuses the disable of one chosen model (the third the policy allows), a
  real database error in the middle of the pass.

The tests run in autocommit (transaction=True): nothing is rolled back for us, so what
the pass left behind is exactly what a MongoDB deployment would be left with.
"""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.test import override_settings

from operator_app.engine import operator_run
from operator_app.models import Decision, OperatorRun
from registry.models import AuditLog

from .support import AS_OF, AS_OF_ISO, disabled_keys, seed_fleet

pytestmark = pytest.mark.django_db(transaction=True)

FAULT = "injected fault: registry row is write-protected"
GUARD = "audit guard: registry disabled without a pending audit row"

SQLITE_GUARD = f"""
CREATE TRIGGER faults_audit_guard BEFORE UPDATE OF enabled ON models
WHEN OLD.enabled = 1 AND NEW.enabled = 0 AND NOT EXISTS (
    SELECT 1 FROM operator_audit_log a WHERE a.provider = OLD.provider AND a.model_id = OLD.model_id
    AND a.action = 'disable' AND a.status = 'pending')
BEGIN SELECT RAISE(ABORT, '{GUARD}'); END
"""
SQLITE_FAULT = f"""
CREATE TRIGGER faults_write_protect BEFORE UPDATE OF enabled ON models
WHEN OLD.provider = %s AND OLD.model_id = %s AND NEW.enabled = 0
BEGIN SELECT RAISE(ABORT, '{FAULT}'); END
"""
PG_GUARD = [
    f"""
CREATE OR REPLACE FUNCTION faults_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.enabled AND NOT NEW.enabled AND NOT EXISTS (
      SELECT 1 FROM operator_audit_log a WHERE a.provider = OLD.provider AND a.model_id = OLD.model_id
      AND a.action = 'disable' AND a.status = 'pending') THEN
    RAISE EXCEPTION '{GUARD}';
  END IF;
  RETURN NEW;
END $$""",
    "CREATE TRIGGER faults_audit_guard BEFORE UPDATE ON models FOR EACH ROW EXECUTE FUNCTION faults_audit_guard()",
]
PG_FAULT = [
    f"""CREATE OR REPLACE FUNCTION faults_write_protect() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '{FAULT}'; END $$""",
    """CREATE TRIGGER faults_write_protect BEFORE UPDATE ON models FOR EACH ROW
WHEN (OLD.provider = %s AND OLD.model_id = %s AND OLD.enabled AND NOT NEW.enabled)
EXECUTE FUNCTION faults_write_protect()""",
]


def _execute(statements, params=()):
    with connection.cursor() as cursor:
        for sql in statements:
            if "%s" in sql:
                # DDL cannot take bind parameters: quote the literals ourselves (test-chosen values).
                sql = sql % tuple("'" + str(p).replace("'", "''") + "'" for p in params)
            cursor.execute(sql)


def install_guard():
    if connection.vendor == "sqlite":
        _execute([SQLITE_GUARD])
    elif connection.vendor == "postgresql":
        _execute(PG_GUARD)
    else:
        pytest.skip(f"no trigger support written for {connection.vendor}")


def install_fault(provider, model_id):
    _execute([SQLITE_FAULT] if connection.vendor == "sqlite" else PG_FAULT, (provider, model_id))


def remove_fault():
    suffix = "" if connection.vendor == "sqlite" else " ON models"
    _execute([f"DROP TRIGGER IF EXISTS faults_write_protect{suffix}"])


@pytest.fixture
def guarded():
    install_guard()
    yield
    suffix = "" if connection.vendor == "sqlite" else " ON models"
    _execute([f"DROP TRIGGER IF EXISTS faults_write_protect{suffix}", f"DROP TRIGGER IF EXISTS faults_audit_guard{suffix}"])


def _applied_disables() -> Counter:
    return Counter(AuditLog.objects.filter(action="disable", status="applied").values_list("provider", "model_id"))


def _assert_every_change_has_its_audit_row(expected_disabled):
    disabled = disabled_keys()
    assert disabled == set(expected_disabled)
    applied = _applied_disables()
    assert set(applied) == disabled  # no registry change without its applied audit row, and vice versa
    assert all(n == 1 for n in applied.values()), applied  # and never two


@pytest.mark.sql_only(reason="injects faults with SQLite/PostgreSQL triggers")
def test_the_audit_guard_itself_refuses_an_unaudited_change(guarded):
    """The guard is real: a write that skips the audit row is refused by the database."""
    from registry.models import RegisteredModel

    seed_fleet()
    row = RegisteredModel.objects.filter(enabled=True).first()
    with pytest.raises(DatabaseError, match="audit guard"):
        RegisteredModel.objects.filter(pk=row.pk).update(enabled=False)
    assert RegisteredModel.objects.get(pk=row.pk).enabled


@pytest.mark.sql_only(reason="injects faults with SQLite/PostgreSQL triggers")
def test_a_database_error_midway_leaves_nothing_unaudited_and_a_rerun_completes_the_rest(guarded):
    seed_fleet()
    plan = operator_run(as_of=AS_OF, use_llm=False, dry_run=True)
    order = [p.key for p in plan.proposals if p.policy.auto_execute]
    assert len(order) >= 3, "the demo fleet must offer at least three policy-approved disables"
    done, failing, rest = order[:2], order[2], order[3:]
    install_fault(*failing)

    with pytest.raises(DatabaseError, match="injected fault"):
        call_command("run_operator", "--no-llm", "--as-of", AS_OF_ISO, stdout=StringIO(), stderr=StringIO())

    run = OperatorRun.objects.get()
    assert run.status == "failed" and "injected fault" in run.error and run.finished_at is not None
    assert run.auto_executed == len(done)  # the record says what the failed pass did do
    _assert_every_change_has_its_audit_row(done)
    # The failed item: its audit row says failed, nothing applied; no row is left pending.
    failed_rows = list(AuditLog.objects.filter(provider=failing[0], model_id=failing[1]))
    assert [(a.action, a.status) for a in failed_rows] == [("disable", "failed")]
    assert "injected fault" in failed_rows[0].error and failed_rows[0].run_ref == run.pk
    assert not AuditLog.objects.filter(status="pending").exists()
    # Its decision goes back to pending (with the error noted) so the rerun takes it up.
    decision = Decision.objects.get(provider=failing[0], model_id=failing[1])
    assert decision.status == "pending" and decision.auto_execute and "injected fault" in decision.execution_error
    for key in rest:  # never reached: untouched and still pending
        assert Decision.objects.get(provider=key[0], model_id=key[1]).status == "pending"
        assert not AuditLog.objects.filter(provider=key[0], model_id=key[1]).exists()
    decisions_after_fault = Decision.objects.count()

    remove_fault()
    call_command("run_operator", "--no-llm", "--as-of", AS_OF_ISO, stdout=StringIO(), stderr=StringIO())

    rerun = OperatorRun.objects.exclude(pk=run.pk).get()
    assert rerun.status == "succeeded" and rerun.auto_executed == 1 + len(rest)
    _assert_every_change_has_its_audit_row(order)
    assert not AuditLog.objects.filter(status="pending").exists()
    # No duplicate decisions: the rerun reused the pending ones, one decision per model.
    assert Decision.objects.count() == decisions_after_fault
    per_model = Counter(Decision.objects.values_list("provider", "model_id"))
    assert all(n == 1 for n in per_model.values()), per_model
    for key in order:
        assert Decision.objects.get(provider=key[0], model_id=key[1]).status == "auto_executed"
    # A third pass on the same evidence changes nothing.
    before = (Decision.objects.count(), AuditLog.objects.count(), disabled_keys())
    operator_run(as_of=AS_OF, use_llm=False)
    assert (Decision.objects.count(), AuditLog.objects.count(), disabled_keys()) == before


@pytest.mark.sql_only(reason="injects faults with SQLite/PostgreSQL triggers")
def test_an_admin_approval_hitting_a_database_error_can_be_retried(guarded):
    """The review path: the error surfaces, the decision is not stuck in `approved`."""
    from django.contrib.auth import get_user_model

    from operator_app.services import decisions_approve
    from registry.services import Actor

    seed_fleet()
    with override_settings(OPERATOR_AUTO_EXECUTE=False):  # leave the disables for a human
        operator_run(as_of=AS_OF, use_llm=False)
    decision = Decision.objects.filter(action="disable", status="pending").order_by("provider", "model_id").first()
    install_fault(decision.provider, decision.model_id)
    actor = Actor.for_user(get_user_model().objects.create_user("alice"))
    with pytest.raises(DatabaseError, match="injected fault"):
        decisions_approve(decision_ids=[decision.pk], actor=actor)
    decision.refresh_from_db()
    assert decision.status == "pending"
    assert disabled_keys() == set()
    assert list(AuditLog.objects.filter(action="disable").values_list("status", flat=True)) == ["failed"]

    remove_fault()
    [outcome] = decisions_approve(decision_ids=[decision.pk], actor=actor)
    assert outcome.executed
    _assert_every_change_has_its_audit_row([(decision.provider, decision.model_id)])
