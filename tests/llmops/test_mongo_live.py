"""CRUD paths against a real MongoDB server; skipped unless MONGODB_URI is set.

MONGODB_URI must name a throwaway database (its collections are written), e.g.
MONGODB_URI=mongodb://127.0.0.1:27017/llmops_live_test make test
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MONGODB_URI = os.environ.get("MONGODB_URI", "")

pytestmark = [
    pytest.mark.mongo_live,
    pytest.mark.skipif(not MONGODB_URI, reason="MONGODB_URI not set: live MongoDB suite skipped"),
]

CRUD_SCRIPT = r"""
import django, os
django.setup()
from bson import ObjectId
from django.db import connection
from registry.models import RegisteredModel
from lifecycle.models import BenchmarkError
from operator_app.models import Decision, OperatorRun
from lifecycle.demo import seed_demo

seed_demo(); seed_demo()
# documents written by someone else (ObjectId _id, undeclared fields) are found by pk
raw = connection.get_collection("models")
oid = ObjectId()
raw.insert_one({"_id": oid, "provider": "live", "model_id": "m1", "enabled": True, "deprecated": False,
                "disabled_reason": "", "disabled_by": "", "disabled_class": "", "display_name": "",
                "benchmark_config": {"max_tokens": 64}})
row = RegisteredModel.objects.get(pk=str(oid))
row.enabled = False
row.save()
doc = raw.find_one({"_id": oid})
assert doc["enabled"] is False and doc["benchmark_config"] == {"max_tokens": 64}, doc
run = OperatorRun.objects.create()
d = Decision.objects.create(run=run, provider="live", model_id="m1", action="disable")
assert isinstance(connection.get_collection("operator_decisions").find_one({"_id": ObjectId(d.pk)})["run_id"], ObjectId)
assert Decision.objects.select_related("run").get(pk=d.pk).run.pk == run.pk
assert Decision.objects.filter(pk=d.pk, status="pending").update(status="approved") == 1
assert Decision.objects.filter(pk=d.pk, status="pending").update(status="approved") == 0
assert BenchmarkError.objects.filter(provider="deepinfra").count() > 0
raw.delete_one({"_id": oid})
print("LIVE-OK")
"""


def _run(*args):
    env = {**os.environ, "DATABASE_URL": MONGODB_URI}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["DJANGO_SETTINGS_MODULE"] = "llmops.settings"
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_it_migrates_and_runs_crud_paths_on_a_real_server():
    migrate = _run("manage.py", "migrate", "--noinput")
    assert migrate.returncode == 0, migrate.stderr
    crud = _run("-c", CRUD_SCRIPT)
    assert crud.returncode == 0, crud.stderr
    assert "LIVE-OK" in crud.stdout
