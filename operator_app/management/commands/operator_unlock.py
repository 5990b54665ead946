"""Break the operator lock a killed pass left behind (audited), for those who cannot wait a lease."""

import getpass

from django.core.management.base import BaseCommand, CommandError

from operator_app.locking import UnlockRefused, lock_break
from registry.services import Actor


class Command(BaseCommand):
    help = ("Remove the operator lock and mark its run abandoned (audited). A lapsed lease is cleared; a live one "
            "(a pass still renewing it) needs --force, and that pass then stops at its next renewal.")

    def add_arguments(self, parser):
        parser.add_argument("--reason", required=True, help="why (stored in the audit log)")
        parser.add_argument("--force", action="store_true", help="also break a live lease")
        parser.add_argument("--actor", default="", help="name recorded in the audit log (default: your login)")

    def handle(self, *args, **opts):
        actor = Actor.system(opts["actor"] or _login())
        try:
            outcome = lock_break(actor=actor, reason=opts["reason"], force=opts["force"])
        except UnlockRefused as exc:
            raise CommandError(str(exc)) from None
        lock = outcome.lock
        state = "lapsed" if outcome.lapsed else "live (broken with --force)"
        self.stdout.write(f"removed the operator lock held since {lock.acquired_at:%Y-%m-%d %H:%M:%S} UTC, lease "
                          f"{state} (audit {outcome.audit.pk})")
        if outcome.run is not None:
            verb = "marked abandoned" if outcome.abandoned else f"left as it was ({outcome.run.status})"
            self.stdout.write(f"run {outcome.run.pk} started {outcome.run.started_at:%Y-%m-%d %H:%M:%S} UTC: {verb}")


def _login() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name in some containers
        return "cli"
