"""The retirement calendar: the dates models stop being served, as far as anything we read says so.

Three sources, each kept as its own row (ModelRetirement, one per model and source):
- `warning`: the deprecation notices the benchmark runner stores with successful results
  ("… will reach end-of-life on February 19th, 2027"), recorded by every collection that writes
  (signals_collect, a writing operator pass) so the date outlives the signal window;
- `listing`: provider listings that carry one (Mistral's `deprecation` with
  `deprecation_replacement_model`, OpenRouter's `expiration_date`), recorded by the catalog syncs;
- `admin`: a date a human sets in the admin (audited).

One date per model is used (`retirement_calendar`): a human's first, then a listing's, then a
warning's. The collector puts it on the model's snapshot (`deprecation_date`, `successor_model`),
so the classifier and the policy read it from the evidence like everything else: past its date, a
model returning hard model errors is hard evidence at once. Provider text is untrusted: notes are
redacted and capped, and a successor named in a warning is kept only when the provider's complete
catalog lists it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from django.utils import timezone as dj_timezone

from lifecycle.models import ModelProbe, ModelRetirement, ProviderCatalogEntry
from lifecycle.selectors import catalog_latest_syncs
from lifecycle.snapshots import ModelSnapshot, SnapshotSet
from llmops.lib.dates import parse_iso
from llmops.lib.text import sanitize_text
from registry.models import RegisteredModel
from registry.services import Actor, ChangeError, audit_record
from registry.vocabulary import ErrorClass

NOTE_LIMIT = 500
# What a successor may be called in provider text: "please use X instead", "migrate to X", "replaced by X",
# "successor: X", "in favour of X". Untrusted: a name is only a candidate until a catalog lists it.
NAMED_SUCCESSOR = re.compile(
    r"(?:please use|use|switch to|migrate to|upgrade to|replaced (?:by|with)|successor(?: model)?(?: is)?|"
    r"recommended replacement(?: is)?|in favou?r of)\s*[:\-]?\s*[`'\"“‘]?"
    r"(?P<id>[A-Za-z0-9][\w.\-:/@]{1,150}[A-Za-z0-9])",
    re.IGNORECASE,
)
# "end-of-life on February 19th, 2027", "deprecated … 2025-06-10", "will be retired on Jan 5, 2026"
EOL_DATE = re.compile(
    r"(?:end[- ]of[- ]life|retire\w*|deprecat\w*|sunset|shut ?down)\D{0,40}?"
    r"((?:\w+ \d{1,2}(?:st|nd|rd|th)?,? \d{4})|\d{4}-\d{2}-\d{2})",
    re.I,
)
_WORDY_DATE = re.compile(r"^\s*([A-Za-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})\s*$")
_MONTHS = {name: i for i, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], start=1) for name in names}
# Keys of a listing entry that carry a retirement date, and its successor.
LISTING_DATE_KEYS = ("deprecation", "deprecation_date", "expiration_date")
LISTING_SUCCESSOR_KEYS = ("deprecation_replacement_model",)
# Which source's date is used when several know one.
SOURCE_RANK = {ModelRetirement.Source.ADMIN: 0, ModelRetirement.Source.LISTING: 1, ModelRetirement.Source.WARNING: 2}


def successors_named(texts) -> list[str]:
    """Model IDs the texts name as a successor, in order, once each (candidates, not facts)."""
    found = []
    for text in texts:
        for match in NAMED_SUCCESSOR.finditer(text or ""):
            candidate = match.group("id").rstrip(".,;:)")
            if candidate not in found:
                found.append(candidate)
    return found


def retirement_date_parse(value) -> date | None:
    """A date from ISO text (a date or a timestamp) or "February 19th, 2027" / "Feb 19, 2027"; None when
    the value is none of these (or not a real date)."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        parsed = parse_iso(text)
        return parsed.date() if parsed else None
    except ValueError:
        pass
    match = _WORDY_DATE.match(text)
    month = _MONTHS.get(match.group(1).lower()) if match else None
    if month is None:
        return None
    try:
        return date(int(match.group(3)), month, int(match.group(2)))
    except ValueError:
        return None


