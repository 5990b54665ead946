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
        run = selectors.latest_fetch_run()
        if run:
            self.stdout.write(f"Last fetch: {run.started_at:%Y-%m-%d %H:%M} {run.status} ({run.count} entries, "
                              f"{run.new} new){' — ' + run.error[:200] if run.error else ''}")
        if matched:
            self.stdout.write(
                "\nTo add them as DISABLED candidates: the admin action 'Add matched models to the registry' "
                "on OpenRouter catalog entries, or\n  python manage.py add_matched_models "
                + " ".join(r.openrouter_id for r in matched[:5]) + (" …" if len(matched) > 5 else ""))
