"""The signal collector on a real database: grouping, exact streaks, legacy rows, catalogs, query count."""

from datetime import datetime, timedelta, timezone

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lifecycle import demo
from lifecycle.classifier import classify_model, provider_problem
from lifecycle.collector import collect_snapshots
from lifecycle.models import BenchmarkError, BenchmarkResult, ProviderCatalogEntry, ProviderCatalogSync
from registry.models import RegisteredModel

pytestmark = pytest.mark.django_db

AS_OF = datetime(2026, 11, 26, 8, tzinfo=timezone.utc)
H = timedelta(hours=1)
NOT_FOUND = demo.NOT_FOUND_OPENAI


def register(provider, *models, **fields):
    RegisteredModel.objects.bulk_create([RegisteredModel(provider=provider, model_id=m, **fields) for m in models])


def successes(provider, model, hours, warnings=None):
    BenchmarkResult.objects.bulk_create([
        BenchmarkResult(provider=provider, model_name=model, run_ts=AS_OF - h * H, warnings=warnings) for h in hours
    ])


def failures(provider, model, hours, status, message, field="ts"):
    text_field = "message" if field == "ts" else "error"
    BenchmarkError.objects.bulk_create([
        BenchmarkError(provider=provider, model_name=model, http_status=status, **{field: AS_OF - h * H,
                                                                                    text_field: message})
        for h in hours
    ])


def catalog(provider, listed, *, complete=True, started_h=2, status=None):
    ProviderCatalogSync.objects.create(
        provider=provider, started_at=AS_OF - started_h * H, finished_at=AS_OF - started_h * H,
        status=status or ("complete" if complete else "partial"), complete=complete,
    )
    for model_id in listed:
        ProviderCatalogEntry.objects.update_or_create(
            provider=provider, model_id=model_id, defaults={"last_seen_at": AS_OF - started_h * H})


def by_key(snapset):
    return {m.key: m for m in snapset.models}


def every(step_hours, start_h, end_h):
    """Run times every `step_hours` from `start_h` hours ago down to `end_h` hours ago."""
    out, h = [], start_h
    while h >= end_h:
        out.append(h)
        h -= step_hours
    return out


def test_it_starts_the_streak_at_the_first_failure_since_the_last_success_even_before_the_window():
    register("openai", "gpt-x")
    successes("openai", "gpt-x", every(3, 160, 61))
    fails = every(0.75, 60, 0.75)  # every 45 minutes for 60 hours, still failing 45 minutes ago
    failures("openai", "gpt-x", fails, 404, NOT_FOUND % "gpt-x")

    snap = by_key(collect_snapshots(as_of=AS_OF, window_hours=24))[("openai", "gpt-x")]
    assert snap.streak_started_at == AS_OF - 60 * H
    (group,) = snap.errors
    # The window holds 24h of failures, but the group shows the streak began 60h ago.
    assert group.count == len([h for h in fails if h <= 24])
    assert group.first_seen_at == AS_OF - 60 * H and group.last_seen_at == AS_OF - 0.75 * H
    assert group.streak_first_at == AS_OF - 60 * H
    assert snap.last_success_at == AS_OF - 61 * H and snap.successes == 0
    v = classify_model(snap, None, as_of=AS_OF)
    assert v.action == "disable" and "60h" in v.reasoning


def test_it_does_not_let_a_burst_of_429s_hide_older_404s():
    register("openai", "gpt-x")
    successes("openai", "gpt-x", [70, 66, 63])
    failures("openai", "gpt-x", every(3, 60, 3), 404, NOT_FOUND % "gpt-x")
    failures("openai", "gpt-x", every(0.01, 2, 0.1), 429, "Error code: 429 - slow down")  # ~190 rows, newest

    snap = by_key(collect_snapshots(as_of=AS_OF))[("openai", "gpt-x")]
    classes = {g.error_class: g for g in snap.errors}
    assert set(classes) == {"hard_model", "rate_limit"}
    assert classes["rate_limit"].count > 150 and snap.errors[0].error_class == "rate_limit"  # newest first
    assert classes["hard_model"].first_seen_at == AS_OF - 60 * H
    assert snap.streak_started_at == AS_OF - 60 * H
    assert classify_model(snap, None, as_of=AS_OF).action == "disable"


