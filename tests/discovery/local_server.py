"""A real HTTP server on 127.0.0.1 for tests: scripted routes, recorded requests.

Each route maps a path to a list of responses served in order (the last one repeats),
so a test can script "503 then 200". A response is a `Reply`; special kinds simulate a
slow server, a body cut short and a huge body.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict | list = b""
    headers: dict = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (timeouts)
    truncate_to: int | None = None  # send only this many bytes of a longer declared body
    stream_bytes: int | None = None  # stream this many bytes without a Content-Length

    def payload(self) -> bytes:
        if isinstance(self.body, (dict, list)):
            return json.dumps(self.body).encode()
        if isinstance(self.body, str):
            return self.body.encode()
        return self.body


@dataclass
class Seen:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes


class LocalServer:
    def __init__(self):
        self.routes: dict[str, list] = {}
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def _handle(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                seen = Seen(self.command, parts.path, parse_qs(parts.query),
                            {k.lower(): v for k, v in self.headers.items()}, body)
                with server._lock:
                    server.requests.append(seen)
                    script = server.routes.get(parts.path)
                    if script is None:
                        reply = Reply(404, {"error": {"message": f"no route {parts.path}"}})
                    elif callable(script):
                        reply = script(seen)
                    else:
                        reply = script.pop(0) if len(script) > 1 else script[0]
                if reply.delay:
                    time.sleep(reply.delay)
                payload = reply.payload()
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if reply.stream_bytes is not None:
                    self.send_header("Connection", "close")
                    self.end_headers()
                    chunk = b"x" * 65536
                    sent = 0
                    try:
                        while sent < reply.stream_bytes:
                            self.wfile.write(chunk)
                            sent += len(chunk)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    self.close_connection = True
                    return
                if "content-type" not in {k.lower() for k in reply.headers}:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                if reply.truncate_to is not None:
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(payload[: reply.truncate_to])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _handle

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):  # clients hanging up on purpose
                pass

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def route(self, path: str, *replies: Reply):
        with self._lock:
            self.routes[path] = list(replies)

    def route_fn(self, path: str, fn):
        with self._lock:
            self.routes[path] = fn

    def hits(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
