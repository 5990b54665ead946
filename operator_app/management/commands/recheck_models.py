"""Probe disabled models and candidates that are due, and decide what comes back (operator_app.recovery)."""

import json

from django.core.management.base import BaseCommand, CommandError

from llmops.lib.cli import model_key
from llmops.lib.progress import Progress
from operator_app.locking import LockBusy
from operator_app.recovery import RecheckError, recheck_run
from operator_app.summary import recheck_json, recheck_text


class Command(BaseCommand):
    help = ("Probe the disabled models that are due (recoverable classes past recheck_after, candidates from "
            "discovery, enabled models past their announced retirement) with one minimal real request each, "
            "within PROBE_MAX_PER_RUN / PROBE_MAX_PER_PROVIDER: a success proposes (or, within the policy, "
            "carries out) an enable; a failure moves recheck_after out 3, 7, then 30 days; two refusals reject a "
            "candidate. --model probes that model now, hard classes included.")

    def add_arguments(self, parser):
        parser.add_argument("--provider", action="append", default=[], help="only this provider (repeatable)")
        parser.add_argument("--model", action="append", default=[], metavar="P/ID",
                            help="probe this disabled model now, whatever its class (repeatable)")
        parser.add_argument("--dry-run", action="store_true", help="say what is due; probe and write nothing")
        parser.add_argument("--format", choices=("text", "json"), default="text")

    def handle(self, *args, **opts):
        model_keys = [model_key(m, option="--model") for m in opts["model"]]
        bar = Progress("probing", stream=self.stderr._out)
        try:
            report = recheck_run(providers=opts["provider"] or None, model_keys=model_keys or None,
                                 dry_run=opts["dry_run"], progress=lambda n: bar.advance(n))
        except (RecheckError, LockBusy) as exc:
            raise CommandError(str(exc)) from None
        if opts["format"] == "json":
            self.stdout.write(json.dumps(recheck_json(report), indent=2))
        else:
            self.stdout.write(recheck_text(report))
        if model_keys and not opts["dry_run"]:
            probed = {t.key for t, _ in report.probed}
            missed = [f"{p}/{m}" for p, m in model_keys if (p, m) not in probed]
            if missed:
                raise CommandError(f"not probed: {', '.join(missed)} "
                                   f"({'; '.join(report.skipped.values()) or 'over the caps'})")
