"""Command-line arguments every command reads the same way."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import CommandError

from llmops.lib.dates import moment_refusal, parse_iso


def model_key(value: str, *, option: str = "") -> tuple[str, str]:
    """(provider, model_id) from "provider/model_id" (the model ID may hold more slashes); a clear one-line
    CommandError naming `option` otherwise."""
    provider, sep, model_id = value.partition("/")
    if not sep or not provider or not model_id:
        raise CommandError(f"{option + ' expects' if option else 'expected'} provider/model_id, got {value!r}")
    return provider, model_id


def as_of_argument(value: str, *, writing: bool, option: str = "--as-of") -> datetime | None:
    """The moment a command describes, from ISO 8601 text (None when not given); a clear one-line
    CommandError when it is not a timestamp, or is ahead of the clock for a command that writes."""
    if not value:
        return None
    try:
        moment = parse_iso(value)
    except ValueError:
        raise CommandError(f"{option}: invalid timestamp {value!r}, expected ISO 8601 "
                           "such as 2026-11-26T08:00Z") from None
    if refusal := moment_refusal(moment, what=option, writing=writing):
        raise CommandError(refusal)
    return moment
