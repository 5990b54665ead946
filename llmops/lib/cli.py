"""Command-line arguments every command reads the same way."""

from __future__ import annotations

from django.core.management.base import CommandError


def model_key(value: str, *, option: str = "") -> tuple[str, str]:
    """(provider, model_id) from "provider/model_id" (the model ID may hold more slashes); a clear one-line
    CommandError naming `option` otherwise."""
    provider, sep, model_id = value.partition("/")
    if not sep or not provider or not model_id:
        raise CommandError(f"{option + ' expects' if option else 'expected'} provider/model_id, got {value!r}")
    return provider, model_id
