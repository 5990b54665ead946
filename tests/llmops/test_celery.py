"""Celery wiring without a worker: beat schedule, the JobTask lock/retry/record behaviour."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from celery import shared_task
from celery.schedules import crontab
from django.conf import settings

from llmops.celery import app
from llmops.lib.locks import job_lock
from llmops.lib.tasks import JobTask, backoff_seconds, periodic_job
from llmops.models import JobFailure
from tests.llmops.redis_support import redis_db  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]
CALLS = {"flaky": 0, "body": 0}


@periodic_job(name="tests.llmops.flaky_job", max_retries=3, backoff_base=1)
def flaky_job(*, fail_times: int):
    CALLS["flaky"] += 1
    if CALLS["flaky"] <= fail_times:
        raise ConnectionError(f"provider unreachable (attempt {CALLS['flaky']}) key=sk-abcdefghijklmnopqrstuv")
    return {"ok": CALLS["flaky"]}


@periodic_job(name="tests.llmops.broken_job")
def broken_job():
    raise ValueError("bad data in row 7")


@periodic_job(name="tests.llmops.counted_job")
def counted_job():
    CALLS["body"] += 1
    return "ran"


@pytest.fixture(autouse=True)
def _reset_calls():
    CALLS.update(flaky=0, body=0)


def test_it_schedules_only_registered_tasks():
    app.loader.import_default_modules()
    assert settings.CELERY_BEAT_SCHEDULE
    for entry_name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, f"{entry_name}: {entry['task']} is not a registered task"
        assert isinstance(entry["schedule"], crontab)
        assert isinstance(app.tasks[entry["task"]], JobTask)


def test_it_schedules_the_jobs_the_issue_asks_for_in_order():
    schedule = {e["task"]: e["schedule"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["lifecycle.tasks.collect_signals"].hour == set(range(24))  # hourly
    assert schedule["operator_app.tasks.run_operator"].hour == set(range(0, 24, 3))  # every 3 hours
    report = schedule["operator_app.tasks.send_health_report"]
    assert (report.hour, report.minute) == ({8}, {0})  # daily 08:00 UTC
    assert settings.CELERY_TIMEZONE == "UTC"
    for daily in ("discovery.tasks.sync_provider_catalogs", "discovery.tasks.fetch_openrouter",
                  "discovery.tasks.match_catalog"):
        assert max(schedule[daily].hour) < 8, f"{daily} must run before the report"


def _settings_in_subprocess(env_extra: dict, code: str):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "llmops.settings", **env_extra}
    return subprocess.run([sys.executable, "-c", "import django; django.setup();" + code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_it_takes_schedules_from_the_environment():
    proc = _settings_in_subprocess(
        {"SCHEDULE_RUN_OPERATOR": "0 */6 * * *"},
        "from django.conf import settings; s = settings.CELERY_BEAT_SCHEDULE['run-operator']['schedule'];"
        "print(sorted(s.hour), sorted(s.minute))",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[0, 6, 12, 18] [0]"
    bad = _settings_in_subprocess({"SCHEDULE_SEND_HEALTH_REPORT": "every day"}, "")
    assert bad.returncode != 0
    assert "SCHEDULE_SEND_HEALTH_REPORT: expected 5 cron fields" in bad.stderr


def test_it_backs_off_exponentially_up_to_a_cap():
    assert [backoff_seconds(n, base=60, cap=1800, jitter=False) for n in range(6)] == [60, 120, 240, 480, 960, 1800]
    assert 60 <= backoff_seconds(0, base=60, cap=1800) <= 66


def test_it_runs_the_body_alone_when_called_directly_without_redis(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    assert counted_job() == "ran"
    assert CALLS["body"] == 1


@pytest.mark.redis
@pytest.mark.django_db
def test_it_retries_transient_failures_and_records_each_attempt(redis_db):
    result = flaky_job.apply(kwargs={"fail_times": 2})
    assert result.get() == {"ok": 3}
    failures = list(JobFailure.objects.order_by("attempt"))
    assert [(f.attempt, f.final, f.transient) for f in failures] == [(1, False, True), (2, False, True)]
    assert failures[0].job == "tests.llmops.flaky_job"
    assert failures[0].error_type == "builtins.ConnectionError"
    assert "provider unreachable" in failures[0].error
    assert "sk-abcdefghijklmnopqrstuv" not in failures[0].error  # secrets never stored
    assert failures[0].retry_in_seconds >= 1


@pytest.mark.redis
@pytest.mark.django_db
def test_it_gives_up_after_max_retries_and_records_the_final_failure(redis_db):
    result = flaky_job.apply(kwargs={"fail_times": 10})
    with pytest.raises(ConnectionError):
        result.get()
    assert CALLS["flaky"] == 4  # first try + 3 retries
    final = JobFailure.objects.get(final=True)
    assert final.attempt == 4


@pytest.mark.redis
@pytest.mark.django_db
def test_it_does_not_retry_a_non_transient_failure(redis_db):
    with pytest.raises(ValueError):
        broken_job.apply().get()
    failure = JobFailure.objects.get()
    assert (failure.final, failure.transient, failure.error) == (True, False, "bad data in row 7")


@pytest.mark.redis
@pytest.mark.django_db
def test_it_skips_a_run_while_another_holds_the_lock(redis_db, caplog):
    with job_lock("tests.llmops.counted_job", ttl=30) as held:
        assert held
        with caplog.at_level("INFO", logger="llmops.lib.tasks"):
            assert counted_job.apply().get() == {"skipped": "locked"}
    assert CALLS["body"] == 0
    assert "another run holds the lock" in caplog.text
    assert counted_job.apply().get() == "ran"  # the lock was released
    assert not JobFailure.objects.exists()


@shared_task(name="tests.llmops.plain_task")
def plain_task():
    return "plain"


def test_it_treats_scheduled_tasks_as_jobs_and_others_not():
    app.loader.import_default_modules()
    assert app.tasks["operator_app.tasks.run_operator"].is_periodic()
    assert app.tasks["operator_app.tasks.send_health_report"].is_periodic()
    assert counted_job.is_periodic()  # declared with @periodic_job
    assert not plain_task.is_periodic()
