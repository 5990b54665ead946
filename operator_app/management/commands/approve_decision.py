"""Approve pending decisions (and carry them out with --execute)."""

from django.core.management.base import BaseCommand, CommandError

from operator_app.services import decisions_approve
from registry.services import Actor


class Command(BaseCommand):
    help = "Approve pending operator decisions; --execute also carries out disables (audited, revertible)."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="+", metavar="ID")
        parser.add_argument("--execute", action="store_true")
        parser.add_argument("--note", default="")
        parser.add_argument("--actor", default="cli", help="name recorded in the audit log")

    def handle(self, *args, **opts):
        outcomes = decisions_approve(decision_ids=opts["ids"], actor=Actor.system(opts["actor"]),
                                     execute=opts["execute"], note=opts["note"])
        for raw, outcome in zip(opts["ids"], outcomes):
            self.stdout.write(f"{raw}: {outcome.message}")
        if not any(o.claimed for o in outcomes):
            raise CommandError("nothing was approved")
