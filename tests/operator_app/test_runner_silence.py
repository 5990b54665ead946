"""Runner silence on a real database: when the benchmark runner writes nothing (fleet-wide or for a
whole provider), a pass concludes nothing about those models and the daily report goes CRITICAL."""

from datetime import datetime, timedelta, timezone
from io import StringIO

import pytest
from django.core.management import call_command

from lifecycle.models import BenchmarkError, BenchmarkResult, ModelStatus
from lifecycle.services import signals_collect
from operator_app.engine import operator_run
from operator_app.models import Decision
from operator_app.report import health_report_build, health_report_render
from operator_app.summary import report_json, report_text
from registry.models import AuditLog, RegisteredModel
from tests.operator_app.fleet import NOT_FOUND

pytestmark = pytest.mark.django_db
LAST_ROW = datetime(2026, 11, 26, 1, 0, tzinfo=timezone.utc)  # the runner's last write
H = timedelta(hours=1)


def _runner_wrote(provider, *, dead=(), healthy=(), until=LAST_ROW, hours=100):
    """Every 45 minutes for `hours` up to `until`: 404s for `dead` models, successes for `healthy` ones."""
    moments = [until - timedelta(minutes=45 * i) for i in range(int(hours * 60 / 45))]
    for model in (*dead, *healthy):
        RegisteredModel.objects.get_or_create(provider=provider, model_id=model)
    BenchmarkError.objects.bulk_create([
        BenchmarkError(provider=provider, model_name=m, http_status=404, ts=t, message=NOT_FOUND % m)
        for m in dead for t in moments])
    BenchmarkResult.objects.bulk_create([
        BenchmarkResult(provider=provider, model_name=m, run_ts=t) for m in healthy for t in moments])


@pytest.fixture
def fleet():
    _runner_wrote("openai", dead=["gpt-4.5-preview", "o1-preview"], healthy=["gpt-4.1"])
    _runner_wrote("groq", healthy=["llama-3.3-70b-versatile"])


def test_a_fleet_without_rows_for_7_hours_decides_nothing_and_the_report_is_critical(fleet):
    as_of = LAST_ROW + 7 * H
    for attempt in (1, 2):  # and the second pass just the same
        report = operator_run(as_of=as_of + (attempt - 1) * H, use_llm=False)
        assert report.proposals == [] and report.executed == []
        assert Decision.objects.count() == 0
        assert not AuditLog.objects.exists()
        assert not RegisteredModel.objects.filter(enabled=False).exists()
        assert not ModelStatus.objects.exists()  # no verdict written either
        silence = report.run.params["runner_silence"]
        assert silence["fleet"] is True and silence["models_held"] == 4
        assert silence["providers"] == {"groq": "2026-11-26T01:00Z", "openai": "2026-11-26T01:00Z"}
        text = report_text(report)
        assert "RUNNER SILENT: runner silent since 2026-11-26T01:00Z" in text
        assert "4 model(s) held out of this pass" in text
        assert report_json(report)["runner_silence"]["fleet"] is True
    email = health_report_render(context=health_report_build(as_of=as_of, days=1))
    assert email.subject.startswith("[CRITICAL] [OPERATED] Daily Health Report")
    assert ("CRITICAL: runner silent since 2026-11-26T01:00Z (7.0 h ago): no result and no error from any "
            "provider for more than 6 h") in email.text


def test_the_same_rows_an_hour_after_the_last_write_are_decided_as_usual(fleet):
    report = operator_run(as_of=LAST_ROW + H, use_llm=False)
    assert "runner_silence" not in report.run.params
    assert Decision.objects.filter(model_id="gpt-4.5-preview", action="disable").exists()
    assert not health_report_build(as_of=LAST_ROW + H, days=1)["runner_silence"]


def test_silence_leaves_pending_decisions_and_model_status_as_they_were(fleet):
    operator_run(as_of=LAST_ROW + H, use_llm=False)
    pending = {d.pk: d.status for d in Decision.objects.all()}
    statuses = {(m.provider, m.model_id): (m.lifecycle_status, m.computed_at) for m in ModelStatus.objects.all()}
    assert pending and statuses
    operator_run(as_of=LAST_ROW + 8 * H, use_llm=False)
    assert {d.pk: d.status for d in Decision.objects.all()} == pending  # nothing superseded, nothing new
    assert {(m.provider, m.model_id): (m.lifecycle_status, m.computed_at) for m in ModelStatus.objects.all()} \
        == statuses


def test_a_silent_provider_sits_out_while_the_others_are_decided(settings):
    settings.OPERATOR_AUTO_EXECUTE = False
    as_of = LAST_ROW + 8 * H
    _runner_wrote("openai", dead=["gpt-4.5-preview"], healthy=["gpt-4.1"], until=as_of - H)
    _runner_wrote("groq", dead=["llama-3.1-70b-versatile"], healthy=["llama-3.3-70b-versatile"])
    report = operator_run(as_of=as_of, use_llm=False)
    assert {p.provider for p in report.proposals} == {"openai"}
    assert set(Decision.objects.values_list("provider", flat=True)) == {"openai"}
    assert report.run.params["runner_silence"]["fleet"] is False
    context = health_report_build(as_of=as_of, days=1)
    assert context["severity"] == "CRITICAL"
    assert context["critical"][0].startswith("runner silent for groq since 2026-11-26T01:00Z (8.0 h ago)")
    assert not any("openai" in line for line in context["critical"])
    # the hourly signal collection holds the silent provider too, and the command says so
    out = StringIO()
    call_command("collect_signals", "--as-of", as_of.isoformat(), stdout=out)
    assert set(ModelStatus.objects.values_list("provider", flat=True)) == {"openai"}
    assert "RUNNER SILENT: runner silent for groq since" in out.getvalue()
    assert signals_collect(as_of=as_of).held == 2


def test_a_provider_whose_models_are_all_disabled_is_not_expected_to_write(fleet):
    RegisteredModel.objects.filter(provider="groq").update(enabled=False)
    as_of = LAST_ROW + 7 * H
    BenchmarkResult.objects.create(provider="openai", model_name="gpt-4.1", run_ts=as_of - H)
    assert health_report_build(as_of=as_of, days=1)["runner_silence"] is None


def test_legacy_error_rows_dated_by_created_at_count_as_the_runner_writing(fleet):
    as_of = LAST_ROW + 7 * H
    BenchmarkError.objects.create(provider="openai", model_name="o1-preview", http_status=404,
                                  created_at=as_of - H, error=NOT_FOUND % "o1-preview")
    BenchmarkError.objects.create(provider="groq", model_name="llama-3.3-70b-versatile", http_status=429,
                                  timestamp=as_of - 2 * H, error="rate limited")
    assert health_report_build(as_of=as_of, days=1)["runner_silence"] is None
    assert "runner_silence" not in operator_run(as_of=as_of, use_llm=False).run.params
