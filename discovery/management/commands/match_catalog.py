"""Match OpenRouter entries to direct providers' real model IDs.

Two modes:
- stored (default): the stored openrouter_catalog against the stored provider_catalog,
  writing the match fields (or only printing with --dry-run);
- replay: `--catalog F --provider-catalogs F --dry-run` matches files with no database
  access at all, printing a JSON array on stdout (catalog-formats.md).
"""

import json
import time

from django.core.management.base import BaseCommand, CommandError

from discovery import catalog_files
from discovery.matching import SKIP_ALIAS, Matcher
from discovery.models import OpenRouterModel
from discovery.services import UNRESOLVED, catalog_match, llm_resolve_ambiguous
from llmops.lib.llm import llm_client
from llmops.lib.progress import Progress


class Command(BaseCommand):
    help = "Match OpenRouter entries to provider model IDs (deterministic rules, then the LLM for ambiguous ones)."
    requires_system_checks = []  # replay mode must not touch the database

    def add_arguments(self, parser):
        parser.add_argument("--catalog", help="OpenRouter catalog file (replay mode)")
        parser.add_argument("--provider-catalogs", help="llmops-provider-catalogs/1 file (replay mode)")
        parser.add_argument("--no-llm", action="store_true", help="deterministic rules only")
        parser.add_argument("--dry-run", action="store_true", help="write nothing")
        parser.add_argument("--rematch", action="store_true", help="also redo already matched/skipped entries")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **opts):
        if opts["catalog"] or opts["provider_catalogs"]:
            return self._replay(opts)
        return self._stored(opts)

    def _replay(self, opts):
        if not (opts["catalog"] and opts["provider_catalogs"]):
            raise CommandError("replay needs both --catalog and --provider-catalogs")
        if not opts["dry_run"]:
            raise CommandError("replay mode writes nothing: add --dry-run (to store, use fetch_openrouter --file "
                               "and sync_provider_catalogs --file, then match_catalog)")
        try:
            read = catalog_files.openrouter_catalog_load(opts["catalog"])
            providers = catalog_files.provider_catalogs_load(opts["provider_catalogs"])
        except catalog_files.CatalogInvalid as exc:
            raise CommandError(str(exc)) from None
        entries = catalog_files.catalog_entries(read.entries)
        for skipped in read.skipped + providers.skipped:
            self.stderr.write(f"skipped {skipped}")
        started = time.perf_counter()
        catalogs = providers.catalogs()
        matcher = Matcher(catalogs)
        progress = Progress("matching", total=len(entries), stream=self.stderr._out).advance
        results = matcher.match_all(entries, as_of=providers.as_of, progress=progress)
        llm_note = ""
        client = None if opts["no_llm"] else llm_client()
        if client is not None:
            outcome = llm_resolve_ambiguous(results={r.openrouter_id: r for r in results},
                                            entries={e.openrouter_id: e for e in entries}, client=client,
                                            catalogs=catalogs)
            if outcome.calls:
                llm_note = f", LLM: {len(outcome.picks)} picked, {len(outcome.discarded)} discarded"
        elapsed = time.perf_counter() - started
        counts = {}
        for r in results:
            counts[r.status] = counts.get(r.status, 0) + 1
        # Router aliases are names for other entries, never models of their own: listed, not matched.
        alias_rows = [{"openrouter_id": a["alias_id"], "skipped": SKIP_ALIAS, "alias_of": a["target_id"] or None,
                       "matches": []} for a in read.aliases]
        if opts["format"] == "json":
            self.stdout.write(json.dumps([r.replay_dict() for r in results] + alias_rows, indent=1))
        else:
            for r in results:
                self.stdout.write(self._line(r))
            for row in alias_rows:
                self.stdout.write(f"{row['openrouter_id']}: router alias of {row['alias_of'] or '(unresolved)'}")
        summary = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
        self.stderr.write(f"matched {len(results)} entries against {len(catalogs)} provider catalogs in "
                          f"{elapsed:.2f}s — {summary}{llm_note}; {len(read.aliases)} router aliases "
                          f"({read.unresolved_aliases} unresolved), {len(read.skipped)} malformed entries skipped")

    @staticmethod
    def _line(result) -> str:
        if result.skipped:
            return f"{result.openrouter_id}: skipped ({result.skipped})"
        if not result.matches:
            return f"{result.openrouter_id}: no direct provider" + (
                f" (ambiguous: {', '.join(sorted(result.candidates))})" if result.candidates else "")
        found = ", ".join(f"{m.provider}={m.model_id} ({m.method} {m.confidence:.2f})" for m in result.matches)
        return f"{result.openrouter_id}: {found}"

    def _stored(self, opts):
        total = OpenRouterModel.objects.filter(match_status__in=UNRESOLVED).count() if not opts["rematch"] \
            else OpenRouterModel.objects.count()
        progress = Progress("matching", total=total, stream=self.stderr._out).advance
        report = catalog_match(use_llm=not opts["no_llm"], rematch=opts["rematch"], dry_run=opts["dry_run"],
                               progress=progress)
        if opts["format"] == "json":
            self.stdout.write(json.dumps([r.replay_dict() for r in report.results], indent=1))
        elif opts["dry_run"]:
            for r in report.results:
                self.stdout.write(self._line(r))
        summary = ", ".join(f"{k}: {v}" for k, v in sorted(report.counts.items())) or "nothing to match"
        self.stderr.write(f"{report.considered} entries considered — {summary}; LLM calls {report.llm_calls}, "
                          f"picks {report.llm_picks}, discarded {len(report.llm_discarded)}, probes {report.probes}"
                          + (" (dry run: nothing written)" if opts["dry_run"] else ""))
        for error in report.errors:
            self.stderr.write(f"warning: {error}")
