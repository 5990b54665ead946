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

# Known credential formats. Several are ported from Yelp's detect-secrets 1.5.0 plugins
# (Apache License 2.0, https://github.com/Yelp/detect-secrets; the plugin each comes from is
# named) and widened where a detector only flags a line but we must cut the secret out of it:
# their regexes answer "is there a secret in this line", ours replace every secret in a text.
# bench/redactor.py measures both (detect-secrets misses half of these formats).
#
# PEM private keys, body included (detect-secrets private_key.py names the headers); a block
# cut off before its END line is redacted to the end of the text.
_PRIVATE_KEYS = [
    re.compile(r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
               re.DOTALL),
    re.compile(r"PuTTY-User-Key-File-\d+:.*?(?:Private-MAC:\s*\S+|\Z)", re.DOTALL),
]
# Whole-token formats: the match is the secret. They are looked for only inside runs of token
# characters (below), which keeps the common case (no secret) to one cheap scan.
_TOKENS = [
    # JWTs, with or without a Bearer prefix (detect-secrets jwt.py; the signature kept greedy).
    ("token", r"\beyJ[A-Za-z0-9_\-]{4,}={0,2}\.[A-Za-z0-9_\-]{4,}={0,2}(?:\.[A-Za-z0-9_\-+/]*={0,2})?"),
    # API keys of the providers we use (OpenAI sk-/sk-proj-, Anthropic sk-ant-, Groq gsk_,
    # xAI xai-, Fireworks fw_, OpenRouter sk-or-, Google AIza).
    ("key", r"\b(?:sk|rk|pk)-(?:proj-|ant-|or-|svcacct-)?[A-Za-z0-9_\-*]{8,}"),
    ("key", r"\b(?:gsk|fw|xai|nvapi|hf)[_-][A-Za-z0-9_\-]{12,}"),
    ("key", r"\bAIza[0-9A-Za-z_\-]{20,}"),
    # AWS access key IDs (detect-secrets aws.py).
    ("key", r"\b(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{12,}\b"),
    # GitHub tokens: classic (detect-secrets github_token.py) and fine-grained github_pat_.
    ("token", r"\b(?:gh[pousr]|github_pat)_[A-Za-z0-9_]{20,}"),
    # GitLab tokens (detect-secrets gitlab_token.py).
    ("token", r"\bgl(?:pat|dt|rt|ptt|soat|cbt|imt|agent|ft)-[A-Za-z0-9_\-]{20,}"),
    # Slack tokens (detect-secrets slack.py).
    ("token", r"\b(?i:xox[abposre])-(?:[0-9A-Za-z]+-)*[0-9A-Za-z]+"),
    # Stripe, SendGrid, npm, PyPI, Twilio, Mailchimp, Square, Discord (detect-secrets stripe.py,
    # sendgrid.py, npm.py, pypi_token.py, twilio.py, mailchimp.py, square_oauth.py, discord.py).
    ("key", r"\b[sr]k_(?:live|test)_[0-9A-Za-z]{16,}"),
    ("key", r"\bSG\.[A-Za-z0-9_\-]{20,24}\.[A-Za-z0-9_\-]{39,50}"),
    ("token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("token", r"\bpypi-AgE[A-Za-z0-9_\-]{50,}"),
    ("key", r"\b(?:AC|SK)[a-z0-9]{32}\b"),
    ("key", r"\b[0-9a-f]{32}-us[0-9]{1,2}\b"),
    ("key", r"\bsq0csp-[0-9A-Za-z\\\-_]{43}"),
    ("token", r"\b[MNO][a-zA-Z\d_\-]{23,25}\.[a-zA-Z\d_\-]{6}\.[a-zA-Z\d_\-]{27}\b"),
]
_TOKEN_RE = re.compile("|".join(f"({pattern})" for _, pattern in _TOKENS))
# A run of characters a token can consist of, as long as the shortest format (sk-…: 11).
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_\-+/=.*~]{11,}")
_TOKEN_MARKERS = [f"<redacted-{kind}>" for kind, _ in _TOKENS]