def test_it_counts_legacy_rows_with_created_at_timestamp_and_error():
    register("bedrock", "meta.llama2-70b-chat-v1")
    text = "ResourceNotFoundException: Could not resolve the foundation model from the provided model identifier."
    failures("bedrock", "meta.llama2-70b-chat-v1", [50, 40], 404, text, field="created_at")
    failures("bedrock", "meta.llama2-70b-chat-v1", [30, 20], 404, text, field="timestamp")
    failures("bedrock", "meta.llama2-70b-chat-v1", [10, 5], 404, text, field="ts")
    # A row carrying both ts and created_at counts once, by ts.
    BenchmarkError.objects.create(provider="bedrock", model_name="meta.llama2-70b-chat-v1", http_status=404,
                                  ts=AS_OF - 2 * H, created_at=AS_OF - 100 * H, message=text)

    snap = by_key(collect_snapshots(as_of=AS_OF))[("bedrock", "meta.llama2-70b-chat-v1")]
    (group,) = snap.errors
    assert (group.count, group.error_class, snap.runs, snap.successes) == (7, "hard_model", 7, 0)
    assert group.first_seen_at == AS_OF - 50 * H and group.last_seen_at == AS_OF - 2 * H
    assert snap.streak_started_at == AS_OF - 50 * H


def test_it_keeps_every_streak_exact_in_one_fleet_and_on_the_next_collect():
    """The streak rule, case by case, in one collect (24h window, 100h lookback): the earliest error
    after the model's last success, whatever the window, whichever field dates the row."""
    register("openai", "long", "burst", "never", "legacy", "recovered", "recovered-legacy", "tie", "healed")
    successes("openai", "long", every(3, 90, 61))
    failures("openai", "long", every(0.75, 60, 0.75), 404, NOT_FOUND % "long")  # longer than the window
    successes("openai", "burst", [70, 66, 63])
    failures("openai", "burst", every(3, 60, 3), 404, NOT_FOUND % "burst")
    failures("openai", "burst", every(0.01, 2, 0.1), 429, "Error code: 429 - slow down")  # newer, many more
    failures("openai", "never", [120, 90, 10], 404, NOT_FOUND % "never")  # 120h is before the lookback
    successes("openai", "legacy", [80])
    failures("openai", "legacy", [90, 70, 60], 404, NOT_FOUND % "legacy", field="created_at")
    failures("openai", "legacy", [50], 404, NOT_FOUND % "legacy", field="timestamp")
    failures("openai", "legacy", [5], 404, NOT_FOUND % "legacy")
    # A success between two failure runs with the same text: only the second run is the streak.
    failures("openai", "recovered", every(3, 50, 41), 404, NOT_FOUND % "recovered")
    successes("openai", "recovered", [38])
    failures("openai", "recovered", every(3, 20, 2), 404, NOT_FOUND % "recovered")
    failures("openai", "recovered-legacy", [50, 45, 30, 10], 404, NOT_FOUND % "recovered-legacy", field="created_at")
    successes("openai", "recovered-legacy", [40])
    successes("openai", "tie", [30, 12])
    failures("openai", "tie", [12, 9, 6], 500, demo.SERVER_ERROR_FIREWORKS)  # the 12h one is the success's run
    failures("openai", "healed", [30, 20, 10], 404, NOT_FOUND % "healed")
    successes("openai", "healed", [5])

    snaps = by_key(collect_snapshots(as_of=AS_OF, window_hours=24, lookback_hours=100))
    streaks = {m.model_id: m.streak_started_at for m in snaps.values()}
    assert streaks == {"long": AS_OF - 60 * H, "burst": AS_OF - 60 * H, "never": AS_OF - 90 * H,
                       "legacy": AS_OF - 70 * H, "recovered": AS_OF - 20 * H, "recovered-legacy": AS_OF - 30 * H,
                       "tie": AS_OF - 9 * H, "healed": None}
    group_streaks = {(m.model_id, g.status): g.streak_first_at for m in snaps.values() for g in m.errors}
    assert group_streaks == {
        ("long", 404): AS_OF - 60 * H, ("burst", 404): AS_OF - 60 * H, ("burst", 429): AS_OF - 2 * H,
        ("never", 404): AS_OF - 90 * H, ("legacy", 404): AS_OF - 70 * H, ("recovered", 404): AS_OF - 20 * H,
        ("recovered-legacy", 404): AS_OF - 30 * H, ("tie", 500): AS_OF - 9 * H, ("healed", 404): None}
    recovered = snaps[("openai", "recovered")].errors[0]
    assert (recovered.count, recovered.first_seen_at) == (7, AS_OF - 20 * H)  # the window's rows only
    # The streak reaches back before the window: first_seen_at shows it, count stays the window's.
    legacy = snaps[("openai", "legacy")].errors[0]
    assert (legacy.count, legacy.first_seen_at, legacy.last_seen_at) == (1, AS_OF - 70 * H, AS_OF - 5 * H)

    # The next collect: "long" recovers, "healed" fails again with the text it had before.
    successes("openai", "long", [0.5])
    failures("openai", "healed", [1], 404, NOT_FOUND % "healed")
    again = by_key(collect_snapshots(as_of=AS_OF, window_hours=24, lookback_hours=100))
    assert again[("openai", "long")].streak_started_at is None
    assert again[("openai", "healed")].streak_started_at == AS_OF - 1 * H
    assert again[("openai", "healed")].errors[0].streak_first_at == AS_OF - 1 * H
    assert {k: m.streak_started_at for k, m in again.items() if k[1] not in ("long", "healed")} == {
        k: m.streak_started_at for k, m in snaps.items() if k[1] not in ("long", "healed")}


