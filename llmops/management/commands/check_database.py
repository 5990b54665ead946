"""Read-only: what the database holds for llmops, and what `migrate` would change there."""

from django.core.management.base import BaseCommand

from llmops.db.mongodb.schema import Step, runner_collections
from llmops.db.storage import storage_report


class Command(BaseCommand):
    help = ("Read-only: say which collections (tables) exist, which are missing, which indexes serve llmops's "
            "queries, and what `migrate` would do. Writes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default", help="the database alias (default: default)")

    def handle(self, *args, **options):
        report = storage_report(using=options["database"])
        out = self.stdout.write
        out(f"Database: {report.vendor} {report.database!r}, {len(report.collections)} collections for llmops, "
            f"{len(report.missing)} missing")
        for c in report.collections:
            if not c.exists:
                out(f"  {c.name} ({c.owner}): missing")
                continue
            out(f"  {c.name} ({c.owner}): {c.documents} documents, "
                f"{len(c.indexes)} indexes: " + ", ".join(
                    f"{i.name} {i.keys}{' unique' if i.unique else ''}" for i in c.indexes))
            if c.undeclared:
                out(f"      fields no llmops model declares (kept on every write): {', '.join(c.undeclared)}")
            present = [s for s in c.wanted if s.step == Step.INDEX_SERVED and s.served_by == s.name]
            if present:
                out(f"      {len(present)} of our {len(c.wanted)} indexes present under our names")
            for step in c.wanted:
                if step.step == Step.INDEX_SERVED and step.served_by != step.name:
                    out(f"      our {step.name} {step.keys}: served by {step.served_by}"
                        + (f" ({step.note})" if step.note else ""))
                elif step.step == Step.CREATE_INDEX:
                    out(f"      our {step.name} {step.keys}: missing")
                elif step.step == Step.INDEX_NAME_TAKEN:
                    out(f"      our {step.name} {step.keys}: name taken ({step.note})")
        if report.pending_migrations:
            out(f"Pending migrations ({len(report.pending_migrations)}): {', '.join(report.pending_migrations)}")
        else:
            out("Pending migrations: none")
        if report.vendor != "mongodb":
            return
        if not report.changes:
            out("migrate would change nothing")
        else:
            out(f"migrate would make {len(report.changes)} changes:")
        for step in report.changes:
            out(f"  - {step}")
        if report.kept:
            out(f"migrate would keep {len(report.kept)} existing indexes that already serve ours (whatever their name):")
        for step in report.kept:
            out(f"  - {step.collection}: {step.name} {step.keys} as {step.served_by}" + (f" ({step.note})" if step.note else ""))
        if taken := [s for s in report.migrate_steps if s.step == Step.INDEX_NAME_TAKEN]:
            out(f"and skip {len(taken)} indexes whose name another index holds:")
            for step in taken:
                out(f"  - {step}")
        runner = ", ".join(sorted(runner_collections()))
        out(f"The runner's collections ({runner}) are never rewritten, dropped or renamed: at most an index is added.")
