import pytest
from django.urls import reverse

from llmops.roles import OPERATORS, VIEWERS
from registry.models import AuditLog, RegisteredModel
from tests.admin_confirm import confirm_action, confirm_as
from tests.operator_app.admin_support import user_in

CHANGELIST = reverse("admin:registry_registeredmodel_changelist")


@pytest.fixture
def fleet(db):
    return [
        RegisteredModel.objects.create(provider="openai", model_id="gpt-4.1"),
        RegisteredModel.objects.create(provider="groq", model_id="old", enabled=False, disabled_class="hard_model"),
    ]


@pytest.mark.django_db
def test_it_filters_the_registry(admin_client, fleet):
    for params, expected in (({"provider": "groq"}, 1), ({"enabled__exact": "1"}, 1), ({"deprecated__exact": "0"}, 2),
                             ({"disabled_class": "hard_model"}, 1), ({"q": "gpt"}, 1)):
        response = admin_client.get(CHANGELIST, params)
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) == expected, params


@pytest.mark.django_db
def test_it_disables_with_a_reason_through_the_audited_service(client, fleet):
    client.force_login(user_in(OPERATORS, "olga"))
    ids = [m.pk for m in fleet]
    page = client.post(CHANGELIST, {"action": "disable_models", "_selected_action": ids})
    html = page.content.decode()
    assert page.status_code == 200
    assert "disable (class manual)" in html and "skipped: already disabled" in html

    missing = confirm_action(client, CHANGELIST, "disable_models", ids)
    assert "Reason is required." in missing.content.decode()
    assert RegisteredModel.objects.get(model_id="gpt-4.1").enabled is True

    done = confirm_action(client, CHANGELIST, "disable_models", ids, reason="budget freeze")
    assert done.status_code == 302
    model = RegisteredModel.objects.get(model_id="gpt-4.1")
    assert (model.enabled, model.disabled_class, model.disabled_reason, model.disabled_by) == (
        False, "manual", "budget freeze", "olga")
    entry = AuditLog.objects.get()
    assert (entry.action, entry.actor, entry.user.username, entry.reason, entry.reversible) == (
        "disable", "olga", "olga", "budget freeze", True)


@pytest.mark.django_db
def test_it_enables_with_a_reason(client, fleet):
    client.force_login(user_in(OPERATORS, "olga"))
    confirm_action(client, CHANGELIST, "enable_models", [fleet[1].pk], reason="provider restored it")
    model = RegisteredModel.objects.get(model_id="old")
    assert model.enabled is True and model.disabled_class == ""
    assert AuditLog.objects.get().action == "enable"


@pytest.mark.django_db
def test_it_denies_registry_changes_to_viewers_and_direct_edits_to_everyone(client, admin_client, fleet):
    viewer = user_in(VIEWERS, "vera")
    client.force_login(viewer)
    assert client.get(CHANGELIST).context["action_form"] is None
    confirm_as(client, CHANGELIST, "disable_models", [fleet[0].pk], user=viewer, reason="x")
    assert RegisteredModel.objects.get(model_id="gpt-4.1").enabled is True
    # no unaudited edits through the form, even for a superuser
    url = reverse("admin:registry_registeredmodel_change", args=[fleet[0].pk])
    assert admin_client.post(url, {"provider": "openai", "model_id": "gpt-4.1", "enabled": ""}).status_code == 403
    assert admin_client.get(reverse("admin:registry_registeredmodel_add")).status_code == 403
    assert RegisteredModel.objects.get(model_id="gpt-4.1").enabled is True
    assert not AuditLog.objects.exists()
