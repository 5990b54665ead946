"""A newer, real-world OpenRouter catalog: router aliases and malformed entries among 335 real
models. Malformed entries are skipped, counted and named (on the run, by the command, in the
report); aliases are kept as aliases of the models they route to and never matched; only a
structurally broken document is refused whole, and every run ends settled."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection

from discovery.models import CatalogFetchRun, OpenRouterAlias, OpenRouterModel
from lifecycle.models import ProviderCatalogEntry, ProviderCatalogSync
from tests.discovery.conftest import CATALOG_FILE, PROVIDERS_FILE

ALIASES = {"~anthropic/claude-sonnet-latest": "anthropic/claude-sonnet-4.5", "~openai/gpt-latest": "openai/gpt-5.1",
           "~google/gemini-flash-latest": ""}


def _call(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_it_stores_every_valid_entry_keeps_aliases_apart_and_names_what_it_skipped(real_world_file):
    path, expected = real_world_file
    out, err = _call("fetch_openrouter", "--file", str(path))
    assert "335 entries, 335 new, 3 router aliases, 13 malformed entries skipped" in out
    run = CatalogFetchRun.objects.get()
    assert (run.status, run.count, run.new, run.aliases, run.skipped) == ("complete", 335, 335, 3, 13)
    for message in expected:
        assert any(message in entry for entry in run.skipped_entries), message
        assert message.replace("\\x00", "") in err.replace("\\x00", "")
    assert all(str(path) not in e for e in run.skipped_entries) and "\n" not in "".join(run.skipped_entries)
    # the aliases are not catalog models, and they keep what they route to
    assert OpenRouterModel.objects.count() == 335
    assert not OpenRouterModel.objects.filter(openrouter_id__startswith="~").exists()
    assert not OpenRouterModel.objects.filter(openrouter_id__startswith="acme/").exists()
    assert dict(OpenRouterAlias.objects.values_list("alias_id", "target_id")) == ALIASES

    # a second fetch of the same document: same counts, nothing new, aliases upserted not duplicated
    out, _ = _call("fetch_openrouter", "--file", str(path))
    assert "335 entries, 0 new, 3 router aliases, 13 malformed entries skipped" in out
    assert OpenRouterModel.objects.count() == 335 and OpenRouterAlias.objects.count() == 3

    report, _ = _call("discovery_report")
    assert "Router aliases (not models; never matched): 3, 1 unresolved" in report
    assert "~anthropic/claude-sonnet-latest → anthropic/claude-sonnet-4.5" in report
    assert "~google/gemini-flash-latest → (unresolved" in report
    assert "3 aliases, 13 malformed skipped" in report and "(acme/huge-context).context_length 1e+30" in report


@pytest.mark.django_db
def test_it_never_matches_an_alias_as_a_model(real_world_file):
    path, _ = real_world_file
    _call("fetch_openrouter", "--file", str(path))
    _call("sync_provider_catalogs", "--file", str(PROVIDERS_FILE))
    _, err = _call("match_catalog", "--no-llm")
    assert "335 entries considered" in err
    assert not OpenRouterModel.objects.filter(match_status="matched", openrouter_id__startswith="~").exists()
    assert OpenRouterModel.objects.get(openrouter_id="anthropic/claude-sonnet-4.5").match_status == "matched"


def test_it_matches_a_real_catalog_with_aliases_offline(real_world_file, django_db_blocker):
    """The replay touches no database (django_db_blocker refuses any access) and needs no LLM."""
    path, expected = real_world_file
    with django_db_blocker.block():
        out, err = _call("match_catalog", "--catalog", str(path), "--provider-catalogs", str(PROVIDERS_FILE),
                         "--no-llm", "--dry-run", "--format", "json")
    rows = json.loads(out)
    assert len(rows) == 335 + 3
    by_id = {row["openrouter_id"]: row for row in rows}
    for alias, target in ALIASES.items():
        assert by_id[alias] == {"openrouter_id": alias, "skipped": "alias", "alias_of": target or None, "matches": []}
    assert {m["provider"] for m in by_id["anthropic/claude-sonnet-4.5"]["matches"]} >= {"anthropic"}
    assert "3 router aliases (1 unresolved), 13 malformed entries skipped" in err
    assert expected[5].split(").")[0] in err  # each skipped entry named on stderr


@pytest.mark.django_db
@pytest.mark.parametrize("content, message", [
    pytest.param(b'{"data": [{"id": "openai/gpt-4o", "name": "GPT-4o \xe9t\xe9"}]}', r"is not UTF-8 text \(byte 0xe9",
                 id="latin-1-bytes"),
    pytest.param(b'{"data": [{"id": "acme/x", "context_length": Infinity}, {"id": 7}]}',
                 r"no valid model entry \(2 malformed, 0 aliases\): data\[0\] \(acme/x\)\.context_length inf",
                 id="only-bad-entries"),
    pytest.param(b'{"data": [{"id": "~anthropic/claude-sonnet-latest"}]}', r"no valid model entry \(0 malformed, 1",
                 id="only-aliases"),
    pytest.param(b"[" * 100000 + b"]" * 100000, r"nested too deeply", id="deeply-nested"),
])
def test_a_broken_document_is_refused_whole_in_one_line_and_its_run_settled(tmp_path, content, message):
    call_command("fetch_openrouter", "--file", str(CATALOG_FILE), stdout=StringIO())
    stored = list(OpenRouterModel.objects.order_by("openrouter_id").values_list("openrouter_id", "last_seen_at"))
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    with pytest.raises(CommandError, match=message) as info:
        call_command("fetch_openrouter", "--file", str(bad), stdout=StringIO())
    assert str(bad) in str(info.value) and "\n" not in str(info.value)
    assert list(OpenRouterModel.objects.order_by("openrouter_id").values_list("openrouter_id", "last_seen_at")) \
        == stored
    assert not OpenRouterAlias.objects.exists()
    assert not CatalogFetchRun.objects.filter(status="running").exists()
    assert CatalogFetchRun.objects.filter(status="failed").count() == 1


@pytest.fixture
def refuse_inserts():
    """`refuse(table)`: a real database error on every insert into `table` (a trigger), on SQLite
    and PostgreSQL; the triggers are dropped afterwards (a flush does not remove them)."""
    made = []

    def refuse(table: str) -> None:
        statements = {
            "sqlite": [f"CREATE TRIGGER faults_{table} BEFORE INSERT ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, 'injected: {table} store down'); END"],
            "postgresql": [f"CREATE OR REPLACE FUNCTION faults_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                           f"BEGIN RAISE EXCEPTION 'injected: {table} store down'; END $$",
                           f"CREATE TRIGGER faults_{table} BEFORE INSERT ON {table} FOR EACH ROW "
                           f"EXECUTE FUNCTION faults_{table}()"],
        }
        with connection.cursor() as cursor:
            for sql in statements[connection.vendor]:
                cursor.execute(sql)
        made.append(table)

    yield refuse
    with connection.cursor() as cursor:
        for table in made:
            if connection.vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER IF EXISTS faults_{table}")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS faults_{table} ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS faults_{table}()")


@pytest.mark.sql_only(reason="injects the database error with SQLite/PostgreSQL triggers")
@pytest.mark.django_db(transaction=True)
def test_a_run_that_fails_for_an_unexpected_reason_ends_failed_not_running(real_world_file, refuse_inserts):
    """A real database error while storing (a trigger refuses the insert): the error propagates,
    and the fetch or sync run record says failed, with it."""
    path, _ = real_world_file
    refuse_inserts("openrouter_aliases")
    refuse_inserts("provider_catalog")
    with pytest.raises(DatabaseError):
        call_command("fetch_openrouter", "--file", str(path), stdout=StringIO(), stderr=StringIO())
    run = CatalogFetchRun.objects.get()
    assert run.status == "failed" and run.finished_at is not None
    assert "injected: openrouter_aliases store down" in run.error
    with pytest.raises(DatabaseError):
        call_command("sync_provider_catalogs", "--file", str(PROVIDERS_FILE), "--provider", "groq",
                     stdout=StringIO(), stderr=StringIO())
    sync = ProviderCatalogSync.objects.get()
    assert sync.status == "failed" and "injected: provider_catalog store down" in sync.error
    assert not ProviderCatalogEntry.objects.exists()


@pytest.mark.django_db
def test_the_health_report_names_skipped_entries_and_failed_catalog_runs(real_world_file, tmp_path):
    path, _ = real_world_file
    _call("fetch_openrouter", "--file", str(path))
    broken = tmp_path / "latin1.json"
    broken.write_bytes(b'{"data": [{"id": "a/b", "name": "\xe9"}]}')
    with pytest.raises(CommandError):
        _call("fetch_openrouter", "--file", str(broken))
    run = CatalogFetchRun.objects.order_by("started_at").first()
    out, _ = _call("send_health_report", "--dry-run", "--as-of", (run.started_at + timedelta(minutes=5)).isoformat())
    text = out.split("---- text/html part ----")[0]
    assert "WARNING:" in text and "1 failed catalog fetch(es)/sync(s)" in text
    assert "13 malformed catalog entries skipped" in text
    assert "OpenRouter catalog" in text and "13 malformed entries skipped (data[338].id None" in text
    assert "FAILED: " in text and "is not UTF-8 text" in text
