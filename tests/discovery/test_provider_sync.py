"""sync_provider_catalogs: real HTTP listings on 127.0.0.1, Anthropic paging, partial runs, files."""

from datetime import datetime, timedelta, timezone

import pytest
from django.core.management import call_command

from discovery import listers, selectors
from discovery.services import provider_catalogs_sync
from lifecycle.models import ProviderCatalogEntry, ProviderCatalogSync
from tests.discovery.conftest import FAST_HTTP, PROVIDERS_FILE
from tests.discovery.local_server import Reply

pytestmark = pytest.mark.django_db
T0 = datetime(2025, 12, 2, 6, 0, tzinfo=timezone.utc)


@pytest.fixture
def providers(settings, server):
    """Every provider pointed at the local server; only groq and anthropic have keys."""
    settings.PROVIDERS = {name: {"api_key": "", "base_url": server.url(f"/{name}/v1")}
                          for name in settings.PROVIDER_DEFAULT_BASE_URLS}
    settings.PROVIDERS["groq"]["api_key"] = "gsk-secret"
    settings.PROVIDERS["anthropic"]["api_key"] = "sk-ant-secret"
    return settings.PROVIDERS


def _anthropic_pages(server, fail_page=None):
    pages = {None: (["claude-opus-4-5", "claude-sonnet-4-5"], True, "claude-sonnet-4-5"),
             "claude-sonnet-4-5": (["claude-haiku-4-5", "claude-3-haiku-20240307"], True, "claude-3-haiku-20240307"),
             "claude-3-haiku-20240307": (["claude-3-opus-20240229"], False, "claude-3-opus-20240229")}

    def handler(seen):
        after = (seen.query.get("after_id") or [None])[0]
        if fail_page is not None and after == fail_page:
            return Reply(500, "overloaded")
        ids, more, last = pages[after]
        return Reply(200, {"data": [{"type": "model", "id": i, "display_name": i.upper()} for i in ids],
                           "has_more": more, "first_id": ids[0], "last_id": last})

    server.route_fn("/anthropic/v1/models", handler)


def test_it_lists_openai_compatible_and_paginated_anthropic_catalogs(server, providers):
    server.route("/groq/v1/models", Reply(200, {"object": "list", "data": [
        {"id": "llama-3.3-70b-versatile", "object": "model"}, {"id": "openai/gpt-oss-120b", "object": "model"}]}))
    _anthropic_pages(server)
    report = provider_catalogs_sync(as_of=T0, providers=["groq", "anthropic", "openai"], http_options=FAST_HTTP)
    by = {s.provider: s for s in report.syncs}
    assert (by["groq"].status, by["groq"].count, by["groq"].complete) == ("complete", 2, True)
    assert (by["anthropic"].status, by["anthropic"].pages, by["anthropic"].count) == ("complete", 3, 5)
    assert "openai" in report.skipped and "OPENAI_API_KEY" in report.skipped["openai"]
    groq_hit = server.hits("/groq/v1/models")[0]
    assert groq_hit.headers["authorization"] == "Bearer gsk-secret"
    hits = server.hits("/anthropic/v1/models")
    assert [h.query.get("after_id") for h in hits] == [None, ["claude-sonnet-4-5"], ["claude-3-haiku-20240307"]]
    assert hits[0].headers["x-api-key"] == "sk-ant-secret" and hits[0].headers["anthropic-version"] == "2023-06-01"
    assert ProviderCatalogEntry.objects.get(provider="anthropic", model_id="claude-3-opus-20240229").name == \
        "CLAUDE-3-OPUS-20240229"


def test_it_stores_a_partial_listing_when_a_page_fails(server, providers):
    _anthropic_pages(server, fail_page="claude-sonnet-4-5")
    report = provider_catalogs_sync(as_of=T0, providers=["anthropic"], http_options=FAST_HTTP)
    sync = report.syncs[0]
    assert (sync.status, sync.complete, sync.pages, sync.count) == ("partial", False, 1, 2)
    assert "page 2 failed" in sync.error and "500" in sync.error
    assert set(ProviderCatalogEntry.objects.values_list("model_id", flat=True)) == {"claude-opus-4-5",
                                                                                  "claude-sonnet-4-5"}


