#!/usr/bin/env python
"""Benchmark one whole operator pass at N models against a naive per-model pipeline.

    .venv/bin/python bench/operator_pass.py --models 500 5000 50000 --backends sqlite postgres
    .venv/bin/python bench/operator_pass.py --models 500 --latency 0.5 --database-url sqlite:///var/bench_x.sqlite3
    .venv/bin/python tests/mongo/serve.py -- .venv/bin/python bench/operator_pass.py --models 500 --backends mongodb

For each backend and N it seeds (once; cached per N in its own database) N demo-like
models with 7 days of 3-hourly history (56 runs per model: mostly healthy; dead and
decommissioned models, fresh 404s, rate limits, flapping 5xx, timeouts, content filters,
deprecation warnings, one provider with rotated credentials and one with a billing
lapse; complete provider catalogs), resets the operator's own state (decisions, audit,
runs, model_status, registry enabled flags) and runs one pass — collect → triage →
reason → policy → persist → auto-execute — against a local OpenAI-compatible server
(the real `openai` client) answering after a fixed latency, then an unchanged rerun.

Reported per pass: wall time per stage, database queries per stage, LLM calls,
situations, prompt tokens, peak memory (ru_maxrss of the measuring process, which
never seeds), and wall time without the LLM wait (wall − calls × latency).

The naive baseline is upstream's shape: per model one query set (registry row, window
successes, last success, window errors, warnings, catalog entry) and one model_status
write, plus one LLM request per analyzed model. Its database part is MEASURED on a
sample of models and extrapolated to N; its LLM part is COMPUTED: calls × latency, and
prompt tokens with the same ~4 chars/token estimate the fake server reports for ours.

Every N runs in a fresh subprocess (so peak memory is per N). Databases must have
"bench" in their name: the script wipes their tables. `--backends mongodb` uses the server
of MONGODB_URI (tests/mongo/serve.py sets it to a fresh in-memory SecantusDB), database
llmops_bench_pass_N; there the seed is pymongo `insert_many` and a "query" is one collection
operation (aggregate, insert_many, update_many, delete_many).
"""

from __future__ import annotations

import sys

# Run as a script, bench/ is sys.path[0]; keep it off the path so nothing in it can
# shadow a standard-library module.
_HERE = __file__.rpartition("/")[0] or "."
sys.path[:] = [p for p in sys.path if p not in ("", ".", _HERE) and not p.rstrip("/").endswith("/bench")]

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlparse  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import django_setup, progress  # noqa: E402

AS_OF = datetime(2026, 11, 26, 8, tzinfo=timezone.utc)
SEED_VERSION = "bench-seed/2"
SLOTS = [AS_OF - timedelta(hours=3 * k) for k in range(56)]  # 7 days, every 3 hours
PROVIDERS = ("openai", "anthropic", "groq", "together", "fireworks", "deepinfra", "mistral", "bedrock", "xai",
             "cerebras")
URLS = {
    "sqlite": "sqlite:///var/bench_pass_{n}.sqlite3",
    "postgres": "postgres://postgres@127.0.0.1:5432/llmops_bench_pass_{n}",
    "mongodb": "{mongodb}/llmops_bench_pass_{n}",  # the server of MONGODB_URI (tests/mongo/serve.py)
}
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
WARNING = "The model '%s' is deprecated and will reach end-of-life on February 19th, 2027."


# --- databases ---------------------------------------------------------------------

def _check_url(url: str) -> str:
    if "bench" not in urlparse(url).path:
        sys.exit(f"refusing {url!r}: the benchmark wipes its tables, so the database name must contain 'bench'")
    return url


def _url_template(backend: str) -> str:
    if backend != "mongodb":
        return URLS[backend]
    uri = os.environ.get("MONGODB_URI")
    if not uri:
        sys.exit("--backends mongodb needs MONGODB_URI (run it under tests/mongo/serve.py)")
    parsed = urlparse(uri)
    if parsed.query:
        sys.exit(f"MONGODB_URI with options is not supported here: {uri!r}")
    server = parsed._replace(path="").geturl()
    return URLS["mongodb"].replace("{mongodb}", server)





