"""Reads for discovery: stored provider catalogs as matcher input, the new-models report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q

from discovery import names
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


def discovery_status_counts() -> dict[str, int]:
    return {row["match_status"]: row["n"] for row in
            OpenRouterModel.objects.values("match_status").annotate(n=Count("id")).order_by()}


def latest_fetch_run() -> CatalogFetchRun | None:
    return CatalogFetchRun.objects.order_by("-started_at").first()


# --- one model, one row: OpenRouter variants folded under their base model ---------------------

# A model's status is the most decisive one among its entries: once any variant's provider IDs
# were added (or a human rejected the match), the model is handled, whatever its siblings say.
FOLD_PRECEDENCE = [MatchStatus.ADDED, MatchStatus.KNOWN, MatchStatus.REJECTED, MatchStatus.MATCHED,
                   MatchStatus.AMBIGUOUS, MatchStatus.UNMATCHED, MatchStatus.NEW, MatchStatus.SKIPPED]
# Folded statuses still waiting for someone: the "new models" of the report and the email.
AWAITING = (MatchStatus.MATCHED, MatchStatus.AMBIGUOUS, MatchStatus.UNMATCHED, MatchStatus.NEW)
FOLD_FIELDS = ("pk", "openrouter_id", "canonical_slug", "name", "match_status", "matched_provider",
               "matched_model_id", "match_confidence", "matches", "candidates", "first_seen_at")


def _rank(status: str) -> int:
    return FOLD_PRECEDENCE.index(status) if status in FOLD_PRECEDENCE else len(FOLD_PRECEDENCE)


@dataclass
class FoldedModel:
    """One OpenRouter model with its variants (`:free`, `:exacto`, router aliases…) folded in."""

    base_id: str
    entries: list = field(default_factory=list)  # OpenRouterModel rows, the representative first

    @property
    def entry(self) -> OpenRouterModel:
        return self.entries[0]

    @property
    def status(self) -> str:
        return self.entry.match_status

    @property
    def status_label(self) -> str:
        return MatchStatus(self.status).label if self.status in MatchStatus.values else self.status

    @property
    def openrouter_id(self) -> str:
        """The ID the row goes by: the base model's, or its representative entry's when OpenRouter
        lists only variants (`google/gemini-2.0-flash-exp:free` alone)."""
        ids = {e.openrouter_id for e in self.entries}
        return self.base_id if self.base_id in ids else self.entry.openrouter_id

    @property
    def name(self) -> str:
        return next((e.name for e in self.entries if e.name), "")

    @property
    def variants(self) -> list[str]:
        """The other entries' IDs, as labels relative to the base (`:free`, `~`), sorted."""
        return sorted(names.openrouter_variant_label(e.openrouter_id) or e.openrouter_id
                      for e in self.entries if e.openrouter_id != self.openrouter_id)

    @property
    def first_seen_at(self) -> datetime | None:
        return min((e.first_seen_at for e in self.entries if e.first_seen_at), default=None)

    @property
    def matched_entries(self) -> list[OpenRouterModel]:
        return [e for e in self.entries if e.match_status == MatchStatus.MATCHED] if self.status == MatchStatus.MATCHED \
            else []

    @property
    def matches(self) -> list[dict]:
        """Every provider ID the matched entries found, best confidence first (one per ID)."""
        best: dict[tuple[str, str], dict] = {}
        for entry in self.matched_entries:
            found = entry.matches if isinstance(entry.matches, list) and entry.matches else (
                # An entry written before `matches` held every provider: its best match only.
                [{"provider": entry.matched_provider, "model_id": entry.matched_model_id,
                  "confidence": entry.match_confidence}] if entry.matched_provider else [])
            for m in found:
                if not isinstance(m, dict) or not m.get("provider") or not m.get("model_id"):
                    continue
                key = (m["provider"], m["model_id"])
                if key not in best or (m.get("confidence") or 0) > (best[key].get("confidence") or 0):
                    best[key] = m
        return sorted(best.values(), key=lambda m: (-(m.get("confidence") or 0), m["provider"], m["model_id"]))

    @property
    def confidence(self) -> float | None:
        found = [m.get("confidence") for m in self.matches if m.get("confidence") is not None]
        return max(found) if found else None

    @property
    def candidates(self) -> dict[str, list[str]]:
        """provider → candidate IDs over the entries that are still ambiguous (a pick settles them)."""
        out: dict[str, list[str]] = {}
        if self.status != MatchStatus.AMBIGUOUS:
            return out
        for entry in self.entries:
            if entry.match_status != MatchStatus.AMBIGUOUS or not isinstance(entry.candidates, dict):
                continue
            for provider, ids in sorted(entry.candidates.items()):
                kept = out.setdefault(provider, [])
                kept += [i for i in ids or [] if isinstance(i, str) and i not in kept]
        return out

    @property
    def add_command(self) -> str:
        """The complete command that adds this model's matched provider IDs ("" when not matched).
        Every matched entry is named, so all of them are marked added by the one command."""
        ids = [e.openrouter_id for e in self.matched_entries]
        return "python manage.py add_matched_models " + " ".join(ids) if ids else ""

    def pick_commands(self) -> list[str]:
        """One complete command per candidate of an ambiguous model: the operator runs the right one."""
        commands, offered = [], set()
        for entry in self.entries if self.status == MatchStatus.AMBIGUOUS else []:
            if entry.match_status != MatchStatus.AMBIGUOUS or not isinstance(entry.candidates, dict):
                continue
            # Each candidate with the entry that offered it: a pick is checked against that entry.
            for provider, ids in sorted(entry.candidates.items()):
                for model_id in ids or []:
                    if isinstance(model_id, str) and (provider, model_id) not in offered:
                        offered.add((provider, model_id))
                        commands.append(f"python manage.py add_matched_models {entry.openrouter_id} "
                                        f"--pick {provider}/{model_id}")
        return commands


