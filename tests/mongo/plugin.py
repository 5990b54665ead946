"""pytest plugin for the suite on MongoDB (SecantusDB): `pytest -p tests.mongo.plugin` (make test-mongo).

Does nothing unless DATABASE_URL is a MongoDB URI, so it is harmless on SQLite/PostgreSQL.

- Tests marked `@pytest.mark.sql_only(reason=…)` are skipped on MongoDB, with their reason
  (SQLite/PostgreSQL triggers, SQL introspection, the offline compile check).
- MONGO_FAST_FLUSH=1 replaces the flush that ends every `django_db` test (MongoDB has no
  transactions, so each one ends in Django's `flush`: a `delete_many` per collection, then the
  post_migrate signal re-creates content types, permissions and our groups, ~0.6 s of ~0.8 s)
  with: empty only the collections that hold documents, then re-insert the documents that the
  test database held right after `migrate` (snapshotted once, same `_id`s). Off by default.
- MONGO_TEST_TIMEOUT=N (seconds) fails a test phase (setup, call or teardown) that runs longer,
  via SIGALRM; off by default. No timeout plugin is installed, and on SecantusDB a correlated
  `$lookup` can take minutes, so a whole-suite run uses this to stay bounded.
"""

from __future__ import annotations

import os
import signal

import pytest


def _on_mongodb(config) -> bool:
    from django.conf import settings

    return settings.IS_MONGODB


def pytest_collection_modifyitems(config, items):
    if not _on_mongodb(config):
        return
    for item in items:
        marker = item.get_closest_marker("sql_only")
        if marker is None:
            continue
        reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
        item.add_marker(pytest.mark.skip(reason=f"SQL-only, not run on MongoDB: {reason or 'see the test'}"))


# --- fast flush -----------------------------------------------------------------------------

_post_migrate_snapshot: dict[str, dict[str, list]] = {}  # alias -> collection -> documents


def _collections(connection) -> list[str]:
    return [name for name in connection.database.list_collection_names()
            if not name.startswith("system.") and name != "django_migrations"]


def _install_fast_flush():
    from django.contrib.contenttypes.models import ContentType
    from django.db import connections
    from django.test import TransactionTestCase
    from django_mongodb_backend.creation import DatabaseCreation

    create_test_db = DatabaseCreation.create_test_db

    def create_and_snapshot(self, *args, **kwargs):
        name = create_test_db(self, *args, **kwargs)
        database = self.connection.database
        _post_migrate_snapshot[self.connection.alias] = {
            collection: docs for collection in _collections(self.connection)
            if (docs := list(database[collection].find({})))
        }
        return name

    flush_teardown = TransactionTestCase._fixture_teardown

    def restore_teardown(self):
        aliases = list(self._databases_names(include_mirrors=False))
        if any(alias not in _post_migrate_snapshot for alias in aliases):
            return flush_teardown(self)
        for alias in aliases:
            connection = connections[alias]
            database = connection.database
            for collection in _collections(connection):
                if database[collection].find_one({}, {"_id": 1}) is not None:
                    database[collection].delete_many({})
            for collection, docs in _post_migrate_snapshot[alias].items():
                database[collection].insert_many(docs)
        ContentType.objects.clear_cache()

    DatabaseCreation.create_test_db = create_and_snapshot
    TransactionTestCase._fixture_teardown = restore_teardown


def pytest_configure(config):
    if os.environ.get("MONGO_FAST_FLUSH") == "1" and _on_mongodb(config):
        _install_fast_flush()


# --- per-phase timeout ------------------------------------------------------------------------

class PhaseTimeout(Exception):
    pass


def _timeout_seconds() -> float:
    try:
        return float(os.environ.get("MONGO_TEST_TIMEOUT", "0") or 0)
    except ValueError:
        raise pytest.UsageError("MONGO_TEST_TIMEOUT must be a number of seconds") from None


def _timed(phase):
    @pytest.hookimpl(hookwrapper=True)
    def hook(item, *args):
        seconds = _timeout_seconds()
        if seconds <= 0 or not hasattr(signal, "setitimer"):
            yield
            return

        def expire(signum, frame):
            raise PhaseTimeout(f"{phase} of {item.nodeid} ran longer than MONGO_TEST_TIMEOUT={seconds:g} s")

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    return hook


pytest_runtest_setup = _timed("setup")
pytest_runtest_call = _timed("call")
pytest_runtest_teardown = _timed("teardown")
