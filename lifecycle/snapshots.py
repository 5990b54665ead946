"""Health snapshots: what the signal collector knows about a set of models at one moment.

The in-memory shape every decision is made from (collector → snapshots → classifier /
operator), and the `llmops-snapshots/1` file format (shared/docs/snapshot-format.md) for
export and replay. Ages are always measured from `as_of`, never from the wall clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from llmops.lib.dates import iso_utc, moment_refusal, parse_iso

FORMAT = "llmops-snapshots/1"
CATALOG_STATES = ("complete", "partial", "none")
# The longest signal window, collected or read from a file (SIGNAL_WINDOW_HOURS' maximum): a year.
MAX_WINDOW_HOURS = 8760


class SnapshotFormatError(ValueError):
    """A snapshot file or entry is invalid; the message names the file and the entry."""


@dataclass
class ErrorGroup:
    """Failures (or warnings) with identical (status, message) in the window."""

    status: int | None
    message: str  # raw provider text: untrusted
    count: int
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    # Filled by the taxonomy (lifecycle.taxonomy); not part of the file format's input.
    error_class: str = ""
    normalized: str = ""
    # Earliest occurrence since the model's last success (None: none since). The
    # collector computes it exactly; from a file without it, it is derived.
    streak_first_at: datetime | None = None

    def seen_since(self, moment: datetime | None) -> bool:
        """Whether this group failed after `moment` (a model's last success; None: it never
        succeeded, so every failure counts). The one rule of what belongs to a failure streak."""
        if moment is None:
            return True
        return self.last_seen_at is not None and self.last_seen_at > moment


@dataclass
class ProviderContext:
    provider: str
    error_rate: float
    models: int | None = None
    models_failing: int | None = None
    catalog: str | None = None  # complete | partial | none | None (unknown)
    dominant_error_class: str | None = None
    # Models failing right now (no success since their first failure) and the class
    # that dominates those current failures: a credentials or billing lapse shows here
    # at once, long before it dominates a week-long error rate.
    models_streaking: int | None = None
    streak_error_class: str | None = None


@dataclass
class ModelSnapshot:
    provider: str
    model_id: str
    window_hours: int
    runs: int
    successes: int
    last_success_at: datetime | None
    errors: list[ErrorGroup] = field(default_factory=list)
    warnings: list[ErrorGroup] = field(default_factory=list)
    in_provider_catalog: bool | None = None
    enabled: bool = True
    deprecated: bool = False
    deprecation_date: str | None = None
    successor_model: str | None = None
    # First failure since the last success (None: no failure since). The collector
    # computes it exactly; from a file without it, it is derived from the error groups.
    streak_started_at: datetime | None = None
    # False for a model that appears only in results or errors, not in the registry.
    registered: bool = True

    @property
    def key(self) -> tuple[str, str]:
        return (self.provider, self.model_id)

    @property
    def failures(self) -> int:
        return max(self.runs - self.successes, 0)

    def streak_groups(self) -> list[ErrorGroup]:
        """Error groups of the current streak: those the collector marked with a streak start, or
        else those seen since the last success (all of them if the model never succeeded)."""
        marked = [g for g in self.errors if g.streak_first_at is not None]
        if marked:
            return marked
        return [g for g in self.errors if g.seen_since(self.last_success_at)]


@dataclass
class SnapshotSet:
    as_of: datetime
    providers: dict[str, ProviderContext]
    models: list[ModelSnapshot]
    source: str = ""
    # The IDs each provider's latest complete catalog sync listed (providers with one only): what a
    # successor named by untrusted text must be found in (operator_app.renames). Not in files.
    catalogs: dict[str, frozenset[str]] = field(default_factory=dict)
    # Provider -> its newest benchmark row in the window, as the collector read it (None: not
    # read, e.g. a replayed file; lifecycle.silence then derives it from the models).
    runner_last_rows: dict[str, datetime] | None = None


# --- parsing -------------------------------------------------------------------------

def parse_datetime(value: Any, *, where: str) -> datetime | None:
    """llmops.lib.dates.parse_iso, with a SnapshotFormatError that names `where`."""
    try:
        return parse_iso(value)
    except ValueError as exc:
        raise SnapshotFormatError(f"{where}: {exc}") from None


def _int(value: Any, *, where: str, default: int | None = None) -> int | None:
    if value is None:
        if default is None:
            raise SnapshotFormatError(f"{where}: required integer missing")
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SnapshotFormatError(f"{where}: expected a non-negative integer, got {value!r}")
    return value


def _bool(entry: dict, key: str, default: bool, *, where: str) -> bool:
    """A true/false field; the string "false" (which bool() reads as true) is an error, not a guess."""
    value = entry.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise SnapshotFormatError(f"{where}.{key}: expected true or false, got {value!r}")
    return value


def _optional_text(entry: dict, key: str, *, where: str) -> str | None:
    value = entry.get(key)
    if value is not None and not isinstance(value, str):
        raise SnapshotFormatError(f"{where}.{key}: expected a string or null, got {value!r}")
    return value


def _list(entry: dict, key: str, *, where: str) -> list:
    value = entry.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise SnapshotFormatError(f"{where}.{key}: expected a list, got {type(value).__name__} {value!r:.40}")
    return value


def _window(value: Any, *, where: str) -> int:
    hours = _int(value, where=where)
    if not 1 <= hours <= MAX_WINDOW_HOURS:
        raise SnapshotFormatError(f"{where}: expected 1 to {MAX_WINDOW_HOURS} hours, got {hours}")
    return hours


def _group(data: Any, *, where: str) -> ErrorGroup:
    if not isinstance(data, dict):
        raise SnapshotFormatError(f"{where}: expected an object")
    status = data.get("status")
    if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
        raise SnapshotFormatError(f"{where}.status: expected an integer or null, got {status!r}")
    message = data.get("message")
    if message is None:
        message = ""
    if not isinstance(message, str):
        raise SnapshotFormatError(f"{where}.message: expected a string")
    return ErrorGroup(
        status=status,
        message=message,
        count=_int(data.get("count"), where=f"{where}.count", default=1),
        first_seen_at=parse_datetime(data.get("first_seen_at"), where=f"{where}.first_seen_at"),
        last_seen_at=parse_datetime(data.get("last_seen_at"), where=f"{where}.last_seen_at"),
        streak_first_at=parse_datetime(data.get("streak_first_seen_at"), where=f"{where}.streak_first_seen_at"),
    )


def _derived_start(group: ErrorGroup, since: datetime | None) -> datetime | None:
    """A group's streak start from its grouped times (file replay, no exact data), or None."""
    if group.last_seen_at is None or not group.seen_since(since):
        return None
    first = group.first_seen_at or group.last_seen_at
    return max(first, since) if since is not None else first


