"""Deterministic matching of OpenRouter entries to the IDs direct providers really use.

Pure functions over plain data (no database, no network): the replay command, the
service and the benchmark all run this same code. For each entry and each provider
catalog it looks up provider IDs whose normalized core (names.py) is identical to one of
the entry's names — its ID, its canonical slug without OpenRouter's date, its Hugging
Face ID — then applies the rules that may still reject a candidate:

- orgs, when both sides state one, must be the same vendor (a fine-tune is not its base);
- a provider ID with `instruct` needs the entry to say instruct too (a base model is not
  its instruct variant); the reverse is allowed (chat providers drop the word);
- dates: an entry ID that pins a date needs the provider's same date; an undated entry
  matches a dated provider snapshot only when the canonical slug's date is in the same
  month (Anthropic/Bedrock/Vertex snapshots), otherwise it stays ambiguous;
- at most one ID per provider: the best score, then the plainest ID.

Whatever is left unresolved but close (same family word, most tokens shared) is returned
as `candidates` for the LLM step, which may only choose among them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from discovery import names
from llmops.lib.dates import parse_iso

SKIP_NOT_TEXT = "not-text-output"
SKIP_ROUTER = "router"
SKIP_EXPIRED = "expired"
SKIP_ALIAS = "alias"  # a router alias (~org/family-latest): a name for another entry, not a model

BASE_CONFIDENCE = {"id": 0.97, "hf": 0.95, "canonical": 0.93}
METHOD_BY_SOURCE = {"id": "normalized-name", "hf": "hugging-face-id", "canonical": "canonical-slug"}
RULE_METHODS = {"bedrock": "bedrock-id-rules", "fireworks": "fireworks-id-rules", "vertex": "vertex-id-rules"}
MAX_CANDIDATES = 5
# Hosts of open-weight models that serve only the chat-tuned variant and often leave
# "instruct" out of the ID (groq llama-3.3-70b-versatile, cerebras llama3.1-8b). First
# parties are not on the list: there a name without "instruct" is a different model.
INSTRUCT_IMPLIED_PROVIDERS = frozenset({"groq", "cerebras", "bedrock", "together", "fireworks", "deepinfra",
                                        "sambanova", "nebius", "hyperbolic", "novita"})


@dataclass(frozen=True)
class CatalogEntry:
    """The fields of one OpenRouter catalog entry that matching uses."""

    openrouter_id: str
    canonical_slug: str = ""
    hugging_face_id: str = ""
    name: str = ""
    output_modalities: tuple[str, ...] = ("text",)
    prompt_price: str = ""
    expiration_date: str = ""

    @classmethod
    def from_api(cls, item: dict) -> "CatalogEntry":
        arch = item.get("architecture") or {}
        outputs = arch.get("output_modalities")
        if outputs is None:  # older snapshots: "modality": "text+image->text"
            modality = arch.get("modality") or "text->text"
            outputs = modality.split("->")[-1].split("+")
        pricing = item.get("pricing") or {}
        return cls(
            openrouter_id=item["id"],
            canonical_slug=item.get("canonical_slug") or "",
            hugging_face_id=item.get("hugging_face_id") or "",
            name=item.get("name") or "",
            output_modalities=tuple(str(m) for m in outputs),
            prompt_price=str(pricing.get("prompt", "")),
            expiration_date=str(item.get("expiration_date") or ""),
        )


@dataclass(frozen=True)
class ProviderCatalog:
    provider: str
    model_ids: tuple[str, ...]
    complete: bool = True
    # IDs seen in the last complete listing; None means "all of them if complete".
    verified_ids: frozenset | None = None

    def is_verified(self, model_id: str) -> bool:
        if self.verified_ids is not None:
            return model_id in self.verified_ids
        return self.complete


@dataclass
class Match:
    provider: str
    model_id: str
    confidence: float
    method: str
    verified: bool
    reasoning: str = ""

    def as_dict(self) -> dict:
        return {"provider": self.provider, "model_id": self.model_id, "confidence": round(self.confidence, 2),
                "method": self.method, "verified": self.verified}


@dataclass
class MatchResult:
    openrouter_id: str
    skipped: str | None = None
    matches: list[Match] = field(default_factory=list)
    # provider -> candidate IDs that exist in its catalog, for the LLM to choose among
    candidates: dict[str, list[str]] = field(default_factory=dict)

    @property
    def status(self) -> str:
        if self.skipped:
            return "skipped"
        if self.matches:
            return "matched"
        return "ambiguous" if self.candidates else "unmatched"

    @property
    def best(self) -> Match | None:
        return max(self.matches, key=lambda m: (m.confidence, m.verified), default=None)

    def replay_dict(self) -> dict:
        """The shape catalog-formats.md defines for `match_catalog --format json`."""
        return {"openrouter_id": self.openrouter_id, "skipped": self.skipped,
                "matches": [m.as_dict() for m in self.matches]}


def skip_reason(entry: CatalogEntry, *, as_of: datetime | None = None) -> str | None:
    """Why an entry is not a text-generation benchmark candidate, from its own fields."""
    if entry.openrouter_id.startswith("~"):
        return SKIP_ALIAS
    org, _ = names.split_org(names.strip_variant(entry.openrouter_id).lower())
    if org == "openrouter" or entry.prompt_price.strip() == "-1":
        return SKIP_ROUTER  # openrouter/auto and friends: pricing -1 means "routed"
    slug = names.strip_variant(entry.openrouter_id).lower().rsplit("/", 1)[-1]
    if slug == "router" or slug.endswith("-router") or slug == "auto":
        return SKIP_ROUTER
    outputs = {m.strip().lower() for m in entry.output_modalities}
    if outputs != {"text"}:
        return SKIP_NOT_TEXT
    if entry.expiration_date and as_of is not None:
        try:
            expires = parse_iso(entry.expiration_date)
        except ValueError:
            expires = None
        if expires is not None and expires <= as_of:
            return SKIP_EXPIRED
    return None


@dataclass(frozen=True)
class _EntryName:
    parsed: names.ParsedName
    source: str  # "id" | "canonical" | "hf"


def entry_names(entry: CatalogEntry) -> tuple[list[_EntryName], names.DateTag | None]:
    """The entry's names to look up, and the soft date from its canonical slug."""
    base = "(base)" in entry.name.lower()
    out: list[_EntryName] = []
    org, slug = names.split_org(names.strip_variant(entry.openrouter_id))
    out.append(_EntryName(names.parse_name(slug, org=org, base=base), "id"))
    soft_date = None
    if entry.hugging_face_id:
        hf_org, hf_name = names.split_org(entry.hugging_face_id)
        out.append(_EntryName(names.parse_name(hf_name, org=hf_org, base=base), "hf"))
    if entry.canonical_slug:
        c_org, c_name = names.split_org(entry.canonical_slug)
        parsed = names.parse_name(c_name, org=c_org, base=base)
        soft_date = parsed.date
        out.append(_EntryName(names.ParsedName(
            raw=parsed.raw, org=parsed.org, core=parsed.core, instruct=parsed.instruct, date=None,
            neutral=parsed.neutral), "canonical"))
    # An ID that pins a date pins it for every name of the entry: the canonical slug or
    # HF name without it must not reach an undated (or differently dated) provider alias.
    pinned = out[0].parsed.date
    if pinned is not None:
        out = [item if item.parsed.date else _EntryName(_with_date(item.parsed, pinned), item.source)
               for item in out]
    seen, unique = set(), []
    for item in out:
        sig = (item.parsed.core, item.parsed.instruct, item.parsed.date, item.parsed.org)
        if sig not in seen:
            seen.add(sig)
            unique.append(item)
    return unique, soft_date