def test_it_records_a_failed_listing_and_keeps_previous_entries(server, providers):
    server.route("/groq/v1/models", Reply(200, {"data": [{"id": "llama-3.1-8b-instant"}]}))
    provider_catalogs_sync(as_of=T0, providers=["groq"], http_options=FAST_HTTP)
    for reply in (Reply(503, "down"), Reply(200, "not json"), Reply(200, {"data": [{"name": "no id"}]})):
        server.route("/groq/v1/models", reply)
        report = provider_catalogs_sync(as_of=T0 + timedelta(hours=1), providers=["groq"], http_options=FAST_HTTP)
        assert report.syncs[0].status == "failed" and report.syncs[0].error
    assert list(ProviderCatalogEntry.objects.values_list("model_id", "last_seen_at")) == [("llama-3.1-8b-instant", T0)]


def test_it_reports_sdk_listers_as_not_configured(providers):
    report = provider_catalogs_sync(as_of=T0, providers=["bedrock", "vertex", "nosuch"])
    assert "boto3" in report.skipped["bedrock"] and "not configured" in report.skipped["bedrock"]
    assert "google-cloud-aiplatform" in report.skipped["vertex"]
    assert "no lister registered" in report.skipped["nosuch"]
    assert report.syncs == []


def test_it_accepts_new_listers_through_the_registry(monkeypatch):
    class Static(listers.Lister):
        name = "static"

        def list_models(self):
            return listers.Listing("static", [{"model_id": "m-1", "name": "M1"}], complete=True, pages=1)

    monkeypatch.setitem(listers.LISTERS, "static", lambda **kw: Static())
    report = provider_catalogs_sync(as_of=T0, providers=["static"])
    assert report.syncs[0].status == "complete" and ProviderCatalogEntry.objects.get().model_id == "m-1"


def test_it_imports_a_provider_catalogs_file_with_the_command(capsys):
    call_command("sync_provider_catalogs", "--file", str(PROVIDERS_FILE))
    out = capsys.readouterr().out
    assert "groq: complete — 10 IDs (10 new" in out
    assert ProviderCatalogSync.objects.filter(status="complete").count() == 13
    assert ProviderCatalogEntry.objects.filter(provider="bedrock").count() == 45
    call_command("sync_provider_catalogs", "--file", str(PROVIDERS_FILE), "--provider", "groq")
    assert "groq: complete — 10 IDs (0 new" in capsys.readouterr().out


def test_it_treats_absence_as_evidence_only_after_a_complete_listing():
    def listing(ids, complete):
        return listers.Listing("groq", [{"model_id": i} for i in ids], complete=complete, pages=1)

    from discovery.services import provider_catalog_store

    provider_catalog_store(provider="groq", listing=listing(["a", "b"], True), as_of=T0, source="t")
    provider_catalog_store(provider="groq", listing=listing(["a"], True), as_of=T0 + timedelta(hours=1), source="t")
    cat = selectors.provider_catalogs_current()["groq"]
    assert cat.model_ids == ("a",) and cat.complete  # b is gone
    provider_catalog_store(provider="groq", listing=listing(["c"], False), as_of=T0 + timedelta(hours=2), source="t")
    cat = selectors.provider_catalogs_current()["groq"]
    assert set(cat.model_ids) == {"a", "b", "c"} and not cat.complete  # a partial run disproves nothing
    assert cat.is_verified("a") and not cat.is_verified("c")


def test_it_keeps_secrets_echoed_by_a_provider_out_of_the_run_record(server, providers):
    server.route("/groq/v1/models", Reply(401, {"error": {"message": "Invalid API Key: sk-ant-api03-abcdefghijklmnop"}}))
    report = provider_catalogs_sync(as_of=T0, providers=["groq"], http_options=FAST_HTTP)
    sync = report.syncs[0]
    assert sync.status == "failed" and "401" in sync.error
    assert "abcdefghijklmnop" not in sync.error and "gsk-secret" not in sync.error


