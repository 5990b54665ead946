"""A real Celery worker (in-process thread, celery.contrib.testing) on a real Redis broker.

The worker runs in this process so it sees the test database (transactional tests commit,
and SQLite's in-memory test database is shared between threads); it consumes a unique queue
on a dedicated Redis database, so it never takes work from a developer's running worker.
"""

import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

from llmops.celery import app
from llmops.lib.locks import job_lock
from llmops.lib.tasks import periodic_job
from llmops.models import JobFailure
from operator_app.models import Decision
from tests.llmops.redis_support import TEST_REDIS_URL, require_redis

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]
ATTEMPTS = {"n": 0}


@periodic_job(name="tests.llmops.worker_flaky_job", max_retries=2, backoff_base=1)
def worker_flaky_job():
    ATTEMPTS["n"] += 1
    if ATTEMPTS["n"] == 1:
        raise TimeoutError("upstream timed out")
    return ATTEMPTS["n"]


@pytest.fixture
def worker(settings):
    client = require_redis()
    client.flushdb()
    settings.REDIS_URL = TEST_REDIS_URL  # the job locks
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.HEALTH_REPORT_TO = ["ops@example.com"]
    app.loader.import_default_modules()
    keys = ("broker_url", "result_backend", "task_always_eager", "worker_hijack_root_logger")
    saved = {key: app.conf.get(key) for key in keys}
    app.conf.update(broker_url=TEST_REDIS_URL, result_backend=TEST_REDIS_URL, task_always_eager=False,
                    worker_hijack_root_logger=False)
    app._pool = None
    if hasattr(app._local, "backend"):
        del app._local.backend
    queue = f"llmops-test-{uuid.uuid4().hex[:12]}"
    ATTEMPTS["n"] = 0
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=20,
                          loglevel="WARNING"):
            yield queue
    finally:
        app.conf.update(saved)
        app._pool = None
        if hasattr(app._local, "backend"):
            del app._local.backend
        client.flushdb()


def test_it_runs_the_health_report_end_to_end_on_a_real_worker(worker):
    Decision.objects.create(provider="openai", model_id="gpt-x", action="disable", confidence=0.9,
                            status="pending", reasoning="404 for days <b>bold</b>")
    result = app.tasks["operator_app.tasks.send_health_report"].apply_async(queue=worker)
    summary = result.get(timeout=30)
    assert summary["sent"] is True and summary["to"] == ["ops@example.com"]
    assert "1 suggestion" in summary["subject"]
    assert len(mail.outbox) == 1
    (html, _mimetype), = mail.outbox[0].alternatives
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_it_skips_an_overlapping_run_on_a_real_worker(worker):
    with job_lock("operator_app.tasks.send_health_report", ttl=60) as held:
        assert held
        result = app.tasks["operator_app.tasks.send_health_report"].apply_async(queue=worker)
        assert result.get(timeout=30) == {"skipped": "locked"}
    assert mail.outbox == []
    # once the first run is done the next one goes through
    assert app.tasks["operator_app.tasks.send_health_report"].apply_async(queue=worker).get(timeout=30)["sent"]


def test_it_retries_a_transient_failure_through_the_broker(worker):
    result = worker_flaky_job.apply_async(queue=worker)
    assert result.get(timeout=60) == 2
    failure = JobFailure.objects.get()
    assert (failure.job, failure.attempt, failure.final, failure.transient) == (
        "tests.llmops.worker_flaky_job", 1, False, True)
    assert failure.error == "upstream timed out"
