from django.conf import settings
from django.core.management.base import BaseCommand

from discovery.models import MatchStatus, OpenRouterModel
from lifecycle.models import BenchmarkError, BenchmarkResult, ModelStatus
from operator_app.models import Decision
from registry.models import RegisteredModel


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
            f"  decisions:     {Decision.objects.filter(status=Decision.Status.PENDING).count()} pending, "
            f"{Decision.objects.filter(executed_at__isnull=False).count()} executed",
            f"  discovery:     {OpenRouterModel.objects.count()} OpenRouter entries, "
            f"{OpenRouterModel.objects.filter(match_status=MatchStatus.MATCHED).count()} matched to direct "
            "providers (manage.py discovery_report)",
            "",
            "Open the admin:  make run   then  " + settings.LLMOPS_BASE_URL + "/admin/  (user admin / admin)",
        ]
        self.stdout.write("\n".join(lines))
