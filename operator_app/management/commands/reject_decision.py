"""Reject pending decisions with a reason: the rejection holds until the evidence changes."""

from django.core.management.base import BaseCommand, CommandError

from operator_app.services import decisions_reject
from registry.services import Actor, ChangeError


class Command(BaseCommand):
    help = ("Reject pending operator decisions (a reason is required). The same action on the same evidence is "
            "not proposed again (OPERATOR_VERDICT_TTL_DAYS); new evidence brings it back as a suggestion.")

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
        for outcome in outcomes:
            label = outcome.decision.pk if outcome.decision else ""
            self.stdout.write(f"{label + ': ' if label else ''}{outcome.message}")
        if not any(o.claimed for o in outcomes):
            raise CommandError("nothing was rejected")
