"""Reads of the registry (one query each)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count

from registry.models import AuditLog, RegisteredModel


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


@dataclass(frozen=True)
class UnattendedHold:
    """A human reverted a change the operator made unattended: no unattended change of the model
    until a human clears it (registry.services.registry_hold_clear)."""

    provider: str
    model_id: str
    by: str
    at: datetime
    reason: str
    revert_id: str

    @property
    def text(self) -> str:
        return (f"{self.by} reverted an unattended change of it on {self.at:%Y-%m-%d %H:%M} UTC"
                + (f" ({self.reason})" if self.reason else "")
                + f"; unattended changes stay off until a human clears that "
                  f"(manage.py clear_hold {self.provider}/{self.model_id} --reason …)")


def unattended_disable_in_force(*, provider: str, model_id: str) -> AuditLog | None:
    """The operator's unattended disable a model is in (its latest registry change), or None. Enabling
    such a model by hand undoes it (registry.services.registry_enable records `reverts`); the admin's
    enable preview asks here too, so it says so before the service does it."""
    last = (AuditLog.objects.filter(provider=provider, model_id=model_id, action__in=AuditLog.REGISTRY_CHANGES,
                                    status=AuditLog.Status.APPLIED).order_by("-at").first())
    if last is None or last.action != "disable" or last.actor_type != AuditLog.ActorType.OPERATOR:
        return None
    return last


@dataclass(frozen=True)
class BenchmarkEntry:
    """A model came (back) into the benchmark under its current ID: `how` and when."""

    at: datetime
    how: str  # "enabled", "renamed to this ID", "enabled by a revert", "renamed back by a revert"


def registry_entries(*, providers, since: datetime, as_of: datetime) -> dict[tuple[str, str], BenchmarkEntry]:
    """The latest entry of each model into the benchmark in [since, as_of]: an enable, a rename to its
    ID, or either by a revert. A person's undo of an operator change is left out: the verdict memory
    and unattended_holds answer for those (two reads; changes are few: caps and humans bound them)."""
    if not providers:
        return {}
    changes = list(AuditLog.objects.filter(
        action__in=("enable", "rename", "revert"), status=AuditLog.Status.APPLIED, at__gte=since, at__lte=as_of,
        provider__in=sorted(providers)).order_by("at").only(
        "provider", "model_id", "action", "after", "at", "actor_type", "reverts_id"))
    undone = AuditLog.objects.in_bulk([c.reverts_id for c in changes if c.reverts_id])
    entries: dict[tuple[str, str], BenchmarkEntry] = {}
    for change in changes:
        original = undone.get(change.reverts_id) if change.reverts_id else None
        if (original is not None and original.actor_type == AuditLog.ActorType.OPERATOR
                and change.actor_type != AuditLog.ActorType.OPERATOR):
            continue
        after = change.after or {}
        if change.action == "enable":
            key, how = (change.provider, change.model_id), "enabled"
        elif change.action == "rename" and after.get("model_id"):
            key, how = (change.provider, after["model_id"]), "renamed to this ID"
        elif change.action == "revert" and after.get("enabled") is True:
            key, how = (change.provider, change.model_id), "enabled by a revert"
        elif change.action == "revert" and after.get("model_id"):
            key, how = (change.provider, after["model_id"]), "renamed back by a revert"
        else:
            continue
        entries[key] = BenchmarkEntry(at=change.at, how=how)
    return entries


def human_undos():
    """Applied audit entries in which a person undid another change: reverts, and enables by hand of
    a model the operator had disabled (`reverts` names the change undone) — unless undone in turn."""
    return (AuditLog.objects.filter(action__in=("revert", "enable"), status=AuditLog.Status.APPLIED,
                                    reverts__isnull=False, reverted_at__isnull=True)
            .exclude(actor_type=AuditLog.ActorType.OPERATOR))


def unattended_holds(*, providers=None) -> dict[tuple[str, str], UnattendedHold]:
    """Every model whose unattended change a human reverted (with revert_change, or by enabling it by
    hand: registry.services._overridden_disable) and nobody has cleared since (3 reads)."""
    reverts = human_undos()
    clears = AuditLog.objects.filter(action=AuditLog.HOLD_CLEARED, status=AuditLog.Status.APPLIED)
    if providers:
        reverts, clears = reverts.filter(provider__in=sorted(providers)), clears.filter(provider__in=sorted(providers))
    reverts = list(reverts.order_by("at").only("pk", "provider", "model_id", "actor", "at", "reason", "reverts_id"))
    originals = AuditLog.objects.in_bulk([r.reverts_id for r in reverts if r.reverts_id])
    cleared: dict[tuple[str, str], datetime] = {}
    for row in clears.order_by("at").values("provider", "model_id", "at"):
        cleared[(row["provider"], row["model_id"])] = row["at"]
    holds = {}
    for revert in reverts:
        original = originals.get(revert.reverts_id)
        if original is None or original.actor_type != AuditLog.ActorType.OPERATOR:
            continue
        key = (revert.provider, revert.model_id)
        if key in cleared and cleared[key] > revert.at:
            continue
        holds[key] = UnattendedHold(revert.provider, revert.model_id, revert.actor, revert.at, revert.reason,
                                    str(revert.pk))
    return holds


def registry_enabled_providers() -> set[str]:
    """Providers with at least one enabled model: the ones the benchmark runner should write rows for."""
    return {row["provider"] for row in RegisteredModel.objects.filter(enabled=True).values("provider")
            .annotate(n=Count("id")).order_by()}
