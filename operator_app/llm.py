"""The operator's LLM calls: situations batched by a token budget, answers checked one by one.

Uses the `openai` SDK with structured outputs (json_schema, strict). Answers are aligned
to situations by id, never by position. Anything wrong — a failed call (timeout, 429,
5xx, connection), *any* exception from the SDK or the transport (a body that is not JSON makes
the SDK raise JSONDecodeError, not an OpenAIError), a response of the wrong shape (an HTML page
handed back as a string, `choices` that is not a list, content that is not text), token counts
no endpoint could have used, a refusal, an empty or malformed answer, or a single bad item
(unknown id, bad action, confidence out of range, missing situation) — marks exactly the affected
situations as failed with a reason; the engine decides those with the classifier and records the
reasons on the run ("loud" fallback). After OPERATOR_LLM_MAX_FAILED_BATCHES failed batches in a
row the circuit opens and the rest of the pass is decided without the LLM; so does the daily
budget (OPERATOR_LLM_DAILY_BUDGET_USD) once it is spent.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field

import openai
from django.conf import settings

from llmops.lib.llm import llm_client
from llmops.lib.text import sanitize_text
from operator_app import prompts
from registry.vocabulary import Action

logger = logging.getLogger(__name__)

# What the LLM may answer (the schema's enum): it never proposes enables or renames itself.
ACTIONS = (Action.DISABLE.value, Action.MONITOR.value, Action.IGNORE.value)
# Whole-batch reasons that count towards the circuit breaker (a call that failed, not one bad item).
CALL_FAILURES = frozenset({"timeout", "rate_limited", "server_error", "connection_error", "llm_error",
                           "malformed_response", "implausible_usage", "empty_answer", "malformed_json", "truncated",
                           "refusal"})
# Token counts above these are not a bill but an error (a reported 10^9 tokens is not a $1,600 day).
MAX_PROMPT_FACTOR = 10
MAX_TOKENS_SLACK = 2000
# Completion tokens an answer needs per situation (id, action, confidence, 1-2 sentences).
ANSWER_TOKENS = 120


@dataclass
class Answer:
    situation_id: str
    action: str
    confidence: float
    reasoning: str
    suggested_model_id: str | None = None
    cached: bool = False  # reused from an earlier pass (operator_app.answers), not asked now


@dataclass
class BatchResult:
    answers: dict[str, Answer] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)  # situation id -> reason
    ignored: dict[str, int] = field(default_factory=dict)  # reason -> answers thrown away (unknown ids…)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    # Situations never sent: the circuit was open or the budget spent (their reasons are in failures).
    skipped: int = 0

    @property
    def call_failed(self) -> bool:
        """The whole call failed (every situation, for one call-level reason): counts for the breaker."""
        reasons = set(self.failures.values())
        return bool(self.failures) and not self.answers and len(reasons) == 1 and reasons <= CALL_FAILURES


@dataclass
class LLMConfig:
    model: str
    batch_tokens: int

    @classmethod
    def from_settings(cls) -> "LLMConfig":
        return cls(model=settings.OPERATOR_LLM_MODEL, batch_tokens=settings.OPERATOR_LLM_BATCH_TOKENS)


def llm_cost(*, prompt_tokens: int, completion_tokens: int) -> float:
    return round(prompt_tokens / 1e6 * settings.OPERATOR_LLM_PROMPT_PRICE
                 + completion_tokens / 1e6 * settings.OPERATOR_LLM_COMPLETION_PRICE, 8)


def batches_plan(situations: list, *, budget: int) -> list[list]:
    """Greedy batches whose estimated prompt fits `budget` tokens (a situation too big alone goes alone)."""
    fixed = prompts.estimate_tokens(prompts.SYSTEM_PROMPT) + 80
    batches, current, used = [], [], fixed
    for situation in situations:
        size = prompts.estimate_tokens(prompts.data_json(prompts.situation_payload(situation))) + 2
        if current and used + size > budget:
            batches.append(current)
            current, used = [], fixed
        current.append(situation)
        used += size
    if current:
        batches.append(current)
    return batches


def _call_failure_reason(exc: Exception) -> str:
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.RateLimitError):
        return "rate_limited"
    if isinstance(exc, openai.APIStatusError):
        return "server_error" if exc.status_code >= 500 else f"http_{exc.status_code}"
    if isinstance(exc, openai.APIConnectionError):
        return "connection_error"
    return "llm_error"


def _validate(item, ids: set[str]) -> tuple[str | None, Answer | str]:
    """(situation id or None, Answer or failure reason) for one answer item."""
    if not isinstance(item, dict):
        return None, "malformed_item"
    sid = item.get("situation_id")
    if not isinstance(sid, str) or sid not in ids:
        return None, "unknown_id"
    action = item.get("action")
    if action not in ACTIONS:
        return sid, "bad_action"
    confidence = item.get("confidence")
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not math.isfinite(confidence) \
            or not 0.0 <= confidence <= 1.0:
        return sid, "confidence_out_of_range"
    reasoning = item.get("reasoning")
    if not isinstance(reasoning, str) or not reasoning.strip():
        return sid, "missing_reasoning"
    suggested = item.get("suggested_model_id")
    suggested = sanitize_text(suggested, limit=255) if isinstance(suggested, str) and suggested.strip() else None
    return sid, Answer(sid, action, float(confidence), sanitize_text(reasoning, limit=1000), suggested)


def answers_parse(content: str | None, *, ids: list[str]) -> BatchResult:
    """Check one response body against the request's situation ids."""
    result = BatchResult()
    if content is None or not content.strip():
        result.failures = {sid: "empty_answer" for sid in ids}
        return result
    try:
        data = json.loads(content)
    except ValueError:
        result.failures = {sid: "malformed_json" for sid in ids}
        return result
    items = data.get("decisions") if isinstance(data, dict) else None
    if not isinstance(items, list):
        result.failures = {sid: "malformed_json" for sid in ids}
        return result
    wanted = set(ids)
    for item in items:
        sid, outcome = _validate(item, wanted)
        if sid is None:
            result.ignored[outcome] = result.ignored.get(outcome, 0) + 1
            continue
        if isinstance(outcome, str):
            result.failures.setdefault(sid, outcome)
        elif sid in result.answers and result.answers[sid] != outcome:
            # Two different answers for one situation: trust neither.
            result.failures.setdefault(sid, "conflicting_answers")
        else:
            result.answers[sid] = outcome
    for sid in ids:
        if sid in result.failures:
            result.answers.pop(sid, None)
        elif sid not in result.answers:
            result.failures[sid] = "missing_situation"
    return result


