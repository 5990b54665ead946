from django.conf import settings
from django.core.management.base import BaseCommand

from discovery.models import MatchStatus, OpenRouterModel
from lifecycle.models import BenchmarkError, BenchmarkResult, ModelStatus
from operator_app.models import Decision
from registry.models import AuditLog, RegisteredModel


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
            *self._lifecycle(),
            "",
            "Open the admin:  make run   then  " + settings.LLMOPS_BASE_URL + "/admin/  (user admin / admin)",
        ]
        self.stdout.write("\n".join(lines))

    def _lifecycle(self) -> list[str]:
        """What the recheck brought back and what waits to get in (probes: manage.py recheck_models)."""
        lines = []
        for audit in AuditLog.objects.filter(action="enable", status=AuditLog.Status.APPLIED,
                                             actor_type=AuditLog.ActorType.OPERATOR).order_by("-at")[:3]:
            lines.append(f"  recovered:     {audit.provider}/{audit.model_id} enabled again unattended after two "
                         f"successful probes (revert: manage.py revert_change {audit.pk})")
        for decision in Decision.objects.filter(status=Decision.Status.PENDING, action="enable").order_by(
                "provider", "model_id")[:3]:
            lines.append(f"  admission:     {decision.provider}/{decision.model_id} answered its probes; enable it: "
                         f"manage.py approve_decision {decision.pk}")
        return lines
