"""The admin: a model's page lists its probes and its known retirement; probes are evidence (read only);
a human sets a retirement date (audited), while dates read from warnings and listings stay read only."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lifecycle.models import ModelProbe, ModelRetirement
from llmops.roles import OPERATORS, VIEWERS
from registry.models import AuditLog, RegisteredModel
from tests.operator_app.admin_support import SCRIPT, user_in

pytestmark = pytest.mark.django_db
SECRET = "sk-proj-abcdefghijklmnopqrstuvwx"


@pytest.fixture
def model():
    row = RegisteredModel.objects.create(provider="deepinfra", model_id="meta-llama/Llama-3.3-70B-Instruct",
                                         enabled=False, disabled_class="billing")
    now = timezone.now()
    ModelProbe.objects.create(provider=row.provider, model_id=row.model_id, at=now - timedelta(hours=26),
                              purpose="recheck", http_status=402, error_class="billing", conclusive=True,
                              message=f"Payment Required {SCRIPT} key {SECRET}")
    ModelProbe.objects.create(provider=row.provider, model_id=row.model_id, at=now - timedelta(hours=2),
                              purpose="recheck", ok=True, http_status=200, conclusive=True, latency_ms=312)
    ModelProbe.objects.create(provider="deepinfra", model_id="other", at=now, purpose="admission", ok=True)
    return row


def test_a_models_page_lists_its_probes_newest_first_redacted(client, model):
    client.force_login(user_in(VIEWERS, "vera"))
    page = client.get(reverse("admin:registry_registeredmodel_change", args=[model.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "probes" in html
    ok, billing = html.index("<td>ok</td>"), html.index("<td>402</td>")
    assert ok < billing  # newest first
    assert SCRIPT not in html and "&lt;script&gt;" in html and SECRET not in html
    assert "all probes of this model" in html and "none known" in html
    listing = client.get(reverse("admin:lifecycle_modelprobe_changelist"),
                         {"provider": model.provider, "model_id": model.model_id})
    assert listing.status_code == 200 and len(listing.context["cl"].result_list) == 2


def test_probes_are_evidence_nobody_edits(client, model):
    client.force_login(user_in(OPERATORS, "olga"))
    probe = ModelProbe.objects.get(model_id=model.model_id, ok=False)
    assert client.get(reverse("admin:lifecycle_modelprobe_add")).status_code == 403
    change = client.post(reverse("admin:lifecycle_modelprobe_change", args=[probe.pk]), {"ok": "on"})
    assert change.status_code == 403 and ModelProbe.objects.get(pk=probe.pk).ok is False


def test_an_operator_sets_a_retirement_date_audited_and_the_model_page_shows_it(client, model):
    ModelRetirement.objects.create(provider=model.provider, model_id=model.model_id, source="warning",
                                   retires_on=date(2027, 3, 1), note="read from a warning")
    client.force_login(user_in(OPERATORS, "olga"))
    add = reverse("admin:lifecycle_modelretirement_add")
    form = client.get(add, {"provider": model.provider, "model_id": model.model_id})
    assert form.status_code == 200 and model.model_id in form.content.decode()
    missing = client.post(add, {"provider": "deepinfra", "model_id": "nope", "retires_on": "2027-01-15"})
    assert "deepinfra/nope is not in the registry" in missing.content.decode()
    response = client.post(add, {"provider": model.provider, "model_id": model.model_id, "retires_on": "2027-01-15",
                                 "successor": "meta-llama/Llama-4-Maverick", "note": "deepinfra's notice"})
    assert response.status_code == 302
    row = ModelRetirement.objects.get(source="admin")
    assert (row.retires_on, row.successor, row.set_by) == (date(2027, 1, 15), "meta-llama/Llama-4-Maverick", "olga")
    audit = AuditLog.objects.get(action="set_retirement")
    assert audit.actor == "olga" and audit.actor_type == "user"
    html = client.get(reverse("admin:registry_registeredmodel_change", args=[model.pk])).content.decode()
    assert "2027-01-15 (from admin, successor meta-llama/Llama-4-Maverick; every source: admin: 2027-01-15; " \
           "warning: 2027-03-01)" in html
    # a date read from a warning is evidence: not editable, not even by an operator
    warning = ModelRetirement.objects.get(source="warning")
    assert client.post(reverse("admin:lifecycle_modelretirement_change", args=[warning.pk]),
                       {"retires_on": "2030-01-01"}).status_code == 403
    assert ModelRetirement.objects.get(pk=warning.pk).retires_on == date(2027, 3, 1)


def test_a_viewer_cannot_set_a_retirement_date(client, model):
    client.force_login(user_in(VIEWERS, "vera"))
    assert client.get(reverse("admin:lifecycle_modelretirement_add")).status_code == 403
    assert client.get(reverse("admin:lifecycle_modelretirement_changelist")).status_code == 200