# --- seeding (bench infrastructure: raw bulk inserts, not product code) -------------

def _kind(rng: random.Random, provider: str) -> str:
    if provider == "mistral":
        return "auth"  # rotated key: every model 401s
    if provider == "deepinfra":
        return "billing"  # lapsed credit
    roll = rng.random()
    for kind, share in (("dead", 0.06), ("decommissioned", 0.03), ("fresh", 0.03), ("rate_limited", 0.05),
                        ("flapping", 0.03), ("never", 0.02), ("content_filter", 0.01), ("warned", 0.02)):
        if roll < share:
            return kind
        roll -= share
    return "healthy"


def _failure(kind: str, age: float, model_id: str, rng: random.Random):
    if kind == "dead" and age <= 96:
        return 404, NOT_FOUND % model_id
    if kind == "decommissioned" and age <= 120:
        return 400, DECOMMISSIONED % model_id
    if kind == "fresh" and age <= 12:
        return 404, NOT_FOUND % model_id
    if kind == "auth" and age <= 30:
        return 401, AUTH
    if kind == "billing":
        return 402, BILLING
    if kind == "rate_limited" and rng.random() < 0.2:
        return 429, RATE_LIMIT
    if kind == "flapping" and rng.random() < 0.6:
        return 500, SERVER
    if kind == "never":
        return None, TIMEOUT
    if kind == "content_filter":
        return 400, CONTENT_FILTER
    return None


class _Inserter:
    """Row inserts at the speed of the driver: executemany on SQLite, COPY on PostgreSQL,
    insert_many on MongoDB."""

    def __init__(self, model):
        from django.db import connection

        self.connection = connection
        self.fields = [f for f in model._meta.concrete_fields]
        self.table = model._meta.db_table
        self.columns = [f.column for f in self.fields]
        self.memo = {}
        # On MongoDB primary and foreign keys are ObjectIds, not the 24-hex strings given here.
        self.object_ids = {f for f in self.fields if f.primary_key or f.is_relation} \
            if connection.vendor == "mongodb" else set()

    def prep(self, **values) -> tuple:
        row = []
        for f in self.fields:
            if f.name in values:
                value = values[f.name]
            elif f.has_default():
                value = f.get_default()
            else:
                value = None
            row.append(self._prep(f, value))
        return tuple(row)

    def _prep(self, f, value):
        if value is None or (isinstance(value, (str, int, float)) and f not in self.object_ids):
            return value  # the drivers take these as they are
        if isinstance(value, datetime):
            key = (f.name, value)
            if key not in self.memo:
                self.memo[key] = f.get_db_prep_save(value, self.connection)
            return self.memo[key]
        return f.get_db_prep_save(value, self.connection)

    def insert(self, rows: list[tuple]) -> None:
        if not rows:
            return
        if self.connection.vendor == "mongodb":
            collection = self.connection.get_collection(self.table)
            collection.insert_many([dict(zip(self.columns, row)) for row in rows], ordered=False)
            return
        qn = self.connection.ops.quote_name
        cols = ", ".join(qn(c) for c in self.columns)
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {qn(self.table)} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(f"INSERT INTO {qn(self.table)} ({cols}) VALUES ({marks})", rows)


def _wipe_all() -> None:
    from lifecycle.models import BenchmarkError, BenchmarkResult, ProviderCatalogEntry, ProviderCatalogSync
    from registry.models import RegisteredModel

    _reset_operator_state(registry=False)
    for model in (BenchmarkResult, BenchmarkError, ProviderCatalogEntry, ProviderCatalogSync, RegisteredModel):
        model.objects.all()._raw_delete(model.objects.db)


