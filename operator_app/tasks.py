"""Celery entry points of the operator app (thin: the work is operator_app.engine)."""

from celery import shared_task


@shared_task(name="operator_app.tasks.run_operator")
def run_operator(*, providers=None, dry_run=False, use_llm=True):
    """One operator pass; returns the run summary (JSON-able) for the result backend and logs."""
    from operator_app.engine import operator_run
    from operator_app.summary import report_json

    report = operator_run(providers=providers, dry_run=dry_run, use_llm=use_llm, trigger="celery")
    summary = report_json(report)
    summary.pop("decisions", None)
    return summary


@shared_task(name="operator_app.tasks.send_health_report")
def send_health_report(*, days=1, to=None) -> dict:
    """Email the daily health report (beat: 08:00 UTC) to `to` or settings.HEALTH_REPORT_TO."""
    from django.utils import timezone

    from operator_app.report import health_report_send

    outcome = health_report_send(as_of=timezone.now(), days=days, to=to)
    return {"subject": outcome.email.subject, "to": outcome.to, "sent": outcome.sent}
