#!/usr/bin/env python
"""Benchmark offline catalog matching: the full OpenRouter sample against the provider sample.

    .venv/bin/python bench/discovery.py                       # samples shipped with the tests
    .venv/bin/python bench/discovery.py --catalog F --provider-catalogs F --repeat 20

No database, no network, no LLM: it times exactly what
`manage.py match_catalog --catalog F --provider-catalogs F --no-llm --dry-run` does —
building the provider indexes and matching every entry. Target: ≤ 2 s for ~350 entries.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "discovery" / "data"
TARGET_SECONDS = 2.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--catalog", default=str(DATA / "openrouter_catalog_2025-12-02.json"))
    parser.add_argument("--provider-catalogs", default=str(DATA / "provider_catalogs_2025-12-02.json"))
    parser.add_argument("--repeat", type=int, default=10, help="timed runs (best and median are reported)")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmops.settings")
    import django

    django.setup()
    from discovery.catalog_files import catalog_entries, openrouter_catalog_load, provider_catalogs_load
    from discovery.matching import Matcher

    load_started = time.perf_counter()
    entries = catalog_entries(openrouter_catalog_load(args.catalog).entries)
    providers = provider_catalogs_load(args.provider_catalogs)
    load_time = time.perf_counter() - load_started
    catalogs = providers.catalogs()

    timings, results = [], []
    for _ in range(max(1, args.repeat)):
        started = time.perf_counter()
        results = Matcher(catalogs).match_all(entries, as_of=providers.as_of)
        timings.append(time.perf_counter() - started)

    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    pairs = sum(len(r.matches) for r in results)
    provider_ids = sum(len(c.model_ids) for c in catalogs.values())
    best, median = min(timings), statistics.median(timings)
    print(f"discovery matching — {platform.python_implementation()} {platform.python_version()} on "
          f"{platform.machine()}")
    print(f"  entries: {len(entries)}; provider catalogs: {len(catalogs)} ({provider_ids} IDs); "
          f"load+validate files: {load_time * 1000:.0f} ms")
    print(f"  match all (index build + {len(entries)} entries), {len(timings)} runs: "
          f"best {best * 1000:.1f} ms, median {median * 1000:.1f} ms, "
          f"{median / max(1, len(entries)) * 1e6:.0f} µs/entry")
    print("  outcome: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) +
          f"; {pairs} (entry, provider) matches")
    verdict = "OK" if median <= TARGET_SECONDS else "OVER TARGET"
    print(f"  target ≤ {TARGET_SECONDS:.0f} s: {verdict}")
    return 0 if median <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
