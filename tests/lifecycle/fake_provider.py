"""A fake provider API on 127.0.0.1 for probe tests: OpenAI-compatible chat completions and Anthropic's
Messages, each model answering from its own script (the last reply repeats), every request recorded.

    with FakeProviders() as fake:
        fake.configure(settings, "deepinfra", "anthropic")   # settings.PROVIDERS point at it
        fake.script("deepinfra", "meta-llama/Llama-3.3-70B-Instruct", OK, billing())
"""

from __future__ import annotations

import json

from tests.discovery.local_server import LocalServer, Reply

OK = "ok"
KEYS = {"deepinfra": "di-secret-0123456789abcdef", "anthropic": "sk-ant-api03-secretsecretsecret0123",
        "openai": "sk-proj-secretsecretsecret0123", "groq": "gsk_secretsecretsecret0123456789",
        "together": "tg-secret-0123456789abcdef", "mistral": "ms-secret-0123456789abcdef"}


def not_found(model: str) -> Reply:
    return Reply(404, {"error": {"message": f"The model `{model}` does not exist or you do not have access to it.",
                                 "type": "invalid_request_error", "code": "model_not_found"}})


def anthropic_not_found(model: str) -> Reply:
    return Reply(404, {"type": "error", "error": {"type": "not_found_error", "message": f"model: {model}"}})


def billing() -> Reply:
    return Reply(402, {"error": {"message": "Payment Required: insufficient credits"}})


def rate_limited() -> Reply:
    return Reply(429, {"error": {"message": "Rate limit reached, slow down", "type": "rate_limit_error"}})


def overloaded() -> Reply:
    return Reply(503, {"error": {"message": "Service Unavailable: the engine is currently overloaded"}})


def _completion(model: str) -> Reply:
    return Reply(200, {"id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": model,
                       "choices": [{"index": 0, "finish_reason": "length",
                                    "message": {"role": "assistant", "content": "OK"}}],
                       "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}})


def _message(model: str) -> Reply:
    return Reply(200, {"id": "msg_fake", "type": "message", "role": "assistant", "model": model,
                       "content": [{"type": "text", "text": "OK"}], "stop_reason": "max_tokens",
                       "usage": {"input_tokens": 5, "output_tokens": 1}})


class FakeProviders:
    def __init__(self):
        self.server = LocalServer()
        self.scripts: dict[tuple[str, str], list] = {}

    def __enter__(self):
        self.server.__enter__()
        return self

    def __exit__(self, *exc):
        self.server.__exit__(*exc)

    def configure(self, settings, *providers: str) -> None:
        settings.PROVIDERS = {name: {"api_key": KEYS.get(name, f"{name}-secret-0123456789"),
                                     "base_url": self.server.url(f"/{name}/v1")} for name in providers}
        for name in providers:
            path = "/anthropic/v1/messages" if name == "anthropic" else f"/{name}/v1/chat/completions"
            self.server.route_fn(path, lambda seen, name=name: self._answer(name, seen))

    def script(self, provider: str, model: str, *replies) -> None:
        self.scripts[(provider, model)] = list(replies)

    def _answer(self, provider: str, seen) -> Reply:
        model = json.loads(seen.body or b"{}").get("model", "")
        script = self.scripts.get((provider, model)) or [not_found(model)]
        reply = script.pop(0) if len(script) > 1 else script[0]
        if reply == OK:
            return _message(model) if provider == "anthropic" else _completion(model)
        return reply

    def requests(self, provider: str) -> list[dict]:
        path = "/anthropic/v1/messages" if provider == "anthropic" else f"/{provider}/v1/chat/completions"
        return [json.loads(hit.body) for hit in self.server.hits(path)]

    def hits(self, provider: str):
        path = "/anthropic/v1/messages" if provider == "anthropic" else f"/{provider}/v1/chat/completions"
        return self.server.hits(path)
