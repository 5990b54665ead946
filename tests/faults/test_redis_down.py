"""Redis down: management commands still work; Celery jobs retry instead of running unlocked.

"Down" here is a listener on 127.0.0.1 that accepts and immediately drops every
connection (so any client that tries gets a connection error, like a dead Redis), and
counts the attempts — which proves the commands never even try Redis. The Celery tests
point the lock store at a closed port instead (connection refused).
"""

from __future__ import annotations

import socket
import threading
from io import StringIO
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.core.management import call_command

from lifecycle.demo import FLEET
from llmops.celery import app
from llmops.models import JobFailure, JobRun
from operator_app.models import OperatorRun

from .support import AS_OF_ISO, seed_fleet, table_counts

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[1] / "discovery" / "data"
CLOSED_PORT_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1


class DeadRedis:
    """Accepts TCP connections on 127.0.0.1 and closes them at once; counts them."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.sock.getsockname()[1]}/0"

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def dead_redis(settings):
    with DeadRedis() as dead:
        settings.REDIS_URL = dead.url
        settings.CELERY_BROKER_URL = dead.url
        previous = app.conf.broker_url
        app.conf.broker_url = dead.url
        try:
            # The fixture itself is honest: a real client cannot talk to it.
            with pytest.raises(redis.ConnectionError):
                redis.Redis.from_url(dead.url, socket_connect_timeout=1).ping()
            dead.connections = 0
            yield dead
        finally:
            app.conf.broker_url = previous


def _run(*args) -> str:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_it_runs_every_management_command_while_redis_is_down(dead_redis, settings):
    settings.OPENAI_API_KEY = ""
    seed_fleet()
    assert f"{len(FLEET)} model_status rows written" in _run("collect_signals", "--as-of", AS_OF_ISO)
    assert "analyzed" in _run("run_operator", "--no-llm", "--as-of", AS_OF_ISO)
    assert OperatorRun.objects.get().status == "succeeded"
    assert "Subject:" in _run("send_health_report", "--dry-run", "--to", "ops@example.com", "--as-of", AS_OF_ISO)
    assert "entries" in _run("fetch_openrouter", "--file", str(DATA / "openrouter_catalog_2025-12-02.json"))
    assert "complete" in _run("sync_provider_catalogs", "--file", str(DATA / "provider_catalogs_2025-12-02.json"))
    assert dead_redis.connections == 0  # not one of them even tried Redis
    assert not JobFailure.objects.exists()


@pytest.mark.parametrize("task_name", ["operator_app.tasks.run_operator", "operator_app.tasks.send_health_report",
                                       "lifecycle.tasks.collect_signals"])
def test_a_scheduled_job_retries_with_backoff_when_it_cannot_take_its_lock(settings, task_name):
    settings.REDIS_URL = CLOSED_PORT_URL
    app.loader.import_default_modules()
    task = app.tasks[task_name]
    assert task.is_periodic()
    seed_fleet()
    before = table_counts()

    result = task.apply()  # eager: each retry runs at once, countdowns are only recorded

    with pytest.raises(redis.ConnectionError):
        result.get()
    failures = list(JobFailure.objects.order_by("attempt"))
    attempts = task.max_retries + 1
    assert [(f.attempt, f.final, f.transient) for f in failures] == (
        [(n, False, True) for n in range(1, attempts)] + [(attempts, True, True)])
    assert {f.job for f in failures} == {task_name}
    assert {f.error_type for f in failures} == {"redis.exceptions.ConnectionError"}
    delays = [f.retry_in_seconds for f in failures[:-1]]
    assert delays == sorted(delays) and delays[0] >= task.backoff_base and delays[-1] > 2 * delays[0]  # backs off
    # Never ran unlocked: nothing but the failure records, and (issue 15) the failed runs the jobs
    # page shows, was written.
    after = table_counts()
    assert after.pop("llmops.JobFailure") == before.pop("llmops.JobFailure") + attempts
    runs = list(JobRun.objects.filter(job=task_name).order_by("attempt"))
    assert [(r.attempt, r.status) for r in runs] == [(n, "failed") for n in range(1, attempts + 1)]
    for label in ("llmops.JobRun", "llmops.ScheduledJob"):  # one table, counted through the proxy too
        assert after.pop(label) == before.pop(label) + attempts
    assert after == before
    assert django_settings.REDIS_URL == CLOSED_PORT_URL
