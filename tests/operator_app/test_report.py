from datetime import datetime, timedelta, timezone
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from discovery.models import OpenRouterModel
from lifecycle.demo import seed_demo
from lifecycle.models import ModelProbe, ModelRetirement, ModelStatus, ProviderCatalogEntry, ProviderCatalogSync
from llmops.models import JobFailure
from operator_app.models import Decision, OperatorRun
from operator_app.report import health_report_build, health_report_render, health_report_send
from registry.models import AuditLog, RegisteredModel

AS_OF = datetime(2025, 12, 2, 8, 0, tzinfo=timezone.utc)
SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def email_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.LLMOPS_BASE_URL = "https://ops.example.com"
    settings.HEALTH_REPORT_TO = ["ops@example.com"]
    return settings


def _fleet_day():
    """A day with one auto-executed disable, two pending suggestions, a provider-wide auth
    problem, a failed change, a new catalog model and a run with fallbacks."""
    run = OperatorRun.objects.create(
        started_at=AS_OF - timedelta(hours=5), finished_at=AS_OF - timedelta(hours=5, minutes=-2),
        status=OperatorRun.Status.SUCCEEDED, llm_enabled=True, llm_model="gpt-4.1-mini", models_analyzed=40,
        situations=6, llm_calls=3, prompt_tokens=9000, completion_tokens=1200, estimated_cost_usd=0.0055,
        fallbacks=1, fallback_reasons={"invalid JSON from the LLM": 1}, auto_executed=1, pending=2,
    )
    executed = Decision.objects.create(
        run=run, provider="openai", model_id="gpt-4.5-preview", action="disable", confidence=0.97,
        reasoning="404 model_not_found for 96h, absent from the complete catalog", status="auto_executed",
        error_class="hard_model", suggested_at=AS_OF - timedelta(hours=5), suggested_by="llm", auto_execute=True,
    )
    auto = AuditLog.objects.create(
        at=AS_OF - timedelta(hours=5), actor_type="operator", actor="operator", action="disable",
        provider="openai", model_id="gpt-4.5-preview", reason="dead for 96h " + SCRIPT, status="applied",
        reversible=True, decision_ref=executed.pk, run_ref=run.pk,
    )
    pending = Decision.objects.create(
        run=run, provider="groq", model_id="llama-3.1-70b", action="disable", confidence=0.9,
        reasoning="decommissioned " + SCRIPT, status="pending", error_class="hard_model",
        suggested_at=AS_OF - timedelta(hours=4), suggested_by="llm",
        auto_execute_reason="streak younger than 48h",
    )
    auth = Decision.objects.create(
        run=run, provider="mistral", model_id="mistral-large", action="monitor", confidence=0.8,
        reasoning="401 on every mistral model", status="pending", error_class="auth",
        suggested_at=AS_OF - timedelta(hours=4), suggested_by="classifier",
        evidence={"provider_issue": True, "errors": [{"status": 401, "message": "Unauthorized " + SCRIPT}]},
    )
    outage = Decision.objects.create(
        run=run, provider="anthropic", model_id="claude-3-opus", action="monitor", confidence=0.7,
        reasoning="529 overloaded across the provider", status="rejected", error_class="transient",
        suggested_at=AS_OF - timedelta(hours=6), suggested_by="classifier",
        evidence={"provider_context": {"error_rate": 0.9, "provider_problem": "transient"},
                  "samples": [{"status": 529, "message": "Overloaded"}]},
    )
    # A model-level transient problem is not a provider issue.
    Decision.objects.create(
        provider="fireworks", model_id="f1", action="monitor", status="pending", error_class="transient",
        suggested_at=AS_OF - timedelta(hours=6), evidence={"provider_context": {"provider_problem": None}},
    )
    failed = AuditLog.objects.create(
        at=AS_OF - timedelta(hours=3), actor_type="user", actor="alice", action="enable", provider="xai",
        model_id="grok-2", status="failed", error="xai/grok-2 was enabled by someone else meanwhile",
    )
    OpenRouterModel.objects.create(
        openrouter_id="acme/new-model", name="Acme " + SCRIPT, match_status="matched", matched_provider="together",
        matched_model_id="acme/New-Model", match_confidence=0.92, first_seen_at=AS_OF - timedelta(hours=2),
    )
    # Outside the period: must not be counted.
    OpenRouterModel.objects.create(openrouter_id="old/model", first_seen_at=AS_OF - timedelta(days=9))
    AuditLog.objects.create(at=AS_OF - timedelta(days=3), actor_type="operator", actor="operator",
                            action="disable", provider="openai", model_id="old", status="applied")
    return {"run": run, "auto": auto, "pending": pending, "auth": auth, "failed": failed, "outage": outage}


