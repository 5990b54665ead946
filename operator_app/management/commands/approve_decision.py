"""Approve pending decisions: each is carried out (a registry change) or acknowledged (no change)."""

from django.core.management.base import BaseCommand, CommandError

from operator_app.services import decisions_approve
from registry.services import Actor


class Command(BaseCommand):
    help = ("Approve pending operator decisions. Approving carries a registry change out at once (disable, "
            "enable, rename: audited, revertible with revert_change); a decision that changes nothing (monitor) "
            "is acknowledged and not proposed again until its evidence changes.")

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="+", metavar="ID")
        parser.add_argument("--execute", action="store_true",
                            help="accepted for old scripts; approving always carries the decision out")
        parser.add_argument("--note", default="")
        parser.add_argument("--actor", default="cli", help="name recorded in the audit log")

    def handle(self, *args, **opts):
        outcomes = decisions_approve(decision_ids=opts["ids"], actor=Actor.system(opts["actor"]), note=opts["note"])
        for outcome in outcomes:
            label = outcome.decision.pk if outcome.decision else ""
            self.stdout.write(f"{label + ': ' if label else ''}{outcome.message}")
        if not any(o.claimed for o in outcomes):
            raise CommandError("nothing was approved")
        if any(o.failed for o in outcomes):
            raise CommandError(f"{sum(o.failed for o in outcomes)} approved decision(s) could not be carried out "
                               "(see above)")
