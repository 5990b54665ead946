"""Stored matching, the report, adding/rejecting matches, and the Celery tasks."""

import json

import openai
import pytest
from django.core.management import CommandError, call_command

from discovery import services, tasks
from discovery.models import CatalogFetchRun, OpenRouterModel
from registry.models import AuditLog, RegisteredModel
from registry.services import Actor
from tests.discovery.conftest import SAMPLE_AS_OF
from tests.discovery.local_server import Reply

pytestmark = pytest.mark.django_db
T0 = SAMPLE_AS_OF


def test_it_writes_match_fields_for_the_stored_catalog(stored):
    RegisteredModel.objects.create(provider="openrouter", model_id="OpenAI/GPT-4o")  # known, case-insensitively
    report = services.catalog_match(as_of=T0, use_llm=False)
    assert report.considered == 335 and report.counts["known"] == 2  # gpt-4o and gpt-4o:extended
    llama = OpenRouterModel.objects.get(openrouter_id="meta-llama/llama-3.3-70b-instruct")
    assert llama.match_status == "matched" and llama.matched_at == T0 and llama.verified_at == T0
    assert (llama.matched_provider, llama.matched_model_id) == ("bedrock", "meta.llama3-3-70b-instruct-v1:0")
    assert llama.match_method == "bedrock-id-rules" and llama.match_confidence == pytest.approx(0.97)
    assert {m["provider"] for m in llama.matches} == {"bedrock", "groq", "together"}
    assert OpenRouterModel.objects.get(openrouter_id="openai/gpt-4o").match_status == "known"
    auto = OpenRouterModel.objects.get(openrouter_id="openrouter/auto")
    assert (auto.match_status, auto.skip_reason) == ("skipped", "router")
    sonnet = OpenRouterModel.objects.get(openrouter_id="anthropic/claude-3.5-sonnet")
    assert sonnet.match_status == "ambiguous" and "claude-3-5-sonnet-20241022" in sonnet.match_reasoning
    # a second run only looks at unresolved entries and changes nothing it already settled
    again = services.catalog_match(as_of=T0, use_llm=False)
    assert again.considered == report.counts["ambiguous"] + report.counts["unmatched"]


def test_it_lets_the_llm_settle_ambiguous_entries_with_real_ids_only(stored, server, settings):
    settings.PROVIDERS = {}  # no unlisted providers to probe

    def answer(seen):
        prompt = json.loads(seen.body)["messages"][1]["content"]
        choices = []
        if "anthropic/claude-3.5-sonnet" in prompt:
            choices = [{"openrouter_id": "anthropic/claude-3.5-sonnet", "provider": "anthropic",
                        "model_id": "claude-3-5-sonnet-20241022", "confidence": 0.9, "reasoning": "Oct 2024"},
                       {"openrouter_id": "anthropic/claude-3.5-sonnet", "provider": "vertex",
                        "model_id": "claude-3-5-sonnet-v2@invented", "confidence": 0.9, "reasoning": "invented"}]
        return Reply(200, {"id": "c", "object": "chat.completion", "created": 0, "model": "fake", "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant",
                                                              "content": json.dumps({"choices": choices})}}]})

    server.route_fn("/v1/chat/completions", answer)
    client = openai.OpenAI(api_key="sk-test", base_url=server.url("/v1"), max_retries=0)
    report = services.catalog_match(as_of=T0, client=client)
    assert report.llm_calls >= 1 and report.llm_picks == 1
    assert any(d["model_id"] == "claude-3-5-sonnet-v2@invented" for d in report.llm_discarded)
    sonnet = OpenRouterModel.objects.get(openrouter_id="anthropic/claude-3.5-sonnet")
    assert sonnet.match_status == "matched" and sonnet.matched_model_id == "claude-3-5-sonnet-20241022"
    assert sonnet.match_method == "llm" and sonnet.match_confidence <= 0.8
    assert [m["provider"] for m in sonnet.matches] == ["anthropic"]


