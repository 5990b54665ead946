"""manage.py collect_signals: collect health signals, classify, record model_status."""

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lifecycle.services import signals_collect
from lifecycle.snapshots import MAX_WINDOW_HOURS
from llmops.lib.cli import as_of_argument
from llmops.lib.progress import Progress


def _collect_progress():
    bar = Progress("collecting", stream=sys.stderr)
    return lambda step, done, total: bar.update(done, total, note=step)


class Command(BaseCommand):
    help = ("Collect health signals for every model (grouped reads, O(1) queries), classify them, write "
            "model_status, and optionally export an llmops-snapshots/1 file.")

    def add_arguments(self, parser):
        parser.add_argument("--provider", action="append", dest="providers", metavar="P",
                            help="only this provider (repeatable)")
        parser.add_argument("--export", metavar="FILE", help="also write the snapshot to FILE (atomically)")
        parser.add_argument("--as-of", metavar="ISO", help="the moment to describe (default: now, UTC)")
        parser.add_argument("--window-hours", type=int, metavar="N",
                            help=f"signal window (default SIGNAL_WINDOW_HOURS={settings.SIGNAL_WINDOW_HOURS})")

    def handle(self, *args, **options):
        # It writes model_status (computed_at = as_of): not ahead of the clock.
        as_of = as_of_argument(options["as_of"], writing=True) or timezone.now()
        window = options["window_hours"]
        if window is not None and not 1 <= window <= MAX_WINDOW_HOURS:
            raise CommandError(f"--window-hours must be a positive integer of at most {MAX_WINDOW_HOURS} (a year), "
                               f"got {window}")
        export = options["export"]
        if export:
            parent = Path(export).resolve().parent
            if not parent.is_dir():
                raise CommandError(f"--export: directory {parent} does not exist")

        report = signals_collect(as_of=as_of, window_hours=window, providers=options["providers"],
                                 export_path=export, progress=_collect_progress())
        snapset = report.snapset
        out = self.stdout
        out.write(f"Signals as of {as_of:%Y-%m-%d %H:%M} UTC over {window or settings.SIGNAL_WINDOW_HOURS}h: "
                  f"{len(snapset.models)} models, {len(snapset.providers)} providers; "
                  f"{report.written} model_status rows written.")
        out.write("Lifecycle status: " + (", ".join(f"{k} {v}" for k, v in sorted(report.status_counts.items()))
                                          or "none"))
        out.write("Classifier actions: " + (", ".join(f"{k} {v}" for k, v in sorted(report.action_counts.items()))
                                            or "none"))
        if report.provider_problems:
            for provider, problem in report.provider_problems.items():
                ctx = snapset.providers[provider]
                out.write(self.style.WARNING(
                    f"Provider problem: {provider}: {problem} (error rate {ctx.error_rate:.0%}, "
                    f"{ctx.models_streaking or 0}/{ctx.models or 0} models failing now)"))
        else:
            out.write("Provider problems: none")
        for message in report.silence.messages() if report.silence else []:
            out.write(self.style.ERROR(f"RUNNER SILENT: {message}"))
        if report.held:
            out.write(self.style.ERROR(f"{report.held} model(s) of silent providers left as they were: "
                                       "nothing concluded about them"))
        if report.exported:
            out.write(f"Snapshot exported to {report.exported}")
