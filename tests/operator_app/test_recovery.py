"""Recovery and admission by probing, against fake providers on 127.0.0.1 (OpenAI-compatible and
Anthropic-shaped), through whole recheck runs and the command. Times are explicit: every run is stamped
with its `as_of`, so "two probes at least an hour apart" is exact."""

import json
from datetime import datetime, timedelta, timezone
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone as dj_timezone

from lifecycle.models import BenchmarkError, BenchmarkResult, ModelProbe, ModelStatus
from operator_app.engine import operator_run
from operator_app.models import Decision
from operator_app.recovery import recheck_run
from operator_app.report import health_report_build, health_report_render
from operator_app.tasks import recheck_models
from registry.models import AuditLog, RegisteredModel
from registry.services import Actor, registry_add, registry_disable, registry_recheck_defer
from tests.lifecycle.fake_provider import (
    KEYS,
    OK,
    FakeProviders,
    anthropic_not_found,
    billing,
    not_found,
    rate_limited,
)

pytestmark = pytest.mark.django_db

AS_OF = datetime(2026, 11, 26, 8, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)
D = timedelta(days=1)
LLAMA = "meta-llama/Llama-3.3-70B-Instruct"
QWEN = "Qwen/Qwen3-235B-A22B"


@pytest.fixture
def fake(settings):
    settings.HTTP_TIMEOUT = 2.0
    with FakeProviders() as fake:
        fake.configure(settings, "deepinfra", "anthropic", "together")
        yield fake


def disabled(provider, model_id, *, cls="billing", by=None, at=AS_OF - 5 * D):
    RegisteredModel.objects.get_or_create(provider=provider, model_id=model_id)
    registry_disable(provider=provider, model_id=model_id, reason=f"{cls} incident", disabled_class=cls,
                     actor=by or Actor.operator(), now=at)
    return RegisteredModel.objects.get(provider=provider, model_id=model_id)


def candidate(provider, model_id, *, at=AS_OF - D):
    registry_add(provider=provider, model_id=model_id, reason=f"discovered on OpenRouter as acme/{model_id}",
                 actor=Actor.system("alice"), provenance={"openrouter_id": f"acme/{model_id}", "method": "exact",
                                                          "confidence": 0.95})
    # Added a day before the test's runs (registry_add stamps the wall clock).
    RegisteredModel.objects.filter(provider=provider, model_id=model_id).update(disabled_at=at)
    return RegisteredModel.objects.get(provider=provider, model_id=model_id)


def row(provider, model_id):
    return RegisteredModel.objects.get(provider=provider, model_id=model_id)


def probed(report):
    return sorted(f"{t.provider}/{t.model_id}" for t, _ in report.probed)


def test_a_billing_disabled_model_recovers_and_is_re_enabled_unattended_audited_and_revertible(fake):
    disabled("deepinfra", LLAMA)
    fake.script("deepinfra", LLAMA, OK)

    first = recheck_run(as_of=AS_OF)
    assert probed(first) == [f"deepinfra/{LLAMA}"]
    decision = Decision.objects.get(action="enable")
    # one success could be a blip: an enable decision, not yet unattended
    assert decision.status == "pending" and not decision.auto_execute
    assert "1 successful probe(s)" in decision.auto_execute_reason
    assert decision.evidence["situation"]["kind"] == "recovery" and decision.evidence["probes"][0]["ok"] is True
    assert not row("deepinfra", LLAMA).enabled

    soon = recheck_run(as_of=AS_OF + 30 * timedelta(minutes=1))  # within the hour: nothing to learn yet
    assert soon.probed == [] and Decision.objects.count() == 1

    later = recheck_run(as_of=AS_OF + 2 * H)
    assert probed(later) == [f"deepinfra/{LLAMA}"]
    model = row("deepinfra", LLAMA)
    assert model.enabled and model.disabled_class == "" and model.recheck_after is None
    enabled = Decision.objects.get(action="enable", status="auto_executed")
    assert enabled.executed_at is not None and "disabled unattended for billing" in enabled.auto_execute_reason
    assert Decision.objects.get(pk=decision.pk).status == "superseded"
    audit = AuditLog.objects.get(action="enable")
    assert (audit.actor_type, audit.decision_ref, audit.reversible) == ("operator", enabled.pk, True)
    assert later.executed[0].audit == audit

    call_command("revert_change", audit.pk, "--reason", "not yet, the invoice bounced", stdout=StringIO())
    model = row("deepinfra", LLAMA)
    assert not model.enabled and model.disabled_class == "billing"
    # the human's revert holds: no unattended enable again, no new decision on the same evidence
    again = recheck_run(as_of=AS_OF + 4 * H)
    assert not row("deepinfra", LLAMA).enabled
    assert Decision.objects.filter(action="enable", status="pending").count() == 0
    assert [p.held_by.kind for p in again.proposals if p.held_by] == ["reverted"]


