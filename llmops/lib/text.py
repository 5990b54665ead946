"""The one redactor: untrusted text (provider errors, LLM answers, exception messages) and URLs made
safe to store, log or show.

Provider text can carry our own credentials back to us (an echoed Authorization header, a key
in an error message, a password in a URL), control characters that break terminals and logs,
and unbounded length. Everything that enters the system from outside goes through
`sanitize_text` before it is stored or shown, and every URL through `redact_url` before it is
logged or put in an error.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_SECRET_PATTERNS = [
    # API keys of the providers we use (OpenAI sk-/sk-proj-, Anthropic sk-ant-, Groq gsk_,
    # xAI xai-, Fireworks fw_, OpenRouter sk-or-, Google AIza, AWS access keys).
    (re.compile(r"\b(?:sk|rk|pk)-(?:proj-|ant-|or-|svcacct-)?[A-Za-z0-9_\-*]{8,}"), "<redacted-key>"),
    (re.compile(r"\b(?:gsk|fw|xai|nvapi|hf)[_-][A-Za-z0-9_\-]{12,}"), "<redacted-key>"),
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{20,}"), "<redacted-key>"),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{12,}\b"), "<redacted-key>"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]{8,}"), r"\1 <redacted>"),
    (re.compile(r"(?i)((?:api[_ -]?key|x-api-key|token|secret|password|authorization)[\"']?\s*[:=]\s*[\"']?)"
                r"[^\s\"',}]{6,}"), r"\1<redacted>"),
    (re.compile(r"(?i)(api key provided:\s*)\S+"), r"\1<redacted-key>"),
    # Credentials inside URLs (https://user:pw@host).
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.\-]*://)[^/\s:@]+:[^/\s@]+@"), r"\1<redacted>@"),
]
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"\s+")
# Query parameters whose values are credentials in some APIs (?key=, ?api_key=, ?token=…).
_SECRET_QUERY_KEYS = ("key", "token", "secret", "signature", "password", "auth")


def redact(text: str) -> str:
    """`text` with every credential we recognise replaced by a marker."""
    for pattern, repl in _SECRET_PATTERNS:
        text = pattern.sub(repl, text)
    return text


def sanitize_text(message, limit: int = 500) -> str:
    """Untrusted text made safe to store or show: secrets redacted, controls removed, whitespace
    collapsed, capped at `limit` characters. (Escaping for HTML is the template's job.)"""
    if not message:
        return ""
    text = CONTROL_CHARS.sub("", str(message))
    text = _SPACE.sub(" ", redact(text)).strip()
    if len(text) > limit:
        text = text[: max(limit - 1, 0)].rstrip() + "…"
    return text


def redact_url(url: str) -> str:
    """The URL with its password and secret-looking query values masked (`***`), for logs and errors."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "<invalid url>"
    netloc = parts.hostname or ""
    if port:
        netloc = f"{netloc}:{port}"
    if parts.username is not None or parts.password is not None:
        userinfo = parts.username or ""
        if parts.password is not None:
            userinfo += ":***"
        netloc = f"{userinfo}@{netloc}"
    query = [
        (k, "***" if any(s in k.lower() for s in _SECRET_QUERY_KEYS) else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), ""))
