"""A schema editor that installs llmops onto the benchmark service's existing MongoDB.

Production already holds `models`, `model_status` and the runner's results and errors
collections, with their own indexes and fields we do not declare. django-mongodb-backend's editor
assumes an empty database: `create_collection` raises on a collection that exists, an index whose
key pattern exists under another name fails with code 85, and adding or removing a field rewrites
every document. This editor:

- creates a collection only if it is absent, and an index only if no index with the same key
  pattern (or its exact reverse, which serves the same queries) exists, whatever its name; code
  85/86 from a concurrent creator is tolerated too;
- when a field is added, writes its default only into documents that lack the field, so a value
  already there (another writer's) survives;
- never rewrites, drops or renames the runner's collections (`settings.RUNNER_COLLECTIONS`): on
  them a migration may add an index, nothing else; renaming one of their fields is refused;
- drops an index only if one of that name exists (it may have been skipped as already served);
- with `dry_run=True`, reads the database but writes nothing, and records what it would do, which
  is how `check_database` says what `migrate` would change.

Every step lands in `self.steps` (typed, for the report) and in the `llmops.db` log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum

from django.conf import settings
from django.db import NotSupportedError
from django.db.models import Index
from django_mongodb_backend.fields import EmbeddedModelField
from django_mongodb_backend.schema import DatabaseSchemaEditor as MongoSchemaEditor
from django_mongodb_backend.schema import ignore_embedded_models
from pymongo import IndexModel
from pymongo.errors import OperationFailure

logger = logging.getLogger("llmops.db")

# IndexOptionsConflict (same keys, other name or options) and IndexKeySpecsConflict (same name,
# other keys): the index we asked for is already there in some form; never fail a migration on it.
INDEX_CONFLICT_CODES = {85, 86}


class Step(str, Enum):
    CREATE_COLLECTION = "create collection"
    ADOPT_COLLECTION = "adopt existing collection"
    CREATE_INDEX = "create index"
    INDEX_SERVED = "index already served"
    INDEX_NAME_TAKEN = "index name taken by other keys"
    DROP_INDEX = "drop index"
    NO_INDEX_TO_DROP = "no such index to drop"
    FILL_DEFAULT = "fill default where missing"
    UNSET_FIELD = "unset field"
    DROP_COLLECTION = "drop collection"
    KEEP_RUNNER_DOCUMENTS = "leave the runner's documents as they are"
    KEEP_RUNNER_COLLECTION = "leave the runner's collection in place"
    RUN_DATA_STEP = "run data migration"  # check_database's dry run reports these, never runs them


ROUTINE = {Step.CREATE_COLLECTION, Step.CREATE_INDEX, Step.FILL_DEFAULT, Step.NO_INDEX_TO_DROP,
           Step.DROP_INDEX, Step.UNSET_FIELD}


@dataclass(frozen=True)
class StorageStep:
    collection: str
    step: Step
    name: str = ""  # the index or field concerned
    keys: str = ""  # an index's key pattern, "{provider: 1, ts: -1}"
    served_by: str = ""  # the existing index that already has those keys
    documents: int | None = None  # how many documents the step touches (or the collection holds)
    note: str = ""

    def __str__(self) -> str:
        parts = [f"{self.collection}: {self.step.value}" if self.collection else self.step.value]
        if self.name:
            parts.append(self.name)
        extra = [text for text in (
            self.keys, f"as {self.served_by}" if self.served_by else "",
            f"{self.documents} documents" if self.documents is not None else "", self.note) if text]
        if extra:
            parts.append(f"({', '.join(extra)})")
        return " ".join(parts)


def runner_collections() -> frozenset[str]:
    return frozenset(getattr(settings, "RUNNER_COLLECTIONS", ()))


def key_pattern(keys) -> tuple[tuple[str, object], ...]:
    """An index's keys as comparable pairs: MongoDB reports directions as 1 or 1.0 alike."""
    items = keys.items() if hasattr(keys, "items") else keys
    return tuple((field, int(direction) if isinstance(direction, (int, float)) else direction)
                 for field, direction in items)


def serves(existing, wanted) -> bool:
    """An index serves ours if it has the same key pattern, or its exact reverse: MongoDB walks an
    index both ways, so {run_ts: -1} answers every query and sort {run_ts: 1} does."""
    existing, wanted = key_pattern(existing), key_pattern(wanted)
    if existing == wanted:
        return True
    numeric = all(isinstance(d, int) for _, d in existing + wanted)
    return numeric and existing == tuple((f, -d) for f, d in wanted)


def describe_keys(keys) -> str:
    return "{" + ", ".join(f"{field}: {direction}" for field, direction in key_pattern(keys)) + "}"


