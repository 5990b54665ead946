"""Project-level records: failures of background jobs, shown in the admin."""

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
