"""Scheduled jobs as the operator meets them: each worker run recorded (JobRun), the admin's page of
jobs with their last run and next due moment, and the report's warning about a job gone quiet."""

from datetime import datetime, timedelta, timezone

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from llmops.lib.locks import job_lock
from llmops.lib.schedules import schedule_next, schedule_period, schedule_text
from llmops.lib.tasks import periodic_job
from llmops.models import JobRun
from llmops.roles import VIEWERS
from llmops.selectors import scheduled_jobs
from operator_app.models import OperatorRun
from operator_app.report import health_report_build, health_report_render
from tests.llmops.redis_support import redis_db  # noqa: F401  (fixture)
from tests.operator_app.admin_support import user_in

AS_OF = datetime(2025, 12, 2, 8, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)
M = timedelta(minutes=1)
JOBS_PAGE = reverse("admin:llmops_scheduledjob_changelist")
FLAKY = {"n": 0}


@periodic_job(name="tests.llmops.jobs_ok")
def jobs_ok():
    return "done"


@periodic_job(name="tests.llmops.jobs_broken")
def jobs_broken():
    raise ValueError("row 7 is bad, token=sk-abcdefghijklmnopqrstuv")


@periodic_job(name="tests.llmops.jobs_flaky", max_retries=2, backoff_base=1)
def jobs_flaky():
    FLAKY["n"] += 1
    if FLAKY["n"] == 1:
        raise TimeoutError("upstream timed out")
    return FLAKY["n"]


@periodic_job(name="tests.llmops.jobs_operator_busy")
def jobs_operator_busy():
    return {"skipped": "locked", "reason": "another operator pass is running"}


def _run(job, status, *, started, took=timedelta(seconds=42), error=""):
    return JobRun.objects.create(job=job, started_at=started, status=status, error=error,
                                 finished_at=started + took if status != "running" else None)


# --- JobTask writes a run record at start and finish -------------------------------------------------

@pytest.mark.redis
@pytest.mark.django_db
def test_it_records_each_worker_run_with_its_status_and_duration(redis_db):
    assert jobs_ok.apply().get() == "done"
    run = JobRun.objects.get(job="tests.llmops.jobs_ok")
    assert run.status == "succeeded" and run.finished_at >= run.started_at and run.duration is not None
    with pytest.raises(ValueError):
        jobs_broken.apply().get()
    broken = JobRun.objects.get(job="tests.llmops.jobs_broken")
    assert broken.status == "failed" and "row 7 is bad" in broken.error
    assert "sk-abcdefghijklmnopqrstuv" not in broken.error  # redacted like the failure record
    with job_lock("tests.llmops.jobs_ok", ttl=30):
        assert jobs_ok.apply().get() == {"skipped": "locked"}
    assert list(JobRun.objects.filter(job="tests.llmops.jobs_ok").order_by("started_at")
                .values_list("status", flat=True)) == ["succeeded", "skipped"]
    # a task that found the operator's own lock taken is a skip too, not a success
    jobs_operator_busy.apply().get()
    assert JobRun.objects.get(job="tests.llmops.jobs_operator_busy").status == "skipped"


@pytest.mark.redis
@pytest.mark.django_db
def test_it_records_a_retried_attempt_as_a_failed_run_of_its_own(redis_db):
    FLAKY["n"] = 0
    assert jobs_flaky.apply().get() == 2
    runs = list(JobRun.objects.filter(job="tests.llmops.jobs_flaky").order_by("attempt"))
    assert [(r.attempt, r.status) for r in runs] == [(1, "failed"), (2, "succeeded")]
    assert runs[0].error == "upstream timed out"


@pytest.mark.django_db
def test_a_direct_call_like_a_command_records_no_run():
    assert jobs_ok() == "done"
    assert not JobRun.objects.exists()


# --- schedules -----------------------------------------------------------------------------------------

def test_it_reads_beat_schedules_as_cron_text_next_due_and_period(settings):
    entries = settings.CELERY_BEAT_SCHEDULE
    operator = entries["run-operator"]["schedule"]
    assert schedule_text(operator) == "20 */3 * * *"
    assert schedule_next(operator, after=AS_OF) == datetime(2025, 12, 2, 9, 20, tzinfo=timezone.utc)
    assert schedule_period(operator, after=AS_OF) == 3 * H
    report = entries["send-health-report"]["schedule"]
    assert schedule_next(report, after=AS_OF) == AS_OF + 24 * H  # strictly after: not "now"
    assert schedule_period(entries["collect-signals"]["schedule"], after=AS_OF) == H
    assert schedule_period(timedelta(minutes=30), after=AS_OF) == timedelta(minutes=30)


