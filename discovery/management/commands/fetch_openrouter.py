"""Fetch the OpenRouter catalog (or load a saved response) and upsert it."""

from django.core.management.base import BaseCommand, CommandError

from discovery.services import openrouter_fetch


class Command(BaseCommand):
    help = ("GET the OpenRouter /api/v1/models catalog (or --file a saved body), validate each entry (malformed "
            "ones are skipped and named), upsert it; router aliases are stored as aliases.")

    def add_arguments(self, parser):
        parser.add_argument("--file", help="a saved /api/v1/models response to load instead of fetching")
        parser.add_argument("--url", help="override OPENROUTER_MODELS_URL")

    def handle(self, *args, **opts):
        run = openrouter_fetch(file=opts["file"], url=opts["url"])
        if run.status != run.Status.COMPLETE:
            raise CommandError(f"fetch failed, stored catalog left untouched: {run.error}")
        self.stdout.write(f"OpenRouter catalog from {run.source}: {run.count} entries, {run.new} new, "
                          f"{run.aliases} router aliases, {run.skipped} malformed entries skipped")
        for entry in run.skipped_entries:
            self.stderr.write(f"skipped {entry}")
        if run.skipped > len(run.skipped_entries):
            self.stderr.write(f"… and {run.skipped - len(run.skipped_entries)} more skipped")
