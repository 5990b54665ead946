"""Deterministic matching with REAL entries of the 2025-12-02 OpenRouter and provider catalogs."""

import json

import pytest
from django.core.management import call_command

from discovery.catalog_files import catalog_entries, provider_catalogs_validate
from discovery.matching import CatalogEntry, Matcher, ProviderCatalog
from tests.discovery.conftest import CATALOG_FILE, PROVIDERS_FILE


@pytest.fixture(scope="module")
def sample(catalog_body, provider_doc):
    entries = {e.openrouter_id: e for e in catalog_entries(catalog_body["data"])}
    return entries, Matcher(provider_catalogs_validate(provider_doc).catalogs())


def _ids(sample, openrouter_id):
    entries, matcher = sample
    result = matcher.match(entries[openrouter_id])
    return {m.provider: m.model_id for m in result.matches}, result


def test_it_matches_llama_3_3_70b_across_naming_schemes(sample):
    found, result = _ids(sample, "meta-llama/llama-3.3-70b-instruct")
    assert found == {
        "groq": "llama-3.3-70b-versatile",  # serving word + implied instruct
        "bedrock": "meta.llama3-3-70b-instruct-v1:0",  # vendor prefix, 3-3 decimal, -v1:0 (the file has no us.)
        "together": "meta-llama/Llama-3.3-70B-Instruct-Turbo",  # casing + Turbo
    }
    methods = {m.provider: m.method for m in result.matches}
    assert methods["bedrock"] == "bedrock-id-rules" and all(m.verified for m in result.matches)
    assert 0.5 < min(m.confidence for m in result.matches) <= max(m.confidence for m in result.matches) < 1
    # the :free variant is the same model
    assert _ids(sample, "meta-llama/llama-3.3-70b-instruct:free")[0] == found


def test_it_reads_fireworks_paths_and_p_versions(sample):
    assert _ids(sample, "z-ai/glm-4.5")[0]["fireworks"] == "accounts/fireworks/models/glm-4p5"
    assert _ids(sample, "z-ai/glm-4.5-air")[0]["fireworks"] == "accounts/fireworks/models/glm-4p5-air"
    assert _ids(sample, "deepseek/deepseek-chat-v3.1")[0]["fireworks"] == "accounts/fireworks/models/deepseek-v3p1"
    # the Fireworks rule with Llama, as the provider would list it
    fw = Matcher({"fireworks": ProviderCatalog("fireworks", ("accounts/fireworks/models/llama-v3p3-70b-instruct",
                                                              "accounts/fireworks/models/llama-v3p1-70b-instruct"))})
    entries, _ = sample
    found = fw.match(entries["meta-llama/llama-3.3-70b-instruct"]).matches
    assert [m.model_id for m in found] == ["accounts/fireworks/models/llama-v3p3-70b-instruct"]
    assert found[0].method == "fireworks-id-rules"


def test_it_handles_bedrock_region_prefixes_and_prefers_the_plain_id(sample):
    assert _ids(sample, "anthropic/claude-opus-4.5")[0]["bedrock"] == "global.anthropic.claude-opus-4-5-20251101-v1:0"
    # both meta.llama3-1-8b… and us.meta.llama3-1-8b… are listed: one ID per provider, the plain one
    assert _ids(sample, "meta-llama/llama-3.1-8b-instruct")[0]["bedrock"] == "meta.llama3-1-8b-instruct-v1:0"
    br = Matcher({"bedrock": ProviderCatalog("bedrock", ("us.meta.llama3-3-70b-instruct-v1:0",))})
    entries, _ = sample
    assert br.match(entries["meta-llama/llama-3.3-70b-instruct"]).matches[0].model_id == \
        "us.meta.llama3-3-70b-instruct-v1:0"


def test_it_uses_canonical_slug_dates_for_dated_snapshots(sample):
    found, result = _ids(sample, "anthropic/claude-sonnet-4.5")  # canonical …-20250929
    assert found == {"anthropic": "claude-sonnet-4-5", "bedrock": "anthropic.claude-sonnet-4-5-20250929-v1:0",
                     "vertex": "claude-sonnet-4-5@20250929"}
    assert _ids(sample, "mistralai/devstral-small")[0] == {"mistral": "devstral-small-2507"}  # canonical 2507
    # no canonical date, two dated snapshots: not guessed, left to the LLM with both candidates
    found, result = _ids(sample, "anthropic/claude-3.5-sonnet")
    assert "anthropic" not in found
    assert {"claude-3-5-sonnet-20240620", "claude-3-5-sonnet-20241022"} <= set(result.candidates["anthropic"])


def test_it_keeps_dates_in_ids_exact(sample):
    assert _ids(sample, "openai/gpt-4o-2024-11-20")[0] == {"openai": "gpt-4o-2024-11-20"}
    assert _ids(sample, "openai/gpt-4o")[0] == {"openai": "gpt-4o"}
    assert _ids(sample, "openai/gpt-4o-mini-2024-07-18")[0] == {}  # not the moving gpt-4o-mini alias
    assert _ids(sample, "mistralai/mistral-large-2411")[0] == {}  # not mistral-large-latest
    # Qwen3 235B: April release vs 2507 are different weights
    assert _ids(sample, "qwen/qwen3-235b-a22b")[0] == {"fireworks": "accounts/fireworks/models/qwen3-235b-a22b"}
    assert _ids(sample, "qwen/qwen3-235b-a22b-2507")[0] == {
        "bedrock": "qwen.qwen3-235b-a22b-2507-v1:0", "cerebras": "qwen-3-235b-a22b-instruct-2507"}
    # Kimi K2 0711 vs 0905
    assert _ids(sample, "moonshotai/kimi-k2")[0]["together"] == "moonshotai/Kimi-K2-Instruct"
    assert "groq" not in _ids(sample, "moonshotai/kimi-k2")[0]
    assert _ids(sample, "moonshotai/kimi-k2-0905")[0] == {"groq": "moonshotai/kimi-k2-instruct-0905"}


