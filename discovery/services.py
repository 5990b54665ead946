"""Discovery writes: fetch the OpenRouter catalog, sync provider catalogs, match, add/reject.

Every function takes `as_of` (the caller's clock) and keyword-only arguments. Catalog
writes never delete: absence shows as a stale `last_seen_at`. A fetch validates the whole
response before writing anything (malformed entries are skipped and named on the run, a
structurally broken response is refused whole), so a failed or garbled fetch leaves the
stored catalog exactly as it was. Every fetch and sync run is settled — `complete`, `partial`
or `failed` with its error — whatever goes wrong, so none is ever left `running`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from datetime import timezone as dt_timezone

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone

from discovery import catalog_files, listers, llm, names, selectors
from discovery.matching import Match, Matcher, MatchResult
from discovery.models import CatalogFetchRun, MatchStatus, OpenRouterAlias, OpenRouterModel
from lifecycle.models import ProviderCatalogEntry, ProviderCatalogSync
from lifecycle.retirements import retirements_from_listing
from llmops.lib import http
from llmops.lib.llm import llm_client
from llmops.lib.text import sanitize_text
from registry.selectors import registry_keys, registry_model_ids_lower
from registry.services import Actor, ChangeError, audit_record, registry_add

logger = logging.getLogger(__name__)

MAX_ERROR_CHARS = 2000
CATALOG_FIELDS = ["canonical_slug", "hugging_face_id", "name", "org", "pricing", "context_length", "modalities",
                  "created", "last_seen_at", "raw"]
# Entries a (re)match may touch; added/rejected/known are human or registry decisions.
MATCHABLE = [MatchStatus.NEW, MatchStatus.UNMATCHED, MatchStatus.AMBIGUOUS, MatchStatus.MATCHED,
             MatchStatus.SKIPPED]
UNRESOLVED = [MatchStatus.NEW, MatchStatus.UNMATCHED, MatchStatus.AMBIGUOUS]


def _now(as_of):
    return as_of or timezone.now()


def _safe(text: str) -> str:
    """Error text (partly provider-written, untrusted) as stored on run records: redacted, capped."""
    return sanitize_text(text or "", MAX_ERROR_CHARS)


def _kept_skips(skipped: list[str]) -> list[str]:
    return [sanitize_text(entry, 300) for entry in skipped[:catalog_files.MAX_KEPT_SKIPS]]


def _settle_failed(model, pk, exc: BaseException) -> None:
    """Mark a run record failed with `exc` (an unexpected error: the caller re-raises it). Never
    raises itself: the database may be what failed, and the original error matters more."""
    try:
        model.objects.filter(pk=pk, status=model.Status.RUNNING).update(
            status=model.Status.FAILED, finished_at=timezone.now(), error=_safe(f"{type(exc).__name__}: {exc}"))
    except Exception:
        logger.exception("could not mark %s %s failed", model.__name__, pk)


# --- OpenRouter catalog ------------------------------------------------------------------

def _catalog_row_fields(item: dict) -> dict:
    arch = item.get("architecture") or {}
    created = item.get("created")
    return {
        "canonical_slug": (item.get("canonical_slug") or "")[:255],
        "hugging_face_id": (item.get("hugging_face_id") or "")[:255],
        "name": (item.get("name") or "")[:255],
        "org": item["id"].split("/", 1)[0][:128],
        "pricing": item.get("pricing") or {},
        "context_length": int(item["context_length"]) if item.get("context_length") is not None else None,
        "modalities": {"input": list(arch.get("input_modalities") or []),
                       "output": list(arch.get("output_modalities") or [])},
        "created": datetime.fromtimestamp(created, tz=dt_timezone.utc) if created else None,
        "raw": item,
    }


def openrouter_catalog_store(*, items: list[dict], as_of: datetime) -> tuple[int, int]:
    """Upsert validated entries by openrouter_id; returns (count, new). Never deletes."""
    by_id = {item["id"]: item for item in items}
    existing = {row.openrouter_id: row for row in OpenRouterModel.objects.filter(openrouter_id__in=list(by_id))}
    new_rows = []
    for oid, item in by_id.items():
        fields = _catalog_row_fields(item)
        row = existing.get(oid)
        if row is None:
            new_rows.append(OpenRouterModel(openrouter_id=oid, first_seen_at=as_of, last_seen_at=as_of, **fields))
        else:
            for key, value in fields.items():
                setattr(row, key, value)
            row.last_seen_at = as_of
    if existing:
        OpenRouterModel.objects.bulk_update(list(existing.values()), CATALOG_FIELDS, batch_size=200)
    created = 0
    if new_rows:
        try:
            OpenRouterModel.objects.bulk_create(new_rows, batch_size=200)
            created = len(new_rows)
        except IntegrityError:
            # A concurrent fetch inserted some of them first: fall back row by row.
            for row in new_rows:
                if OpenRouterModel.objects.filter(openrouter_id=row.openrouter_id).exists():
                    OpenRouterModel.objects.filter(openrouter_id=row.openrouter_id).update(last_seen_at=as_of)
                else:
                    try:
                        row.save(force_insert=True)
                        created += 1
                    except IntegrityError:
                        # Inserted by the concurrent fetch meanwhile; anything else is a real error.
                        if not OpenRouterModel.objects.filter(openrouter_id=row.openrouter_id).exists():
                            raise
    return len(by_id), created


def openrouter_aliases_store(*, aliases: list[dict], as_of: datetime) -> int:
    """Upsert router aliases by alias_id with what they route to now; returns how many are new."""
    existing = {row.alias_id: row for row in OpenRouterAlias.objects.filter(
        alias_id__in=[a["alias_id"] for a in aliases])}
    new_rows = []
    for alias in aliases:
        fields = {"target_id": alias["target_id"], "target_name": alias["target_name"], "name": alias["name"],
                  "raw": alias["raw"], "last_seen_at": as_of}
        row = existing.get(alias["alias_id"])
        if row is None:
            new_rows.append(OpenRouterAlias(alias_id=alias["alias_id"], first_seen_at=as_of, **fields))
        else:
            for key, value in fields.items():
                setattr(row, key, value)
    if existing:
        OpenRouterAlias.objects.bulk_update(list(existing.values()), ["target_id", "target_name", "name", "raw",
                                                                      "last_seen_at"], batch_size=200)
    for row in new_rows:
        try:
            row.save(force_insert=True)
        except IntegrityError:
            # A concurrent fetch stored it first; anything else is a real error.
            if not OpenRouterAlias.objects.filter(alias_id=row.alias_id).update(last_seen_at=as_of):
                raise
    return len(new_rows)


def openrouter_fetch(*, as_of: datetime | None = None, file: str | None = None, url: str | None = None,
                     http_options: dict | None = None) -> CatalogFetchRun:
    """Fetch (or load) the catalog, validate each entry, then upsert; one run record either way.

    A bad document (HTTP error, not JSON, not UTF-8, no valid entry) gives a failed run and
    writes nothing else; any other error marks the run failed too, then propagates.
    """
    as_of = _now(as_of)
    url = url or settings.OPENROUTER_MODELS_URL
    run = CatalogFetchRun.objects.create(source=f"file:{file}" if file else http.redact_url(url),
                                         started_at=as_of, status=CatalogFetchRun.Status.RUNNING)
    try:
        if file:
            read = catalog_files.openrouter_catalog_load(file)
        else:
            headers = {"Authorization": f"Bearer {settings.OPENROUTER_API_KEY}"} if settings.OPENROUTER_API_KEY else {}
            read = catalog_files.openrouter_catalog_validate(
                http.http_get_json(url, headers=headers, **(http_options or {})))
        count, new = openrouter_catalog_store(items=read.entries, as_of=as_of)
        openrouter_aliases_store(aliases=read.aliases, as_of=as_of)
        # OpenRouter's `expiration_date`s go to the retirement calendar (as provider "openrouter").
        retirements_from_listing(provider="openrouter", entries=[(item["id"], item) for item in read.entries],
                                 as_of=as_of, complete=not read.skipped)
    except (http.HttpError, catalog_files.CatalogInvalid) as exc:
        skipped = exc.errors if isinstance(exc, catalog_files.CatalogInvalid) else []
        CatalogFetchRun.objects.filter(pk=run.pk).update(
            status=CatalogFetchRun.Status.FAILED, finished_at=timezone.now(), error=_safe(str(exc)),
            skipped=len(skipped), skipped_entries=_kept_skips(skipped))
        run.refresh_from_db()
        logger.warning("OpenRouter fetch failed: %s", run.error)
        return run
    except BaseException as exc:
        _settle_failed(CatalogFetchRun, run.pk, exc)
        raise
    CatalogFetchRun.objects.filter(pk=run.pk).update(
        status=CatalogFetchRun.Status.COMPLETE, finished_at=timezone.now(), count=count, new=new,
        aliases=len(read.aliases), skipped=len(read.skipped), skipped_entries=_kept_skips(read.skipped))
    run.refresh_from_db()
    if read.skipped:
        logger.warning("OpenRouter fetch skipped %d malformed entries: %s", len(read.skipped),
                       "; ".join(read.skipped[:5]))
    return run


# --- provider catalogs -----------------------------------------------------------------------

@dataclass
class SyncReport:
    syncs: list[ProviderCatalogSync] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # provider -> why (no key, no SDK)

    @property
    def failed(self) -> list[ProviderCatalogSync]:
        return [s for s in self.syncs if s.status == ProviderCatalogSync.Status.FAILED]


def provider_catalog_store(*, provider: str, listing: listers.Listing, as_of: datetime, source: str
                           ) -> ProviderCatalogSync:
    """Record one provider's listing: upsert IDs (never delete) and the sync's status (failed, with
    the error, if anything goes wrong while storing; the error then propagates)."""
    sync = ProviderCatalogSync.objects.create(provider=provider, source=source[:255], started_at=as_of,
                                              status=ProviderCatalogSync.Status.RUNNING)
    try:
        return _listing_store(sync, listing=listing, as_of=as_of)
    except BaseException as exc:
        _settle_failed(ProviderCatalogSync, sync.pk, exc)
        raise


def _listing_store(sync: ProviderCatalogSync, *, listing: listers.Listing, as_of: datetime) -> ProviderCatalogSync:
    provider = sync.provider
    listed = {m["model_id"]: m for m in listing.models}
    existing = dict(ProviderCatalogEntry.objects.filter(provider=provider).values_list("model_id", "name"))
    new_rows = [ProviderCatalogEntry(provider=provider, model_id=mid, name=(m.get("name") or "")[:255],
                                     first_seen_at=as_of, last_seen_at=as_of, raw=m.get("raw") or {})
                for mid, m in listed.items() if mid not in existing]
    seen = [mid for mid in listed if mid in existing]
    if new_rows:
        ProviderCatalogEntry.objects.bulk_create(new_rows, batch_size=500)
    if seen:
        ProviderCatalogEntry.objects.filter(provider=provider, model_id__in=seen).update(last_seen_at=as_of)
        for mid in seen:
            label = (listed[mid].get("name") or "")[:255]
            if label and label != existing[mid]:
                ProviderCatalogEntry.objects.filter(provider=provider, model_id=mid).update(name=label)
    complete = listing.complete and not listing.skipped
    # Dates the listing announces (Mistral's `deprecation`) go to the retirement calendar.
    retirements_from_listing(provider=provider, entries=[(mid, m.get("raw") or {}) for mid, m in listed.items()],
                             as_of=as_of, complete=complete)
    status = ProviderCatalogSync.Status.COMPLETE if complete else ProviderCatalogSync.Status.PARTIAL
    error = listing.error
    if listing.skipped:
        error = "; ".join(filter(None, [error, f"{len(listing.skipped)} malformed entries skipped, so absence "
                                               "from this listing proves nothing"]))
    ProviderCatalogSync.objects.filter(pk=sync.pk).update(
        status=status, complete=complete, finished_at=timezone.now(), pages=listing.pages,
        count=len(listed), new=len(new_rows), error=_safe(error), skipped=len(listing.skipped),
        skipped_entries=_kept_skips(listing.skipped))
    sync.refresh_from_db()
    return sync


def provider_catalogs_sync(*, as_of: datetime | None = None, providers: list[str] | None = None,
                           file: str | None = None, http_options: dict | None = None) -> SyncReport:
    """List each configured provider (or load a llmops-provider-catalogs/1 file) and store it."""
    as_of = _now(as_of)
    report = SyncReport()
    if file:
        document = catalog_files.provider_catalogs_load(file)
        for name, body in sorted(document.providers.items()):
            if providers and name not in providers:
                continue
            listing = listers.Listing(provider=name, complete=body["complete"], pages=1,
                                      models=[{"model_id": m["model_id"], "name": m["name"]} for m in body["models"]],
                                      skipped=body["skipped"],
                                      error="" if body["complete"] or body["skipped"] else "file marks this listing partial")
            report.syncs.append(provider_catalog_store(provider=name, listing=listing, as_of=as_of,
                                                       source=f"file:{file}"))
        return report
    for name in providers or sorted(listers.LISTERS):
        try:
            lister = listers.lister_for(name, **({"http_options": http_options} if http_options else {}))
        except listers.ListerNotConfigured as exc:
            report.skipped[name] = str(exc)
            continue
        try:
            listing = lister.list_models()
        except listers.ListingFailed as exc:
            report.syncs.append(ProviderCatalogSync.objects.create(
                provider=name, source="api", started_at=as_of, finished_at=timezone.now(),
                status=ProviderCatalogSync.Status.FAILED, error=_safe(str(exc))))
            continue
        report.syncs.append(provider_catalog_store(provider=name, listing=listing, as_of=as_of, source="api"))
    return report


# --- matching ------------------------------------------------------------------------------

@dataclass
class MatchReport:
    considered: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    llm_calls: int = 0
    llm_picks: int = 0
    llm_discarded: list[dict] = field(default_factory=list)
    probes: int = 0
    errors: list[str] = field(default_factory=list)
    results: list[MatchResult] = field(default_factory=list)


def llm_resolve_ambiguous(*, results: dict[str, MatchResult], entries: dict, client, catalogs,
                          settled=()) -> llm.LlmOutcome:
    """Let the LLM choose among the candidates the rules left for each ambiguous result, and add
    its picks to the results as matches (the stored match and the offline replay both use this).

    `entries` maps an OpenRouter ID to what describes it (anything with `name` and
    `hugging_face_id`); results whose ID is in `settled` are left alone.
    """
    ambiguous = [llm.Ambiguous(oid, entries[oid].name, entries[oid].hugging_face_id, r.candidates)
                 for oid, r in results.items() if oid not in settled and not r.skipped and r.candidates]
    if not ambiguous:
        return llm.LlmOutcome()
    outcome = llm.llm_choose(items=ambiguous, client=client)
    _picks_apply(results, outcome, catalogs)
    return outcome


def _picks_apply(results: dict[str, MatchResult], outcome: llm.LlmOutcome, catalogs) -> None:
    for pick in outcome.picks:
        result = results.get(pick.openrouter_id)
        if result is None or any(m.provider == pick.provider for m in result.matches):
            continue
        catalog = catalogs.get(pick.provider)
        verified = catalog.is_verified(pick.model_id) if catalog else pick.method == "llm-probe"
        result.matches.append(Match(provider=pick.provider, model_id=pick.model_id, confidence=pick.confidence,
                                    method=pick.method, verified=verified, reasoning=pick.reasoning))
        result.candidates.pop(pick.provider, None)


def _drop_registered(results: dict[str, MatchResult], settled: dict[str, str],
                     registered: set[tuple[str, str]]) -> None:
    """A provider ID we already benchmark is not a new model: drop it from the matches, and
    an entry whose every match is registered is `known` (registry IDs compare case-insensitively)."""
    registered_lower = {(provider, model_id.lower()) for provider, model_id in registered}
    for oid, result in results.items():
        if oid in settled or not result.matches:
            continue
        fresh = [m for m in result.matches if (m.provider, m.model_id.lower()) not in registered_lower]
        if not fresh:
            settled[oid] = MatchStatus.KNOWN
        result.matches = fresh


def catalog_match(*, as_of: datetime | None = None, use_llm: bool = True, rematch: bool = False,
                  dry_run: bool = False, entry_ids: list[str] | None = None, client=None,
                  prober=None, probe_providers: list[str] | None = None, progress=None) -> MatchReport:
    """Match stored OpenRouter entries to stored provider catalogs and write the match fields.

    Deterministic rules first; the LLM (if configured and `use_llm`) only sees what stayed
    ambiguous and may only choose real catalog IDs; providers configured with a key but
    without any stored listing go through the guess-and-probe loop.
    """
    as_of = _now(as_of)
    report = MatchReport()
    rows = OpenRouterModel.objects.filter(match_status__in=MATCHABLE if rematch else UNRESOLVED)
    if entry_ids:
        rows = OpenRouterModel.objects.filter(pk__in=list(entry_ids), match_status__in=MATCHABLE)
    rows = list(rows.order_by("openrouter_id"))
    catalogs = selectors.provider_catalogs_current()
    matcher = Matcher(catalogs)
    known = registry_model_ids_lower()
    results: dict[str, MatchResult] = {}
    # Entries whose status is decided before (or instead of) matching: already in the registry.
    settled: dict[str, str] = {}
    for row in rows:
        variant_free = names.strip_variant(row.openrouter_id).lower()
        if row.openrouter_id.lower() in known or variant_free in known:
            settled[row.openrouter_id] = MatchStatus.KNOWN
            results[row.openrouter_id] = MatchResult(openrouter_id=row.openrouter_id)
        else:
            results[row.openrouter_id] = matcher.match(selectors.openrouter_entry_to_catalog_entry(row), as_of=as_of)
        if progress:
            progress(1)
    report.considered = len(rows)

    client = client if client is not None else (llm_client() if use_llm else None)
    if use_llm and client is not None:
        by_id = {row.openrouter_id: row for row in rows}
        outcome = llm_resolve_ambiguous(results=results, entries=by_id, client=client, catalogs=catalogs,
                                        settled=settled)
        report.llm_calls += outcome.calls
        report.llm_picks += len(outcome.picks)
        report.llm_discarded += outcome.discarded
        report.errors += outcome.errors
        if probe_providers is None:
            # OpenRouter is the catalog being matched, not a provider to guess IDs for.
            probe_providers = [p for p, cfg in settings.PROVIDERS.items()
                               if cfg.get("api_key") and p not in catalogs and p != "openrouter"]
        guesses = [llm.GuessItem(oid, by_id[oid].name, by_id[oid].hugging_face_id, provider)
                   for oid, r in results.items() if oid not in settled and not r.skipped
                   for provider in probe_providers]
        if guesses:
            outcome = llm.llm_guess_and_probe(items=guesses, client=client, prober=prober or llm.probe_ask)
            _picks_apply(results, outcome, catalogs)
            report.llm_calls += outcome.calls
            report.llm_picks += len(outcome.picks)
            report.probes += outcome.probes
            report.llm_discarded += outcome.discarded
            report.errors += outcome.errors

    _drop_registered(results, settled, registry_keys())
    for row in rows:
        result = results[row.openrouter_id]
        status = settled.get(row.openrouter_id) or result.status
        report.counts[status] = report.counts.get(status, 0) + 1
        report.results.append(result)
        if dry_run:
            continue
        best = result.best
        reasoning = best.reasoning if best else (
            f"candidates for the LLM: {result.candidates}" if result.candidates else "")
        OpenRouterModel.objects.filter(pk=row.pk, match_status__in=MATCHABLE).update(
            match_status=status,
            matched_provider=best.provider if best else "",
            matched_model_id=best.model_id if best else "",
            match_confidence=best.confidence if best else None,
            match_method=best.method if best else "",
            match_reasoning=reasoning[:4000],
            matches=[{**m.as_dict(), "reasoning": m.reasoning[:500]} for m in result.matches],
            candidates={provider: list(ids) for provider, ids in sorted(result.candidates.items())},
            skip_reason=result.skipped or "",
            verified_at=as_of if best and best.verified else None,
            matched_at=as_of,
        )
    return report


# --- human decisions (admin actions, add_matched_models) ---------------------------------------

@dataclass
class AddOutcome:
    entry_id: str
    openrouter_id: str
    provider: str = ""
    model_id: str = ""
    audit: object = None
    error: str = ""
    code: str = ""  # ChangeError.code of the refusal, when there is one

    @property
    def added(self) -> bool:
        return self.audit is not None and not self.error


def openrouter_add_matched(*, entry_ids, actor: Actor) -> list[AddOutcome]:
    """Add each matched entry's provider IDs to the registry as DISABLED candidates.

    The entry is claimed first (matched → added, conditional), so two admins adding the
    same entry add it once; each registry row goes through registry.services.registry_add,
    which writes the audit record. Discovery never enables anything.
    """
    outcomes: list[AddOutcome] = []
    for row in OpenRouterModel.objects.filter(pk__in=list(entry_ids)).order_by("openrouter_id"):
        if refusal := row.add_refusal():
            outcomes.append(AddOutcome(row.pk, row.openrouter_id, error=refusal))
            continue
        claimed = OpenRouterModel.objects.filter(pk=row.pk, match_status=MatchStatus.MATCHED).update(
            match_status=MatchStatus.ADDED)
        if claimed != 1:
            outcomes.append(AddOutcome(row.pk, row.openrouter_id, error="already handled by someone else"))
            continue
        entry_outcomes = []
        for match in row.matches:
            outcome = AddOutcome(row.pk, row.openrouter_id, match.get("provider", ""), match.get("model_id", ""))
            try:
                outcome.audit = registry_add(
                    provider=outcome.provider, model_id=outcome.model_id,
                    reason=f"discovered on OpenRouter as {row.openrouter_id}", actor=actor,
                    display_name=row.name,
                    provenance={"openrouter_id": row.openrouter_id, "method": match.get("method", ""),
                                "confidence": match.get("confidence")},
                )
            except ChangeError as exc:
                outcome.error, outcome.code = str(exc), exc.code
            entry_outcomes.append(outcome)
        outcomes += entry_outcomes
        if not any(o.added or o.code == ChangeError.ALREADY for o in entry_outcomes):
            # Nothing could be added and nothing was there already: give the entry back.
            OpenRouterModel.objects.filter(pk=row.pk, match_status=MatchStatus.ADDED).update(
                match_status=MatchStatus.MATCHED)
    return outcomes


def openrouter_add_pick(*, entry_id, provider: str, model_id: str, actor: Actor) -> AddOutcome:
    """A human's pick among an ambiguous (or matched) entry's candidates: add that one provider ID
    as a DISABLED candidate, like openrouter_add_matched (claimed first, audited by registry_add).
    Only an ID the matcher offered can be picked; a failed add gives the entry back."""
    row = OpenRouterModel.objects.filter(pk=entry_id).first()
    if row is None:
        return AddOutcome(str(entry_id), "", provider, model_id, error="not in the OpenRouter catalog")
    outcome = AddOutcome(row.pk, row.openrouter_id, provider, model_id)
    if refusal := row.pick_refusal(provider, model_id):
        outcome.error = refusal
        return outcome
    before = row.match_status
    if OpenRouterModel.objects.filter(pk=row.pk, match_status=before).update(match_status=MatchStatus.ADDED) != 1:
        outcome.error = "already handled by someone else"
        return outcome
    try:
        outcome.audit = registry_add(
            provider=provider, model_id=model_id, actor=actor, display_name=row.name,
            reason=f"discovered on OpenRouter as {row.openrouter_id}, picked among its candidates",
            provenance={"openrouter_id": row.openrouter_id, "method": "human-pick", "confidence": None},
        )
    except ChangeError as exc:
        outcome.error, outcome.code = str(exc), exc.code
        if exc.code != ChangeError.ALREADY:
            OpenRouterModel.objects.filter(pk=row.pk, match_status=MatchStatus.ADDED).update(match_status=before)
            return outcome
    OpenRouterModel.objects.filter(pk=row.pk).update(matched_provider=provider, matched_model_id=model_id,
                                                     match_method="human-pick")
    return outcome


def openrouter_reject_match(*, entry_ids, actor: Actor, reason) -> int:
    """Mark entries' matches rejected (audited); returns how many changed."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a reason is required to reject a match")
    changed = 0
    for row in OpenRouterModel.objects.filter(pk__in=list(entry_ids)):
        if OpenRouterModel.objects.filter(pk=row.pk, match_status__in=UNRESOLVED + [MatchStatus.MATCHED]).update(
                match_status=MatchStatus.REJECTED) != 1:
            continue
        changed += 1
        audit_record(action="reject_match", actor=actor, reason=reason, provider=row.matched_provider,
                     model_id=row.matched_model_id,
                     before={"openrouter_id": row.openrouter_id, "match_status": row.match_status},
                     after={"openrouter_id": row.openrouter_id, "match_status": MatchStatus.REJECTED})
    return changed
