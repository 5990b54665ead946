"""Reading and validating catalog documents (API bodies and saved files).

Validation is all-or-nothing: a catalog with one malformed entry is rejected whole,
before anything is written, because a half-understood response must not shrink or
corrupt what we already know. Errors list what is wrong (first few) so the run record
says why.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from discovery.matching import CatalogEntry, ProviderCatalog
from llmops.lib.dates import parse_iso

PROVIDER_CATALOGS_FORMAT = "llmops-provider-catalogs/1"
OPENROUTER_ID_RE = re.compile(r"^[A-Za-z0-9][\w.\-~]*/[\w.\-~:]+$")
MAX_REPORTED_ERRORS = 5


class CatalogInvalid(ValueError):
    """A catalog document that does not have the expected shape."""

    def __init__(self, message: str, errors: list[str] | None = None):
        self.errors = errors or []
        detail = "; ".join(self.errors[:MAX_REPORTED_ERRORS])
        more = f" (+{len(self.errors) - MAX_REPORTED_ERRORS} more)" if len(self.errors) > MAX_REPORTED_ERRORS else ""
        super().__init__(f"{message}: {detail}{more}" if detail else message)


def _check_entry(i: int, item) -> list[str]:
    where = f"data[{i}]"
    if not isinstance(item, dict):
        return [f"{where} is {type(item).__name__}, not an object"]
    errors = []
    oid = item.get("id")
    if not isinstance(oid, str) or not OPENROUTER_ID_RE.match(oid):
        errors.append(f"{where}.id {oid!r} is not an 'org/slug' string")
        where_id = where
    else:
        where_id = f"{where} ({oid})"
    for key in ("canonical_slug", "hugging_face_id", "name", "description", "expiration_date"):
        if item.get(key) is not None and not isinstance(item[key], str):
            errors.append(f"{where_id}.{key} must be a string or null")
    for key in ("created", "context_length"):
        value = item.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            errors.append(f"{where_id}.{key} must be a number or null")
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
    return errors


def openrouter_catalog_validate(payload) -> list[dict]:
    """The entries of a `GET /api/v1/models` body, or CatalogInvalid."""
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        raise CatalogInvalid("OpenRouter catalog must be an object with a 'data' list")
    data = payload["data"]
    if not data:
        raise CatalogInvalid("OpenRouter catalog is empty (refusing to treat every model as gone)")
    errors: list[str] = []
    seen: set[str] = set()
    for i, item in enumerate(data):
        errors.extend(_check_entry(i, item))
        oid = item.get("id") if isinstance(item, dict) else None
        if isinstance(oid, str):
            if oid in seen:
                errors.append(f"data[{i}].id {oid!r} is duplicated")
            seen.add(oid)
    if errors:
        raise CatalogInvalid(f"OpenRouter catalog has {len(errors)} invalid field(s)", errors)
    return data


def load_json_file(path: str | Path):
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogInvalid(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogInvalid(f"{path} is not valid JSON (line {exc.lineno}: {exc.msg})") from None


def _validated_file(path: str | Path, validate):
    """`validate` the JSON in `path`; an invalid document's error names the file."""
    payload = load_json_file(path)
    try:
        return validate(payload)
    except CatalogInvalid as exc:
        named = CatalogInvalid(f"{path}: {exc}")
        named.errors = exc.errors
        raise named from None


def openrouter_catalog_load(path: str | Path) -> list[dict]:
    return _validated_file(path, openrouter_catalog_validate)


def catalog_entries(items: list[dict]) -> list[CatalogEntry]:
    return [CatalogEntry.from_api(item) for item in items]


@dataclass
class ProviderCatalogsFile:
    as_of: datetime | None
    providers: dict[str, dict]  # name -> {"complete": bool, "models": [{"model_id", "name"}]}

    def catalogs(self) -> dict[str, ProviderCatalog]:
        return {
            name: ProviderCatalog(provider=name, model_ids=tuple(m["model_id"] for m in body["models"]),
                                  complete=body["complete"])
            for name, body in self.providers.items()
        }


def provider_catalogs_validate(payload) -> ProviderCatalogsFile:
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
        models, ids = [], set()
        for i, model in enumerate(body["models"]):
            mid = model.get("model_id") if isinstance(model, dict) else None
            if not isinstance(mid, str) or not mid.strip() or len(mid) > 255:
                errors.append(f"providers.{name}.models[{i}].model_id must be a non-empty string")
                continue
            if mid in ids:
                continue  # listed twice: harmless
            ids.add(mid)
            label = model.get("name") or ""
            models.append({"model_id": mid, "name": label if isinstance(label, str) else ""})
        out[name] = {"complete": bool(complete), "models": models}
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
