"""HTML fragments for admin pages, built only with format_html (escaped), and the one age formatter.

Values shown here can come from provider error text and LLM output: untrusted. Nothing here marks
such text safe; format_html / format_html_join escape every value.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

EMPTY = "—"


def value_text(value) -> str:
    """One value as short text: floats to 4 significant digits, structures as sorted JSON."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def pretty_json(value) -> SafeString:
    if value in (None, "", {}, []):
        return format_html("<span>{}</span>", EMPTY)
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    return format_html('<pre style="white-space: pre-wrap; max-width: 70em;">{}</pre>', text)


def key_values(mapping: dict) -> SafeString:
    if not isinstance(mapping, dict) or not mapping:
        return format_html("<span>{}</span>", EMPTY)
    rows = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", ((k, value_text(v)) for k, v in mapping.items()))
    return format_html("<table>{}</table>", rows)


def text_block(text) -> SafeString:
    """Multi-line untrusted text, escaped, line breaks kept."""
    if not text:
        return format_html("<span>{}</span>", EMPTY)
    return format_html('<div style="white-space: pre-wrap; max-width: 70em;">{}</div>', str(text))


def age(as_of: datetime, when: datetime | None) -> str:
    """How long before `as_of` `when` was: 42m, 5h, 3d."""
    if when is None:
        return EMPTY
    seconds = max((as_of - when).total_seconds(), 0)
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 172800:
        return f"{seconds / 3600:.0f}h"
    return f"{seconds / 86400:.0f}d"


def span(value: timedelta | None) -> str:
    """A duration or period as a person says it: 12.3 s, 4 min 10 s, 3 h, 1 d 6 h."""
    if value is None:
        return EMPTY
    seconds = max(value.total_seconds(), 0)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")]
    shown = [f"{n} {unit}" for n, unit in parts if n][:2]
    return " ".join(shown)
