"""discovery_report as an operator meets it: one numbered row per model (variants folded in), matched
first by confidence, then the ambiguous with their candidates, each with a command that works."""

import re
import shlex

import pytest
from django.core.management import CommandError, call_command

from discovery import names, selectors, services
from discovery.models import MatchStatus, OpenRouterModel
from registry.models import AuditLog, RegisteredModel
from tests.discovery.conftest import SAMPLE_AS_OF

pytestmark = pytest.mark.django_db
ROW = re.compile(r"^(\d+)\. (\S+)(?: → (\S+) \(confidence: ([0-9.]+)\))?")


def _report(capsys) -> str:
    capsys.readouterr()
    call_command("discovery_report")
    return capsys.readouterr().out


def _rows(out: str) -> list[dict]:
    """Each numbered row with the indented lines under it."""
    rows = []
    for line in out.splitlines():
        if m := ROW.match(line):
            rows.append({"n": int(m[1]), "id": m[2], "target": m[3],
                         "confidence": float(m[4]) if m[4] else None, "lines": []})
        elif rows and line.startswith("   "):
            rows[-1]["lines"].append(line.strip())
    return rows


@pytest.fixture
def matched(stored):
    services.catalog_match(as_of=SAMPLE_AS_OF, use_llm=False)


def test_it_lists_matched_models_first_by_confidence_then_the_ambiguous_ones(matched, capsys):
    out = _report(capsys)
    rows = _rows(out)
    waiting = selectors.discovery_new_models_folded()
    assert out.startswith(f"Found {len(waiting)} new models on OpenRouter:\n")
    assert [r["n"] for r in rows] == list(range(1, len(rows) + 1))
    matched_rows = [r for r in rows if r["target"]]
    ambiguous_rows = [r for r in rows if not r["target"]]
    assert matched_rows and ambiguous_rows
    assert rows[:len(matched_rows)] == matched_rows  # matched first
    confidences = [r["confidence"] for r in matched_rows]
    assert confidences == sorted(confidences, reverse=True)
    # every matched row carries the complete command; every ambiguous row its candidates and picks
    for row in matched_rows:
        command = next(line for line in row["lines"] if line.startswith("add: "))
        assert command.startswith(f"add: python manage.py add_matched_models {row['id']}") and "…" not in command
    for row in ambiguous_rows:
        assert any(line.startswith("candidates: ") for line in row["lines"])
        assert any(line.startswith(f"add: python manage.py add_matched_models {row['id']} --pick ")
                   for line in row["lines"])
    # the unmatched are a count, not rows
    unmatched = sum(1 for g in waiting if g.status == MatchStatus.UNMATCHED)
    assert f"Unmatched: {unmatched} more no direct provider serves" in out
    assert len(rows) == len(waiting) - unmatched
    lone = OpenRouterModel.objects.get(openrouter_id="meta-llama/llama-3.1-405b")
    assert lone.match_status == MatchStatus.UNMATCHED and lone.openrouter_id not in {r["id"] for r in rows}


def test_it_folds_variants_into_their_base_model_so_one_model_is_one_row(matched, capsys):
    rows = {r["id"]: r for r in _rows(_report(capsys))}
    bases = [names.openrouter_base_id(oid) for oid in rows]
    assert len(bases) == len(set(bases))  # no `:free`/`:exacto` row next to its model's
    listed = set(OpenRouterModel.objects.values_list("openrouter_id", flat=True))
    # a variant goes by its own ID only where OpenRouter lists no base entry for it
    assert {oid for oid in rows if names.openrouter_base_id(oid) != oid} == {
        "google/gemini-2.0-flash-exp:free", "qwen/qwen3-4b:free", "x-ai/grok-4.1-fast:free"}
    assert not listed & {"google/gemini-2.0-flash-exp", "qwen/qwen3-4b", "x-ai/grok-4.1-fast"}
    coder = rows["qwen/qwen3-coder"]
    assert "variants folded in: :exacto, :free" in coder["lines"]
    assert ("add: python manage.py add_matched_models qwen/qwen3-coder qwen/qwen3-coder:exacto "
            "qwen/qwen3-coder:free") in coder["lines"]


def test_it_shows_the_base_added_once_a_variants_provider_id_was_added(matched, capsys):
    # The bug of issue 15: the groq ID added through the :exacto variant left the base "Matched".
    call_command("add_matched_models", "moonshotai/kimi-k2-0905:exacto")
    assert RegisteredModel.objects.filter(provider="groq", model_id="moonshotai/kimi-k2-instruct-0905").exists()
    base = OpenRouterModel.objects.get(openrouter_id="moonshotai/kimi-k2-0905")
    assert base.match_status == MatchStatus.MATCHED  # the entry itself is untouched…
    folded = next(g for g in selectors.openrouter_fold(OpenRouterModel.objects.all()) if g.base_id == base.openrouter_id)
    assert folded.status == MatchStatus.ADDED and folded.status_label == "Added to the registry"  # …the model is added
    out = _report(capsys)
    assert "moonshotai/kimi-k2-0905" not in out
    # and the email of the day says the same (it folds through the same selector)
    period = selectors.discovery_new_models_folded(since=SAMPLE_AS_OF, as_of=SAMPLE_AS_OF)
    assert "moonshotai/kimi-k2-0905" not in {g.base_id for g in period}


