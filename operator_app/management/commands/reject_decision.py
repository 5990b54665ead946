"""Reject pending decisions with a reason."""

from django.core.management.base import BaseCommand, CommandError

from operator_app.services import decisions_reject
from registry.services import Actor, ChangeError


class Command(BaseCommand):
    help = "Reject pending operator decisions (a reason is required)."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="+", metavar="ID")
        parser.add_argument("--reason", required=True)
        parser.add_argument("--actor", default="cli", help="name recorded in the audit log")

    def handle(self, *args, **opts):
        try:
            outcomes = decisions_reject(decision_ids=opts["ids"], actor=Actor.system(opts["actor"]),
                                        reason=opts["reason"])
        except ChangeError as exc:
            raise CommandError(str(exc)) from None
        for raw, outcome in zip(opts["ids"], outcomes):
            self.stdout.write(f"{raw}: {outcome.message}")
        if not any(o.claimed for o in outcomes):
            raise CommandError("nothing was rejected")
