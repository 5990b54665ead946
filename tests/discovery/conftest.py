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
