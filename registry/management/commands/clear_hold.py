"""Allow unattended changes of models again after a human reverted one of the operator's changes."""

from django.core.management.base import BaseCommand, CommandError

from llmops.lib.cli import model_key
from registry.services import Actor, ChangeError, registry_hold_clear


class Command(BaseCommand):
    help = ("A human reverted an unattended change of these models, so the operator changes them only with a "
            "human's approval; this allows unattended changes again (audited).")

    def add_arguments(self, parser):
        parser.add_argument("models", nargs="+", metavar="P/ID")
        parser.add_argument("--reason", required=True)
        parser.add_argument("--actor", default="cli", help="name recorded in the audit log")

    def handle(self, *args, **opts):
        keys = [model_key(value) for value in opts["models"]]
        cleared, failed = 0, []
        for provider, model_id in keys:
            try:
                audit = registry_hold_clear(provider=provider, model_id=model_id, reason=opts["reason"],
                                            actor=Actor.system(opts["actor"]))
            except ChangeError as exc:
                failed.append(str(exc))
                self.stderr.write(str(exc))
                continue
            cleared += 1
            self.stdout.write(f"{provider}/{model_id}: unattended changes allowed again (audit {audit.pk})")
        if failed:
            raise CommandError(f"{len(failed)} of {len(keys)} not cleared")