def _reset_operator_state(*, registry: bool = True) -> None:
    from lifecycle.models import ModelStatus
    from operator_app.models import Decision, LLMAnswer, OperatorLock, OperatorRun
    from registry.models import AuditLog, RegisteredModel

    for model in (AuditLog, Decision, OperatorRun, OperatorLock, ModelStatus, LLMAnswer):
        model.objects.all()._raw_delete(model.objects.db)
    if registry:
        RegisteredModel.objects.exclude(enabled=True, disabled_class="").update(
            enabled=True, disabled_reason="", disabled_at=None, disabled_by="", disabled_class="", recheck_after=None)


def seeded_marker(n: int) -> str:
    return f"{SEED_VERSION} n={n}"


def is_seeded(n: int) -> bool:
    from lifecycle.models import ProviderCatalogSync
    from registry.models import RegisteredModel

    return (ProviderCatalogSync.objects.filter(source=seeded_marker(n)).count() == len(PROVIDERS)
            and RegisteredModel.objects.count() == n)


def seed(n: int, *, seed_value: int = 7, chunk: int = 2000) -> dict:
    from django.db import connection

    from lifecycle.models import BenchmarkError, BenchmarkResult, ProviderCatalogEntry, ProviderCatalogSync
    from registry.models import RegisteredModel

    _wipe_all()
    if connection.vendor == "sqlite":
        with connection.cursor() as c:
            c.execute("PRAGMA synchronous = OFF")
    rng = random.Random(seed_value)
    reg, res, err, cat = (_Inserter(m) for m in (RegisteredModel, BenchmarkResult, BenchmarkError,
                                                   ProviderCatalogEntry))
    counts = {"results": 0, "errors": 0, "kinds": {}}
    seen = AS_OF - timedelta(hours=2)
    serial = 0
    for start in range(0, n, chunk):
        models, results, errors, catalog = [], [], [], []
        for index in range(start, min(start + chunk, n)):
            provider = PROVIDERS[index % len(PROVIDERS)]
            model_id = f"{provider}-model-{index:06d}"
            kind = _kind(rng, provider)
            counts["kinds"][kind] = counts["kinds"].get(kind, 0) + 1
            models.append(reg.prep(id=f"a{index:023x}", provider=provider, model_id=model_id, created_at=seen))
            if kind not in ("dead", "decommissioned"):
                catalog.append(cat.prep(id=f"c{index:023x}", provider=provider, model_id=model_id,
                                        first_seen_at=seen, last_seen_at=seen))
            warnings = [WARNING % model_id] if kind == "warned" else None
            for ts in SLOTS:
                serial += 1
                fail = _failure(kind, (AS_OF - ts).total_seconds() / 3600, model_id, rng)
                if fail:
                    errors.append(err.prep(id=f"e{serial:023x}", provider=provider, model_name=model_id, ts=ts,
                                           http_status=fail[0], message=fail[1]))
                else:
                    results.append(res.prep(id=f"b{serial:023x}", provider=provider, model_name=model_id, run_ts=ts,
                                            gen_ts=ts, warnings=warnings))
        reg.insert(models)
        res.insert(results)
        err.insert(errors)
        cat.insert(catalog)
        counts["results"] += len(results)
        counts["errors"] += len(errors)
        progress(f"seed {n:,}", min(start + chunk, n), n)
    ProviderCatalogSync.objects.bulk_create([
        ProviderCatalogSync(provider=p, source=seeded_marker(n), status="complete", complete=True, started_at=seen,
                            finished_at=seen, count=n // len(PROVIDERS)) for p in PROVIDERS])
    if connection.vendor in ("postgresql", "sqlite"):
        with connection.cursor() as c:
            c.execute("ANALYZE")
    return counts


# --- the measured pass -------------------------------------------------------------

class _QueryCounter:
    """Counts statements on SQL (an execute wrapper) and collection operations on MongoDB, which
    has no execute wrappers (its connection's get_collection is wrapped instead)."""

    OPERATIONS = ("aggregate", "insert_many", "update_many", "delete_many", "bulk_write", "find")

    def __init__(self):
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)

    @contextlib.contextmanager
    def installed(self, connection):
        if connection.vendor != "mongodb":
            with connection.execute_wrapper(self):
                yield self
            return
        counter, original = self, connection.get_collection

        class Counted:
            def __init__(self, collection):
                self._collection = collection

            def __getattr__(self, name):
                attr = getattr(self._collection, name)
                if name not in counter.OPERATIONS:
                    return attr

                def counted(*args, **kwargs):
                    counter.n += 1
                    return attr(*args, **kwargs)

                return counted

        connection.get_collection = lambda name, **kwargs: Counted(original(name, **kwargs))
        try:
            yield self
        finally:
            del connection.get_collection


def _count_queries_per_stage(counter: _QueryCounter, per_stage: dict) -> None:
    """Wrap the engine's stage stopwatch so each stage also records its query count."""
    from operator_app import engine

    base = engine._Stopwatch

    class CountingStopwatch(base):
        def __call__(self, name):
            inner = base.__call__(self, name)

            class Stage:
                def __enter__(self):
                    self.before = counter.n
                    inner.__enter__()

                def __exit__(self, *exc):
                    inner.__exit__(*exc)
                    per_stage[name] = per_stage.get(name, 0) + counter.n - self.before

            return Stage()

    engine._Stopwatch = CountingStopwatch


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


def naive_llm(report) -> tuple[int, int]:
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


def naive_db_sample(keys: list[tuple[str, str]], counter: _QueryCounter) -> tuple[float, int]:
    """Upstream's per-model query set and write, for real, on `keys`: (seconds, queries)."""
    from django.db.models import Count, Max

    from lifecycle.models import BenchmarkError, BenchmarkResult, ModelStatus, ProviderCatalogEntry
    from registry.models import RegisteredModel

    since = AS_OF - timedelta(hours=168)
    before = counter.n
    started = time.perf_counter()
    for provider, model_id in keys:
        registry = RegisteredModel.objects.filter(provider=provider, model_id=model_id).values("enabled").first()
        runs = BenchmarkResult.objects.filter(provider=provider, model_name=model_id, run_ts__lte=AS_OF)
        window = runs.filter(run_ts__gte=since).aggregate(n=Count("id"), last=Max("run_ts"))
        last = runs.order_by("-run_ts").values_list("run_ts", flat=True).first()
        errors = list(BenchmarkError.objects.filter(provider=provider, model_name=model_id, ts__gte=since,
                                                    ts__lte=AS_OF).values("ts", "http_status", "message"))
        warnings = list(runs.filter(run_ts__gte=since, warnings__isnull=False).values_list("warnings", flat=True))
        listed = ProviderCatalogEntry.objects.filter(provider=provider, model_id=model_id).exists()
        ModelStatus.objects.filter(provider=provider, model_id=model_id).update(
            signals={"registry": registry, "window": window["n"], "last": str(last), "errors": len(errors),
                     "warnings": len(warnings), "listed": listed})
    return time.perf_counter() - started, counter.n - before


def _rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024


def measure(n: int, *, latency: float, naive_sample: int) -> dict:
    from django.db import connection
    from django.test.utils import override_settings

    from operator_app.engine import operator_run
    from tests.operator_app.fake_llm import FakeLLM

    _reset_operator_state()
    counter = _QueryCounter()
    stage_queries: dict = {}
    _count_queries_per_stage(counter, stage_queries)
    rss_before = _rss_kib()
    with counter.installed(connection), FakeLLM(_responder(latency)) as server, override_settings(
        OPENAI_API_KEY="bench-not-a-key", OPERATOR_LLM_BASE_URL=server.base_url, OPERATOR_LLM_MAX_RETRIES=0,
        OPERATOR_LLM_TIMEOUT=60.0, SIGNAL_WINDOW_HOURS=168, OPERATOR_LLM_DAILY_BUDGET_USD=None,
    ):
        started = time.perf_counter()
        report = operator_run(as_of=AS_OF)
        wall = time.perf_counter() - started
        queries = counter.n
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        first_stage_queries = dict(stage_queries)
        stage_queries.clear()
        started = time.perf_counter()
        rerun = operator_run(as_of=AS_OF)
        rerun_wall = time.perf_counter() - started
        rerun_queries = counter.n - queries
        # The rerun asks again about situations whose members the passes disabled. With the fleet
        # left alone (no unattended change between them), a third and a fourth pass show what an
        # unchanged rerun asks: the fourth must make no call.
        with override_settings(OPERATOR_AUTO_EXECUTE=False):
            operator_run(as_of=AS_OF)
            idle = operator_run(as_of=AS_OF)
        keys = [m.key for m in report.proposals]
        step = max(1, len(keys) // naive_sample)
        sample = keys[::step][:naive_sample]
        naive_s, naive_q = naive_db_sample(sample, counter)
    calls, tokens = naive_llm(report)
    analyzed = sum(len(s.members) for s in report.situations)
    per_model = naive_s / len(sample)
    return {
        "n": n, "vendor": connection.vendor, "wall_s": wall, "llm_wait_s": report.llm_calls * latency,
        "wall_no_llm_s": wall - report.llm_calls * latency, "timings": report.timings,
        "stage_queries": first_stage_queries, "queries": queries, "rerun_queries": rerun_queries,
        "rerun_stage_queries": dict(stage_queries), "rerun_s": rerun_wall,
        "rerun_new_decisions": rerun.decisions_created, "peak_rss_mib": peak_kib / 1024,
        "rerun_calls": rerun.llm_calls, "rerun_prompt_tokens": rerun.prompt_tokens, "rerun_cached": rerun.llm_cached,
        "idle_calls": idle.llm_calls, "idle_prompt_tokens": idle.prompt_tokens, "idle_cached": idle.llm_cached,
        "idle_situations": len(idle.situations),
        "rss_before_mib": rss_before / 1024, "analyzed": analyzed, "situations": len(report.situations),
        "calls": report.llm_calls, "prompt_tokens": report.prompt_tokens,
        "completion_tokens": report.completion_tokens, "cost": report.estimated_cost_usd,
        "fallbacks": report.fallbacks, "decisions": report.decisions_created, "counts": report.counts,
        "executed": len(report.executed), "naive_sample": len(sample), "naive_db_per_model_s": per_model,
        "naive_queries_per_model": naive_q / len(sample), "naive_db_s": per_model * n, "naive_calls": calls,
        "naive_tokens": tokens, "naive_llm_s": calls * latency,
    }


# --- driver ------------------------------------------------------------------------

def _one(args) -> None:
    """Child process: seed if asked (cached), or measure one N on one database."""
    url = _check_url(args.database_url)
    django_setup(url)
    import logging

    logging.getLogger("httpx2").setLevel(logging.WARNING)  # one INFO line per LLM request otherwise
    n = args.one
    if args.seed_only:
        if not is_seeded(n) or args.reseed:
            started = time.perf_counter()
            counts = seed(n)
            print(f"seeded {n:,} models: {counts['results']:,} results + {counts['errors']:,} errors in "
                  f"{time.perf_counter() - started:.1f}s; kinds {counts['kinds']}", file=sys.stderr)
        return
    if not is_seeded(n):
        sys.exit(f"{url} is not seeded for {n} models")
    print(json.dumps(measure(n, latency=args.latency, naive_sample=args.naive_sample)))


def _run_child(n: int, url: str, args, *, seed_only: bool) -> dict | None:
    cmd = [sys.executable, __file__, "--one", str(n), "--database-url", url, "--latency", str(args.latency),
           "--naive-sample", str(args.naive_sample)]
    if seed_only:
        cmd.append("--seed-only")
        if args.reseed:
            cmd.append("--reseed")
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True).stdout
    return None if seed_only else json.loads(out.strip().splitlines()[-1])


def _fmt_stages(values: dict, unit: str) -> str:
    order = ("collect", "triage", "reason", "policy", "persist", "execute")
    return " / ".join((f"{values.get(k, 0):.2f}" if unit == "s" else f"{values.get(k, 0)}") for k in order)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--backends", nargs="+", choices=sorted(URLS), default=["sqlite"])
    parser.add_argument("--database-url", help="one database for every N (reseeded when N changes)")
    parser.add_argument("--latency", type=float, default=0.5, help="fake LLM latency per call, seconds")
    parser.add_argument("--naive-sample", type=int, default=200, help="models the naive DB pipeline runs on")
    parser.add_argument("--reseed", action="store_true", help="seed again even if a cached database exists")
    parser.add_argument("--json", help="also write the raw results to this file")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        _one(args)
        return 0
    results = []
    print(f"# operator pass — {platform.python_implementation()} {platform.python_version()} on "
          f"{platform.machine()}, {os.cpu_count()} cores; fake LLM latency {args.latency:.2f}s/call")
    print("| DB | models | pass wall | wall w/o LLM wait | stages s (collect/triage/reason/policy/persist/execute) "
          "| queries pass (per stage) | rerun queries | peak RSS | situations | LLM calls | prompt tokens "
          "| rerun LLM calls / prompt tokens (answers reused) | unchanged rerun LLM calls / prompt tokens (reused) "
          "| naive: DB (measured×N) + LLM (calls×latency) | naive calls / tokens | ratio wall |")
    print("|---|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---|---|---|---|---:|")
    targets = [(backend, _url_template(backend)) for backend in args.backends] if not args.database_url else \
        [("url", args.database_url)]
    for backend, template in targets:
        for n in args.models:
            url = _check_url(template.format(n=n))
            _run_child(n, url, args, seed_only=True)
            r = _run_child(n, url, args, seed_only=False)
            results.append(r)
            naive_wall = r["naive_db_s"] + r["naive_llm_s"]
            print(f"| {r['vendor']} | {n:,} | {r['wall_s']:.1f} s | {r['wall_no_llm_s']:.1f} s | "
                  f"{_fmt_stages(r['timings'], 's')} | {r['queries']} ({_fmt_stages(r['stage_queries'], 'q')}) | "
                  f"{r['rerun_queries']} | {r['peak_rss_mib']:.0f} MiB | {r['situations']} | {r['calls']} | "
                  f"{r['prompt_tokens']:,} | {r['rerun_calls']} / {r['rerun_prompt_tokens']:,} ({r['rerun_cached']}) | "
                  f"{r['idle_calls']} / {r['idle_prompt_tokens']:,} ({r['idle_cached']} of {r['idle_situations']}) | "
                  f"{r['naive_db_s']:.1f} s + {r['naive_llm_s']:,.0f} s | "
                  f"{r['naive_calls']:,} / {r['naive_tokens']:,} | {naive_wall / r['wall_s']:.0f}× |", flush=True)
            print(f"  {r['vendor']} n={n}: analyzed {r['analyzed']:,}; decisions {r['decisions']} {r['counts']}; "
                  f"auto-executed {r['executed']}; fallbacks {r['fallbacks']}; rerun {r['rerun_s']:.1f}s "
                  f"({r['rerun_new_decisions']} new decisions, stage queries {r['rerun_stage_queries']}); naive "
                  f"{r['naive_queries_per_model']:.0f} queries and {r['naive_db_per_model_s'] * 1000:.1f} ms per "
                  f"model (sample {r['naive_sample']}); RSS before pass {r['rss_before_mib']:.0f} MiB",
                  file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
