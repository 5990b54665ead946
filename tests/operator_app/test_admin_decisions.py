import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from llmops.roles import OPERATORS, VIEWERS
from operator_app.models import Decision
from registry.models import AuditLog, RegisteredModel
from tests.admin_confirm import confirm_action, confirm_as, page_token, submit
from tests.operator_app.admin_support import SCRIPT, decisions_fixture, user_in

CHANGELIST = reverse("admin:operator_app_decision_changelist")


def _post_action(client, action, ids, **extra):
    """The action's first POST (its confirmation page), or with confirm="yes" the submit of that
    page, with the token it carries."""
    if extra.pop("confirm", None) == "yes":
        return confirm_action(client, CHANGELIST, action, ids, **extra)
    return client.post(CHANGELIST, {"action": action, "_selected_action": ids, **extra})


@pytest.fixture
def operator_client(client):
    client.force_login(user_in(OPERATORS, "olga"))
    return client


@pytest.mark.mongo  # the quick MongoDB suite (make test-mongo-ci)
@pytest.mark.django_db
def test_it_lists_decisions_with_their_review_columns(operator_client):
    decisions_fixture(2)
    response = operator_client.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("openai/dead-0", "0.90", "hard_model", "review: confidence below 0.95", "2h", "pending"):
        assert text in html
    choices = dict(response.context["action_form"].fields["action"].choices)
    assert {"approve_decisions", "reject_decisions"} <= set(choices)
    # one approval, and it carries the decision out: there is no "approved but not done"
    assert "approve_and_execute_decisions" not in choices and "delete_selected" not in choices


@pytest.mark.django_db
def test_it_filters_by_status_confidence_band_and_search(operator_client):
    first, second = decisions_fixture(2)
    Decision.objects.filter(pk=second.pk).update(status="rejected", confidence=0.3)
    pending = operator_client.get(CHANGELIST, {"status__exact": "pending"})
    assert [d.pk for d in pending.context["cl"].result_list] == [first.pk]
    low = operator_client.get(CHANGELIST, {"confidence_band": "low"})
    assert [d.pk for d in low.context["cl"].result_list] == [second.pk]
    found = operator_client.get(CHANGELIST, {"q": "dead-1"})
    assert [d.pk for d in found.context["cl"].result_list] == [second.pk]
    for params in ({"provider": "openai"}, {"suggested_by": "llm"}, {"error_class": "hard_model"},
                   {"action__exact": "disable"}, {"suggested_at__year": timezone.now().year}):
        assert operator_client.get(CHANGELIST, params).status_code == 200


@pytest.mark.django_db
def test_it_renders_the_changelist_with_a_constant_number_of_queries(operator_client):
    decisions_fixture(3)
    counts = []
    for extra in (0, 120):
        now = timezone.now()
        Decision.objects.bulk_create([
            Decision(provider=f"p{i % 7}", model_id=f"m{extra}-{i}", action="monitor", confidence=0.5,
                     status="pending", suggested_at=now - timedelta(minutes=i), suggested_by="classifier",
                     error_class="transient")
            for i in range(extra)
        ])
        with pytest.MonkeyPatch.context():
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as ctx:
                assert operator_client.get(CHANGELIST).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


