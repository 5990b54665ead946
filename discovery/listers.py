"""Listing a direct provider's own model IDs: a registry of lister classes.

OpenAI-compatible providers share `GET {base_url}/models`; Anthropic pages with
`has_more`/`last_id`/`after_id`; Bedrock and Vertex go through their SDKs, which are
optional — their listers raise ListerNotConfigured unless the SDK is importable. A
listing is `complete` only when every page was read: a failure after some pages gives a
partial listing (stored, but absence from it proves nothing). A malformed entry is skipped and
named (`Listing.skipped`), and makes the listing partial too: the entry may be a model it lists.
A listing with no model at all is a failure, never "every model is gone".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from discovery.catalog_files import provider_model_problem
from llmops.lib import http
from llmops.lib.optional import missing_sdk

OPENAI_COMPATIBLE = ("openai", "groq", "together", "fireworks", "cerebras", "deepinfra", "mistral", "deepseek", "xai")
ANTHROPIC_VERSION = "2023-06-01"
MAX_PAGES = 200


class ListerNotConfigured(Exception):
    """The provider cannot be listed here (no API key, SDK missing): skipped, not failed."""


class ListingFailed(Exception):
    """Nothing could be listed (first page failed, or the answer made no sense)."""


@dataclass
class Listing:
    provider: str
    models: list[dict] = field(default_factory=list)  # {"model_id", "name", "raw"}
    complete: bool = False
    pages: int = 0
    error: str = ""
    skipped: list[str] = field(default_factory=list)  # "data[i] (id): why", one per malformed entry


def _model(model_id, name="", raw=None) -> dict:
    return {"model_id": model_id, "name": name if isinstance(name, str) else "", "raw": raw or {}}


def _page_models(listing: Listing, items: list, *, page: int, name_keys=("display_name", "name")) -> None:
    """Add one page's entries to `listing`, skipping (and naming) the malformed ones."""
    for i, item in enumerate(items):
        where = f"page {page} data[{i}]"
        model = {"model_id": item.get("id"), "raw": item} if isinstance(item, dict) else None
        if problem := provider_model_problem(where, model):
            listing.skipped.append(problem)
            continue
        label = next((item[k] for k in name_keys if isinstance(item.get(k), str) and item[k]), "")
        listing.models.append(_model(item["id"], label, item))


class Lister:
    name = ""

    def list_models(self) -> Listing:  # pragma: no cover - interface
        raise NotImplementedError


class OpenAICompatibleLister(Lister):
    """`GET {base_url}/models` with a Bearer key; body `{"data": [{"id": ...}]}` (Together
    answers a bare list)."""

    def __init__(self, name: str, *, base_url: str, api_key: str, http_options: dict | None = None):
        if not api_key:
            raise ListerNotConfigured(f"{name}: no API key ({name.upper()}_API_KEY is empty)")
        self.name, self.base_url, self.api_key = name, base_url.rstrip("/"), api_key
        self.http_options = http_options or {}

    def list_models(self) -> Listing:
        try:
            body = http.http_get_json(f"{self.base_url}/models",
                                      headers={"Authorization": f"Bearer {self.api_key}"}, **self.http_options)
        except http.HttpError as exc:
            raise ListingFailed(f"{self.name}: {exc}") from None
        items = body.get("data") if isinstance(body, dict) else body
        if not isinstance(items, list):
            raise ListingFailed(f"{self.name}: /models answer has no 'data' list")
        if not items:
            raise ListingFailed(f"{self.name}: /models answered an empty list (refusing to treat every model "
                                "as gone)")
        listing = Listing(provider=self.name, pages=1)
        _page_models(listing, items, page=1)
        if not listing.models:
            raise ListingFailed(f"{self.name}: no valid entry in /models ({'; '.join(listing.skipped[:3])})")
        listing.complete = not listing.skipped
        return listing


