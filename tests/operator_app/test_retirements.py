"""The retirement calendar where a user meets it: dates from the runner's deprecation warnings, from
provider listings (Mistral over HTTP on 127.0.0.1, OpenRouter's catalog) and from a human, in the
daily report's "Retiring soon"; and a model past its date whose 404s are disabled without the 48-hour
wait, through a whole operator pass."""

import json
from datetime import date, datetime, timedelta, timezone
from io import StringIO

import pytest
from django.core.management import call_command

from discovery.services import openrouter_fetch, provider_catalogs_sync
from lifecycle.models import BenchmarkError, BenchmarkResult, ModelRetirement, ProviderCatalogEntry, ProviderCatalogSync
from lifecycle.retirements import retirement_calendar, retirement_date_parse, retirement_set
from operator_app.engine import operator_run
from operator_app.models import Decision
from operator_app.report import health_report_build, health_report_render
from registry.models import AuditLog, RegisteredModel
from registry.services import Actor, ChangeError
from tests.discovery.conftest import CATALOG_FILE, FAST_HTTP
from tests.discovery.local_server import LocalServer, Reply

pytestmark = pytest.mark.django_db

AS_OF = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)
D = timedelta(days=1)
NOT_FOUND = ("NotFoundError: Error code: 404 - {'error': {'message': 'The model `%s` does not exist or you do not "
             "have access to it.', 'type': 'invalid_request_error', 'param': None, 'code': 'model_not_found'}}")
WARNING = ("The model '%s' is deprecated and will reach end-of-life on %s. Please migrate to a newer model. Visit "
           "https://docs.anthropic.com/en/docs/resources/model-deprecations for more information.")


def _successes(provider, model_id, *, until, hours=48, warning=None):
    for i in range(0, hours, 3):
        BenchmarkResult.objects.create(provider=provider, model_name=model_id, run_ts=until - i * H,
                                       warnings=[warning] if warning else None)


def _complete_catalog(provider, listed, *, at=AS_OF - 2 * H):
    ProviderCatalogSync.objects.create(provider=provider, source="api", started_at=at, finished_at=at,
                                       status="complete", complete=True, count=len(listed))
    for model_id in listed:
        ProviderCatalogEntry.objects.create(provider=provider, model_id=model_id, first_seen_at=at, last_seen_at=at)


def _report_text(as_of=AS_OF):
    return health_report_render(context=health_report_build(as_of=as_of, days=1)).text


def _section(text, title):
    return text.split(f"== {title}")[1].split("\n== ")[0]


def test_it_reads_the_dates_providers_write():
    assert retirement_date_parse("February 19th, 2027") == date(2027, 2, 19)
    assert retirement_date_parse("Jan 5, 2026") == date(2026, 1, 5)
    assert retirement_date_parse("2025-06-10T12:00:00Z") == date(2025, 6, 10)
    assert retirement_date_parse("2025-06-10") == date(2025, 6, 10)
    assert retirement_date_parse("Smarch 40th, 2026") is None and retirement_date_parse("soon") is None


def test_a_date_from_a_deprecation_warning_appears_in_retiring_soon_with_a_warning_at_30_days():
    model = "claude-3-5-haiku-20241022"
    RegisteredModel.objects.create(provider="anthropic", model_id=model)
    retires = (AS_OF + 30 * D).date()
    _successes("anthropic", model, until=AS_OF - H, warning=WARNING % (model, f"{retires:%B} {retires.day}th, "
                                                                              f"{retires:%Y}"))
    operator_run(as_of=AS_OF, use_llm=False)
    row = ModelRetirement.objects.get()
    assert (row.provider, row.model_id, row.source, row.retires_on) == ("anthropic", model, "warning", retires)
    assert "end-of-life" in row.note
    text = _report_text()
    section = _section(text, "RETIRING SOON")
    assert f"- anthropic/{model} retires {retires:%Y-%m-%d} (in 30 days; the runner's deprecation warnings) " \
           "[RETIRES IN 30 DAYS]" in section
    warning = f"anthropic/{model} retires in 30 days ({retires:%Y-%m-%d}; the runner's deprecation warnings)"
    assert warning in health_report_build(as_of=AS_OF, days=1)["warnings"] and warning in text.split("\n\n")[1]
    # the next day's report lists it without warning again; a week before, it warns again
    assert "[RETIRES" not in _section(_report_text(AS_OF + D), "RETIRING SOON")
    assert "[RETIRES IN 7 DAYS]" in _section(_report_text(AS_OF + 23 * D), "RETIRING SOON")


