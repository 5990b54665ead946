"""seed_demo on a database with real history: it refuses and says what it found, writes nothing;
with --force it seeds next to that history and never deletes or moves a row it did not write."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from lifecycle.demo import FLEET
from lifecycle.models import BenchmarkError, BenchmarkResult, DemoRow, ProviderCatalogEntry, ProviderCatalogSync
from registry.models import RegisteredModel
from tests.faults.support import table_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def real_history():
    """What the benchmark runner and real syncs leave: results and errors of the demo's own
    provider × model names (old ones included), a model the demo does not know, a real sync."""
    now = timezone.now()
    RegisteredModel.objects.create(provider="openai", model_id="gpt-4o")  # also a demo name
    RegisteredModel.objects.create(provider="acme", model_id="internal-7b")
    rows = []
    for days in (1, 30, 400):
        when = now - timedelta(days=days)
        rows.append(BenchmarkResult.objects.create(provider="openai", model_name="gpt-4o", run_ts=when))
        rows.append(BenchmarkError.objects.create(provider="groq", model_name="llama-3.3-70b-versatile",
                                                  http_status=500, ts=when, message="real outage"))
    old = now - timedelta(days=9)
    entry = ProviderCatalogEntry.objects.create(provider="openai", model_id="gpt-4.1", first_seen_at=old,
                                                last_seen_at=old)
    entry.refresh_from_db()  # what the database holds (MongoDB keeps milliseconds), to compare with later
    ProviderCatalogSync.objects.create(provider="openai", source="api", status="partial", started_at=old)
    return {"rows": {(type(r), r.pk) for r in rows}, "entry": entry}


def _seed(*args):
    out, err = StringIO(), StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_refuses_a_database_with_history_it_did_not_write_and_says_what_it_found(real_history):
    before = table_counts()
    with pytest.raises(CommandError) as info:
        _seed("--admin")
    text = str(info.value)
    assert text.startswith("refusing to seed: this database holds data seed_demo did not write:")
    assert "3 benchmark results (e.g. openai/gpt-4o at" in text
    assert "3 benchmark errors (e.g. groq/llama-3.3-70b-versatile" in text
    assert re.search(r"2 registered models \(e\.g\. (acme/internal-7b|openai/gpt-4o), (acme/internal-7b|openai/gpt-4o)\)",
                     text)
    assert "1 provider catalog" in text and "--force" in text and "\n" not in text
    assert table_counts() == before  # nothing written, the admin user included


def test_with_force_it_seeds_beside_the_history_and_never_touches_it(real_history):
    counts = table_counts()
    _, err = _seed("--force")
    assert "--force: seeded next to data seed_demo did not write" in err
    for model, pk in real_history["rows"]:
        assert model.objects.filter(pk=pk).exists()  # the runner's rows, old ones included, survive
    entry = ProviderCatalogEntry.objects.get(pk=real_history["entry"].pk)
    assert entry.last_seen_at == real_history["entry"].last_seen_at  # a real listing's date is not moved
    assert RegisteredModel.objects.filter(provider="acme").exists()
    first = table_counts()
    assert first["lifecycle.BenchmarkResult"] > counts["lifecycle.BenchmarkResult"]

    _seed("--force")  # a rerun replaces only what the seed wrote
    assert table_counts() == first
    for model, pk in real_history["rows"]:
        assert model.objects.filter(pk=pk).exists()
    # what it owns is exactly what it wrote: the registry rows it created, not the real gpt-4o
    owned = set(DemoRow.objects.filter(table="registry.RegisteredModel").values_list("row_id", flat=True))
    assert str(RegisteredModel.objects.get(provider="openai", model_id="gpt-4o").pk) not in owned
    assert len(owned) == len(FLEET) - 1


def test_a_demo_database_reseeds_without_force_even_after_operator_passes():
    _seed("--admin")
    call_command("run_operator", "--no-llm", stdout=StringIO(), stderr=StringIO())
    first = {k: v for k, v in table_counts().items() if k.startswith("lifecycle.Benchmark")}
    _seed()
    assert {k: v for k, v in table_counts().items() if k.startswith("lifecycle.Benchmark")} == first
