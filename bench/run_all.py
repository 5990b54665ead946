#!/usr/bin/env python
"""Run every benchmark in sequence at modest sizes (what `make bench` runs).

    .venv/bin/python bench/run_all.py                 # discovery, collector 500/5,000, operator pass 500/5,000, admin
    .venv/bin/python bench/run_all.py --full          # also 50,000 models, and PostgreSQL when it answers

It only prints tables (markdown, as in bench/README.md); it rewrites nothing. Each
benchmark uses its own "bench" database under var/ (and llmops_bench_* on PostgreSQL),
so the dev and test databases are never touched. Exits non-zero if any benchmark does.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgres://postgres@127.0.0.1:5432"


def _postgres_answers() -> bool:
    try:
        import psycopg

        psycopg.connect(f"{POSTGRES}/postgres", connect_timeout=3).close()
        return True
    except Exception:
        return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="add 50,000 models and the PostgreSQL runs")
    args = parser.parse_args(argv)
    sizes = ["500", "5000", "50000"] if args.full else ["500", "5000"]
    backends = ["sqlite"] + (["postgres"] if args.full and _postgres_answers() else [])
    py, bench = sys.executable, ROOT / "bench"
    runs = [
        ("discovery", [py, bench / "discovery.py"]),
        ("redactor", [py, bench / "redactor.py"]),
        ("collector", [py, bench / "collector.py", "--database-url", "sqlite:///var/bench.sqlite3", "--models", *sizes]),
        ("operator pass", [py, bench / "operator_pass.py", "--models", *sizes, "--backends", *backends]),
        ("admin", [py, bench / "admin.py"]),
    ]
    if "postgres" in backends:
        runs.insert(2, ("collector (PostgreSQL)", [py, bench / "collector.py", "--database-url",
                                                   f"{POSTGRES}/llmops_bench", "--models", *sizes]))
        runs.append(("admin (PostgreSQL)", [py, bench / "admin.py", "--database-url", f"{POSTGRES}/llmops_bench_admin"]))
    failed = []
    for name, cmd in runs:
        print(f"\n## {name}\n", flush=True)
        started = time.perf_counter()
        rc = subprocess.run([str(c) for c in cmd], cwd=ROOT).returncode
        print(f"\n({name}: {time.perf_counter() - started:.0f} s, exit {rc})", file=sys.stderr, flush=True)
        if rc:
            failed.append(name)
    if failed:
        print(f"failed or missed a target: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
