"""The SecantusDB launcher changes exactly the two deviations it is for, and nothing else.

Two servers from the SecantusDB venv: one through tests/mongo/secantus_launcher.py (patched), one
plain `secantusd-py` (unpatched). The expected documents in (a), (b) and (d) are what mongod 8.x
answers (nested fields in `$project` / `$addFields` / `$set` are dotted paths); (c) runs
pipelines without such nesting on both servers and requires identical results.

Skipped when the SecantusDB venv is missing (`make secantus` builds it); a failure instead when
REQUIRE_MONGO=1 (CI).
"""

from __future__ import annotations

import copy
import os
import subprocess
import time
from pathlib import Path

import pymongo
import pytest

from tests.mongo import secantus_launcher, serve

pytestmark = pytest.mark.mongo

SECANTUS_PYTHON = Path(os.environ.get("SECANTUS_PYTHON", str(serve.DEFAULT_PYTHON)))

DOC = {"_id": 1, "a": {"b": 2, "c": 3, "d": {"e": 5, "f": 6}}, "x": "hi", "n": 4,
       "arr": [{"b": 1, "c": 2}, {"b": 3}]}
OTHER = {"_id": 2, "a": {"b": 7, "c": 8}, "x": "yo", "n": 1, "arr": []}
RUNS = [{"_id": 10, "doc_id": 1, "status": "ok", "meta": {"k": 1, "j": 2}},
        {"_id": 11, "doc_id": 2, "status": "failed", "meta": {"k": 3, "j": 4}}]


def _require_secantus():
    if SECANTUS_PYTHON.exists():
        return
    message = f"SecantusDB venv missing ({SECANTUS_PYTHON}; `make secantus` builds it)"
    if os.environ.get("REQUIRE_MONGO") == "1":
        pytest.fail(f"{message}, and REQUIRE_MONGO=1", pytrace=False)
    pytest.skip(message)


