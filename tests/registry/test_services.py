from datetime import datetime, timedelta, timezone

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from registry import services as registry_services
from registry.models import AuditLog, RegisteredModel
from registry.services import (
    Actor,
    ChangeError,
    change_revert,
    registry_add,
    registry_disable,
    registry_enable,
    registry_rename,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def model():
    return RegisteredModel.objects.create(provider="openai", model_id="gpt-4.5-preview")


def test_it_writes_the_audit_row_and_disables(model):
    audit = registry_disable(provider="openai", model_id="gpt-4.5-preview", reason="404 for 4 days",
                             disabled_class="hard_model", actor=Actor.operator(), now=NOW)
    model.refresh_from_db()
    assert not model.enabled and model.disabled_class == "hard_model" and model.disabled_by == "operator"
    assert model.recheck_after is None  # hard classes are not rechecked
    assert audit.status == "applied" and audit.reversible and audit.actor_type == "operator"
    assert audit.before["enabled"] is True and audit.after["enabled"] is False
    assert AuditLog.objects.get(pk=audit.pk).status == "applied"


@override_settings(OPERATOR_RECHECK_HOURS=72)
def test_it_sets_recheck_after_for_recoverable_classes(model):
    registry_disable(provider="openai", model_id="gpt-4.5-preview", reason="billing", disabled_class="billing",
                     actor=Actor.system("test"), now=NOW)
    model.refresh_from_db()
    assert model.recheck_after == NOW + timedelta(hours=72)


def test_it_refuses_unknown_models_and_classes(model):
    with pytest.raises(ChangeError, match="not in the registry"):
        registry_disable(provider="openai", model_id="nope", reason="", disabled_class="hard_model",
                         actor=Actor.operator())
    with pytest.raises(ChangeError, match="unknown disabled_class"):
        registry_disable(provider="openai", model_id="gpt-4.5-preview", reason="", disabled_class="dead",
                         actor=Actor.operator())
    assert AuditLog.objects.count() == 0


@pytest.mark.mongo  # the quick MongoDB suite (make test-mongo-ci)
def test_it_applies_a_concurrent_disable_once(model, monkeypatch):
    registry_disable(provider="openai", model_id="gpt-4.5-preview", reason="a", disabled_class="hard_model",
                     actor=Actor.operator())
    with pytest.raises(ChangeError, match="already disabled"):
        registry_disable(provider="openai", model_id="gpt-4.5-preview", reason="b", disabled_class="hard_model",
                         actor=Actor.operator())
    # The race itself: a second writer read the row while it was still enabled.
    stale = RegisteredModel.objects.get(pk=model.pk)
    stale.enabled = True
    monkeypatch.setattr(registry_services, "_registry_row", lambda provider, model_id: stale)
    with pytest.raises(ChangeError, match="meanwhile"):
        registry_disable(provider="openai", model_id="gpt-4.5-preview", reason="d",
                         disabled_class="hard_model", actor=Actor.operator())
    failed = AuditLog.objects.get(status="failed")
    assert failed.reason == "d" and AuditLog.objects.filter(status="applied").count() == 1
    model.refresh_from_db()
    assert model.disabled_reason == "a"


@pytest.mark.mongo  # the quick MongoDB suite (make test-mongo-ci)
def test_it_reverts_a_disable_once_and_records_both_rows(model):
    user = get_user_model().objects.create_user("alice")
    audit = registry_disable(provider="openai", model_id="gpt-4.5-preview", reason="dead",
                             disabled_class="hard_model", actor=Actor.operator())
    revert = change_revert(audit_id=audit.pk, actor=Actor.for_user(user), reason="false alarm")
    model.refresh_from_db()
    assert model.enabled and model.disabled_class == "" and model.disabled_at is None
    assert revert.reverts_id == audit.pk and revert.status == "applied" and revert.user_id == user.pk
    original = AuditLog.objects.get(pk=audit.pk)
    assert original.reverted_at is not None and original.reverted_by_id == revert.pk
    with pytest.raises(ChangeError, match="already reverted"):
        change_revert(audit_id=audit.pk, actor=Actor.for_user(user))
    with pytest.raises(ChangeError, match="not reversible"):
        change_revert(audit_id=revert.pk, actor=Actor.for_user(user))
    with pytest.raises(ChangeError, match="no audit entry"):
        change_revert(audit_id="not-an-id", actor=Actor.for_user(user))


@pytest.mark.mongo  # the quick MongoDB suite (make test-mongo-ci)
def test_it_refuses_to_revert_when_the_registry_moved_on(model):
    audit = registry_disable(provider="openai", model_id="gpt-4.5-preview", reason="dead",
                             disabled_class="hard_model", actor=Actor.operator())
    registry_enable(provider="openai", model_id="gpt-4.5-preview", reason="back", actor=Actor.system("t"))
    with pytest.raises(ChangeError, match="changed since: enable by t"):
        change_revert(audit_id=audit.pk, actor=Actor.system("t"))
    original = AuditLog.objects.get(pk=audit.pk)
    assert original.reverted_at is None  # the claim is released so a later revert can retry
    assert AuditLog.objects.filter(action="revert", status="failed").count() == 1


def test_it_enables_and_reverts_the_enable(model):
    registry_disable(provider="openai", model_id="gpt-4.5-preview", reason="billing", disabled_class="billing",
                     actor=Actor.operator(), now=NOW)
    enable = registry_enable(provider="openai", model_id="gpt-4.5-preview", reason="paid", actor=Actor.system("t"))
    model.refresh_from_db()
    assert model.enabled and model.recheck_after is None
    change_revert(audit_id=enable.pk, actor=Actor.system("t"))
    model.refresh_from_db()
    assert not model.enabled and model.disabled_class == "billing"
    assert model.recheck_after == NOW + timedelta(hours=72)


@pytest.mark.mongo  # the quick MongoDB suite (make test-mongo-ci)
def test_it_renames_and_reverts_the_rename(model):
    RegisteredModel.objects.create(provider="openai", model_id="taken")
    with pytest.raises(ChangeError, match="already in the registry"):
        registry_rename(provider="openai", model_id="gpt-4.5-preview", new_model_id="taken", reason="",
                        actor=Actor.operator())
    audit = registry_rename(provider="openai", model_id="gpt-4.5-preview", new_model_id="gpt-4.5", reason="renamed",
                            actor=Actor.operator())
    assert audit.before == {"model_id": "gpt-4.5-preview"} and audit.after == {"model_id": "gpt-4.5"}
    assert RegisteredModel.objects.filter(model_id="gpt-4.5").exists()
    change_revert(audit_id=audit.pk, actor=Actor.operator())
    assert RegisteredModel.objects.filter(model_id="gpt-4.5-preview").exists()
    assert not RegisteredModel.objects.filter(model_id="gpt-4.5").exists()


def test_it_adds_a_disabled_candidate_and_reverts_it():
    audit = registry_add(provider="groq", model_id="kimi-k2", reason="matched from OpenRouter",
                         actor=Actor.system("discovery"), display_name="Kimi K2",
                         provenance={"openrouter_id": "moonshotai/kimi-k2"})
    row = RegisteredModel.objects.get(provider="groq", model_id="kimi-k2")
    assert not row.enabled and row.disabled_class == "manual" and row.display_name == "Kimi K2"
    assert audit.after["provenance"] == {"openrouter_id": "moonshotai/kimi-k2"}
    with pytest.raises(ChangeError, match="already in the registry"):
        registry_add(provider="groq", model_id="kimi-k2", reason="", actor=Actor.system("discovery"))
    change_revert(audit_id=audit.pk, actor=Actor.system("t"))
    assert not RegisteredModel.objects.filter(provider="groq", model_id="kimi-k2").exists()
