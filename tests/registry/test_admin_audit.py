import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from llmops.roles import OPERATORS, VIEWERS
from operator_app.models import OperatorRun
from operator_app.services import decisions_approve
from registry.models import AuditLog, RegisteredModel
from registry.services import Actor, registry_disable
from tests.admin_confirm import confirm_action, confirm_as
from tests.operator_app.admin_support import SCRIPT, decisions_fixture, user_in

CHANGELIST = reverse("admin:registry_auditlog_changelist")


def _executed_disable():
    decision = decisions_fixture(1)[0]
    outcome, = decisions_approve(decision_ids=[decision.pk], actor=Actor.operator())
    return outcome.audit, decision


@pytest.mark.django_db
def test_it_forbids_add_change_and_delete_even_for_superusers(admin_client):
    audit, _decision = _executed_disable()
    assert admin_client.get(reverse("admin:registry_auditlog_add")).status_code == 403
    assert admin_client.post(reverse("admin:registry_auditlog_add"), {"actor": "x", "action": "y"}).status_code == 403
    change_url = reverse("admin:registry_auditlog_change", args=[audit.pk])
    assert admin_client.post(change_url, {"actor": "someone else", "action": "enable"}).status_code == 403
    delete_url = reverse("admin:registry_auditlog_delete", args=[audit.pk])
    assert admin_client.get(delete_url).status_code == 403
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    # bulk delete is not offered and does nothing when forced
    choices = dict(admin_client.get(CHANGELIST).context["action_form"].fields["action"].choices)
    assert "delete_selected" not in choices
    admin_client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [audit.pk], "post": "yes"})
    audit.refresh_from_db()
    assert audit.actor == "operator" and audit.action == "disable"
    # the detail page is a view page
    page = admin_client.get(change_url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()


@pytest.mark.django_db
def test_it_links_entries_to_their_decision_and_run_and_filters_them(admin_client):
    audit, decision = _executed_disable()
    html = admin_client.get(CHANGELIST).content.decode()
    assert reverse("admin:operator_app_decision_change", args=[decision.pk]) in html
    assert reverse("admin:operator_app_operatorrun_change", args=[decision.run_id]) in html
    for params, expected in (({"actor": "operator"}, 2), ({"action": "disable"}, 1), ({"provider": "openai"}, 2),
                             ({"actor": "nobody"}, 0), ({"decision_ref": decision.pk}, 2)):
        response = admin_client.get(CHANGELIST, params)
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) == expected, params


@pytest.mark.django_db
def test_it_escapes_reasons_on_the_detail_page(admin_client):
    RegisteredModel.objects.create(provider="x", model_id="m")
    audit = registry_disable(provider="x", model_id="m", reason=SCRIPT, disabled_class="manual",
                             actor=Actor.system("test"))
    html = admin_client.get(reverse("admin:registry_auditlog_change", args=[audit.pk])).content.decode()
    assert SCRIPT not in html and "&lt;script&gt;" in html


@pytest.mark.mongo  # the quick MongoDB suite (make test-mongo-ci)
@pytest.mark.django_db
def test_it_reverts_a_reversible_change_after_confirmation(client):
    audit, _decision = _executed_disable()
    review = AuditLog.objects.get(action="approve_decision")
    client.force_login(user_in(OPERATORS, "olga"))
    ids = [audit.pk, review.pk]
    page = client.post(CHANGELIST, {"action": "revert_changes", "_selected_action": ids})
    assert page.status_code == 200
    html = page.content.decode()
    assert "re-enable openai/dead-0" in html
    assert "skipped: not reversible" in html
    assert RegisteredModel.objects.get(model_id="dead-0").enabled is False  # not yet

    done = confirm_action(client, CHANGELIST, "revert_changes", ids, reason="false alarm")
    assert done.status_code == 302
    assert RegisteredModel.objects.get(model_id="dead-0").enabled is True
    revert = AuditLog.objects.get(action="revert")
    assert (revert.actor, revert.reverts_id, revert.reason, revert.status) == ("olga", audit.pk, "false alarm", "applied")
    audit.refresh_from_db()
    assert audit.reverted_by_id == revert.pk
    messages = [str(m) for m in get_messages(done.wsgi_request)]
    assert any("Reverted 1 change(s)" in m for m in messages)
    assert any("1 not reverted" in m and "not reversible" in m for m in messages)

    # reverting again changes nothing
    confirm_action(client, CHANGELIST, "revert_changes", [audit.pk])
    assert AuditLog.objects.filter(action="revert").count() == 1


@pytest.mark.django_db
def test_it_denies_revert_to_viewers(client):
    audit, _decision = _executed_disable()
    viewer = user_in(VIEWERS, "vera")
    client.force_login(viewer)
    assert client.get(CHANGELIST).context["action_form"] is None
    confirm_as(client, CHANGELIST, "revert_changes", [audit.pk], user=viewer)
    assert not AuditLog.objects.filter(action="revert").exists()
    assert RegisteredModel.objects.get(model_id="dead-0").enabled is False


@pytest.mark.django_db
def test_it_shows_run_figures_read_only(admin_client):
    decisions_fixture(1)
    run = OperatorRun.objects.get()
    listing = admin_client.get(reverse("admin:operator_app_operatorrun_changelist")).content.decode()
    assert "1200" in listing and "0.0012" in listing  # tokens and cost
    page = admin_client.get(reverse("admin:operator_app_operatorrun_change", args=[run.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and 'name="_save"' not in html
    assert "timeout" in html and "collect" in html  # fallback reasons and timings
    assert f"?run={run.pk}" in html
    assert admin_client.get(reverse("admin:operator_app_operatorrun_add")).status_code == 403
    assert admin_client.post(reverse("admin:operator_app_operatorrun_delete", args=[run.pk]),
                             {"post": "yes"}).status_code == 403
    decisions = admin_client.get(reverse("admin:operator_app_decision_changelist"), {"run": run.pk})
    assert len(decisions.context["cl"].result_list) == 1
