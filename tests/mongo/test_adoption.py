"""Installing llmops onto the benchmark service's existing MongoDB, as its operator would: look
first (`check_database`), `migrate` (twice), a pass that disables the decommissioned model
unattended, and a revert. Everything the runner owns is as it was; on the shared collections only
the fields llmops declares change. Runs on a MongoDB server only (MONGODB_URI: `make test-mongo-ci`
starts SecantusDB), in a database of its own, through the commands a user types."""

import os
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from bson import ObjectId
from pymongo import MongoClient
from pymongo.uri_parser import parse_uri

from tests.mongo import existing_db

ROOT = Path(__file__).resolve().parents[2]
MONGODB_URI = os.environ.get("MONGODB_URI", "")

pytestmark = [
    pytest.mark.mongo,
    pytest.mark.skipif(not MONGODB_URI, reason="MONGODB_URI not set: needs a MongoDB server (make test-mongo-ci)"),
]

# What llmops declares on the shared collections: the only fields it may change there.
OURS = {
    "models": {"provider", "model_id", "display_name", "enabled", "deprecated", "disabled_reason", "disabled_at",
               "disabled_by", "disabled_class", "recheck_after", "created_at"},
    "model_status": {"provider", "model_id", "lifecycle_status", "signals", "computed_at", "operator_decision"},
}


@pytest.fixture
def existing():
    """A fresh database on the server, shaped like production; dropped afterwards."""
    name = f"adopt_{uuid.uuid4().hex[:10]}"
    parsed = parse_uri(MONGODB_URI)
    host, port = parsed["nodelist"][0]
    client = MongoClient(host, port, serverSelectionTimeoutMS=5000)
    database = client[name]
    existing_db.build(database, now=datetime.now(timezone.utc))
    yield f"mongodb://{host}:{port}/{name}", database
    client.drop_database(name)
    client.close()


def _manage(url, *args):
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "llmops.settings",
           "BENCHMARK_RESULTS_COLLECTION": existing_db.RESULTS, "BENCHMARK_ERRORS_COLLECTION": existing_db.ERRORS}
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_it_adopts_the_existing_database_and_leaves_what_it_does_not_own_as_it_was(existing):
    url, database = existing
    before = existing_db.snapshot(database)
    collections_before = sorted(database.list_collection_names())

    # Look first: a read-only report of what is there and what migrate would do.
    report = _manage(url, "check_database")
    assert existing_db.snapshot(database) == before and sorted(database.list_collection_names()) == collections_before
    assert f"{existing_db.RESULTS} (runner): {before[existing_db.RESULTS]['count']} documents" in report
    assert "latency_ms" in report and "benchmark_config" in report and "runner_health" in report  # undeclared fields
    assert "operator_runs (llmops): missing" in report
    assert f"{existing_db.ERRORS}: errors_model_ts_idx {{provider: 1, model_name: 1, ts: 1}} as " \
           "provider_1_model_name_1_ts_1" in report
    assert f"{existing_db.RESULTS}: results_run_ts_idx {{run_ts: 1}} as run_ts_-1" in report  # the reverse serves
    assert f"{existing_db.RESULTS}: create index results_model_run_ts_idx" in report
    assert "models: fill default where missing disabled_reason (5 documents)" in report

    _manage(url, "migrate", "--noinput")
    again = _manage(url, "migrate", "--noinput")
    assert "No migrations to apply" in again
    assert "migrate would change nothing" in _manage(url, "check_database")

    # A pass: the model that has answered 404 for nine days is disabled unattended.
    _manage(url, "run_operator", "--no-llm")
    dead = database["models"].find_one({"model_id": existing_db.DEAD})
    assert dead["enabled"] is False and dead["disabled_class"] == "hard_model"
    assert all(database["models"].find_one({"model_id": m})["enabled"] for m in existing_db.HEALTHY)
    audit = database["operator_audit_log"].find_one({"model_id": existing_db.DEAD, "action": "disable"})
    assert audit is not None

    # A human reverts it: enabled again, through the audited compare-and-swap path.
    _manage(url, "revert_change", str(audit["_id"]), "--reason", "the runner's key was wrong")
    assert database["models"].find_one({"model_id": existing_db.DEAD})["enabled"] is True

    after = existing_db.snapshot(database)
    for name in (existing_db.RESULTS, existing_db.ERRORS):
        # The runner's collections: every index, document and field as before; ours added beside them.
        assert after[name]["documents"] == before[name]["documents"], f"{name}: a runner document changed"
        for index, spec in before[name]["indexes"].items():
            assert after[name]["indexes"].get(index) == spec, f"{name}: runner index {index} changed"
    assert set(after[existing_db.RESULTS]["indexes"]) - set(before[existing_db.RESULTS]["indexes"]) == {
        "results_model_run_ts_idx"}  # the only one no runner index served
    assert set(after[existing_db.ERRORS]["indexes"]) - set(before[existing_db.ERRORS]["indexes"]) == {
        "errors_ts_idx", "errors_timestamp_idx"}
    for name in existing_db.SHARED:
        assert after[name]["count"] == before[name]["count"], f"{name}: documents added or lost"
        for index, spec in before[name]["indexes"].items():
            assert after[name]["indexes"].get(index) == spec, f"{name}: index {index} changed"
        for pk, document in before[name]["documents"].items():
            kept = after[name]["documents"][pk]
            theirs = {k: v for k, v in document.items() if k not in OURS[name]}
            assert {k: kept.get(k) for k in theirs} == theirs, f"{name} {pk}: a field llmops does not own changed"
    # And the identity of every shared document is the one the benchmark service gave it.
    assert all(isinstance(pk, ObjectId) for pk in after["models"]["documents"])