def test_a_date_from_mistrals_listing_appears_with_its_successor_and_a_rename_suggestion(settings):
    RegisteredModel.objects.create(provider="mistral", model_id="mistral-large-2402")
    retires = (AS_OF + 12 * D).date()
    with LocalServer() as server:
        settings.PROVIDERS = {"mistral": {"api_key": "ms-secret", "base_url": server.url("/mistral/v1")}}
        server.route("/mistral/v1/models", Reply(200, {"object": "list", "data": [
            {"id": "mistral-large-2402", "object": "model", "deprecation": f"{retires}T12:00:00Z",
             "deprecation_replacement_model": "mistral-large-2411"},
            {"id": "mistral-large-2411", "object": "model", "deprecation": None},
        ]}))
        provider_catalogs_sync(as_of=AS_OF - H, providers=["mistral"], http_options=FAST_HTTP)
    row = ModelRetirement.objects.get(model_id="mistral-large-2402")
    assert (row.source, row.retires_on, row.successor) == ("listing", retires, "mistral-large-2411")
    section = _section(_report_text(), "RETIRING SOON")
    assert f"- mistral/mistral-large-2402 retires {retires:%Y-%m-%d} (in 12 days; mistral's listing)" in section
    assert "  successor: mistral-large-2411" in section
    assert "  rename:    Update model ID to mistral-large-2411 (mistral's complete catalog lists it)" in section


def test_an_openrouter_expiration_date_is_kept_as_a_listing_date(tmp_path):
    body = json.loads(CATALOG_FILE.read_text())
    entry = next(e for e in body["data"] if e["id"] == "openai/gpt-4o-mini")
    entry["expiration_date"] = f"{(AS_OF + 5 * D).date()}"
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(body))
    openrouter_fetch(file=str(path), as_of=AS_OF - H)
    assert retirement_calendar(keys=[("openrouter", "openai/gpt-4o-mini")])[("openrouter", "openai/gpt-4o-mini")] \
        .source == "listing"
    RegisteredModel.objects.create(provider="openrouter", model_id="openai/gpt-4o-mini")
    assert "- openrouter/openai/gpt-4o-mini retires" in _section(_report_text(), "RETIRING SOON")
    # a later complete fetch without the date withdraws it
    entry.pop("expiration_date")
    path.write_text(json.dumps(body))
    openrouter_fetch(file=str(path), as_of=AS_OF)
    assert not ModelRetirement.objects.exists()


def test_a_human_sets_a_date_audited_and_it_wins_over_the_others():
    RegisteredModel.objects.create(provider="groq", model_id="llama-3.1-8b-instant")
    ModelRetirement.objects.create(provider="groq", model_id="llama-3.1-8b-instant", source="warning",
                                   retires_on=date(2027, 1, 1))
    retirement_set(provider="groq", model_id="llama-3.1-8b-instant", retires_on=date(2026, 12, 10),
                   successor="llama-3.3-70b-versatile", note="groq's deprecation page", actor=Actor.system("alice"))
    known = retirement_calendar()[("groq", "llama-3.1-8b-instant")]
    assert (known.retires_on, known.source, known.successor) == (date(2026, 12, 10), "admin", "llama-3.3-70b-versatile")
    assert known.sources == ("admin: 2026-12-10", "warning: 2027-01-01")
    audit = AuditLog.objects.get(action="set_retirement")
    assert audit.actor == "alice" and audit.after == {"retires_on": "2026-12-10", "successor": "llama-3.3-70b-versatile"}
    with pytest.raises(ChangeError, match="not in the registry"):
        retirement_set(provider="groq", model_id="nope", retires_on=date(2026, 12, 10), actor=Actor.system("alice"))


def _retired_and_failing(model, *, warning_date: str | None):
    RegisteredModel.objects.create(provider="openai", model_id=model)
    RegisteredModel.objects.create(provider="openai", model_id="gpt-4.1")
    _successes("openai", "gpt-4.1", until=AS_OF - H, hours=24)
    # it worked until its date, with the notice, then the provider removed it: 404s for 6 hours only
    warning = f"The model {model} is deprecated and will be shut down on {warning_date}." if warning_date else None
    _successes("openai", model, until=AS_OF - 7 * H, hours=72, warning=warning)
    for i in range(6):
        BenchmarkError.objects.create(provider="openai", model_name=model, ts=AS_OF - (6 - i) * H, http_status=404,
                                      message=NOT_FOUND % model)
    _complete_catalog("openai", ["gpt-4.1"])


