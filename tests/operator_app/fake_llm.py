"""An OpenAI-compatible /v1/chat/completions server on 127.0.0.1 for tests and the bench.

The test gives it a `respond(request_json, call_number)` function returning a Reply; the
real openai SDK talks to it over HTTP (base_url), so retries, timeouts and status
handling are the SDK's own.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from operator_app.prompts import DATA_CLOSE, DATA_OPEN


@dataclass
class Reply:
    status: int = 200
    body: dict | list | str | bytes | None = None
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    content_type: str = "application/json"


def completion(content: str | None, *, refusal: str | None = None, finish_reason: str = "stop",
               prompt_tokens: int = 100, completion_tokens: int = 20) -> dict:
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": "test-model",
        "choices": [{"index": 0, "finish_reason": finish_reason,
                     "message": {"role": "assistant", "content": content, "refusal": refusal}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


def request_situations(request: dict) -> list[dict]:
    """The situations a request carries (parsed from the data block of the user message)."""
    user = next(m["content"] for m in request["messages"] if m["role"] == "user")
    block = re.search(re.escape(DATA_OPEN) + r"\n(.*)\n" + re.escape(DATA_CLOSE), user, re.S).group(1)
    return json.loads(block)["situations"]


def answers(decisions: list[dict], **kw) -> Reply:
    return Reply(body=completion(json.dumps({"decisions": decisions}), **kw))


class FakeLLM:
    def __init__(self, respond):
        self.respond = respond
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                with fake.lock:
                    fake.requests.append(payload)
                    number = len(fake.requests)
                reply = fake.respond(payload, number)
                if reply.delay:
                    time.sleep(reply.delay)
                if isinstance(reply.body, bytes):
                    data = reply.body
                else:
                    body = reply.body if isinstance(reply.body, str) else json.dumps(
                        reply.body if reply.body is not None else {})
                    data = body.encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", reply.content_type)
                    self.send_header("content-length", str(len(data)))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and went away

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
