"""CRITICAL findings of the daily report go to ALERT_URLS through apprise, in the email's redacted
words: checked on a real HTTP endpoint this test starts, through apprise's JSON webhook (json://)."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from llmops.config import Config
from llmops.lib.alerts import alert_send
from operator_app.models import Decision, OperatorRun
from tests.discovery.local_server import LocalServer, Reply
from tests.operator_app.test_report import AS_OF, _fleet_day, email_settings  # noqa: F401  (fixture)

SECRET = "sk-proj-abcdefghijklmnopqrstuvwx"


@pytest.fixture
def endpoint(email_settings):  # noqa: F811
    with LocalServer() as server:
        server.route("/hooks/llmops", Reply(200, {"ok": True}))
        email_settings.ALERT_URLS = [server.url("/hooks/llmops").replace("http://", "json://")]
        yield server


def _posts(server):
    return [json.loads(seen.body) for seen in server.requests if seen.method == "POST"]


def _billing_problem_with_a_secret_in_the_error():
    Decision.objects.create(
        provider="deepinfra", model_id="m1", action="monitor", status="pending", error_class="billing",
        suggested_at=AS_OF - timedelta(hours=1),
        evidence={"provider_issue": True,
                  "errors": [{"status": 402, "message": f"Payment required for key {SECRET}: top up"}]})


@pytest.mark.django_db
def test_it_sends_the_critical_findings_to_a_json_webhook_redacted(endpoint):
    _fleet_day()
    _billing_problem_with_a_secret_in_the_error()
    out = StringIO()
    call_command("send_health_report", "--as-of", AS_OF.isoformat(), stdout=out)
    assert len(mail.outbox) == 1
    (alert,) = _posts(endpoint)
    assert alert["title"] == mail.outbox[0].subject and alert["title"].startswith("[CRITICAL]")
    assert alert["type"] == "failure"
    message = alert["message"]
    assert "CRITICAL: deepinfra: billing / credit" in message and "CRITICAL: mistral: credentials / access" in message
    assert "sample error: 402: Payment required for key <redacted-key>: top up" in message
    assert SECRET not in message and SECRET not in mail.outbox[0].body
    assert "failed change: enable xai/grok-2 by alice" in message
    assert "Pending decisions: https://ops.example.com/admin/operator_app/decision/?status__exact=pending" in message
    assert "alert sent to json URL #1" in out.getvalue()


@pytest.mark.django_db
def test_it_alerts_nobody_on_a_day_without_critical_findings(endpoint):
    OperatorRun.objects.create(started_at=AS_OF - timedelta(hours=1), status="succeeded", llm_enabled=True)
    call_command("send_health_report", "--as-of", AS_OF.isoformat(), stdout=StringIO())
    assert len(mail.outbox) == 1 and _posts(endpoint) == []


@pytest.mark.django_db
def test_a_dry_run_prints_the_alert_and_sends_nothing(endpoint):
    _fleet_day()
    out = StringIO()
    call_command("send_health_report", "--dry-run", "--as-of", AS_OF.isoformat(), stdout=out)
    assert "---- alert to 1 ALERT_URLS ----" in out.getvalue() and "CRITICAL: mistral" in out.getvalue()
    assert _posts(endpoint) == [] and mail.outbox == []


@pytest.mark.django_db
def test_a_channel_that_is_down_does_not_stop_the_email(endpoint, email_settings):  # noqa: F811
    endpoint.route("/hooks/llmops", Reply(500, {"error": "down"}))
    endpoint.route("/hooks/second", Reply(200, {}))
    second = endpoint.url("/hooks/second").replace("http://", "json://")
    email_settings.ALERT_URLS = [*email_settings.ALERT_URLS, "nosuchscheme://x/y", second]
    _fleet_day()
    out, err = StringIO(), StringIO()
    call_command("send_health_report", "--as-of", AS_OF.isoformat(), stdout=out, stderr=err)
    assert len(mail.outbox) == 1
    assert "alert to json URL #1 failed: not delivered" in err.getvalue()
    assert "alert to nosuchscheme URL #2 failed: not an apprise URL" in err.getvalue()
    assert "alert sent to json URL #3" in out.getvalue()
    assert [seen.path for seen in endpoint.requests] == ["/hooks/llmops", "/hooks/second"]
    assert "127.0.0.1" not in err.getvalue() + out.getvalue()  # URLs carry tokens: never printed


def test_it_names_a_bad_alert_url_without_repeating_it():
    with pytest.raises(ImproperlyConfigured, match=r"ALERT_URLS: item #2 is not a URL") as raised:
        Config({"ALERT_URLS": "json://127.0.0.1/x, hooks.example.com/T0K3N"}).notify_urls("ALERT_URLS")
    assert "T0K3N" not in str(raised.value)
    assert Config({"ALERT_URLS": " ntfy://alerts , slack://a/b/c "}).notify_urls("ALERT_URLS") == [
        "ntfy://alerts", "slack://a/b/c"]
    assert Config({}).notify_urls("ALERT_URLS") == []


def test_it_sends_nothing_without_urls():
    assert alert_send(title="t", body="b", urls=[]) == []