def test_a_model_a_human_disabled_comes_back_only_when_a_human_approves(fake):
    disabled("anthropic", "claude-opus-4-1", cls="auth", by=Actor.system("alice"))
    fake.script("anthropic", "claude-opus-4-1", OK)
    recheck_run(as_of=AS_OF)
    report = recheck_run(as_of=AS_OF + 2 * H)
    decision = Decision.objects.get(action="enable", status="pending")
    assert not decision.auto_execute and decision.auto_execute_reason == "a human disabled it; a human enables it again"
    assert report.pending[0].decision_id == decision.pk and not row("anthropic", "claude-opus-4-1").enabled
    assert fake.requests("anthropic")[0] == {"model": "claude-opus-4-1", "max_tokens": 1,
                                             "messages": [{"role": "user", "content": "Reply with OK."}]}
    out = StringIO()
    call_command("approve_decision", decision.pk, stdout=out)
    assert "enabled anthropic/claude-opus-4-1" in out.getvalue() and row("anthropic", "claude-opus-4-1").enabled
    assert AuditLog.objects.get(action="enable").reversible


def test_a_still_failing_model_backs_off_3_7_then_30_days_recorded(fake):
    disabled("deepinfra", LLAMA)
    fake.script("deepinfra", LLAMA, billing())
    recheck_run(as_of=AS_OF)
    assert row("deepinfra", LLAMA).recheck_after == AS_OF + 3 * D
    audit = AuditLog.objects.get(action="recheck_defer")
    assert audit.actor_type == "operator" and audit.after == {"recheck_after": "2026-11-29T08:00:00.000Z"}
    assert "1 failed probe(s)" in audit.reason and "402" in audit.reason
    assert Decision.objects.count() == 0

    second = recheck_run(as_of=AS_OF + D)  # the second run: not due, nothing probed, nothing written
    assert second.probed == [] and AuditLog.objects.filter(action="recheck_defer").count() == 1

    recheck_run(as_of=AS_OF + 3 * D)
    assert row("deepinfra", LLAMA).recheck_after == AS_OF + 10 * D
    recheck_run(as_of=AS_OF + 10 * D)
    assert row("deepinfra", LLAMA).recheck_after == AS_OF + 40 * D
    recheck_run(as_of=AS_OF + 40 * D)
    assert row("deepinfra", LLAMA).recheck_after == AS_OF + 70 * D
    assert ModelProbe.objects.filter(ok=False, error_class="billing").count() == 4
    assert not row("deepinfra", LLAMA).enabled


def test_a_429_during_a_recheck_changes_nothing(fake):
    model = disabled("deepinfra", LLAMA)
    fake.script("deepinfra", LLAMA, rate_limited())
    before = (AuditLog.objects.count(), Decision.objects.count())
    report = recheck_run(as_of=AS_OF)
    assert probed(report) == [f"deepinfra/{LLAMA}"]
    probe = ModelProbe.objects.get()
    assert (probe.http_status, probe.error_class, probe.conclusive) == (429, "rate_limit", False)
    after = row("deepinfra", LLAMA)
    assert (after.enabled, after.recheck_after, after.disabled_reason) == (False, model.recheck_after,
                                                                           model.disabled_reason)
    assert (AuditLog.objects.count(), Decision.objects.count()) == before
    assert report.deferred == [] and report.proposals == []
    # it is still due: the next run (an hour on) asks again
    assert probed(recheck_run(as_of=AS_OF + 2 * H)) == [f"deepinfra/{LLAMA}"]


