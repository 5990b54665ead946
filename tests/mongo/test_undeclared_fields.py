"""Fields llmops does not declare survive every write path on MongoDB: saves (whole and narrow),
`update()`, `bulk_update`, the registry's audited changes and their reverts, the collector's
model_status writes, and both catalog imports, each run twice (the second pass updates what the
first created). On SQL a row has exactly the model's columns, so this runs on MongoDB only."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from discovery.models import OpenRouterModel
from lifecycle.models import ModelStatus, ProviderCatalogEntry
from registry.models import RegisteredModel
from registry.services import Actor, change_revert, registry_add, registry_disable, registry_enable, registry_rename

pytestmark = [
    pytest.mark.mongo,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.IS_MONGODB, reason="undeclared fields exist only on MongoDB documents"),
]
THEIRS = {"owner_team": "evals", "benchmark_config": {"max_tokens": 256}, "tags": ["chat"]}
OPENROUTER = "tests/discovery/data/openrouter_catalog_2025-12-02.json"
PROVIDERS = "tests/discovery/data/provider_catalogs_2025-12-02.json"


def _call(*args):
    call_command(*args, stdout=StringIO(), stderr=StringIO())


def _mark(model):
    """Put the other writers' fields on every document of the model's collection."""
    return connection.get_collection(model._meta.db_table).update_many({}, {"$set": THEIRS}).modified_count


def _assert_kept(model):
    documents = list(connection.get_collection(model._meta.db_table).find({}))
    assert documents, f"{model.__name__}: no documents to check"
    lost = [d["_id"] for d in documents if any(d.get(k) != v for k, v in THEIRS.items())]
    assert not lost, f"{model.__name__}: {len(lost)} of {len(documents)} documents lost fields we do not own"


def test_it_keeps_other_writers_fields_through_two_passes_and_both_catalog_imports():
    _call("seed_demo")
    _call("run_operator", "--no-llm")  # creates model_status rows, disables the dead models
    _call("fetch_openrouter", "--file", OPENROUTER)
    _call("sync_provider_catalogs", "--file", PROVIDERS)
    for model in (RegisteredModel, ModelStatus, OpenRouterModel, ProviderCatalogEntry):
        assert _mark(model) > 0
    _call("run_operator", "--no-llm")  # updates model_status (bulk) and the registry again
    _call("fetch_openrouter", "--file", OPENROUTER)  # bulk_update of the stored entries
    _call("match_catalog", "--no-llm")
    _call("sync_provider_catalogs", "--file", PROVIDERS)
    for model in (RegisteredModel, ModelStatus, OpenRouterModel, ProviderCatalogEntry):
        _assert_kept(model)
    assert ModelStatus.objects.filter(computed_at__isnull=False).count() == RegisteredModel.objects.count()


def test_it_keeps_them_through_saves_updates_bulk_updates_changes_and_reverts():
    actor = Actor.system("test")
    registry_add(provider="acme", model_id="m1", reason="candidate", actor=actor)
    registry_add(provider="acme", model_id="m2", reason="candidate", actor=actor)
    _mark(RegisteredModel)

    row = RegisteredModel.objects.get(provider="acme", model_id="m1")
    row.display_name = "M1"
    row.save()  # every declared field rewritten
    row.recheck_after = timezone.now() + timedelta(days=1)
    row.save(update_fields=["recheck_after"])
    RegisteredModel.objects.filter(provider="acme").update(deprecated=True)
    rows = list(RegisteredModel.objects.filter(provider="acme"))
    for r in rows:
        r.deprecated = False
    RegisteredModel.objects.bulk_update(rows, ["deprecated"])
    _assert_kept(RegisteredModel)

    registry_enable(provider="acme", model_id="m1", reason="try it", actor=actor)
    disabled = registry_disable(provider="acme", model_id="m1", reason="404 for days", disabled_class="hard_model",
                                actor=actor)
    renamed = registry_rename(provider="acme", model_id="m2", new_model_id="m2-0324", reason="dated", actor=actor)
    _assert_kept(RegisteredModel)
    for change in (renamed, disabled):  # each model's newest change (an older one is refused: compare-and-swap)
        change_revert(audit_id=str(change.pk), actor=actor, reason="undo")
    _assert_kept(RegisteredModel)
    assert set(RegisteredModel.objects.filter(provider="acme").values_list("model_id", "enabled")) == {
        ("m1", True), ("m2", False)}

    # Reverting the add of a document another writer has written to withdraws it and keeps it.
    added = registry_add(provider="acme", model_id="m3", reason="candidate", actor=actor)
    connection.get_collection("models").update_one({"model_id": "m3"}, {"$set": THEIRS})
    change_revert(audit_id=str(added.pk), actor=actor, reason="not ours to delete")
    document = connection.get_collection("models").find_one({"model_id": "m3"})
    assert document is not None and document["owner_team"] == "evals"
