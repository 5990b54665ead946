"""Reads of the operator app."""

from __future__ import annotations

from django.db.models import QuerySet

from operator_app.models import Decision


def decision_list(*, status: str | None = None, provider: str | None = None, limit: int | None = None) -> QuerySet:
    qs = Decision.objects.all().order_by("-suggested_at")
    if status:
        qs = qs.filter(status=status)
    if provider:
        qs = qs.filter(provider=provider)
    return qs[:limit] if limit else qs
