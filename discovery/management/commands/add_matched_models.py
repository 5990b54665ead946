"""Add matched OpenRouter entries' provider IDs to the registry as disabled candidates."""

import re

from django.core.management.base import BaseCommand, CommandError

from discovery.models import OpenRouterModel
from discovery.services import openrouter_add_matched
from registry.services import Actor


class Command(BaseCommand):
    help = "Add matched entries (by OpenRouter ID or entry pk) as DISABLED registry candidates (audited)."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="+", metavar="ID", help="OpenRouter ID (org/slug) or entry pk")
        parser.add_argument("--actor", default="cli", help="name recorded in the audit log")

    def handle(self, *args, **opts):
        pks = [i for i in opts["ids"] if re.fullmatch(r"[0-9a-fA-F]{24}", i)]
        oids = [i for i in opts["ids"] if i not in pks]
        entry_ids = set(pks) | set(OpenRouterModel.objects.filter(openrouter_id__in=oids).values_list("pk", flat=True))
        missing = set(oids) - set(OpenRouterModel.objects.filter(openrouter_id__in=oids)
                                  .values_list("openrouter_id", flat=True))
        for oid in sorted(missing):
            self.stderr.write(f"{oid}: not in the OpenRouter catalog")
        outcomes = openrouter_add_matched(entry_ids=sorted(entry_ids), actor=Actor.system(opts["actor"]))
        for o in outcomes:
            target = f" → {o.provider}/{o.model_id}" if o.provider else ""
            self.stdout.write(f"{o.openrouter_id}{target}: {'added (disabled candidate)' if o.added else o.error}")
        if not any(o.added for o in outcomes):
            raise CommandError("nothing was added")
