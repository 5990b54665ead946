"""Probes: one minimal real request per model, the feedback a provider gives about a model ID.

A provider answers clearly when a model ID is wrong or a model is gone, so a real request is
the check: a chat completion asking for one token (OpenAI-compatible providers, OpenRouter), a
one-token Messages call (Anthropic), and Bedrock's Converse / Vertex's generate_content behind
the same interface when their SDKs are installed (skipped with a message saying what to install
otherwise). Every call goes through the shared HTTP client (llmops/lib/http.py) with no retry:
a probe that gets no answer is recorded as such and the model is simply looked at again later.

An answer is classified by the same taxonomy as the benchmark's errors (lifecycle.taxonomy). A
404/400 model error is an answer ("refused": the model is not there); a 429, a timeout, a 5xx or
a network error is not (`conclusive` False) and never counts for or against a model. Provider
text is redacted and capped before it is stored; the key we sent is cut out of it too.

Bounded: `probes_run` makes at most PROBE_MAX_PER_RUN requests, PROBE_MAX_PER_PROVIDER to one
provider, oldest due first (a human's request first of all), so a backlog drains over runs.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from lifecycle.models import ModelProbe
from lifecycle.taxonomy import classify_error
from llmops.lib import http
from llmops.lib.optional import missing_sdk
from llmops.lib.text import sanitize_text
from registry.vocabulary import WEATHER_CLASSES, ErrorClass

# Providers that speak OpenAI's chat completions (settings.PROVIDERS holds their key and base URL);
# any other provider configured there is probed the same way.
OPENAI_COMPATIBLE = ("openai", "groq", "together", "fireworks", "cerebras", "deepinfra", "mistral", "deepseek", "xai",
                     "openrouter")
ANTHROPIC_VERSION = "2023-06-01"
PROMPT = "Reply with OK."
MESSAGE_LIMIT = 500


class ProbeNotConfigured(Exception):
    """This provider cannot be probed here (no API key, SDK missing, unknown provider): skipped, not failed."""


@dataclass
class ProbeAnswer:
    """What one probe learned. `error_class` is the taxonomy's class of a failure (derived from the
    status and text when not given)."""

    ok: bool
    status: int | None = None
    message: str = ""
    error_class: str = ""
    latency_ms: int | None = None

    def __post_init__(self):
        if not self.ok and not self.error_class:
            self.error_class = classify_error(self.status, self.message)

    @property
    def conclusive(self) -> bool:
        """An answer about the model (or its account): a success, or a failure that is not provider weather."""
        return self.ok or self.error_class not in WEATHER_CLASSES

    @property
    def refused(self) -> bool:
        """A definitive "no such model" (a 404/400 model error)."""
        return not self.ok and self.error_class == ErrorClass.HARD_MODEL


def _clean(text: str, secret: str = "") -> str:
    if secret:
        text = (text or "").replace(secret, "[key]")
    return sanitize_text(text or "", MESSAGE_LIMIT)


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


class Prober:
    """One provider's probe: `ask(model_id)` makes one minimal request and never raises."""

    provider = ""

    def ask(self, model_id: str) -> ProbeAnswer:  # pragma: no cover - interface
        raise NotImplementedError


