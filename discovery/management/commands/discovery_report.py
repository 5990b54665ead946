"""What discovery found that a human can act on: one numbered line per new model, its command."""

from django.core.management.base import BaseCommand

from discovery import selectors
from discovery.models import MatchStatus

# Candidates shown per ambiguous model (the admin has them all).
MAX_PICKS = 6


def _match_text(match: dict) -> str:
    confidence = match.get("confidence")
    shown = f"{confidence:.2f}" if isinstance(confidence, (int, float)) else "n/a"
    return f"{match['provider']}/{match['model_id']} (confidence: {shown})"


class Command(BaseCommand):
    help = ("Report new OpenRouter models, one per model (variants folded in): matched ones first, best "
            "confidence first, then the ambiguous ones with their candidates, each with the command that adds it.")

    def handle(self, *args, **opts):
        waiting = selectors.discovery_new_models_folded()
        by_status = {status: [g for g in waiting if g.status == status] for status in selectors.AWAITING}
        matched, ambiguous = by_status[MatchStatus.MATCHED], by_status[MatchStatus.AMBIGUOUS]
        write = self.stdout.write
        write(f"Found {len(waiting)} new models on OpenRouter:" if waiting else "Found 0 new models on OpenRouter.")
        number = 0
        if matched:
            write("")
        for group in matched:
            number += 1
            first, *others = group.matches
            write(f"{number}. {group.openrouter_id} → {_match_text(first)}")
            if others:
                write("   also: " + ", ".join(_match_text(m) for m in others))
            if group.variants:
                write("   variants folded in: " + ", ".join(group.variants))
            write(f"   add: {group.add_command}")
        if ambiguous:
            write("\nAmbiguous (no confident match): pick the right candidate and run its command:")
        for group in ambiguous:
            number += 1
            candidates = [f"{p}/{m}" for p, ids in group.candidates.items() for m in ids]
            write(f"{number}. {group.openrouter_id}" + (f" ({group.name})" if group.name else ""))
            write("   candidates: " + ", ".join(candidates))
            if group.variants:
                write("   variants folded in: " + ", ".join(group.variants))
            commands = group.pick_commands()
            for command in commands[:MAX_PICKS]:
                write(f"   add: {command}")
            if len(commands) > MAX_PICKS:
                write(f"   (+{len(commands) - MAX_PICKS} more candidates in the admin)")
        unmatched, fresh = by_status[MatchStatus.UNMATCHED], by_status[MatchStatus.NEW]
        if unmatched:
            write(f"\nUnmatched: {len(unmatched)} more no direct provider serves (in the admin, match status "
                  f"\"{MatchStatus.UNMATCHED.label}\").")
        if fresh:
            write(f"Not matched yet: {len(fresh)} (run python manage.py match_catalog).")
        counts = selectors.discovery_status_counts()
        write("\nCatalog entries: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        aliases = list(selectors.router_aliases())
        if aliases:
            write(f"Router aliases (not models; never matched): {len(aliases)}, "
                  f"{sum(1 for a in aliases if not a.target_id)} unresolved")
            for alias in aliases:
                write(f"  {alias.alias_id} → {alias.target_id or '(unresolved: the catalog names no target)'}")
        run = selectors.latest_fetch_run()
        if run:
            write(f"Last fetch: {run.started_at:%Y-%m-%d %H:%M} {run.status} ({run.count} entries, "
                  f"{run.new} new, {run.aliases} aliases, {run.skipped} malformed skipped)"
                  f"{' — ' + run.error[:200] if run.error else ''}")
            for entry in run.skipped_entries[:20]:
                write(f"  skipped {entry}")
            if run.skipped > 20:
                write(f"  … and {run.skipped - 20} more (admin: OpenRouter fetch runs)")
