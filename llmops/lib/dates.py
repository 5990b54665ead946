"""The one ISO 8601 format and parse of the project.

Everything stored as text (snapshot files, evidence, audit before/after images, the
model_status mirror) uses `iso_utc`: UTC, whole seconds, `Z`. Reasoning written for humans
uses `iso_minutes`. Every timestamp read from outside (files, command lines) goes through
`parse_iso`, which always returns an aware UTC datetime or raises ValueError.
"""

from __future__ import annotations

from datetime import datetime, timezone


def iso_utc(value: datetime | None, *, millis: bool = False) -> str | None:
    """`2026-11-26T08:00:00Z` (with `millis`, `2026-11-26T08:00:00.123Z`: exact for a value that went
    through `to_millis`), or None."""
    if value is None:
        return None
    value = _utc(value)
    if millis:
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def to_millis(value: datetime) -> datetime:
    """`value` cut to whole milliseconds: what MongoDB stores, so a value we write reads back equal
    (and compares equal in a conditional update) on every backend."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def iso_minutes(value: datetime | None, *, missing: str = "never") -> str:
    """`2026-11-26T08:00Z` (for reasoning text), or `missing`."""
    return _utc(value).strftime("%Y-%m-%dT%H:%MZ") if value is not None else missing


def parse_iso(value) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text (a trailing Z and naive times mean UTC).

    None and "" give None; anything else that is not a timestamp raises ValueError.
    """
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return _utc(value)
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 timestamp, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"invalid timestamp {value!r}") from None
    return _utc(parsed)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
