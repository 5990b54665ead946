"""A human's word holds: on full passes over the demo fleet, as a new user meets it.

Each test is one of the failures the issue found on `make demo`: a revert undone by the next pass,
a rejection proposed again, an approval that changed nothing, a stale revert overwriting a newer
change. The commands are the ones the email prints, run as printed.
"""

import shlex
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from lifecycle.demo import seed_demo
from lifecycle.models import BenchmarkError, BenchmarkResult, ModelStatus
from operator_app.models import Decision, OperatorRun
from registry.models import AuditLog, RegisteredModel
from registry.selectors import unattended_holds
from registry.services import Actor, registry_enable
from tests.admin_confirm import confirm_action, confirmation_page

pytestmark = pytest.mark.django_db

REGISTRY_ADMIN = reverse("admin:registry_registeredmodel_changelist")


@pytest.fixture(autouse=True)
def _no_llm(settings):
    settings.OPENAI_API_KEY = ""  # the classifier decides: these tests are about what humans said

DEAD = ("openai", "gpt-4.5-preview")  # 404 for 96 h, absent from openai's complete catalog: auto-disabled
FRESH = ("openai", "gpt-5.3-codex")  # a 404 for 6 h: a pending monitor


def cmd(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def run_pass() -> str:
    return cmd("run_operator", "--no-llm")


def paste(command_line: str) -> str:
    """Run a `python manage.py …` line exactly as the email prints it."""
    words = shlex.split(command_line)
    assert words[:2] == ["python", "manage.py"], command_line
    return cmd(*words[2:])


def enabled(key) -> bool:
    return RegisteredModel.objects.get(provider=key[0], model_id=key[1]).enabled


def decisions_of(key, **filters):
    return Decision.objects.filter(provider=key[0], model_id=key[1], **filters)


@pytest.fixture
def demo():
    seed_demo()
    summary = run_pass()
    assert not enabled(DEAD) and "auto-executed: 4" in summary
    return summary


def test_it_leaves_a_reverted_unattended_disable_alone_on_the_next_passes(demo):
    audit = AuditLog.objects.get(provider=DEAD[0], model_id=DEAD[1], action="disable")
    out = cmd("revert_change", audit.pk, "--reason", "still used by the nightly eval")
    assert "clear_hold openai/gpt-4.5-preview" in out and enabled(DEAD)

    for _ in range(2):  # the next pass, and the one after
        summary = run_pass()
        assert enabled(DEAD)
        assert "held by cli's verdict of" in summary and "(reverted disable): still used by the nightly eval" in summary
    assert not decisions_of(DEAD, status="pending").exists()
    run = OperatorRun.objects.order_by("-started_at").first()
    assert [(h["model_id"], h["kind"]) for h in run.held] == [("gpt-4.5-preview", "reverted")]
    # and the operator will not change it unattended until a human says so
    assert DEAD in unattended_holds()
    cmd("clear_hold", "openai/gpt-4.5-preview", "--reason", "nightly eval moved off it")
    assert DEAD not in unattended_holds()
    assert AuditLog.objects.filter(action="clear_hold", model_id=DEAD[1], actor="cli").exists()


def test_an_enable_by_hand_of_an_unattended_disable_holds_like_a_revert(demo, admin_client):
    """The admin's "Enable" on a model the operator disabled unattended is a revert in all but name:
    the next passes must not disable it again on the evidence it was enabled over (they did, at once)."""
    disable = AuditLog.objects.get(provider=DEAD[0], model_id=DEAD[1], action="disable")
    row = RegisteredModel.objects.get(provider=DEAD[0], model_id=DEAD[1])
    preview = confirmation_page(admin_client, REGISTRY_ADMIN, "enable_models", [row.pk]).content.decode()
    assert "this undoes the operator&#x27;s unattended disable" in preview
    confirm_action(admin_client, REGISTRY_ADMIN, "enable_models", [row.pk], reason="access restored, checked by hand")
    assert enabled(DEAD)
    enable = AuditLog.objects.get(provider=DEAD[0], model_id=DEAD[1], action="enable")
    assert (enable.actor_type, enable.reverts_id) == ("user", disable.pk)

    for _ in range(2):  # the next pass, and the one after
        summary = run_pass()
        assert enabled(DEAD)
        assert "held by admin's verdict of" in summary and "(reverted disable): access restored" in summary
    assert not decisions_of(DEAD, status="pending").exists()
    assert unattended_holds()[DEAD].by == "admin"
    # a human undoing that enable lifts what it held
    cmd("revert_change", enable.pk, "--reason", "no, it is gone")
    assert not enabled(DEAD) and DEAD not in unattended_holds()


def test_approving_the_operators_own_enable_is_agreement_not_an_override(demo):
    """Approving an enable the operator proposed (a recovery, an admission) undoes nothing: no hold."""
    disable = AuditLog.objects.get(provider=DEAD[0], model_id=DEAD[1], action="disable")
    decision = Decision.objects.create(provider=DEAD[0], model_id=DEAD[1], action="enable", status="pending",
                                       confidence=0.95, reasoning="it answered two probes",
                                       suggested_at=timezone.now(), suggested_by="probes")
    cmd("approve_decision", decision.pk)
    assert enabled(DEAD)
    enable = AuditLog.objects.get(provider=DEAD[0], model_id=DEAD[1], action="enable")
    assert enable.reverts_id is None and enable.decision_ref == decision.pk and disable.pk != enable.pk
    assert DEAD not in unattended_holds()


def test_a_revert_hold_keeps_even_new_evidence_from_running_unattended(demo):
    audit = AuditLog.objects.get(provider=DEAD[0], model_id=DEAD[1], action="disable")
    cmd("revert_change", audit.pk, "--reason", "keep it")
    _new_streak(DEAD, hours=60)  # it worked again, then died again: a new question
    run_pass()
    assert enabled(DEAD)
    reopened = decisions_of(DEAD, status="pending").get()
    assert reopened.action == "disable" and not reopened.auto_execute
    assert "reopened for a human: the evidence changed since cli's verdict" in reopened.auto_execute_reason


def test_it_does_not_propose_a_rejected_suggestion_again_until_the_evidence_changes(demo):
    rejected = decisions_of(FRESH, status="pending").get()
    assert "rejected" in cmd("reject_decision", rejected.pk, "--reason", "rolling out, give it a day")

    summary = run_pass()
    assert not decisions_of(FRESH, status="pending").exists()
    assert "held by cli's verdict of" in summary and "(rejected monitor): rolling out, give it a day" in summary
    assert ModelStatus.objects.get(provider=FRESH[0], model_id=FRESH[1]).operator_decision["status"] == "rejected"

    _new_streak(FRESH, hours=3)  # it answered once, then the 404s came back: a new streak
    run_pass()
    back = decisions_of(FRESH, status="pending").get()
    assert back.pk != rejected.pk and back.action == "monitor"
    assert "reopened for a human: the evidence changed since cli's verdict" in back.auto_execute_reason
    assert "streak started at" in back.auto_execute_reason


def test_an_old_verdict_reopens_the_question(demo):
    rejected = decisions_of(FRESH, status="pending").get()
    cmd("reject_decision", rejected.pk, "--reason", "blip")
    Decision.objects.filter(pk=rejected.pk).update(reviewed_at=timezone.now() - timedelta(days=15))
    run_pass()
    back = decisions_of(FRESH, status="pending").get()
    assert "is older than 14 days" in back.auto_execute_reason


@override_settings(OPERATOR_AUTO_EXECUTE=False)
def test_the_emails_approve_command_pasted_as_printed_disables_and_the_next_pass_adds_nothing():
    seed_demo()
    run_pass()
    assert enabled(DEAD)  # the kill switch left the disable for a human
    email = cmd("send_health_report", "--dry-run")
    decision = decisions_of(DEAD, status="pending").get()
    line = next(line for line in email.splitlines() if f"approve_decision {decision.pk}" in line
                and "approve:" in line)
    command, _sep, says = line.split("approve:", 1)[1].partition("   (")
    assert "disables openai/gpt-4.5-preview now" in says
    assert "executed: disabled openai/gpt-4.5-preview" in paste(command.strip())
    assert not enabled(DEAD)
    decision.refresh_from_db()
    assert decision.status == "approved" and decision.executed_at is not None
    before = Decision.objects.count()
    run_pass()
    assert Decision.objects.count() == before  # no duplicate
    assert decisions_of(DEAD).count() == 1
    with pytest.raises(CommandError, match="nothing was approved"):
        paste(command.strip())  # the same command again: not pending, and says so


def test_the_emails_revert_command_pasted_as_printed_reverts(demo):
    email = cmd("send_health_report", "--dry-run")
    line = next(line for line in email.splitlines() if "revert:" in line and "revert_change" in line)
    paste(line.split("revert:", 1)[1].strip())
    assert AuditLog.objects.filter(action="revert").count() == 1
    reverted = AuditLog.objects.get(action="revert")
    assert enabled((reverted.provider, reverted.model_id))


def test_it_refuses_to_revert_an_old_change_over_a_newer_one(demo):
    """The operator disables X (A1), someone enables X, someone else disables X as manual ("contract
    ended"): reverting A1 must not enable X and lose the newer reason."""
    groq = ("groq", "llama-3.1-70b-specdec")
    a1 = AuditLog.objects.get(provider=groq[0], model_id=groq[1], action="disable")
    registry_enable(provider=groq[0], model_id=groq[1], reason="someone enables it", actor=Actor.system("amy"))
    cmd("disable_models", "--model", "groq/llama-3.1-70b-specdec", "--reason", "contract ended", "--apply",
        "--actor", "bob")
    newer = AuditLog.objects.filter(provider=groq[0], model_id=groq[1], action="enable").get()
    with pytest.raises(CommandError) as refused:
        cmd("revert_change", a1.pk)
    assert "changed since: enable by amy" in str(refused.value) and newer.pk in str(refused.value)
    row = RegisteredModel.objects.get(provider=groq[0], model_id=groq[1])
    assert (row.enabled, row.disabled_reason, row.disabled_class) == (False, "contract ended", "manual")
    a1.refresh_from_db()
    assert a1.reverted_at is None  # still revertible once the newer change is undone


def test_the_mirror_reads_in_the_spec_vocabulary(demo):
    pending = decisions_of(FRESH, status="pending").get()
    cmd("reject_decision", pending.pk, "--reason", "fine")
    statuses = {doc["status"] for doc in ModelStatus.objects.exclude(operator_decision=None)
                .values_list("operator_decision", flat=True)}
    assert statuses <= {"pending", "approved", "rejected", "auto_executed", "failed"}
    assert {"pending", "rejected", "auto_executed"} <= statuses
    listed = cmd("decisions", "--status", "auto_executed")
    assert "4 decision(s)" in listed and "openai/gpt-4.5-preview" in listed


def _new_streak(key, *, hours: int, status: int = 404, message: str | None = None) -> None:
    """The model succeeded just before `hours` ago and fails since: a new streak, a new question."""
    now = timezone.now()
    start = now - timedelta(hours=hours)
    BenchmarkResult.objects.create(provider=key[0], model_name=key[1], run_ts=start - timedelta(minutes=30))
    text = message or (f"NotFoundError: Error code: 404 - {{'error': {{'message': 'The model `{key[1]}` does not "
                       "exist or you do not have access to it.', 'code': 'model_not_found'}}")
    moment = start
    while moment < now:
        BenchmarkError.objects.create(provider=key[0], model_name=key[1], ts=moment, http_status=status,
                                      message=text, stage="generate")
        moment += timedelta(hours=1)
