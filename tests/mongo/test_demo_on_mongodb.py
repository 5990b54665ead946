"""`make demo` on a fresh MongoDB database tells the same story as on SQLite: the same pass (every
decision, every unattended disable), the same discovery and the same summary. Runs the commands a
user types, on both databases; needs a MongoDB server (MONGODB_URI: `make test-mongo-ci`)."""

import os
import re
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.uri_parser import parse_uri

from lifecycle.demo import FLEET, LIFECYCLE_FLEET

ROOT = Path(__file__).resolve().parents[2]
MONGODB_URI = os.environ.get("MONGODB_URI", "")
CATALOG = "tests/discovery/data/openrouter_catalog_2025-12-02.json"
# The Makefile's `demo` target, step by step, at one moment for both databases (a run that
# straddles an hour would otherwise seed two different demo histories).
AS_OF = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0).isoformat()
DEMO = [("migrate", "--noinput", "-v0"), ("seed_demo", "--admin", "--lifecycle", "--as-of", AS_OF),
        ("run_operator", "--no-llm", "--as-of", AS_OF), ("fetch_openrouter", "--file", CATALOG),
        ("match_catalog", "--no-llm"), ("recheck_models",), ("demo_summary",)]

pytestmark = [
    pytest.mark.mongo,
    pytest.mark.skipif(not MONGODB_URI, reason="MONGODB_URI not set: needs a MongoDB server (make test-mongo-ci)"),
]


def _demo(url) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "llmops.settings"}
    outputs = {}
    for command in DEMO:
        done = subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, f"{command} on {url.split(':')[0]} failed:\n{done.stdout}\n{done.stderr}"
        # Timings, run ids and the clock of a command without --as-of differ from one run to the
        # next; nothing else may.
        outputs[command[0]] = re.sub(r"timings: .*|\b[0-9a-f]{24}\b|\d+\.\d+s|as of \d{4}-\d\d-\d\d \d\d:\d\d UTC",
                                     "…", done.stdout)
    return outputs


@pytest.fixture
def mongo_url():
    name = f"demo_{uuid.uuid4().hex[:10]}"
    host, port = parse_uri(MONGODB_URI)["nodelist"][0]
    yield f"mongodb://{host}:{port}/{name}"
    with MongoClient(host, port, serverSelectionTimeoutMS=5000) as client:
        client.drop_database(name)


def test_it_tells_the_same_demo_story_on_mongodb_as_on_sqlite(tmp_path, mongo_url):
    on_sqlite = _demo(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    on_mongodb = _demo(mongo_url)
    assert f"registry:      {len(FLEET) + len(LIFECYCLE_FLEET)} models" in on_sqlite["demo_summary"]
    for command in ("run_operator", "match_catalog", "recheck_models", "demo_summary"):
        assert on_mongodb[command] == on_sqlite[command], f"{command} differs on MongoDB"
