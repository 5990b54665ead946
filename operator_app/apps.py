from django.apps import AppConfig


class OperatorAppConfig(AppConfig):
    """The operator: passes that turn health signals into decisions (LLM over situations, the
    classifier as loud fallback), the policy that limits what runs unattended, the review of
    decisions by humans, and the daily health report."""

    name = "operator_app"
    verbose_name = "Operator: decisions and runs"