class AnthropicLister(Lister):
    """`GET {base_url}/models?limit=…&after_id=…` following has_more/last_id."""

    page_size = 100

    def __init__(self, name: str = "anthropic", *, base_url: str, api_key: str, http_options: dict | None = None):
        if not api_key:
            raise ListerNotConfigured(f"{name}: no API key (ANTHROPIC_API_KEY is empty)")
        self.name, self.base_url, self.api_key = name, base_url.rstrip("/"), api_key
        self.http_options = http_options or {}

    def list_models(self) -> Listing:
        listing = Listing(provider=self.name)
        headers = {"x-api-key": self.api_key, "anthropic-version": ANTHROPIC_VERSION}
        after_id, seen_cursors = None, set()
        while True:
            params = {"limit": self.page_size}
            if after_id:
                params["after_id"] = after_id
            try:
                body = http.http_get_json(f"{self.base_url}/models", headers=headers, params=params,
                                          **self.http_options)
                page = body.get("data") if isinstance(body, dict) else None
                if not isinstance(page, list):
                    raise ListingFailed(f"{self.name}: page {listing.pages + 1} has no 'data' list")
            except (http.HttpError, ListingFailed) as exc:
                if listing.pages == 0:
                    raise ListingFailed(str(exc) if isinstance(exc, ListingFailed) else f"{self.name}: {exc}") from None
                listing.error = f"page {listing.pages + 1} failed: {exc}"
                return listing  # partial: keep what was read
            listing.pages += 1
            _page_models(listing, page, page=listing.pages, name_keys=("display_name",))
            has_more, last_id = body.get("has_more"), body.get("last_id")
            if not has_more:
                if not listing.models:
                    raise ListingFailed(f"{self.name}: no valid model in the listing"
                                        + (f" ({'; '.join(listing.skipped[:3])})" if listing.skipped else ""))
                listing.complete = not listing.skipped
                return listing
            if not last_id or last_id in seen_cursors or listing.pages >= MAX_PAGES:
                listing.error = f"pagination stopped after page {listing.pages} (cursor {last_id!r} unusable)"
                return listing
            seen_cursors.add(last_id)
            after_id = last_id


def _require_module(provider: str, module: str, package: str):
    if why := missing_sdk(module, package):
        raise ListerNotConfigured(f"{provider}: not configured — {why}; use --file with a saved listing instead")


class BedrockLister(Lister):
    """Foundation models plus cross-region inference profiles (`us.`/`eu.`/`global.`)."""

    name = "bedrock"

    def __init__(self, *, region: str | None = None):
        _require_module("bedrock", "boto3", "boto3")
        self.region = region

    def list_models(self) -> Listing:
        import boto3  # optional dependency, checked in __init__

        client = boto3.client("bedrock", region_name=self.region)
        listing = Listing(provider=self.name)
        try:
            summaries = client.list_foundation_models(byOutputModality="TEXT").get("modelSummaries", [])
        except Exception as exc:  # botocore raises many classes; any means "nothing listed"
            raise ListingFailed(f"bedrock: {exc.__class__.__name__}: {exc}") from None
        listing.pages = 1
        listing.models.extend(_model(s["modelId"], s.get("modelName", "")) for s in summaries if s.get("modelId"))
        token = None
        try:
            while True:
                kwargs = {"nextToken": token} if token else {}
                page = client.list_inference_profiles(**kwargs)
                listing.pages += 1
                listing.models.extend(_model(p["inferenceProfileId"], p.get("inferenceProfileName", ""))
                                      for p in page.get("inferenceProfileSummaries", []))
                token = page.get("nextToken")
                if not token:
                    break
        except Exception as exc:
            listing.error = f"inference profiles: {exc.__class__.__name__}: {exc}"
            return listing
        listing.complete = True
        return listing


class VertexLister(Lister):
    """Publisher models of Model Garden (google, anthropic, meta, …) via google-cloud-aiplatform."""

    name = "vertex"
    publishers = ("google", "anthropic", "meta", "mistralai")

    def __init__(self):
        _require_module("vertex", "google.cloud.aiplatform_v1beta1", "google-cloud-aiplatform")

    def list_models(self) -> Listing:
        from google.cloud import aiplatform_v1beta1  # optional dependency, checked in __init__

        client = aiplatform_v1beta1.ModelGardenServiceClient()
        listing = Listing(provider=self.name)
        for publisher in self.publishers:
            try:
                for model in client.list_publisher_models(parent=f"publishers/{publisher}"):
                    listing.models.append(_model(model.name.rsplit("/", 1)[-1]))
                listing.pages += 1
            except Exception as exc:
                if listing.pages == 0:
                    raise ListingFailed(f"vertex: {exc.__class__.__name__}: {exc}") from None
                listing.error = f"publisher {publisher}: {exc.__class__.__name__}: {exc}"
                return listing
        listing.complete = True
        return listing


def _openai_factory(name):
    def build(**kw):
        cfg = settings.PROVIDERS.get(name) or {}
        return OpenAICompatibleLister(name, base_url=cfg.get("base_url", ""), api_key=cfg.get("api_key", ""), **kw)
    return build


def _anthropic_factory(**kw):
    cfg = settings.PROVIDERS.get("anthropic") or {}
    return AnthropicLister(base_url=cfg.get("base_url", ""), api_key=cfg.get("api_key", ""), **kw)


LISTERS = {name: _openai_factory(name) for name in OPENAI_COMPATIBLE}
LISTERS["anthropic"] = _anthropic_factory
LISTERS["bedrock"] = lambda **kw: BedrockLister()
LISTERS["vertex"] = lambda **kw: VertexLister()


def lister_for(name: str, **http_options) -> Lister:
    if name not in LISTERS:
        raise ListerNotConfigured(f"{name}: no lister registered (known: {', '.join(sorted(LISTERS))})")
    return LISTERS[name](**http_options)
