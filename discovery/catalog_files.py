"""Reading and validating catalog documents (API bodies and saved files).

Validation is per entry: a malformed entry (a bad id, a number the database cannot hold, a
NUL in a name) is skipped, counted and named — "data[12] (org/model): why" — and the rest is
stored, because one odd entry in a catalog of hundreds must not stop discovery. Only a
structurally broken document is refused whole, before anything is written: not an object, no
`data` list, empty, truncated (not valid JSON), not UTF-8, or not one valid entry in it.

OpenRouter's router aliases (`~anthropic/claude-sonnet-latest`: "always the newest Claude
Sonnet") are not models: they are read apart, with the model they route to when the entry
names it (`alias_target.slug`), and never matched as models of their own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from discovery.matching import CatalogEntry, ProviderCatalog
from llmops.lib.dates import parse_iso
from llmops.lib.json_values import finite_number, unstorable

PROVIDER_CATALOGS_FORMAT = "llmops-provider-catalogs/1"
OPENROUTER_ID_RE = re.compile(r"^[A-Za-z0-9][\w.\-~]*/[\w.\-~:]+$")
ALIAS_ID_RE = re.compile(r"^~[A-Za-z0-9][\w.\-]*/[\w.\-:]+$")
MAX_ID_CHARS = 255
MAX_CONTEXT_LENGTH = 2**31 - 1  # the IntegerField it is stored in
MAX_CREATED = 253402300799  # 9999-12-31T23:59:59Z, the last moment a datetime can hold
MAX_REPORTED_ERRORS = 5
MAX_KEPT_SKIPS = 100  # skipped entries named on a run record (the count is exact)


class CatalogInvalid(ValueError):
    """A catalog document that does not have the expected shape."""

    def __init__(self, message: str, errors: list[str] | None = None):
        self.errors = errors or []
        detail = "; ".join(self.errors[:MAX_REPORTED_ERRORS])
        more = f" (+{len(self.errors) - MAX_REPORTED_ERRORS} more)" if len(self.errors) > MAX_REPORTED_ERRORS else ""
        super().__init__(f"{message}: {detail}{more}" if detail else message)


@dataclass
class CatalogRead:
    """A validated OpenRouter catalog: its model entries, its router aliases, what was skipped."""

    entries: list[dict] = field(default_factory=list)
    aliases: list[dict] = field(default_factory=list)  # {"alias_id", "target_id", "target_name", "name", "raw"}
    skipped: list[str] = field(default_factory=list)  # "data[i] (id): why", one per skipped entry

    @property
    def unresolved_aliases(self) -> int:
        return sum(1 for a in self.aliases if not a["target_id"])


def _entry_errors(where_id: str, item: dict) -> list[str]:
    """What is wrong with the fields of one (model or alias) entry besides its id."""
    errors = []
    for key in ("canonical_slug", "hugging_face_id", "name", "description", "expiration_date"):
        if item.get(key) is not None and not isinstance(item[key], str):
            errors.append(f"{where_id}.{key} must be a string or null")
    created, context = item.get("created"), item.get("context_length")
    if created is not None and not (finite_number(created) and 0 <= created <= MAX_CREATED):
        errors.append(f"{where_id}.created {created!r} is not a unix time between 1970 and 9999")
    if context is not None and not (finite_number(context) and 0 <= context <= MAX_CONTEXT_LENGTH):
        errors.append(f"{where_id}.context_length {context!r} is not a number of tokens (0..{MAX_CONTEXT_LENGTH})")
    arch = item.get("architecture")
    if arch is not None:
        if not isinstance(arch, dict):
            errors.append(f"{where_id}.architecture must be an object")
        else:
            for key in ("input_modalities", "output_modalities"):
                mods = arch.get(key)
                if mods is not None and (not isinstance(mods, list) or not all(isinstance(m, str) for m in mods)):
                    errors.append(f"{where_id}.architecture.{key} must be a list of strings")
    pricing = item.get("pricing")
    if pricing is not None and not isinstance(pricing, dict):
        errors.append(f"{where_id}.pricing must be an object")
    if not errors and (bad := unstorable(item, where_id)):
        errors.append(bad)
    return errors


def _alias(oid: str, item: dict) -> dict:
    """A router alias and the model it routes to ("" when the entry does not say)."""
    target = item.get("alias_target")
    slug = target.get("slug") if isinstance(target, dict) else None
    name = target.get("name") if isinstance(target, dict) else None
    resolved = isinstance(slug, str) and len(slug) <= MAX_ID_CHARS and bool(OPENROUTER_ID_RE.match(slug))
    return {"alias_id": oid, "target_id": slug if resolved else "",
            "target_name": name[:255] if resolved and isinstance(name, str) else "",
            "name": (item.get("name") or "")[:255], "raw": item}


def openrouter_catalog_validate(payload) -> CatalogRead:
    """The entries and aliases of a `GET /api/v1/models` body (malformed entries skipped and
    named), or CatalogInvalid for a document that is broken as a whole."""
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        raise CatalogInvalid("OpenRouter catalog must be an object with a 'data' list")
    data = payload["data"]
    if not data:
        raise CatalogInvalid("OpenRouter catalog is empty (refusing to treat every model as gone)")
    read = CatalogRead()
    seen: set[str] = set()
    for i, item in enumerate(data):
        where = f"data[{i}]"
        if not isinstance(item, dict):
            read.skipped.append(f"{where} is {type(item).__name__}, not an object")
            continue
        oid = item.get("id")
        if not isinstance(oid, str) or len(oid) > MAX_ID_CHARS or not (
                OPENROUTER_ID_RE.match(oid) or ALIAS_ID_RE.match(oid)):
            shown = oid[:80] + "…" if isinstance(oid, str) and len(oid) > 80 else oid
            read.skipped.append(f"{where}.id {shown!r} is not an 'org/slug' string")
            continue
        where_id = f"{where} ({oid})"
        if oid in seen:
            read.skipped.append(f"{where_id} is a duplicate of an earlier entry")
            continue
        errors = _entry_errors(where_id, item)
        if errors:
            read.skipped.append("; ".join(errors))
            continue
        seen.add(oid)
        if oid.startswith("~"):
            read.aliases.append(_alias(oid, item))
        else:
            read.entries.append(item)
    if not read.entries:
        raise CatalogInvalid(f"OpenRouter catalog has no valid model entry ({len(read.skipped)} malformed, "
                             f"{len(read.aliases)} aliases)", read.skipped)
    return read


def load_json_file(path: str | Path):
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise CatalogInvalid(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise CatalogInvalid(f"{path} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
                             f"{exc.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogInvalid(f"{path} is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        raise CatalogInvalid(f"{path} is nested too deeply to be a catalog") from None


def _validated_file(path: str | Path, validate):
    """`validate` the JSON in `path`; an invalid document's error names the file."""
    payload = load_json_file(path)
    try:
        return validate(payload)
    except CatalogInvalid as exc:
        named = CatalogInvalid(f"{path}: {exc}")
        named.errors = exc.errors
        raise named from None