def test_a_candidate_is_admitted_after_two_successes_by_a_human_by_default(fake):
    candidate("together", QWEN)
    fake.script("together", QWEN, OK)
    first = recheck_run(as_of=AS_OF)
    assert [p.purpose for _, p in first.probed] == ["admission"] and Decision.objects.count() == 0
    recheck_run(as_of=AS_OF + 2 * H)
    decision = Decision.objects.get(action="enable")
    assert decision.status == "pending"
    assert decision.auto_execute_reason == "a candidate waits for a human (ADMISSION_AUTO_ENABLE is off)"
    assert decision.evidence["provenance"] == {"openrouter_id": f"acme/{QWEN}", "method": "exact", "confidence": 0.95}
    assert "discovered on OpenRouter as acme/" in decision.reasoning
    # evidence complete: no more probes while it waits for the human
    assert recheck_run(as_of=AS_OF + 4 * H).probed == []
    call_command("approve_decision", decision.pk, stdout=StringIO())
    model = row("together", QWEN)
    assert model.enabled and model.disabled_reason == ""
    assert AuditLog.objects.get(action="enable").before["disabled_reason"].startswith("candidate")


def test_admission_runs_unattended_when_admission_auto_enable_is_on(fake, settings):
    settings.ADMISSION_AUTO_ENABLE = True
    candidate("anthropic", "claude-opus-4-5")
    fake.script("anthropic", "claude-opus-4-5", OK)
    recheck_run(as_of=AS_OF)
    recheck_run(as_of=AS_OF + 2 * H)
    assert row("anthropic", "claude-opus-4-5").enabled
    assert Decision.objects.get(action="enable").status == "auto_executed"
    settings.OPERATOR_AUTO_EXECUTE = False  # the kill switch covers admissions too
    candidate("anthropic", "claude-haiku-4-5")
    fake.script("anthropic", "claude-haiku-4-5", OK)
    recheck_run(as_of=AS_OF + 3 * H)
    recheck_run(as_of=AS_OF + 5 * H)
    assert not row("anthropic", "claude-haiku-4-5").enabled
    assert Decision.objects.get(model_id="claude-haiku-4-5").auto_execute_reason.startswith("auto-execution is "
                                                                                              "switched off")


def test_a_candidate_is_rejected_after_two_404s_and_rechecked_after_30_days(fake):
    candidate("together", "acme/Made-Up-7B")
    candidate("anthropic", "claude-9")
    fake.script("together", "acme/Made-Up-7B", not_found("acme/Made-Up-7B"))
    fake.script("anthropic", "claude-9", anthropic_not_found("claude-9"))
    recheck_run(as_of=AS_OF)
    # one refusal proves little (a rollout?): nothing changes, the next run asks again
    assert row("together", "acme/Made-Up-7B").recheck_after is None and not AuditLog.objects.filter(
        action="reject_candidate").exists()
    report = recheck_run(as_of=AS_OF + 2 * H)
    assert sorted(label for label, _, _ in report.rejected) == ["anthropic/claude-9", "together/acme/Made-Up-7B"]
    model = row("together", "acme/Made-Up-7B")
    assert model.disabled_reason.startswith("candidate rejected: 2 definitive refusals") and "404" in model.disabled_reason
    assert model.recheck_after == AS_OF + 2 * H + 30 * D and model.is_candidate and not model.enabled
    assert AuditLog.objects.filter(action="reject_candidate", actor_type="operator").count() == 2
    assert recheck_run(as_of=AS_OF + 10 * D).probed == []
    fake.script("together", "acme/Made-Up-7B", OK)
    assert "together/acme/Made-Up-7B" in probed(recheck_run(as_of=AS_OF + 31 * D))


def test_caps_drain_a_backlog_over_runs_oldest_due_first(fake, settings):
    settings.PROBE_MAX_PER_PROVIDER = 4
    models = [f"model-{i:02d}" for i in range(7)]
    for i, model in enumerate(models):
        disabled("deepinfra", model, by=Actor.system("alice"), at=AS_OF - 5 * D + i * H)
        fake.script("deepinfra", model, OK)
    first = recheck_run(as_of=AS_OF)
    assert probed(first) == [f"deepinfra/{m}" for m in models[:4]]
    assert sorted(t.model_id for t in first.waiting) == models[4:]
    second = recheck_run(as_of=AS_OF + 2 * H)
    # the ones that waited go first; then the oldest of those probed before
    assert probed(second) == sorted(f"deepinfra/{m}" for m in models[4:] + models[:1])
    assert set(ModelProbe.objects.values_list("model_id", flat=True)) == set(models)


