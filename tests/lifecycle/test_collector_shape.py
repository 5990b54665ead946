"""The collector's query shape on MongoDB: grouped reads, never a correlated `$lookup` per row.

A correlated subquery into the benchmark collections becomes a `$lookup` with let/pipeline run once
per outer document (on SecantusDB a scan of the foreign collection each time: the demo's collect
took a minute). On SQLite/PostgreSQL the pipelines are the recorded queries compiled for MongoDB;
on MongoDB (the CI suite) they are the ones the connection sends.
"""

from datetime import datetime, timedelta, timezone

import pytest
from django.conf import settings
from django.db.models import DateTimeField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from lifecycle import selectors
from lifecycle.collector import collect_snapshots
from lifecycle.models import BenchmarkError, BenchmarkResult
from registry.models import RegisteredModel
from tests import mongo_compile

pytestmark = [pytest.mark.django_db, pytest.mark.mongo]

AS_OF = datetime(2026, 11, 26, 8, tzinfo=timezone.utc)
H = timedelta(hours=1)
BENCHMARK = {settings.BENCHMARK_RESULTS_COLLECTION, settings.BENCHMARK_ERRORS_COLLECTION}


def _fleet():
    """Every path of the streak logic: dead, recovered then failing again (a group on both sides
    of the last success), never succeeded, legacy-dated, healthy."""
    RegisteredModel.objects.bulk_create([RegisteredModel(provider="openai", model_id=m)
                                         for m in ("dead", "recovered", "never", "legacy", "healthy")])
    results = [("dead", 70), ("recovered", 30), ("legacy", 80), ("healthy", 1), ("healthy", 4)]
    BenchmarkResult.objects.bulk_create([BenchmarkResult(provider="openai", model_name=m, run_ts=AS_OF - h * H)
                                         for m, h in results])
    errors = [("dead", 60, "ts"), ("dead", 3, "ts"), ("recovered", 40, "ts"), ("recovered", 20, "ts"),
              ("never", 50, "ts"), ("legacy", 75, "created_at"), ("legacy", 60, "timestamp")]
    BenchmarkError.objects.bulk_create([
        BenchmarkError(provider="openai", model_name=m, http_status=404, message="model not found",
                       **{field: AS_OF - h * H}) for m, h, field in errors])


def _benchmark_reads(pipelines):
    return [(name, pipeline) for name, pipeline in pipelines if name in BENCHMARK]


def _lookups_into_benchmark(pipelines):
    """Correlated lookups on a benchmark collection, and lookups of any kind into one."""
    found = []
    for name, pipeline in pipelines:
        for lookup in mongo_compile.correlated_lookups(pipeline):
            if name in BENCHMARK or lookup.get("from") in BENCHMARK:
                found.append((name, lookup.get("from")))
    return found


def test_it_collects_with_grouped_reads_and_no_correlated_lookup_into_the_benchmark_collections():
    _fleet()
    with mongo_compile.record_pipelines() as pipelines:
        snapset = collect_snapshots(as_of=AS_OF, window_hours=24)
    streaks = {m.model_id: m.streak_started_at for m in snapset.models}
    assert streaks == {"dead": AS_OF - 60 * H, "recovered": AS_OF - 20 * H, "never": AS_OF - 50 * H,
                       "legacy": AS_OF - 75 * H, "healthy": None}

    reads = _benchmark_reads(pipelines)
    assert {name for name, _ in reads} == BENCHMARK
    assert _lookups_into_benchmark(pipelines) == []
    # The results: one grouped read of all history (successes, last success) and the warnings'
    # narrow read of the window; the errors once per timestamp field (disjoint rows), plus the one
    # read that settles the groups straddling a last success.
    results = [p for name, p in reads if name == settings.BENCHMARK_RESULTS_COLLECTION]
    errors = [p for name, p in reads if name == settings.BENCHMARK_ERRORS_COLLECTION]
    assert (len(results), len(errors)) == (2, len(selectors.ERROR_TS_FIELDS) + 1)
    assert all(any("$group" in stage for stage in p) for _, p in reads)

    # The next collect, with the recovered model healthy again, still reads the same way.
    BenchmarkResult.objects.create(provider="openai", model_name="recovered", run_ts=AS_OF - 0.5 * H)
    with mongo_compile.record_pipelines() as again:
        snapset = collect_snapshots(as_of=AS_OF, window_hours=24)
    assert {m.model_id: m.streak_started_at for m in snapset.models}["recovered"] is None
    assert _benchmark_reads(again) and _lookups_into_benchmark(again) == []


def test_it_would_see_the_correlated_subquery_the_collector_used_to_run():
    # The check above can fail: the shape it replaced is exactly what it looks for.
    _fleet()
    last_success = (BenchmarkResult.objects.filter(provider=OuterRef("provider"), model_name=OuterRef("model_name"))
                    .order_by("-run_ts").values("run_ts")[:1])
    after = Coalesce(Subquery(last_success), Value(AS_OF - 90 * 24 * H), output_field=DateTimeField())
    with mongo_compile.record_pipelines() as pipelines:
        rows = list(BenchmarkError.objects.filter(ts__gt=after).values("model_name"))
    assert {row["model_name"] for row in rows} == {"dead", "recovered", "never"}
    assert _lookups_into_benchmark(pipelines) == [(settings.BENCHMARK_ERRORS_COLLECTION,
                                                   settings.BENCHMARK_RESULTS_COLLECTION)]