def test_it_adds_a_model_with_the_command_the_report_prints_and_drops_it_from_the_next_report(matched, capsys):
    row = next(r for r in _rows(_report(capsys)) if r["id"] == "qwen/qwen3-coder")
    command = next(line for line in row["lines"] if line.startswith("add: ")).removeprefix("add: ")
    argv = shlex.split(command)
    assert argv[:3] == ["python", "manage.py", "add_matched_models"]
    call_command(*argv[2:])
    statuses = set(OpenRouterModel.objects.filter(openrouter_id__startswith="qwen/qwen3-coder")
                   .exclude(openrouter_id__startswith="qwen/qwen3-coder-").values_list("match_status", flat=True))
    assert statuses == {MatchStatus.ADDED}
    added = RegisteredModel.objects.filter(display_name__startswith="Qwen: Qwen3 Coder")
    assert added.exists() and not added.filter(enabled=True).exists()
    assert "qwen/qwen3-coder " not in _report(capsys)  # second report: handled


def test_it_folds_a_router_alias_under_the_model_it_routes_to(matched, capsys):
    kimi = OpenRouterModel.objects.get(openrouter_id="moonshotai/kimi-k2-0905")
    OpenRouterModel.objects.create(openrouter_id="~moonshotai/kimi-latest", canonical_slug=kimi.canonical_slug,
                                   name="Kimi latest", match_status=MatchStatus.UNMATCHED)
    rows = {r["id"]: r for r in _rows(_report(capsys))}
    assert "~moonshotai/kimi-latest" not in rows and "moonshotai/kimi-latest" not in rows
    assert "variants folded in: :exacto, ~" in rows["moonshotai/kimi-k2-0905"]["lines"]


def test_it_adds_the_candidate_a_human_picks_for_an_ambiguous_model(matched, capsys):
    row = next(r for r in _rows(_report(capsys)) if r["id"] == "x-ai/grok-3-beta")
    picks = [line.removeprefix("add: ") for line in row["lines"] if line.startswith("add: ")]
    assert "python manage.py add_matched_models x-ai/grok-3-beta --pick xai/grok-3" in picks
    with pytest.raises(CommandError, match="xai/grok-4 is not one of its candidates"):
        call_command("add_matched_models", "x-ai/grok-3-beta", "--pick", "xai/grok-4")
    assert not RegisteredModel.objects.exists() and not AuditLog.objects.exists()
    call_command(*shlex.split(picks[0])[2:], "--actor", "alice")
    model = RegisteredModel.objects.get()
    assert (model.provider, model.model_id, model.enabled) == ("xai", "grok-3", False)
    audit = AuditLog.objects.get(action="add")
    assert audit.actor == "alice" and audit.after["provenance"]["method"] == "human-pick"
    entry = OpenRouterModel.objects.get(openrouter_id="x-ai/grok-3-beta")
    assert (entry.match_status, entry.matched_provider, entry.matched_model_id) == ("added", "xai", "grok-3")
    assert "x-ai/grok-3-beta" not in _report(capsys)
    with pytest.raises(CommandError, match="not ambiguous or matched"):
        call_command("add_matched_models", "x-ai/grok-3-beta", "--pick", "xai/grok-3")
    with pytest.raises(CommandError, match="--pick takes exactly one OpenRouter ID"):
        call_command("add_matched_models", "a/b", "c/d", "--pick", "xai/grok-3")


def test_it_says_so_when_nothing_is_new(db, capsys):
    assert _report(capsys).startswith("Found 0 new models on OpenRouter.")


@pytest.mark.parametrize("openrouter_id, base, label", [
    ("moonshotai/kimi-k2-0905:exacto", "moonshotai/kimi-k2-0905", ":exacto"),
    ("qwen/qwen3-coder:free", "qwen/qwen3-coder", ":free"),
    ("x-ai/grok-2-1212", "x-ai/grok-2-1212", ""),
    ("~anthropic/claude-sonnet-latest", "anthropic/claude-sonnet-latest", "~"),
    ("~openai/gpt-latest:nitro", "openai/gpt-latest", "~:nitro"),
    ("qwen/qwen-plus-2025-07-28:thinking", "qwen/qwen-plus-2025-07-28", ":thinking"),
])
def test_it_names_the_base_model_of_a_variant(openrouter_id, base, label):
    assert names.openrouter_base_id(openrouter_id) == base
    assert names.openrouter_variant_label(openrouter_id) == label


def test_it_offers_each_candidate_with_the_entry_that_found_it(db):
    OpenRouterModel.objects.create(openrouter_id="acme/m", canonical_slug="acme/m", match_status="ambiguous",
                                   candidates={"groq": ["acme-m"]})
    OpenRouterModel.objects.create(openrouter_id="acme/m:free", canonical_slug="acme/m", match_status="ambiguous",
                                   candidates={"groq": ["acme-m"], "together": ["acme/M-Turbo"]})
    (group,) = selectors.openrouter_fold(OpenRouterModel.objects.all())
    assert group.openrouter_id == "acme/m" and group.variants == [":free"]
    assert group.candidates == {"groq": ["acme-m"], "together": ["acme/M-Turbo"]}
    assert group.pick_commands() == [
        "python manage.py add_matched_models acme/m --pick groq/acme-m",
        "python manage.py add_matched_models acme/m:free --pick together/acme/M-Turbo"]
    call_command(*shlex.split(group.pick_commands()[1])[2:])
    assert RegisteredModel.objects.filter(provider="together", model_id="acme/M-Turbo", enabled=False).exists()
    (group,) = selectors.openrouter_fold(OpenRouterModel.objects.all())
    assert group.status == MatchStatus.ADDED and group.pick_commands() == []
