"""The operator's LLM calls: situations batched by a token budget, answers checked one by one.

Uses the `openai` SDK with structured outputs (json_schema, strict). Answers are aligned
to situations by id, never by position. Anything wrong — a failed call (timeout, 429,
5xx, connection), a refusal, an empty or malformed answer, or a single bad item (unknown
id, bad action, confidence out of range, missing situation) — marks exactly the affected
situations as failed with a reason; the engine decides those with the classifier and
records the reasons on the run ("loud" fallback).
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

ACTIONS = tuple(Action.values)
# Completion tokens an answer needs per situation (id, action, confidence, 1-2 sentences).
ANSWER_TOKENS = 120


@dataclass
class Answer:
    situation_id: str
    action: str
    confidence: float
    reasoning: str
    suggested_model_id: str | None = None


@dataclass
class BatchResult:
    answers: dict[str, Answer] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)  # situation id -> reason
    ignored: dict[str, int] = field(default_factory=dict)  # reason -> answers thrown away (unknown ids…)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0


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


class OperatorLLM:
    """The operator's questions to the LLM; the client comes from the project's one factory."""

    def __init__(self, config: LLMConfig | None = None, *, client=None):
        self.config = config or LLMConfig.from_settings()
        self.client = client or llm_client()

    def decide_batch(self, situations: list, *, as_of_iso: str) -> BatchResult:
        ids = [s.id for s in situations]
        messages = [
            {"role": "system", "content": prompts.SYSTEM_PROMPT},
            {"role": "user", "content": prompts.user_message(situations=situations, as_of_iso=as_of_iso)},
        ]
        try:
            response = self.client.chat.completions.create(
                model=self.config.model,
                messages=messages,
                response_format=prompts.RESPONSE_FORMAT,
                temperature=0,
                max_tokens=ANSWER_TOKENS * len(situations) + 200,
            )
        except openai.OpenAIError as exc:
            reason = _call_failure_reason(exc)
            # The exception text may echo request data; log the class and status only.
            logger.warning("operator LLM call failed (%s, %d situations): %s", reason, len(ids), type(exc).__name__)
            return BatchResult(failures={sid: reason for sid in ids}, calls=1)
        usage = getattr(response, "usage", None)
        prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        choice = response.choices[0] if response.choices else None
        message = choice.message if choice else None
        if message is not None and getattr(message, "refusal", None):
            result = BatchResult(failures={sid: "refusal" for sid in ids})
        elif choice is not None and choice.finish_reason == "length":
            result = BatchResult(failures={sid: "truncated" for sid in ids})
        else:
            result = answers_parse(message.content if message else None, ids=ids)
        result.prompt_tokens, result.completion_tokens, result.calls = prompt_tokens, completion_tokens, 1
        return result

    def decide(self, situations: list, *, as_of_iso: str, progress=None) -> BatchResult:
        total = BatchResult()
        batches = batches_plan(situations, budget=self.config.batch_tokens)
        done = 0
        for batch in batches:
            result = self.decide_batch(batch, as_of_iso=as_of_iso)
            total.answers.update(result.answers)
            total.failures.update(result.failures)
            for reason, n in result.ignored.items():
                total.ignored[reason] = total.ignored.get(reason, 0) + n
            total.prompt_tokens += result.prompt_tokens
            total.completion_tokens += result.completion_tokens
            total.calls += result.calls
            done += len(batch)
            if progress:
                progress(done, len(situations))
        return total
