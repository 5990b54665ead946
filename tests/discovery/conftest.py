import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.discovery.local_server import LocalServer

DATA = Path(__file__).parent / "data"
CATALOG_FILE = DATA / "openrouter_catalog_2025-12-02.json"
PROVIDERS_FILE = DATA / "provider_catalogs_2025-12-02.json"
SAMPLE_AS_OF = datetime(2025, 12, 2, 7, 0, tzinfo=timezone.utc)


@pytest.fixture
def stored(db):
    """The real 2025-12-02 OpenRouter catalog and provider catalogs, stored."""
    from discovery import services

    services.openrouter_fetch(file=str(CATALOG_FILE), as_of=SAMPLE_AS_OF)
    services.provider_catalogs_sync(file=str(PROVIDERS_FILE), as_of=SAMPLE_AS_OF)


@pytest.fixture
def server():
    with LocalServer() as srv:
        yield srv


@pytest.fixture(scope="session")
def catalog_body():
    return json.loads(CATALOG_FILE.read_text())


@pytest.fixture(scope="session")
def provider_doc():
    return json.loads(PROVIDERS_FILE.read_text())


FAST_HTTP = {"backoff_base": 0.001, "timeout": 2.0, "retries": 1}


def _alias(alias_id: str, name: str, target: str | None, like: dict) -> dict:
    """A router alias entry shaped like the real ones OpenRouter lists (~org/family-latest): the
    target's pricing, context and modalities, a Router tokenizer, and `alias_target` naming the
    model it routes to — absent on some real entries (an unresolved alias)."""
    entry = {
        "id": alias_id, "canonical_slug": alias_id, "hugging_face_id": None, "name": name,
        "created": like["created"], "context_length": like["context_length"],
        "description": f"This model always redirects to the latest model of the {name} family.",
        "architecture": {**like["architecture"], "tokenizer": "Router"}, "pricing": like["pricing"],
        "top_provider": like.get("top_provider"), "supported_parameters": like.get("supported_parameters", []),
    }
    if target:
        entry["alias_target"] = {"name": like["name"], "slug": target}
    return entry


# Malformed entries a real catalog could carry; each is skipped, named, and stores nothing.
MALFORMED = [
    ({"name": "no id at all"}, "data[{i}].id None"),
    ({"id": 42, "name": "numeric id"}, "data[{i}].id 42"),
    ({"id": "bad id with spaces", "name": "x"}, "'bad id with spaces' is not an 'org/slug' string"),
    ({"id": "acme/inf-context", "context_length": float("inf")}, "(acme/inf-context).context_length inf"),
    ({"id": "acme/nan-context", "context_length": float("nan")}, "(acme/nan-context).context_length nan"),
    ({"id": "acme/huge-context", "context_length": 1e30}, "(acme/huge-context).context_length 1e+30"),
    ({"id": "acme/far-future", "created": 1e20}, "(acme/far-future).created 1e+20"),
    ({"id": "acme/nul-name", "name": "Acme\x00Model"}, "(acme/nul-name).name: contains a NUL character"),
    ({"id": "acme/nul\x00id"}, "data[{i}].id 'acme/nul\\x00id'"),
    ({"id": "acme/nan-price", "pricing": {"prompt": float("nan")}}, "(acme/nan-price).pricing.prompt: nan"),
    ({"id": "acme/big-int", "top_provider": {"max_completion_tokens": 10**20}},
     "(acme/big-int).top_provider.max_completion_tokens: 100000000000000000000 does not fit in 64 bits"),
    ("just a string", "data[{i}] is str, not an object"),
]


def real_world_catalog(catalog: dict) -> tuple[dict, list[str]]:
    """The real 2025-12-02 catalog plus router aliases and malformed entries, as a newer response
    would carry them; returns the document and the skip message expected for each bad entry."""
    by_id = {m["id"]: m for m in catalog["data"]}
    aliases = [
        _alias("~anthropic/claude-sonnet-latest", "Anthropic: Claude Sonnet (latest)", "anthropic/claude-sonnet-4.5",
               by_id["anthropic/claude-sonnet-4.5"]),
        _alias("~openai/gpt-latest", "OpenAI: GPT (latest)", "openai/gpt-5.1", by_id["openai/gpt-5.1"]),
        _alias("~google/gemini-flash-latest", "Google: Gemini Flash (latest)", None, by_id["google/gemini-2.5-flash"]),
    ]
    data = list(catalog["data"])
    data[0:0] = aliases  # real responses list them first
    expected = []
    for bad, message in MALFORMED:
        expected.append(message.replace("{i}", str(len(data))))
        data.append(bad)
    data.append(dict(by_id["openai/gpt-4o"]))  # a duplicate of an earlier entry
    expected.append(f"data[{len(data) - 1}] (openai/gpt-4o) is a duplicate")
    return {"data": data}, expected


@pytest.fixture
def real_world_file(tmp_path, catalog_body):
    document, expected = real_world_catalog(catalog_body)
    path = tmp_path / "openrouter_catalog_with_aliases.json"
    # allow_nan: a real response can carry NaN/Infinity, which Python's json reads back as floats.
    path.write_text(json.dumps(document, allow_nan=True))
    return path, expected
