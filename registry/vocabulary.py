"""The one vocabulary of the project: error classes, disabled classes, actions, and the sets of
classes every rule reads. Defined once here and imported everywhere, so the taxonomy, the
classifier, the policy, the registry, the admin and the report cannot drift apart.
"""

from django.db import models


class ErrorClass(models.TextChoices):
    """What a provider error means for the model that raised it (lifecycle.taxonomy decides it)."""

    HARD_MODEL = "hard_model", "Model removed / not found"
    HARD_CAPABILITY = "hard_capability", "Request does not fit the model"
    CONTENT_FILTER = "content_filter", "Content filter"
    AUTH = "auth", "Credentials / access"
    BILLING = "billing", "Billing / credit"
    RATE_LIMIT = "rate_limit", "Rate limited"
    TRANSIENT = "transient", "Transient provider error"
    TIMEOUT = "timeout", "Timeout"
    NETWORK = "network", "Network"
    BUDGET_EXHAUSTED = "budget_exhausted", "Benchmark budget exhausted"
    UNKNOWN = "unknown", "Unknown"


# Why a model is disabled: every error class, plus a human's own reason.
DisabledClass = models.TextChoices(
    "DisabledClass",
    [(c.name, (c.value, c.label)) for c in ErrorClass] + [("MANUAL", ("manual", "Manual (operator decision)"))],
)


class Action(models.TextChoices):
    """What the operator proposes for a model."""

    DISABLE = "disable"
    MONITOR = "monitor"
    IGNORE = "ignore"
    ENABLE = "enable"
    RENAME = "rename"


# Actions that change the registry when carried out (approving one executes it); the others are
# acknowledged.
CHANGE_ACTIONS = frozenset({Action.DISABLE, Action.ENABLE, Action.RENAME})


# A model disabled for one of these may come back by itself or once the account is fixed: it
# gets a recheck_after instead of being dead for good.
RECOVERABLE_CLASSES = frozenset({
    ErrorClass.AUTH, ErrorClass.BILLING, ErrorClass.RATE_LIMIT, ErrorClass.TRANSIENT, ErrorClass.TIMEOUT,
    ErrorClass.NETWORK, ErrorClass.BUDGET_EXHAUSTED,
})
# About the provider account or its weather rather than one model: when they dominate a
# provider's failures, the provider has a problem, not its models.
PROVIDER_WIDE_CLASSES = frozenset({
    ErrorClass.AUTH, ErrorClass.BILLING, ErrorClass.TRANSIENT, ErrorClass.NETWORK, ErrorClass.TIMEOUT,
    ErrorClass.RATE_LIMIT,
})
# Our request or our budget is wrong: never a reason to disable.
CONFIGURATION_CLASSES = frozenset({ErrorClass.HARD_CAPABILITY, ErrorClass.CONTENT_FILTER, ErrorClass.BUDGET_EXHAUSTED})
# Provider weather: says nothing about the model until proven otherwise.
WEATHER_CLASSES = frozenset({ErrorClass.TRANSIENT, ErrorClass.RATE_LIMIT, ErrorClass.TIMEOUT, ErrorClass.NETWORK})
# After the last success these say the model itself is in trouble (or cannot be measured), so a
# recent success alone does not settle it.
MODEL_TROUBLE_CLASSES = frozenset({
    ErrorClass.HARD_MODEL, ErrorClass.HARD_CAPABILITY, ErrorClass.CONTENT_FILTER, ErrorClass.AUTH,
    ErrorClass.BILLING, ErrorClass.UNKNOWN,
})
# The account itself (credentials, money) and the service's availability, as the report groups them.
ACCOUNT_CLASSES = frozenset({ErrorClass.AUTH, ErrorClass.BILLING})
OUTAGE_CLASSES = frozenset({ErrorClass.TRANSIENT, ErrorClass.TIMEOUT, ErrorClass.NETWORK})


# What a human does about each class, in the review queue's words ("deepinfra · billing / credit ·
# 4 models · top up the account").
REMEDY = {
    ErrorClass.HARD_MODEL: "disable it, or rename it to its successor",
    ErrorClass.BILLING: "top up the account",
    ErrorClass.AUTH: "fix the API key or the model's access",
    ErrorClass.RATE_LIMIT: "raise the rate limit or send fewer requests",
    ErrorClass.TRANSIENT: "wait for the provider to recover",
    ErrorClass.TIMEOUT: "wait, or raise the benchmark's timeout",
    ErrorClass.NETWORK: "check the network path to the provider",
    ErrorClass.CONTENT_FILTER: "change the benchmark prompt or the filter setting",
    ErrorClass.HARD_CAPABILITY: "fix the request parameters for this model",
    ErrorClass.BUDGET_EXHAUSTED: "raise the benchmark budget",
    ErrorClass.UNKNOWN: "read the errors",
}


def class_label(value: str) -> str:
    """The human label of an error or disabled class (the value itself when unknown)."""
    try:
        return DisabledClass(value).label
    except ValueError:
        return value
