#!/usr/bin/env python
"""Benchmark the decisions admin: changelist queries at 1k/10k/100k rows, bulk approve of 1,000.

    .venv/bin/python bench/admin.py                                   # SQLite, var/bench_admin.sqlite3
    .venv/bin/python bench/admin.py --database-url postgres://postgres@127.0.0.1:5432/llmops_bench_admin

It fills the decisions collection in steps (1,000, then 10,000, then 100,000 rows: a
third pending, the rest reviewed; 10,000 models with model_status rows), and at each
size renders the changelist (Django test Client, logged-in superuser; unfiltered, the
pending filter, and a search) counting queries with CaptureQueriesContext — the count
must be the same at every size. Then it times approving 1,000 pending decisions through
operator_app.services.decisions_approve, and through the admin action (confirmation
POSTs, at most llmops.lib.admin_actions.MAX_BATCH per request). Targets: constant
changelist queries; bulk approve of 1,000 ≤ 2 s. The database name must contain "bench".
"""

from __future__ import annotations

import sys

_HERE = __file__.rpartition("/")[0] or "."
sys.path[:] = [p for p in sys.path if p not in ("", ".", _HERE) and not p.rstrip("/").endswith("/bench")]

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from datetime import timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_operator_pass", Path(__file__).with_name("operator_pass.py"))
op = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(op)

SIZES = (1_000, 10_000, 100_000)
MODELS = 10_000
APPROVE = 1_000
TARGET_APPROVE_S = 2.0


def _fill(start: int, stop: int, rng: random.Random) -> None:
    from operator_app.models import Decision

    ins = op._Inserter(Decision)
    rows = []
    for i in range(start, stop):
        provider = op.PROVIDERS[i % len(op.PROVIDERS)]
        status = "pending" if i % 3 == 0 else rng.choice(("auto_executed", "rejected", "superseded", "approved"))
        action = "disable" if i % 4 == 0 else "monitor"
        rows.append(ins.prep(
            id=f"d{i:023x}", provider=provider, model_id=f"{provider}-model-{i % MODELS:06d}", action=action,
            confidence=round(rng.uniform(0.4, 0.99), 2), reasoning="404 model_not_found for 60h; absent from the "
            "complete catalog", suggested_at=op.AS_OF - timedelta(minutes=i), suggested_by="llm", status=status,
            error_class="hard_model" if action == "disable" else "rate_limit", lifecycle_status="failing",
            evidence={"model": {"runs": 56, "failures": 20}}, evidence_hash=f"{i:064x}",
            auto_execute=False, auto_execute_reason="needs review: confidence below 0.95",
            proposed_change={"change": "disable", "disabled_class": "hard_model"} if action == "disable" else {},
        ))
        if len(rows) >= 20_000:
            ins.insert(rows)
            rows = []
    ins.insert(rows)


def _seed_base() -> None:
    from django.contrib.auth import get_user_model

    from lifecycle.models import ModelStatus
    from operator_app.models import Decision, OperatorRun
    from registry.models import AuditLog, RegisteredModel

    for model in (AuditLog, Decision, OperatorRun, ModelStatus, RegisteredModel):
        model.objects.all()._raw_delete(model.objects.db)
    reg, status = op._Inserter(RegisteredModel), op._Inserter(ModelStatus)
    keys = [(op.PROVIDERS[i % len(op.PROVIDERS)], i) for i in range(MODELS)]
    reg.insert([reg.prep(id=f"a{i:023x}", provider=p, model_id=f"{p}-model-{i:06d}", created_at=op.AS_OF)
                for p, i in keys])
    status.insert([status.prep(id=f"f{i:023x}", provider=p, model_id=f"{p}-model-{i:06d}", lifecycle_status="failing",
                               signals={"runs": 56}, computed_at=op.AS_OF) for p, i in keys])
    User = get_user_model()
    User.objects.filter(username="bench-admin").delete()
    return User.objects.create_superuser("bench-admin", "bench@example.invalid", "bench-not-a-password")