def test_it_skips_and_names_malformed_listing_entries_and_calls_the_listing_partial(server, providers, capsys):
    """One entry without an id, one with a NUL, one with a number no database holds: the
    good entries are stored, the bad ones named, and the sync is partial — the skipped entry may
    be a model the provider does list, so absence from this listing proves nothing."""
    server.route("/groq/v1/models", Reply(200, '{"data": [{"id": "llama-3.3-70b-versatile"}, {"object": "model"}, '
                                          '{"id": "bad\\u0000id"}, {"id": "qwen/qwen3-32b", "created": 1e400}, '
                                          '{"id": "openai/gpt-oss-120b", "context_window": 131072}]}'))
    _anthropic_pages(server)
    call_command("sync_provider_catalogs", "--provider", "groq")
    captured = capsys.readouterr()
    sync = ProviderCatalogSync.objects.get(provider="groq")
    assert (sync.status, sync.complete, sync.count, sync.skipped) == ("partial", False, 2, 3)
    assert "3 malformed entries skipped" in sync.error and "groq: partial — 2 IDs" in captured.out
    assert "page 1 data[1].model_id must be a non-empty string" in sync.skipped_entries[0]
    assert "contains control characters" in sync.skipped_entries[1]
    assert "(qwen/qwen3-32b).raw.created: inf is not a finite number" in sync.skipped_entries[2]
    assert "groq: skipped page 1 data[2].model_id" in captured.err
    assert set(ProviderCatalogEntry.objects.values_list("model_id", flat=True)) == {"llama-3.3-70b-versatile",
                                                                                  "openai/gpt-oss-120b"}
    assert not selectors.provider_catalogs_current()["groq"].complete


@pytest.mark.parametrize("body, message", [
    ({"data": []}, "empty list"),
    ({"data": [{"object": "model"}, {"id": ""}]}, "no valid entry"),
])
def test_it_fails_a_listing_with_no_valid_model_instead_of_calling_every_model_gone(server, providers, body, message):
    server.route("/groq/v1/models", Reply(200, {"data": [{"id": "llama-3.1-8b-instant"}]}))
    provider_catalogs_sync(as_of=T0, providers=["groq"], http_options=FAST_HTTP)
    server.route("/groq/v1/models", Reply(200, body))
    report = provider_catalogs_sync(as_of=T0 + timedelta(hours=1), providers=["groq"], http_options=FAST_HTTP)
    assert report.syncs[0].status == "failed" and message in report.syncs[0].error
    assert selectors.provider_catalogs_current()["groq"].model_ids == ("llama-3.1-8b-instant",)
    assert list(ProviderCatalogEntry.objects.values_list("model_id", "last_seen_at")) == [("llama-3.1-8b-instant", T0)]


def test_it_skips_malformed_models_of_a_provider_catalogs_file_and_marks_that_provider_partial(tmp_path, capsys):
    import json

    doc = json.loads(PROVIDERS_FILE.read_text())
    doc["providers"]["groq"]["models"] += [{"model_id": None}, {"model_id": "x" * 300}, {"model_id": "ok\x00no"}]
    path = tmp_path / "providers.json"
    path.write_text(json.dumps(doc))
    call_command("sync_provider_catalogs", "--file", str(path))
    captured = capsys.readouterr()
    assert "groq: partial — 10 IDs" in captured.out and "bedrock: complete" in captured.out
    groq = ProviderCatalogSync.objects.get(provider="groq")
    assert (groq.complete, groq.skipped) == (False, 3)
    assert "providers.groq.models[10].model_id must be a non-empty string" in groq.skipped_entries[0]
    assert "groq: skipped providers.groq.models[12].model_id 'ok\\x00no' contains control characters" in captured.err
    assert ProviderCatalogEntry.objects.filter(provider="groq").count() == 10
