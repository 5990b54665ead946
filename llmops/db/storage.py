"""What the database holds for llmops, and what `migrate` would change there (`check_database`), and
the idempotent step that ensures the collections we read by exist with their indexes.

On MongoDB both go through llmops's schema editor (llmops/db/mongodb/schema.py): the report runs
the pending migrations and the ensure step through it with `dry_run=True` (reads only), so it says
exactly what the real run would do. On SQLite/PostgreSQL the tables are llmops's own and come from
migrations alone: the report lists them and the pending migrations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.operations import RunPython, RunSQL, SeparateDatabaseAndState

from llmops.db.mongodb.schema import Step, StorageStep, describe_keys, runner_collections

WRITES = {Step.CREATE_COLLECTION, Step.CREATE_INDEX, Step.DROP_INDEX, Step.FILL_DEFAULT, Step.UNSET_FIELD,
          Step.DROP_COLLECTION, Step.RUN_DATA_STEP}
UNDECLARED_SAMPLE = 200  # documents read per collection to name the fields we do not declare


@dataclass
class IndexInfo:
    name: str
    keys: str
    unique: bool = False


@dataclass
class CollectionReport:
    name: str
    models: list[str]
    owner: str  # "runner" (never rewritten) or "llmops"
    exists: bool
    documents: int | None = None
    indexes: list[IndexInfo] = field(default_factory=list)
    # Our indexes on it: served (by which index) or missing (migrate/ensure creates them).
    wanted: list[StorageStep] = field(default_factory=list)
    undeclared: list[str] = field(default_factory=list)  # fields seen on documents that no model declares


@dataclass
class StorageReport:
    vendor: str
    database: str
    collections: list[CollectionReport]
    pending_migrations: list[str]
    migrate_steps: list[StorageStep]  # what `migrate` would do (MongoDB: the dry run of its operations)

    @property
    def missing(self) -> list[str]:
        return [c.name for c in self.collections if not c.exists]

    @property
    def changes(self) -> list[StorageStep]:
        """The steps of `migrate` that would write something."""
        return [s for s in self.migrate_steps if s.step in WRITES]

    @property
    def kept(self) -> list[StorageStep]:
        """Existing indexes under other names that `migrate` would leave serving ours."""
        kept = {(s.collection, s.name): s for s in self.migrate_steps
                if s.step == Step.INDEX_SERVED and s.served_by != s.name}
        return list(kept.values())


def _our_models():
    """The concrete, managed models of every installed app, one entry per table."""
    return [m for m in global_apps.get_models(include_auto_created=True)
            if m._meta.managed and not m._meta.proxy and not m._meta.swapped]


def read_models():
    """The runner's collections we read by: the ensure step's models."""
    runner = runner_collections()
    return [m for m in _our_models() if m._meta.db_table in runner]


def storage_ensure(*, models, using: str = DEFAULT_DB_ALIAS) -> list[StorageStep]:
    """Create each model's collection if absent and each of its indexes whose keys no index has yet.
    Idempotent; a no-op on SQL backends, where tables come from migrations alone."""
    connection = connections[using]
    if connection.vendor != "mongodb":
        return []
    with connection.schema_editor(quiet=True) as editor:
        for model in models:
            editor.create_model(model)
    return editor.steps


def _dry_apply(operations, migration, editor, state):
    """Apply migration operations through a dry-run editor (data migrations are named, not run)."""
    app_label = migration.app_label
    for operation in operations:
        if isinstance(operation, SeparateDatabaseAndState):
            _dry_apply(operation.database_operations, migration, editor, state.clone())
            for state_operation in operation.state_operations:
                state_operation.state_forwards(app_label, state)
            continue
        if isinstance(operation, (RunPython, RunSQL)):
            editor.steps.append(StorageStep("", Step.RUN_DATA_STEP, f"{app_label}.{migration.name}",
                                            note=operation.code.__name__ if isinstance(operation, RunPython) else "SQL"))
            continue
        before = state.clone()
        operation.state_forwards(app_label, state)
        operation.database_forwards(app_label, editor, before, state)


def _mongo_plan(connection, executor, plan) -> list[StorageStep]:
    # The state the pending migrations start from, built as `migrate` builds it.
    state = executor._create_project_state(with_applied_migrations=True)
    with connection.schema_editor(dry_run=True) as editor:
        for migration, _backwards in plan:
            _dry_apply(migration.operations, migration, editor, state)
        # migrate ends with the ensure step (lifecycle's post_migrate) over the final models.
        for model in read_models():
            editor.create_model(model)
    return editor.steps


def _mongo_collection(connection, name, models) -> CollectionReport:
    database = connection.database
    report = CollectionReport(name=name, models=[m._meta.label for m in models],
                              owner="runner" if name in runner_collections() else "llmops",
                              exists=bool(database.list_collection_names(filter={"name": name})))
    if report.exists:
        collection = database[name]
        report.documents = collection.estimated_document_count()
        report.indexes = [IndexInfo(index, describe_keys(info["key"]), bool(info.get("unique")))
                          for index, info in collection.index_information().items()]
        declared = {"_id"} | {f.column for m in models for f in m._meta.concrete_fields}
        seen: set[str] = set()
        for document in collection.find({}, limit=UNDECLARED_SAMPLE):
            seen.update(document)
        report.undeclared = sorted(seen - declared)
    with connection.schema_editor(dry_run=True) as editor:
        for model in models:
            editor._create_model_indexes(model)
    report.wanted = [s for s in editor.steps if s.step in (Step.INDEX_SERVED, Step.CREATE_INDEX, Step.INDEX_NAME_TAKEN)]
    return report


def _sql_collection(connection, name, models, tables) -> CollectionReport:
    report = CollectionReport(name=name, models=[m._meta.label for m in models],
                              owner="runner" if name in runner_collections() else "llmops", exists=name in tables)
    if report.exists:
        report.documents = models[0]._default_manager.using(connection.alias).count()
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, name)
        report.indexes = [IndexInfo(index, "(" + ", ".join(info["columns"] or []) + ")", bool(info.get("unique")))
                          for index, info in sorted(constraints.items()) if info.get("index") or info.get("unique")]
    return report


def storage_report(*, using: str = DEFAULT_DB_ALIAS) -> StorageReport:
    """Read-only: what exists, what is missing, which indexes serve our queries, what migrate would do."""
    connection = connections[using]
    by_table: dict[str, list] = {}
    for model in _our_models():
        by_table.setdefault(model._meta.db_table, []).append(model)
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    pending = [f"{m.app_label}.{m.name}" for m, _ in plan]
    if connection.vendor == "mongodb":
        collections = [_mongo_collection(connection, name, models) for name, models in sorted(by_table.items())]
        steps = _mongo_plan(connection, executor, plan)
    else:
        tables = set(connection.introspection.table_names())
        collections = [_sql_collection(connection, name, models, tables) for name, models in sorted(by_table.items())]
        steps = []
    return StorageReport(vendor=connection.vendor, database=str(connection.settings_dict.get("NAME", "")),
                         collections=collections, pending_migrations=pending, migrate_steps=steps)
