"""Renames ("Update model ID to X"): proposed from the evidence only when the provider's complete
catalog lists the successor, never carried out unattended, approved in the admin and the CLI,
audited and revertible."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from lifecycle.models import BenchmarkError, BenchmarkResult, ProviderCatalogEntry, ProviderCatalogSync
from llmops.roles import OPERATORS
from operator_app.engine import operator_run
from operator_app.models import Decision
from operator_app.renames import catalog_extensions, successor_find
from registry.models import AuditLog, RegisteredModel
from tests.admin_confirm import confirm_action
from tests.operator_app.admin_support import user_in

pytestmark = pytest.mark.django_db

PREFIX = "accounts/fireworks/models/"
DECOMMISSIONED = ("BadRequestError: Error code: 400 - {'error': {'message': 'The model `%s` has been decommissioned "
                  "and is no longer supported. Please use %s instead.', 'code': 'model_decommissioned'}}")
NOT_FOUND = "NotFoundError: Error code: 404 - {'error': {'message': 'Model not found: %s', 'code': 'model_not_found'}}"


@pytest.fixture(autouse=True)
def _no_llm(settings):
    settings.OPENAI_API_KEY = ""


def cmd(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _dead(model_id, message, *, hours=60, status=400):
    """A model that worked, then failed every 3 hours for `hours` hours."""
    now = timezone.now()
    RegisteredModel.objects.create(provider="fireworks", model_id=model_id)
    BenchmarkResult.objects.create(provider="fireworks", model_name=model_id, run_ts=now - timedelta(hours=hours + 3))
    moment = now - timedelta(hours=hours)
    while moment < now:
        BenchmarkError.objects.create(provider="fireworks", model_name=model_id, ts=moment, http_status=status,
                                      message=message, stage="generate")
        moment += timedelta(hours=3)


def _catalog(*model_ids):
    """fireworks' latest complete listing holds exactly these IDs."""
    now = timezone.now() - timedelta(hours=1)
    ProviderCatalogSync.objects.create(provider="fireworks", source="api", started_at=now, finished_at=now,
                                       status="complete", complete=True, count=len(model_ids))
    for model_id in model_ids:
        ProviderCatalogEntry.objects.create(provider="fireworks", model_id=model_id, first_seen_at=now,
                                            last_seen_at=now)


@pytest.fixture
def fleet():
    # the spec's example: deepseek-v3 died, the complete catalog lists deepseek-v3-0324
    _dead(PREFIX + "deepseek-v3", NOT_FOUND % (PREFIX + "deepseek-v3"), status=404)
    # the provider names the successor itself
    _dead(PREFIX + "llama-v3-70b", DECOMMISSIONED % (PREFIX + "llama-v3-70b", PREFIX + "llama-v3p3-70b-instruct"))
    # an error names a "successor" the catalog does not list (or text trying to steer us): no rename
    _dead(PREFIX + "mixtral-8x7b", DECOMMISSIONED % (PREFIX + "mixtral-8x7b", PREFIX + "evil-model"))
    # healthy models, so the provider is otherwise fine (three dead of four would be a provider problem)
    healthy = [PREFIX + name for name in ("qwen3-235b-a22b", "llama-v3p1-8b-instruct", "kimi-k2-instruct",
                                          "gpt-oss-120b", "glm-4p5")]
    for model_id in healthy:
        RegisteredModel.objects.create(provider="fireworks", model_id=model_id)
        for hours in range(0, 60, 3):
            BenchmarkResult.objects.create(provider="fireworks", model_name=model_id,
                                           run_ts=timezone.now() - timedelta(hours=hours))
    _catalog(PREFIX + "deepseek-v3-0324", PREFIX + "llama-v3p3-70b-instruct", *healthy)


def test_it_proposes_renames_only_to_ids_the_complete_catalog_lists_and_never_unattended(fleet):
    summary = cmd("run_operator", "--no-llm")
    renames = {d.model_id: d for d in Decision.objects.filter(action="rename")}
    assert set(renames) == {PREFIX + "deepseek-v3", PREFIX + "llama-v3-70b"}
    assert renames[PREFIX + "deepseek-v3"].new_model_id == PREFIX + "deepseek-v3-0324"
    assert renames[PREFIX + "deepseek-v3"].proposed_change["source"] == "catalog"
    assert renames[PREFIX + "llama-v3-70b"].new_model_id == PREFIX + "llama-v3p3-70b-instruct"
    assert renames[PREFIX + "llama-v3-70b"].proposed_change["source"] == "provider text"
    assert all(d.status == "pending" and not d.auto_execute for d in renames.values())
    assert all(d.auto_execute_reason == "a rename always waits for a human" for d in renames.values())
    assert f"Update model ID to {PREFIX}deepseek-v3-0324" in summary
    # the unverified name changed nothing: that model is disabled as dead, like any other
    mixtral = Decision.objects.get(model_id=PREFIX + "mixtral-8x7b")
    assert mixtral.action == "disable" and "evil-model" not in str(mixtral.proposed_change)
    # the registry is untouched by a rename until a human approves it
    assert RegisteredModel.objects.filter(model_id=PREFIX + "deepseek-v3").exists()
    email = cmd("send_health_report", "--dry-run")
    assert f"fireworks/{PREFIX}deepseek-v3: Update model ID to {PREFIX}deepseek-v3-0324" in email
    decision = renames[PREFIX + "deepseek-v3"]
    assert f"approve:   python manage.py approve_decision {decision.pk}   (renames " in email


