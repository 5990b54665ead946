"""The one HTTP wrapper for our own outbound calls (catalogs, provider listings, probes).

Why a wrapper: every caller needs the same care — bounded time (settings.HTTP_TIMEOUT),
retries with exponential backoff + jitter on connect errors, timeouts, 429 and 5xx
(honouring Retry-After, bounded), a cap on the body size enforced while streaming (a
hostile or broken server cannot make us buffer gigabytes), JSON decoding with a clear
error, and logs that never carry credentials. Callers catch `HttpError` (or a subclass).
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import httpx
from django.conf import settings

from llmops.lib import backoff
from llmops.lib.text import redact_url

logger = logging.getLogger(__name__)
# httpx logs every request URL at INFO (query strings included, where some APIs take
# keys) and httpcore traces at DEBUG: keep both quiet so only our redacted lines appear.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Retry-After is honoured but never trusted blindly: a server asking for an hour of
# sleep would stall a periodic job, so the wait is capped.
MAX_RETRY_AFTER = 30.0
MAX_BACKOFF = 20.0


class HttpError(Exception):
    """Any failure of an outbound HTTP call; `url` never carries secrets."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None, attempts: int = 1):
        super().__init__(message)
        self.url = url
        self.status = status
        self.attempts = attempts


class HttpTimeout(HttpError):
    """The server did not answer (or finish answering) in time."""


class HttpTransportError(HttpError):
    """Connection refused/reset, DNS failure, or a body cut short (truncated)."""


class HttpStatusError(HttpError):
    """The server answered with a non-2xx status. `body` is a short, untrusted excerpt."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None, attempts: int = 1,
                 body: str = "", retry_after: float | None = None):
        super().__init__(message, url=url, status=status, attempts=attempts)
        self.body = body
        self.retry_after = retry_after


class ResponseTooLarge(HttpError):
    """The body exceeded the size cap (settings.HTTP_MAX_RESPONSE_BYTES)."""


class BadJson(HttpError):
    """The body is not valid JSON (garbage, HTML error page, truncated document)."""


@dataclass
class HttpResponse:
    status: int
    url: str
    headers: dict[str, str]
    content: bytes
    attempts: int = 1
    elapsed: float = 0.0
    _json: Any = field(default=None, repr=False)

    def json(self) -> Any:
        if self._json is None:
            self._json = decode_json(self.content, url=self.url)
        return self._json


def decode_json(content: bytes, *, url: str = "") -> Any:
    try:
        return json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:  # (nested absurdly deep)
        preview = content[:80].decode("utf-8", "replace").replace("\n", " ")
        raise BadJson(
            f"response from {redact_url(url)} is not valid JSON ({exc.__class__.__name__}: {exc}); "
            f"{len(content)} bytes starting {preview!r}",
            url=redact_url(url),
        ) from None


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def backoff_delay(attempt: int, *, base: float, retry_after: float | None = None,
                  rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff (attempt is 1-based) with equal jitter; Retry-After (capped) wins when larger."""
    delay = backoff.backoff_delay(attempt - 1, base=base, cap=MAX_BACKOFF, spread=(0.5, 1.0), rng=rng)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


def _read_capped(response: httpx.Response, *, max_bytes: int, url: str) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise ResponseTooLarge(
            f"response from {url} declares {declared} bytes, over the {max_bytes}-byte cap",
            url=url, status=response.status_code,
        )
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise ResponseTooLarge(
                f"response from {url} exceeded the {max_bytes}-byte cap while streaming",
                url=url, status=response.status_code,
            )
        chunks.append(chunk)
    return b"".join(chunks)


def http_request(method: str, url: str, *, headers: dict | None = None, params: dict | None = None,
                 json_body: Any = None, timeout: float | None = None, retries: int | None = None,
                 max_bytes: int | None = None, backoff_base: float = 0.5,
                 client: httpx.Client | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> HttpResponse:
    """One HTTP call with retries; returns a 2xx response or raises an HttpError subclass.

    4xx other than 429 are not retried (the request itself is wrong); the last error is
    raised once the retries are used up. Header values are never logged.
    """
    timeout = settings.HTTP_TIMEOUT if timeout is None else timeout
    retries = settings.HTTP_RETRIES if retries is None else retries
    max_bytes = settings.HTTP_MAX_RESPONSE_BYTES if max_bytes is None else max_bytes
    safe_url = redact_url(url)
    owns_client = client is None
    client = client or httpx.Client(timeout=timeout, follow_redirects=True)
    attempts = retries + 1
    try:
        for attempt in range(1, attempts + 1):
            started = time.monotonic()
            error: HttpError
            retry_after = None
            try:
                with client.stream(method, url, headers=headers, params=params, json=json_body,
                                   timeout=timeout) as response:
                    status = response.status_code
                    if 200 <= status < 300:
                        content = _read_capped(response, max_bytes=max_bytes, url=safe_url)
                        return HttpResponse(
                            status=status, url=str(response.url), headers=dict(response.headers),
                            content=content, attempts=attempt, elapsed=time.monotonic() - started,
                        )
                    body = _read_capped(response, max_bytes=min(max_bytes, 64 * 1024), url=safe_url) \
                        if status != 204 else b""
                    retry_after = parse_retry_after(response.headers.get("retry-after"))
                    error = HttpStatusError(
                        f"{method} {safe_url} answered HTTP {status}",
                        url=safe_url, status=status, attempts=attempt,
                        body=body[:500].decode("utf-8", "replace"), retry_after=retry_after,
                    )
                    if status not in RETRY_STATUSES:
                        raise error
            except ResponseTooLarge:
                raise
            except httpx.TimeoutException as exc:
                error = HttpTimeout(f"{method} {safe_url} timed out after {timeout}s ({exc.__class__.__name__})",
                                    url=safe_url, attempts=attempt)
            except httpx.TransportError as exc:
                # Includes RemoteProtocolError: the peer closed before the declared body
                # length arrived, i.e. a truncated response.
                error = HttpTransportError(f"{method} {safe_url} failed: {exc.__class__.__name__}: {exc}",
                                           url=safe_url, attempts=attempt)
            except httpx.InvalidURL as exc:
                raise HttpError(f"invalid URL {safe_url}: {exc}", url=safe_url) from None
            if attempt >= attempts:
                error.attempts = attempt
                raise error
            delay = backoff_delay(attempt, base=backoff_base, retry_after=retry_after)
            logger.warning("%s (attempt %d/%d); retrying in %.2fs", error, attempt, attempts, delay)
            sleep(delay)
    finally:
        if owns_client:
            client.close()
    raise AssertionError("unreachable")  # pragma: no cover


def http_get_json(url: str, **kwargs) -> Any:
    """GET and decode JSON; raises BadJson for anything that does not parse."""
    return http_request("GET", url, **kwargs).json()