def test_it_groups_by_normalized_message_and_keeps_one_redacted_sample():
    register("openai", "gpt-x")
    for h, rid in ((5, "req_aaaaaaaaaaaaaaaa"), (3, "req_bbbbbbbbbbbbbbbb"), (1, "req_cccccccccccccccc")):
        failures("openai", "gpt-x", [h], 429,
                 f"Rate limit reached. Please try again in {h}.5s. request id: {rid} key sk-proj-ABCDEFGHIJKLMNOPQRST")
    failures("openai", "gpt-x", [4], 500, demo.SERVER_ERROR_FIREWORKS)
    snap = by_key(collect_snapshots(as_of=AS_OF))[("openai", "gpt-x")]
    assert [(g.status, g.count) for g in snap.errors] == [(429, 3), (500, 1)]
    sample = snap.errors[0].message
    assert "sk-proj-ABCDEF" not in sample and "<redacted-key>" in sample
    assert "req_" not in snap.errors[0].normalized


def test_it_reports_last_success_ever_warnings_and_ignores_rows_after_as_of():
    register("anthropic", "claude-3-5-haiku-20241022", "claude-old")
    notice = demo.DEPRECATION_WARNING % "claude-3-5-haiku-20241022"
    successes("anthropic", "claude-3-5-haiku-20241022", every(3, 24, 1), warnings=[notice])
    successes("anthropic", "claude-3-5-haiku-20241022", [30], warnings=[])
    successes("anthropic", "claude-old", [400])  # long before the window
    successes("anthropic", "claude-old", [-5])  # after as_of: the future does not exist yet
    failures("anthropic", "claude-old", [-3], 404, "not found")

    snaps = by_key(collect_snapshots(as_of=AS_OF, window_hours=168))
    haiku, old = snaps[("anthropic", "claude-3-5-haiku-20241022")], snaps[("anthropic", "claude-old")]
    (warning,) = haiku.warnings
    assert warning.count == 8 and warning.first_seen_at == AS_OF - 24 * H and warning.last_seen_at == AS_OF - 3 * H
    assert haiku.errors == [] and haiku.successes == 9
    assert (old.runs, old.successes, old.last_success_at, old.errors) == (0, 0, AS_OF - 400 * H, [])
    assert classify_model(old, None, as_of=AS_OF).lifecycle_status == "stale"


def test_it_orders_groups_tied_on_last_seen_and_count_by_their_text():
    register("openai", "gpt-x")
    successes("openai", "gpt-x", [5, 2], warnings=["zeta notice", "alpha notice", "mu notice"])
    failures("openai", "gpt-x", [3], 500, "server error")
    failures("openai", "gpt-x", [3], 502, "bad gateway")
    snap = by_key(collect_snapshots(as_of=AS_OF))[("openai", "gpt-x")]
    assert [w.message for w in snap.warnings] == ["alpha notice", "mu notice", "zeta notice"]
    assert [g.status for g in snap.errors] == [502, 500]  # "bad gateway" before "server error"


