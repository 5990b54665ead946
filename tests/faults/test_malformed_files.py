"""Malformed snapshot and catalog files through the management commands.

Each bad file must stop its command with a CommandError (a non-zero exit on the command
line) whose message names the file and, where there is one, the entry — and leave every
table as it was, on a database that already holds a fleet and a catalog. The one row a
failed OpenRouter load adds is its own run record, status failed: "recorded as failed".
"""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from discovery.models import CatalogFetchRun, OpenRouterModel
from lifecycle.models import ProviderCatalogEntry

from .support import seed_fleet, table_counts

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[1] / "discovery" / "data"
OPENROUTER = DATA / "openrouter_catalog_2025-12-02.json"
PROVIDERS = DATA / "provider_catalogs_2025-12-02.json"
GOOD_MODEL = {"provider": "openai", "model_id": "gpt-4o", "window_hours": 24, "runs": 8, "successes": 8,
              "errors": []}


def snapshot(**fields) -> str:
    doc = {"format": "llmops-snapshots/1", "as_of": "2026-11-26T16:00:00Z", "providers": {}, "models": [GOOD_MODEL]}
    doc.update(fields)
    return json.dumps({k: v for k, v in doc.items() if v is not None})


@pytest.fixture
def stocked():
    """A database with a fleet, its health rows, and a stored OpenRouter catalog."""
    seed_fleet()
    call_command("collect_signals", "--as-of", "2026-11-26T16:00:00Z", stdout=StringIO(), stderr=StringIO())
    call_command("fetch_openrouter", "--file", str(OPENROUTER), stdout=StringIO())
    return table_counts()


def _fails(args, *, message) -> str:
    with pytest.raises(CommandError) as info:
        call_command(*args, stdout=StringIO(), stderr=StringIO())
    text = str(info.value)
    assert re.search(message, text), text
    return text


@pytest.mark.parametrize("content, entry", [
    pytest.param("{not json", r"not valid JSON", id="not-json"),
    pytest.param(snapshot(as_of=None), r"missing required field 'as_of'", id="missing-as_of"),
    pytest.param(snapshot(models=[GOOD_MODEL, {"model_id": "orphan"}]), r"models\[1\]: missing or empty 'provider'",
                 id="model-without-provider"),
    pytest.param(snapshot(models=[GOOD_MODEL, {**GOOD_MODEL, "runs": 9, "successes": 0}]),
                 r"models\[1\] \(openai/gpt-4o\): duplicate of models\[0\]", id="duplicate-model"),
    pytest.param(snapshot(models=[{**GOOD_MODEL, "enabled": "false"}]),
                 r"models\[0\] \(openai/gpt-4o\)\.enabled: expected true or false, got 'false'", id="enabled-string"),
    pytest.param(snapshot(models=[{**GOOD_MODEL, "errors": {}}]),
                 r"models\[0\] \(openai/gpt-4o\)\.errors: expected a list, got dict", id="errors-object"),
    pytest.param(snapshot(models=[{**GOOD_MODEL, "model_id": "gpt\u0000x"}]),
                 r"models\[0\]\.model_id: 'gpt\\x00x' contains control characters", id="nul-in-model-id"),
    pytest.param(snapshot(providers={"openai": {"error_rate": float("nan")}}),
                 r"providers\.openai\.error_rate: expected a number in \[0, 1\], got nan", id="nan-error-rate"),
    pytest.param(b"\xff\xfe{}", r"not UTF-8 text", id="not-utf-8"),
])
def test_a_malformed_snapshot_file_stops_run_operator_and_writes_nothing(stocked, tmp_path, content, entry):
    good = tmp_path / "good.json"
    good.write_text(snapshot())
    bad = tmp_path / "bad-snapshot.json"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    for extra in ([], ["--dry-run"]):  # replay never writes; a bad file stops it before deciding anything
        _fails(["run_operator", "--no-llm", "--snapshots", str(good), str(bad), *extra],
               message=re.escape(str(bad)) + r": .*" + entry)
    assert table_counts() == stocked


