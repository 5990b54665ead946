"""Reads of the operator app."""

from __future__ import annotations

from django.db.models import QuerySet

from lifecycle.models import RegisteredModel
from operator_app.models import AuditLog, Decision


def decision_list(*, status: str | None = None, provider: str | None = None, limit: int | None = None) -> QuerySet:
    qs = Decision.objects.all().order_by("-suggested_at")
    if status:
        qs = qs.filter(status=status)
    if provider:
        qs = qs.filter(provider=provider)
    return qs[:limit] if limit else qs


def registry_models(*, providers=None, model_keys=None, enabled: bool | None = None) -> list[RegisteredModel]:
    """Registry rows for the given providers and/or provider/model_id keys (one query)."""
    qs = RegisteredModel.objects.all().order_by("provider", "model_id")
    if providers:
        qs = qs.filter(provider__in=list(providers))
    if enabled is not None:
        qs = qs.filter(enabled=enabled)
    rows = list(qs) if not model_keys else list(
        qs.filter(provider__in=sorted({p for p, _ in model_keys}), model_id__in=sorted({m for _, m in model_keys}))
    )
    if model_keys:
        wanted = set(model_keys)
        rows = [r for r in rows if r.key in wanted]
    return rows


def audit_get(*, audit_id: str) -> AuditLog | None:
    return AuditLog.objects.filter(pk=audit_id).first()