def derive_group_streak_starts(snapshot: ModelSnapshot) -> None:
    """Bound each group's streak start by the last success (file replay, no exact data)."""
    for group in snapshot.errors:
        if group.streak_first_at is None:
            group.streak_first_at = _derived_start(group, snapshot.last_success_at)


def derive_streak_start(snapshot: ModelSnapshot) -> datetime | None:
    """First failure since the last success, from grouped errors (file replay)."""
    starts = [start for g in snapshot.errors if (start := _derived_start(g, snapshot.last_success_at))]
    return min(starts) if starts else None


def parse_snapshot(data: Any, *, source: str = "<data>") -> SnapshotSet:
    if not isinstance(data, dict):
        raise SnapshotFormatError(f"{source}: expected a JSON object at the top level")
    fmt = data.get("format")
    if fmt is not None and fmt != FORMAT:
        raise SnapshotFormatError(f"{source}: unsupported format {fmt!r} (expected {FORMAT!r})")
    if "as_of" not in data:
        raise SnapshotFormatError(f"{source}: missing required field 'as_of'")
    as_of = parse_datetime(data["as_of"], where=f"{source}: as_of")
    if as_of is None:
        raise SnapshotFormatError(f"{source}: 'as_of' is empty")
    # A replay writes nothing, so a future as_of is allowed; year 1 or 9999 is not a moment.
    if refusal := moment_refusal(as_of, what="as_of", writing=False):
        raise SnapshotFormatError(f"{source}: {refusal}")
    providers_raw = data.get("providers", {})
    if not isinstance(providers_raw, dict):
        raise SnapshotFormatError(f"{source}: 'providers' must be an object")
    providers = {}
    for name, ctx in providers_raw.items():
        where = f"{source}: providers.{name}"
        if not isinstance(ctx, dict):
            raise SnapshotFormatError(f"{where}: expected an object")
        rate = ctx.get("error_rate")
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise SnapshotFormatError(f"{where}.error_rate: expected a number in [0, 1], got {rate!r}")
        catalog = ctx.get("catalog")
        if catalog is not None and catalog not in CATALOG_STATES:
            raise SnapshotFormatError(f"{where}.catalog: expected one of {CATALOG_STATES}, got {catalog!r}")
        providers[name] = ProviderContext(
            provider=name,
            error_rate=float(rate),
            models=_int(ctx.get("models"), where=f"{where}.models", default=0) if "models" in ctx else None,
            models_failing=(
                _int(ctx.get("models_failing"), where=f"{where}.models_failing", default=0)
                if "models_failing" in ctx else None
            ),
            catalog=catalog,
            dominant_error_class=ctx.get("dominant_error_class"),
            models_streaking=(
                _int(ctx.get("models_streaking"), where=f"{where}.models_streaking", default=0)
                if "models_streaking" in ctx else None
            ),
            streak_error_class=ctx.get("streak_error_class"),
        )
    models_raw = data.get("models")
    if not isinstance(models_raw, list):
        raise SnapshotFormatError(f"{source}: 'models' must be a list")
    models = []
    seen: dict[tuple[str, str], int] = {}
    for index, entry in enumerate(models_raw):
        where = f"{source}: models[{index}]"
        if not isinstance(entry, dict):
            raise SnapshotFormatError(f"{where}: expected an object")
        for key in ("provider", "model_id"):
            if not isinstance(entry.get(key), str) or not entry[key]:
                raise SnapshotFormatError(f"{where}: missing or empty '{key}'")
            if any(ord(ch) < 32 or ord(ch) == 127 for ch in entry[key]):
                raise SnapshotFormatError(f"{where}.{key}: {entry[key]!r} contains control characters")
        key = (entry["provider"], entry["model_id"])
        where = f"{source}: models[{index}] ({entry['provider']}/{entry['model_id']})"
        if key in seen:
            # Two entries for one model would be two contradicting decisions about it.
            raise SnapshotFormatError(f"{where}: duplicate of models[{seen[key]}] (one entry per model)")
        seen[key] = index
        in_catalog = entry.get("in_provider_catalog")
        if in_catalog not in (True, False, None):
            raise SnapshotFormatError(f"{where}.in_provider_catalog: expected true, false or null")
        errors = _list(entry, "errors", where=where)
        warnings = _list(entry, "warnings", where=where)
        snapshot = ModelSnapshot(
            provider=entry["provider"],
            model_id=entry["model_id"],
            enabled=_bool(entry, "enabled", True, where=where),
            deprecated=_bool(entry, "deprecated", False, where=where),
            deprecation_date=_optional_text(entry, "deprecation_date", where=where),
            successor_model=_optional_text(entry, "successor_model", where=where),
            window_hours=_window(entry.get("window_hours"), where=f"{where}.window_hours"),
            runs=_int(entry.get("runs"), where=f"{where}.runs"),
            successes=_int(entry.get("successes"), where=f"{where}.successes"),
            last_success_at=parse_datetime(entry.get("last_success_at"), where=f"{where}.last_success_at"),
            errors=[_group(e, where=f"{where}.errors[{i}]") for i, e in enumerate(errors)],
            warnings=[_group(w, where=f"{where}.warnings[{i}]") for i, w in enumerate(warnings)],
            in_provider_catalog=in_catalog,
            streak_started_at=parse_datetime(entry.get("streak_started_at"), where=f"{where}.streak_started_at"),
            registered=_bool(entry, "registered", True, where=where),
        )
        if snapshot.successes > snapshot.runs:
            raise SnapshotFormatError(f"{where}: successes ({snapshot.successes}) > runs ({snapshot.runs})")
        if snapshot.streak_started_at is None:
            snapshot.streak_started_at = derive_streak_start(snapshot)
        derive_group_streak_starts(snapshot)
        models.append(snapshot)
    return SnapshotSet(as_of=as_of, providers=providers, models=models, source=source)


