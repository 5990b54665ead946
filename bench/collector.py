#!/usr/bin/env python
"""Benchmark the signal collector: N models x 7 days of 3-hourly results and errors.

    .venv/bin/python bench/collector.py --models 500 5000            # SQLite, var/bench.sqlite3
    .venv/bin/python bench/collector.py --models 50000
    .venv/bin/python bench/collector.py --database-url postgres://postgres@127.0.0.1:5432/llmops_bench

Reports, per N: rows generated, collector time and query count (which must not grow with
N), and the time to classify and write model_status. The database is its own: the URL
comes from --database-url, BENCH_DATABASE_URL or DATABASE_URL, defaults to
sqlite:///var/bench.sqlite3, and must name a database containing "bench" — the script
wipes the benchmark tables, so it refuses anything that could be the dev database.
"""

from __future__ import annotations

import sys

# Run as a script, bench/ is sys.path[0]; keep it off the path so no bench script can
# shadow a module (bench/discovery.py is named like the discovery app).
sys.path[:] = [p for p in sys.path if not p.rstrip("/").endswith("/bench") and p != "bench"]

import argparse  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlparse  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import django_setup, progress  # noqa: E402

DEFAULT_URL = "sqlite:///var/bench.sqlite3"
AS_OF = datetime(2026, 11, 26, 8, tzinfo=timezone.utc)
PROVIDERS = ("openai", "anthropic", "groq", "together", "fireworks", "deepinfra", "mistral", "bedrock", "xai",
             "cerebras")
NOT_FOUND = ("NotFoundError: Error code: 404 - {'error': {'message': 'The model `%s` does not exist or you do not "
             "have access to it.', 'type': 'invalid_request_error', 'param': None, 'code': 'model_not_found'}}")
RATE_LIMIT = "Error code: 429 - slow down"
AUTH = ("AuthenticationError: Error code: 401 - {'object': 'error', 'message': 'Unauthorized', 'type': "
        "'invalid_request_error', 'param': None, 'code': None}")
LEGACY = "ResourceNotFoundException: Could not resolve the foundation model from the provided model identifier."
WARNING = "The model '%s' is deprecated and will reach end-of-life on February 19th, 2027."


def _database_url(cli: str | None) -> str:
    for candidate in (cli, os.environ.get("BENCH_DATABASE_URL"), os.environ.get("DATABASE_URL")):
        if candidate:
            if "bench" not in urlparse(candidate).path:
                if candidate is cli:
                    sys.exit(f"refusing {candidate!r}: the benchmark wipes its tables, so the database name "
                             "must contain 'bench'")
                print("note: ignoring a database URL without 'bench' in its name; using the next choice",
                      file=sys.stderr)
                continue
            return candidate
    return DEFAULT_URL





