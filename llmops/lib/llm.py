"""The one factory of LLM clients, shared by the operator and discovery.

Both talk to the same OpenAI-compatible endpoint (OPENAI_API_KEY, OPERATOR_LLM_BASE_URL, the
timeout and retry settings), so they are built in one place.
"""

from __future__ import annotations

import openai
from django.conf import settings


def llm_configured() -> bool:
    return bool(settings.OPENAI_API_KEY)


def llm_client(*, api_key: str | None = None, base_url: str | None = None, timeout: float | None = None,
               max_retries: int | None = None, http_client=None) -> openai.OpenAI | None:
    """An openai client from settings (each argument overrides its setting), or None without a key."""
    api_key = settings.OPENAI_API_KEY if api_key is None else api_key
    if not api_key:
        return None
    return openai.OpenAI(
        api_key=api_key,
        base_url=(settings.OPERATOR_LLM_BASE_URL if base_url is None else base_url) or None,
        timeout=settings.OPERATOR_LLM_TIMEOUT if timeout is None else timeout,
        max_retries=settings.OPERATOR_LLM_MAX_RETRIES if max_retries is None else max_retries,
        http_client=http_client,
    )
