"""llmops's MongoDB schema editor against a real server: it adopts what is there, never fails on
an index whose keys exist under another name, never overwrites or drops another writer's data, and
its dry run writes nothing. Each test runs migration-style operations on a scratch collection."""

import pytest
from django.conf import settings
from django.db import NotSupportedError, connection, models
from django.db.migrations.state import ModelState, ProjectState
from pymongo import ASCENDING, DESCENDING

from llmops.db.mongodb.schema import Step

pytestmark = [
    pytest.mark.mongo,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.IS_MONGODB, reason="the MongoDB schema editor runs on MongoDB only"),
]
TABLE = "probe_things"


def _model(*fields, indexes=(), table=TABLE):
    """A model as a migration sees it (historical, not registered with the project's apps)."""
    state = ProjectState()
    state.add_model(ModelState("probe", "Thing", [
        ("id", models.CharField(primary_key=True, max_length=24, db_column="_id")),
        ("provider", models.CharField(max_length=64, default="")),
        ("ts", models.DateTimeField(null=True)),
        *fields,
    ], options={"db_table": table, "indexes": list(indexes)}))
    return state.apps.get_model("probe", "Thing")


@pytest.fixture
def collection():
    database = connection.database
    database.drop_collection(TABLE)
    yield database[TABLE]
    database.drop_collection(TABLE)


def test_it_adopts_an_existing_collection_and_fills_only_missing_fields(collection):
    collection.insert_many([{"_id": "a", "provider": "openai", "note": "theirs", "tier": "gold"},
                            {"_id": "b", "provider": "groq"}])
    Thing = _model(("tier", models.CharField(max_length=8, default="free")))
    with connection.schema_editor() as editor:
        editor.create_model(Thing)
    assert [s.step for s in editor.steps][0] == Step.ADOPT_COLLECTION
    documents = {d["_id"]: d for d in collection.find({})}
    assert documents["a"]["tier"] == "gold" and documents["a"]["note"] == "theirs"  # kept, not overwritten
    assert documents["b"]["tier"] == "free"

    field = models.CharField(max_length=8, default="x")
    field.set_attributes_from_name("region")
    collection.update_one({"_id": "a"}, {"$set": {"region": "eu"}})
    with connection.schema_editor() as editor:
        editor.add_field(Thing, field)
    assert collection.find_one({"_id": "a"})["region"] == "eu" and collection.find_one({"_id": "b"})["region"] == "x"


def test_an_index_whose_keys_exist_under_another_name_is_served_not_duplicated(collection):
    collection.create_index([("provider", ASCENDING), ("ts", ASCENDING)])  # provider_1_ts_1
    collection.create_index([("ts", DESCENDING)])  # ts_-1, the reverse of ours
    Thing = _model(indexes=[models.Index(fields=["provider", "ts"], name="things_provider_ts_idx"),
                            models.Index(fields=["ts"], name="things_ts_idx"),
                            models.Index(fields=["provider"], name="things_provider_idx")])
    with connection.schema_editor() as editor:
        editor.create_model(Thing)
        editor.create_model(Thing)  # the ensure step, again: idempotent
    assert set(collection.index_information()) == {"_id_", "provider_1_ts_1", "ts_-1", "things_provider_idx"}
    served = {(s.name, s.served_by) for s in editor.steps if s.step == Step.INDEX_SERVED}
    assert {("things_provider_ts_idx", "provider_1_ts_1"), ("things_ts_idx", "ts_-1")} <= served

    # Removing an index it never created drops nothing: provider_1_ts_1 is not ours.
    with connection.schema_editor() as editor:
        editor.remove_index(Thing, models.Index(fields=["provider", "ts"], name="things_provider_ts_idx"))
    assert "provider_1_ts_1" in collection.index_information()
    assert editor.steps[-1].step == Step.NO_INDEX_TO_DROP


def test_it_never_rewrites_drops_or_renames_the_runners_collections(collection, settings):
    settings.RUNNER_COLLECTIONS = (TABLE,)
    collection.insert_one({"_id": "a", "provider": "openai", "latency_ms": 812, "stage": "completion"})
    Thing = _model(("stage", models.CharField(max_length=16, null=True)))
    added = models.CharField(max_length=8, default="x")
    added.set_attributes_from_name("region")
    with connection.schema_editor() as editor:
        editor.create_model(Thing)
        editor.add_field(Thing, added)  # no default written into the runner's documents
        editor.remove_field(Thing, Thing._meta.get_field("stage"))  # its values stay
        editor.delete_model(Thing)  # the collection stays
    assert collection.find_one({"_id": "a"}) == {"_id": "a", "provider": "openai", "latency_ms": 812,
                                                 "stage": "completion"}
    renamed = models.CharField(max_length=16, null=True, db_column="phase")
    renamed.set_attributes_from_name("stage")
    with pytest.raises(NotSupportedError, match="never renames the runner's field"):
        with connection.schema_editor() as editor:
            editor.alter_field(Thing, Thing._meta.get_field("stage"), renamed)
    with pytest.raises(NotSupportedError, match="never renames the runner's collection"):
        with connection.schema_editor() as editor:
            editor.alter_db_table(Thing, TABLE, "probe_elsewhere")
    assert collection.find_one({"_id": "a"})["stage"] == "completion"


def test_a_dry_run_reads_and_reports_but_writes_nothing(collection):
    collection.insert_one({"_id": "a", "provider": "openai"})
    Thing = _model(("tier", models.CharField(max_length=8, default="free")),
                   indexes=[models.Index(fields=["provider"], name="things_provider_idx")])
    with connection.schema_editor(dry_run=True) as editor:
        editor.create_model(Thing)
        editor.create_model(_model(table="probe_absent"))
    assert collection.find_one({"_id": "a"}) == {"_id": "a", "provider": "openai"}
    assert set(collection.index_information()) == {"_id_"}
    assert "probe_absent" not in connection.database.list_collection_names()
    steps = [(s.collection, s.step, s.name) for s in editor.steps]
    assert (TABLE, Step.FILL_DEFAULT, "tier") in steps and (TABLE, Step.CREATE_INDEX, "things_provider_idx") in steps
    assert ("probe_absent", Step.CREATE_COLLECTION, "") in steps
