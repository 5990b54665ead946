from django.apps import AppConfig


class OperatorAppConfig(AppConfig):
    name = "operator_app"
    verbose_name = "Operator: decisions, runs and audit"
