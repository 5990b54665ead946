"""What JSON allows but our databases cannot hold, found before anything is written.

Python's json module reads `NaN`, `Infinity` and integers of any size; PostgreSQL rejects NUL
in text and jsonb (and non-finite numbers in jsonb), SQLite cannot bind an integer beyond
64 bits, and BSON (MongoDB) has no integer wider than 64 bits either. A document from outside
(a catalog entry, a provider listing, a snapshot) is checked here first, so a bad value is a
one-line error naming where it is, never a database traceback halfway through a write.
"""

from __future__ import annotations

import math

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_DEPTH = 64


def unstorable(value, path: str = "") -> str | None:
    """Where and why `value` (a parsed JSON value) cannot be stored, or None when it can."""
    return _walk(value, path or "value", 0)


def _walk(value, path: str, depth: int) -> str | None:
    if depth > MAX_DEPTH:
        return f"{path}: nested deeper than {MAX_DEPTH} levels"
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{path}: {value!r} is not a finite number"
    if isinstance(value, int):
        return None if INT64_MIN <= value <= INT64_MAX else f"{path}: {value} does not fit in 64 bits"
    if isinstance(value, str):
        return f"{path}: contains a NUL character" if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or "\x00" in key:
                return f"{path}: key {key!r} contains a NUL character"
            found = _walk(item, f"{path}.{key}", depth + 1)
            if found:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = _walk(item, f"{path}[{i}]", depth + 1)
            if found:
                return found
        return None
    return f"{path}: {type(value).__name__} is not a JSON value"


def finite_number(value) -> bool:
    """A real JSON number (not a bool, not NaN or ±Infinity)."""
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