@pytest.mark.django_db
def test_it_summarizes_the_day_in_the_subject_with_a_severity_tag(email_settings):
    _fleet_day()
    email = health_report_render(context=health_report_build(as_of=AS_OF, days=1))
    assert email.subject == "[CRITICAL] [OPERATED] Daily Health Report - 1 auto-action, 3 suggestions"


@pytest.mark.django_db
def test_it_has_no_severity_tag_on_a_quiet_day(email_settings):
    OperatorRun.objects.create(started_at=AS_OF - timedelta(hours=1), status="succeeded", llm_enabled=True)
    email = health_report_render(context=health_report_build(as_of=AS_OF, days=1))
    assert email.subject == "[OPERATED] Daily Health Report - 0 auto-actions, 0 suggestions"
    assert "None: nothing was changed unattended." in email.text
    assert "None pending." in email.text


@pytest.mark.mongo  # the quick MongoDB suite (make test-mongo-ci)
@pytest.mark.django_db
def test_it_lists_every_section_in_the_text_body(email_settings):
    day = _fleet_day()
    text = health_report_render(context=health_report_build(as_of=AS_OF, days=1)).text
    for heading in ("== AUTO-EXECUTED ACTIONS (1) ==", "== SUGGESTIONS FOR REVIEW (3 pending, 3 new) ==",
                    "== PROVIDER-LEVEL ISSUES (2) ==", "== NEW MODELS FROM DISCOVERY (1) ==", "== OPERATOR RUNS =="):
        assert heading in text
    # auto action: what, why, confidence, when, how to revert
    assert "- disable openai/gpt-4.5-preview" in text
    assert "confidence: 0.97 (hard_model)" in text
    assert "when:       2025-12-02 03:00 UTC" in text
    assert f"revert:     python manage.py revert_change {day['auto'].pk}" in text
    # suggestions: the admin filtered to pending, and the exact approve command
    assert "Review in the admin: https://ops.example.com/admin/operator_app/decision/?status__exact=pending" in text
    assert f"approve:   python manage.py approve_decision {day['pending'].pk}" in text
    assert "not automatic because: streak younger than 48h" in text
    # provider issue and failed change make it critical
    assert "- mistral: credentials / access [CRITICAL]" in text
    assert "- anthropic: outage [CRITICAL] (1 model; classes: transient;" in text
    assert "sample error: 529: Overloaded" in text
    assert "fireworks" not in text.split("== PROVIDER-LEVEL ISSUES")[1].split("== NEW MODELS")[0]
    assert "FAILED CHANGES (1):" in text and "enable xai/grok-2 by alice" in text
    # discovery and run figures, fallbacks loud
    assert "- acme/new-model" in text and "Matched to a direct provider -> together/acme/New-Model (0.92)" in text
    assert "old/model" not in text
    assert "LLM calls: 3 (gpt-4.1-mini), tokens: 10200 (9000 prompt + 1200 completion), estimated cost: $0.0055" in text
    assert "!! FALLBACKS TO THE CLASSIFIER: 1 !!" in text and "1 x invalid JSON from the LLM" in text
    # never database commands
    assert "db." not in text and "mongo" not in text.lower()


