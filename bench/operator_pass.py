#!/usr/bin/env python
"""Benchmark one operator pass on N demo-like models against a naive one-call-per-model LLM.

    .venv/bin/python bench/operator.py --models 500 5000
    .venv/bin/python bench/operator.py --models 5000 --latency 0.5 --database-url sqlite:///var/bench_operator.sqlite3

For each N it seeds a fleet shaped like the demo (mostly healthy; dead and renamed
models, fresh 404s, a provider with rotated credentials, one with a billing lapse,
content filters, rate limits, timeouts), then runs a whole pass (collect → triage →
situations → LLM → policy → persist → auto-execute) against a local OpenAI-compatible
server with a fixed latency, and reports LLM calls, situations, prompt tokens, wall
time and the database query count of the pass (and of an unchanged rerun). The naive
baseline sends one request per analyzed model with the same system prompt and that
model's evidence; its calls and prompt tokens are computed with the same token
estimate, its wall time as calls × latency (sequential, like upstream).

The fake server reports prompt tokens as the same ~4 chars/token estimate the batcher
uses (no tokenizer is installed), so figures compare like with like. The database must
have "bench" in its name: the script wipes the registry, history and operator tables.
"""

from __future__ import annotations

import sys

# This file is named like the stdlib `operator` module; run as a script, its directory is
# sys.path[0] and would shadow it for every later import. Drop that entry first.
_HERE = __file__.rpartition("/")[0] or "."
sys.path[:] = [p for p in sys.path if p not in ("", ".", _HERE) and not p.endswith("/bench")]

import argparse  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlparse  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "sqlite:///var/bench_operator.sqlite3"
AS_OF = datetime(2026, 11, 26, 8, tzinfo=timezone.utc)
PROVIDERS = ("openai", "anthropic", "groq", "together", "fireworks", "deepinfra", "mistral", "bedrock", "xai",
             "cerebras")
NOT_FOUND = ("NotFoundError: Error code: 404 - {'error': {'message': 'The model `%s` does not exist or you do not "
             "have access to it.', 'type': 'invalid_request_error', 'param': None, 'code': 'model_not_found'}}")
DECOMMISSIONED = ("BadRequestError: Error code: 400 - {'error': {'message': 'The model `%s` has been decommissioned "
                  "and is no longer supported.', 'type': 'invalid_request_error', 'code': 'model_decommissioned'}}")
AUTH = ("AuthenticationError: Error code: 401 - {'object': 'error', 'message': 'Unauthorized', 'type': "
        "'invalid_request_error', 'param': None, 'code': None}")
BILLING = "APIStatusError: Error code: 402 - Payment Required: insufficient credits"
RATE_LIMIT = "Error code: 429 - slow down"
TIMEOUT = "benchmark timed out after 120s"
CONTENT_FILTER = ("BadRequestError: Error code: 400 - {'error': {'message': \"The response was filtered due to the "
                  "prompt triggering Azure OpenAI's content management policy.\", 'code': 'content_filter'}}")
SERVER = "InternalServerError: Error code: 500 - server had an error while processing your request"


def _database_url(cli: str | None) -> str:
    url = cli or os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
    if "bench" not in urlparse(url).path:
        sys.exit(f"refusing {url!r}: the benchmark wipes its tables, so the database name must contain 'bench'")
    return url


