"""Probes against a fake provider on 127.0.0.1: one minimal request, classified by the taxonomy, recorded,
bounded; keys never stored."""

from datetime import datetime, timedelta, timezone

import pytest

from lifecycle.models import ModelProbe
from lifecycle.probes import (
    ProbeNotConfigured,
    ProbeTarget,
    prober_for,
    probes_run,
    probes_select,
)
from llmops.lib.optional import missing_sdk
from tests.discovery.local_server import Reply
from tests.lifecycle.fake_provider import (
    KEYS,
    OK,
    FakeProviders,
    anthropic_not_found,
    billing,
    not_found,
    overloaded,
    rate_limited,
)

AS_OF = datetime(2026, 11, 26, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def fake(settings):
    settings.HTTP_TIMEOUT = 2.0
    with FakeProviders() as fake:
        fake.configure(settings, "deepinfra", "anthropic", "openai")
        yield fake


def test_it_asks_an_openai_compatible_provider_for_one_token(fake):
    fake.script("deepinfra", "meta-llama/Llama-3.3-70B-Instruct", OK)
    answer = prober_for("deepinfra").ask("meta-llama/Llama-3.3-70B-Instruct")
    assert answer.ok and answer.conclusive and answer.status == 200 and answer.latency_ms is not None
    request = fake.requests("deepinfra")[0]
    assert request["model"] == "meta-llama/Llama-3.3-70B-Instruct" and request["max_tokens"] == 1
    assert fake.hits("deepinfra")[0].headers["authorization"] == f"Bearer {KEYS['deepinfra']}"


def test_it_uses_max_completion_tokens_for_openai_and_falls_back_once_on_the_other_parameter(fake):
    fake.script("openai", "o3", OK)
    assert prober_for("openai").ask("o3").ok
    assert fake.requests("openai")[0]["max_completion_tokens"] == 1
    fake.script("deepinfra", "old-model", Reply(400, {"error": {
        "message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
                   "'max_completion_tokens' instead.", "code": "unsupported_parameter"}}), OK)
    assert prober_for("deepinfra").ask("old-model").ok
    assert [("max_tokens" in r, "max_completion_tokens" in r) for r in fake.requests("deepinfra")] == [
        (True, False), (False, True)]


def test_it_speaks_anthropics_messages_api(fake):
    fake.script("anthropic", "claude-opus-4-5", OK)
    fake.script("anthropic", "claude-2.0", anthropic_not_found("claude-2.0"))
    assert prober_for("anthropic").ask("claude-opus-4-5").ok
    gone = prober_for("anthropic").ask("claude-2.0")
    assert not gone.ok and gone.refused and gone.conclusive and gone.status == 404 and gone.error_class == "hard_model"
    hit = fake.hits("anthropic")[0]
    assert hit.headers["x-api-key"] == KEYS["anthropic"] and hit.headers["anthropic-version"] == "2023-06-01"
    assert fake.requests("anthropic")[0]["max_tokens"] == 1


@pytest.mark.parametrize("reply,error_class,conclusive,refused", [
    (not_found("m"), "hard_model", True, True),
    (Reply(400, {"error": {"message": "The model `m` has been decommissioned and is no longer supported.",
                           "code": "model_decommissioned"}}), "hard_model", True, True),
    (billing(), "billing", True, False),
    (Reply(401, {"error": {"message": "Invalid API key"}}), "auth", True, False),
    (rate_limited(), "rate_limit", False, False),
    (overloaded(), "transient", False, False),
    (Reply(200, "<html>captive portal</html>", headers={"content-type": "text/html"}), "transient", False, False),
    # a router's 200 carrying an error object: read like the status it names, or as no answer at all
    (Reply(200, {"error": {"code": 429, "message": "upstream rate limited"}}), "rate_limit", False, False),
    (Reply(200, {"error": {"message": "upstream hiccup"}}), "transient", False, False),
    (Reply(200, {"error": {"code": 404, "message": "No endpoints found for m"}}), "hard_model", True, True),
])
def test_it_classifies_answers_by_the_taxonomy_and_only_model_errors_refuse(fake, reply, error_class, conclusive,
                                                                          refused):
    fake.script("deepinfra", "m", reply)
    answer = prober_for("deepinfra").ask("m")
    assert (answer.ok, answer.error_class, answer.conclusive, answer.refused) == (False, error_class, conclusive,
                                                                                 refused)


def test_a_timeout_and_a_refused_connection_are_no_answer(fake, settings):
    settings.HTTP_TIMEOUT = 0.3
    fake.script("deepinfra", "slow", Reply(200, {}, delay=1.0))
    slow = prober_for("deepinfra").ask("slow")
    assert (slow.ok, slow.error_class, slow.conclusive) == (False, "timeout", False)
    settings.PROVIDERS["groq"] = {"api_key": "gsk_x" * 4, "base_url": "http://127.0.0.1:9/v1"}
    down = prober_for("groq").ask("m")
    assert (down.ok, down.error_class, down.conclusive) == (False, "network", False)


@pytest.mark.django_db
def test_it_records_each_probe_redacted_and_without_the_key(fake):
    echo = f"Invalid API key provided: {KEYS['deepinfra']} (Authorization: Bearer {KEYS['deepinfra']})"
    fake.script("deepinfra", "m", Reply(401, {"error": {"message": echo}}))
    run = probes_run(targets=[ProbeTarget("deepinfra", "m", ModelProbe.Purpose.RECHECK)], as_of=AS_OF)
    probe = ModelProbe.objects.get()
    assert run.probed == [(run.probed[0][0], probe)]
    assert (probe.provider, probe.model_id, probe.at, probe.purpose, probe.ok, probe.http_status, probe.error_class,
            probe.conclusive) == ("deepinfra", "m", AS_OF, "recheck", False, 401, "auth", True)
    assert KEYS["deepinfra"] not in probe.message and "Invalid API key" in probe.message


def test_it_cannot_probe_without_a_key_or_an_sdk_and_says_why(settings):
    settings.PROVIDERS = {"groq": {"api_key": "", "base_url": "https://api.groq.com/openai/v1"}}
    with pytest.raises(ProbeNotConfigured, match="groq: no API key"):
        prober_for("groq")
    with pytest.raises(ProbeNotConfigured, match="no probe for this provider"):
        prober_for("acme")
    with pytest.raises(ProbeNotConfigured, match=r"vertex: not probed — the google-cloud-aiplatform SDK is not "
                                                  r"installed \(pip install google-cloud-aiplatform\)"):
        prober_for("vertex")


@pytest.mark.django_db
def test_a_provider_that_cannot_be_probed_is_skipped_without_using_the_caps(fake, settings):
    settings.PROVIDERS["groq"] = {"api_key": "", "base_url": "https://api.groq.com/openai/v1"}
    fake.script("deepinfra", "a", OK)
    run = probes_run(targets=[ProbeTarget("groq", "x", "recheck"), ProbeTarget("deepinfra", "a", "recheck")],
                     as_of=AS_OF, max_per_run=1)
    assert [t.model_id for t, _ in run.probed] == ["a"]
    assert run.skipped == {"groq": "groq: no API key (GROQ_API_KEY is empty)"}
    assert [t.model_id for t in run.not_probed] == ["x"] and ModelProbe.objects.count() == 1


def test_caps_take_a_humans_request_first_then_the_oldest_due():
    old, new = AS_OF - timedelta(days=3), AS_OF - timedelta(hours=2)
    targets = [ProbeTarget("p", f"new-{i}", "recheck", due_at=new) for i in range(3)] + [
        ProbeTarget("p", "old", "recheck", due_at=old), ProbeTarget("q", "never", "admission", due_at=None),
        ProbeTarget("p", "asked", "manual", asked=True)]
    chosen, waiting = probes_select(targets, max_per_run=4, max_per_provider=3)
    assert [t.model_id for t in chosen] == ["asked", "never", "old", "new-0"]
    assert [t.model_id for t in waiting] == ["new-1", "new-2"]
    chosen, waiting = probes_select(targets, max_per_run=10, max_per_provider=2, already={"p": 1})
    assert [t.model_id for t in chosen] == ["asked", "never"]


@pytest.mark.skipif(missing_sdk("boto3", "boto3") is None, reason="boto3 is installed here: Bedrock would be probed")
def test_bedrock_without_its_sdk_is_skipped_saying_what_to_install():
    with pytest.raises(ProbeNotConfigured, match=r"bedrock: not probed — the boto3 SDK is not installed "
                                                  r"\(pip install boto3\)"):
        prober_for("bedrock")