def test_a_providers_recovery_after_a_billing_incident_makes_its_disabled_models_due_at_once(fake):
    for i, model in enumerate((LLAMA, QWEN, "deepseek-ai/DeepSeek-V3")):
        disabled("deepinfra", model, by=Actor.system("alice"), at=AS_OF - 5 * D + i * timedelta(minutes=5))
        fake.script("deepinfra", model, OK)
    for model in (QWEN, "deepseek-ai/DeepSeek-V3"):  # looked at before: not due for weeks
        registry_recheck_defer(provider="deepinfra", model_id=model, recheck_after=AS_OF + 20 * D, reason="test",
                               actor=Actor.operator())
    disabled("together", "solo-model", cls="auth", by=Actor.system("alice"))  # one model, no incident
    registry_recheck_defer(provider="together", model_id="solo-model", recheck_after=AS_OF + 20 * D, reason="test",
                           actor=Actor.operator())
    RegisteredModel.objects.create(provider="together", model_id="healthy")
    BenchmarkResult.objects.create(provider="together", model_name="healthy", run_ts=AS_OF - H)

    fake.script("deepinfra", QWEN, billing())  # this one has trouble of its own
    report = recheck_run(as_of=AS_OF)
    # LLAMA was due; its success shows the account works again: the other two follow in the same run
    assert probed(report) == sorted(f"deepinfra/{m}" for m in (LLAMA, QWEN, "deepseek-ai/DeepSeek-V3"))
    assert {t.model_id: t.purpose for t, _ in report.probed} == {
        LLAMA: "recheck", QWEN: "provider_recovered", "deepseek-ai/DeepSeek-V3": "provider_recovered"}
    assert Decision.objects.filter(action="enable", status="pending").count() == 2
    assert row("deepinfra", QWEN).recheck_after == AS_OF + 20 * D  # an early probe leaves its schedule as it was
    # the second run: LLAMA answers again, but QWEN's early probe failed: it waits for its own schedule
    second = recheck_run(as_of=AS_OF + 2 * H)
    assert probed(second) == sorted([f"deepinfra/{LLAMA}", "deepinfra/deepseek-ai/DeepSeek-V3"])


