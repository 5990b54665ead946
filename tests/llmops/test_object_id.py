import pytest
from bson import ObjectId
from django.core.exceptions import ValidationError
from django.db import connection

from llmops.lib.object_id import ObjectIdPKField
from operator_app.models import Decision, OperatorRun
from registry.models import RegisteredModel
from tests import mongo_compile

pytestmark = pytest.mark.django_db


def test_it_generates_a_24_hex_key_client_side():
    run = OperatorRun()
    assert len(run.pk) == 24 and ObjectId.is_valid(run.pk)
    run.save()
    assert OperatorRun.objects.get(pk=run.pk).pk == run.pk


@pytest.mark.sql_only(reason="SQL column type and introspection")
def test_it_stores_varchar_24_in_column__id_on_sql():
    field = RegisteredModel._meta.pk
    assert field.column == "_id"
    assert field.db_type(connection) in ("varchar(24)", "character varying(24)")
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, "models")]
    assert "_id" in columns and "id" not in columns


def test_it_joins_foreign_keys():
    run = OperatorRun.objects.create()
    decision = Decision.objects.create(run=run, provider="openai", model_id="gpt-4o", action="monitor")
    loaded = Decision.objects.select_related("run").get(pk=decision.pk)
    assert loaded.run_id == run.pk and loaded.run.pk == run.pk
    assert list(Decision.objects.filter(run__status=OperatorRun.Status.RUNNING).values_list("pk", flat=True)) == [decision.pk]
    assert list(run.decisions.all()) == [decision]


def test_it_accepts_objectids_and_uppercase_hex_in_lookups():
    run = OperatorRun.objects.create()
    assert OperatorRun.objects.get(pk=ObjectId(run.pk)).pk == run.pk
    assert OperatorRun.objects.filter(pk=run.pk.upper()).count() == 1


def test_it_rejects_malformed_keys_with_a_validation_error():
    with pytest.raises(ValidationError):
        OperatorRun.objects.get(pk="not-an-object-id")


def test_it_deconstructs_identically_whatever_the_backend():
    name, path, args, kwargs = RegisteredModel._meta.pk.deconstruct()
    assert (path, args, kwargs) == ("llmops.lib.object_id.ObjectIdPKField", [], {})
    clone = ObjectIdPKField()
    assert clone.primary_key and clone.db_column == "_id" and clone.max_length == 24
    assert ObjectIdPKField(*args, **kwargs).deconstruct()[1:] == (path, args, kwargs)


@pytest.mark.sql_only(reason="expects the default connection to be SQL")
def test_it_is_an_objectid_on_mongodb():
    mongo = mongo_compile.mongo_connection()
    field = RegisteredModel._meta.pk
    oid = str(ObjectId())
    assert field.db_type(mongo) == "objectId"
    assert field.get_db_prep_value(oid, mongo) == ObjectId(oid)
    assert field.get_db_prep_value(oid, connection) == oid
    assert field.from_db_value(ObjectId(oid), None, mongo) == oid
    fk = Decision._meta.get_field("run")
    assert fk.db_type(mongo) == "objectId"
    assert fk.get_db_prep_value(oid, mongo) == ObjectId(oid)


@pytest.mark.sql_only(reason="the MongoDB compile check records queries on SQL connections only (tests/mongo_compile.py)")
def test_it_compiles_pk_and_fk_lookups_to_objectids_for_mongodb():
    oid = str(ObjectId())
    with mongo_compile.record_queries() as recorded:
        list(Decision.objects.filter(pk=oid))
        list(Decision.objects.filter(run_id=oid))
        Decision.objects.create(provider="p", model_id="m", action="ignore", run=OperatorRun.objects.create())
    compiled = mongo_compile.check_recorded(recorded)
    by_pk, by_fk = compiled[0].operations[0][2], compiled[1].operations[0][2]
    assert repr(ObjectId(oid)) in repr(by_pk) and f"'{oid}'" not in repr(by_pk).replace(repr(ObjectId(oid)), "")
    assert repr(ObjectId(oid)) in repr(by_fk)
    inserts = [op for c in compiled if c.kind == "insert" for op in c.operations]
    decision_doc = next(op[2][0] for op in inserts if op[1] == "operator_decisions")
    assert isinstance(decision_doc["_id"], ObjectId) and isinstance(decision_doc["run_id"], ObjectId)