class _Malformed(Exception):
    """The response is not the shape a chat completion has; the message is the fallback reason."""


def _temperature_setting():
    value = settings.OPERATOR_LLM_TEMPERATURE
    return None if value is None else float(value)


def _sane_tokens(value, *, limit: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > limit:
        raise _Malformed("implausible_usage")
    return value


def _completion_parts(response, *, prompt_limit: int, completion_limit: int):
    """(content, refusal, finish_reason, prompt_tokens, completion_tokens) of a response, checked for
    shape and for token counts an endpoint could really have used."""
    choices = getattr(response, "choices", None)
    if not isinstance(choices, list):
        raise _Malformed("malformed_response")
    usage = getattr(response, "usage", None)
    prompt_tokens = _sane_tokens(getattr(usage, "prompt_tokens", 0) or 0, limit=prompt_limit)
    completion_tokens = _sane_tokens(getattr(usage, "completion_tokens", 0) or 0, limit=completion_limit)
    if not choices:
        return None, None, None, prompt_tokens, completion_tokens
    message = getattr(choices[0], "message", None)
    content = getattr(message, "content", None)
    refusal = getattr(message, "refusal", None)
    finish = getattr(choices[0], "finish_reason", None)
    if content is not None and not isinstance(content, str) or refusal is not None and not isinstance(refusal, str):
        raise _Malformed("malformed_response")
    return content, refusal, finish, prompt_tokens, completion_tokens


def _temperature_refused(exc: Exception) -> bool:
    return isinstance(exc, openai.BadRequestError) and "temperature" in str(exc).lower()


class OperatorLLM:
    """The operator's questions to the LLM; the client comes from the project's one factory."""

    def __init__(self, config: LLMConfig | None = None, *, client=None):
        self.config = config or LLMConfig.from_settings()
        self.client = client or llm_client()
        # Reasoning models refuse `temperature`: the setting can leave it out, and a 400 that says so
        # makes the rest of the pass leave it out too.
        self.temperature = _temperature_setting()

    def _create(self, *, messages, max_completion_tokens: int):
        params = {"model": self.config.model, "messages": messages, "response_format": prompts.RESPONSE_FORMAT,
                  "max_completion_tokens": max_completion_tokens}
        if self.temperature is not None:
            params["temperature"] = self.temperature
        try:
            return self.client.chat.completions.create(**params)
        except openai.BadRequestError as exc:
            if self.temperature is None or not _temperature_refused(exc):
                raise
            logger.warning("operator LLM %s refuses temperature; retrying without it", self.config.model)
            self.temperature = None
            params.pop("temperature")
            return self.client.chat.completions.create(**params)

    def decide_batch(self, situations: list, *, as_of_iso: str) -> BatchResult:
        ids = [s.id for s in situations]
        user = prompts.user_message(situations=situations, as_of_iso=as_of_iso)
        messages = [{"role": "system", "content": prompts.SYSTEM_PROMPT}, {"role": "user", "content": user}]
        max_completion = ANSWER_TOKENS * len(situations) + 200 + settings.OPERATOR_LLM_REASONING_TOKENS
        estimate = prompts.estimate_tokens(prompts.SYSTEM_PROMPT) + prompts.estimate_tokens(user)

        def failed(reason: str, *, prompt_tokens: int = 0, completion_tokens: int = 0) -> BatchResult:
            return BatchResult(failures={sid: reason for sid in ids}, calls=1, prompt_tokens=prompt_tokens,
                               completion_tokens=completion_tokens)

        try:
            response = self._create(messages=messages, max_completion_tokens=max_completion)
        except openai.OpenAIError as exc:
            reason = _call_failure_reason(exc)
            # The exception text may echo request data; log the class and status only.
            logger.warning("operator LLM call failed (%s, %d situations): %s", reason, len(ids), type(exc).__name__)
            return failed(reason)
        except Exception as exc:  # the SDK raises JSONDecodeError & co. on bodies that are not JSON
            logger.warning("operator LLM answered something unreadable (%d situations): %s", len(ids),
                           type(exc).__name__)
            return failed("malformed_response")
        try:
            content, refusal, finish, prompt_tokens, completion_tokens = _completion_parts(
                response, prompt_limit=estimate * MAX_PROMPT_FACTOR + MAX_TOKENS_SLACK,
                completion_limit=max_completion + MAX_TOKENS_SLACK)
        except _Malformed as exc:
            logger.warning("operator LLM response rejected (%s): %s", exc, type(response).__name__)
            # Bill what we sent (the estimate), never what an implausible answer claims.
            return failed(str(exc), prompt_tokens=estimate)
        if refusal:
            result = BatchResult(failures={sid: "refusal" for sid in ids})
        elif finish == "length":
            result = BatchResult(failures={sid: "truncated" for sid in ids})
        else:
            result = answers_parse(content, ids=ids)
        result.prompt_tokens, result.completion_tokens, result.calls = prompt_tokens, completion_tokens, 1
        return result

    def decide(self, situations: list, *, as_of_iso: str, progress=None, budget_usd: float | None = None
               ) -> BatchResult:
        """Every situation in token-budgeted batches; stops asking when the circuit opens (too many
        failed batches in a row) or the money runs out (`budget_usd` left for today, None: no limit)."""
        total = BatchResult()
        batches = batches_plan(situations, budget=self.config.batch_tokens)
        done, failed_in_a_row, stop = 0, 0, ""
        for batch in batches:
            if not stop and budget_usd is not None and llm_cost(
                    prompt_tokens=total.prompt_tokens, completion_tokens=total.completion_tokens) >= budget_usd:
                stop = "budget_exhausted"
            if stop:
                total.failures.update({s.id: stop for s in batch})
                total.skipped += len(batch)
                done += len(batch)
                continue
            result = self.decide_batch(batch, as_of_iso=as_of_iso)
            total.answers.update(result.answers)
            total.failures.update(result.failures)
            for reason, n in result.ignored.items():
                total.ignored[reason] = total.ignored.get(reason, 0) + n
            total.prompt_tokens += result.prompt_tokens
            total.completion_tokens += result.completion_tokens
            total.calls += result.calls
            failed_in_a_row = failed_in_a_row + 1 if result.call_failed else 0
            if failed_in_a_row >= settings.OPERATOR_LLM_MAX_FAILED_BATCHES:
                stop = "circuit_open"
                logger.warning("operator LLM: %d failed batches in a row; the classifier decides the rest",
                               failed_in_a_row)
            done += len(batch)
            if progress:
                progress(done, len(situations))
        return total
