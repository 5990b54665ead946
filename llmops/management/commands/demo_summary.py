from django.conf import settings
from django.core.management.base import BaseCommand

from lifecycle.models import BenchmarkError, BenchmarkResult, ModelStatus, RegisteredModel


class Command(BaseCommand):
    help = "Print what the database holds and how to open the admin."

    def handle(self, *args, **options):
        lines = [
            "",
            "llmops demo ready",
            f"  registry:      {RegisteredModel.objects.count()} models "
            f"({RegisteredModel.objects.filter(enabled=False).count()} disabled)",
            f"  history:       {BenchmarkResult.objects.count()} results, {BenchmarkError.objects.count()} errors",
            f"  health rows:   {ModelStatus.objects.count()}",
        ]
        try:
            from operator_app.models import Decision

            lines.append(
                f"  decisions:     {Decision.objects.filter(status='pending').count()} pending, "
                f"{Decision.objects.filter(status='executed').count()} executed"
            )
        except Exception:  # pragma: no cover - operator app always installed
            pass
        lines += [
            "",
            "Open the admin:  make run   then  " + settings.LLMOPS_BASE_URL + "/admin/  (user admin / admin)",
        ]
        self.stdout.write("\n".join(lines))
