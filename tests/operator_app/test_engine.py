"""Whole operator passes on the database: persistence, idempotency, caps, dry-run, locking."""

import json
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import timezone

from lifecycle.models import ModelStatus
from operator_app.engine import operator_run
from operator_app.locking import LockBusy, lock_acquire, operator_lock
from operator_app.models import Decision, OperatorLock, OperatorRun
from registry.models import AuditLog, RegisteredModel

from .fleet import AS_OF, dead, fleet, fleet_dict, iso, register

pytestmark = pytest.mark.django_db

SAMPLES = Path("/work/shared/samples/snapshots")
if not SAMPLES.exists():
    SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples" / "snapshots"

NO_LLM = override_settings(OPENAI_API_KEY="")


def table_counts():
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


@NO_LLM
def test_it_persists_decisions_mirrors_them_and_auto_executes_within_policy():
    snapset = fleet()
    register(snapset)
    report = operator_run(snapset=snapset, use_llm=False)
    run = OperatorRun.objects.get()
    # --no-llm is "LLM off", not four fallbacks of an LLM that failed
    assert run.status == "succeeded" and not run.llm_enabled and run.fallbacks == 0 and run.fallback_reasons == {}
    decisions = {d.model_id: d for d in Decision.objects.all()}
    assert "claude-sonnet-4-5" not in decisions  # ignore needs no decision
    assert decisions["gpt-4.5-preview"].status == "auto_executed" and decisions["gpt-4.5-preview"].auto_execute
    assert decisions["gpt-fresh"].status == "pending" and decisions["gpt-fresh"].action == "monitor"
    assert decisions["mistral-large-latest"].action == "monitor" and not decisions["mistral-large-latest"].auto_execute
    assert decisions["gpt-4.5-preview"].evidence["model"]["streak_hours"] == 96.0
    assert decisions["gpt-4.5-preview"].evidence["samples"][0]["status"] == 404
    assert set(RegisteredModel.objects.filter(enabled=False).values_list("model_id", flat=True)) == {
        "gpt-4.5-preview", "o1-preview"}
    disabled = RegisteredModel.objects.get(model_id="o1-preview")
    assert disabled.disabled_class == "hard_model" and disabled.disabled_by == "operator"
    audit = AuditLog.objects.get(model_id="o1-preview", action="disable")
    assert audit.run_ref == run.pk and audit.decision_ref == decisions["o1-preview"].pk and audit.reversible
    status = ModelStatus.objects.get(model_id="gpt-4.5-preview")
    assert status.operator_decision["status"] == "auto_executed" and status.operator_decision["action"] == "disable"
    # the mirror holds the spec's decisions only: a healthy model has none
    assert ModelStatus.objects.get(model_id="claude-sonnet-4-5").operator_decision is None
    assert run.auto_executed == 2 and run.decisions_created == len(decisions)
    assert report.counts["ignore"] == 1


@NO_LLM
def test_a_rerun_on_unchanged_evidence_creates_nothing_new():
    snapset = fleet()
    register(snapset)
    operator_run(snapset=fleet(), use_llm=False)
    before = (Decision.objects.count(), AuditLog.objects.count())
    report = operator_run(snapset=fleet(), use_llm=False)
    assert (Decision.objects.count(), AuditLog.objects.count()) == before
    assert report.decisions_created == 0
    assert Decision.objects.filter(status="pending").count() == 5


@NO_LLM
def test_a_new_decision_supersedes_the_older_pending_one():
    register(fleet())
    operator_run(snapset=fleet(), use_llm=False)
    old = Decision.objects.get(model_id="gpt-fresh")
    data = fleet_dict()
    data["as_of"] = iso(AS_OF + timedelta(hours=60))  # the fresh streak is now 66h old
    # …and the runner kept writing meanwhile (60 h without a row would be runner silence: no conclusion)
    for model in data["models"]:
        for group in model["errors"]:
            group["last_seen_at"] = iso(AS_OF + timedelta(hours=59))
        if model["successes"]:
            model["last_success_at"] = iso(AS_OF + timedelta(hours=59))
    report = operator_run(snapset=fleet(data), use_llm=False)
    old.refresh_from_db()
    new = Decision.objects.get(model_id="gpt-fresh", run=report.run.pk)
    assert old.status == "superseded" and new.action == "disable"
    assert Decision.objects.filter(model_id="gpt-fresh", status="pending").count() <= 1


@NO_LLM
def test_a_recovered_model_supersedes_its_pending_decision():
    register(fleet())
    operator_run(snapset=fleet(), use_llm=False)
    data = fleet_dict()
    data["models"] = [m for m in data["models"] if m["model_id"] != "gpt-fresh"]
    data["models"].append({"provider": "openai", "model_id": "gpt-fresh", "window_hours": 168, "runs": 10,
                           "successes": 10, "last_success_at": iso(AS_OF), "errors": []})
    operator_run(snapset=fleet(data), use_llm=False)
    assert Decision.objects.get(model_id="gpt-fresh").status == "superseded"


