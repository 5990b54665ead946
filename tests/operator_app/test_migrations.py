"""Decisions written before approval carried them out read in the new vocabulary after migrate,
and none is left approved with nothing to move it on."""

from datetime import datetime, timezone

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("operator_app", "0006_decision_status_vocabulary")


@pytest.mark.django_db(transaction=True)
def test_it_moves_old_statuses_to_the_spec_vocabulary():
    executor = MigrationExecutor(connection)
    targets = [node for node in executor.loader.graph.leaf_nodes() if node[0] not in ("operator_app",)]
    executor.migrate(targets + [BEFORE])
    executor.loader.build_graph()
    Decision = executor.loader.project_state([BEFORE]).apps.get_model("operator_app", "Decision")
    at = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
    rows = {
        "auto": dict(action="disable", status="executed", reviewer_name="operator", executed_at=at, reviewed_at=at),
        "human": dict(action="disable", status="executed", reviewer_name="alice", executed_at=at, reviewed_at=at),
        "monitor": dict(action="monitor", status="approved", reviewer_name="alice", reviewed_at=at),
        "stuck": dict(action="disable", status="approved", reviewer_name="bob", reviewed_at=at),
        "rejected": dict(action="disable", status="rejected", reviewer_name="carol", reviewed_at=at),
    }
    pks = {name: Decision.objects.create(provider="openai", model_id=name, **fields).pk
           for name, fields in rows.items()}

    call_command("migrate", verbosity=0, interactive=False)

    from operator_app.models import Decision as Current

    got = {name: Current.objects.get(pk=pk) for name, pk in pks.items()}
    assert {name: d.status for name, d in got.items()} == {
        "auto": "auto_executed", "human": "approved", "monitor": "acknowledged", "stuck": "pending",
        "rejected": "rejected"}
    assert got["human"].executed_at == at and got["human"].reviewer_name == "alice"
    stuck = got["stuck"]
    assert stuck.reviewer_name == "" and "approved by bob on 2026-11-20 09:30 UTC" in stuck.execution_error
    assert not Current.objects.filter(status="approved", executed_at__isnull=True).exists()
