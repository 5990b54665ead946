"""Replay from snapshot files: the shared samples, export → replay round trip, invalid files."""

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from lifecycle import demo
from lifecycle.classifier import classify_snapset, classify_snapshot_files
from lifecycle.collector import collect_snapshots
from lifecycle.snapshots import SnapshotFormatError, load_snapshot_file, write_snapshot_file

SAMPLES = Path("/work/shared/samples/snapshots")
EXPECTED = json.loads((SAMPLES / "EXPECTED.json").read_text())
AS_OF = datetime(2026, 11, 26, 8, tzinfo=timezone.utc)
KEYS = {"source", "provider", "model_id", "action", "confidence", "error_class", "suggested_by", "reasoning",
        "lifecycle_status"}


def test_it_decides_every_shared_sample_as_expected():
    paths = sorted(SAMPLES.glob("S*.json"))
    assert len(paths) == len(EXPECTED) >= 14
    rows = classify_snapshot_files(paths)
    assert len(rows) == len(paths)
    for row in rows:
        expected = EXPECTED[Path(row["source"]).name]
        assert row["action"] in expected["acceptable_actions"], (row["source"], row["action"], row["reasoning"])
        assert set(row) == KEYS and row["suggested_by"] == "classifier-fallback"
        assert 0 <= row["confidence"] <= 1 and row["reasoning"]
        # Whatever the classifier would let run unattended must be allowed to.
        if row["action"] == "disable" and row["confidence"] >= 0.95:
            assert expected["auto_execute_allowed"], row
    by_name = {Path(r["source"]).name[:3]: r for r in rows}
    assert by_name["S01"]["confidence"] >= 0.97 and by_name["S03"]["confidence"] >= 0.97
    assert by_name["S07"]["confidence"] < 0.95  # still listed: a human decides
    assert (by_name["S23"]["error_class"], by_name["S23"]["action"]) == ("auth", "monitor")
    assert (by_name["S24"]["error_class"], by_name["S24"]["action"]) == ("auth", "monitor")
    assert (by_name["S29"]["error_class"], by_name["S29"]["action"]) == ("billing", "monitor")
    assert by_name["S38"]["action"] in ("ignore", "monitor") and by_name["S68"]["action"] in ("ignore", "monitor")


def test_it_treats_each_file_as_its_own_world(tmp_path):
    # The same model: provider-wide 401 in one file, a healthy provider in the other.
    s24 = json.loads((SAMPLES / "S24-openai-401-provider-wide.json").read_text())
    calm = json.loads(json.dumps(s24))
    calm["providers"]["openai"]["error_rate"] = 0.02
    calm["models"][0]["errors"][0] = {**calm["models"][0]["errors"][0], "status": 404,
                                      "message": demo.NOT_FOUND_OPENAI % "gpt-4.1-mini", "first_seen_at": "2026-11-23T02:00:00Z"}
    calm["models"][0]["last_success_at"] = "2026-11-23T01:00:00Z"
    calm["models"][0]["in_provider_catalog"] = False
    (tmp_path / "a.json").write_text(json.dumps(s24))
    (tmp_path / "b.json").write_text(json.dumps(calm))
    a, b = classify_snapshot_files([tmp_path / "a.json", tmp_path / "b.json"])
    assert (a["action"], a["source"]) == ("monitor", str(tmp_path / "a.json"))
    assert (b["action"], b["source"]) == ("disable", str(tmp_path / "b.json"))


@pytest.mark.django_db
def test_it_replays_an_exported_snapshot_to_the_same_decisions(tmp_path):
    demo.seed_demo(as_of=AS_OF)
    snapset = collect_snapshots(as_of=AS_OF)
    direct = {k: (v.action, v.confidence, v.lifecycle_status, v.error_class) for k, v in classify_snapset(snapset).items()}
    path = tmp_path / "fleet.json"
    write_snapshot_file(snapset, path)
    assert not (tmp_path / "fleet.json.tmp").exists()
    reloaded = load_snapshot_file(path)
    # Exact streaks survive the trip, so the file decides like the database.
    assert {m.key: m.streak_started_at for m in reloaded.models} == {m.key: m.streak_started_at for m in snapset.models}
    replayed = {(r["provider"], r["model_id"]): (r["action"], r["confidence"], r["lifecycle_status"], r["error_class"])
                for r in classify_snapshot_files([path])}
    assert replayed == direct
    assert sum(1 for a, *_ in replayed.values() if a == "disable") == 5


@pytest.mark.parametrize("content,message", [
    ("{not json", r"bad\.json: not valid JSON"),
    ('{"models": []}', r"bad\.json: missing required field 'as_of'"),
    ('{"as_of": "2026-11-26T08:00:00Z", "providers": {}, "models": [{"provider": "openai"}]}',
     r"bad\.json: models\[0\]: missing or empty 'model_id'"),
    ('{"as_of": "2026-11-26T08:00:00Z", "providers": {}, "models": [{"provider": "openai", "model_id": "m", '
     '"window_hours": 24, "runs": 1, "successes": 2}]}', r"bad\.json: models\[0\] \(openai/m\): successes"),
    ('{"as_of": "2026-11-26T08:00:00Z", "providers": {"openai": {"error_rate": 3}}, "models": []}',
     r"bad\.json: providers\.openai\.error_rate"),
    ('{"as_of": "yesterday", "models": []}', r"bad\.json: as_of: invalid timestamp"),
])
def test_it_rejects_invalid_files_naming_the_file_and_the_entry(tmp_path, content, message):
    good = SAMPLES / "S01-openai-404-model_not_found-96h.json"
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    with pytest.raises(SnapshotFormatError, match=message):
        classify_snapshot_files([good, bad])


def test_it_rejects_a_missing_file():
    with pytest.raises(SnapshotFormatError, match="nope.json: cannot read"):
        classify_snapshot_files(["/nonexistent/nope.json"])
