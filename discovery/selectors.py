"""Reads for discovery: stored provider catalogs as matcher input, the new-models report."""

from __future__ import annotations

from django.db.models import Count

from discovery.matching import CatalogEntry, ProviderCatalog
from discovery.models import CatalogFetchRun, MatchStatus, OpenRouterAlias, OpenRouterModel
from lifecycle.models import ProviderCatalogEntry, ProviderCatalogSync


def provider_catalogs_current(*, providers=None) -> dict[str, ProviderCatalog]:
    """Each provider's stored catalog as the matcher sees it.

    After a complete sync, IDs it did not list are gone (left out). After a partial or
    failed one, nothing is disproven: every stored ID stays a candidate, and `verified`
    only marks the IDs the last complete listing contained.
    """
    syncs = ProviderCatalogSync.objects.exclude(status=ProviderCatalogSync.Status.RUNNING)
    if providers:
        syncs = syncs.filter(provider__in=list(providers))
    latest: dict[str, ProviderCatalogSync] = {}
    latest_complete: dict[str, ProviderCatalogSync] = {}
    for sync in syncs.order_by("-started_at").only("provider", "status", "started_at", "complete"):
        latest.setdefault(sync.provider, sync)
        if sync.complete:
            latest_complete.setdefault(sync.provider, sync)
    entries = ProviderCatalogEntry.objects.all()
    if providers:
        entries = entries.filter(provider__in=list(providers))
    by_provider: dict[str, list[tuple[str, object, object]]] = {}
    for provider, model_id, first, last in entries.values_list("provider", "model_id", "first_seen_at", "last_seen_at"):
        by_provider.setdefault(provider, []).append((model_id, first, last))
    catalogs = {}
    for provider, rows in by_provider.items():
        complete_sync = latest_complete.get(provider)
        # Listed by the last complete sync: known by then and seen at (or after) it.
        # (Never deleted rows keep their first_seen_at, so an ID dropped and re-listed
        # only by a partial run counts too — it is listed again, just not exhaustively.)
        in_complete = frozenset(
            m for m, first, last in rows
            if complete_sync and first <= complete_sync.started_at <= last)
        last = latest.get(provider)
        if last is not None and last.complete:
            ids = tuple(sorted(in_complete))
            catalogs[provider] = ProviderCatalog(provider, ids, complete=True, verified_ids=in_complete)
        else:
            ids = tuple(sorted(m for m, _, _ in rows))
            catalogs[provider] = ProviderCatalog(provider, ids, complete=False, verified_ids=in_complete)
    return catalogs


def openrouter_entry_to_catalog_entry(row: OpenRouterModel) -> CatalogEntry:
    raw = row.raw or {}
    if raw.get("id"):
        return CatalogEntry.from_api(raw)
    return CatalogEntry(openrouter_id=row.openrouter_id, canonical_slug=row.canonical_slug,
                        hugging_face_id=row.hugging_face_id, name=row.name,
                        output_modalities=tuple((row.modalities or {}).get("output") or ("text",)),
                        prompt_price=str((row.pricing or {}).get("prompt", "")))


def discovery_new_models(*, statuses=None):
    """Entries awaiting a human: matched or ambiguous, newest first."""
    statuses = statuses or [MatchStatus.MATCHED, MatchStatus.AMBIGUOUS]
    return OpenRouterModel.objects.filter(match_status__in=list(statuses)).order_by("-first_seen_at", "openrouter_id")


def discovery_status_counts() -> dict[str, int]:
    return {row["match_status"]: row["n"] for row in
            OpenRouterModel.objects.values("match_status").annotate(n=Count("id")).order_by()}


def latest_fetch_run() -> CatalogFetchRun | None:
    return CatalogFetchRun.objects.order_by("-started_at").first()


def router_aliases():
    """The catalog's router aliases with what they route to (unresolved ones first)."""
    return OpenRouterAlias.objects.order_by("target_id", "alias_id").only("alias_id", "target_id", "last_seen_at")