def _with_date(parsed: names.ParsedName, date: names.DateTag) -> names.ParsedName:
    return names.ParsedName(raw=parsed.raw, org=parsed.org, core=parsed.core, instruct=parsed.instruct, date=date,
                            neutral=parsed.neutral, rules=parsed.rules, decorations=parsed.decorations)


class ProviderIndex:
    """One provider catalog, indexed by normalized core and by family word."""

    def __init__(self, catalog: ProviderCatalog):
        self.catalog = catalog
        self.by_core: dict[tuple, list[tuple[str, names.ParsedName]]] = {}
        self.by_family: dict[str, list[tuple[str, names.ParsedName]]] = {}
        for model_id in catalog.model_ids:
            for parsed in names.parse_provider_id(catalog.provider, model_id):
                self.by_core.setdefault(parsed.core, []).append((model_id, parsed))
                if parsed.core:
                    self.by_family.setdefault(parsed.core[0], []).append((model_id, parsed))


def _score(entry_name: _EntryName, cand: names.ParsedName, soft_date: names.DateTag | None, *,
           implies_instruct: bool) -> tuple[float, list[str]] | None:
    """Confidence and reasons if `cand` is the same model as `entry_name`, else None."""
    mine = entry_name.parsed
    notes: list[str] = []
    if mine.org and cand.org and mine.org != cand.org:
        return None
    if cand.instruct and not mine.instruct:
        return None
    confidence = BASE_CONFIDENCE[entry_name.source]
    if mine.instruct and not cand.instruct:
        if not implies_instruct:  # OpenAI's gpt-3.5-turbo-instruct is not gpt-3.5-turbo
            return None
        confidence -= 0.05
        notes.append("instruct implied")
    if mine.date and cand.date:
        if not mine.date.same(cand.date):
            return None
        notes.append(f"same date {cand.date.text}")
    elif mine.date and not cand.date:
        return None  # the entry pins a snapshot the provider does not name
    elif cand.date:
        if soft_date is None or not soft_date.same_month(cand.date):
            return None
        if soft_date.same(cand.date) and soft_date.day == cand.date.day:
            confidence -= 0.02
            notes.append(f"snapshot {cand.date.text} = canonical slug date")
        else:
            confidence -= 0.10
            notes.append(f"snapshot {cand.date.text} in the canonical slug's month ({soft_date.text})")
    dropped = list(cand.neutral) + list(mine.neutral)
    if dropped:
        confidence -= 0.04 * len(dropped)
        notes.append("ignored " + ", ".join(repr(w) for w in dropped))
    return round(confidence, 4), notes