@pytest.mark.django_db
def test_it_escapes_provider_and_llm_text_in_the_html_body(email_settings):
    day = _fleet_day()
    html = health_report_render(context=health_report_build(as_of=AS_OF, days=1)).html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert html.count("&lt;script&gt;") == 4  # auto reason, suggestion reasoning, auth sample, model name
    assert 'href="https://ops.example.com/admin/operator_app/decision/?status__exact=pending"' in html
    assert f'href="https://ops.example.com/admin/operator_app/decision/{day["pending"].pk}/change/"' in html
    assert f"<code>python manage.py approve_decision {day['pending'].pk}</code>" in html
    assert f"<code>python manage.py revert_change {day['auto'].pk}</code>" in html
    for anchor in ('id="auto-executed"', 'id="suggestions"', 'id="provider-issues"', 'id="new-models"', 'id="runs"'):
        assert anchor in html


@pytest.mark.django_db
def test_it_keeps_the_text_body_plain_but_free_of_control_characters(email_settings):
    _fleet_day()
    Decision.objects.create(provider="x", model_id="m", action="disable", confidence=0.5, status="pending",
                            reasoning="line1\r\nSubject: forged\x1b\x07 & more", suggested_at=AS_OF)
    text = health_report_render(context=health_report_build(as_of=AS_OF, days=1)).text
    assert "reasoning: line1 Subject: forged & more" in text
    assert "&amp;" not in text


@pytest.mark.mongo  # the quick MongoDB suite (make test-mongo-ci)
@pytest.mark.django_db
def test_it_sends_a_multipart_email_through_the_configured_backend(email_settings):
    _fleet_day()
    out = StringIO()
    call_command("send_health_report", "--as-of", AS_OF.isoformat(), stdout=out)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ops@example.com"]
    assert message.subject.startswith("[CRITICAL] [OPERATED] Daily Health Report")
    assert "== SUGGESTIONS FOR REVIEW" in message.body
    (html, mimetype), = message.alternatives
    assert mimetype == "text/html" and "<script>" not in html
    assert "sent" in out.getvalue()


@pytest.mark.django_db
def test_it_sends_to_the_addresses_given_on_the_command_line(email_settings):
    call_command("send_health_report", "--to", "a@example.com", "b@example.com", stdout=StringIO())
    assert mail.outbox[0].to == ["a@example.com", "b@example.com"]


@pytest.mark.django_db
def test_it_prints_instead_of_sending_on_dry_run(email_settings, capsys):
    _fleet_day()
    out = StringIO()
    call_command("send_health_report", "--dry-run", "--as-of", AS_OF.isoformat(), stdout=out)
    assert mail.outbox == []
    printed = out.getvalue()
    assert "To: ops@example.com" in printed
    assert "Subject: [CRITICAL] [OPERATED] Daily Health Report - 1 auto-action, 3 suggestions" in printed
    assert "---- text/html part ----" in printed


@pytest.mark.django_db
def test_it_refuses_clearly_without_recipients(email_settings):
    email_settings.HEALTH_REPORT_TO = []
    with pytest.raises(CommandError, match="no recipients: set HEALTH_REPORT_TO"):
        call_command("send_health_report", stdout=StringIO())
    assert mail.outbox == []


@pytest.mark.django_db
def test_it_rejects_a_bad_address_or_period(email_settings):
    with pytest.raises(CommandError, match="not a valid email address: 'not-an-address'"):
        call_command("send_health_report", "--to", "not-an-address", stdout=StringIO())
    with pytest.raises(CommandError, match="--days must be at least 1"):
        call_command("send_health_report", "--days", "0", stdout=StringIO())
    with pytest.raises(CommandError, match="--as-of: invalid timestamp .yesterday., expected ISO 8601"):
        call_command("send_health_report", "--as-of", "yesterday", stdout=StringIO())


@pytest.mark.django_db
def test_it_widens_the_period_with_days(email_settings):
    _fleet_day()
    context = health_report_build(as_of=AS_OF, days=7)
    assert context["auto_count"] == 2
    assert context["since"] == AS_OF - timedelta(days=7)


