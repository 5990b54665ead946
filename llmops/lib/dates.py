"""The one ISO 8601 format and parse of the project.

Everything stored as text (snapshot files, evidence, audit before/after images, the
model_status mirror) uses `iso_utc`: UTC, whole seconds, `Z`. Reasoning written for humans
uses `iso_minutes`. Every timestamp read from outside (files, command lines) goes through
`parse_iso`, which always returns an aware UTC datetime or raises ValueError.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

# The moments a command may be asked about: none of our data is older than EARLIEST, and every
# window or period subtracted from (or recheck added to) a moment stays far inside what a
# datetime holds. A writing command may not run ahead of the clock beyond CLOCK_SKEW.
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)
CLOCK_SKEW = timedelta(minutes=5)


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


def moment_refusal(moment: datetime, *, what: str, writing: bool, now: datetime | None = None) -> str | None:
    """Why `moment` (from a command line or a file) cannot be used, or None.

    Before 2000 or after year 9000 is never a real moment of this system. A command that writes
    may not date its records in the future beyond the clock skew: decisions dated ahead of now
    supersede the real ones and make every model look stale until the clock catches up.
    """
    shown = _utc(moment).replace(microsecond=0).isoformat().replace("+00:00", "Z")  # year 1 as 0001
    if moment < EARLIEST:
        return f"{what} {shown} is before {EARLIEST:%Y-%m-%d}: no benchmark data is that old"
    if moment >= LATEST:
        return f"{what} {shown} is after {LATEST:%Y}: not a moment this system can describe"
    now = now or datetime.now(timezone.utc)
    if writing and moment > now + CLOCK_SKEW:
        return (f"{what} {shown} is in the future (now {iso_utc(now)}, allowed clock skew "
                f"{CLOCK_SKEW.total_seconds() / 60:.0f} min): writing records dated ahead of the clock would "
                "supersede the real ones; add --dry-run to look at that moment without writing")
    return None


def as_utc(value: datetime | None) -> datetime | None:
    """`value` as an aware UTC datetime (a naive one is taken as UTC: SQLite hands aggregates of
    datetimes back naive); None stays None."""
    return None if value is None else _utc(value)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