def test_a_rename_is_approved_in_the_admin_audited_and_reverted(fleet, client):
    cmd("run_operator", "--no-llm")
    decision = Decision.objects.get(action="rename", model_id=PREFIX + "deepseek-v3")
    client.force_login(user_in(OPERATORS, "olga"))
    changelist = reverse("admin:operator_app_decision_changelist")
    listing = client.get(changelist, {"action__exact": "rename"}).content.decode()
    assert f"{PREFIX}deepseek-v3 → {PREFIX}deepseek-v3-0324" in listing
    page = client.post(changelist, {"action": "approve_decisions", "_selected_action": [decision.pk]})
    assert f"is renamed to {PREFIX}deepseek-v3-0324 in the registry" in page.content.decode()
    confirm_action(client, changelist, "approve_decisions", [decision.pk], reason="fireworks renamed it")
    assert RegisteredModel.objects.filter(model_id=PREFIX + "deepseek-v3-0324").exists()
    assert not RegisteredModel.objects.filter(model_id=PREFIX + "deepseek-v3").exists()
    audit = AuditLog.objects.get(action="rename")
    assert (audit.before, audit.after, audit.actor, audit.decision_ref) == (
        {"model_id": PREFIX + "deepseek-v3"}, {"model_id": PREFIX + "deepseek-v3-0324"}, "olga", decision.pk)
    decision.refresh_from_db()
    assert decision.status == "approved" and decision.executed_at is not None
    cmd("revert_change", audit.pk, "--reason", "wrong successor")
    assert RegisteredModel.objects.filter(model_id=PREFIX + "deepseek-v3").exists()
    assert not RegisteredModel.objects.filter(model_id=PREFIX + "deepseek-v3-0324").exists()


def test_a_rename_is_approved_from_the_cli(fleet):
    cmd("run_operator", "--no-llm")
    decision = Decision.objects.get(action="rename", model_id=PREFIX + "llama-v3-70b")
    out = cmd("approve_decision", decision.pk)
    assert f"renamed fireworks/{PREFIX}llama-v3-70b to {PREFIX}llama-v3p3-70b-instruct" in out
    assert RegisteredModel.objects.filter(model_id=PREFIX + "llama-v3p3-70b-instruct").exists()


def test_the_pass_after_a_rename_waits_for_the_first_run_under_the_new_id(fleet, settings):
    """Right after an approved rename the new ID has no benchmark row (they are all under the old one):
    the next pass must not queue "the benchmark is not exercising this model" for it (it did on the
    demo). Past RUNNER_SILENCE_HOURS with still no run, that is worth a human's look again."""
    cmd("run_operator", "--no-llm")
    decision = Decision.objects.get(action="rename", model_id=PREFIX + "llama-v3-70b")
    cmd("approve_decision", decision.pk)
    new = ("fireworks", PREFIX + "llama-v3p3-70b-instruct")
    renamed = AuditLog.objects.get(action="rename").at

    report = operator_run(as_of=timezone.now(), use_llm=False)
    proposal = next(p for p in report.proposals if p.key == new)
    assert proposal.action == "ignore"
    assert proposal.reasoning == (f"renamed to this ID at {renamed:%Y-%m-%dT%H:%MZ}; the benchmark has not run it "
                                  "since: waiting for its next run")
    assert not Decision.objects.filter(provider=new[0], model_id=new[1], status="pending").exists()

    later_at = renamed + timedelta(hours=settings.RUNNER_SILENCE_HOURS, minutes=1)
    # the runner kept writing meanwhile (a silent runner is no evidence at all), only not for the new ID
    BenchmarkResult.objects.create(provider="fireworks", model_name=PREFIX + "qwen3-8b", run_ts=later_at)
    later = operator_run(as_of=later_at, use_llm=False, dry_run=True)
    waited = next(p for p in later.proposals if p.key == new)
    assert waited.action == "monitor" and "the benchmark is not exercising this model" in waited.reasoning