def test_it_adds_matched_models_as_disabled_audited_candidates_once(stored, capsys):
    services.catalog_match(as_of=T0, use_llm=False)
    entry = OpenRouterModel.objects.get(openrouter_id="meta-llama/llama-3.3-70b-instruct")
    actor = Actor.system("test-admin")
    outcomes = services.openrouter_add_matched(entry_ids=[entry.pk], actor=actor)
    assert sorted((o.provider, o.model_id) for o in outcomes if o.added) == [
        ("bedrock", "meta.llama3-3-70b-instruct-v1:0"), ("groq", "llama-3.3-70b-versatile"),
        ("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo")]
    rows = RegisteredModel.objects.filter(display_name="Meta: Llama 3.3 70B Instruct")
    assert rows.count() == 3 and not rows.filter(enabled=True).exists()
    audits = AuditLog.objects.filter(action="add", actor="test-admin")
    assert audits.count() == 3 and all(a.after["provenance"]["openrouter_id"] == entry.openrouter_id for a in audits)
    assert OpenRouterModel.objects.get(pk=entry.pk).match_status == "added"
    again = services.openrouter_add_matched(entry_ids=[entry.pk], actor=actor)
    assert not any(o.added for o in again) and RegisteredModel.objects.count() == 3
    # the command takes OpenRouter IDs; an unmatched one is refused
    with pytest.raises(CommandError, match="nothing was added"):
        call_command("add_matched_models", "meta-llama/llama-3.1-405b")
    call_command("add_matched_models", "openai/gpt-4.1-mini", "--actor", "alice")
    assert RegisteredModel.objects.get(provider="openai", model_id="gpt-4.1-mini").enabled is False
    assert "added (disabled candidate)" in capsys.readouterr().out


def test_it_rejects_matches_with_an_audit_record(stored):
    services.catalog_match(as_of=T0, use_llm=False)
    entry = OpenRouterModel.objects.get(openrouter_id="qwen/qwq-32b")
    with pytest.raises(ValueError):
        services.openrouter_reject_match(entry_ids=[entry.pk], actor=Actor.system("t"), reason=" ")
    assert services.openrouter_reject_match(entry_ids=[entry.pk], actor=Actor.system("bob"), reason="wrong") == 1
    assert services.openrouter_reject_match(entry_ids=[entry.pk], actor=Actor.system("bob"), reason="wrong") == 0
    assert OpenRouterModel.objects.get(pk=entry.pk).match_status == "rejected"
    assert AuditLog.objects.get(action="reject_match").reason == "wrong"
    assert services.openrouter_add_matched(entry_ids=[entry.pk], actor=Actor.system("bob"))[0].error


def test_it_reports_new_models_and_how_to_add_them(stored, capsys):
    services.catalog_match(as_of=T0, use_llm=False)
    call_command("discovery_report")
    out = capsys.readouterr().out
    assert "Found " in out and "new models on OpenRouter" in out
    # issue 15 changed the report's shape: one numbered line per model with its complete command
    assert "→ bedrock/meta.llama3-3-70b-instruct-v1:0 (confidence: 0.97)" in out
    assert "groq/llama-3.3-70b-versatile (confidence: 0.88)" in out
    assert "python manage.py add_matched_models" in out and "Ambiguous" in out


def test_it_runs_the_stored_match_command_dry(stored, capsys):
    call_command("match_catalog", "--no-llm", "--dry-run")
    captured = capsys.readouterr()
    assert "meta-llama/llama-3.3-70b-instruct: " in captured.out and "dry run" in captured.err
    assert not OpenRouterModel.objects.exclude(match_status="new").exists()


def test_it_exposes_thin_celery_tasks(server, catalog_body, settings):
    settings.OPENROUTER_MODELS_URL = server.url("/api/v1/models")
    settings.PROVIDERS = {}
    settings.OPENAI_API_KEY = ""
    server.route("/api/v1/models", Reply(200, catalog_body))
    assert tasks.fetch_openrouter.name == "discovery.tasks.fetch_openrouter"
    result = tasks.fetch_openrouter.run()
    assert (result["status"], result["count"]) == ("complete", 335)
    assert tasks.sync_provider_catalogs.run()["syncs"] == {}
    assert tasks.match_catalog.run()["considered"] == 335
    assert CatalogFetchRun.objects.count() == 1
