"""llmops.lib.http against a real server on 127.0.0.1."""

import logging

import pytest

from llmops.lib import http
from tests.discovery.local_server import LocalServer, Reply

FAST = {"backoff_base": 0.001, "timeout": 2.0}


@pytest.fixture
def server():
    with LocalServer() as srv:
        yield srv


def test_it_returns_json_from_a_good_response(server):
    server.route("/ok", Reply(200, {"data": [1, 2]}))
    assert http.http_get_json(server.url("/ok"), **FAST) == {"data": [1, 2]}


def test_it_retries_5xx_then_succeeds(server):
    server.route("/flaky", Reply(503, "busy"), Reply(502, "busy"), Reply(200, {"ok": True}))
    response = http.http_request("GET", server.url("/flaky"), retries=3, **FAST)
    assert response.json() == {"ok": True}
    assert response.attempts == 3
    assert len(server.hits("/flaky")) == 3


def test_it_gives_up_after_the_retries_with_the_status(server):
    server.route("/down", Reply(500, "internal error"))
    with pytest.raises(http.HttpStatusError) as info:
        http.http_request("GET", server.url("/down"), retries=2, **FAST)
    assert info.value.status == 500 and info.value.attempts == 3
    assert "internal error" in info.value.body
    assert len(server.hits("/down")) == 3


def test_it_does_not_retry_a_client_error(server):
    server.route("/missing", Reply(404, {"error": "no such model"}))
    with pytest.raises(http.HttpStatusError) as info:
        http.http_request("GET", server.url("/missing"), retries=3, **FAST)
    assert info.value.status == 404
    assert len(server.hits("/missing")) == 1


def test_it_honours_retry_after_on_429_but_bounded(server):
    server.route("/limited", Reply(429, "slow down", headers={"Retry-After": "7"}), Reply(200, {"ok": 1}))
    waits = []
    response = http.http_request("GET", server.url("/limited"), retries=1, sleep=waits.append, **FAST)
    assert response.json() == {"ok": 1}
    assert waits and 7 <= waits[0] <= http.MAX_RETRY_AFTER
    huge = http.backoff_delay(1, base=0.001, retry_after=86400)
    assert huge == http.MAX_RETRY_AFTER


def test_it_parses_retry_after_dates():
    assert http.parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == pytest.approx(10.0)
    assert http.parse_retry_after("soon") is None
    assert http.parse_retry_after("3") == 3.0


def test_it_backs_off_exponentially_with_jitter():
    low = [http.backoff_delay(n, base=1.0, rng=lambda: 0.0) for n in (1, 2, 3)]
    high = [http.backoff_delay(n, base=1.0, rng=lambda: 1.0) for n in (1, 2, 3)]
    assert low == [0.5, 1.0, 2.0] and high == [1.0, 2.0, 4.0]
    assert http.backoff_delay(30, base=1.0, rng=lambda: 1.0) == http.MAX_BACKOFF


def test_it_times_out_and_retries(server):
    server.route("/slow", Reply(200, {"late": True}, delay=1.0))
    with pytest.raises(http.HttpTimeout):
        http.http_request("GET", server.url("/slow"), retries=1, timeout=0.2, backoff_base=0.001)
    assert len(server.hits("/slow")) == 2


def test_it_reports_a_truncated_body(server):
    server.route("/cut", Reply(200, {"data": ["x" * 500]}, truncate_to=40))
    with pytest.raises(http.HttpTransportError):
        http.http_request("GET", server.url("/cut"), retries=1, **FAST)
    assert len(server.hits("/cut")) == 2  # a truncated body is worth a retry


def test_it_rejects_malformed_json_clearly(server):
    server.route("/garbage", Reply(200, "<html>oops</html>", headers={"Content-Type": "text/html"}))
    with pytest.raises(http.BadJson, match="not valid JSON.*<html>"):
        http.http_get_json(server.url("/garbage"), **FAST)


def test_it_caps_a_declared_oversized_body(server):
    server.route("/big", Reply(200, b"x" * 5000))
    with pytest.raises(http.ResponseTooLarge, match="declares 5000 bytes"):
        http.http_request("GET", server.url("/big"), max_bytes=1024, **FAST)


def test_it_caps_an_oversized_body_while_streaming(server):
    server.route("/stream", Reply(200, stream_bytes=10 * 1024 * 1024))
    with pytest.raises(http.ResponseTooLarge, match="while streaming"):
        http.http_request("GET", server.url("/stream"), max_bytes=100_000, **FAST)
    assert len(server.hits("/stream")) == 1  # size is not a transient problem


def test_it_reports_connection_refused():
    with LocalServer() as srv:
        url = srv.url("/gone")
    with pytest.raises(http.HttpTransportError):
        http.http_request("GET", url, retries=1, **FAST)


def test_it_never_logs_credentials(server, caplog):
    server.route("/secret", Reply(503, "nope"))
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(http.HttpStatusError) as info:
            http.http_request("GET", server.url("/secret?api_key=sk-topsecret&q=1"), retries=1,
                              headers={"Authorization": "Bearer sk-topsecret"}, **FAST)
    assert server.hits("/secret")[0].headers["authorization"] == "Bearer sk-topsecret"
    assert "sk-topsecret" not in caplog.text
    assert "sk-topsecret" not in str(info.value)
    assert "api_key=%2A%2A%2A" in info.value.url


def test_it_uses_settings_defaults(server, settings):
    settings.HTTP_MAX_RESPONSE_BYTES = 1024
    settings.HTTP_RETRIES = 0
    server.route("/big", Reply(200, b"y" * 2048))
    with pytest.raises(http.ResponseTooLarge):
        http.http_request("GET", server.url("/big"))
