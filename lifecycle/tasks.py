"""Celery entry points of the lifecycle app (thin: the work is lifecycle.services)."""

from celery import shared_task
from django.utils import timezone

from lifecycle.services import signals_collect
from llmops.lib.dates import iso_utc


@shared_task(name="lifecycle.tasks.collect_signals")
def collect_signals(*, providers=None, window_hours=None) -> dict:
    """Collect signals, classify every model and write model_status (beat: hourly).

    As scheduled job it runs under the no-overlap lock with retries (llmops.lib.tasks.JobTask).
    """
    as_of = timezone.now()
    report = signals_collect(as_of=as_of, window_hours=window_hours, providers=providers)
    return {
        "as_of": iso_utc(as_of),
        "models": len(report.snapset.models),
        "written": report.written,
        "status_counts": dict(report.status_counts),
        "provider_problems": report.provider_problems,
        "runner_silence": report.silence.messages() if report.silence else [],
    }