def _start(tmp_path_factory, name, argv):
    _require_secantus()
    port = serve.free_port()
    log = tmp_path_factory.mktemp(name) / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([*argv, "--host", "127.0.0.1", "--port", str(port), "--storage-path", ":memory:"],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not serve.hello_ok(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            serve.stop(proc)
            pytest.fail(f"{name} did not start; log:\n{serve.tail(log)}", pytrace=False)
        time.sleep(0.2)
    client = pymongo.MongoClient(f"mongodb://127.0.0.1:{port}/", serverSelectionTimeoutMS=5000)
    db = client["launcher_test"]
    db.docs.insert_many([copy.deepcopy(DOC), copy.deepcopy(OTHER)])
    db.runs.insert_many(copy.deepcopy(RUNS))
    return proc, client, db


@pytest.fixture(scope="module")
def patched(tmp_path_factory):
    proc, client, db = _start(tmp_path_factory, "patched",
                              [str(SECANTUS_PYTHON), str(Path(secantus_launcher.__file__))])
    yield db
    client.close()
    serve.stop(proc)


@pytest.fixture(scope="module")
def unpatched(tmp_path_factory):
    proc, client, db = _start(tmp_path_factory, "unpatched", [str(SECANTUS_PYTHON.with_name("secantusd-py"))])
    yield db
    client.close()
    serve.stop(proc)


def one(db, *stages):
    return list(db.docs.aggregate([{"$match": {"_id": 1}}, *stages]))


# (a) $project: a nested object of plain keys is a dotted path per leaf -------------------------

def test_nested_project_inclusion_keeps_only_the_named_subfield(patched, unpatched):
    assert one(patched, {"$project": {"a": {"b": 1}}}) == [{"_id": 1, "a": {"b": 2}}]
    # the deviation being fixed: unpatched SecantusDB returned the spec as a literal
    assert one(unpatched, {"$project": {"a": {"b": 1}}}) == [{"_id": 1, "a": {"b": 1}}]
    assert one(patched, {"$project": {"_id": 0, "a": {"d": {"e": 1}}, "x": 1}}) == [{"a": {"d": {"e": 5}}, "x": "hi"}]
    # over an array of documents an inclusion keeps the field in each element
    assert one(patched, {"$project": {"arr": {"b": 1}}}) == [{"_id": 1, "arr": [{"b": 1}, {"b": 3}]}]


def test_nested_project_exclusion_removes_only_the_named_subfield(patched):
    assert one(patched, {"$project": {"a": {"b": 0, "d": {"f": 0}}}}) == [
        {"_id": 1, "a": {"c": 3, "d": {"e": 5}}, "x": "hi", "n": 4, "arr": [{"b": 1, "c": 2}, {"b": 3}]}
    ]


def test_nested_project_expression_leaf_is_computed(patched):
    assert one(patched, {"$project": {"a": {"b": 1, "z": "$x", "w": {"$add": ["$n", 1]}}}}) == [
        {"_id": 1, "a": {"b": 2, "z": "hi", "w": 5}}
    ]


def test_values_list_across_a_join_shape(patched, unpatched):
    """What django-mongodb-backend sends for values_list("status", "run__status") over a FK."""
    pipeline = [
        {"$lookup": {"from": "runs", "localField": "_id", "foreignField": "doc_id", "as": "runs"}},
        {"$unwind": "$runs"},
        {"$project": {"x": 1, "runs": {"status": 1, "kk": "$runs.meta.k"}}},
        {"$sort": {"_id": 1}},
    ]
    want = [{"_id": 1, "x": "hi", "runs": {"status": "ok", "kk": 1}},
            {"_id": 2, "x": "yo", "runs": {"status": "failed", "kk": 3}}]
    assert list(patched.docs.aggregate(pipeline)) == want
    assert list(unpatched.docs.aggregate(pipeline)) != want


# (b) $addFields / $set: a nested object merges into the existing sub-document ------------------

def test_nested_add_fields_merges_into_the_subdocument(patched, unpatched):
    merged = {"b": 2, "c": 1, "d": {"e": 5, "f": 6}}
    assert one(patched, {"$addFields": {"a": {"c": 1}}})[0]["a"] == merged
    assert one(patched, {"$set": {"a": {"c": 1}}})[0]["a"] == merged
    assert one(patched, {"$addFields": {"a": {"d": {"e": 9}, "g": "$x"}}})[0]["a"] == {
        "b": 2, "c": 3, "d": {"e": 9, "f": 6}, "g": "hi"
    }
    assert one(unpatched, {"$addFields": {"a": {"c": 1}}})[0]["a"] == {"c": 1}  # the deviation
    # a field that is not there yet is created, as with a dotted path
    assert one(patched, {"$addFields": {"new": {"k": "$n"}}})[0]["new"] == {"k": 4}


def test_pipeline_update_set_merges_too(patched):
    """update_many(filter, [{"$set": ...}]) runs the same stage handler (django's QuerySet.update)."""
    patched.docs.insert_one({"_id": 99, "a": {"b": 1, "c": 2}})
    try:
        patched.docs.update_one({"_id": 99}, [{"$set": {"a": {"c": 5}}}])
        assert patched.docs.find_one({"_id": 99}) == {"_id": 99, "a": {"b": 1, "c": 5}}
    finally:
        patched.docs.delete_one({"_id": 99})


# (c) pipelines without such nesting answer the same with and without the patch -----------------

FLAT_PIPELINES = [
    [{"$project": {"a.b": 1}}],
    [{"$project": {"a.b": 0, "arr": 0}}],
    [{"$project": {"_id": 0, "x": 1, "y": "$a.c", "s": {"$concat": ["$x", "!"]}}}],
    [{"$project": {"lit": {"$literal": {"b": 1}}, "obj": {"$mergeObjects": ["$a", {"z": 1}]}}}],
    [{"$addFields": {"a.c": 10, "m": {"$multiply": ["$n", 2]}}}],
    [{"$set": {"x": {"$toUpper": "$x"}}}, {"$unset": "arr"}],
    [{"$addFields": {"a": "$x"}}],
    [{"$addFields": {"a": {}}}],
    [{"$group": {"_id": None, "total": {"$sum": "$n"}, "xs": {"$push": "$x"}}}],
    [{"$sort": {"n": 1}}, {"$limit": 1}],
    [{"$lookup": {"from": "runs", "localField": "_id", "foreignField": "doc_id", "as": "r"}},
     {"$unwind": "$r"}, {"$project": {"r.status": 1, "r.meta.k": 1}}],
    [{"$lookup": {"from": "runs", "let": {"id": "$_id"}, "as": "r",
                  "pipeline": [{"$match": {"$expr": {"$eq": ["$doc_id", "$$id"]}}}, {"$project": {"status": 1}}]}}],
    [{"$facet": {"big": [{"$match": {"n": {"$gt": 2}}}], "count": [{"$count": "c"}]}}],
]


@pytest.mark.parametrize("pipeline", FLAT_PIPELINES, ids=lambda p: " ".join(next(iter(s)) for s in p))
def test_flat_pipelines_are_unchanged(patched, unpatched, pipeline):
    pipeline = pipeline + ([{"$sort": {"_id": 1}}] if "$group" not in pipeline[0] and "$facet" not in pipeline[0] else [])
    assert list(patched.docs.aggregate(pipeline)) == list(unpatched.docs.aggregate(pipeline))


def test_flat_specs_reach_secantus_as_the_same_object():
    spec = {"a.b": 1, "x": {"$concat": ["$x", "!"]}, "l": {"$literal": {"b": 1}}, "e": {}}
    assert secantus_launcher.dotted_spec(spec) is spec


# (d) operator objects are left alone ---------------------------------------------------------

def test_operator_objects_are_untouched(patched, unpatched):
    for stage in ({"$project": {"x": {"$concat": ["$x", "!"]}}},
                  {"$addFields": {"x": {"$concat": ["$x", "!"]}}},
                  {"$project": {"a": {"$literal": {"b": 1}}}},
                  {"$addFields": {"a": {"$literal": {"c": 1}}}}):
        assert one(patched, stage) == one(unpatched, stage)
    assert one(patched, {"$project": {"x": {"$concat": ["$x", "!"]}}}) == [{"_id": 1, "x": "hi!"}]
    assert one(patched, {"$addFields": {"a": {"$literal": {"c": 1}}}})[0]["a"] == {"c": 1}
    # an operator expression as a leaf under a nested path stays an expression
    assert secantus_launcher.dotted_spec({"y": {"x": {"$concat": ["$a.b", "!"]}}}) == {
        "y.x": {"$concat": ["$a.b", "!"]}
    }


def test_dotted_spec_rules():
    assert secantus_launcher.dotted_spec({"a": {"b": 1, "c": {"d": 0}}, "e": 1}) == {"a.b": 1, "a.c.d": 0, "e": 1}
    # mixed operator/plain keys are invalid on mongod: passed on for SecantusDB to reject
    mixed = {"a": {"$add": [1, 2], "b": 1}}
    assert secantus_launcher.dotted_spec(mixed) is mixed
    # two spellings of one path (a collision mongod rejects): passed on as written
    collision = {"a.b": 1, "a": {"b": 0}}
    assert secantus_launcher.dotted_spec(collision) is collision


# the launcher refuses a SecantusDB it was not written against ---------------------------------

def test_launcher_refuses_another_secantus_version(tmp_path):
    _require_secantus()
    fake = tmp_path / "secantus"
    fake.mkdir()
    (fake / "__init__.py").write_text('__version__ = "0.8.0"\n')
    (fake / "aggregate.py").write_text("")
    result = subprocess.run(
        [str(SECANTUS_PYTHON), str(Path(secantus_launcher.__file__)), "--port", "1"],
        env={**os.environ, "PYTHONPATH": str(tmp_path)}, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 3, result.stderr
    assert "refusing to start: SecantusDB 0.8.0 is installed" in result.stderr