# --- the admin page ---------------------------------------------------------------------------------

@pytest.fixture
def history(db):
    _run("lifecycle.tasks.collect_signals", "succeeded", started=AS_OF - 90 * M)
    _run("lifecycle.tasks.collect_signals", "failed", started=AS_OF - 30 * M, error="database is locked")
    _run("discovery.tasks.fetch_openrouter", "succeeded", started=AS_OF - 80 * H, took=timedelta(seconds=3))
    _run("operator_app.tasks.run_operator", "running", started=AS_OF - 10 * H)


@pytest.mark.django_db
def test_the_jobs_page_lists_every_scheduled_job_linked_from_the_admin_index(history, settings):
    client = Client()
    client.force_login(user_in(VIEWERS, "vera"))
    index = client.get(reverse("admin:index")).content.decode()
    assert f'href="{JOBS_PAGE}"' in index and "Scheduled jobs" in index
    with freeze_time(AS_OF):
        page = client.get(JOBS_PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    rows = {job.job: job for job in page.context["jobs"]}
    assert set(rows) == {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    for entry in settings.CELERY_BEAT_SCHEDULE:
        assert f"<strong>{entry}</strong>" in html
    collect = rows["lifecycle.tasks.collect_signals"]
    assert collect.last.status == "failed" and collect.last_success_at == AS_OF - 90 * M + timedelta(seconds=42)
    assert collect.next_due == datetime(2025, 12, 2, 8, 5, tzinfo=timezone.utc)
    assert "<code>5 * * * *</code>" in html and "database is locked" in html and "42.0 s" in html
    assert "2025-12-02 08:05" in html  # next due
    fetch = rows["discovery.tasks.fetch_openrouter"]
    assert fetch.overdue and not collect.overdue
    assert "OVERDUE: no success in 2&nbsp;&times;&nbsp;1 d" in html
    operator = rows["operator_app.tasks.run_operator"]
    assert operator.stuck and "still running past the task time limit" in html
    assert rows["operator_app.tasks.send_health_report"].last is None
    assert "never" in html


@pytest.mark.django_db
def test_the_jobs_page_says_when_no_job_ever_ran_and_is_refused_without_permission(db):
    admin = User.objects.create_superuser("root", "root@example.com", "pw-for-tests-1")
    client = Client()
    client.force_login(admin)
    html = client.get(JOBS_PAGE).content.decode()
    assert 'id="never-ran"' in html and "make worker" in html
    stranger = User.objects.create_user("sam", password="pw-for-tests-1", is_staff=True)
    client.force_login(stranger)
    assert client.get(JOBS_PAGE).status_code == 403


# --- the daily report -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_report_warns_about_a_job_that_has_not_succeeded_within_twice_its_period(history):
    OperatorRun.objects.create(started_at=AS_OF - H, status="succeeded", llm_enabled=True)
    context = health_report_build(as_of=AS_OF, days=1)
    assert context["severity"] == "WARNING"
    assert ("scheduled job fetch-openrouter has not succeeded since 2025-11-29 00:00 UTC: more than 2 x its "
            "period (1 d)") in context["warnings"]
    assert not any("collect-signals has not succeeded" in w for w in context["warnings"])  # 89 min < 2 x 1 h
    # jobs that never succeeded count from the first recorded run of any job (80 h ago here)
    assert any(w.startswith("scheduled job send-health-report has not succeeded since runs were first recorded")
               for w in context["warnings"])
    assert any("run-operator still running since" in w for w in context["warnings"])
    text = health_report_render(context=context).text
    assert "== SCHEDULED JOBS ==" in text
    assert "- collect-signals (5 * * * *, every 1 h): last failed 2025-12-02 07:30 UTC (database is locked)" in text
    assert ("- fetch-openrouter (10 6 * * *, every 1 d): last succeeded 2025-11-29 00:00 UTC, last success "
            "2025-11-29 00:00 UTC, next due 2025-12-03 06:10 UTC [OVERDUE]") in text


@pytest.mark.django_db
def test_the_report_does_not_warn_when_jobs_run_on_time_or_never_ran_through_a_worker(db):
    OperatorRun.objects.create(started_at=AS_OF - H, status="succeeded", llm_enabled=True)
    quiet = health_report_build(as_of=AS_OF, days=1)
    assert quiet["warnings"] == [] and not quiet["jobs_observed"]
    assert "No scheduled job has run through a Celery worker yet" in health_report_render(context=quiet).text
    for state in scheduled_jobs(as_of=AS_OF):
        _run(state.job, "succeeded", started=AS_OF - state.period + timedelta(minutes=1))
    assert health_report_build(as_of=AS_OF, days=1)["warnings"] == []
