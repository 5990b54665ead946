"""Phase 1 of the seed: disable models by provider or by key, dry-run first, audited, revertible."""

import getpass

from django.core.management.base import BaseCommand, CommandError

from llmops.lib.cli import model_key
from registry.selectors import registry_models
from registry.services import Actor, registry_disable_many
from registry.vocabulary import DisabledClass


class Command(BaseCommand):
    help = ("Disable registry models (all of --provider P, or --model provider/model_id). Prints what would change "
            "and the counts; nothing changes without --apply. Every change is audited and revertible "
            "(manage.py revert_change AUDIT_ID).")

    def add_arguments(self, parser):
        parser.add_argument("--provider", action="append", default=[], help="every enabled model of P (repeatable)")
        parser.add_argument("--model", nargs="+", action="extend", default=[], metavar="P/ID",
                            help="models as provider/model_id")
        parser.add_argument("--reason", required=True, help="why (stored on the model and in the audit log)")
        parser.add_argument("--class", dest="disabled_class", default=DisabledClass.MANUAL,
                            choices=DisabledClass.values, help="disabled_class (default manual)")
        parser.add_argument("--apply", action="store_true", help="make the changes (default: dry run)")
        parser.add_argument("--actor", default="", help="name recorded in the audit log (default: your login)")

    def handle(self, *args, **opts):
        reason = opts["reason"].strip()
        if not reason:
            raise CommandError("--reason must not be empty")
        if not opts["provider"] and not opts["model"]:
            raise CommandError("name at least one --provider or --model")
        keys = [model_key(value, option="--model") for value in opts["model"]]
        rows = list(registry_models(providers=opts["provider"])) if opts["provider"] else []
        unknown = sorted(set(opts["provider"]) - {r.provider for r in rows})
        if unknown:
            # A typo must not look like success: nothing of that provider exists to disable.
            raise CommandError(f"--provider {', '.join(unknown)}: no model of that provider in the registry; "
                               "nothing changed")
        if keys:
            found = {r.key: r for r in registry_models(model_keys=keys)}
            missing = [f"{p}/{m}" for p, m in keys if (p, m) not in found]
            if missing:
                raise CommandError(f"not in the registry: {', '.join(missing)}; nothing changed")
            rows += [found[k] for k in keys if found[k] not in rows]
        to_disable = [r for r in rows if r.enabled]
        already = [r for r in rows if not r.enabled]
        verb = "disable" if opts["apply"] else "would disable"
        for row in to_disable:
            self.stdout.write(f"{verb} {row.provider}/{row.model_id}")
        for row in already:
            self.stdout.write(f"already disabled {row.provider}/{row.model_id} ({row.disabled_class or 'no class'})")
        if not opts["apply"]:
            self.stdout.write(f"dry run: {len(to_disable)} would be disabled, {len(already)} already disabled. "
                              "Re-run with --apply to make the changes.")
            return
        actor = Actor.system(opts["actor"]) if opts["actor"] else Actor.system(_login())
        outcomes = registry_disable_many(models=[r.key for r in to_disable], reason=reason,
                                         disabled_class=opts["disabled_class"], actor=actor)
        for outcome in outcomes:
            if outcome.changed:
                self.stdout.write(f"  disabled {outcome.label} (audit {outcome.audit.pk})")
            else:
                self.stderr.write(f"  failed {outcome.label}: {outcome.error}")
        done = [o for o in outcomes if o.changed]
        failed = [o for o in outcomes if not o.changed]
        self.stdout.write(f"disabled {len(done)}, failed {len(failed)}, already disabled {len(already)}. "
                          "Undo one with: manage.py revert_change AUDIT_ID")
        if failed:
            raise CommandError(f"{len(failed)} model(s) could not be disabled (see above)")


def _login() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name in some containers
        return "cli"
