"""Error taxonomy: what a provider error means for the model that raised it.

Status codes lie (OpenAI bills with 429, Anthropic with 400, Groq decommissions with
400, Bedrock ends a model's life with no status at all), so a class is decided from the
status *and* the message. Provider text is untrusted: the status bounds what the text
may conclude — wording can narrow a class within the status's family but never turn,
say, a 401 or a 5xx into evidence that a model is gone. Text is redacted and capped
(llmops.lib.text.sanitize_text) before anything stores or shows it.
"""

from __future__ import annotations

import re
from collections import Counter

from llmops.lib.text import sanitize_text
from registry.vocabulary import ErrorClass


def _rx(*patterns: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


# --- normalization ------------------------------------------------------------------

_ID_PATTERNS = [
    (re.compile(r"(?i)\b(request[ _-]?id|req(?:uest)?_id|trace[ _-]?id|x-request-id)([\"']?\s*[:=]?\s*[\"']?)"
                r"[A-Za-z0-9_\-]{6,}"), r"\1\2<id>"),
    (re.compile(r"\b(?:req|msg|chatcmpl|cmpl|resp|run|call|toolu|gen|batch)[_-][A-Za-z0-9]{8,}\b"), "<id>"),
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), "<id>"),
    (re.compile(r"\b[0-9a-fA-F]{24,}\b"), "<id>"),
]
# Numbers that vary run to run (retry-after, token counts) but not those inside model IDs.
_VARYING_NUMBERS = re.compile(r"(?<![\w.\-/:])\d+(?:\.\d+)?(?:ms|s)?(?![\w\-.]*[A-Za-z])(?=[\s,.;:)}\]'\"]|$)")


def normalize_message(message: str) -> str:
    """The grouping key of an error text: redacted, ids and varying numbers masked, capped."""
    text = sanitize_text(message, limit=4000)
    for pattern, repl in _ID_PATTERNS:
        text = pattern.sub(repl, text)

    def number(match: re.Match) -> str:
        digits = match.group(0)
        # Keep statuses readable ("Error code: 404", "NotFound: 404"); mask the rest.
        before = match.string[max(match.start() - 24, 0): match.start()]
        if re.fullmatch(r"[1-5]\d\d", digits) and re.search(r"(?:code|status|http|[a-z]:)\W{0,3}$", before, re.I):
            return digits
        return "<n>"

    text = _VARYING_NUMBERS.sub(number, text)
    return sanitize_text(text, limit=300)


# --- classification ----------------------------------------------------------------

# Providers put the status in the text when the runner did not record it
# ("Error code: 404", Vertex gRPC "NotFound: 404", "HTTP 503", "status code 429").
_STATUS_IN_TEXT = re.compile(
    r"(?:error code:?|status(?: code)?:?|http/?\d?(?:\.\d)?|\b[A-Z][A-Za-z]+:)\s*(\d{3})\b", re.IGNORECASE
)
_GRPC = {
    "notfound": 404, "permissiondenied": 403, "unauthenticated": 401, "resourceexhausted": 429,
    "invalidargument": 400, "deadlineexceeded": 504, "serviceunavailable": 503, "internalservererror": 500,
    "failedprecondition": 400,
}

BUDGET = _rx(r"budget (?:has been |was )?(?:exhausted|exceeded)", r"exceededbudget", r"max[_ ]budget",
             r"benchmark budget", r"spend(?:ing)? cap reached for this benchmark")