def test_it_never_matches_across_versions_sizes_or_tiers(sample):
    # 3.1 vs 3.3
    assert "groq" not in _ids(sample, "meta-llama/llama-3.1-70b-instruct")[0]
    assert _ids(sample, "meta-llama/llama-3.1-70b-instruct")[0] == {"bedrock": "meta.llama3-1-70b-instruct-v1:0"}
    assert _ids(sample, "meta-llama/llama-3-70b-instruct")[0] == {"bedrock": "meta.llama3-70b-instruct-v1:0"}
    # 8b vs 70b, 20b vs 120b
    assert _ids(sample, "meta-llama/llama-3.1-8b-instruct")[0]["groq"] == "llama-3.1-8b-instant"
    assert "cerebras" not in _ids(sample, "openai/gpt-oss-20b")[0]  # cerebras lists only gpt-oss-120b
    assert _ids(sample, "openai/gpt-oss-120b")[0]["cerebras"] == "gpt-oss-120b"
    # mini vs nano
    assert _ids(sample, "openai/gpt-4.1-mini")[0] == {"openai": "gpt-4.1-mini"}
    assert _ids(sample, "openai/gpt-4.1-nano")[0] == {"openai": "gpt-4.1-nano"}
    assert _ids(sample, "openai/gpt-5-nano")[0] == {"openai": "gpt-5-nano"}


def test_it_never_matches_base_to_instruct_or_fine_tune_to_base(sample):
    assert _ids(sample, "meta-llama/llama-3.1-405b")[0] == {}  # (base)
    assert _ids(sample, "openai/gpt-3.5-turbo-instruct")[0] == {}  # a different model, not gpt-3.5-turbo
    for fine_tune in ("nvidia/llama-3.1-nemotron-70b-instruct", "neversleep/llama-3.1-lumimaid-8b",
                      "sao10k/l3.3-euryale-70b", "deepseek/deepseek-r1-distill-llama-70b",
                      "aion-labs/aion-rp-llama-3.1-8b", "arliai/qwq-32b-arliai-rpr-v1"):
        assert _ids(sample, fine_tune)[0] == {}, fine_tune
    instruct_base = Matcher({"fireworks": ProviderCatalog("fireworks", ("accounts/fireworks/models/llama-v3p1-405b-instruct",))})
    entries, _ = sample
    assert instruct_base.match(entries["meta-llama/llama-3.1-405b"]).matches == []


def test_it_skips_non_text_outputs_and_routers_with_a_reason(sample):
    entries, matcher = sample
    assert matcher.match(entries["openrouter/auto"]).skipped == "router"
    assert matcher.match(entries["switchpoint/router"]).skipped == "router"
    assert matcher.match(entries["openai/gpt-5-image"]).skipped == "not-text-output"
    assert matcher.match(entries["google/gemini-2.5-flash-image"]).skipped == "not-text-output"
    old_style = CatalogEntry.from_api({"id": "x/paint", "architecture": {"modality": "text->image"}})
    assert matcher.match(old_style).skipped == "not-text-output"


def test_it_applies_vendor_renames_and_vendor_words(sample):
    assert _ids(sample, "qwen/qwq-32b")[0] == {"groq": "qwen-qwq-32b"}
    assert _ids(sample, "z-ai/glm-4.6")[0] == {"cerebras": "zai-glm-4.6"}
    assert _ids(sample, "mistralai/mistral-medium-3.1")[0] == {"mistral": "mistral-medium-2508"}
    assert _ids(sample, "mistralai/mixtral-8x7b-instruct")[0] == {"mistral": "open-mixtral-8x7b"}


def test_it_gives_at_most_one_real_id_per_provider_for_the_whole_sample(sample, provider_doc):
    entries, matcher = sample
    listed = {p: {m["model_id"] for m in body["models"]} for p, body in provider_doc["providers"].items()}
    results = matcher.match_all(entries.values())
    assert len(results) == 335
    for result in results:
        providers = [m.provider for m in result.matches]
        assert len(providers) == len(set(providers))
        for m in result.matches:
            assert m.model_id in listed[m.provider]
        for provider, ids in result.candidates.items():
            assert set(ids) <= listed[provider]
    assert sum(1 for r in results if r.matches) >= 100


def test_it_replays_files_offline_as_json(capsys):
    """No database access at all: this test has no django_db mark, so any query would fail."""
    call_command("match_catalog", "--catalog", str(CATALOG_FILE), "--provider-catalogs", str(PROVIDERS_FILE),
                 "--no-llm", "--dry-run", "--format", "json")
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert len(rows) == 335 and set(rows[0]) == {"openrouter_id", "skipped", "matches"}
    llama = next(r for r in rows if r["openrouter_id"] == "meta-llama/llama-3.3-70b-instruct")
    assert llama["skipped"] is None
    assert {"provider": "bedrock", "model_id": "meta.llama3-3-70b-instruct-v1:0", "confidence": 0.97,
            "method": "bedrock-id-rules", "verified": True} in llama["matches"]
    assert next(r for r in rows if r["openrouter_id"] == "openrouter/auto")["skipped"] == "router"
    assert "matched 335 entries" in captured.err


def test_it_refuses_replay_without_dry_run():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--dry-run"):
        call_command("match_catalog", "--catalog", str(CATALOG_FILE), "--provider-catalogs", str(PROVIDERS_FILE))