@NO_LLM
@override_settings(OPERATOR_MAX_AUTO_PER_RUN=3, OPERATOR_MAX_AUTO_PER_PROVIDER=2)
def test_caps_drain_a_backlog_over_successive_runs():
    data = fleet_dict()
    data["providers"]["groq"] = {"error_rate": 0.05, "models": 40, "catalog": "complete"}
    data["models"] = [dead("openai", f"old-{i}", hours=100 + i) for i in range(4)] + [
        dead("groq", f"gone-{i}", hours=100 + i) for i in range(3)]
    register(fleet(data))
    executed = []
    for _ in range(4):
        report = operator_run(snapset=fleet(data), use_llm=False)
        executed.append(len(report.executed))
    assert executed == [3, 3, 1, 0]  # never refuses a run; applies up to the caps, the rest waits
    assert not RegisteredModel.objects.filter(enabled=True).exists()
    assert Decision.objects.filter(status="auto_executed").count() == 7
    assert Decision.objects.count() == 7  # drained from the same decisions, no duplicates


@NO_LLM
def test_dry_run_writes_nothing_at_all():
    call_command("seed_demo", stdout=StringIO())
    register(fleet())
    before = table_counts()
    statuses = list(ModelStatus.objects.values_list("pk", "operator_decision", "lifecycle_status"))
    report = operator_run(use_llm=False, dry_run=True)
    report2 = operator_run(snapset=fleet(), use_llm=False, dry_run=True)
    assert table_counts() == before
    assert list(ModelStatus.objects.values_list("pk", "operator_decision", "lifecycle_status")) == statuses
    assert report.auto_execute and report2.auto_execute  # it says what it would do
    assert not report.executed and not report2.executed


@NO_LLM
def test_the_command_runs_a_pass_on_the_demo_fleet_and_reruns_idempotently():
    call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("run_operator", "--no-llm", stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert "analyzed" in text and "disable:" in text and "LLM calls: 0" in text
    assert "LLM off (--no-llm)" in text and "FALLBACK" not in text  # off is not a fallback
    pending = Decision.objects.filter(status="pending").count()
    call_command("run_operator", "--no-llm", stdout=StringIO(), stderr=StringIO())
    assert Decision.objects.filter(status="pending").count() == pending
    out = StringIO()
    call_command("run_operator", "--no-llm", "--dry-run", "--format", "json", "--provider", "mistral",
                 stdout=out, stderr=StringIO())
    data = json.loads(out.getvalue())
    assert {d["provider"] for d in data["decisions"]} == {"mistral"}
    assert all(d["action"] == "monitor" for d in data["decisions"])


@NO_LLM
def test_all_shared_samples_decide_as_expected_through_the_command():
    expected = json.loads((SAMPLES / "EXPECTED.json").read_text())
    files = [str(SAMPLES / name) for name in sorted(expected)]
    out, err = StringIO(), StringIO()
    before = table_counts()
    call_command("run_operator", "--snapshots", *files, "--dry-run", "--no-llm", "--format", "json",
                 stdout=out, stderr=err)
    rows = json.loads(out.getvalue())  # stdout is exactly the JSON array
    assert table_counts() == before
    assert len(rows) == len(expected)
    for row in rows:
        want = expected[Path(row["source"]).name]
        assert row["action"] in want["acceptable_actions"], row
        assert row["auto_execute"] == want["auto_execute_allowed"], row
        assert set(row) == {"source", "provider", "model_id", "action", "confidence", "auto_execute",
                            "error_class", "suggested_by", "reasoning"}
    assert "analyzed" in err.getvalue()


def test_a_bad_snapshot_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CommandError, match="bad.json"):
        call_command("run_operator", "--snapshots", str(bad), "--no-llm", stdout=StringIO(), stderr=StringIO())


@NO_LLM
def test_two_passes_at_once_are_refused_by_the_lock():
    register(fleet())
    with operator_lock():
        with pytest.raises(LockBusy, match="another operator pass"):
            operator_run(snapset=fleet(), use_llm=False)
        with pytest.raises(CommandError, match="another operator pass"):
            call_command("run_operator", "--no-llm", stdout=StringIO(), stderr=StringIO())
    assert not Decision.objects.exists() and not OperatorRun.objects.exists()
    operator_run(snapset=fleet(), use_llm=False)  # released afterwards
    assert not OperatorLock.objects.exists()


def test_an_expired_lock_is_taken_over():
    OperatorLock.objects.create(name="operator-run", holder="dead-worker", expires_at=timezone.now() - timedelta(1))
    assert lock_acquire(name="operator-run") is not None
    assert lock_acquire(name="operator-run") is None