def load_snapshot_file(path: str | Path) -> SnapshotSet:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SnapshotFormatError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise SnapshotFormatError(f"{path}: not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotFormatError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    return parse_snapshot(data, source=str(path))


# --- export --------------------------------------------------------------------------

def _group_dict(group: ErrorGroup) -> dict:
    entry = {
        "status": group.status,
        "message": group.message,
        "count": group.count,
        "first_seen_at": iso_utc(group.first_seen_at),
        "last_seen_at": iso_utc(group.last_seen_at),
    }
    if group.streak_first_at is not None:
        entry["streak_first_seen_at"] = iso_utc(group.streak_first_at)
    return entry


def snapshot_to_dict(snapset: SnapshotSet) -> dict:
    providers = {}
    for name, ctx in sorted(snapset.providers.items()):
        entry = {"error_rate": round(ctx.error_rate, 4)}
        if ctx.models is not None:
            entry["models"] = ctx.models
        if ctx.models_failing is not None:
            entry["models_failing"] = ctx.models_failing
        if ctx.catalog is not None:
            entry["catalog"] = ctx.catalog
        if ctx.dominant_error_class:
            entry["dominant_error_class"] = ctx.dominant_error_class
        if ctx.models_streaking is not None:
            entry["models_streaking"] = ctx.models_streaking
        if ctx.streak_error_class:
            entry["streak_error_class"] = ctx.streak_error_class
        providers[name] = entry
    models = []
    for m in snapset.models:
        entry = {
            "provider": m.provider,
            "model_id": m.model_id,
            "enabled": m.enabled,
            "deprecated": m.deprecated,
            "window_hours": m.window_hours,
            "runs": m.runs,
            "successes": m.successes,
            "last_success_at": iso_utc(m.last_success_at),
            "streak_started_at": iso_utc(m.streak_started_at),
            "errors": [_group_dict(g) for g in m.errors],
            "warnings": [_group_dict(g) for g in m.warnings],
            "in_provider_catalog": m.in_provider_catalog,
        }
        if m.deprecation_date:
            entry["deprecation_date"] = m.deprecation_date
        if m.successor_model:
            entry["successor_model"] = m.successor_model
        if not m.registered:
            entry["registered"] = False
        models.append(entry)
    return {"format": FORMAT, "as_of": iso_utc(snapset.as_of), "providers": providers, "models": models}


def write_snapshot_file(snapset: SnapshotSet, path: str | Path) -> None:
    """Write atomically (temp file + rename) so a failed export never leaves half a file."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        tmp.write_text(json.dumps(snapshot_to_dict(snapset), indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
