"""A dedicated Redis database for tests, or a clear skip (a failure when REQUIRE_REDIS=1)."""

import os

import pytest
import redis

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def require_redis() -> redis.Redis:
    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        message = f"Redis not reachable at {TEST_REDIS_URL} ({type(exc).__name__}: {exc})"
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"{message}, and REQUIRE_REDIS=1", pytrace=False)
        pytest.skip(f"{message}; start redis-server or set TEST_REDIS_URL")
    return client


@pytest.fixture
def redis_db(settings):
    """A clean test Redis database; the lock store points at it for the test."""
    client = require_redis()
    client.flushdb()
    settings.REDIS_URL = TEST_REDIS_URL
    yield client
    client.flushdb()
