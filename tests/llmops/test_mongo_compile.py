"""The MongoDB compile check itself: it must catch what MongoDB cannot express."""

import pytest
from django.db.models import Count, F

from lifecycle.models import ModelStatus
from operator_app.models import Decision, OperatorRun
from registry.models import RegisteredModel
from tests import mongo_compile

pytestmark = [pytest.mark.django_db, pytest.mark.no_compile_check]


def _compile(fn):
    with mongo_compile.record_queries() as recorded:
        fn()
    assert recorded, "the block ran no query"
    return mongo_compile.check_recorded(recorded)


@pytest.mark.sql_only(reason="the MongoDB compile check records queries on SQL connections only (tests/mongo_compile.py)")
def test_it_compiles_supported_queries_into_pipelines():
    compiled = _compile(lambda: list(RegisteredModel.objects.filter(provider="openai", enabled=True).order_by("model_id")))
    (method, collection, pipeline), = compiled[0].operations
    assert (method, collection) == ("aggregate", "models")
    assert any("$match" in stage for stage in pipeline)


def test_it_fails_on_distinct_on_fields_which_mongodb_gets_silently_wrong():
    # SQLite cannot run DISTINCT ON, so check the query object directly.
    query = RegisteredModel.objects.order_by("provider").distinct("provider").query
    with pytest.raises(AssertionError, match="distinct"):
        mongo_compile.check_recorded([("select", query, None)])


@pytest.mark.sql_only(reason="the MongoDB compile check records queries on SQL connections only (tests/mongo_compile.py)")
def test_it_fails_on_extra():
    with pytest.raises(AssertionError, match="(?i)extra"):
        _compile(lambda: list(RegisteredModel.objects.extra(where=["1=1"])))


@pytest.mark.sql_only(reason="the MongoDB compile check records queries on SQL connections only (tests/mongo_compile.py)")
def test_it_fails_on_update_across_collections():
    OperatorRun.objects.create()
    with pytest.raises(AssertionError, match="multiple collections"):
        _compile(lambda: Decision.objects.filter(run__status="running").update(status="approved"))


def test_it_fails_on_jsonfield_contains():
    with pytest.raises(AssertionError, match="JSONField __contains"):
        mongo_compile.check_recorded([("select", ModelStatus.objects.filter(signals__contains={"a": 1}).query, None)])


@pytest.mark.sql_only(reason="the MongoDB compile check records queries on SQL connections only (tests/mongo_compile.py)")
def test_it_saves_only_declared_fields_so_undeclared_document_fields_survive():
    row = RegisteredModel.objects.create(provider="openai", model_id="gpt-4o")
    row.enabled = False
    compiled = _compile(lambda: row.save())
    (method, collection, (criteria, pipeline)), = compiled[0].operations
    assert (method, collection) == ("update_many", "models")
    declared = {f.column for f in RegisteredModel._meta.concrete_fields} - {"_id"}
    (stage,) = pipeline
    # A `$set` of declared columns only: fields the runner stored that the model does
    # not declare (e.g. `benchmark_config`) are left untouched in the document.
    assert set(stage["$set"]) == declared
    assert "benchmark_config" not in stage["$set"]


@pytest.mark.sql_only(reason="the MongoDB compile check records queries on SQL connections only (tests/mongo_compile.py)")
def test_it_compiles_update_fields_to_a_narrow_set():
    row = RegisteredModel.objects.create(provider="openai", model_id="gpt-4o")
    compiled = _compile(lambda: RegisteredModel.objects.filter(pk=row.pk, enabled=True).update(enabled=False, recheck_after=None))
    (_, _, (criteria, pipeline)), = compiled[0].operations
    assert set(pipeline[0]["$set"]) == {"enabled", "recheck_after"}


@pytest.mark.sql_only(reason="the MongoDB compile check records queries on SQL connections only (tests/mongo_compile.py)")
def test_it_compiles_grouped_aggregations_and_f_updates():
    compiled = _compile(lambda: (
        list(Decision.objects.values("provider").annotate(n=Count("pk"))),
        OperatorRun.objects.filter(pk=OperatorRun.objects.create().pk).update(llm_calls=F("llm_calls") + 1),
    ))
    kinds = [c.kind for c in compiled]
    assert "select" in kinds and "update" in kinds
    group_pipeline = compiled[0].operations[0][2]
    assert any("$group" in stage for stage in group_pipeline)