def test_it_counts_catalog_absence_only_after_a_complete_sync():
    register("openai", "listed", "gone")
    register("groq", "listed", "gone")
    register("together", "listed", "gone")
    register("xai", "listed", "gone")
    catalog("openai", ["listed"])
    catalog("groq", ["listed"], complete=False)
    catalog("together", ["listed", "gone"], started_h=30)  # older complete sync listed both...
    catalog("together", ["listed"], started_h=5)  # ...the newest complete one only "listed"
    catalog("xai", ["listed", "gone"], started_h=30)
    ProviderCatalogSync.objects.create(provider="xai", started_at=AS_OF - H, status="failed", complete=False)
    ProviderCatalogSync.objects.create(provider="openai", started_at=AS_OF - 0.5 * H, status="running")

    s = collect_snapshots(as_of=AS_OF)
    got = {k: m.in_provider_catalog for k, m in by_key(s).items()}
    assert got == {
        ("openai", "listed"): True, ("openai", "gone"): False,  # a running sync is not a listing yet
        ("groq", "listed"): True, ("groq", "gone"): None,  # partial: presence counts, absence does not
        ("together", "listed"): True, ("together", "gone"): False,  # listed means listed by the latest sync
        ("xai", "listed"): None, ("xai", "gone"): None,  # the latest sync failed: nothing is known
    }
    assert {p: c.catalog for p, c in s.providers.items()} == {
        "openai": "complete", "groq": "partial", "together": "complete", "xai": "partial"}


def test_it_includes_models_seen_only_in_results_or_errors():
    register("openai", "gpt-x")
    successes("openai", "shadow-model", [5])
    failures("mistral", "ghost", [2], 401, demo.AUTH_MISTRAL)
    successes("openai", "ancient", [900])  # history only: not a model we run
    snaps = by_key(collect_snapshots(as_of=AS_OF))
    assert set(snaps) == {("openai", "gpt-x"), ("openai", "shadow-model"), ("mistral", "ghost")}
    assert snaps[("openai", "gpt-x")].registered and not snaps[("mistral", "ghost")].registered
    assert snaps[("mistral", "ghost")].streak_started_at == AS_OF - 2 * H


def test_it_measures_the_provider_context_that_separates_account_problems_from_dead_models():
    models = ("mistral-large-latest", "mistral-small-latest", "codestral-latest")
    register("mistral", *models)
    register("openai", "gpt-4o", "gpt-4.5-preview")
    for m in models:  # a key rotation 30h ago: week-long error rate is low, current picture is not
        successes("mistral", m, every(3, 160, 33))
        failures("mistral", m, every(3, 30, 0), 401, demo.AUTH_MISTRAL)
    successes("openai", "gpt-4o", every(3, 160, 1))
    successes("openai", "gpt-4.5-preview", every(3, 160, 99))
    failures("openai", "gpt-4.5-preview", every(3, 96, 0), 404, NOT_FOUND % "gpt-4.5-preview")

    s = collect_snapshots(as_of=AS_OF)
    mistral, openai = s.providers["mistral"], s.providers["openai"]
    assert mistral.error_rate < 0.5 and mistral.models_streaking == 3 and mistral.streak_error_class == "auth"
    assert (mistral.models, mistral.models_failing, mistral.dominant_error_class) == (3, 0, "auth")
    assert provider_problem(mistral) == "auth"
    assert (openai.models_streaking, openai.dominant_error_class) == (1, "hard_model")
    assert provider_problem(openai) is None
    decisions = {k: classify_model(m, s.providers[m.provider], as_of=AS_OF) for k, m in by_key(s).items()}
    assert {decisions[("mistral", m)].action for m in models} == {"monitor"}
    assert all(decisions[("mistral", m)].provider_issue for m in models)
    assert decisions[("openai", "gpt-4.5-preview")].action == "disable"
    assert decisions[("openai", "gpt-4o")].action == "ignore"


