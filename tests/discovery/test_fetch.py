"""fetch_openrouter against a real local server: good, failing and garbled responses."""

import copy
from datetime import datetime, timedelta, timezone

import pytest
from django.core.management import CommandError, call_command

from discovery.models import CatalogFetchRun, OpenRouterModel
from discovery.services import openrouter_fetch
from tests.discovery.conftest import CATALOG_FILE, FAST_HTTP
from tests.discovery.local_server import Reply

pytestmark = pytest.mark.django_db
T0 = datetime(2025, 12, 2, 6, 10, tzinfo=timezone.utc)


def _fetch(server, as_of=T0, **kw):
    return openrouter_fetch(as_of=as_of, url=server.url("/api/v1/models"), http_options=FAST_HTTP, **kw)


@pytest.mark.mongo  # the quick MongoDB suite (make test-mongo-ci)
def test_it_fetches_and_stores_the_whole_catalog(server, catalog_body, settings):
    settings.OPENROUTER_API_KEY = "or-key-123"
    server.route("/api/v1/models", Reply(200, catalog_body))
    run = _fetch(server)
    assert (run.status, run.count, run.new, run.error) == ("complete", 335, 335, "")
    assert run.finished_at is not None
    assert server.hits("/api/v1/models")[0].headers["authorization"] == "Bearer or-key-123"
    llama = OpenRouterModel.objects.get(openrouter_id="meta-llama/llama-3.3-70b-instruct")
    assert llama.hugging_face_id == "meta-llama/Llama-3.3-70B-Instruct"
    assert llama.org == "meta-llama" and llama.modalities["output"] == ["text"]
    assert llama.first_seen_at == llama.last_seen_at == T0 and llama.match_status == "new"
    assert llama.created.year == 2024 and llama.context_length > 0


@pytest.mark.mongo  # the quick MongoDB suite (make test-mongo-ci)
def test_it_upserts_idempotently_and_never_deletes(server, catalog_body):
    server.route("/api/v1/models", Reply(200, catalog_body))
    _fetch(server)
    OpenRouterModel.objects.filter(openrouter_id="openai/gpt-4o").update(match_status="matched")
    smaller = copy.deepcopy(catalog_body)
    smaller["data"] = [m for m in smaller["data"] if m["id"] != "openai/gpt-4"]
    smaller["data"][0]["name"] = "Renamed by OpenRouter"
    server.route("/api/v1/models", Reply(200, smaller))
    later = T0 + timedelta(days=1)
    run = _fetch(server, as_of=later)
    assert (run.status, run.count, run.new) == ("complete", 334, 0)
    assert OpenRouterModel.objects.count() == 335  # nothing deleted
    gone = OpenRouterModel.objects.get(openrouter_id="openai/gpt-4")
    assert gone.last_seen_at == T0  # absence shows as a stale last_seen_at
    kept = OpenRouterModel.objects.get(openrouter_id=smaller["data"][0]["id"])
    assert (kept.first_seen_at, kept.last_seen_at, kept.name) == (T0, later, "Renamed by OpenRouter")
    assert OpenRouterModel.objects.get(openrouter_id="openai/gpt-4o").match_status == "matched"  # untouched


def _assert_failed_and_untouched(run, before, match):
    assert run.status == "failed" and run.finished_at is not None
    assert match in run.error
    after = list(OpenRouterModel.objects.order_by("openrouter_id").values_list("openrouter_id", "last_seen_at", "name"))
    assert after == before


@pytest.mark.parametrize("reply, match", [
    (Reply(503, "upstream down"), "HTTP 503"),
    (Reply(200, "<html>Bad gateway</html>"), "not valid JSON"),
    (Reply(200, {"data": "nope"}), "'data' list"),
    (Reply(200, {"data": []}), "empty"),
    # (one malformed entry among good ones is skipped, not fatal: test_real_world_catalog.py)
    (Reply(200, {"data": [{"name": "no id"}, {"id": "~openai/gpt-latest"}]}), "data[0].id"),
    (Reply(200, {"data": [{"id": "ok/model", "architecture": {"output_modalities": "text"}}]}), "list of strings"),
])
def test_it_records_a_failed_fetch_and_leaves_the_catalog_untouched(server, catalog_body, reply, match):
    server.route("/api/v1/models", Reply(200, catalog_body))
    _fetch(server)
    before = list(OpenRouterModel.objects.order_by("openrouter_id").values_list("openrouter_id", "last_seen_at", "name"))
    server.route("/api/v1/models", reply)
    run = _fetch(server, as_of=T0 + timedelta(days=1))
    _assert_failed_and_untouched(run, before, match)
    assert CatalogFetchRun.objects.filter(status="complete").count() == 1


def test_it_fails_cleanly_on_a_truncated_response(server, catalog_body):
    server.route("/api/v1/models", Reply(200, catalog_body, truncate_to=5000))
    run = _fetch(server)
    assert run.status == "failed" and "RemoteProtocolError" in run.error
    assert OpenRouterModel.objects.count() == 0


def test_it_fails_cleanly_on_a_timeout(server, catalog_body):
    server.route("/api/v1/models", Reply(200, catalog_body, delay=0.6))
    run = openrouter_fetch(as_of=T0, url=server.url("/api/v1/models"),
                           http_options={"timeout": 0.2, "retries": 1, "backoff_base": 0.001})
    assert run.status == "failed" and "timed out" in run.error
    assert OpenRouterModel.objects.count() == 0


def test_it_fails_cleanly_on_an_oversized_response(server, catalog_body):
    server.route("/api/v1/models", Reply(200, catalog_body))
    run = openrouter_fetch(as_of=T0, url=server.url("/api/v1/models"), http_options={**FAST_HTTP, "max_bytes": 100_000})
    assert run.status == "failed" and "cap" in run.error
    assert OpenRouterModel.objects.count() == 0


def test_it_loads_a_saved_response_with_the_command(capsys):
    call_command("fetch_openrouter", "--file", str(CATALOG_FILE))
    assert "335 entries, 335 new" in capsys.readouterr().out
    call_command("fetch_openrouter", "--file", str(CATALOG_FILE))
    assert "335 entries, 0 new" in capsys.readouterr().out
    assert CatalogFetchRun.objects.filter(status="complete", source__startswith="file:").count() == 2


def test_it_fails_the_command_on_a_bad_file(tmp_path):
    bad = tmp_path / "cut.json"
    bad.write_text(CATALOG_FILE.read_text()[:3000])
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("fetch_openrouter", "--file", str(bad))
    assert CatalogFetchRun.objects.get().status == "failed"
    assert OpenRouterModel.objects.count() == 0


def test_it_fetches_a_catalog_with_aliases_and_malformed_entries_from_the_api(server, catalog_body):
    from discovery.models import OpenRouterAlias
    from tests.discovery.conftest import real_world_catalog

    document, expected = real_world_catalog(catalog_body)
    server.route("/api/v1/models", Reply(200, document))
    run = _fetch(server)
    assert (run.status, run.count, run.new, run.aliases, run.skipped) == ("complete", 335, 335, 3, len(expected))
    assert OpenRouterAlias.objects.get(alias_id="~openai/gpt-latest").target_id == "openai/gpt-5.1"
    assert OpenRouterModel.objects.count() == 335
