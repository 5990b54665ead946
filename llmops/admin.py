from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from llmops.lib.admin_base import ReadOnlyAdmin
from llmops.lib.admin_display import span
from llmops.lib.text import sanitize_text
from llmops.models import JobFailure, JobRun, ScheduledJob
from llmops.selectors import OVERDUE_PERIODS, scheduled_jobs


@admin.register(JobFailure)
class JobFailureAdmin(ReadOnlyAdmin):
    """Failed attempts of periodic jobs: read-only, written by llmops.lib.tasks."""

    list_display = ("failed_at", "job", "attempt", "final", "transient", "error_type", "short_error")
    list_filter = ("job", "final", "transient")
    search_fields = ("job", "error_type")
    date_hierarchy = "failed_at"
    show_full_result_count = False

    @admin.display(description="error")
    def short_error(self, obj):
        return sanitize_text(obj.error, limit=160)


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    """Every run of a scheduled job by a worker: read-only, written by llmops.lib.tasks.JobTask."""

    list_display = ("started_at", "job", "attempt", "status", "finished_at", "took", "short_error")
    list_filter = ("job", "status")
    search_fields = ("job",)
    date_hierarchy = "started_at"
    show_full_result_count = False

    @admin.display(description="error")
    def short_error(self, obj):
        return sanitize_text(obj.error, limit=160)

    @admin.display(description="duration")
    def took(self, obj):
        return span(obj.duration)


@admin.register(ScheduledJob)
class ScheduledJobAdmin(ReadOnlyAdmin):
    """One row per entry of settings.CELERY_BEAT_SCHEDULE: its schedule, its last run, when it is next
    due, and whether it has gone quiet (the admin index links here through this proxy model)."""

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            return super().changelist_view(request, extra_context)  # Django's own refusal
        as_of = timezone.now()
        runs_url = reverse("admin:llmops_jobrun_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Scheduled jobs",
            "as_of": as_of,
            "jobs": scheduled_jobs(as_of=as_of),
            "overdue_periods": OVERDUE_PERIODS,
            "runs_url": runs_url,
            "failures_url": reverse("admin:llmops_jobfailure_changelist"),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/llmops/scheduled_jobs.html", context)
