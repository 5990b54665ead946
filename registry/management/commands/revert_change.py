"""Revert one audited registry change (compare-and-swap: refused when the model changed since)."""

from django.core.management.base import BaseCommand, CommandError

from registry.models import AuditLog
from registry.services import Actor, ChangeError, change_revert


class Command(BaseCommand):
    help = "Revert the registry change recorded in audit entry AUDIT_ID (writes its own audit entry)."

    def add_arguments(self, parser):
        parser.add_argument("audit_id")
        parser.add_argument("--reason", default="")
        parser.add_argument("--actor", default="cli", help="name recorded in the audit log")

    def handle(self, *args, **opts):
        try:
            audit = change_revert(audit_id=opts["audit_id"], actor=Actor.system(opts["actor"]), reason=opts["reason"])
        except ChangeError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"reverted {audit.reverts_id}: {audit.provider}/{audit.model_id} (audit {audit.pk})")
        if audit.reverts.actor_type == AuditLog.ActorType.OPERATOR:
            self.stdout.write(f"the operator changes {audit.provider}/{audit.model_id} unattended no more until a "
                              f"human clears that: manage.py clear_hold {audit.provider}/{audit.model_id} "
                              "--reason …")
