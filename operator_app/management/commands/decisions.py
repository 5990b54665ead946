"""List operator decisions."""

import json

from django.core.management.base import BaseCommand, CommandError

from llmops.lib.dates import iso_utc
from operator_app import policy
from operator_app.models import Decision
from operator_app.selectors import decision_list


class Command(BaseCommand):
    help = "List operator decisions (newest first)."

    def add_arguments(self, parser):
        parser.add_argument("--status", choices=Decision.Status.values, help="only this status (e.g. pending)")
        parser.add_argument("--provider")
        parser.add_argument("--limit", type=int, default=200)
        parser.add_argument("--format", choices=("text", "json"), default="text")

    def handle(self, *args, **opts):
        if not 1 <= opts["limit"] <= 100_000:
            raise CommandError(f"--limit must be between 1 and 100000, got {opts['limit']}")
        rows = list(decision_list(status=opts["status"], provider=opts["provider"], limit=opts["limit"]))
        if opts["format"] == "json":
            self.stdout.write(json.dumps([{
                "id": d.pk, "provider": d.provider, "model_id": d.model_id, "action": d.action,
                "confidence": d.confidence, "status": d.status, "error_class": d.error_class,
                "auto_execute": d.auto_execute, "auto_execute_reason": d.auto_execute_reason,
                "suggested_by": d.suggested_by, "suggested_at": iso_utc(d.suggested_at),
                "reasoning": d.reasoning, "proposed_change": d.proposed_change,
            } for d in rows], indent=2))
            return
        if not rows:
            self.stdout.write("no decisions")
            return
        for d in rows:
            self.stdout.write(f"{d.pk}  {d.status:<10} {d.action:<7} {d.confidence:.2f}  {d.provider}/{d.model_id}"
                              f"  [{d.error_class or '-'}, {d.suggested_by}]  auto: {d.auto_execute_reason}")
        self.stdout.write(f"{len(rows)} decision(s); unattended execution needs confidence ≥ {policy.AUTO_CONFIDENCE:.2f}")
