"""Add matched OpenRouter entries' provider IDs to the registry as disabled candidates."""

import re

from django.core.management.base import BaseCommand, CommandError

from discovery.models import OpenRouterModel
from discovery.services import openrouter_add_matched, openrouter_add_pick
from registry.services import Actor


class Command(BaseCommand):
    help = "Add matched entries (by OpenRouter ID or entry pk) as DISABLED registry candidates (audited)."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="+", metavar="ID", help="OpenRouter ID (org/slug) or entry pk")
        parser.add_argument("--actor", default="cli", help="name recorded in the audit log")
        parser.add_argument("--pick", metavar="PROVIDER/MODEL_ID",
                            help="for one ambiguous entry: add this one of its candidates (discovery_report lists them)")

    def handle(self, *args, **opts):
        if opts["pick"]:
            return self._pick(opts)
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

    def _pick(self, opts):
        if len(opts["ids"]) != 1:
            raise CommandError("--pick takes exactly one OpenRouter ID")
        provider, _, model_id = opts["pick"].partition("/")
        if not provider or not model_id:
            raise CommandError(f"--pick: expected PROVIDER/MODEL_ID, got {opts['pick']!r}")
        ident = opts["ids"][0]
        found = OpenRouterModel.objects.filter(pk=ident) if re.fullmatch(r"[0-9a-fA-F]{24}", ident) \
            else OpenRouterModel.objects.filter(openrouter_id=ident)
        entry = found.only("pk").first()
        if entry is None:
            raise CommandError(f"{ident}: not in the OpenRouter catalog")
        outcome = openrouter_add_pick(entry_id=entry.pk, provider=provider, model_id=model_id,
                                      actor=Actor.system(opts["actor"]))
        if not outcome.added:
            raise CommandError(f"{outcome.openrouter_id} → {provider}/{model_id}: {outcome.error}")
        self.stdout.write(f"{outcome.openrouter_id} → {provider}/{model_id}: added (disabled candidate)")