# Secrets known by what precedes them: group 1 (the name and separator) is kept. Each rule
# runs only when one of its literal hints is in the lowercased text.
_PREFIXED = [
    # AWS secret access keys: 40 characters after a name that says aws…secret/key
    # (detect-secrets aws.py wants the value quoted; here quotes are optional).
    (("aws",),
     re.compile(r"(?i)(aws.{0,20}?(?:secret|key|pwd|pw|password|pass|token)[A-Za-z0-9_\-]*[\"']?\s*(?:[:=]|=>)\s*"
                r"[\"']?)[0-9a-zA-Z/+]{40}(?![0-9a-zA-Z/+])"), r"\1<redacted>"),
    # Azure storage connection strings (detect-secrets azure_storage_key.py).
    (("accountkey=",), re.compile(r"(?i)(AccountKey=)[A-Za-z0-9+/=]{20,}"), r"\1<redacted>"),
    # Slack webhooks (detect-secrets slack.py).
    (("hooks.slack.com",), re.compile(r"(?i)(https://hooks\.slack\.com/services/)[A-Za-z0-9_/]+"), r"\1<redacted>"),
    (("bearer", "basic", "token"),
     re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=\-]{8,}"), r"\1 <redacted>"),
    # name: value / name=value (headers, query strings, config dumps, JSON) for any name ending
    # in key, token, secret, password, passwd, pwd, credential(s), signature or auth(orization):
    # x-api-key, Ocp-Apim-Subscription-Key, client_secret, db_password, X-Amz-Signature.
    (("key", "token", "secret", "passw", "pwd", "credential", "signature", "auth"),
     re.compile(r"(?i)((?:key|token|secret|password|passwd|pwd|credentials?|signature|auth|authorization)"
                r"[\"']?[ \t]*(?::|=>?)[ \t]*[\"']?)(?!<redacted|(?:bearer|basic|token)\s)[^\s\"',;&}{)\]]+"),
     r"\1<redacted>"),
    # Short query parameters that carry credentials in some APIs (?key=, &sig=, ?code=).
    (("?", "&", ";"),
     re.compile(r"(?i)([?&;](?:key|sig|code|pass|pw|access_token|id_token)=)[^\s&#\"']+"), r"\1<redacted>"),
    (("api key provided",), re.compile(r"(?i)(api key provided:\s*)(?!<redacted)\S+"), r"\1<redacted-key>"),
    # Credentials inside URLs (https://user:pw@host, redis://:pw@host; detect-secrets basic_auth.py).
    (("://",), re.compile(r"(?i)(\b[a-z][a-z0-9+.\-]*://)[^/\s:@]*:[^/\s@]+@"), r"\1<redacted>@"),
]
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"\s+")
# Query parameters whose values are credentials in some APIs (?key=, ?api_key=, ?token=…).
_SECRET_QUERY_KEYS = ("key", "token", "secret", "signature", "sig", "password", "passwd", "pwd", "auth",
                      "credential", "code")


def redact(text: str) -> str:
    """`text` with every credential we recognise replaced by a marker."""
    if "PRIVATE KEY" in text or "PuTTY" in text:
        for pattern in _PRIVATE_KEYS:
            text = pattern.sub("<redacted-private-key>", text)
    text = _TOKEN_RUN.sub(_redact_run, text)
    lower = text.lower()
    for hints, pattern, repl in _PREFIXED:
        if any(hint in lower for hint in hints):
            text = pattern.sub(repl, text)
    return text


def _redact_run(run: re.Match) -> str:
    return _TOKEN_RE.sub(lambda m: _TOKEN_MARKERS[m.lastindex - 1], run.group(0))


def redact_json(value):
    """A JSON-like value with every string in it redacted and stripped of control characters
    (lengths kept): for showing stored documents (evidence, signals, audit rows) whole."""
    if isinstance(value, str):
        return redact(CONTROL_CHARS.sub("", value))
    if isinstance(value, dict):
        return {key: redact_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_json(item) for item in value]
    return value


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
