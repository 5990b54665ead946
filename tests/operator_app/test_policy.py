from datetime import timedelta

import pytest
from django.test import override_settings

from operator_app import policy
from operator_app.policy import PolicyInput, policy_apply_caps, policy_check

from .fleet import AS_OF


def item(**kw):
    base = dict(provider="openai", model_id="gpt-4.5-preview", action="disable", confidence=0.97,
                error_class="hard_model", streak_classes=("hard_model",), streak_started_at=AS_OF - timedelta(hours=96),
                last_success_at=AS_OF - timedelta(hours=200), provider_wide=False, catalog="complete",
                in_provider_catalog=False)
    base.update(kw)
    return PolicyInput(**base)


def test_it_allows_only_when_every_condition_holds():
    verdict = policy_check(item=item(), as_of=AS_OF)
    assert verdict.auto_execute and "hard_model for 96h" in verdict.reason


@pytest.mark.parametrize("change, reason", [
    ({"action": "monitor"}, "only disable"),
    ({"error_class": "auth", "streak_classes": ("auth",)}, "only hard_model"),
    ({"streak_classes": ("hard_model", "timeout")}, "only hard_model"),
    ({"streak_started_at": AS_OF - timedelta(hours=47)}, "needs 48h"),
    ({"streak_started_at": None}, "no failure streak"),
    ({"last_success_at": AS_OF - timedelta(hours=10)}, "success since"),
    ({"provider_wide": True}, "provider-wide"),
    ({"in_provider_catalog": True}, "still lists"),
    ({"confidence": 0.94}, "< 0.95"),
    ({"confidence": 1.5}, "< 0.95"),
])
def test_it_refuses_when_one_condition_fails(change, reason):
    verdict = policy_check(item=item(**change), as_of=AS_OF)
    assert not verdict.auto_execute and reason in verdict.reason


def test_a_partial_or_missing_catalog_is_no_evidence_either_way():
    assert policy_check(item=item(catalog="partial", in_provider_catalog=True), as_of=AS_OF).auto_execute
    assert policy_check(item=item(catalog=None, in_provider_catalog=None), as_of=AS_OF).auto_execute


@override_settings(OPERATOR_AUTO_EXECUTE=False)
def test_the_kill_switch_stops_everything():
    verdict = policy_check(item=item(), as_of=AS_OF)
    assert not verdict.auto_execute and "switched off" in verdict.reason


@override_settings(OPERATOR_AUTO_CONFIDENCE=0.98, OPERATOR_HARD_STREAK_HOURS=100)
def test_thresholds_come_from_settings():
    assert policy.AUTO_CONFIDENCE == 0.98
    assert "needs 100h" in policy_check(item=item(), as_of=AS_OF).reason
    assert "< 0.98" in policy_check(item=item(streak_started_at=AS_OF - timedelta(hours=101)), as_of=AS_OF).reason


@override_settings(OPERATOR_MAX_AUTO_PER_RUN=3, OPERATOR_MAX_AUTO_PER_PROVIDER=2)
def test_caps_apply_up_to_the_limit_oldest_streak_first():
    items = [item(provider=p, model_id=f"{p}-{i}", streak_started_at=AS_OF - timedelta(hours=100 + i))
             for p in ("openai", "groq") for i in range(3)]
    checked = [(i, policy_check(item=i, as_of=AS_OF)) for i in items]
    policy_apply_caps(candidates=checked)
    allowed = sorted(i.model_id for i, v in checked if v.auto_execute)
    assert allowed == ["groq-1", "groq-2", "openai-2"]  # oldest first, ≤2 per provider, ≤3 per run
    capped = [v.reason for i, v in checked if not v.auto_execute]
    assert len(capped) == 3 and all("pending for the next run" in r for r in capped)


RETIRED = {"streak_started_at": AS_OF - timedelta(hours=6), "retired_at": AS_OF - timedelta(hours=8)}


def test_past_its_retirement_a_fresh_hard_streak_runs_unattended():
    verdict = policy_check(item=item(**RETIRED), as_of=AS_OF)
    assert verdict.auto_execute and "past its announced retirement" in verdict.reason
    # a retirement still ahead waives nothing
    ahead = policy_check(item=item(**{**RETIRED, "retired_at": AS_OF + timedelta(hours=1)}), as_of=AS_OF)
    assert not ahead.auto_execute and "needs 48h" in ahead.reason


@pytest.mark.parametrize("change, reason", [
    ({"provider_wide": True}, "provider-wide"),
    ({"in_provider_catalog": True}, "still lists"),
    ({"streak_classes": ("hard_model", "rate_limit")}, "only hard_model"),
    ({"last_success_at": AS_OF - timedelta(hours=1)}, "success since"),
    ({"confidence": 0.9}, "< 0.95"),
])
def test_past_its_retirement_every_other_condition_still_holds(change, reason):
    verdict = policy_check(item=item(**{**RETIRED, **change}), as_of=AS_OF)
    assert not verdict.auto_execute and reason in verdict.reason


def enable(**kw):
    oks = (AS_OF - timedelta(hours=3), AS_OF - timedelta(hours=1))
    return item(**{"action": "enable", "error_class": "billing", "streak_classes": (), "disabled_class": "billing",
                   "disabled_unattended": True, "probe_successes": oks, **kw})


def test_an_enable_runs_unattended_only_after_an_unattended_recoverable_disable_and_two_spaced_probes():
    assert policy_check(item=enable(), as_of=AS_OF).auto_execute


@pytest.mark.parametrize("change, reason", [
    ({"disabled_unattended": False}, "a human disabled it"),
    ({"disabled_class": "hard_model"}, "not a recoverable class"),
    ({"probe_successes": (AS_OF,)}, "1 successful probe(s)"),
    ({"probe_successes": (AS_OF - timedelta(minutes=50), AS_OF)}, "less than 1h apart"),
    ({"admission": True}, "ADMISSION_AUTO_ENABLE is off"),
])
def test_an_enable_waits_for_a_human_otherwise(change, reason):
    verdict = policy_check(item=enable(**change), as_of=AS_OF)
    assert not verdict.auto_execute and reason in verdict.reason


def test_the_kill_switch_and_admission_auto_enable_cover_enables(settings):
    settings.ADMISSION_AUTO_ENABLE = True
    assert policy_check(item=enable(admission=True, disabled_unattended=False, disabled_class="manual"),
                        as_of=AS_OF).auto_execute
    settings.OPERATOR_AUTO_EXECUTE = False
    verdict = policy_check(item=enable(), as_of=AS_OF)
    assert not verdict.auto_execute and "OPERATOR_AUTO_EXECUTE" in verdict.reason