CONTENT_FILTER = _rx(
    r"content[_ ]filter", r"content management policy", r"content[_ ]policy", r"responsibleaipolicyviolation",
    r"flagged by (?:the )?moderation", r"input (?:was )?flagged", r"safety (?:system|filter|settings)",
    r"blocked (?:by|due to) (?:the )?(?:safety|content|guardrail)", r"finish_reason[\"' :=]+(?:safety|content_filter)",
    r"prompt_blocked", r"output blocked by content filtering", r"violat\w+ (?:our|the) usage polic",
    r"invalid_prompt", r"limited access to this content for safety reasons",
)
BILLING = _rx(
    r"insufficient_quota", r"exceeded your current quota", r"credit balance is too low", r"payment required",
    r"insufficient (?:credits?|balance|funds)", r"out of credits?", r"no credits", r"billing",
    r"account (?:is )?(?:not active|deactivated|past due)", r"requires more credits", r"prepaid",
    r"spending limit", r"monthly (?:spend|usage) limit", r"add (?:more )?credits", r"top up your",
)
AUTH_STRONG = _rx(
    r"invalid[_ ]api[_ ]key", r"incorrect api key", r"api key (?:is )?(?:not valid|invalid|expired|revoked)",
    r"invalid x-api-key", r"authentication(?:_error| ?error| failed| fails)", r"\bunauthori[sz]ed\b",
    r"unauthenticated", r"security token included in the request is invalid", r"unrecognizedclientexception",
    r"invalid (?:authentication|credentials|bearer token)", r"no api key provided", r"missing api key",
    r"expiredtoken", r"signature ?does ?not ?match",
)
AUTH_WEAK = _rx(
    r"accessdenied", r"access denied", r"permission[_ ]?denied", r"don'?t have access to the model with the specified",
    r"not authori[sz]ed to (?:access|perform|invoke)", r"forbidden", r"not allowed to (?:access|use)",
    r"organization (?:must be|is not) verified", r"region is not supported", r"country, region, or territory",
)
HARD_MODEL = _rx(
    r"model_not_found", r"model[_ ]decommissioned", r"has been decommissioned", r"does not exist",
    r"reached (?:the )?end of (?:its )?life", r"\bend[- ]of[- ]life\b.*\b(?:reached|passed)", r"has been retired",
    r"(?:is|has been) no longer (?:supported|available|served)", r"has been deprecated", r"was deprecated on",
    r"model (?:is )?not found", r"not[_ ]found[_ ]error", r"publisher model .* was not found",
    r"could not resolve the foundation model", r"provided model identifier is invalid", r"invalid model(?: id| name)?\b",
    r"unknown model", r"model .{0,80} (?:was )?not found", r"unable to access model", r"model_not_available",
    r"no such model", r"model (?:is )?not (?:available|deployed)", r"not deployed", r"is not a valid model",
    r"resourcenotfound",
)
CAPABILITY = _rx(
    r"unsupported[_ ]parameter", r"unsupported[_ ]value", r"is not supported with this model",
    r"only supported in v1/responses", r"not supported in the v1/(?:chat/)?completions", r"not a chat model",
    r"use 'max_completion_tokens'", r"max_tokens", r"max_new_tokens", r"maximum context length",
    r"context[_ ]length[_ ]exceeded", r"context window", r"prompt is too long", r"too many (?:input )?tokens",
    r"reduce the length of the messages", r"on-demand throughput isn.?t supported", r"inference profile",
    r"does not support (?:the )?(?:tools?|system|images?|streaming|function|temperature|json|parameter|\w+ input)",
    r"does not support", r"(?:tools?|streaming|images?|vision|function calling) (?:is|are) not supported",
    r"not supported for this model", r"input validation error", r"extra inputs are not permitted",
    r"responses api", r"reasoning[_ ]effort", r"temperature", r"json_schema", r"response_format",
)
RATE_LIMIT = _rx(
    r"rate[_ ]?limit", r"too many requests", r"throttl", r"slow down", r"resource[_ ]?exhausted",
    r"quota exceeded for", r"requests per (?:minute|day)", r"tokens per (?:minute|day)", r"\btpm\b", r"\brpm\b",
    r"try again in \d", r"concurrency limit",
)
TIMEOUT = _rx(r"timed? ?out", r"timeout", r"deadline ?exceeded", r"read operation timed out")
NETWORK = _rx(
    r"connection (?:error|refused|reset|aborted|closed)", r"apiconnectionerror", r"connecterror",
    r"name or service not known", r"getaddrinfo", r"temporary failure in name resolution", r"nodename nor servname",
    r"remotedisconnected", r"server disconnected", r"ssl(?:error|: |_)", r"certificate verify failed",
    r"network is unreachable", r"no route to host", r"broken pipe", r"eof occurred", r"incomplete ?read",
    r"remoteprotocolerror", r"proxyerror", r"upstream connect error",
)
TRANSIENT = _rx(
    r"overloaded", r"internal server error", r"internal_server_error", r"server had an error", r"service unavailable",
    r"serviceunavailable", r"bad gateway", r"temporarily unavailable", r"try again later", r"modelnotready",
    r"model is not ready", r"currently loading", r"capacity", r"engine is currently overloaded", r"internalfailure",
    r"modelerrorexception", r"high demand",
)


