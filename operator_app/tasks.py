"""Celery entry points of the operator app (thin: the work is operator_app.engine and .report)."""

import logging

from celery import shared_task
from django.utils import timezone

from operator_app.engine import operator_run
from operator_app.locking import LockBusy
from operator_app.recovery import recheck_run
from operator_app.report import health_report_send
from operator_app.summary import recheck_json, report_json

logger = logging.getLogger(__name__)


@shared_task(name="operator_app.tasks.run_operator")
def run_operator(*, providers=None, dry_run=False, use_llm=True):
    """One operator pass; returns the run summary (JSON-able) for the result backend and logs."""
    try:
        report = operator_run(providers=providers, dry_run=dry_run, use_llm=use_llm, trigger="celery")
    except LockBusy as exc:
        # Another pass (a command, or a worker past the Redis job lock) is running: that pass
        # does this job's work, so this is a skip like the job lock's, not a failure to record.
        logger.info("run_operator: %s; skipped", exc)
        return {"skipped": "locked", "reason": str(exc)}
    summary = report_json(report)
    summary.pop("decisions", None)
    return summary


@shared_task(name="operator_app.tasks.recheck_models")
def recheck_models(*, providers=None) -> dict:
    """Probe what is due and decide what comes back (beat: daily 05:40 UTC); returns the run's summary."""
    try:
        report = recheck_run(providers=providers)
    except LockBusy as exc:
        logger.info("recheck_models: %s; skipped", exc)
        return {"skipped": "locked", "reason": str(exc)}
    return recheck_json(report)


@shared_task(name="operator_app.tasks.send_health_report")
def send_health_report(*, days=1, to=None) -> dict:
    """Email the daily health report (beat: 08:00 UTC) to `to` or settings.HEALTH_REPORT_TO."""
    outcome = health_report_send(as_of=timezone.now(), days=days, to=to)
    return {"subject": outcome.email.subject, "to": outcome.to, "sent": outcome.sent,
            "alerts": {alert.target: alert.sent for alert in outcome.alerts}}
