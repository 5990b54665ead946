"""Reads of the registry (one query each)."""

from __future__ import annotations

from django.db.models import Count

from registry.models import RegisteredModel


def registry_models(*, providers=None, model_keys=None, enabled: bool | None = None) -> list[RegisteredModel]:
    """Registry rows for the given providers and/or (provider, model_id) keys."""
    qs = RegisteredModel.objects.all().order_by("provider", "model_id")
    if providers:
        qs = qs.filter(provider__in=list(providers))
    if enabled is not None:
        qs = qs.filter(enabled=enabled)
    if not model_keys:
        return list(qs)
    wanted = {tuple(k) for k in model_keys}
    rows = qs.filter(provider__in=sorted({p for p, _ in wanted}), model_id__in=sorted({m for _, m in wanted}))
    return [r for r in rows if r.key in wanted]


def registry_states(*, providers=None) -> list[dict]:
    """provider, model_id, enabled and deprecated of every registered model (of `providers`)."""
    qs = RegisteredModel.objects.all()
    if providers:
        qs = qs.filter(provider__in=sorted(providers))
    return list(qs.order_by().values("provider", "model_id", "enabled", "deprecated"))


def registry_keys() -> set[tuple[str, str]]:
    return set(RegisteredModel.objects.values_list("provider", "model_id"))


def registry_model_ids_lower() -> set[str]:
    return {m.lower() for m in RegisteredModel.objects.values_list("model_id", flat=True)}


def registry_enabled_providers() -> set[str]:
    """Providers with at least one enabled model: the ones the benchmark runner should write rows for."""
    return {row["provider"] for row in RegisteredModel.objects.filter(enabled=True).values("provider")
            .annotate(n=Count("id")).order_by()}
