"""LLM answers reused while their situation is unchanged, and the LLM's daily budget.

Every three-hourly pass meets mostly the same situations as the one before. An answer is stored
under the situation's signature — provider, kind (one signature or a provider-wide problem),
taxonomy class, the set of member models, the streak bucket (fresh or long), plus the LLM model
and the prompt it was asked with — and reused within OPERATOR_LLM_ANSWER_TTL_HOURS, so an unchanged
rerun makes no call. A changed member set, class, bucket, model or prompt is a new question.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, time, timedelta, timezone

from django.conf import settings
from django.db.models import Sum

from operator_app import prompts
from operator_app.llm import Answer
from operator_app.models import LLMAnswer, OperatorRun

# The prompt an answer was given to: a new prompt or schema makes every stored answer stale.
PROMPT_VERSION = hashlib.sha256((prompts.SYSTEM_PROMPT + json.dumps(prompts.RESPONSE_SCHEMA, sort_keys=True))
                                .encode()).hexdigest()[:16]


def situation_signature(situation) -> str:
    """The key of a situation's stored answer. Situation.key already carries provider, kind, class and
    the streak bucket (and, for a signature, the hash of the shared error)."""
    longest = (situation.evidence.get("streak") or {}).get("longest_hours") or 0
    bucket = "long" if longest >= settings.OPERATOR_HARD_STREAK_HOURS else "fresh"
    basis = {"situation": situation.key, "members": sorted(m.model_id for m in situation.members),
             "bucket": bucket, "model": settings.OPERATOR_LLM_MODEL, "prompt": PROMPT_VERSION}
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()


class AnswerCache:
    """Stored answers for one pass: looked up once, written once (never in a dry run)."""

    def __init__(self, *, as_of: datetime, write: bool):
        self.as_of, self.write = as_of, write
        self.ttl = timedelta(hours=settings.OPERATOR_LLM_ANSWER_TTL_HOURS)

    def lookup(self, situations) -> dict[str, Answer]:
        """{situation id: the stored answer} for the situations answered recently enough (one query)."""
        if not self.ttl or not situations:
            return {}
        by_key = {situation_signature(s): s for s in situations}
        rows = LLMAnswer.objects.filter(key__in=list(by_key), answered_at__gte=self.as_of - self.ttl,
                                        answered_at__lte=self.as_of)
        found = {}
        for row in rows:
            situation = by_key[row.key]
            found[situation.id] = Answer(situation.id, row.action, row.confidence, row.reasoning,
                                         row.suggested_model_id or None, cached=True)
        return found

    def store(self, situations, answers: dict[str, Answer]) -> int:
        """Keep this pass's fresh answers (two writes whatever the count); returns how many."""
        if not self.write or not self.ttl:
            return 0
        rows = [LLMAnswer(key=situation_signature(s), situation_key=s.key[:255], llm_model=settings.OPERATOR_LLM_MODEL,
                          action=a.action, confidence=a.confidence, reasoning=a.reasoning,
                          suggested_model_id=a.suggested_model_id or "", answered_at=self.as_of)
                for s in situations if (a := answers.get(s.id)) is not None and not a.cached]
        if not rows:
            return 0
        LLMAnswer.objects.filter(key__in=[r.key for r in rows]).delete()
        LLMAnswer.objects.bulk_create(rows)
        return len(rows)


def llm_budget_left(*, as_of: datetime) -> float | None:
    """USD the LLM may still cost today (UTC), after the runs already made; None: no daily limit."""
    budget = settings.OPERATOR_LLM_DAILY_BUDGET_USD
    if budget is None:
        return None
    day = datetime.combine(as_of.astimezone(timezone.utc).date(), time.min, tzinfo=timezone.utc)
    spent = OperatorRun.objects.filter(started_at__gte=day, started_at__lt=day + timedelta(days=1)).aggregate(
        spent=Sum("estimated_cost_usd"))["spent"] or 0.0
    return max(0.0, budget - spent)
