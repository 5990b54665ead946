"""makemigrations that also works with MongoDB settings and no server running.

Stock makemigrations reads the migration history from the database to check its
consistency; on MongoDB with no reachable server that waits for pymongo's server
selection and then fails. Migrations are generated from the models, not the server, so
when the server cannot be reached we skip that one check and say so.
"""

from django.core.management.commands import makemigrations
from django.db import connections
from django.db.migrations.loader import MigrationLoader


class Command(makemigrations.Command):
    def handle(self, *app_labels, **options):
        original = MigrationLoader.check_consistent_history
        command = self

        def tolerant_check(loader, connection):
            if connection.vendor != "mongodb":
                return original(loader, connection)
            from pymongo.errors import PyMongoError

            try:
                return original(loader, connection)
            except PyMongoError as exc:
                command.stderr.write(
                    f"MongoDB server for '{connection.alias}' unreachable ({type(exc).__name__}); "
                    "skipping the migration-history consistency check."
                )

        for connection in connections.all():
            if connection.vendor == "mongodb":
                # Fail fast instead of pymongo's 30 s default when no server answers.
                connection.settings_dict.setdefault("OPTIONS", {})["serverSelectionTimeoutMS"] = min(
                    connection.settings_dict["OPTIONS"].get("serverSelectionTimeoutMS", 2000), 2000
                )
        MigrationLoader.check_consistent_history = tolerant_check
        try:
            return super().handle(*app_labels, **options)
        finally:
            MigrationLoader.check_consistent_history = original