def _render(client, url: str) -> tuple[int, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries), elapsed, len(response.content)


def _pending_ids(n: int) -> list[str]:
    from operator_app.models import Decision

    return list(Decision.objects.filter(status="pending").order_by("pk").values_list("pk", flat=True)[:n])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="sqlite:///var/bench_admin.sqlite3")
    args = parser.parse_args(argv)
    url = op._check_url(args.database_url)
    op.django_setup(url)
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    from llmops.lib.admin_actions import MAX_BATCH, confirm_token
    from operator_app.models import Decision
    from operator_app.services import decisions_approve
    from registry.models import AuditLog
    from registry.services import Actor

    setup_test_environment()  # the test Client needs testserver in ALLOWED_HOSTS
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    rng = random.Random(7)
    user = _seed_base()
    client = Client()
    client.force_login(user)
    changelist = reverse("admin:operator_app_decision_changelist")
    views = {"all": changelist, "pending": changelist + "?status__exact=pending",
             "search": changelist + "?q=openai-model-0001"}
    print(f"# admin benchmark on {connection.vendor} ({url}); {platform.python_implementation()} "
          f"{platform.python_version()} on {platform.machine()}")
    print("| decisions | changelist queries (all / pending / search) | render time (all / pending / search) |")
    print("|---:|---|---|")
    done, counts = 0, set()
    for size in SIZES:
        _fill(done, size, rng)
        done = size
        figures = {name: _render(client, u) for name, u in views.items()}
        _render(client, changelist)  # warm: the first render also loads templates
        figures = {name: _render(client, u) for name, u in views.items()}
        counts.add(tuple(f[0] for f in figures.values()))
        print(f"| {size:,} | {' / '.join(str(f[0]) for f in figures.values())} | "
              f"{' / '.join(f'{f[1] * 1000:.0f} ms' for f in figures.values())} |", flush=True)

    ids = _pending_ids(APPROVE)
    actor = Actor.for_user(user)
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        outcomes = decisions_approve(decision_ids=ids, actor=actor, note="bench")
        service_s = time.perf_counter() - started
    assert sum(o.claimed for o in outcomes) == len(ids) == APPROVE, "not every decision was claimed"
    service_q = len(ctx.captured_queries)
    again = decisions_approve(decision_ids=ids, actor=actor, note="bench")
    assert not any(o.claimed for o in again), "a second approval claimed something"

    ids = _pending_ids(APPROVE)
    per_post = min(MAX_BATCH, APPROVE)
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        posts = 0
        for start in range(0, len(ids), per_post):
            batch = ids[start:start + per_post]
            # The token the confirmation page would carry (rendering that page is not what is measured).
            token = confirm_token(user=user, action="approve_decisions", ids=batch)
            response = client.post(changelist, {"action": "approve_decisions", "_selected_action": batch,
                                                "confirm": "yes", "confirm_token": token, "reason": "bench"})
            assert response.status_code == 302, response.status_code
            posts += 1
        admin_s = time.perf_counter() - started
    admin_q = len(ctx.captured_queries)
    approved = Decision.objects.filter(pk__in=ids, status="approved").count()
    assert approved == len(ids), (approved, len(ids))
    audits = AuditLog.objects.filter(action="approve_decision").count()
    print()
    print("| bulk approve of 1,000 pending decisions | wall | queries |")
    print("|---|---:|---:|")
    print(f"| `services.decisions_approve` | {service_s:.2f} s | {service_q} |")
    print(f"| admin action, {posts} confirmation POST(s) of ≤ {per_post} | {admin_s:.2f} s | {admin_q} |")
    print(f"  audit rows written: {audits} (one per approval); rerun of the same ids claimed nothing",
          file=sys.stderr)
    ok = len(counts) == 1 and service_s <= TARGET_APPROVE_S and admin_s <= TARGET_APPROVE_S
    if len(counts) != 1:
        print(f"changelist query count varied with size: {sorted(counts)}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