def openrouter_catalog_load(path: str | Path) -> CatalogRead:
    return _validated_file(path, openrouter_catalog_validate)


def catalog_entries(items: list[dict]) -> list[CatalogEntry]:
    return [CatalogEntry.from_api(item) for item in items]


@dataclass
class ProviderCatalogsFile:
    as_of: datetime | None
    # name -> {"complete": bool, "models": [{"model_id", "name"}], "skipped": ["…: why"]}
    providers: dict[str, dict]

    def catalogs(self) -> dict[str, ProviderCatalog]:
        return {
            name: ProviderCatalog(provider=name, model_ids=tuple(m["model_id"] for m in body["models"]),
                                  complete=body["complete"])
            for name, body in self.providers.items()
        }

    @property
    def skipped(self) -> list[str]:
        return [entry for body in self.providers.values() for entry in body["skipped"]]


def provider_model_problem(where: str, model) -> str | None:
    """Why one listed model (a file's or an API's entry) cannot be stored, or None."""
    mid = model.get("model_id") if isinstance(model, dict) else None
    if not isinstance(mid, str) or not mid.strip() or len(mid) > MAX_ID_CHARS:
        return f"{where}.model_id must be a non-empty string of at most {MAX_ID_CHARS} characters"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in mid):
        return f"{where}.model_id {mid!r} contains control characters"
    return unstorable(model, f"{where} ({mid})")


def provider_catalogs_validate(payload) -> ProviderCatalogsFile:
    """A llmops-provider-catalogs/1 document. A malformed model entry is skipped and named, and
    its provider's listing counts as partial (the skipped entry may be a model it does list, so
    absence from it proves nothing); a broken provider block refuses the whole document."""
    if not isinstance(payload, dict) or payload.get("format") != PROVIDER_CATALOGS_FORMAT:
        raise CatalogInvalid(f"not a {PROVIDER_CATALOGS_FORMAT} document (missing or wrong 'format')")
    providers = payload.get("providers")
    if not isinstance(providers, dict):
        raise CatalogInvalid("'providers' must be an object of provider -> listing")
    errors: list[str] = []
    out: dict[str, dict] = {}
    for name, body in providers.items():
        if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_\-]+", name):
            errors.append(f"provider name {name!r} must be lowercase letters, digits, '-' or '_'")
            continue
        if not isinstance(body, dict) or not isinstance(body.get("models"), list):
            errors.append(f"providers.{name} must have a 'models' list")
            continue
        complete = body.get("complete", False)
        if not isinstance(complete, bool):
            errors.append(f"providers.{name}.complete must be true or false")
        elif complete and not body["models"]:
            errors.append(f"providers.{name} says complete: true with no models (refusing to treat every "
                          f"{name} model as gone)")
        models, ids, skipped = [], set(), []
        for i, model in enumerate(body["models"]):
            if problem := provider_model_problem(f"providers.{name}.models[{i}]", model):
                skipped.append(problem)
                continue
            mid = model["model_id"]
            if mid in ids:
                continue  # listed twice: harmless
            ids.add(mid)
            label = model.get("name") or ""
            models.append({"model_id": mid, "name": label if isinstance(label, str) else ""})
        if body["models"] and not models:
            errors.append(f"providers.{name} has no valid model entry ({len(skipped)} malformed)")
        out[name] = {"complete": bool(complete) and not skipped, "models": models, "skipped": skipped}
    if errors:
        raise CatalogInvalid(f"{PROVIDER_CATALOGS_FORMAT} document is invalid", errors)
    as_of = None
    if payload.get("as_of"):
        try:
            as_of = parse_iso(str(payload["as_of"]))
        except ValueError:
            raise CatalogInvalid(f"as_of {payload['as_of']!r} is not an ISO 8601 timestamp") from None
    return ProviderCatalogsFile(as_of=as_of, providers=out)


def provider_catalogs_load(path: str | Path) -> ProviderCatalogsFile:
    return _validated_file(path, provider_catalogs_validate)