class Matcher:
    """Match catalog entries against a fixed set of provider catalogs."""

    def __init__(self, catalogs: dict[str, ProviderCatalog]):
        self.indexes = {provider: ProviderIndex(cat) for provider, cat in sorted(catalogs.items())}

    def match(self, entry: CatalogEntry, *, as_of: datetime | None = None) -> MatchResult:
        result = MatchResult(openrouter_id=entry.openrouter_id, skipped=skip_reason(entry, as_of=as_of))
        if result.skipped:
            return result
        variant_id = names.strip_variant(entry.openrouter_id).lower()
        entry_list, soft_date = entry_names(entry)
        for provider, index in self.indexes.items():
            best = None  # (confidence, -decorations, -len(id), model_id, method, notes)
            for model_id in index.catalog.model_ids:
                if model_id.lower() == variant_id:
                    best = (1.0, 0, 0, model_id, "exact-id", ["same ID as OpenRouter"])
                    break
            if best is None:
                for item in entry_list:
                    for model_id, cand in index.by_core.get(item.parsed.core, ()):
                        scored = _score(item, cand, soft_date,
                                        implies_instruct=provider in INSTRUCT_IMPLIED_PROVIDERS)
                        if scored is None:
                            continue
                        confidence, notes = scored
                        method = RULE_METHODS.get(provider) if cand.rules else None
                        method = method or METHOD_BY_SOURCE[item.source]
                        notes = [*cand.rules, *notes]
                        key = (confidence, -cand.decorations, -len(model_id), model_id, method, notes)
                        if best is None or key[:3] > best[:3] or (key[:3] == best[:3] and model_id < best[3]):
                            best = key
            if best is not None:
                confidence, _, _, model_id, method, notes = best
                result.matches.append(Match(
                    provider=provider, model_id=model_id, confidence=confidence, method=method,
                    verified=index.catalog.is_verified(model_id),
                    reasoning="; ".join(notes) or "normalized names equal",
                ))
            else:
                near = self._near(entry_list, index)
                if near:
                    result.candidates[provider] = near
        return result

    def _near(self, entry_list: list[_EntryName], index: ProviderIndex) -> list[str]:
        """Provider IDs close enough to be worth asking about: same family word, most
        core tokens shared. Only real catalog IDs ever come out of here."""
        scored: dict[str, float] = {}
        for item in entry_list:
            core = item.parsed.core
            if not core:
                continue
            mine = set(core)
            for model_id, cand in index.by_family.get(core[0], ()):
                theirs = set(cand.core)
                overlap = len(mine & theirs) / len(mine | theirs)
                if overlap >= 0.5:
                    scored[model_id] = max(scored.get(model_id, 0.0), overlap)
        ranked = sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))
        return [model_id for model_id, _ in ranked[:MAX_CANDIDATES]]

    def match_all(self, entries, *, as_of: datetime | None = None, progress=None) -> list[MatchResult]:
        results = []
        for entry in entries:
            results.append(self.match(entry, as_of=as_of))
            if progress:
                progress(1)
        return results