class _HttpProber(Prober):
    def __init__(self, provider: str, *, base_url: str, api_key: str, http_options: dict | None = None):
        if not api_key:
            raise ProbeNotConfigured(f"{provider}: no API key ({provider.upper()}_API_KEY is empty)")
        self.provider, self.base_url, self.api_key = provider, base_url.rstrip("/"), api_key
        self.http_options = {"retries": 0, **(http_options or {})}

    def _post(self, path: str, *, headers: dict, body: dict, answered) -> ProbeAnswer:
        """POST and classify: `answered(json)` says whether a 2xx body is the answer we asked for."""
        started = time.monotonic()
        try:
            response = http.http_request("POST", f"{self.base_url}{path}", headers=headers, json_body=body,
                                         **self.http_options)
            data = response.json()
        except http.HttpStatusError as exc:
            return ProbeAnswer(False, exc.status, _clean(exc.body or str(exc), self.api_key),
                               latency_ms=_elapsed_ms(started))
        except http.HttpTimeout as exc:
            return ProbeAnswer(False, None, _clean(str(exc), self.api_key), ErrorClass.TIMEOUT, _elapsed_ms(started))
        except http.HttpTransportError as exc:
            return ProbeAnswer(False, None, _clean(str(exc), self.api_key), ErrorClass.NETWORK, _elapsed_ms(started))
        except http.HttpError as exc:  # a body over the cap, or not JSON: the endpoint's trouble, not the model's
            return ProbeAnswer(False, getattr(exc, "status", None), _clean(str(exc), self.api_key),
                               ErrorClass.TRANSIENT, _elapsed_ms(started))
        latency = _elapsed_ms(started)
        if isinstance(data, dict) and isinstance(data.get("error"), dict) and not answered(data):
            # Some routers answer 200 with an error object (OpenRouter, for an upstream failure).
            error = data["error"]
            code = error.get("code") if isinstance(error.get("code"), int) else None
            answer = ProbeAnswer(False, code, _clean(str(error.get("message") or error), self.api_key),
                                 latency_ms=latency)
            if answer.error_class == ErrorClass.UNKNOWN:
                answer.error_class = ErrorClass.TRANSIENT  # an error we cannot read says nothing about the model
            return answer
        if not answered(data):
            return ProbeAnswer(False, response.status, _clean(f"HTTP {response.status} but not an answer: "
                                                              f"{response.content[:200]!r}", self.api_key),
                               ErrorClass.TRANSIENT, latency)
        return ProbeAnswer(True, response.status, latency_ms=latency)


def _is_completion(data) -> bool:
    return isinstance(data, dict) and isinstance(data.get("choices"), list)


class OpenAICompatibleProber(_HttpProber):
    """POST {base_url}/chat/completions asking for one token. OpenAI itself takes max_completion_tokens
    (its reasoning models refuse max_tokens); the others take max_tokens. A 400 naming the other
    parameter is retried once with it."""

    def _body(self, model_id: str, tokens_field: str) -> dict:
        return {"model": model_id, "messages": [{"role": "user", "content": PROMPT}], tokens_field: 1}

    def ask(self, model_id: str) -> ProbeAnswer:
        headers = {"Authorization": f"Bearer {self.api_key}"}
        field_name = "max_completion_tokens" if self.provider == "openai" else "max_tokens"
        answer = self._post("/chat/completions", headers=headers, body=self._body(model_id, field_name),
                            answered=_is_completion)
        other = "max_tokens" if field_name == "max_completion_tokens" else "max_completion_tokens"
        if answer.error_class == ErrorClass.HARD_CAPABILITY and other in answer.message:
            answer = self._post("/chat/completions", headers=headers, body=self._body(model_id, other),
                                answered=_is_completion)
        return answer


class AnthropicProber(_HttpProber):
    """POST {base_url}/messages with max_tokens 1."""

    def ask(self, model_id: str) -> ProbeAnswer:
        headers = {"x-api-key": self.api_key, "anthropic-version": ANTHROPIC_VERSION}
        body = {"model": model_id, "max_tokens": 1, "messages": [{"role": "user", "content": PROMPT}]}
        return self._post("/messages", headers=headers, body=body,
                          answered=lambda data: isinstance(data, dict) and data.get("type") == "message")