@pytest.mark.django_db
def test_it_shows_evidence_readably_and_escaped(operator_client):
    decision = decisions_fixture(1)[0]
    response = operator_client.get(reverse("admin:operator_app_decision_change", args=[decision.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "96 h (failing since 2025-11-28T00:00:00Z)" in html
    assert "2025-11-27T21:00:00Z" in html  # last success
    assert "Provider context" in html and "error_rate" in html
    assert "Error samples" in html and "The model does not exist" in html
    # read-only: no save buttons
    assert 'name="_save"' not in html


@pytest.mark.django_db
def test_it_asks_for_confirmation_before_approving(operator_client):
    decisions = decisions_fixture(2)
    ids = [d.pk for d in decisions]
    response = _post_action(operator_client, "approve_decisions", ids)
    assert response.status_code == 200
    assert response.templates[0].name == "admin/llmops/confirm_action.html"
    html = response.content.decode()
    assert "approved and carried out: openai/dead-0 is disabled in the registry" in html
    assert "openai/dead-1" in html
    assert Decision.objects.filter(status="pending").count() == 2  # nothing happened yet
    assert not AuditLog.objects.exists()


@pytest.mark.mongo  # the quick MongoDB suite (make test-mongo-ci)
@pytest.mark.django_db
def test_it_approves_and_executes_on_confirmation_with_audit_and_reviewer(operator_client):
    decisions = decisions_fixture(2)
    ids = [d.pk for d in decisions]
    response = _post_action(operator_client, "approve_decisions", ids, confirm="yes",
                            reason="checked the provider changelog")
    assert response.status_code == 302
    for decision in Decision.objects.filter(pk__in=ids):
        assert decision.status == "approved" and decision.executed_at is not None
        assert decision.reviewer_name == "olga" and decision.reviewer.username == "olga"
        assert decision.review_note == "checked the provider changelog"
    assert RegisteredModel.objects.filter(enabled=False).count() == 2
    audits = AuditLog.objects.filter(user__username="olga")
    assert sorted(audits.values_list("action", flat=True)) == ["approve_decision"] * 2 + ["disable"] * 2
    assert all(a.decision_ref in ids for a in audits)
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(m.startswith("Approved 2 decision(s)") for m in messages)


@pytest.mark.django_db
def test_it_acknowledges_a_decision_that_changes_nothing(operator_client):
    decision = decisions_fixture(1)[0]
    Decision.objects.filter(pk=decision.pk).update(action="monitor")
    page = _post_action(operator_client, "approve_decisions", [decision.pk])
    assert "acknowledged (monitor): nothing changes in the registry" in page.content.decode()
    _post_action(operator_client, "approve_decisions", [decision.pk], confirm="yes")
    decision.refresh_from_db()
    assert decision.status == "acknowledged" and decision.executed_at is None
    assert RegisteredModel.objects.get(model_id="dead-0").enabled is True
    assert list(AuditLog.objects.values_list("action", flat=True)) == ["approve_decision"]


@pytest.mark.django_db
def test_it_executes_once_when_the_same_batch_is_approved_twice(operator_client):
    ids = [d.pk for d in decisions_fixture(2)]
    _post_action(operator_client, "approve_decisions", ids, confirm="yes")
    second = _post_action(operator_client, "approve_decisions", ids, confirm="yes")
    assert AuditLog.objects.filter(action="disable").count() == 2
    assert AuditLog.objects.filter(action="approve_decision").count() == 2
    messages = [str(m) for m in get_messages(second.wsgi_request)]
    assert any(m.startswith("2 skipped (already reviewed)") for m in messages)


@pytest.mark.mongo  # the quick MongoDB suite (make test-mongo-ci)
@pytest.mark.django_db(transaction=True)
def test_it_executes_once_when_two_admins_approve_concurrently():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite's shared in-memory test database fails concurrent writers at once (table locked) "
                    "instead of waiting; this race runs on PostgreSQL (make test), the sequential double "
                    "approval above covers SQLite")
    ids = [d.pk for d in decisions_fixture(3)]
    admins = [user_in(OPERATORS, "olga"), user_in(OPERATORS, "otto")]
    barrier = threading.Barrier(2)
    statuses, errors = [], []

    def approve(user):
        try:
            client = Client()
            client.force_login(user)
            token = page_token(client, CHANGELIST, "approve_decisions", ids)
            barrier.wait(5)
            response = submit(client, CHANGELIST, "approve_decisions", ids, token)
            statuses.append(response.status_code)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in admins]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert statuses == [302, 302]
    assert Decision.objects.filter(pk__in=ids, status="approved", executed_at__isnull=False).count() == 3
    assert AuditLog.objects.filter(action="disable", status="applied").count() == 3
    assert AuditLog.objects.filter(action="approve_decision").count() == 3
    # each decision was reviewed by exactly one of them
    assert set(Decision.objects.values_list("reviewer_name", flat=True)) <= {"olga", "otto"}


@pytest.mark.mongo  # the quick MongoDB suite (make test-mongo-ci)
@pytest.mark.django_db
def test_it_requires_a_reason_to_reject(operator_client):
    decision = decisions_fixture(1)[0]
    response = _post_action(operator_client, "reject_decisions", [decision.pk], confirm="yes", reason="  ")
    assert response.status_code == 200
    assert "Reason is required." in response.content.decode()
    decision.refresh_from_db()
    assert decision.status == "pending"
    response = _post_action(operator_client, "reject_decisions", [decision.pk], confirm="yes",
                            reason="provider says it is a blip")
    assert response.status_code == 302
    decision.refresh_from_db()
    assert decision.status == "rejected" and decision.review_note == "provider says it is a blip"
    entry = AuditLog.objects.get()
    assert (entry.action, entry.reason, entry.actor) == ("reject_decision", "provider says it is a blip", "olga")
    assert RegisteredModel.objects.get(model_id="dead-0").enabled is True


@pytest.mark.django_db
def test_it_denies_review_actions_to_viewers(client):
    decision = decisions_fixture(1)[0]
    viewer = user_in(VIEWERS, "vera")
    client.force_login(viewer)
    listing = client.get(CHANGELIST)
    assert listing.status_code == 200
    assert listing.context["action_form"] is None  # no action offered
    for action in ("approve_decisions", "reject_decisions"):
        confirm_as(client, CHANGELIST, action, [decision.pk], user=viewer, reason="x")
    decision.refresh_from_db()
    assert decision.status == "pending"
    assert not AuditLog.objects.exists()


@pytest.mark.mongo  # the quick MongoDB suite (make test-mongo-ci)
@pytest.mark.django_db
def test_it_needs_the_matching_permission_for_each_action(client):
    from django.contrib.auth.models import Permission, User

    decision = decisions_fixture(1)[0]
    rejecter = User.objects.create_user("rita", password="pw-for-tests-1", is_staff=True)
    rejecter.user_permissions.add(Permission.objects.get(codename="view_decision"),
                                  Permission.objects.get(codename="reject_decision"))
    client.force_login(rejecter)
    choices = dict(client.get(CHANGELIST).context["action_form"].fields["action"].choices)
    assert "reject_decisions" in choices and "approve_decisions" not in choices
    confirm_as(client, CHANGELIST, "approve_decisions", [decision.pk], user=rejecter)
    decision.refresh_from_db()
    assert decision.status == "pending"


@pytest.mark.django_db
def test_it_refuses_to_add_change_or_delete_decisions_even_for_superusers(admin_client):
    decision = decisions_fixture(1)[0]
    assert admin_client.get(reverse("admin:operator_app_decision_add")).status_code == 403
    assert admin_client.get(reverse("admin:operator_app_decision_delete", args=[decision.pk])).status_code == 403
    response = admin_client.post(reverse("admin:operator_app_decision_change", args=[decision.pk]),
                                 {"status": "approved"})
    assert response.status_code == 403
    decision.refresh_from_db()
    assert decision.status == "pending"


@pytest.mark.django_db
def test_the_decision_page_shows_the_streak_and_last_success_the_engine_recorded(operator_client, settings):
    """Evidence as a real pass stores it (the model's facts under evidence["model"]), not a hand-made dict."""
    from django.core.management import call_command

    from lifecycle.demo import seed_demo

    settings.OPENAI_API_KEY = ""
    seed_demo()
    call_command("run_operator", "--no-llm", stdout=StringIO())
    decision = Decision.objects.get(provider="openai", model_id="gpt-5.3-codex")
    facts = decision.evidence["model"]
    assert facts["streak_started_at"] and facts["last_success_at"]
    html = operator_client.get(reverse("admin:operator_app_decision_change", args=[decision.pk])).content.decode()
    streak_row = html.split("<th>Failure streak</th>", 1)[1].split("</tr>", 1)[0]
    success_row = html.split("<th>Last success</th>", 1)[1].split("</tr>", 1)[0]
    assert f"{facts['streak_hours']:.4g} h (failing since {facts['streak_started_at']})" in streak_row
    assert facts["last_success_at"] in success_row
    assert "—" not in streak_row and "—" not in success_row