def status_from_text(message: str) -> int | None:
    """An HTTP status named in the text, for rows the runner stored without one."""
    for match in _STATUS_IN_TEXT.finditer(message or ""):
        code = int(match.group(1))
        if 100 <= code <= 599:
            return code
    head = re.match(r"\s*([A-Za-z]+)\b", message or "")
    if head and head.group(1).lower() in _GRPC:
        return _GRPC[head.group(1).lower()]
    return None


def classify_error(status: int | None, message: str) -> str:
    """The ErrorClass value of one (status, message) pair."""
    text = (message or "").replace("\u2019", "'")
    if status is None:
        status = status_from_text(text)

    if BUDGET.search(text):
        return ErrorClass.BUDGET_EXHAUSTED.value
    if status == 401:
        return ErrorClass.AUTH.value
    if status == 402:
        return ErrorClass.BILLING.value
    if status == 429:
        # OpenAI reports an empty account as 429 insufficient_quota.
        return (ErrorClass.BILLING if BILLING.search(text) else ErrorClass.RATE_LIMIT).value
    if status in (408, 504):
        return ErrorClass.TIMEOUT.value
    if status is not None and status >= 500:
        if TIMEOUT.search(text) and not TRANSIENT.search(text):
            return ErrorClass.TIMEOUT.value
        return ErrorClass.TRANSIENT.value
    if status == 403:
        if CONTENT_FILTER.search(text):
            return ErrorClass.CONTENT_FILTER.value
        if BILLING.search(text):
            return ErrorClass.BILLING.value
        return ErrorClass.AUTH.value

    # 400/404/409/410/413/422, other 4xx, or no status: the text decides.
    if CONTENT_FILTER.search(text):
        return ErrorClass.CONTENT_FILTER.value
    if BILLING.search(text):
        return ErrorClass.BILLING.value
    if AUTH_STRONG.search(text):
        return ErrorClass.AUTH.value
    if HARD_MODEL.search(text):
        return ErrorClass.HARD_MODEL.value
    if CAPABILITY.search(text) or status == 413:
        return ErrorClass.HARD_CAPABILITY.value
    if AUTH_WEAK.search(text):
        return ErrorClass.AUTH.value
    if RATE_LIMIT.search(text):
        return ErrorClass.RATE_LIMIT.value
    if TIMEOUT.search(text):
        return ErrorClass.TIMEOUT.value
    if NETWORK.search(text):
        return ErrorClass.NETWORK.value
    if TRANSIENT.search(text):
        return ErrorClass.TRANSIENT.value
    if status in (404, 410):
        return ErrorClass.HARD_MODEL.value
    return ErrorClass.UNKNOWN.value


# --- snapshots ---------------------------------------------------------------------

def annotate_snapshot(snapshot) -> None:
    """Fill error_class and normalized on a ModelSnapshot's error and warning groups."""
    for group in (*snapshot.errors, *snapshot.warnings):
        if not group.error_class:
            group.error_class = classify_error(group.status, group.message)
        if not group.normalized:
            group.normalized = normalize_message(group.message)


def dominant_class(groups) -> str | None:
    """The class with the most failures among error groups (None without errors)."""
    counts: Counter = Counter()
    for group in groups:
        counts[group.error_class or classify_error(group.status, group.message)] += max(group.count, 1)
    if not counts:
        return None
    # Ties break on the class name so the answer is deterministic.
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]


def annotate_snapset(snapset) -> None:
    """Annotate every model; fill what a provider block leaves out from its own models.

    A file's provider block may carry only an error rate; the dominant class and the
    current-streak picture are then derived from that file's models (each file is its
    own world).
    """
    for snapshot in snapset.models:
        annotate_snapshot(snapshot)
    for name, ctx in snapset.providers.items():
        members = [m for m in snapset.models if m.provider == name]
        if not ctx.dominant_error_class:
            ctx.dominant_error_class = dominant_class(g for m in members for g in m.errors)
        if ctx.models_streaking is None:
            streaking = [m for m in members if m.enabled and m.streak_started_at is not None]
            ctx.models_streaking = len(streaking)
            if not ctx.streak_error_class:
                ctx.streak_error_class = dominant_class(
                    g for m in streaking for g in m.errors if g.streak_first_at is not None
                )
