import pytest
from django.urls import reverse

from discovery.models import OpenRouterModel
from llmops.roles import OPERATORS, VIEWERS
from registry.models import AuditLog, RegisteredModel
from tests.admin_confirm import confirm_action, confirm_as
from tests.operator_app.admin_support import SCRIPT, user_in

CHANGELIST = reverse("admin:discovery_openroutermodel_changelist")


@pytest.fixture
def catalog(db):
    matched = OpenRouterModel.objects.create(
        openrouter_id="acme/widget-7b", name="Acme Widget " + SCRIPT, match_status="matched",
        matched_provider="together", matched_model_id="acme/Widget-7B", match_confidence=0.95,
        match_method="normalized", matches=[{"provider": "together", "model_id": "acme/Widget-7B",
                                             "confidence": 0.95, "method": "normalized", "verified": True}],
    )
    unmatched = OpenRouterModel.objects.create(openrouter_id="solo/only-here", match_status="unmatched")
    return matched, unmatched


@pytest.mark.django_db
def test_it_filters_by_match_status_and_provider_and_escapes_names(admin_client, catalog):
    for params, expected in (({"match_status__exact": "matched"}, 1), ({"matched_provider": "together"}, 1),
                             ({"match_status__exact": "unmatched"}, 1), ({"q": "widget"}, 1)):
        response = admin_client.get(CHANGELIST, params)
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) == expected, params
    html = admin_client.get(CHANGELIST).content.decode()
    assert SCRIPT not in html and "&lt;script&gt;" in html


@pytest.mark.mongo  # the quick MongoDB suite (make test-mongo-ci)
@pytest.mark.django_db
def test_it_adds_matched_models_as_disabled_candidates_after_confirmation(client, catalog):
    matched, unmatched = catalog
    client.force_login(user_in(OPERATORS, "olga"))
    ids = [matched.pk, unmatched.pk]
    page = client.post(CHANGELIST, {"action": "add_matched_models", "_selected_action": ids})
    html = page.content.decode()
    assert page.status_code == 200
    assert "add together/acme/Widget-7B to the registry as DISABLED candidate(s)" in html
    assert "skipped: not matched (status unmatched)" in html
    assert not RegisteredModel.objects.exists()

    done = confirm_action(client, CHANGELIST, "add_matched_models", ids)
    assert done.status_code == 302
    model = RegisteredModel.objects.get()
    assert (model.provider, model.model_id, model.enabled) == ("together", "acme/Widget-7B", False)
    entry = AuditLog.objects.get(action="add")
    assert entry.actor == "olga"
    assert entry.after["provenance"]["openrouter_id"] == "acme/widget-7b"
    matched.refresh_from_db()
    assert matched.match_status == "added"

    # a second add of the same entry adds nothing
    confirm_action(client, CHANGELIST, "add_matched_models", ids)
    assert RegisteredModel.objects.count() == 1 and AuditLog.objects.filter(action="add").count() == 1


@pytest.mark.django_db
def test_it_rejects_a_match_with_a_reason(client, catalog):
    matched, _ = catalog
    client.force_login(user_in(OPERATORS, "olga"))
    missing = confirm_action(client, CHANGELIST, "reject_matches", [matched.pk])
    assert "Reason is required." in missing.content.decode()
    confirm_action(client, CHANGELIST, "reject_matches", [matched.pk], reason="different model family")
    matched.refresh_from_db()
    assert matched.match_status == "rejected"
    entry = AuditLog.objects.get()
    assert (entry.action, entry.reason, entry.actor) == ("reject_match", "different model family", "olga")
    assert not RegisteredModel.objects.exists()


@pytest.mark.django_db
def test_it_denies_catalog_actions_to_viewers(client, catalog):
    matched, _ = catalog
    viewer = user_in(VIEWERS, "vera")
    client.force_login(viewer)
    assert client.get(CHANGELIST).context["action_form"] is None
    confirm_as(client, CHANGELIST, "add_matched_models", [matched.pk], user=viewer)
    assert not RegisteredModel.objects.exists()
    matched.refresh_from_db()
    assert matched.match_status == "matched"


@pytest.mark.django_db
def test_it_shows_a_model_added_through_a_variant_as_added_and_folds_variants(admin_client):
    base = OpenRouterModel.objects.create(openrouter_id="moonshotai/kimi-k2-0905", canonical_slug="moonshotai/kimi-k2-0905",
                                          match_status="matched", matched_provider="groq",
                                          matched_model_id="moonshotai/kimi-k2-instruct-0905")
    OpenRouterModel.objects.create(openrouter_id="moonshotai/kimi-k2-0905:exacto",
                                   canonical_slug="moonshotai/kimi-k2-0905", match_status="added")
    OpenRouterModel.objects.create(openrouter_id="solo/only-here", match_status="unmatched")
    page = admin_client.get(CHANGELIST)
    rows = {row.openrouter_id: row for row in page.context["cl"].result_list}
    html = page.content.decode()
    assert "Matched to a direct provider; the model: Added to the registry (via :exacto)" in html
    assert "variant of moonshotai/kimi-k2-0905" in html and ":exacto" in html
    assert rows[base.openrouter_id].folded.status == "added"
    folded = admin_client.get(CHANGELIST, {"fold": "yes"})
    assert {row.openrouter_id for row in folded.context["cl"].result_list} == {"moonshotai/kimi-k2-0905",
                                                                              "solo/only-here"}
