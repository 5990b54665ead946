"""Send the daily health report (or print it with --dry-run). Needs no Redis."""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone as dj_timezone

from llmops.lib.cli import as_of_argument
from operator_app.report import ReportError, health_report_send


class Command(BaseCommand):
    help = "Email the daily health report to HEALTH_REPORT_TO (or --to); --dry-run prints it instead."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="print the email instead of sending it")
        parser.add_argument("--to", nargs="+", default=[], metavar="ADDR",
                            help="recipients (default: settings.HEALTH_REPORT_TO)")
        parser.add_argument("--days", type=int, default=1, help="length of the period in days (default 1)")
        parser.add_argument("--as-of", default="", help="end of the period, ISO 8601 (default: now)")

    def handle(self, *args, **options):
        # The report writes nothing: a future end of period is only an odd question, not a risk.
        as_of = as_of_argument(options["as_of"], writing=False) or dj_timezone.now()
        try:
            outcome = health_report_send(as_of=as_of, days=options["days"], to=options["to"],
                                         dry_run=options["dry_run"])
        except ReportError as exc:
            raise CommandError(str(exc)) from None
        email = outcome.email
        if options["dry_run"]:
            self.stdout.write(f"To: {', '.join(outcome.to) or '(nobody: set HEALTH_REPORT_TO or pass --to)'}")
            self.stdout.write(f"Subject: {email.subject}\n")
            self.stdout.write(email.text)
            self.stdout.write("\n---- text/html part ----\n")
            self.stdout.write(email.html)
            if outcome.alert:
                self.stdout.write(f"\n---- alert to {len(settings.ALERT_URLS)} ALERT_URLS ----\n")
                self.stdout.write(outcome.alert)
            sys.stderr.write("dry run: nothing sent\n")
            return
        self.stdout.write(f"sent \"{email.subject}\" to {', '.join(outcome.to)}")
        for alert in outcome.alerts:
            if alert.sent:
                self.stdout.write(f"alert sent to {alert.target}")
            else:
                self.stderr.write(f"alert to {alert.target} failed: {alert.error}")
