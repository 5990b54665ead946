"""Review in a minute: the queue by situation, one line of what to do, the fleet at a glance, and a
picture of each model's week — on the demo fleet, through the admin pages an operator opens."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from lifecycle.demo import seed_demo
from llmops.roles import OPERATORS, VIEWERS
from operator_app.models import Decision
from registry.models import RegisteredModel
from tests.admin_confirm import TOKEN
from tests.operator_app.admin_support import user_in

pytestmark = pytest.mark.django_db

SITUATIONS = reverse("admin:operator_app_decision_situations")
CHANGELIST = reverse("admin:operator_app_decision_changelist")


@pytest.fixture
def demo(settings):
    settings.OPENAI_API_KEY = ""
    seed_demo()
    call_command("run_operator", "--no-llm", stdout=StringIO())


@pytest.fixture
def olga(client):
    client.force_login(user_in(OPERATORS, "olga"))
    return client


def test_it_groups_the_pending_queue_by_situation(demo, olga):
    html = olga.get(SITUATIONS).content.decode()
    assert "deepinfra · billing / credit · 4 models (provider-wide) · top up the account" in html
    assert "mistral · credentials / access · 3 models (provider-wide) · fix the API key or the model&#x27;s access" in html
    rows = re.findall(r'<tr class="situation-row">', html)
    pending = Decision.objects.filter(status="pending").count()
    assert 0 < len(rows) < pending  # grouped: fewer rows than decisions
    # provider problems first, each row expandable to its models
    assert html.index("deepinfra · billing") < html.index("openai · model removed")
    assert html.count("<details>") == len(rows)
    assert "deepinfra/meta-llama/Llama-3.1-8B-Instruct" in html


def test_a_whole_situation_is_approved_through_the_confirmation_page(demo, olga):
    ids = list(Decision.objects.filter(status="pending", provider="deepinfra").values_list("pk", flat=True))
    assert len(ids) == 4
    page = olga.post(CHANGELIST, {"action": "approve_decisions", "_selected_action": ids, "index": "0"})
    html = page.content.decode()
    assert page.status_code == 200 and "acknowledged (monitor)" in html  # the group's own confirmation page
    token = TOKEN.search(html).group(1)
    done = olga.post(CHANGELIST, {"action": "approve_decisions", "_selected_action": ids, "confirm": "yes",
                                  "confirm_token": token, "reason": "topped up"})
    assert done.status_code == 302
    assert set(Decision.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"acknowledged"}
    assert "deepinfra · billing" not in olga.get(SITUATIONS).content.decode()


def test_viewers_see_the_queue_but_cannot_act_on_it(demo, client):
    client.force_login(user_in(VIEWERS, "vera"))
    html = client.get(SITUATIONS).content.decode()
    assert "deepinfra · billing" in html and "approve-group" not in html and "view only" in html


def test_the_list_says_what_to_do_and_why_in_one_line(demo, olga):
    html = olga.get(CHANGELIST, {"status__exact": "pending"}).content.decode()
    assert "What to do · why" in html
    assert "top up the account · Billing problem at deepinfra" in html or \
        "top up the account · Provider issue, not a model problem" in html
    rename = Decision.objects.get(action="rename")
    # a rename says its successor once: the reasoning names it, so no "rename to …" in front of it
    assert f"Update model ID to {rename.new_model_id}" in html
    assert f"rename to {rename.new_model_id}" not in html
    # a fresh hard error is watched, not something to disable yet
    assert "watch it: disable if it keeps failing · Fresh hard error" in html
    # the explanation is one sentence, not the whole reasoning
    assert "Fix the provider account/endpoint; do not disable its models." not in html


def test_the_admin_index_shows_the_fleet_at_a_glance(demo, olga):
    html = olga.get(reverse("admin:index")).content.decode()
    glance = html.split('id="fleet-glance"', 1)[1].split("</div>\n</div>", 1)[0]
    pending = Decision.objects.filter(status="pending")
    assert f"{pending.filter(action='monitor').count()} monitor" in glance and "1 rename" in glance
    assert "Unattended changes, last 24 h" in glance and ">4</a>" in glance
    assert "deepinfra (billing / credit)" in glance and "mistral (credentials / access)" in glance
    assert "Failed jobs, last 24 h" in glance and "Last operator pass" in glance and "succeeded" in glance
    assert "next due" in glance
    assert reverse("admin:operator_app_decision_situations") in glance


def test_the_decision_and_registry_pages_draw_the_models_week(demo, olga):
    decision = Decision.objects.get(action="rename")
    html = olga.get(reverse("admin:operator_app_decision_change", args=[decision.pk])).content.decode()
    svg = html.split('<div class="llmops-timeline">', 1)[1].split("</svg>", 1)[0]
    assert svg.count("<rect ") >= 50  # a week of 3-hourly runs, plus the background
    assert "failing since" in svg and "last success" in svg and "#c62828" in svg  # hard_model red
    model = RegisteredModel.objects.get(provider="openai", model_id="gpt-4.1")
    page = olga.get(reverse("admin:registry_registeredmodel_change", args=[model.pk])).content.decode()
    assert "llmops-timeline" in page and "failing since" not in page.split("llmops-timeline", 1)[1].split("</svg>")[0]
