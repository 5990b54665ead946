"""Provider error text that echoes credentials back (AWS, GitHub, Slack, JWTs, PEM keys, passwords
in URLs and parameters, subscription-key headers) reaches nothing anyone reads: not
model_status.signals, not the decisions' evidence or reasoning (an LLM that quotes the text back
included), not the health report, not the admin — the benchmark error detail page included."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from lifecycle.models import BenchmarkError, BenchmarkResult, ModelStatus
from operator_app.models import Decision
from registry.models import AuditLog, RegisteredModel
from tests.operator_app.fake_llm import FakeLLM, answers, request_situations

from .support import AS_OF, AS_OF_ISO, llm_settings

pytestmark = pytest.mark.django_db

SECRETS = {
    "aws": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "github": "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "github_pat": "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL",
    "slack": "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlF",
    "pem": "MIIEowIBAAKCAQEAx8sdf7s6d5fLEAKEDKEYBODY",
    "url_password": "hunter2-url-pw",
    "password": "pa55-param-value",
    "query_key": "QUERYKEY1234567",
    "subscription": "0123456789abcdef0123456789abcdef",
}
HOSTILE = (
    "AuthenticationError: Error code: 401 - upstream said: aws_secret_access_key={aws} token {github} "
    "and {github_pat}; slack {slack}; session {jwt}; key -----BEGIN RSA PRIVATE KEY-----\n{pem}\n"
    "-----END RSA PRIVATE KEY----- proxy https://bench:{url_password}@proxy.internal:3128 password={password} "
    "GET https://api.example.com/v1/chat?key={query_key}&x=1 Ocp-Apim-Subscription-Key: {subscription}"
).format(**SECRETS)


def _leaks(text: str) -> list[str]:
    return [name for name, secret in SECRETS.items() if secret in text]


@pytest.fixture
def hostile_fleet():
    RegisteredModel.objects.create(provider="azure", model_id="gpt-4o-2024-11-20")
    for hours in range(1, 100, 3):
        BenchmarkError.objects.create(provider="azure", model_name="gpt-4o-2024-11-20", http_status=401,
                                      ts=AS_OF - timedelta(hours=hours), message=HOSTILE, stage="generate")
    BenchmarkResult.objects.create(provider="azure", model_name="gpt-4o-2024-11-20", run_ts=AS_OF - timedelta(days=6))


def _echo(request, number):
    """An LLM that quotes the provider text back in its reasoning."""
    return answers([{"situation_id": s["id"], "action": "disable", "confidence": 0.9,
                     "reasoning": f"the provider says: {HOSTILE}"} for s in request_situations(request)])


def test_it_keeps_echoed_credentials_out_of_everything_a_person_reads(hostile_fleet, client):
    assert _leaks(HOSTILE) == list(SECRETS)  # the input really carries every one
    call_command("collect_signals", "--as-of", AS_OF_ISO, stdout=StringIO(), stderr=StringIO())
    with FakeLLM(_echo) as server, llm_settings(server):
        out = StringIO()
        call_command("run_operator", "--as-of", AS_OF_ISO, "--format", "json", stdout=out, stderr=StringIO())
    assert server.requests, "the LLM was asked"
    assert _leaks(json.dumps(server.requests)) == []  # nor sent to the LLM
    assert _leaks(out.getvalue()) == []

    status = ModelStatus.objects.get(provider="azure", model_id="gpt-4o-2024-11-20")
    assert _leaks(json.dumps(status.signals) + json.dumps(status.operator_decision)) == []
    decision = Decision.objects.get(provider="azure", model_id="gpt-4o-2024-11-20")
    assert decision.suggested_by == "llm" and "the provider says" in decision.reasoning
    assert _leaks(decision.reasoning + json.dumps(decision.evidence)) == []
    assert _leaks(" ".join(AuditLog.objects.values_list("reason", flat=True))) == []

    report = StringIO()
    call_command("send_health_report", "--dry-run", "--as-of", (AS_OF + timedelta(hours=1)).isoformat(),
                 stdout=report, stderr=StringIO())
    assert _leaks(report.getvalue()) == []

    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456"))
    error = BenchmarkError.objects.first()
    pages = [reverse("admin:lifecycle_benchmarkerror_changelist"),
             reverse("admin:lifecycle_benchmarkerror_change", args=[error.pk]),
             reverse("admin:lifecycle_modelstatus_change", args=[status.pk]),
             reverse("admin:operator_app_decision_change", args=[decision.pk])]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert _leaks(response.content.decode()) == [], url
    detail = client.get(pages[1]).content.decode()
    assert "AuthenticationError: Error code: 401" in detail and "&lt;redacted" in detail


def test_it_shows_legacy_error_rows_redacted_on_the_detail_page(client):
    """Rows the runner wrote before our redaction existed are shown through it, not raw."""
    row = BenchmarkError.objects.create(provider="bedrock", model_name="meta.llama2-70b-chat-v1", http_status=403,
                                        created_at=AS_OF, error=HOSTILE)
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456"))
    page = client.get(reverse("admin:lifecycle_benchmarkerror_change", args=[row.pk])).content.decode()
    assert _leaks(page) == []
    assert "upstream said" in page