def warning_retirement_date(text: str) -> date | None:
    """The end-of-life date a deprecation notice announces, if it names one."""
    match = EOL_DATE.search(text or "")
    return retirement_date_parse(match.group(1)) if match else None


def day_start(day: date) -> datetime:
    """The first moment (UTC) of an announced day: a model retires when that day begins."""
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


# --- the calendar ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Retirement:
    """A model's retirement date as the calendar uses it, with the source it came from."""

    provider: str
    model_id: str
    retires_on: date
    source: str
    successor: str = ""
    note: str = ""
    # Every source that knows a date for the model, as "source: YYYY-MM-DD".
    sources: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.provider, self.model_id)


def _effective(rows) -> dict[tuple[str, str], Retirement]:
    by_key: dict[tuple[str, str], list[ModelRetirement]] = {}
    for row in rows:
        by_key.setdefault((row.provider, row.model_id), []).append(row)
    calendar = {}
    for key, found in by_key.items():
        found.sort(key=lambda r: (SOURCE_RANK.get(r.source, 9), r.retires_on))
        best = found[0]
        successor = best.successor or next((r.successor for r in found if r.successor), "")
        calendar[key] = Retirement(best.provider, best.model_id, best.retires_on, best.source, successor, best.note,
                                   tuple(f"{r.source}: {r.retires_on:%Y-%m-%d}" for r in found))
    return calendar


def retirement_calendar(*, providers=None, keys=None, between: tuple[date, date] | None = None
                        ) -> dict[tuple[str, str], Retirement]:
    """The date used for each model that has one (one read)."""
    qs = ModelRetirement.objects.all()
    if providers:
        qs = qs.filter(provider__in=sorted(providers))
    if keys:
        wanted = {tuple(k) for k in keys}
        qs = qs.filter(provider__in=sorted({p for p, _ in wanted}), model_id__in=sorted({m for _, m in wanted}))
    if between:
        qs = qs.filter(retires_on__gte=between[0], retires_on__lte=between[1])
    calendar = _effective(qs.order_by())
    if keys:
        calendar = {k: v for k, v in calendar.items() if k in wanted}
    return calendar


def snapshot_retirements_apply(snapset: SnapshotSet, calendar: dict) -> None:
    """Put each model's known retirement on its snapshot: the calendar's date, else the one its own
    deprecation warnings announce (a file replay keeps what the file says)."""
    for snapshot in snapset.models:
        known = calendar.get(snapshot.key)
        if known is not None:
            snapshot.deprecation_date = known.retires_on.isoformat()
            snapshot.successor_model = snapshot.successor_model or known.successor or None
            continue
        if snapshot.deprecation_date:
            continue
        for group in snapshot.warnings:
            if day := warning_retirement_date(group.message):
                snapshot.deprecation_date = day.isoformat()
                break


def retirement_passed(snapshot: ModelSnapshot, as_of: datetime) -> datetime | None:
    """When the model's announced retirement began, if it has begun and the model has returned hard model
    errors since (the streak's hard_model groups seen that day or later); else None."""
    day = retirement_date_parse(snapshot.deprecation_date)
    if day is None or as_of < day_start(day):
        return None
    start = day_start(day)
    hard = [g for g in snapshot.streak_groups() if g.error_class == ErrorClass.HARD_MODEL]
    if any(g.last_seen_at is not None and g.last_seen_at >= start for g in hard):
        return start
    return None


# --- writes ------------------------------------------------------------------------------------------