@pytest.mark.django_db
def test_it_reports_failed_runs_and_jobs_as_warnings(email_settings):
    OperatorRun.objects.create(started_at=AS_OF - timedelta(hours=2), status="failed", error="LLM endpoint down")
    JobFailure.objects.create(job="discovery.tasks.fetch_openrouter", failed_at=AS_OF - timedelta(hours=1),
                              error_type="httpx.ConnectError", error="connection refused")
    context = health_report_build(as_of=AS_OF, days=1)
    email = health_report_render(context=context)
    assert email.subject.startswith("[WARNING] [OPERATED]")
    assert "!! run 2025-12-02 06:00 FAILED: LLM endpoint down" in email.text
    assert "- discovery.tasks.fetch_openrouter at 2025-12-02 07:00 UTC: ConnectError: connection refused" in email.text
    assert "1 run without the LLM (classifier only)" in email.text


def _retiring_day():
    """Known retirements that make every read of "Retiring soon" run: an upcoming one whose successor a
    complete catalog lists, and a past one still enabled, with a retirement probe."""
    for model_id in ("mistral-large-2402", "mistral-small-2402"):
        RegisteredModel.objects.create(provider="mistral", model_id=model_id)
    ModelRetirement.objects.create(provider="mistral", model_id="mistral-large-2402", source="listing",
                                   retires_on=(AS_OF + timedelta(days=20)).date(), successor="mistral-large-2411")
    ModelRetirement.objects.create(provider="mistral", model_id="mistral-small-2402", source="admin",
                                   retires_on=(AS_OF - timedelta(days=2)).date())
    ProviderCatalogSync.objects.create(provider="mistral", started_at=AS_OF - timedelta(hours=3), status="complete",
                                       complete=True)
    ProviderCatalogEntry.objects.create(provider="mistral", model_id="mistral-large-2411", last_seen_at=AS_OF)
    ModelProbe.objects.create(provider="mistral", model_id="mistral-small-2402", at=AS_OF - timedelta(hours=1),
                              purpose="retirement", http_status=404, error_class="hard_model", conclusive=True)


@pytest.mark.django_db
def test_it_builds_the_report_with_a_constant_number_of_queries(email_settings, django_assert_max_num_queries):
    _fleet_day()
    _retiring_day()
    # 14 before issue 15; + 2 for runner silence (the runner's newest rows, the enabled providers),
    # + 3 for the scheduled jobs (newest run per job, those runs, last success per job), + 2 for the
    # catalog-runs section (issue #13: OpenRouter fetch runs, provider catalog syncs); + 2 for
    # "Recovered" and "Admissions" (enable and reject_candidate audits, pending enables) and + 5 for
    # "Retiring soon" (the calendar, registry rows, latest catalog syncs, the successors' entries,
    # retirement probes) — issue 14; + 1 for the registry's enabled/disabled counts beside the
    # health statuses of the last collect
    with django_assert_max_num_queries(29) as small:
        health_report_build(as_of=AS_OF, days=1)
    for i in range(30):
        Decision.objects.create(provider="p", model_id=f"m{i}", action="disable", status="pending",
                                suggested_at=AS_OF - timedelta(hours=1), error_class="billing")
        AuditLog.objects.create(at=AS_OF - timedelta(hours=1), actor_type="operator", actor="operator",
                                action="disable", provider="p", model_id=f"m{i}", status="applied",
                                reversible=True)
    with django_assert_max_num_queries(len(small.captured_queries)):
        health_report_build(as_of=AS_OF, days=1)


@pytest.mark.django_db
def test_it_sends_nothing_and_says_so_when_the_service_is_asked_for_a_dry_run(email_settings):
    outcome = health_report_send(as_of=AS_OF, dry_run=True)
    assert outcome.sent is False and mail.outbox == []
    assert outcome.email.subject.startswith("[WARNING] [OPERATED]")  # no run at all in the period


