"""Moving RegisteredModel and AuditLog into the registry app keeps every row, link and permission.

The database is migrated back to before the move (lifecycle 0001, operator_app 0003), filled
through the historical models the way the old code wrote it, and migrated forward again.
"""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = {"lifecycle": "0001_initial", "operator_app": "0003_decision_claim_token", "registry": None}


def _apps_before_the_move():
    executor = MigrationExecutor(connection)
    leaves = [node for node in executor.loader.graph.leaf_nodes() if node[0] not in BEFORE]
    targets = leaves + list(BEFORE.items())
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1]]).apps


@pytest.mark.django_db(transaction=True)
def test_it_moves_both_models_without_losing_a_row_a_link_or_a_permission():
    old = _apps_before_the_move()
    Group = old.get_model("auth", "Group")
    Permission = old.get_model("auth", "Permission")
    ContentType = old.get_model("contenttypes", "ContentType")
    Registered = old.get_model("lifecycle", "RegisteredModel")
    Audit = old.get_model("operator_app", "AuditLog")
    Run = old.get_model("operator_app", "OperatorRun")
    Decision = old.get_model("operator_app", "Decision")

    model = Registered.objects.create(provider="openai", model_id="gpt-4.5-preview", enabled=False,
                                      disabled_class="hard_model")
    run = Run.objects.create()
    decision = Decision.objects.create(run=run, provider="openai", model_id="gpt-4.5-preview", action="disable")
    linked = Audit.objects.create(actor="operator", action="disable", provider="openai", model_id="gpt-4.5-preview",
                                  decision=decision, decision_ref=decision.pk, run=run, run_ref=run.pk)
    # a row written before refs were filled: only its foreign keys know the decision and run
    legacy = Audit.objects.create(actor="operator", action="disable", provider="openai", model_id="gpt-4.5-preview",
                                  decision=decision, run=run)
    ctype = ContentType.objects.get_or_create(app_label="lifecycle", model="registeredmodel")[0]
    change = Permission.objects.get_or_create(content_type=ctype, codename="change_registeredmodel",
                                              defaults={"name": "Can change registered model"})[0]
    operators = Group.objects.create(name="legacy-operators")
    operators.permissions.add(change)

    call_command("migrate", verbosity=0, interactive=False)

    from django.contrib.auth.models import Group as NewGroup

    from registry.models import AuditLog, RegisteredModel

    assert RegisteredModel.objects.get(pk=model.pk).disabled_class == "hard_model"
    assert AuditLog.objects.get(pk=linked.pk).decision_ref == decision.pk
    moved = AuditLog.objects.get(pk=legacy.pk)
    assert (moved.decision_ref, moved.run_ref) == (decision.pk, run.pk)
    codenames = {f"{p.content_type.app_label}.{p.codename}"
                 for p in NewGroup.objects.get(name="legacy-operators").permissions.select_related("content_type")}
    assert codenames == {"registry.change_registeredmodel"}