def retirements_store(*, source: str, entries: list[dict], as_of: datetime, set_by: str = "") -> int:
    """Upsert one source's dates: entries of {provider, model_id, retires_on, successor, note}. Returns
    the rows created or changed (an unchanged date writes nothing). Three statements at most."""
    if not entries:
        return 0
    by_key = {(e["provider"], e["model_id"]): e for e in entries}
    existing = {(r.provider, r.model_id): r for r in ModelRetirement.objects.filter(
        source=source, provider__in=sorted({p for p, _ in by_key}), model_id__in=sorted({m for _, m in by_key}))}
    new, changed = [], []
    for key, entry in by_key.items():
        fields = {"retires_on": entry["retires_on"], "successor": (entry.get("successor") or "")[:255],
                  "note": sanitize_text(entry.get("note") or "", NOTE_LIMIT)}
        row = existing.get(key)
        if row is None:
            new.append(ModelRetirement(provider=key[0], model_id=key[1], source=source, set_by=set_by,
                                       recorded_at=as_of, updated_at=as_of, **fields))
        elif any(getattr(row, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(row, k, v)
            row.updated_at, row.set_by = as_of, set_by or row.set_by
            changed.append(row)
    if new:
        ModelRetirement.objects.bulk_create(new)
    if changed:
        ModelRetirement.objects.bulk_update(changed, ["retires_on", "successor", "note", "updated_at", "set_by"])
    return len(new) + len(changed)


def retirements_from_warnings(*, snapset: SnapshotSet, as_of: datetime) -> int:
    """Record the end-of-life dates the models' deprecation warnings announce (source `warning`)."""
    entries = []
    for snapshot in snapset.models:
        for group in snapshot.warnings:
            day = warning_retirement_date(group.message)
            if day is None:
                continue
            catalog = snapset.catalogs.get(snapshot.provider) or frozenset()
            named = [c for c in successors_named([group.message]) if c in catalog and c != snapshot.model_id]
            entries.append({"provider": snapshot.provider, "model_id": snapshot.model_id, "retires_on": day,
                            "successor": named[0] if named else "", "note": group.message})
            break
    return retirements_store(source=ModelRetirement.Source.WARNING, entries=entries, as_of=as_of)


def listing_retirement(raw) -> tuple[date | None, str]:
    """(retirement date, successor) a provider listing entry carries, if any."""
    if not isinstance(raw, dict):
        return None, ""
    day = next((d for key in LISTING_DATE_KEYS if (d := retirement_date_parse(raw.get(key)))), None)
    successor = next((raw[key] for key in LISTING_SUCCESSOR_KEYS if isinstance(raw.get(key), str)), "")
    return day, successor.strip()[:255]


def retirements_from_listing(*, provider: str, entries, as_of: datetime, complete: bool) -> int:
    """Record the dates a provider listing carries (source `listing`); `entries` are (model_id, raw entry).
    A model the listing still lists without a date no longer has one from it (a complete listing only:
    a partial one may have cut the field)."""
    found, undated = [], []
    for model_id, raw in entries:
        if not raw:
            continue  # a saved listing without the provider's entry (a file): it says nothing either way
        day, successor = listing_retirement(raw)
        if day is None:
            undated.append(model_id)
            continue
        keys = [k for k in LISTING_DATE_KEYS if raw.get(k)] + [k for k in LISTING_SUCCESSOR_KEYS if raw.get(k)]
        note = "; ".join(f"{k}: {raw[k]}" for k in keys)
        found.append({"provider": provider, "model_id": model_id, "retires_on": day, "successor": successor,
                      "note": note})
    written = retirements_store(source=ModelRetirement.Source.LISTING, entries=found, as_of=as_of)
    if complete and undated:
        undated = set(undated)
        stale = [pk for pk, model_id in ModelRetirement.objects.filter(
            source=ModelRetirement.Source.LISTING, provider=provider).values_list("pk", "model_id")
            if model_id in undated]
        if stale:
            ModelRetirement.objects.filter(pk__in=stale).delete()
    return written


def retirement_set(*, provider: str, model_id: str, retires_on: date, actor: Actor, successor: str = "",
                   note: str = "") -> ModelRetirement:
    """A human's retirement date for a registry model (source `admin`), audited first."""
    provider, model_id, successor = (provider or "").strip(), (model_id or "").strip(), (successor or "").strip()
    if not RegisteredModel.objects.filter(provider=provider, model_id=model_id).exists():
        raise ChangeError(f"{provider}/{model_id} is not in the registry", code=ChangeError.NOT_FOUND)
    if not isinstance(retires_on, date):
        raise ChangeError("a retirement date is required")
    before = ModelRetirement.objects.filter(provider=provider, model_id=model_id,
                                            source=ModelRetirement.Source.ADMIN).first()
    image = (lambda r: {"retires_on": r.retires_on.isoformat(), "successor": r.successor} if r else None)
    audit_record(action="set_retirement", actor=actor, reason=note, provider=provider, model_id=model_id,
                 before=image(before), after={"retires_on": retires_on.isoformat(), "successor": successor})
    now = dj_timezone.now()
    retirements_store(source=ModelRetirement.Source.ADMIN, set_by=actor.name, as_of=now, entries=[
        {"provider": provider, "model_id": model_id, "retires_on": retires_on, "successor": successor, "note": note}])
    return ModelRetirement.objects.get(provider=provider, model_id=model_id, source=ModelRetirement.Source.ADMIN)


# --- the report's view -------------------------------------------------------------------------------

SOON_DAYS = 30
WARN_AT_DAYS = (30, 7, 0)


@dataclass
class RetiringModel:
    retirement: Retirement
    days_left: int
    enabled: bool
    successor_listed: bool  # the successor is in the provider's latest complete catalog
    successor_registered: bool
    # "retires in 30 days" / "in 7 days" / "today" when the report's period crossed that mark.
    warning: str = ""
    # Past its date: the latest retirement probe of it (lifecycle.probes), if one was made.
    probe: ModelProbe | None = None


def retiring_soon(*, as_of: datetime, since: datetime, days: int = SOON_DAYS) -> list[RetiringModel]:
    """Registry models with a known date within `days` of `as_of` (and enabled ones whose date passed up
    to `days` ago), nearest first; a warning on those whose 30-, 7- or 0-day mark fell in (since, as_of].
    Five reads at most whatever the fleet."""
    today = as_of.date()
    calendar = retirement_calendar(between=(today - timedelta(days=days), today + timedelta(days=days)))
    if not calendar:
        return []
    successors = {(r.provider, r.successor) for r in calendar.values() if r.successor}
    keys = set(calendar) | successors
    registry = {(row["provider"], row["model_id"]): row["enabled"] for row in RegisteredModel.objects.filter(
        provider__in=sorted({p for p, _ in keys}), model_id__in=sorted({m for _, m in keys})).values(
        "provider", "model_id", "enabled")}
    listed = _listed_by_complete_catalogs(successors, as_of=as_of)
    out = []
    for key, retirement in calendar.items():
        if key not in registry:
            continue
        left = (retirement.retires_on - today).days
        if left < 0 and not registry[key]:
            continue  # past its date and already disabled: nothing left to do
        crossed = [mark for mark in WARN_AT_DAYS if since < day_start(retirement.retires_on - timedelta(days=mark))
                   <= as_of]
        warning = ""
        if crossed:
            warning = "retires today" if crossed[-1] == 0 else f"retires in {crossed[-1]} days"
        succ = (retirement.provider, retirement.successor)
        out.append(RetiringModel(retirement, left, registry[key], succ in listed, succ in registry, warning))
    out.sort(key=lambda r: (r.retirement.retires_on, r.retirement.provider, r.retirement.model_id))
    past = {r.retirement.key: r for r in out if r.days_left <= 0}
    if past:
        probes = ModelProbe.objects.filter(purpose=ModelProbe.Purpose.RETIREMENT, at__lte=as_of,
                                           at__gte=as_of - timedelta(days=days),
                                           provider__in=sorted({p for p, _ in past}),
                                           model_id__in=sorted({m for _, m in past}))
        for probe in probes.order_by("at"):
            if (found := past.get((probe.provider, probe.model_id))) is not None:
                found.probe = probe
    return out


def _listed_by_complete_catalogs(keys, *, as_of: datetime) -> set[tuple[str, str]]:
    """Which (provider, model_id) the provider's latest sync, a complete one, lists (two reads)."""
    if not keys:
        return set()
    syncs = catalog_latest_syncs(as_of=as_of, providers={p for p, _ in keys})
    complete = {p: s["started_at"] for p, s in syncs.items() if s["complete"] and s["status"] == "complete"}
    if not complete:
        return set()
    rows = ProviderCatalogEntry.objects.filter(provider__in=sorted(complete),
                                               model_id__in=sorted({m for p, m in keys if p in complete}))
    return {(p, m) for p, m, seen in rows.values_list("provider", "model_id", "last_seen_at")
            if (p, m) in keys and seen >= complete[p]}
