"""Print the new OpenRouter models with their matches and how to add them."""

from django.core.management.base import BaseCommand

from discovery import selectors
from discovery.models import MatchStatus


class Command(BaseCommand):
    help = "Report new OpenRouter models matched to direct providers (and the ambiguous ones)."

    def handle(self, *args, **opts):
        rows = list(selectors.discovery_new_models())
        matched = [r for r in rows if r.match_status == MatchStatus.MATCHED]
        ambiguous = [r for r in rows if r.match_status == MatchStatus.AMBIGUOUS]
        self.stdout.write(f"Found {len(rows)} new models on OpenRouter "
                          f"({len(matched)} matched to direct providers, {len(ambiguous)} ambiguous)")
        for row in matched:
            self.stdout.write(f"\n  {row.openrouter_id}  {row.name}  (first seen {row.first_seen_at:%Y-%m-%d})")
            for m in row.matches:
                flag = "verified" if m.get("verified") else "unverified"
                self.stdout.write(f"    → {m.get('provider')}: {m.get('model_id')}  "
                                  f"[{m.get('method')} {m.get('confidence')}, {flag}]")
        if ambiguous:
            self.stdout.write("\nAmbiguous (no confident match; review in the admin):")
            for row in ambiguous:
                self.stdout.write(f"  {row.openrouter_id}  {row.match_reasoning[:160]}")
        counts = selectors.discovery_status_counts()
        self.stdout.write("\nCatalog: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        aliases = list(selectors.router_aliases())
        if aliases:
            self.stdout.write(f"Router aliases (not models; never matched): {len(aliases)}, "
                              f"{sum(1 for a in aliases if not a.target_id)} unresolved")
            for alias in aliases:
                self.stdout.write(f"  {alias.alias_id} → {alias.target_id or '(unresolved: the catalog names no target)'}")
        run = selectors.latest_fetch_run()
        if run:
            self.stdout.write(f"Last fetch: {run.started_at:%Y-%m-%d %H:%M} {run.status} ({run.count} entries, "
                              f"{run.new} new, {run.aliases} aliases, {run.skipped} malformed skipped)"
                              f"{' — ' + run.error[:200] if run.error else ''}")
            for entry in run.skipped_entries[:20]:
                self.stdout.write(f"  skipped {entry}")
            if run.skipped > 20:
                self.stdout.write(f"  … and {run.skipped - 20} more (admin: OpenRouter fetch runs)")
        if matched:
            self.stdout.write(
                "\nTo add them as DISABLED candidates: the admin action 'Add matched models to the registry' "
                "on OpenRouter catalog entries, or\n  python manage.py add_matched_models "
                + " ".join(r.openrouter_id for r in matched[:5]) + (" …" if len(matched) > 5 else ""))