def test_it_filters_by_provider_and_model_keys():
    register("openai", "a", "b")
    register("groq", "c")
    failures("openai", "b", [1], 404, "not found")
    assert {m.key for m in collect_snapshots(as_of=AS_OF, providers=["openai"]).models} == {
        ("openai", "a"), ("openai", "b")}
    assert {m.key for m in collect_snapshots(as_of=AS_OF, model_keys=[("openai", "b")]).models} == {("openai", "b")}
    assert collect_snapshots(as_of=AS_OF, providers=["groq"], model_keys=[("openai", "b")]).models == []


def test_it_rejects_a_naive_as_of():
    with pytest.raises(ValueError, match="timezone-aware"):
        collect_snapshots(as_of=datetime(2026, 11, 26))


def _fleet(n):
    providers = ("openai", "groq", "mistral", "bedrock", "together")
    for i in range(n):
        provider, model = providers[i % len(providers)], f"model-{i}"
        register(provider, model)
        successes(provider, model, every(12, 160, 40), warnings=["deprecated soon"] if i % 7 == 0 else None)
        failures(provider, model, every(12, 36, 0), 404, NOT_FOUND % model, field=("ts", "created_at", "timestamp")[i % 3])
        if i % 2:  # the same failure once before the last success too: the streak read settles it
            failures(provider, model, [44], 404, NOT_FOUND % model, field=("ts", "created_at", "timestamp")[i % 3])
    for provider in providers:
        catalog(provider, [f"model-{i}" for i in range(0, n, 2)])


def test_it_costs_the_same_number_of_queries_for_5_and_50_models():
    counts = {}
    for n in (5, 50):
        BenchmarkError.objects.all().delete()
        BenchmarkResult.objects.all().delete()
        RegisteredModel.objects.all().delete()
        ProviderCatalogEntry.objects.all().delete()
        ProviderCatalogSync.objects.all().delete()
        _fleet(n)
        with CaptureQueriesContext(connection) as ctx:
            snapset = collect_snapshots(as_of=AS_OF)
        assert len(snapset.models) == n
        assert all(m.streak_started_at == AS_OF - 36 * H for m in snapset.models)
        counts[n] = len(ctx.captured_queries)
    assert counts[5] == counts[50] <= 12


def test_it_collects_the_demo_fleet_and_decides_it_like_an_operator():
    demo.seed_demo(as_of=AS_OF)
    s = collect_snapshots(as_of=AS_OF)
    assert len(s.models) == len(demo.FLEET)
    decisions = {k: classify_model(m, s.providers[m.provider], as_of=AS_OF) for k, m in by_key(s).items()}
    action = {k: v.action for k, v in decisions.items()}
    # (fireworks deepseek-v3 is dead for the classifier too; the operator makes it a rename to its successor)
    for dead in (("openai", "gpt-4.5-preview"), ("groq", "llama-3.1-70b-specdec"), ("bedrock", "anthropic.claude-v2:1"),
                 ("bedrock", "meta.llama2-70b-chat-v1"), ("fireworks", "accounts/fireworks/models/deepseek-v3")):
        assert action[dead] == "disable" and decisions[dead].confidence >= 0.97, (dead, decisions[dead])
    for s_ in demo.FLEET:
        if s_.kind in ("billing", "auth"):
            assert action[(s_.provider, s_.model_id)] == "monitor"
            assert decisions[(s_.provider, s_.model_id)].provider_issue
        if s_.kind == "healthy":
            assert action[(s_.provider, s_.model_id)] == "ignore"
    assert {provider_problem(s.providers[p]) for p in ("deepinfra", "mistral")} == {"billing", "auth"}
    assert action[("openai", "gpt-5.3-codex")] == "monitor"  # fresh 404
    assert action[("openai", "o1-pro")] == "monitor"  # capability
    assert action[("azure", "gpt-4o-2024-11-20")] == "monitor"  # content filter
    assert decisions[("together", "deepseek-ai/DeepSeek-V3.2-Exp")].lifecycle_status == "never_succeeded"
    assert decisions[("anthropic", "claude-3-5-haiku-20241022")].lifecycle_status == "deprecated"
    assert action[("fireworks", "accounts/fireworks/models/qwen3-235b-a22b")] == "monitor"  # flapping
    assert list(action.values()).count("disable") == 5
