from django.apps import AppConfig
from django.db.models.signals import post_migrate

from llmops.db.storage import read_models, storage_ensure


def ensure_read_collections(sender, using="default", **kwargs):
    """After every migrate: the runner's collections we read by exist, with an index for each of our
    queries whose keys no index has yet (MongoDB only; idempotent). A deployment that points
    BENCHMARK_RESULTS_COLLECTION elsewhere after migrating gets them on its next migrate."""
    storage_ensure(models=read_models(), using=using)


class LifecycleConfig(AppConfig):
    """Health signals: what the benchmark's results, errors and the providers' catalogs say about each
    model (the collector), the error taxonomy, the deterministic classifier, and model_status."""

    name = "lifecycle"
    verbose_name = "Lifecycle: health and signals"

    def ready(self):
        post_migrate.connect(ensure_read_collections, sender=self, dispatch_uid="lifecycle.ensure_read_collections")
