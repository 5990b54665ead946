from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    """Health signals: what the benchmark's results, errors and the providers' catalogs say about each
    model (the collector), the error taxonomy, the deterministic classifier, and model_status."""

    name = "lifecycle"
    verbose_name = "Lifecycle: health and signals"
