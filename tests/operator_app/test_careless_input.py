"""Careless or absurd command-line values: a clear one-line CommandError, never an OverflowError,
and nothing written. A writing pass may not run ahead of the clock."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from lifecycle.models import ModelStatus
from operator_app.models import Decision, OperatorRun
from registry.models import AuditLog, RegisteredModel
from tests.faults.support import seed_fleet, table_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet_with_a_pass():
    """The demo fleet as of now, with one real pass done: pending decisions that a careless
    future pass would supersede."""
    from lifecycle.demo import seed_demo

    seed_demo(as_of=timezone.now())
    call_command("run_operator", "--no-llm", stdout=StringIO(), stderr=StringIO())
    assert Decision.objects.filter(status="pending").exists()
    return table_counts()


def _fails(*args, match: str) -> str:
    with pytest.raises(CommandError, match=match) as info:
        call_command(*args, stdout=StringIO(), stderr=StringIO())
    text = str(info.value)
    assert "\n" not in text and "Overflow" not in text
    return text


def test_a_writing_pass_in_the_future_is_refused_and_changes_nothing(fleet_with_a_pass):
    pending = sorted(Decision.objects.filter(status="pending").values_list("pk", "suggested_at"))
    statuses = sorted(ModelStatus.objects.values_list("provider", "model_id", "lifecycle_status"))
    _fails("run_operator", "--no-llm", "--as-of", "3000-01-01", match=r"--as-of 3000-01-01T00:00:00Z is in the future")
    future = (timezone.now() + timedelta(minutes=30)).isoformat()
    _fails("run_operator", "--no-llm", "--as-of", future, match="is in the future")
    _fails("collect_signals", "--as-of", "3000-01-01", match="is in the future")
    assert table_counts() == fleet_with_a_pass
    assert sorted(Decision.objects.filter(status="pending").values_list("pk", "suggested_at")) == pending
    assert sorted(ModelStatus.objects.values_list("provider", "model_id", "lifecycle_status")) == statuses


def test_a_dry_run_may_look_ahead_and_a_small_clock_skew_is_allowed(fleet_with_a_pass):
    out = StringIO()
    call_command("run_operator", "--no-llm", "--dry-run", "--as-of", "3000-01-01", stdout=out, stderr=StringIO())
    assert "dry run" in out.getvalue().lower()
    assert table_counts() == fleet_with_a_pass
    skew = (timezone.now() + timedelta(minutes=2)).isoformat()
    call_command("run_operator", "--no-llm", "--as-of", skew, stdout=StringIO(), stderr=StringIO())
    assert OperatorRun.objects.filter(status="succeeded").count() == 2


@pytest.mark.parametrize("args, match", [
    (["run_operator", "--no-llm", "--as-of", "0001-01-01"], r"--as-of 0001-01-01T00:00:00Z is before 2000-01-01"),
    (["run_operator", "--no-llm", "--dry-run", "--as-of", "0001-01-01"], r"is before 2000-01-01"),
    (["run_operator", "--no-llm", "--dry-run", "--as-of", "9999-12-31T23:59:59"], r"is after 9000"),
    (["collect_signals", "--as-of", "0001-01-01"], r"is before 2000-01-01"),
    (["collect_signals", "--window-hours", "999999999999"], r"--window-hours must be a positive integer of at most 8760"),
    (["collect_signals", "--window-hours", "0"], r"--window-hours must be a positive integer of at most 8760"),
    (["send_health_report", "--dry-run", "--days", "100000000"], r"--days must be at least 1 and at most 3660"),
    (["send_health_report", "--dry-run", "--as-of", "0001-01-01"], r"is before 2000-01-01"),
    (["decisions", "--limit", "-5"], r"--limit must be between 1 and 100000"),
])
def test_absurd_values_get_a_clear_error_and_write_nothing(fleet_with_a_pass, args, match):
    _fails(*args, match=match)
    assert table_counts() == fleet_with_a_pass


def test_a_snapshot_file_at_an_impossible_moment_is_a_clear_error(tmp_path):
    path = tmp_path / "year-one.json"
    path.write_text('{"as_of": "0001-01-01T00:00:00Z", "providers": {}, "models": []}')
    _fails("run_operator", "--snapshots", str(path), "--dry-run", match=r"year-one\.json: as_of .* is before 2000")
    huge = tmp_path / "huge-window.json"
    huge.write_text('{"as_of": "2026-11-26T00:00:00Z", "providers": {}, "models": [{"provider": "openai", '
                    '"model_id": "m", "window_hours": 999999999999, "runs": 1, "successes": 1}]}')
    _fails("run_operator", "--snapshots", str(huge), "--dry-run", match=r"window_hours: expected 1 to 8760 hours")


def test_disable_models_for_an_unknown_provider_exits_non_zero_and_changes_nothing():
    seed_fleet()
    before = table_counts()
    for extra in ([], ["--apply"]):
        _fails("disable_models", "--provider", "nosuch", "--reason", "typo", *extra,
               match=r"--provider nosuch: no model of that provider in the registry; nothing changed")
        _fails("disable_models", "--provider", "openai", "--provider", "nosuch", "--reason", "typo", *extra,
               match=r"--provider nosuch")
    assert table_counts() == before
    assert RegisteredModel.objects.filter(enabled=False).count() == 0 and not AuditLog.objects.exists()
