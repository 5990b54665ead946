"""What every benchmark script needs: a bench database, Django on it, and a progress bar."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent


def ensure_postgres_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def django_setup(url: str) -> None:
    """Point Django at `url` (creating a PostgreSQL database if needed) and migrate it."""
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "llmops.settings"
    os.chdir(ROOT)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    (ROOT / "var").mkdir(exist_ok=True)
    if url.startswith(("postgres://", "postgresql://")):
        ensure_postgres_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def progress(label: str, done: int, total: int) -> None:
    from llmops.lib.progress import Progress

    Progress(label, stream=sys.stderr, min_interval=0).update(done, total)