class BedrockProber(Prober):
    """Converse with maxTokens 1 (boto3; credentials and region from the usual AWS settings)."""

    provider = "bedrock"

    def __init__(self, **_ignored):
        if why := missing_sdk("boto3", "boto3"):
            raise ProbeNotConfigured(f"bedrock: not probed — {why}")
        import boto3  # optional dependency, checked above
        from botocore.exceptions import BotoCoreError

        session = boto3.Session()
        if session.get_credentials() is None:
            raise ProbeNotConfigured("bedrock: not probed — no AWS credentials (AWS_ACCESS_KEY_ID/profile)")
        try:
            self.client = session.client("bedrock-runtime")
        except BotoCoreError as exc:  # no region, bad profile
            raise ProbeNotConfigured(f"bedrock: not probed — {exc}") from None

    def ask(self, model_id: str) -> ProbeAnswer:
        from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

        started = time.monotonic()
        try:
            self.client.converse(modelId=model_id, messages=[{"role": "user", "content": [{"text": PROMPT}]}],
                                 inferenceConfig={"maxTokens": 1})
        except ClientError as exc:
            error = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            return ProbeAnswer(False, status, _clean(f"{error.get('Code', '')}: {error.get('Message', '')}"),
                               latency_ms=_elapsed_ms(started))
        except (ConnectTimeoutError, ReadTimeoutError) as exc:
            return ProbeAnswer(False, None, _clean(str(exc)), ErrorClass.TIMEOUT, _elapsed_ms(started))
        except EndpointConnectionError as exc:
            return ProbeAnswer(False, None, _clean(str(exc)), ErrorClass.NETWORK, _elapsed_ms(started))
        return ProbeAnswer(True, 200, latency_ms=_elapsed_ms(started))


class VertexProber(Prober):
    """generate_content with max_output_tokens 1 (google-cloud-aiplatform's vertexai; project and region from
    GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_REGION)."""

    provider = "vertex"

    def __init__(self, **_ignored):
        if why := missing_sdk("vertexai.generative_models", "google-cloud-aiplatform"):
            raise ProbeNotConfigured(f"vertex: not probed — {why}")
        project = os.environ.get("GOOGLE_CLOUD_PROJECT", "")
        if not project:
            raise ProbeNotConfigured("vertex: not probed — GOOGLE_CLOUD_PROJECT is not set")
        import vertexai  # optional dependency, checked above

        vertexai.init(project=project, location=os.environ.get("GOOGLE_CLOUD_REGION") or "us-central1")

    def ask(self, model_id: str) -> ProbeAnswer:
        from google.api_core import exceptions as google_errors  # installed with google-cloud-aiplatform
        from vertexai.generative_models import GenerativeModel

        started = time.monotonic()
        try:
            GenerativeModel(model_id).generate_content(PROMPT, generation_config={"max_output_tokens": 1})
        except google_errors.DeadlineExceeded as exc:
            return ProbeAnswer(False, 504, _clean(str(exc)), ErrorClass.TIMEOUT, _elapsed_ms(started))
        except google_errors.GoogleAPICallError as exc:
            status = exc.code if isinstance(exc.code, int) else None
            return ProbeAnswer(False, status, _clean(str(exc)), latency_ms=_elapsed_ms(started))
        except google_errors.RetryError as exc:
            return ProbeAnswer(False, None, _clean(str(exc)), ErrorClass.NETWORK, _elapsed_ms(started))
        return ProbeAnswer(True, 200, latency_ms=_elapsed_ms(started))


def prober_for(provider: str, *, http_options: dict | None = None) -> Prober:
    """The probe of `provider`; raises ProbeNotConfigured (naming why) when it cannot be probed."""
    if provider == "bedrock":
        return BedrockProber()
    if provider == "vertex":
        return VertexProber()
    cfg = settings.PROVIDERS.get(provider)
    if cfg is None:
        raise ProbeNotConfigured(f"{provider}: no probe for this provider (configured: "
                                 f"{', '.join(sorted(settings.PROVIDERS))}, bedrock, vertex)")
    cls = AnthropicProber if provider == "anthropic" else OpenAICompatibleProber
    return cls(provider, base_url=cfg.get("base_url", ""), api_key=cfg.get("api_key", ""), http_options=http_options)


