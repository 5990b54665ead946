"""A failing or reckless LLM on a full pass over the demo fleet (real collector, real openai client).

tests/operator_app/test_llm.py proves each failure mode on a small in-memory fleet; here
every mode runs a whole non-dry pass on the seeded demo database and the outcome is
checked where an operator would look: the registry, the decisions, the OperatorRun row.
What the classifier alone would auto-execute (a --no-llm dry run) is the yardstick: a
broken LLM must never make the pass do more than that, and the run must complete.
"""

from __future__ import annotations

import pytest

from operator_app.engine import operator_run
from operator_app.models import Decision, OperatorRun
from tests.operator_app.fake_llm import FakeLLM, Reply, answers, completion, request_situations

from .support import AS_OF, disabled_keys, llm_settings, seed_fleet

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet_plan():
    """The demo fleet, and what the policy lets the classifier alone auto-execute on it."""
    seed_fleet()
    plan = operator_run(as_of=AS_OF, use_llm=False, dry_run=True)
    allowed = {p.key for p in plan.proposals if p.policy.auto_execute}
    assert allowed, "the demo fleet must have policy-approved disables"
    return plan, allowed


def _reckless(request, number):
    """Disable everything at 0.99 — and add answers for situations and models that do not exist."""
    items = [{"situation_id": s["id"], "action": "disable", "confidence": 0.99, "reasoning": "disable it",
              "suggested_model_id": "gpt-9-invented"} for s in request_situations(request)]
    items += [{"situation_id": "S999", "action": "disable", "confidence": 0.99, "reasoning": "and this",
               "suggested_model_id": None},
              {"situation_id": "openai/gpt-9-invented", "action": "disable", "confidence": 0.99,
               "reasoning": "and this", "suggested_model_id": None}]
    return answers(items)


def test_an_llm_that_disables_everything_at_099_executes_nothing_outside_policy(fleet_plan):
    plan, allowed = fleet_plan
    with FakeLLM(_reckless) as server, llm_settings(server):
        report = operator_run(as_of=AS_OF)
    run = OperatorRun.objects.get()
    assert run.status == "succeeded" and run.llm_calls >= 1
    assert run.fallback_reasons.get("ignored_answers", {}).get("unknown_id") == 2 * run.llm_calls
    # Nothing outside the policy: exactly the models the policy allows on evidence alone.
    assert disabled_keys() == allowed
    for p in report.proposals:
        if p.key not in allowed:
            assert not p.executed and not p.policy.auto_execute
    # Every model the LLM wanted gone but the policy refused waits for a human, with the reason.
    refused = Decision.objects.filter(action="disable", status="pending", suggested_by="llm")
    assert refused.count() >= 5
    assert all(not d.auto_execute and d.auto_execute_reason for d in refused)
    assert {d.provider for d in refused} >= {"mistral", "deepinfra"}  # provider-wide auth and billing
    # Invented things stay invented: no decision, no registry row, and the new ID only a suggestion.
    assert not Decision.objects.filter(model_id__contains="gpt-9").exists()
    from registry.models import RegisteredModel

    assert not RegisteredModel.objects.filter(model_id__contains="gpt-9").exists()


FAILURES = [
    pytest.param(Reply(status=500, body={"error": {"message": "boom"}}), "server_error", id="500"),
    pytest.param(Reply(status=429, body={"error": {"message": "slow down"}}, headers={"retry-after": "0"}),
                 "rate_limited", id="429-retry-after-exhausted"),
    pytest.param(Reply(body=completion('{"decisions": [{"situation_id": "S1", "act')), "malformed_json",
                 id="malformed"),
    pytest.param(Reply(body=completion('{"decisions": [{"situation_id": "S1"', finish_reason="length")),
                 "truncated", id="truncated"),
    pytest.param(Reply(body=completion("{}"), delay=1.0), "timeout", id="timeout"),
]


@pytest.mark.parametrize("reply, reason", FAILURES)
def test_a_failing_llm_falls_back_loudly_and_the_pass_completes(fleet_plan, reply, reason):
    plan, allowed = fleet_plan
    with FakeLLM(lambda request, n: reply) as server, llm_settings(server, timeout=0.3, retries=1):
        operator_run(as_of=AS_OF)
    run = OperatorRun.objects.get()
    assert run.status == "succeeded" and run.error == ""
    assert run.fallbacks == run.situations > 0
    assert run.fallback_reasons == {reason: run.situations}  # recorded on the run, per reason
    assert disabled_keys() == allowed  # the classifier decided, within the same policy
    decided = Decision.objects.exclude(suggested_by="rules")
    assert decided.exists() and {d.suggested_by for d in decided} == {"classifier-fallback"}
    assert all(d.evidence.get("fallback_reason") == reason for d in decided)
    if reason in ("server_error", "rate_limited"):
        assert len(server.requests) == 2 * run.llm_calls  # the SDK retried once (retry-after honoured), then gave up


def test_a_429_with_retry_after_is_waited_out_and_the_answer_used(fleet_plan):
    plan, allowed = fleet_plan

    def respond(request, number):
        if number == 1:
            return Reply(status=429, body={"error": {"message": "rate limited"}}, headers={"retry-after-ms": "50"})
        return _reckless(request, number)

    with FakeLLM(respond) as server, llm_settings(server, retries=1):
        operator_run(as_of=AS_OF)
    run = OperatorRun.objects.get()
    assert run.status == "succeeded" and run.fallbacks == 0 and len(server.requests) == run.llm_calls + 1
    assert disabled_keys() == allowed