def test_a_declined_rename_is_not_proposed_again_and_the_model_is_left_for_a_human(fleet):
    cmd("run_operator", "--no-llm")
    decision = Decision.objects.get(action="rename", model_id=PREFIX + "deepseek-v3")
    cmd("reject_decision", decision.pk, "--reason", "0324 is a different model")
    cmd("run_operator", "--no-llm")
    assert not Decision.objects.filter(action="rename", model_id=PREFIX + "deepseek-v3", status="pending").exists()
    fallback = Decision.objects.get(model_id=PREFIX + "deepseek-v3", status="pending")
    assert fallback.action == "disable" and not fallback.auto_execute
    assert RegisteredModel.objects.get(model_id=PREFIX + "deepseek-v3").enabled


def test_successors_need_the_complete_catalog():
    from lifecycle.snapshots import parse_snapshot

    snapset = parse_snapshot({"as_of": "2026-11-26T08:00:00Z", "providers": {}, "models": [{
        "provider": "groq", "model_id": "llama-3.1-70b-specdec", "window_hours": 168, "runs": 10, "successes": 0,
        "last_success_at": None, "errors": [{"status": 400, "count": 10, "last_seen_at": "2026-11-26T07:00:00Z",
                                             "message": "decommissioned; please use llama-3.3-70b-versatile"}]}]})
    model = snapset.models[0]
    registered = set()
    assert successor_find(snapshot=model, catalog=None, registered=registered) is None  # nothing verifies it
    assert successor_find(snapshot=model, catalog=frozenset({"llama-3.3-70b-versatile"}),
                          registered=registered).model_id == "llama-3.3-70b-versatile"
    # already benchmarked under the new ID: the old one is just gone, nothing to rename
    assert successor_find(snapshot=model, catalog=frozenset({"llama-3.3-70b-versatile"}),
                          registered={("groq", "llama-3.3-70b-versatile")}) is None
    # still listed: not renamed
    assert successor_find(snapshot=model, catalog=frozenset({"llama-3.1-70b-specdec", "llama-3.3-70b-versatile"}),
                          registered=registered) is None
    # a date or version suffix extends an ID; a new minor version or another variant is another model
    assert catalog_extensions("deepseek-v3", {"deepseek-v3-0324", "deepseek-v3.1", "deepseek-v3-base"}) == [
        "deepseek-v3-0324"]
    assert catalog_extensions("claude-3-5-sonnet", {"claude-3-5-sonnet-20241022", "claude-3-5-sonnet-v2"}) == [
        "claude-3-5-sonnet-20241022", "claude-3-5-sonnet-v2"]


def test_an_llm_suggestion_becomes_a_rename_only_when_the_catalog_lists_it(fleet, settings):
    from tests.operator_app.fake_llm import FakeLLM, answers, request_situations

    ProviderCatalogEntry.objects.create(provider="fireworks", model_id=PREFIX + "mixtral-8x22b-instruct",
                                        first_seen_at=timezone.now() - timedelta(hours=1),
                                        last_seen_at=timezone.now() - timedelta(hours=1))
    suggestions = {PREFIX + "mixtral-8x7b": PREFIX + "mixtral-8x22b-instruct",  # listed: a rename
                   PREFIX + "llama-v3-70b": PREFIX + "llama-made-up"}  # not listed: ignored

    def respond(request, number):
        out = []
        for situation in request_situations(request):
            members = [m["model_id"] for m in situation["members"]]
            out.append({"situation_id": situation["id"], "action": "disable", "confidence": 0.99,
                        "reasoning": "gone", "suggested_model_id": suggestions.get(members[0]) if len(members) == 1
                        else None})
        return answers(out)

    with FakeLLM(respond) as server:
        settings.OPENAI_API_KEY, settings.OPERATOR_LLM_BASE_URL = "sk-test-not-a-real-key", server.base_url
        settings.OPERATOR_LLM_MAX_RETRIES = 0
        cmd("run_operator")
    renames = {d.model_id: d for d in Decision.objects.filter(action="rename")}
    assert renames[PREFIX + "mixtral-8x7b"].new_model_id == PREFIX + "mixtral-8x22b-instruct"
    assert renames[PREFIX + "mixtral-8x7b"].proposed_change["source"] == "llm"
    # the LLM's made-up ID did not win over the provider's own words
    assert renames[PREFIX + "llama-v3-70b"].new_model_id == PREFIX + "llama-v3p3-70b-instruct"
    assert not Decision.objects.filter(proposed_change__new_model_id=PREFIX + "llama-made-up").exists()
    assert not AuditLog.objects.filter(action="rename").exists()  # the LLM never renames anything itself
