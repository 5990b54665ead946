from django.apps import AppConfig


class DiscoveryConfig(AppConfig):
    """New models: the OpenRouter catalog and direct providers' own listings, matched to the IDs the
    providers really use, and added to the registry as disabled candidates by a human."""

    name = "discovery"
    verbose_name = "Discovery: OpenRouter and provider catalogs"