def generate(n: int, *, seed: int = 7, chunk: int = 500) -> dict:
    """N models, 7 days of runs every 3 hours: mostly healthy, with dead, rate-limited,
    legacy-format, deprecated and provider-wide-auth models mixed in."""
    from lifecycle.models import (
        BenchmarkError,
        BenchmarkResult,
        ModelStatus,
        ProviderCatalogEntry,
        ProviderCatalogSync,
    )
    from registry.models import RegisteredModel

    for model in (BenchmarkError, BenchmarkResult, ModelStatus, ProviderCatalogEntry, ProviderCatalogSync,
                  RegisteredModel):
        model.objects.all().delete()
    rng = random.Random(seed)
    times = [AS_OF - timedelta(hours=3 * k) for k in range(1, 57)]  # 56 runs over 7 days
    counts = {"results": 0, "errors": 0}
    listed: dict[str, list[str]] = {p: [] for p in PROVIDERS}
    for start in range(0, n, chunk):
        registry, results, errors = [], [], []
        for i in range(start, min(start + chunk, n)):
            provider, model_id = PROVIDERS[i % len(PROVIDERS)], f"bench-model-{i:06d}"
            kind = rng.random()
            registry.append(RegisteredModel(provider=provider, model_id=model_id))
            if not (0.85 <= kind < 0.90):
                listed[provider].append(model_id)
            for t in times:
                age = (AS_OF - t) / timedelta(hours=1)
                failure = None
                if provider == "mistral" and age <= 20:
                    failure = (401, AUTH, "ts")
                elif 0.85 <= kind < 0.90 and age <= 60:
                    failure = (404, NOT_FOUND % model_id, "ts")
                elif 0.90 <= kind < 0.94 and rng.random() < 0.1:
                    failure = (429, RATE_LIMIT, "ts")
                elif 0.94 <= kind < 0.97 and age <= 30:
                    failure = (404, LEGACY, "created_at")
                if failure is None:
                    warnings = [WARNING % model_id] if kind >= 0.98 else None
                    results.append(BenchmarkResult(provider=provider, model_name=model_id, run_ts=t, gen_ts=t,
                                                   warnings=warnings))
                    continue
                status, text, field = failure
                if field == "ts":
                    errors.append(BenchmarkError(provider=provider, model_name=model_id, http_status=status, ts=t,
                                                 message=text))
                else:
                    errors.append(BenchmarkError(provider=provider, model_name=model_id, http_status=status,
                                                 created_at=t, error=text))
        RegisteredModel.objects.bulk_create(registry, batch_size=1000)
        BenchmarkResult.objects.bulk_create(results, batch_size=2000)
        BenchmarkError.objects.bulk_create(errors, batch_size=2000)
        counts["results"] += len(results)
        counts["errors"] += len(errors)
        progress(f"generate {n}", min(start + chunk, n), n)
    for provider, ids in listed.items():
        ProviderCatalogSync.objects.create(provider=provider, started_at=AS_OF - timedelta(hours=2),
                                           finished_at=AS_OF - timedelta(hours=2), status="complete", complete=True)
        ProviderCatalogEntry.objects.bulk_create(
            [ProviderCatalogEntry(provider=provider, model_id=m, last_seen_at=AS_OF - timedelta(hours=2)) for m in ids],
            batch_size=1000,
        )
    return counts


def measure(n: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lifecycle.classifier import classify_snapset
    from lifecycle.collector import collect_snapshots
    from lifecycle.services import model_status_write

    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        snapset = collect_snapshots(as_of=AS_OF)
        collect_s = time.perf_counter() - started
    assert len(snapset.models) == n, (len(snapset.models), n)
    started = time.perf_counter()
    verdicts = classify_snapset(snapset)
    classify_s = time.perf_counter() - started
    started = time.perf_counter()
    written = model_status_write(snapset=snapset, verdicts=verdicts)
    write_s = time.perf_counter() - started
    actions: dict[str, int] = {}
    for v in verdicts.values():
        actions[v.action] = actions.get(v.action, 0) + 1
    return {"collect_s": collect_s, "queries": len(ctx.captured_queries), "classify_s": classify_s,
            "write_s": write_s, "written": written, "actions": actions}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", "-n", type=int, nargs="+", default=[500, 5000],
                        help="fleet sizes to run (default: 500 5000)")
    parser.add_argument("--database-url", help="benchmark database (its name must contain 'bench')")
    args = parser.parse_args(argv)
    if any(n <= 0 for n in args.models):
        parser.error("--models must be positive")
    url = _database_url(args.database_url)
    django_setup(url)
    from django.db import connection

    print(f"# collector benchmark on {connection.vendor} ({url}); {platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} cores")
    print("| models | results | errors | generate s | collect s | queries | classify s | model_status write s |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    queries = set()
    for n in args.models:
        started = time.perf_counter()
        counts = generate(n)
        generate_s = time.perf_counter() - started
        result = measure(n)
        queries.add(result["queries"])
        print(f"| {n:,} | {counts['results']:,} | {counts['errors']:,} | {generate_s:.1f} | {result['collect_s']:.2f} "
              f"| {result['queries']} | {result['classify_s']:.2f} | {result['write_s']:.2f} |", flush=True)
        print(f"  decisions: {result['actions']}", file=sys.stderr)
    if len(queries) > 1:
        print(f"query count varied with N: {sorted(queries)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