@pytest.mark.parametrize("content, entry", [
    pytest.param(lambda text: text[: len(text) // 2], r"not valid JSON \(line \d+", id="truncated"),
    pytest.param(lambda text: json.dumps({"models": json.loads(text)["data"]}), r"must be an object with a 'data' list",
                 id="wrong-shape"),
    pytest.param(lambda text: json.dumps({"data": [{"id": 42, "name": "x"}, {"id": "a/b", "created": 1e20}]}),
                 r"no valid model entry \(2 malformed, 0 aliases\): data\[0\]\.id 42 is not an 'org/slug' string",
                 id="only-bad-entries"),
])
def test_a_malformed_openrouter_file_leaves_the_stored_catalog_untouched(stocked, tmp_path, content, entry):
    stored = list(OpenRouterModel.objects.order_by("openrouter_id").values())
    bad = tmp_path / "bad-openrouter.json"
    bad.write_text(content(OPENROUTER.read_text()))
    text = _fails(["fetch_openrouter", "--file", str(bad)], message=entry)
    assert str(bad) in text
    assert list(OpenRouterModel.objects.order_by("openrouter_id").values()) == stored
    after = table_counts()
    assert after.pop("discovery.CatalogFetchRun") == stocked["discovery.CatalogFetchRun"] + 1
    assert after == {k: v for k, v in stocked.items() if k != "discovery.CatalogFetchRun"}
    failed = CatalogFetchRun.objects.order_by("-started_at").first()
    assert failed.status == "failed" and str(bad) in failed.source + failed.error


def test_a_malformed_entry_is_skipped_and_named_while_the_rest_is_stored(stocked, tmp_path):
    """One bad entry among good ones: the good ones are stored (their last_seen_at moves), the bad
    one is named on the run and on stderr, and no other row anywhere changes."""
    before = {row["openrouter_id"]: row for row in OpenRouterModel.objects.values()}
    good = json.loads(OPENROUTER.read_text())["data"][:3]
    partial = tmp_path / "partial-openrouter.json"
    partial.write_text(json.dumps({"data": [*good, {"id": "acme/m", "context_length": 1e30}]}))
    err = StringIO()
    call_command("fetch_openrouter", "--file", str(partial), stdout=StringIO(), stderr=err)
    assert "skipped data[3] (acme/m).context_length 1e+30" in err.getvalue()
    after = table_counts()
    assert after.pop("discovery.CatalogFetchRun") == stocked["discovery.CatalogFetchRun"] + 1
    assert after == {k: v for k, v in stocked.items() if k != "discovery.CatalogFetchRun"}
    run = CatalogFetchRun.objects.order_by("-started_at").first()
    assert (run.status, run.count, run.skipped) == ("complete", 3, 1)
    for oid, row in before.items():
        now = OpenRouterModel.objects.filter(openrouter_id=oid).values().get()
        if oid in {m["id"] for m in good}:
            assert now["last_seen_at"] >= row["last_seen_at"] and now["first_seen_at"] == row["first_seen_at"]
        else:
            assert now == row


@pytest.mark.parametrize("mutate, entry", [
    pytest.param(lambda doc: {**doc, "format": "llmops-provider-catalogs/2"}, r"missing or wrong 'format'",
                 id="wrong-format-tag"),
    pytest.param(lambda doc: {**doc, "providers": {**doc["providers"], "groq": {"complete": "yes", "models": []}}},
                 r"providers\.groq\.complete must be true or false", id="bad-provider-entry"),
    pytest.param(lambda doc: {**doc, "providers": {**doc["providers"], "groq": {"complete": True, "models": []}}},
                 r"providers\.groq says complete: true with no models", id="complete-but-empty"),
    pytest.param(lambda doc: {**doc, "providers": {**doc["providers"], "groq": {"complete": False,
                                                                                "models": [{"model_id": None}]}}},
                 r"providers\.groq has no valid model entry", id="only-bad-models"),
])
def test_a_malformed_provider_catalogs_file_imports_nothing(stocked, tmp_path, mutate, entry):
    entries = list(ProviderCatalogEntry.objects.order_by("provider", "model_id").values_list("provider", "model_id"))
    bad = tmp_path / "bad-providers.json"
    bad.write_text(json.dumps(mutate(json.loads(PROVIDERS.read_text()))))
    text = _fails(["sync_provider_catalogs", "--file", str(bad)], message=entry)
    assert str(bad) in text
    assert table_counts() == stocked
    assert list(ProviderCatalogEntry.objects.order_by("provider", "model_id")
                .values_list("provider", "model_id")) == entries