def _entry(openrouter_id, status, *, confidence=None, provider="together", hours_ago=2, **fields):
    matches = [{"provider": provider, "model_id": openrouter_id.split(":")[0].upper(), "confidence": confidence,
                "method": "normalized-name", "verified": True}] if status == "matched" else []
    return OpenRouterModel.objects.create(
        openrouter_id=openrouter_id, canonical_slug=openrouter_id.split(":")[0], match_status=status,
        matches=matches, match_confidence=confidence, first_seen_at=AS_OF - timedelta(hours=hours_ago), **fields)


@pytest.mark.django_db
def test_it_lists_matched_and_ambiguous_new_models_first_with_their_add_commands(email_settings):
    for i in range(3):
        _entry(f"solo/unmatched-{i}", "unmatched")
    _entry("acme/m1", "matched", confidence=0.8)
    _entry("acme/amb", "ambiguous", candidates={"groq": ["acme-amb-a", "acme-amb-b"]})
    _entry("acme/m2", "matched", confidence=0.95)
    _entry("acme/m2:free", "matched", confidence=0.9)
    # a new base whose variant was added last week: the model is handled, not new
    _entry("acme/done", "matched", confidence=0.99)
    _entry("acme/done:exacto", "added", hours_ago=24 * 7)
    context = health_report_build(as_of=AS_OF, days=1)
    assert context["new_models_count"] == 6 and context["new_models_rest"] == 3
    text = health_report_render(context=context).text
    section = text.split("== NEW MODELS FROM DISCOVERY (6) ==")[1].split("== OPERATOR RUNS ==")[0]
    listed = [line.split(":")[0] for line in section.splitlines() if line.startswith("- ")]
    assert listed == ["- acme/m2", "- acme/m1", "- acme/amb"]
    assert "acme/done" not in section and "solo/unmatched" not in section
    assert "  add:        python manage.py add_matched_models acme/m2 acme/m2:free" in section
    assert "  variants:   :free" in section
    assert "  candidates: groq/acme-amb-a, groq/acme-amb-b" in section
    assert "  add:        python manage.py add_matched_models acme/amb --pick groq/acme-amb-b" in section
    assert "(3 more not listed: unmatched or not matched yet; all of them: " \
           "https://ops.example.com/admin/discovery/openroutermodel/)" in section
    html = health_report_render(context=context).html
    assert "<code>python manage.py add_matched_models acme/m2 acme/m2:free</code>" in html
    assert html.index("acme/m2") < html.index("acme/m1") < html.index("acme/amb")


@pytest.mark.django_db
def test_it_tells_the_registry_now_from_the_health_of_the_last_collect(email_settings, settings):
    """A pass collects, then disables: the email's fleet line must not show the collect's "disabled"
    count as the registry's (it read 2 disabled on the demo after 4 unattended disables)."""
    settings.OPENAI_API_KEY = ""
    seed_demo()
    call_command("run_operator", "--no-llm", stdout=StringIO(), stderr=StringIO())
    out = StringIO()
    call_command("send_health_report", "--dry-run", stdout=out)
    line = next(line for line in out.getvalue().splitlines() if line.startswith("Registry:"))
    disabled = RegisteredModel.objects.filter(enabled=False).count()
    enabled = RegisteredModel.objects.filter(enabled=True).count()
    collected = ModelStatus.objects.order_by("-computed_at").values_list("computed_at", flat=True)[0]
    assert line.startswith(f"Registry: {enabled} enabled, {disabled} disabled; "
                           f"health at the last collect ({collected:%Y-%m-%d %H:%M} UTC): ")
    statuses = dict(pair.rsplit(" ", 1) for pair in line.split(" UTC): ", 1)[1].split(", "))
    assert sum(map(int, statuses.values())) == ModelStatus.objects.count()
    assert AuditLog.objects.filter(action="disable", actor_type="operator").count() == 4
    assert disabled > int(statuses.get("disabled", 0))  # the pass's disables came after its collect
