"""The LLM step against a fake OpenAI-compatible server on 127.0.0.1 (the real openai SDK)."""

import json

import openai
import pytest

from discovery import llm
from lifecycle.probes import ProbeAnswer
from tests.discovery.local_server import Reply


def _completion(payload: dict) -> Reply:
    return Reply(200, {
        "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": "fake",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": json.dumps(payload)}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    })


@pytest.fixture
def client(server):
    return openai.OpenAI(api_key="sk-test", base_url=server.url("/v1"), max_retries=0, timeout=5)


def _requests(server):
    return [json.loads(h.body) for h in server.hits("/v1/chat/completions")]


def test_it_keeps_real_candidates_and_discards_invented_ids(server, client):
    server.route("/v1/chat/completions", _completion({"choices": [
        {"openrouter_id": "anthropic/claude-3.5-sonnet", "provider": "anthropic",
         "model_id": "claude-3-5-sonnet-20241022", "confidence": 0.99, "reasoning": "latest 3.5 Sonnet"},
        {"openrouter_id": "anthropic/claude-3.5-sonnet", "provider": "bedrock",
         "model_id": "anthropic.claude-3-5-sonnet-v9:0", "confidence": 0.9, "reasoning": "made up"},
        {"openrouter_id": "someone/else", "provider": "groq", "model_id": "x", "confidence": 1, "reasoning": ""},
        {"openrouter_id": "anthropic/claude-3-haiku", "provider": "anthropic", "model_id": None,
         "confidence": 0.2, "reasoning": "not sure"},
    ]}))
    items = [
        llm.Ambiguous("anthropic/claude-3.5-sonnet", "Claude 3.5 Sonnet", "", {
            "anthropic": ["claude-3-5-sonnet-20240620", "claude-3-5-sonnet-20241022"],
            "bedrock": ["anthropic.claude-3-5-sonnet-20240620-v1:0", "anthropic.claude-3-5-sonnet-20241022-v2:0"]}),
        llm.Ambiguous("anthropic/claude-3-haiku", "Claude 3 Haiku", "", {"anthropic": ["claude-3-haiku-20240307"]}),
    ]
    outcome = llm.llm_choose(items=items, client=client, model="fake-model", batch_size=10)
    assert [(p.openrouter_id, p.provider, p.model_id) for p in outcome.picks] == [
        ("anthropic/claude-3.5-sonnet", "anthropic", "claude-3-5-sonnet-20241022")]
    assert outcome.picks[0].confidence == llm.LLM_MAX_CONFIDENCE  # capped below deterministic rules
    assert {d["model_id"] for d in outcome.discarded} == {"anthropic.claude-3-5-sonnet-v9:0", "x"}
    request = _requests(server)[0]
    assert request["model"] == "fake-model"
    assert request["response_format"]["type"] == "json_schema"
    assert "claude-3-5-sonnet-20240620" in request["messages"][1]["content"]


def test_it_batches_and_survives_a_broken_answer(server, client):
    server.route("/v1/chat/completions", Reply(200, {"choices": [{"index": 0, "message": {
        "role": "assistant", "content": "this is not json"}, "finish_reason": "stop"}],
        "id": "x", "object": "chat.completion", "created": 0, "model": "fake"}))
    items = [llm.Ambiguous(f"org/m{i}", f"M{i}", "", {"groq": [f"m{i}"]}) for i in range(5)]
    outcome = llm.llm_choose(items=items, client=client, model="fake", batch_size=2)
    assert outcome.calls == 3 and len(_requests(server)) == 3
    assert outcome.picks == [] and len(outcome.errors) == 3


def test_it_probes_guesses_and_feeds_404s_back_until_verified(server, client, settings):
    # Issue 14: the guesses are checked by the lifecycle's probe (a one-token chat completion, classified
    # by the taxonomy) instead of GET /models/{id}.
    settings.PROVIDERS = {"sambanova": {"api_key": "sn-key", "base_url": server.url("/sn/v1")}}
    guesses = iter(["Llama-3.3-70B", "Meta-Llama-3.3-70B-Instruct"])
    server.route_fn("/v1/chat/completions", lambda seen: _completion({"choices": [{
        "openrouter_id": "meta-llama/llama-3.3-70b-instruct", "provider": "sambanova", "model_id": next(guesses),
        "confidence": 0.7, "reasoning": "guess"}]}))

    def provider(seen):
        model = json.loads(seen.body)["model"]
        if model == "Meta-Llama-3.3-70B-Instruct":
            return _completion({"ok": True})
        return Reply(404, {"error": {"message": f"Model {model} not found", "code": "model_not_found"}})

    server.route_fn("/sn/v1/chat/completions", provider)
    items = [llm.GuessItem("meta-llama/llama-3.3-70b-instruct", "Llama 3.3 70B Instruct",
                           "meta-llama/Llama-3.3-70B-Instruct", "sambanova")]
    outcome = llm.llm_guess_and_probe(items=items, client=client, model="fake", max_attempts=3)
    assert [(p.model_id, p.method) for p in outcome.picks] == [("Meta-Llama-3.3-70B-Instruct", "llm-probe")]
    assert outcome.calls == 2 and outcome.probes == 2
    second_prompt = _requests(server)[1]["messages"][1]["content"]
    assert "Llama-3.3-70B" in second_prompt and "not found" in second_prompt  # the 404 went back
    probes = server.hits("/sn/v1/chat/completions")
    assert probes[0].headers["authorization"] == "Bearer sn-key"
    assert [json.loads(p.body)["max_tokens"] for p in probes] == [1, 1]


def test_it_stops_after_the_allowed_attempts(server, client):
    counter = {"n": 0}

    def answer(seen):
        counter["n"] += 1
        return _completion({"choices": [{"openrouter_id": "a/b", "provider": "p", "model_id": f"guess-{counter['n']}",
                                         "confidence": 0.5, "reasoning": ""}]})

    server.route_fn("/v1/chat/completions", answer)
    probes = []

    def prober(provider, model_id):
        probes.append(model_id)
        return ProbeAnswer(False, 404, f"{model_id} does not exist")

    outcome = llm.llm_guess_and_probe(items=[llm.GuessItem("a/b", "B", "", "p")], client=client, prober=prober,
                                      model="fake", max_attempts=3)
    assert outcome.picks == [] and outcome.calls == 3 and probes == ["guess-1", "guess-2", "guess-3"]
    assert [d["model_id"] for d in outcome.discarded] == probes  # nothing unverified becomes a suggestion


def test_it_drops_a_guess_it_cannot_verify(server, client):
    server.route("/v1/chat/completions", _completion({"choices": [
        {"openrouter_id": "a/b", "provider": "p", "model_id": "b", "confidence": 0.9, "reasoning": ""}]}))
    outcome = llm.llm_guess_and_probe(items=[llm.GuessItem("a/b", "B", "", "p")], client=client, model="fake",
                                      prober=lambda p, m: ProbeAnswer(False, 401, "invalid key"), max_attempts=3)
    assert outcome.picks == [] and outcome.calls == 1
    assert "probe inconclusive" in outcome.discarded[0]["why"]
