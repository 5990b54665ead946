"""Shared pieces of the fault tests: a fixed moment, the demo fleet, table counts, LLM settings."""

from __future__ import annotations

from datetime import datetime, timezone

from django.apps import apps
from django.test import override_settings

AS_OF = datetime(2026, 11, 26, 16, 0, tzinfo=timezone.utc)
AS_OF_ISO = "2026-11-26T16:00:00Z"


def table_counts() -> dict:
    """Rows in every table of every installed model (what "nothing written" is checked against)."""
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def seed_fleet() -> None:
    from lifecycle.demo import seed_demo

    seed_demo(as_of=AS_OF)


def llm_settings(server, **extra):
    """Point the operator's real openai client at a FakeLLM server started by the test."""
    return override_settings(
        OPENAI_API_KEY="sk-test-not-a-real-key", OPERATOR_LLM_BASE_URL=server.base_url,
        OPERATOR_LLM_MAX_RETRIES=extra.pop("retries", 0), OPERATOR_LLM_TIMEOUT=extra.pop("timeout", 10.0), **extra,
    )


def disabled_keys() -> set[tuple[str, str]]:
    from registry.models import RegisteredModel

    return set(RegisteredModel.objects.filter(enabled=False).values_list("provider", "model_id"))
