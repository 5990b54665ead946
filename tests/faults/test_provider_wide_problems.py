"""Provider-wide outage or credential failure on a full pass: no model of that provider disabled.

A purpose-built fleet is written to the benchmark tables (the real collector reads it):
- anthropic: every model overloaded (529) for the last 3 days;
- mistral: every model 401 for the last 60 hours (a rotated key);
- together: every model "not found" for 3 days at once (an endpoint change, not a mass death);
- openai: healthy, except one model that really is gone (404 for 4 days, absent from a
  complete catalog) — the one disable the policy may run, so the pass demonstrably acts.
The LLM answers "disable, 0.99" for every situation.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from lifecycle.models import BenchmarkError, BenchmarkResult, ProviderCatalogEntry, ProviderCatalogSync
from operator_app.engine import operator_run
from operator_app.models import Decision, OperatorRun
from registry.models import RegisteredModel
from tests.operator_app.fake_llm import FakeLLM, answers, request_situations

from .support import AS_OF, AS_OF_ISO, disabled_keys, llm_settings

pytestmark = pytest.mark.django_db

OVERLOADED = ("InternalServerError: Error code: 529 - {'type': 'error', 'error': {'type': 'overloaded_error', "
              "'message': 'Overloaded'}}")
UNAUTHORIZED = ("AuthenticationError: Error code: 401 - {'object': 'error', 'message': 'Unauthorized', "
                "'type': 'invalid_request_error', 'param': None, 'code': None}")
NOT_FOUND = ("NotFoundError: Error code: 404 - {'error': {'message': 'The model `%s` does not exist or you do not "
             "have access to it.', 'type': 'invalid_request_error', 'param': None, 'code': 'model_not_found'}}")

FLEET = {
    "anthropic": (["claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5", "claude-sonnet-4-6"], 529, OVERLOADED, 72),
    "mistral": (["mistral-large-latest", "mistral-small-latest", "codestral-latest"], 401, UNAUTHORIZED, 60),
    "together": (["meta-llama/Llama-3.3-70B-Instruct-Turbo", "deepseek-ai/DeepSeek-V3", "Qwen/Qwen3-235B-A22B",
                  "moonshotai/Kimi-K2-Instruct"], 404, NOT_FOUND, 72),
}
HEALTHY = ["gpt-4.1", "gpt-4.1-mini", "gpt-4o", "o3", "o4-mini"]
GONE = ("openai", "gpt-4.5-preview")
STRICKEN = {(p, m) for p, (models, *_rest) in FLEET.items() for m in models}


def _history(provider, model_id, *, failing_hours, status=None, message=None):
    """A week of 3-hourly runs: successes, then failures for the last `failing_hours`."""
    results, errors = [], []
    t = AS_OF - timedelta(days=7)
    while t < AS_OF:
        if failing_hours and AS_OF - t <= timedelta(hours=failing_hours):
            text = message % model_id if "%s" in message else message
            errors.append(BenchmarkError(provider=provider, model_name=model_id, ts=t, message=text,
                                         http_status=status, stage="generate"))
        else:
            results.append(BenchmarkResult(provider=provider, model_name=model_id, run_ts=t,
                                           gen_ts=t + timedelta(seconds=5)))
        t += timedelta(hours=3)
    return results, errors


def _complete_catalog(provider, listed):
    ProviderCatalogEntry.objects.bulk_create([
        ProviderCatalogEntry(provider=provider, model_id=m, name=m, first_seen_at=AS_OF, last_seen_at=AS_OF, raw={})
        for m in listed])
    ProviderCatalogSync.objects.create(provider=provider, source="test", started_at=AS_OF, finished_at=AS_OF,
                                       status=ProviderCatalogSync.Status.COMPLETE, complete=True, pages=1,
                                       count=len(listed), new=len(listed))


@pytest.fixture
def stricken_fleet():
    results, errors = [], []
    for provider, (models, status, message, hours) in FLEET.items():
        for m in models:
            RegisteredModel.objects.create(provider=provider, model_id=m)
            r, e = _history(provider, m, failing_hours=hours, status=status, message=message)
            results += r
            errors += e
    for m in HEALTHY:
        RegisteredModel.objects.create(provider="openai", model_id=m)
        results += _history("openai", m, failing_hours=0)[0]
    RegisteredModel.objects.create(provider=GONE[0], model_id=GONE[1])
    r, e = _history(*GONE, failing_hours=96, status=404, message=NOT_FOUND)
    results += r
    errors += e
    BenchmarkResult.objects.bulk_create(results)
    BenchmarkError.objects.bulk_create(errors)
    # Complete catalogs that still list the stricken models, and openai's without the gone one.
    _complete_catalog("anthropic", FLEET["anthropic"][0])
    _complete_catalog("mistral", FLEET["mistral"][0])
    _complete_catalog("openai", HEALTHY)


def disable_everything(request, number):
    return answers([{"situation_id": s["id"], "action": "disable", "confidence": 0.99,
                     "reasoning": "all of these are dead, disable them", "suggested_model_id": None}
                    for s in request_situations(request)])


def test_a_provider_wide_outage_or_credential_failure_disables_none_of_its_models(stricken_fleet, settings):
    settings.HEALTH_REPORT_TO = ["ops@example.com"]
    with FakeLLM(disable_everything) as server, llm_settings(server):
        out = StringIO()
        call_command("run_operator", "--as-of", AS_OF_ISO, stdout=out, stderr=StringIO())
    assert len(server.requests) >= 1

    run = OperatorRun.objects.get()
    assert run.status == "succeeded" and run.llm_calls >= 1 and run.fallbacks == 0  # the LLM's answers were used
    assert disabled_keys() == {GONE}  # the really gone model only; no stricken provider lost a model
    assert run.auto_executed == 1

    decisions = {(d.provider, d.model_id): d for d in Decision.objects.all()}
    for key in STRICKEN:
        d = decisions[key]
        assert d.action == "disable" and d.suggested_by == "llm"  # the LLM said disable ...
        assert d.status == "pending" and not d.auto_execute  # ... the policy kept it for a human
        # The provider-level issue is on the record, where the admin and the report read it.
        context = d.evidence["provider_context"]
        assert context["provider_problem"] in ("transient", "auth", "hard_model"), (key, context)
        assert d.evidence["situation"]["kind"] == "provider"
    together = [decisions[k] for k in STRICKEN if k[0] == "together"]
    assert all("provider-wide problem" in d.auto_execute_reason for d in together)  # hard_model, yet refused
    assert {decisions[k].evidence["provider_context"]["provider_problem"] for k in STRICKEN if k[0] == "mistral"} == {
        "auth"}

    # The daily report names each stricken provider as a provider-level issue.
    mail.outbox.clear()
    call_command("send_health_report", "--as-of", AS_OF_ISO, stdout=StringIO(), stderr=StringIO())
    body = mail.outbox[0].body
    section = body.split("== PROVIDER-LEVEL ISSUES", 1)[1].split("\n== ", 1)[0]
    assert "- anthropic: outage [CRITICAL] (4 models" in section
    assert "- mistral: credentials / access [CRITICAL] (3 models" in section
    assert "- together: hard_model (4 models" in section
    assert "openai" not in section


def test_the_classifier_alone_agrees(stricken_fleet, settings):
    """Without the LLM (its fallback), the same pass disables the same single model."""
    settings.OPENAI_API_KEY = ""
    report = operator_run(as_of=AS_OF)
    assert disabled_keys() == {GONE}
    assert report.llm_off == "no_api_key" and report.run.fallback_reasons == {} and not report.run.llm_enabled
    assert not any(p.policy.auto_execute for p in report.proposals if p.key in STRICKEN)