class DatabaseSchemaEditor(MongoSchemaEditor):
    def __init__(self, *args, dry_run: bool = False, quiet: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.dry_run = dry_run
        self.quiet = quiet
        self.steps: list[StorageStep] = []
        # What a dry run would have created or dropped so far, so its later steps see them.
        self._created: set[str] = set()
        self._planned: dict[str, dict[str, dict]] = {}  # collection -> index name -> info (None: dropped)

    # --- what is there -------------------------------------------------------------------

    def _record(self, collection: str, step: Step, name: str = "", **details) -> None:
        entry = StorageStep(collection, step, name, **details)
        self.steps.append(entry)
        # What a fresh install does is routine; what adoption meets is worth a line in `migrate`'s
        # log. A dry run (check_database prints its own report) and the ensure step stay quiet.
        routine = (self.dry_run or self.quiet or step in ROUTINE
                   or (step == Step.INDEX_SERVED and details.get("served_by") == name))
        logger.log(logging.DEBUG if routine else logging.INFO, "%s%s", "would " if self.dry_run else "", entry)

    def collection_exists(self, name: str) -> bool:
        return name in self._created or name in self.connection.database.list_collection_names(
            filter={"name": name})

    def existing_indexes(self, name: str) -> dict[str, dict]:
        """{index name: {"key": [...], "unique": ...}} of a collection, empty when it is absent."""
        indexes = {}
        if self.connection.database.list_collection_names(filter={"name": name}):
            indexes = self.connection.database[name].index_information()
        for index, info in self._planned.get(name, {}).items():
            if info is None:
                indexes.pop(index, None)
            else:
                indexes[index] = info
        return indexes

    def _count(self, name: str, query: dict) -> int:
        if not self.connection.database.list_collection_names(filter={"name": name}):
            return 0
        return self.connection.database[name].count_documents(query)

    def _writes(self) -> bool:
        return not (self.dry_run or self.collect_sql)

    # --- collections ---------------------------------------------------------------------

    @ignore_embedded_models
    def create_model(self, model):
        """Create the collection if it is absent (adopt it if not), then its indexes, each only
        if not already served. Idempotent, which makes it the 'ensure' step too."""
        if self.collect_sql:
            return super().create_model(model)
        name = model._meta.db_table
        if self.collection_exists(name):
            count = self.connection.database[name].estimated_document_count()
            self._record(name, Step.ADOPT_COLLECTION, documents=count)
            if name not in runner_collections():
                self._fill_defaults(model)
        else:
            self._record(name, Step.CREATE_COLLECTION)
            if self._writes():
                self.get_database().create_collection(name)
            self._created.add(name)
        self._create_model_indexes(model)
        for field in model._meta.local_many_to_many:
            if field.remote_field.through._meta.auto_created:
                self.create_model(field.remote_field.through)
        return None

    def _fill_defaults(self, model):
        """Give the documents already there our declared fields they lack (never overwriting a
        value), so llmops reads its own fields on every document alike."""
        collection = self.connection.database[model._meta.db_table]
        for field in model._meta.local_concrete_fields:
            if field.primary_key or not field.column or not field.has_default():
                continue
            missing = {field.column: {"$exists": False}}
            count = collection.count_documents(missing)
            if not count:
                continue
            self._record(model._meta.db_table, Step.FILL_DEFAULT, field.column, documents=count)
            if self._writes():
                self.get_collection(model._meta.db_table).update_many(
                    missing, [{"$set": {field.column: self.effective_default(field)}}])

    def delete_model(self, model):
        name = model._meta.db_table
        if name in runner_collections():
            self._record(name, Step.KEEP_RUNNER_COLLECTION, note="llmops never drops the runner's collections")
            return
        self._record(name, Step.DROP_COLLECTION)
        if self._writes():
            super().delete_model(model)

    def alter_db_table(self, model, old_db_table, new_db_table):
        if old_db_table != new_db_table and runner_collections() & {old_db_table, new_db_table}:
            raise NotSupportedError(
                f"llmops never renames the runner's collection {old_db_table!r}: set "
                "BENCHMARK_RESULTS_COLLECTION / BENCHMARK_ERRORS_COLLECTION instead")
        if self._writes():
            super().alter_db_table(model, old_db_table, new_db_table)

    # --- fields --------------------------------------------------------------------------

    def add_field(self, model, field):
        if self.collect_sql:
            return super().add_field(model, field)
        if field.many_to_many and field.remote_field.through._meta.auto_created:
            return self.create_model(field.remote_field.through)
        name = model._meta.db_table
        if column := field.column:
            if name in runner_collections():
                self._record(name, Step.KEEP_RUNNER_DOCUMENTS, column, note="no default written")
            elif count := self._count(name, {column: {"$exists": False}}):
                # Only where the field is missing: a value another writer put there survives.
                self._record(name, Step.FILL_DEFAULT, column, documents=count)
                if self._writes():
                    self.get_collection(name).update_many(
                        {column: {"$exists": False}}, [{"$set": {column: self.effective_default(field)}}])
        if isinstance(field, EmbeddedModelField):
            self._create_model_indexes(field.embedded_model, parent_model=model, column_prefix=f"{field.column}.")
        if self._field_should_be_indexed(model, field):
            self._add_field_index(model, field)
        elif self._field_should_have_unique(field):
            self._add_field_unique(model, field)
        return None

    def remove_field(self, model, field):
        name = model._meta.db_table
        if not self.collect_sql and field.column and name in runner_collections():
            # The runner's data: our index on it may go, its values stay.
            self._record(name, Step.KEEP_RUNNER_DOCUMENTS, field.column, note="field left in place")
            if self._field_should_be_indexed(model, field):
                self._remove_field_index(model, field)
            return
        if not self.collect_sql and field.column and (count := self._count(name, {field.column: {"$exists": True}})):
            self._record(name, Step.UNSET_FIELD, field.column, documents=count)
        if self._writes() or self.collect_sql:
            super().remove_field(model, field)

    def _alter_field(self, model, old_field, new_field, *args, **kwargs):
        name = model._meta.db_table
        if name in runner_collections() and old_field.column != new_field.column:
            raise NotSupportedError(
                f"llmops never renames the runner's field {name}.{old_field.column}: declare "
                f"db_column={old_field.column!r} on the model instead")
        if name in runner_collections() and old_field.null and not new_field.null:
            # Making it NOT NULL would write our default into the runner's documents.
            raise NotSupportedError(f"llmops keeps the runner's field {name}.{new_field.column} nullable")
        if self._writes() or self.collect_sql:
            super()._alter_field(model, old_field, new_field, *args, **kwargs)

    # --- indexes -------------------------------------------------------------------------

    def add_index(self, model, index, *, field=None, unique=False, column_prefix="", parent_model=None):
        idx = index.get_pymongo_index_model(model, schema_editor=self, field=field, unique=unique,
                                            column_prefix=column_prefix)
        if self.collect_sql or not isinstance(idx, IndexModel):
            return super().add_index(model, index, field=field, unique=unique, column_prefix=column_prefix,
                                     parent_model=parent_model)
        name = (parent_model or model)._meta.db_table
        wanted = key_pattern(idx.document["key"])
        keys = describe_keys(idx.document["key"])
        for existing_name, info in self.existing_indexes(name).items():
            if serves(info["key"], wanted):
                note = ("not unique there: llmops's uniqueness is not enforced"
                        if unique and not info.get("unique") else "")
                self._record(name, Step.INDEX_SERVED, index.name, keys=keys, served_by=existing_name, note=note)
                return
            if existing_name == index.name:
                self._record(name, Step.INDEX_NAME_TAKEN, index.name, keys=keys,
                             note=f"found {describe_keys(info['key'])}")
                return
        self._record(name, Step.CREATE_INDEX, index.name, keys=keys, note="unique" if unique else "")
        if not self._writes():
            self._planned.setdefault(name, {})[index.name] = {"key": list(wanted), "unique": unique}
            return
        try:
            self.get_collection(name).create_indexes([idx])
        except OperationFailure as exc:
            if exc.code not in INDEX_CONFLICT_CODES:
                raise
            # Someone created it (or its keys) between our look and our write.
            self._record(name, Step.INDEX_SERVED, index.name, keys=keys, note=f"created concurrently (code {exc.code})")

    def remove_index(self, model, index):
        if self.collect_sql:
            return super().remove_index(model, index)
        name = model._meta.db_table
        if index.name not in self.existing_indexes(name):
            # Never created here because another index already served its keys; that one is not ours.
            self._record(name, Step.NO_INDEX_TO_DROP, index.name)
            return None
        self._record(name, Step.DROP_INDEX, index.name)
        if self._writes():
            super().remove_index(model, index)
        else:
            self._planned.setdefault(name, {})[index.name] = None
        return None

    def _remove_field_index(self, model, field, column_prefix=""):
        if not self.collect_sql and not self._field_index_names(model, field, column_prefix, index=True,
                                                                  type_=Index.suffix):
            self._record(model._meta.db_table, Step.NO_INDEX_TO_DROP, field.column)
            return
        if self._writes() or self.collect_sql:
            super()._remove_field_index(model, field, column_prefix)

    def _remove_field_unique(self, model, field, column_prefix=""):
        if not self.collect_sql and not self._field_index_names(model, field, column_prefix, unique=True,
                                                                  primary_key=False):
            self._record(model._meta.db_table, Step.NO_INDEX_TO_DROP, field.column)
            return
        if self._writes() or self.collect_sql:
            super()._remove_field_unique(model, field, column_prefix)

    def _field_index_names(self, model, field, column_prefix, **kwargs):
        exclude = {index.name for index in model._meta.indexes} | {c.name for c in model._meta.constraints}
        if not self.collection_exists(model._meta.db_table):
            return []
        return self._constraint_names(model, [column_prefix + field.column], exclude=exclude, **kwargs)
