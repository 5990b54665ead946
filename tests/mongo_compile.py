"""Compile Django queries for MongoDB without a server.

The test suite runs on SQLite/PostgreSQL; this module records every query our apps
execute there and pushes each one through django-mongodb-backend's compiler, against a
fake collection that records the pipeline instead of sending it. A query MongoDB cannot
express raises (NotSupportedError and friends); queries that compile but are silently
wrong on MongoDB (see shared/docs/mongodb-notes.md) are rejected explicitly.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import Lookup
from django.db.models.sql import compiler as sql_compiler

MONGO_ALIAS = "mongo_compile"
CHECKED_APPS = frozenset({"llmops", "registry", "lifecycle", "operator_app", "discovery"})
_WRAPPED = (sql_compiler.SQLCompiler, sql_compiler.SQLInsertCompiler, sql_compiler.SQLUpdateCompiler)


def _kind_of(compiler) -> str:
    for cls, kind in (
        (sql_compiler.SQLInsertCompiler, "insert"),
        (sql_compiler.SQLUpdateCompiler, "update"),
        (sql_compiler.SQLDeleteCompiler, "delete"),
        (sql_compiler.SQLAggregateCompiler, "aggregate"),
    ):
        if isinstance(compiler, cls):
            return kind
    return "select"


class SilentlyWrongOnMongo(Exception):
    """The query compiles for MongoDB but would return wrong results there."""


@dataclass
class CompiledQuery:
    kind: str
    model: str
    operations: list = field(default_factory=list)  # (method, args) sent to the fake collection


class _Result:
    matched_count = 0
    deleted_count = 0

    def __init__(self, inserted_ids=()):
        self.inserted_ids = list(inserted_ids)


class _EmptyCursor:
    def __iter__(self):
        return self

    def __next__(self):
        raise StopIteration

    next = __next__


class FakeCollection:
    """Stands in for a pymongo collection: records each call and returns nothing."""

    def __init__(self, name, log):
        self.name = name
        self.log = log

    def aggregate(self, pipeline, **kwargs):
        self.log.append(("aggregate", self.name, pipeline))
        return _EmptyCursor()

    def insert_many(self, docs, **kwargs):
        self.log.append(("insert_many", self.name, docs))
        return _Result(inserted_ids=[doc.get("_id") for doc in docs])

    def update_many(self, criteria, pipeline, **kwargs):
        self.log.append(("update_many", self.name, (criteria, pipeline)))
        return _Result()

    def delete_many(self, criteria, **kwargs):
        self.log.append(("delete_many", self.name, criteria))
        return _Result()


def mongo_connection():
    """A django-mongodb-backend connection that is never opened."""
    if MONGO_ALIAS not in connections.settings:
        # configure_settings() fills in the defaults Django expects of an entry.
        connections.settings[MONGO_ALIAS] = connections.configure_settings(
            {
                "default": {
                    "ENGINE": "llmops.db.mongodb",
                    "NAME": "llmops_compile_check",
                    "HOST": "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=1",
                }
            }
        )["default"]
    return connections[MONGO_ALIAS]


def _check_silent_traps(query):
    if query.distinct_fields:
        raise SilentlyWrongOnMongo(
            f"distinct({', '.join(query.distinct_fields)}) compiles on MongoDB but groups by all fields"
        )
    for child in _iter_lookups(getattr(query, "where", None)):
        if child.lookup_name in ("contains", "contained_by") and (
            getattr(child.lhs, "output_field", None) is not None
            and child.lhs.output_field.get_internal_type() == "JSONField"
        ):
            raise SilentlyWrongOnMongo(f"JSONField __{child.lookup_name} is not supported on MongoDB")


def _iter_lookups(node):
    for child in getattr(node, "children", ()):
        if hasattr(child, "children"):
            yield from _iter_lookups(child)
        elif isinstance(child, Lookup):
            yield child


def compile_for_mongo(kind: str, query, result_type=None) -> CompiledQuery:
    """Compile one recorded query for MongoDB; raise if MongoDB cannot express it."""
    from django_mongodb_backend import compiler as mongo_compiler

    connection = mongo_connection()
    _check_silent_traps(query)
    log: list = []
    compiled = CompiledQuery(kind=kind, model=query.model._meta.label if query.model else "")
    mongo = query.get_compiler(connection=connection)
    original = mongo_compiler.SQLCompiler.collection
    mongo_compiler.SQLCompiler.collection = property(lambda self: FakeCollection(self.collection_name, log))
    try:
        if kind == "insert":
            mongo.execute_sql(returning_fields=None)
        elif kind in ("update", "delete"):
            mongo.execute_sql(sql_compiler.CURSOR)
        elif kind == "aggregate" or result_type == sql_compiler.SINGLE:
            mongo.execute_sql(sql_compiler.SINGLE)
        else:
            mongo.execute_sql(sql_compiler.MULTI)
    finally:
        mongo_compiler.SQLCompiler.collection = original
    compiled.operations = log
    return compiled


def _app_of(query) -> str | None:
    model = getattr(query, "model", None)
    return model._meta.app_label if model is not None else None


@contextlib.contextmanager
def record_queries(apps=CHECKED_APPS):
    """Record (kind, query clone, result_type) for every query our apps execute."""
    recorded: list[tuple[str, object, object]] = []
    originals = {}
    active: set[int] = set()  # compilers mid-execution (UPDATE calls SELECT's execute_sql)

    def wrap(cls):
        original = cls.__dict__["execute_sql"]

        def execute_sql(self, *args, **kwargs):
            outermost = id(self) not in active
            if outermost and self.connection.vendor != "mongodb" and _app_of(self.query) in apps:
                result_type = kwargs.get("result_type", args[0] if args else None)
                recorded.append((_kind_of(self), self.query.clone(), result_type))
            active.add(id(self))
            try:
                return original(self, *args, **kwargs)
            finally:
                if outermost:
                    active.discard(id(self))

        originals[cls] = original
        cls.execute_sql = execute_sql

    for cls in _WRAPPED:
        wrap(cls)
    try:
        yield recorded
    finally:
        for cls, original in originals.items():
            cls.execute_sql = original


def check_recorded(recorded) -> list[CompiledQuery]:
    """Compile every recorded query; the first that MongoDB cannot express raises."""
    results = []
    for kind, query, result_type in recorded:
        try:
            results.append(compile_for_mongo(kind, query, result_type))
        except Exception as exc:
            raise AssertionError(
                f"{kind} query on {query.model._meta.label} does not compile for MongoDB: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
    return results


class _RecordingCollection:
    """A real pymongo collection that also notes every aggregate pipeline sent through it."""

    def __init__(self, collection, log):
        self._collection = collection
        self._log = log

    def aggregate(self, pipeline, *args, **kwargs):
        self._log.append((self._collection.name, pipeline))
        return self._collection.aggregate(pipeline, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._collection, name)


@contextlib.contextmanager
def record_pipelines(using: str = "default", apps=CHECKED_APPS):
    """(collection, pipeline) of every aggregate our apps' queries are on MongoDB, on any backend.

    On MongoDB the pipelines the connection really sends; on SQLite/PostgreSQL the recorded
    queries compiled for MongoDB (the list fills when the block ends, the SQL having run).
    """
    pipelines: list[tuple[str, list]] = []
    connection = connections[using]
    if connection.vendor == "mongodb":
        # Every compiler takes its collection from the connection's get_collection.
        shadowed = connection.__dict__.get("get_collection")
        original = connection.get_collection
        connection.get_collection = lambda name, **kwargs: _RecordingCollection(original(name, **kwargs), pipelines)
        try:
            yield pipelines
        finally:
            if shadowed is None:
                del connection.get_collection
            else:
                connection.get_collection = shadowed
        return
    with record_queries(apps) as recorded:
        yield pipelines
    for compiled in check_recorded(recorded):
        pipelines.extend((name, pipeline) for method, name, pipeline in compiled.operations if method == "aggregate")


def correlated_lookups(pipeline) -> list[dict]:
    """Every `$lookup` with `let`/`pipeline` (a per-document subquery) anywhere in `pipeline`,
    including inside the sub-pipelines of `$lookup`, `$facet` and `$unionWith`."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            lookup = node.get("$lookup")
            if isinstance(lookup, dict) and ("let" in lookup or "pipeline" in lookup):
                found.append(lookup)
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for item in node:
                walk(item)

    walk(pipeline)
    return found