def test_past_its_date_a_404_is_disabled_without_the_48_hour_wait():
    model = "gpt-4o-2024-05-13"
    _retired_and_failing(model, warning_date=f"{(AS_OF - 6 * H).date()}")
    report = operator_run(as_of=AS_OF, use_llm=False)
    decision = Decision.objects.get(model_id=model)
    assert (decision.action, decision.status) == ("disable", "auto_executed")
    assert "past its announced retirement (2026-11-25)" in decision.auto_execute_reason
    assert decision.evidence["retirement"] == {"date": "2026-11-25", "successor": None, "passed": True}
    assert not RegisteredModel.objects.get(provider="openai", model_id=model).enabled
    assert [p.model_id for p in report.executed] == [model]
    # the second pass: nothing new, nothing twice
    operator_run(as_of=AS_OF + H, use_llm=False)
    assert AuditLog.objects.filter(action="disable").count() == 1


def test_without_a_known_date_the_same_404_waits_for_its_48_hours():
    model = "gpt-4o-2024-05-13"
    _retired_and_failing(model, warning_date=None)
    operator_run(as_of=AS_OF, use_llm=False)
    decision = Decision.objects.get(model_id=model)
    assert (decision.action, decision.status) == ("monitor", "pending")
    assert RegisteredModel.objects.get(provider="openai", model_id=model).enabled


def test_a_replayed_file_past_its_date_decides_the_same(tmp_path):
    model = "gpt-4o-2024-05-13"
    data = {"format": "llmops-snapshots/1", "as_of": "2026-11-25T08:00:00Z",
            "providers": {"openai": {"error_rate": 0.05, "catalog": "complete"}},
            "models": [{"provider": "openai", "model_id": model, "window_hours": 168, "runs": 30, "successes": 24,
                        "last_success_at": "2026-11-25T01:00:00Z", "deprecation_date": "2026-11-25",
                        "errors": [{"status": 404, "message": NOT_FOUND % model, "count": 6,
                                    "first_seen_at": "2026-11-25T02:00:00Z", "last_seen_at": "2026-11-25T07:00:00Z"}],
                        "in_provider_catalog": False}]}
    path = tmp_path / "retired.json"
    path.write_text(json.dumps(data))
    out = StringIO()
    call_command("run_operator", "--snapshots", str(path), "--dry-run", "--format", "json", "--no-llm", stdout=out,
                 stderr=StringIO())
    [row] = json.loads(out.getvalue())
    assert (row["action"], row["auto_execute"]) == ("disable", True)
    data["models"][0].pop("deprecation_date")
    path.write_text(json.dumps(data))
    out = StringIO()
    call_command("run_operator", "--snapshots", str(path), "--dry-run", "--format", "json", "--no-llm", stdout=out,
                 stderr=StringIO())
    assert json.loads(out.getvalue())[0]["action"] == "monitor"


def test_a_listing_file_without_the_providers_fields_keeps_the_dates_an_api_listing_gave(tmp_path, settings):
    RegisteredModel.objects.create(provider="mistral", model_id="mistral-large-2402")
    retires = (AS_OF + 12 * D).date()
    with LocalServer() as server:
        settings.PROVIDERS = {"mistral": {"api_key": "ms-secret", "base_url": server.url("/mistral/v1")}}
        server.route("/mistral/v1/models", Reply(200, {"object": "list", "data": [
            {"id": "mistral-large-2402", "object": "model", "deprecation": f"{retires}"}]}))
        provider_catalogs_sync(as_of=AS_OF - 2 * H, providers=["mistral"], http_options=FAST_HTTP)
        # the API stops announcing it: the date goes
        server.route("/mistral/v1/models", Reply(200, {"object": "list", "data": [
            {"id": "mistral-large-2402", "object": "model"}]}))
        path = tmp_path / "catalogs.json"
        path.write_text(json.dumps({"format": "llmops-provider-catalogs/1", "as_of": "2026-11-25T07:00:00Z",
                                    "providers": {"mistral": {"complete": True, "models": [
                                        {"model_id": "mistral-large-2402"}]}}}))
        provider_catalogs_sync(as_of=AS_OF - H, file=str(path))
        assert ModelRetirement.objects.get().retires_on == retires  # a file carries no such field: kept
        provider_catalogs_sync(as_of=AS_OF, providers=["mistral"], http_options=FAST_HTTP)
    assert not ModelRetirement.objects.exists()
