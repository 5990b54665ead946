"""model_status writes and the collect_signals command."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lifecycle import demo
from lifecycle.classifier import classify_snapset
from lifecycle.collector import collect_snapshots
from lifecycle.models import BenchmarkError, ModelStatus
from lifecycle.services import model_status_write
from lifecycle.snapshots import load_snapshot_file
from registry.models import RegisteredModel

pytestmark = pytest.mark.django_db

AS_OF = datetime(2026, 11, 26, 8, tzinfo=timezone.utc)


def _write(as_of=AS_OF):
    snapset = collect_snapshots(as_of=as_of)
    return model_status_write(snapset=snapset, verdicts=classify_snapset(snapset))


def test_it_writes_model_status_idempotently_with_a_constant_number_of_queries():
    demo.seed_demo(as_of=AS_OF)
    ModelStatus.objects.create(provider="openai", model_id="gpt-4.5-preview", lifecycle_status="active",
                               operator_decision={"action": "disable", "status": "pending"})
    with CaptureQueriesContext(connection) as first:
        assert _write() == len(demo.FLEET)
    assert ModelStatus.objects.count() == len(demo.FLEET)
    dead = ModelStatus.objects.get(provider="openai", model_id="gpt-4.5-preview")
    assert dead.lifecycle_status == "likely_deprecated" and dead.computed_at == AS_OF
    assert dead.operator_decision == {"action": "disable", "status": "pending"}  # the operator's field is left alone
    assert dead.signals["streak_started_at"] == "2026-11-22T08:00:00Z"
    assert dead.signals["errors"][0]["class"] == "hard_model" and dead.signals["classifier"]["action"] == "disable"
    assert dead.signals["provider"]["problem"] is None
    mistral = ModelStatus.objects.get(provider="mistral", model_id="mistral-large-latest")
    assert mistral.signals["provider"]["problem"] == "auth" and mistral.lifecycle_status == "failing"
    # read existing (1) + bulk_create + bulk_update, whatever the number of models
    writes = [q for q in first.captured_queries if "model_status" in q["sql"]]
    assert len(writes) <= 3

    with CaptureQueriesContext(connection) as second:
        assert _write() == 0  # same snapshot: nothing changes
    assert not [q for q in second.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))]

    RegisteredModel.objects.filter(provider="groq", model_id="llama-3.1-70b-specdec").update(enabled=False)
    # Only groq rows change: that model's status, and its provider's context in each summary.
    assert _write() == ModelStatus.objects.filter(provider="groq").count() == 5
    assert ModelStatus.objects.get(model_id="llama-3.1-70b-specdec").lifecycle_status == "disabled"


def test_it_never_stores_secrets_from_provider_text():
    RegisteredModel.objects.create(provider="openai", model_id="gpt-x")
    BenchmarkError.objects.create(provider="openai", model_name="gpt-x", ts=AS_OF - timedelta(hours=1), http_status=401,
                                  message="Incorrect API key provided: sk-proj-SECRETSECRETSECRET123456.")
    _write()
    stored = json.dumps(ModelStatus.objects.get(model_id="gpt-x").signals)
    assert "SECRETSECRET" not in stored and "<redacted-key>" in stored


def test_the_command_collects_classifies_writes_and_exports(tmp_path, capsys):
    demo.seed_demo(as_of=AS_OF)
    export = tmp_path / "snap.json"
    call_command("collect_signals", "--as-of", "2026-11-26T08:00:00Z", "--export", str(export))
    out = capsys.readouterr().out
    assert f"{len(demo.FLEET)} models" in out
    assert "likely_deprecated 5" in out and "disable 5" in out  # the demo's dead models, the renamed one too
    assert "Provider problem: deepinfra: billing" in out and "Provider problem: mistral: auth" in out
    assert ModelStatus.objects.count() == len(demo.FLEET)
    snapset = load_snapshot_file(export)
    assert len(snapset.models) == len(demo.FLEET) and snapset.as_of == AS_OF

    call_command("collect_signals", "--as-of", "2026-11-26T08:00:00Z", "--provider", "groq", "--window-hours", "24")
    out = capsys.readouterr().out
    assert "5 models, 1 providers" in out and "over 24h" in out


@pytest.mark.parametrize("args,message", [
    (["--as-of", "last tuesday"], "invalid timestamp"),
    (["--window-hours", "0"], "positive"),
    (["--export", "/nonexistent-dir/x.json"], "does not exist"),
])
def test_the_command_rejects_bad_arguments(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("collect_signals", *args)
    assert ModelStatus.objects.count() == 0


def test_the_collector_reports_every_step_of_its_progress():
    seen = []
    collect_snapshots(as_of=AS_OF, progress=lambda step, done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == seen[-1][1] == len(seen)
