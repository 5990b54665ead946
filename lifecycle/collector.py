"""The signal collector: what the benchmark's results and errors say about every model.

`collect_snapshots` runs a fixed number of grouped reads (lifecycle.selectors) whatever
the number of models, each reading a benchmark row once, then assembles one ModelSnapshot
per model in Python: error groups by (status, normalized message), the exact streak start,
warnings, catalog presence and the provider context. Every moment is measured from `as_of`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings

from lifecycle import selectors
from lifecycle.retirements import retirement_calendar, snapshot_retirements_apply
from lifecycle.snapshots import MAX_WINDOW_HOURS, ErrorGroup, ModelSnapshot, ProviderContext, SnapshotSet
from lifecycle.taxonomy import annotate_snapshot, dominant_class, normalize_message
from llmops.lib.dates import as_utc
from llmops.lib.text import sanitize_text
from registry.selectors import registry_states

# How far back a failure streak is followed (a provider may bill-block us for weeks).
STREAK_LOOKBACK_HOURS = 90 * 24
# Raw provider text kept as a group's sample: redacted, capped.
SAMPLE_LIMIT = 2000


@dataclass
class _Group:
    status: int | None
    normalized: str
    sample: str = ""
    sample_at: datetime | None = None
    count: int = 0
    first_seen_at: datetime | None = None
    last_seen_at: datetime | None = None
    streak_first_at: datetime | None = None

    def add(self, *, text: str, count: int, first: datetime | None, last: datetime | None) -> None:
        self.count += count
        if first is not None and (self.first_seen_at is None or first < self.first_seen_at):
            self.first_seen_at = first
        if last is not None and (self.last_seen_at is None or last > self.last_seen_at):
            self.last_seen_at = last
        # The sample is the newest raw text of the group.
        if not self.sample or (last is not None and (self.sample_at is None or last > self.sample_at)):
            self.sample, self.sample_at = text, last

    def to_error_group(self) -> ErrorGroup:
        return ErrorGroup(
            status=self.status,
            message=sanitize_text(self.sample, limit=SAMPLE_LIMIT),
            count=self.count,
            first_seen_at=self.first_seen_at,
            last_seen_at=self.last_seen_at,
            normalized=self.normalized,
            streak_first_at=self.streak_first_at,
        )


@dataclass
class _Model:
    provider: str
    model_id: str
    registered: bool = False
    enabled: bool = True
    deprecated: bool = False
    successes: int = 0
    failures: int = 0
    last_success_at: datetime | None = None
    streak_started_at: datetime | None = None
    errors: dict = field(default_factory=dict)
    warnings: dict = field(default_factory=dict)


def _earliest(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _streak_after(last_success, floor):
    """The moment a model's streak errors must be later than, or None when every error in
    [floor, as_of] counts. Models that never succeeded count from `floor` (strictly after it,
    as the correlated subquery this replaces compared with the floor in the success's place)."""
    if last_success is None:
        return floor
    return None if last_success < floor else last_success


class _Normalizer:
    """normalize_message with a per-run cache: many rows share the same raw text."""

    def __init__(self):
        self.cache: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        key = self.cache.get(text)
        if key is None:
            key = self.cache[text] = normalize_message(text)
        return key


def _warning_texts(value) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    texts = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("message") or item.get("text") or ""
        if isinstance(item, str) and item.strip():
            texts.append(item)
    return texts


def collect_snapshots(
    *,
    as_of: datetime,
    window_hours: int | None = None,
    providers=None,
    model_keys=None,
    lookback_hours: int | None = None,
    progress=None,
) -> SnapshotSet:
    """Signals for every model (registry plus any seen only in results/errors) as of `as_of`.

    `providers` limits to those providers; `model_keys` to those (provider, model_id) — but the
    provider context is always computed over the whole of each provider: one model of a provider
    whose every model fails alike is an account or endpoint problem, whatever the filter.
    `progress(step, done, total)` is called after each read. The number of queries is
    the same for 5 models and for 50,000 (one more when some model failed, recovered and fails
    again with the same text: the streak read).
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    window_hours = int(window_hours or settings.SIGNAL_WINDOW_HOURS)
    if not 0 < window_hours <= MAX_WINDOW_HOURS:
        raise ValueError(f"window_hours must be between 1 and {MAX_WINDOW_HOURS}, got {window_hours}")
    since = as_of - timedelta(hours=window_hours)
    floor = min(since, as_of - timedelta(hours=lookback_hours or STREAK_LOOKBACK_HOURS))

    keys = {tuple(k) for k in model_keys} if model_keys is not None else None
    wanted = set(providers) if providers else None
    if keys is not None:
        key_providers = {p for p, _ in keys}
        wanted = key_providers if wanted is None else wanted & key_providers
        if not wanted:
            return SnapshotSet(as_of=as_of, providers={}, models=[])

    steps = 7 + len(selectors.ERROR_TS_FIELDS)  # registry, results, errors by field, streaks, warnings, 2 catalog, retirements
    done = 0

    def step(name):
        nonlocal done
        done += 1
        if progress:
            progress(name, done, steps)

    models: dict[tuple[str, str], _Model] = {}
    normalize = _Normalizer()

    for row in registry_states(providers=wanted):
        key = (row["provider"], row["model_id"])
        models[key] = _Model(row["provider"], row["model_id"], registered=True, enabled=row["enabled"],
                             deprecated=row["deprecated"])
    step("registry")

    # Each provider's newest row in the window, from every row read (before `model_keys` narrows
    # them: silence is the runner's, not one model's); lifecycle/silence.py reads it.
    last_rows: dict[str, datetime] = {}

    def seen(provider, moment):
        moment = as_utc(moment)
        if moment is not None and moment >= since and (provider not in last_rows or moment > last_rows[provider]):
            last_rows[provider] = moment

    last_success: dict[tuple[str, str], datetime] = {}
    for row in selectors.results_by_model(since=since, as_of=as_of, providers=wanted):
        key = (row["provider"], row["model_name"])
        seen(row["provider"], row["last_success_at"])
        if row["last_success_at"] is not None:
            last_success[key] = as_utc(row["last_success_at"])
        model = models.get(key)
        if model is None:
            if not row["successes"]:
                continue  # unregistered and silent in the window: history, not a model we run
            model = models[key] = _Model(*key)
        model.successes = row["successes"]
        model.last_success_at = as_utc(row["last_success_at"])
    step("results")

    # The streak of a (model, status, raw text) group is its earliest error after the model's last
    # success, exact whatever the window (a model failing every 45 minutes for 60 hours starts its
    # streak 60 hours ago), per group (a burst of newer 429s cannot hide older 404s), for legacy
    # rows dated by created_at/timestamp alike; models that never succeeded count from `floor`.
    # It used to be a per-row `Subquery(OuterRef(...))` into the results: on MongoDB a `$lookup`
    # (let/pipeline) per error document, a scan of the results for every error (the demo's collect
    # took a minute on SecantusDB). Now each error row is read once, in one grouped read per
    # timestamp field serving the window and the streak alike, and compared in Python with the last
    # success the results read above gave per model. A group entirely after the model's last
    # success starts its streak at its first row, one entirely before has none; only a group with
    # rows on both sides (failed, recovered, fails again with the same text) needs its first row
    # after the success, which one more read asks for all such models at once.
    history = {}
    for ts_field in selectors.ERROR_TS_FIELDS:
        history[ts_field] = rows = selectors.error_history(field=ts_field, since=since, floor=floor, as_of=as_of,
                                                            providers=wanted)
        for row in rows:
            if not row["count"]:
                continue  # only before the window: the streak's business, below
            key = (row["provider"], row["model_name"])
            seen(row["provider"], row["last_seen_at"])
            model = models.get(key) or models.setdefault(key, _Model(*key))
            text = row["message"] or row["error"] or ""
            gkey = (row["http_status"], normalize(text))
            group = model.errors.get(gkey) or model.errors.setdefault(gkey, _Group(*gkey))
            group.add(text=text, count=row["count"], first=as_utc(row["first_seen_at"]),
                      last=as_utc(row["last_seen_at"]))
            model.failures += row["count"]
        step(f"errors by {ts_field}")

    streaks = []  # (row, first error after the last success)
    straddling = set()
    for ts_field, rows in history.items():
        for row in rows:
            key = (row["provider"], row["model_name"])
            if key not in models:
                continue
            after = _streak_after(last_success.get(key), floor)
            first, last = as_utc(row["streak_span_first"]), as_utc(row["streak_span_last"])
            if after is None or first > after:
                streaks.append((row, first))
            elif last > after:
                straddling.add((ts_field, *key, after))
    for row in selectors.streak_groups(after=sorted(straddling), as_of=as_of):
        streaks.append((row, as_utc(row["streak_first_at"])))
    for row, first in streaks:
        model = models[(row["provider"], row["model_name"])]
        model.streak_started_at = _earliest(model.streak_started_at, first)
        text = row["message"] or row["error"] or ""
        group = model.errors.get((row["http_status"], normalize(text)))
        if group is not None:
            # A streak that began before the window shows in the group's first_seen_at.
            group.streak_first_at = _earliest(group.streak_first_at, first)
            group.first_seen_at = _earliest(group.first_seen_at, first)
    step("streaks")

    for row in selectors.warnings_by_model(since=since, as_of=as_of, providers=wanted):
        model = models.get((row["provider"], row["model_name"]))
        if model is None:
            continue
        for text in _warning_texts(row["warnings"]):
            gkey = (None, normalize(text))
            group = model.warnings.get(gkey) or model.warnings.setdefault(gkey, _Group(*gkey))
            group.add(text=text, count=row["count"], first=as_utc(row["first_seen_at"]),
                      last=as_utc(row["last_seen_at"]))
    step("warnings")

    model_providers = {p for p, _ in models}
    syncs = selectors.catalog_latest_syncs(as_of=as_of, providers=model_providers)
    step("catalog syncs")
    catalog_state = {}
    for provider in model_providers:
        sync = syncs.get(provider)
        if sync is None:
            catalog_state[provider] = "none"
        elif sync["complete"] and sync["status"] == "complete":
            catalog_state[provider] = "complete"
        else:
            catalog_state[provider] = "partial"
    listed = set()
    for provider, model_id, last_seen_at in selectors.catalog_listed(
        providers=[p for p, state in catalog_state.items() if state != "none"]
    ):
        # Listed means listed by the latest sync, not by some older one.
        if last_seen_at is not None and as_utc(last_seen_at) >= as_utc(syncs[provider]["started_at"]):
            listed.add((provider, model_id))
    step("catalog entries")

    snapshots = []
    for key in sorted(models):
        m = models[key]
        state = catalog_state.get(m.provider, "none")
        if state == "complete":
            in_catalog = key in listed
        elif state == "partial":
            in_catalog = True if key in listed else None  # presence is evidence; absence is not
        else:
            in_catalog = None
        snapshot = ModelSnapshot(
            provider=m.provider,
            model_id=m.model_id,
            window_hours=window_hours,
            runs=m.successes + m.failures,
            successes=m.successes,
            last_success_at=m.last_success_at,
            errors=_ordered(m.errors),
            warnings=_ordered(m.warnings),
            in_provider_catalog=in_catalog,
            enabled=m.enabled,
            deprecated=m.deprecated,
            streak_started_at=m.streak_started_at,
            registered=m.registered,
        )
        annotate_snapshot(snapshot)
        snapshots.append(snapshot)

    complete = {provider: frozenset(m for p, m in listed if p == provider)
                for provider, state in catalog_state.items() if state == "complete"}
    contexts = provider_contexts(snapshots, catalog_state)
    if keys is not None:
        snapshots = [s for s in snapshots if s.key in keys]
    snapset = SnapshotSet(as_of=as_of, providers=contexts, models=snapshots, catalogs=complete,
                          runner_last_rows=last_rows)
    snapshot_retirements_apply(snapset, retirement_calendar(providers=model_providers) if model_providers else {})
    step("retirement calendar")
    return snapset


def _ordered(groups: dict) -> list[ErrorGroup]:
    # Newest first; ties by count then text, so the order is reproducible (not the database's row
    # order, which no read here fixes).
    items = sorted((g.to_error_group() for g in groups.values()), key=lambda g: (g.normalized, g.status or 0, g.message))
    items.sort(key=lambda g: (g.last_seen_at.timestamp() if g.last_seen_at else 0, g.count), reverse=True)
    return items


def provider_contexts(snapshots, catalog_state: dict | None = None) -> dict[str, ProviderContext]:
    """Each provider's failure rate, models without success, and dominant error class."""
    runs, failures, measured, failing, streaking = Counter(), Counter(), Counter(), Counter(), Counter()
    groups: dict[str, list] = {}
    current: dict[str, list] = {}
    for s in snapshots:
        runs[s.provider] += s.runs
        failures[s.provider] += s.failures
        groups.setdefault(s.provider, []).extend(s.errors)
        current.setdefault(s.provider, [])
        if s.runs:
            measured[s.provider] += 1
            if not s.successes:
                failing[s.provider] += 1
        if s.enabled and s.streak_started_at is not None:
            streaking[s.provider] += 1
            current[s.provider].extend(g for g in s.errors if g.streak_first_at is not None)
    contexts = {}
    for provider in sorted(groups):
        contexts[provider] = ProviderContext(
            provider=provider,
            error_rate=(failures[provider] / runs[provider]) if runs[provider] else 0.0,
            models=measured[provider],
            models_failing=failing[provider],
            catalog=(catalog_state or {}).get(provider),
            dominant_error_class=dominant_class(groups[provider]),
            models_streaking=streaking[provider],
            streak_error_class=dominant_class(current[provider]),
        )
    return contexts
