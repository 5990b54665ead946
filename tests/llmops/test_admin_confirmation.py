"""No admin bulk action can be carried out without its confirmation page: a POST of confirm=yes
without the page's signed token, with a forged or expired one, or with one issued for another
selection, action or user shows the page again and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse
from freezegun import freeze_time

from discovery.models import OpenRouterModel
from llmops.lib.admin_actions import CONFIRM_MAX_AGE, confirm_token
from registry.models import RegisteredModel
from registry.services import Actor, change_revert, registry_disable
from tests.admin_confirm import page_token, submit
from tests.faults.support import table_counts
from tests.operator_app.admin_support import decisions_fixture

pytestmark = pytest.mark.django_db


def _bulk_actions():
    """(model admin, action name) of every bulk action registered in the admin."""
    found = []
    for model, model_admin in admin.site._registry.items():
        for action in model_admin.actions or ():
            if callable(action):
                found.append((model, action))
    return found


ACTIONS = [(model, action.__name__) for model, action in _bulk_actions()]


def test_every_bulk_action_goes_through_a_confirmation_page():
    assert len(ACTIONS) >= 8
    for model, action in _bulk_actions():
        assert getattr(action, "confirmed", False), f"{model.__name__}.{action.__name__} has no confirmation page"


@pytest.fixture
def rows():
    """A row every action can act on: pending decisions about enabled models, a reversible
    disable, a disabled model, a matched catalog entry."""
    decisions_fixture(2)
    RegisteredModel.objects.create(provider="groq", model_id="old", enabled=True)
    registry_disable(provider="groq", model_id="old", reason="test", disabled_class="manual",
                     actor=Actor.system("test"))
    # an unattended disable a human reverted: a hold for the "allow unattended changes again" action
    RegisteredModel.objects.create(provider="groq", model_id="held", enabled=True)
    unattended = registry_disable(provider="groq", model_id="held", reason="dead", disabled_class="hard_model",
                                  actor=Actor.operator())
    change_revert(audit_id=unattended.pk, actor=Actor.system("alice"), reason="still used")
    OpenRouterModel.objects.create(
        openrouter_id="acme/widget-7b", match_status="matched", matched_provider="together",
        matched_model_id="acme/Widget-7B", matches=[{"provider": "together", "model_id": "acme/Widget-7B",
                                                     "confidence": 0.95, "method": "normalized", "verified": True}])


def _state() -> dict:
    from django.apps import apps

    return {m._meta.label: list(m._default_manager.order_by("pk").values()) for m in apps.get_models()
            if m._meta.app_label in ("registry", "operator_app", "discovery", "lifecycle")}


@pytest.mark.parametrize("model, action", ACTIONS, ids=[f"{m._meta.model_name}.{a}" for m, a in ACTIONS])
def test_it_refuses_a_confirmation_that_did_not_come_from_the_page(admin_client, rows, model, action):
    user = get_user_model().objects.get(username="admin")
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    ids = [str(pk) for pk in model.objects.values_list("pk", flat=True)]
    other = get_user_model().objects.create_superuser("mallory", "m@example.com", "pw-123456")
    forged = confirm_token(user=user, action=action, ids=ids)[:-4] + "AAAA"
    attempts = {
        "no token": "",
        "forged": forged,
        "another selection": confirm_token(user=user, action=action, ids=ids[:1] if len(ids) > 1 else ["0" * 24]),
        "another action": confirm_token(user=user, action="some_other_action", ids=ids),
        "another user": confirm_token(user=other, action=action, ids=ids),
    }
    before, counts = _state(), table_counts()
    for name, token in attempts.items():
        response = submit(admin_client, url, action, ids, token, reason="careless")
        assert response.status_code == 200, name  # the confirmation page again, not a redirect
        assert response.templates[0].name == "admin/llmops/confirm_action.html", name
        assert "Nothing was done" in response.content.decode(), name
    assert table_counts() == counts and _state() == before

    # An expired page is refused too; the page's own fresh token works.
    with freeze_time() as frozen:
        token = page_token(admin_client, url, action, ids)
        frozen.tick(timedelta(seconds=CONFIRM_MAX_AGE + 1))
        expired = submit(admin_client, url, action, ids, token, reason="careless")
        assert "minutes old" in expired.content.decode()
        assert _state() == before
        done = submit(admin_client, url, action, ids, page_token(admin_client, url, action, ids), reason="on purpose")
    assert done.status_code == 302
    assert _state() != before  # the genuine confirmation did act: the refusals above were real