def _setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "llmops.settings"
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    (ROOT / "var").mkdir(exist_ok=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _wipe() -> None:
    from lifecycle.models import (BenchmarkError, BenchmarkResult, ModelStatus, ProviderCatalogEntry,
                                  ProviderCatalogSync, RegisteredModel)
    from operator_app.models import AuditLog, Decision, OperatorLock, OperatorRun

    for model in (AuditLog, Decision, OperatorRun, OperatorLock, ModelStatus, BenchmarkResult, BenchmarkError,
                  ProviderCatalogEntry, ProviderCatalogSync, RegisteredModel):
        model.objects.all().delete()


def _kind(rng: random.Random, provider: str) -> str:
    if provider == "mistral":
        return "auth"  # rotated key: every model 401s
    if provider == "deepinfra":
        return "billing"  # lapsed credit
    roll = rng.random()
    for kind, share in (("dead", 0.06), ("decommissioned", 0.03), ("fresh", 0.03), ("rate_limited", 0.05),
                        ("flapping", 0.03), ("never", 0.02), ("content_filter", 0.01), ("healthy", 1.0)):
        if roll < share:
            return kind
        roll -= share
    return "healthy"


def seed(n: int, *, seed_value: int = 7) -> dict:
    """N models over 7 days: a success/error row every 12h per model (demo-like mix)."""
    from lifecycle.models import (BenchmarkError, BenchmarkResult, ProviderCatalogEntry, ProviderCatalogSync,
                                  RegisteredModel)

    rng = random.Random(seed_value)
    models, results, errors, catalog = [], [], [], []
    kinds: dict[str, int] = {}
    slots = [AS_OF - timedelta(hours=12 * i) for i in range(14)]
    for index in range(n):
        provider = PROVIDERS[index % len(PROVIDERS)]
        model_id = f"{provider}-model-{index:05d}"
        kind = _kind(rng, provider)
        kinds[kind] = kinds.get(kind, 0) + 1
        models.append(RegisteredModel(provider=provider, model_id=model_id))
        if kind not in ("dead", "decommissioned"):
            catalog.append(ProviderCatalogEntry(provider=provider, model_id=model_id))
        for ts in slots:
            age = (AS_OF - ts).total_seconds() / 3600
            fail = None
            if kind == "dead" and age <= 96:
                fail = (404, NOT_FOUND % model_id)
            elif kind == "decommissioned" and age <= 120:
                fail = (400, DECOMMISSIONED % model_id)
            elif kind == "fresh" and age <= 12:
                fail = (404, NOT_FOUND % model_id)
            elif kind == "auth" and age <= 30:
                fail = (401, AUTH)
            elif kind == "billing":
                fail = (402, BILLING)
            elif kind == "rate_limited" and rng.random() < 0.2:
                fail = (429, RATE_LIMIT)
            elif kind == "flapping" and rng.random() < 0.6:
                fail = (500, SERVER)
            elif kind == "never":
                fail = (None, TIMEOUT)
            elif kind == "content_filter":
                fail = (400, CONTENT_FILTER)
            if fail:
                errors.append(BenchmarkError(provider=provider, model_name=model_id, ts=ts, http_status=fail[0],
                                             message=fail[1]))
            else:
                results.append(BenchmarkResult(provider=provider, model_name=model_id, run_ts=ts, gen_ts=ts))
    RegisteredModel.objects.bulk_create(models, batch_size=1000)
    BenchmarkResult.objects.bulk_create(results, batch_size=2000)
    BenchmarkError.objects.bulk_create(errors, batch_size=2000)
    ProviderCatalogEntry.objects.bulk_create(catalog, batch_size=2000)
    ProviderCatalogSync.objects.bulk_create([
        ProviderCatalogSync(provider=p, status="complete", complete=True, started_at=AS_OF - timedelta(hours=2),
                            finished_at=AS_OF - timedelta(hours=2)) for p in PROVIDERS])
    return {"results": len(results), "errors": len(errors), "kinds": kinds}


def _responder(latency: float):
    from operator_app.prompts import estimate_tokens
    from tests.operator_app.fake_llm import answers, request_situations

    def respond(request, number):
        time.sleep(latency)
        text = "".join(m["content"] for m in request["messages"])
        items = []
        for s in request_situations(request):
            hard = s["error_class"] == "hard_model" and s["kind"] != "provider"
            items.append({"situation_id": s["id"], "action": "disable" if hard else "monitor",
                          "confidence": 0.97 if hard else 0.8,
                          "reasoning": f"{s['models']} model(s), {s['error_class']}, streak {s['streak']['longest_hours']}h",
                          "suggested_model_id": None})
        return answers(items, prompt_tokens=estimate_tokens(text), completion_tokens=30 * len(items))

    return respond


def naive_baseline(report) -> tuple[int, int]:
    """Calls and prompt tokens of one request per analyzed (non-triaged) model."""
    from operator_app import prompts
    from operator_app.situations import Situation, situation_evidence

    calls = tokens = 0
    system = prompts.estimate_tokens(prompts.SYSTEM_PROMPT)
    for situation in report.situations:
        for member in situation.members:
            single = Situation(id="S1", key="", kind="model", provider=member.provider,
                               error_class=situation.error_class, signature="", members=[member])
            single.evidence = situation_evidence(single, ctx=None, problem=None, as_of=report.as_of)
            single.evidence["provider_context"] = situation.evidence["provider_context"]
            text = prompts.user_message(situations=[single], as_of_iso=report.as_of.isoformat())
            calls += 1
            tokens += system + prompts.estimate_tokens(text)
    return calls, tokens


def bench(n: int, *, latency: float) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    from operator_app.engine import operator_run
    from tests.operator_app.fake_llm import FakeLLM

    _wipe()
    t = time.perf_counter()
    seeded = seed(n)
    seed_s = time.perf_counter() - t
    with FakeLLM(_responder(latency)) as server, override_settings(
        OPENAI_API_KEY="bench-not-a-key", OPERATOR_LLM_BASE_URL=server.base_url, OPERATOR_LLM_MAX_RETRIES=0,
        OPERATOR_LLM_TIMEOUT=30.0, SIGNAL_WINDOW_HOURS=168,
    ):
        with CaptureQueriesContext(connection) as first_q:
            t = time.perf_counter()
            report = operator_run(as_of=AS_OF)
            first_s = time.perf_counter() - t
        with CaptureQueriesContext(connection) as rerun_q:
            t = time.perf_counter()
            rerun = operator_run(as_of=AS_OF)
            rerun_s = time.perf_counter() - t
    naive_calls, naive_tokens = naive_baseline(report)
    analyzed = sum(len(s.members) for s in report.situations)
    return {
        "n": n, "seed_s": seed_s, "rows": seeded["results"] + seeded["errors"], "kinds": seeded["kinds"],
        "analyzed": analyzed, "situations": len(report.situations), "calls": report.llm_calls,
        "prompt_tokens": report.prompt_tokens, "completion_tokens": report.completion_tokens,
        "cost": report.estimated_cost_usd, "fallbacks": report.fallbacks, "wall_s": first_s,
        "timings": report.timings, "queries": len(first_q.captured_queries),
        "rerun_queries": len(rerun_q.captured_queries), "rerun_s": rerun_s,
        "rerun_new_decisions": rerun.decisions_created, "executed": len(report.executed),
        "decisions": report.decisions_created, "counts": report.counts,
        "naive_calls": naive_calls, "naive_tokens": naive_tokens, "naive_wall_s": naive_calls * latency,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--latency", type=float, default=0.5, help="fake LLM latency per call, seconds")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = _database_url(args.database_url)
    _setup(url)
    print(f"database {url}; Python {platform.python_version()} on {platform.machine()}; "
          f"fake LLM latency {args.latency:.2f}s/call", file=sys.stderr)
    print("| models | analyzed | situations | LLM calls | prompt tokens | naive calls | naive prompt tokens | "
          "pass wall | naive LLM wall | queries (pass / rerun) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in args.models:
        r = bench(n, latency=args.latency)
        print(f"| {r['n']:,} | {r['analyzed']:,} | {r['situations']} | {r['calls']} | {r['prompt_tokens']:,} | "
              f"{r['naive_calls']:,} | {r['naive_tokens']:,} | {r['wall_s']:.1f} s | {r['naive_wall_s']:.0f} s | "
              f"{r['queries']} / {r['rerun_queries']} |")
        stages = ", ".join(f"{k} {v:.2f}s" for k, v in r["timings"].items())
        print(f"  n={r['n']}: {r['rows']:,} history rows seeded in {r['seed_s']:.1f}s; kinds {r['kinds']}; "
              f"stages: {stages}; completion tokens {r['completion_tokens']:,}; est. cost ${r['cost']:.4f}; "
              f"fallbacks {r['fallbacks']}; decisions {r['decisions']} ({r['counts']}); auto-executed "
              f"{r['executed']}; rerun {r['rerun_s']:.1f}s, {r['rerun_new_decisions']} new decisions",
              file=sys.stderr)


if __name__ == "__main__":
    main()
