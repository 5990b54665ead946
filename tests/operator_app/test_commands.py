import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from operator_app.models import Decision
from registry.models import AuditLog, RegisteredModel

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet_rows():
    for model_id in ("a", "b", "c"):
        RegisteredModel.objects.create(provider="openrouter", model_id=model_id)
    RegisteredModel.objects.create(provider="openai", model_id="gpt-4o")


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue()


@pytest.mark.mongo  # the quick MongoDB suite (make test-mongo-ci)
def test_disable_models_is_a_dry_run_until_apply_and_is_revertible(fleet_rows):
    out = run("disable_models", "--provider", "openrouter", "--reason", "phase 1: direct providers only")
    assert "would disable openrouter/a" in out and "3 would be disabled" in out
    assert RegisteredModel.objects.filter(enabled=False).count() == 0 and AuditLog.objects.count() == 0
    out = run("disable_models", "--provider", "openrouter", "--model", "openai/gpt-4o", "--reason", "phase 1",
              "--apply")
    assert "disabled 4, failed 0" in out
    assert RegisteredModel.objects.filter(enabled=False).count() == 4
    audit = AuditLog.objects.get(model_id="gpt-4o")
    assert audit.reason == "phase 1" and audit.actor_type == "system"
    out = run("revert_change", audit.pk)
    assert "reverted" in out and RegisteredModel.objects.get(model_id="gpt-4o").enabled
    with pytest.raises(CommandError, match="already reverted"):
        run("revert_change", audit.pk)
    out = run("disable_models", "--provider", "openrouter", "--reason", "again")
    assert "0 would be disabled, 3 already disabled" in out


def test_disable_models_refuses_unknown_models_and_empty_reasons(fleet_rows):
    with pytest.raises(CommandError, match="not in the registry: openai/nope"):
        run("disable_models", "--model", "openai/nope", "openai/gpt-4o", "--reason", "x", "--apply")
    with pytest.raises(CommandError, match="must not be empty"):
        run("disable_models", "--provider", "openrouter", "--reason", " ")
    assert RegisteredModel.objects.filter(enabled=False).count() == 0


@pytest.mark.mongo  # the quick MongoDB suite (make test-mongo-ci)
def test_decisions_approve_and_reject_commands(fleet_rows):
    d1 = Decision.objects.create(provider="openai", model_id="gpt-4o", action="disable", confidence=0.9,
                                 error_class="hard_model", suggested_by="llm")
    d2 = Decision.objects.create(provider="openrouter", model_id="a", action="monitor", confidence=0.7)
    listed = json.loads(run("decisions", "--status", "pending", "--format", "json"))
    assert {d["id"] for d in listed} == {d1.pk, d2.pk}
    assert "unattended execution needs confidence ≥ 0.95" in run("decisions")
    # the email prints `approve_decision ID`: pasted as is, it disables
    assert "executed: disabled openai/gpt-4o" in run("approve_decision", d1.pk)
    assert not RegisteredModel.objects.get(model_id="gpt-4o").enabled
    with pytest.raises(CommandError, match="nothing was approved"):
        run("approve_decision", d1.pk)
    with pytest.raises(CommandError, match="reason"):
        run("reject_decision", d2.pk, "--reason", "")
    assert "rejected" in run("reject_decision", d2.pk, "--reason", "fine")
    assert Decision.objects.get(pk=d2.pk).status == "rejected"