def _fold_key(row, alias_targets: dict[str, str]) -> str:
    if names.is_router_alias(row.openrouter_id) and row.canonical_slug in alias_targets:
        return alias_targets[row.canonical_slug]
    return names.openrouter_base_id(row.openrouter_id)


def openrouter_fold(rows) -> list[FoldedModel]:
    """Group catalog rows by the model they name (pure: no query). A router alias joins the model
    whose entry shares its canonical slug; variants join their base ID. Within a group the
    representative entry carries the decisive status (FOLD_PRECEDENCE), the base entry first."""
    rows = list(rows)
    alias_targets = {row.canonical_slug: names.openrouter_base_id(row.openrouter_id) for row in rows
                     if row.canonical_slug and not names.is_router_alias(row.openrouter_id)}
    groups: dict[str, FoldedModel] = {}
    for row in rows:
        key = _fold_key(row, alias_targets)
        groups.setdefault(key, FoldedModel(base_id=key)).entries.append(row)
    for group in groups.values():
        group.entries.sort(key=lambda e: (_rank(e.match_status), e.openrouter_id != group.base_id,
                                          -(e.match_confidence or 0), e.openrouter_id))
    return list(groups.values())


def discovery_folded(*, rows) -> list[FoldedModel]:
    """The models `rows` (a queryset of catalog entries) belong to, each with ALL its entries,
    also those outside `rows` (two queries): a variant added yesterday settles today's new base."""
    scoped = list(rows.only(*FOLD_FIELDS))
    if not scoped:
        return []
    slugs = sorted({r.canonical_slug for r in scoped if r.canonical_slug})
    bases = {names.openrouter_base_id(r.openrouter_id) for r in scoped}
    in_scope = {r.pk for r in scoped}
    # Variants share their base's canonical slug; the IDs catch entries stored without one.
    siblings = OpenRouterModel.objects.filter(
        Q(canonical_slug__in=slugs) | Q(openrouter_id__in=sorted(bases | {names.ROUTER_ALIAS_PREFIX + b for b in bases}))
    ).exclude(pk__in=sorted(in_scope)).only(*FOLD_FIELDS)
    return [group for group in openrouter_fold(scoped + list(siblings))
            if any(e.pk in in_scope for e in group.entries)]


def _report_order(group: FoldedModel):
    return (AWAITING.index(group.status) if group.status in AWAITING else len(AWAITING),
            -(group.confidence or 0), group.openrouter_id)


def discovery_new_models_folded(*, since: datetime | None = None, as_of: datetime | None = None
                                ) -> list[FoldedModel]:
    """New models waiting for someone, one row per model: matched (best confidence first), then
    ambiguous, unmatched and not-yet-matched ones. With `since`/`as_of`: models with an entry first
    seen in that period (the daily email); without: every model still waiting (discovery_report)."""
    if since is None and as_of is None:
        # The whole catalog in one read (a few hundred entries): every group complete.
        folded = openrouter_fold(OpenRouterModel.objects.only(*FOLD_FIELDS))
    else:
        rows = OpenRouterModel.objects.all()
        if since is not None:
            rows = rows.filter(first_seen_at__gte=since)
        if as_of is not None:
            rows = rows.filter(first_seen_at__lte=as_of)
        folded = discovery_folded(rows=rows)
    return sorted((g for g in folded if g.status in AWAITING), key=_report_order)


def router_aliases():
    """The catalog's router aliases with what they route to (unresolved ones first)."""
    return OpenRouterAlias.objects.order_by("target_id", "alias_id").only("alias_id", "target_id", "last_seen_at")
