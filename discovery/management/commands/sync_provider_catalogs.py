"""List direct providers' own model IDs into provider_catalog."""

from django.core.management.base import BaseCommand, CommandError

from discovery.catalog_files import CatalogInvalid
from discovery.services import provider_catalogs_sync


class Command(BaseCommand):
    help = ("List each configured provider's model IDs (OpenAI-compatible /v1/models, Anthropic paging, "
            "Bedrock/Vertex via their SDKs) or import a llmops-provider-catalogs/1 --file.")

    def add_arguments(self, parser):
        parser.add_argument("--provider", action="append", dest="providers", metavar="P",
                            help="only this provider (repeatable)")
        parser.add_argument("--file", help="a llmops-provider-catalogs/1 document to import")

    def handle(self, *args, **opts):
        try:
            report = provider_catalogs_sync(providers=opts["providers"], file=opts["file"])
        except CatalogInvalid as exc:
            raise CommandError(str(exc)) from None
        for sync in report.syncs:
            line = f"{sync.provider}: {sync.status} — {sync.count} IDs ({sync.new} new, {sync.pages} page(s))"
            if sync.error:
                line += f" — {sync.error}"
            self.stdout.write(line)
            for entry in sync.skipped_entries:
                self.stderr.write(f"{sync.provider}: skipped {entry}")
        for provider, why in sorted(report.skipped.items()):
            self.stdout.write(f"{provider}: skipped — {why}")
        if report.syncs and len(report.failed) == len(report.syncs):
            raise CommandError("every provider listing failed")
        if not report.syncs:
            self.stderr.write("no provider was listed (no keys configured?)")
