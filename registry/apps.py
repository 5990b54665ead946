from django.apps import AppConfig


class RegistryConfig(AppConfig):
    """The registry of models the benchmark runs, the one vocabulary of classes and actions, the audit
    log, and the audited services that change the registry."""

    name = "registry"
    verbose_name = "Registry: models and audit log"
