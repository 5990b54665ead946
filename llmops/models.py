"""Project-level records: runs and failures of background jobs, shown in the admin."""

from django.db import models
from django.utils import timezone

from llmops.lib.object_id import Document


class JobFailure(Document):
    """One failed attempt of a periodic job (Celery task).

    `final` is False for an attempt that will be retried and True when the job gave up,
    so the admin can show both flaky and dead jobs. The error text is our exception's
    message, capped and sanitized before it is stored.
    """

    job = models.CharField(max_length=128)
    task_id = models.CharField(max_length=64, blank=True, default="")
    failed_at = models.DateTimeField(default=timezone.now)
    attempt = models.IntegerField(default=1)
    final = models.BooleanField(default=True)
    transient = models.BooleanField(default=False)
    error_type = models.CharField(max_length=255, blank=True, default="")
    error = models.TextField(blank=True, default="")
    retry_in_seconds = models.IntegerField(null=True, blank=True)

    class Meta:
        db_table = "job_failures"
        ordering = ("-failed_at",)
        indexes = [models.Index(fields=["job", "-failed_at"], name="job_failures_job_idx")]

    def __str__(self):
        return f"{self.job} failed {self.failed_at:%Y-%m-%d %H:%M} ({self.error_type})"


class JobRun(Document):
    """One run of a scheduled job by a Celery worker (llmops.lib.tasks.JobTask writes it at start
    and at finish), so the admin shows when each job last ran and the report notices a job that
    stopped running. A retried attempt is a run of its own."""

    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        SKIPPED = "skipped"  # another run held the job's lock (or the operator's), nothing was done

    job = models.CharField(max_length=128)  # the task name, as in CELERY_BEAT_SCHEDULE
    task_id = models.CharField(max_length=64, blank=True, default="")
    attempt = models.IntegerField(default=1)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    error = models.TextField(blank=True, default="")  # sanitized, capped: our exception's message

    class Meta:
        db_table = "job_runs"
        ordering = ("-started_at",)
        indexes = [models.Index(fields=["job", "-started_at"], name="job_runs_job_idx")]

    def __str__(self):
        return f"{self.job} {self.started_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def duration(self):
        return self.finished_at - self.started_at if self.finished_at and self.started_at else None


class ScheduledJob(JobRun):
    """The admin's page of scheduled jobs (settings.CELERY_BEAT_SCHEDULE), one row per job with its
    last run: a proxy (no table of its own) so the admin index links to it."""

    class Meta:
        proxy = True
        verbose_name = "scheduled job"