def test_the_command_probes_a_hard_class_model_only_when_a_human_asks(fake):
    disabled("deepinfra", LLAMA, cls="hard_model")
    fake.script("deepinfra", LLAMA, OK)
    out = StringIO()
    call_command("recheck_models", stdout=out, stderr=StringIO())
    assert "due: 0" in out.getvalue() and ModelProbe.objects.count() == 0
    out = StringIO()
    call_command("recheck_models", "--model", f"deepinfra/{LLAMA}", stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert f"deepinfra/{LLAMA} [manual]: ok 200" in text
    decision = Decision.objects.get(action="enable")
    assert "pending for a human: enable" in text and f"approve_decision {decision.pk}" in text
    assert decision.auto_execute_reason.startswith("disabled for hard_model, not a recoverable class")
    assert ModelProbe.objects.get().purpose == "manual"
    # the second run, not asked: the hard-class model is not probed and its pending decision stays
    call_command("recheck_models", stdout=StringIO(), stderr=StringIO())
    assert ModelProbe.objects.count() == 1 and Decision.objects.get(pk=decision.pk).status == "pending"


def test_the_command_refuses_bad_input_with_one_line_and_dry_run_writes_nothing(fake, settings):
    disabled("deepinfra", LLAMA)
    RegisteredModel.objects.create(provider="deepinfra", model_id="enabled-one")
    with pytest.raises(CommandError, match="not in the registry: deepinfra/nope"):
        call_command("recheck_models", "--model", "deepinfra/nope", stdout=StringIO())
    with pytest.raises(CommandError, match="enabled, nothing to recheck: deepinfra/enabled-one"):
        call_command("recheck_models", "--model", "deepinfra/enabled-one", stdout=StringIO())
    with pytest.raises(CommandError, match="--model expects provider/model_id"):
        call_command("recheck_models", "--model", "nope", stdout=StringIO())
    with pytest.raises(CommandError, match="no registry model of provider acme"):
        call_command("recheck_models", "--provider", "acme", stdout=StringIO())
    out = StringIO()
    call_command("recheck_models", "--dry-run", "--format", "json", stdout=out, stderr=StringIO())
    data = json.loads(out.getvalue())
    assert data["dry_run"] and [d["model_id"] for d in data["due"]] == [LLAMA]
    assert ModelProbe.objects.count() == 0 and fake.hits("deepinfra") == []
    settings.PROVIDERS["deepinfra"]["api_key"] = ""
    with pytest.raises(CommandError, match=r"not probed: deepinfra/.* \(deepinfra: no API key"):
        call_command("recheck_models", "--model", f"deepinfra/{LLAMA}", stdout=StringIO(), stderr=StringIO())


def test_the_beat_task_runs_the_same_service_and_never_stores_a_key(fake):
    disabled("deepinfra", LLAMA)
    fake.script("deepinfra", LLAMA, OK)
    summary = recheck_models()
    assert summary["probed"][0]["ok"] is True and summary["pending"][0]["model"] == f"deepinfra/{LLAMA}"
    stored = json.dumps([list(ModelProbe.objects.values()), list(Decision.objects.values("evidence", "reasoning")),
                         list(AuditLog.objects.values("reason", "after"))], default=str)
    assert KEYS["deepinfra"] not in stored


def test_the_report_and_the_admin_show_what_came_back(fake, admin_client):
    disabled("deepinfra", LLAMA)
    fake.script("deepinfra", LLAMA, OK)
    candidate("together", QWEN)
    fake.script("together", QWEN, OK)
    candidate("anthropic", "claude-9")
    fake.script("anthropic", "claude-9", anthropic_not_found("claude-9"))
    recheck_run(as_of=AS_OF)
    recheck_run(as_of=AS_OF + 2 * H)
    enable = AuditLog.objects.get(action="enable")
    waiting = Decision.objects.get(model_id=QWEN, status="pending")
    context = health_report_build(as_of=dj_timezone.now() + timedelta(minutes=1), days=1)
    text = health_report_render(context=context).text
    recovered = text.split("== RECOVERED (1 enabled again, 0 waiting) ==")[1].split("== ADMISSIONS")[0]
    assert f"- deepinfra/{LLAMA} enabled again by the operator (unattended) at" in recovered
    assert "(disabled 2026-11-21 08:00 for billing)" in recovered
    assert f"revert:  python manage.py revert_change {enable.pk}" in recovered
    admissions = text.split("== ADMISSIONS (0 admitted, 1 rejected, 1 waiting) ==")[1].split("== RETIRING SOON")[0]
    assert f"- together/{QWEN}: Candidate together/{QWEN} answered 2 probes" in admissions
    assert f"approve: python manage.py approve_decision {waiting.pk}" in admissions
    assert "- anthropic/claude-9 rejected at" in admissions and "2 definitive refusals" in admissions
    html = health_report_render(context=context).html
    assert 'id="recovered"' in html and 'id="admissions"' in html and 'id="retiring"' in html
    page = admin_client.get(reverse("admin:operator_app_decision_change", args=[waiting.pk])).content.decode()
    assert "<th>Probes</th>" in page and "<th>Discovered</th>" in page and f"acme/{QWEN}" in page


def test_an_operator_pass_leaves_a_recheck_s_pending_enable_alone(fake):
    RegisteredModel.objects.create(provider="anthropic", model_id="claude-sonnet-4-5")
    for hours in range(-6, 5):  # the runner is writing: passes decide
        BenchmarkResult.objects.create(provider="anthropic", model_name="claude-sonnet-4-5", run_ts=AS_OF + hours * H)
    disabled("anthropic", "claude-opus-4-1", cls="auth", by=Actor.system("alice"))
    fake.script("anthropic", "claude-opus-4-1", OK)
    operator_run(as_of=AS_OF - H, use_llm=False)  # model_status rows exist from here on
    recheck_run(as_of=AS_OF)
    decision = Decision.objects.get(action="enable")
    status = ModelStatus.objects.get(model_id="claude-opus-4-1")
    assert status.operator_decision["action"] == "enable" and status.operator_decision["status"] == "pending"
    # the pass says "ignore" about a disabled model: that answers nothing about bringing it back
    operator_run(as_of=AS_OF + 3 * H, use_llm=False)
    assert Decision.objects.get(pk=decision.pk).status == "pending"
    assert ModelStatus.objects.get(model_id="claude-opus-4-1").operator_decision["action"] == "enable"


def test_a_rejected_enable_stands_on_the_next_runs(fake):
    disabled("deepinfra", LLAMA, by=Actor.system("alice"))
    fake.script("deepinfra", LLAMA, OK)
    recheck_run(as_of=AS_OF)
    decision = Decision.objects.get(action="enable")
    call_command("reject_decision", decision.pk, "--reason", "the invoice is disputed", stdout=StringIO())
    again = recheck_run(as_of=AS_OF + 2 * H)
    assert [p.held_by.kind for p in again.proposals if p.held_by] == ["rejected"]
    assert Decision.objects.filter(action="enable").count() == 1 and not row("deepinfra", LLAMA).enabled


def _runner_writes(provider, model_id, *, since, until):
    """The benchmark runner keeps writing for `provider` (a silent runner is no evidence at all)."""
    moment = since
    while moment <= until:
        BenchmarkResult.objects.create(provider=provider, model_name=model_id, run_ts=moment)
        moment += 3 * H


def test_the_pass_after_a_recovery_waits_for_the_benchmark_instead_of_reading_the_old_errors(fake, settings):
    """Recovered unattended, the model has no benchmark run since: its last errors are the 402s from
    before it was disabled. The next pass must not queue them for a human (it queued a monitor on the
    demo) until the benchmark has run it again. Wall-clock times: the audit entry is stamped with now."""
    now = dj_timezone.now()
    RegisteredModel.objects.create(provider="deepinfra", model_id=QWEN)
    _runner_writes("deepinfra", QWEN, since=now - 130 * H, until=now - 2 * H)
    for hours in range(130, 120, -3):  # until the operator disabled it, 5 days ago
        BenchmarkError.objects.create(provider="deepinfra", model_name=LLAMA, http_status=402, ts=now - hours * H,
                                      message="Payment Required: insufficient credits")
    disabled("deepinfra", LLAMA, at=now - 5 * D)
    fake.script("deepinfra", LLAMA, OK)
    recheck_run(as_of=now - 3 * H)
    recheck_run(as_of=now - H)
    assert row("deepinfra", LLAMA).enabled  # two probes two hours apart: enabled unattended
    enabled_at = AuditLog.objects.get(action="enable").at

    before = Decision.objects.count()
    report = operator_run(as_of=dj_timezone.now(), use_llm=False)
    proposal = next(p for p in report.proposals if p.key == ("deepinfra", LLAMA))
    assert (proposal.action, proposal.suggested_by) == ("ignore", "rules")
    assert proposal.reasoning == (f"enabled at {enabled_at:%Y-%m-%dT%H:%MZ}; the benchmark has not run it since: "
                                  "waiting for its next run")
    assert Decision.objects.count() == before and row("deepinfra", LLAMA).enabled

    # still no run of it RUNNER_SILENCE_HOURS later while the runner writes for the rest: a human's question
    later = enabled_at + timedelta(hours=settings.RUNNER_SILENCE_HOURS, minutes=1)
    _runner_writes("deepinfra", QWEN, since=now, until=later)
    waited = operator_run(as_of=later, use_llm=False, dry_run=True)
    assert next(p for p in waited.proposals if p.key == ("deepinfra", LLAMA)).action == "monitor"


def test_the_pass_after_an_admission_waits_for_the_first_run(fake):
    """An admitted candidate has no benchmark row at all: the pass right after a human approved it must
    not queue "the benchmark is not exercising this model" (it did on the demo)."""
    now = dj_timezone.now()
    _runner_writes("together", "acme/other", since=now - 12 * H, until=now - H)
    candidate("together", QWEN, at=now - D)
    fake.script("together", QWEN, OK)
    recheck_run(as_of=now - 3 * H)
    recheck_run(as_of=now - H)
    call_command("approve_decision", Decision.objects.get(action="enable").pk, stdout=StringIO())
    assert row("together", QWEN).enabled

    report = operator_run(as_of=dj_timezone.now(), use_llm=False)
    proposal = next(p for p in report.proposals if p.key == ("together", QWEN))
    assert proposal.action == "ignore" and proposal.reasoning.startswith("enabled at ")
    assert not Decision.objects.filter(model_id=QWEN, status="pending").exists()