def probe_ask(provider: str, model_id: str) -> ProbeAnswer:
    """One probe, not recorded (discovery checks a guessed ID with it). Raises ProbeNotConfigured."""
    return prober_for(provider).ask(model_id)


# --- recorded, bounded runs --------------------------------------------------------------------

@dataclass(frozen=True)
class ProbeTarget:
    """A model due for a probe, and why. `due_at` orders the backlog (oldest first; None: oldest of all);
    `asked`: a human asked for it (first of all)."""

    provider: str
    model_id: str
    purpose: str
    due_at: datetime | None = None
    asked: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.provider, self.model_id)


def _order(target: ProbeTarget):
    due = target.due_at.timestamp() if target.due_at is not None else float("-inf")
    return (not target.asked, due, target.provider, target.model_id)


def probes_select(targets, *, max_per_run: int | None = None, max_per_provider: int | None = None,
                  already: dict[str, int] | None = None) -> tuple[list[ProbeTarget], list[ProbeTarget]]:
    """(the targets this run probes, the ones that wait for the next run): oldest due first within the caps.
    `already`: probes this run made per provider before (a second round)."""
    per_run = settings.PROBE_MAX_PER_RUN if max_per_run is None else max_per_run
    per_provider = settings.PROBE_MAX_PER_PROVIDER if max_per_provider is None else max_per_provider
    chosen, waiting, used = [], [], dict(already or {})
    for target in sorted(targets, key=_order):
        if len(chosen) >= per_run or used.get(target.provider, 0) >= per_provider:
            waiting.append(target)
            continue
        used[target.provider] = used.get(target.provider, 0) + 1
        chosen.append(target)
    return chosen, waiting


@dataclass
class ProbeRun:
    probed: list[tuple[ProbeTarget, ModelProbe]] = field(default_factory=list)
    waiting: list[ProbeTarget] = field(default_factory=list)  # over a cap: next run
    skipped: dict[str, str] = field(default_factory=dict)  # provider -> why it cannot be probed
    not_probed: list[ProbeTarget] = field(default_factory=list)  # of those providers


def probe_record(*, target: ProbeTarget, answer: ProbeAnswer, at: datetime) -> ModelProbe:
    return ModelProbe.objects.create(
        provider=target.provider, model_id=target.model_id, at=at, purpose=target.purpose, ok=answer.ok,
        http_status=answer.status, error_class="" if answer.ok else answer.error_class,
        conclusive=answer.conclusive, latency_ms=answer.latency_ms, message=sanitize_text(answer.message,
                                                                                          MESSAGE_LIMIT),
    )


def probes_run(*, targets, as_of: datetime | None = None, max_per_run: int | None = None,
               max_per_provider: int | None = None, already: dict[str, int] | None = None, factory=prober_for,
               progress=None) -> ProbeRun:
    """Probe the due `targets` within the caps and record each probe. A provider that cannot be probed
    is skipped (and says why) without using the caps. `as_of` stamps every probe (tests, replays);
    otherwise each probe is stamped with the moment it was made. `progress(n)` after each probe."""
    run = ProbeRun()
    probers: dict[str, Prober] = {}
    probeable = []
    for target in targets:
        if target.provider in run.skipped:
            run.not_probed.append(target)
            continue
        if target.provider not in probers:
            try:
                probers[target.provider] = factory(target.provider)
            except ProbeNotConfigured as exc:
                run.skipped[target.provider] = str(exc)
                run.not_probed.append(target)
                continue
        probeable.append(target)
    chosen, run.waiting = probes_select(probeable, max_per_run=max_per_run, max_per_provider=max_per_provider,
                                        already=already)
    for target in chosen:
        answer = probers[target.provider].ask(target.model_id)
        run.probed.append((target, probe_record(target=target, answer=answer, at=as_of or timezone.now())))
        if progress:
            progress(1)
    return run
