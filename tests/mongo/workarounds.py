"""Experiment-only pytest plugin: get past known application bugs on MongoDB, loudly.

NOT loaded by any make target: those must show the real state. Load it by hand to see what
breaks *after* a known bug, e.g.

    python tests/mongo/serve.py -- .venv/bin/python -m pytest -p tests.mongo.workarounds ...

Each workaround names the bug it hides; delete it when the bug is fixed.

1. operator_app.0001_initial creates `decisions_run_idx` on {run_id: 1}, which the foreign key
   already indexes (as operator_decisions_run_id_…): MongoDB answers code 85
   IndexOptionsConflict and `migrate` (so the test database) fails. Here an index whose key
   pattern already exists under another name is skipped with a warning, which is what mongod
   would leave you with if the redundant Meta.indexes entry were dropped.
"""

from __future__ import annotations

import warnings

import pytest


def _skip_duplicate_key_pattern_indexes():
    from django_mongodb_backend.schema import DatabaseSchemaEditor
    from pymongo.errors import OperationFailure

    original = DatabaseSchemaEditor.add_index
    if getattr(original, "__workaround__", False):
        return

    def add_index(self, model, index, *args, **kwargs):
        try:
            return original(self, model, index, *args, **kwargs)
        except OperationFailure as exc:
            if exc.code != 85:
                raise
            warnings.warn(f"workarounds: skipped index {index.name!r} on {model._meta.db_table}: {exc}", stacklevel=2)

    add_index.__workaround__ = True
    DatabaseSchemaEditor.add_index = add_index


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django_mongodb_backend":
        _skip_duplicate_key_pattern_indexes()
