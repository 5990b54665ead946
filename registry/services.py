"""The one way the registry changes: audited, per item, revertible.

Every change writes its AuditLog row first (status `pending`), then applies the change
with a conditional update on the registry row, then marks the row `applied` or
`failed`. MongoDB has no transactions here, so the audit row existing before the change
is what guarantees nothing happens unrecorded; the conditional update (`filter(pk=…,
enabled=True).update(…)`) is what makes two concurrent disables apply once.

Single changes raise ChangeError (with a typed `code`); the bulk services
(`registry_disable_many`, `registry_enable_many`) catch it per item, so one failing item
never aborts the others, and return one ChangeOutcome per model.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from llmops.lib.dates import iso_utc, parse_iso, to_millis
from llmops.lib.documents import undeclared_fields
from llmops.lib.text import sanitize_text
from registry.models import CANDIDATE_REJECTED_PREFIX, CANDIDATE_WITHDRAWN_PREFIX, AuditLog, RegisteredModel
from registry.selectors import unattended_disable_in_force, unattended_holds
from registry.vocabulary import RECOVERABLE_CLASSES, DisabledClass

logger = logging.getLogger(__name__)

# Registry fields a change may touch that hold datetimes (stored as ISO text in before/after).
_DATETIME_FIELDS = {"disabled_at", "recheck_after"}


class ChangeError(Exception):
    """A registry change that cannot be made; the message says why, for a human; `code` says
    which kind of refusal it is, for code."""

    NOT_FOUND = "not_found"  # no such model or audit entry
    ALREADY = "already"  # the registry already holds what the change would make
    CONFLICT = "conflict"  # someone else changed the row meanwhile
    INVALID = "invalid"  # the request itself is wrong

    def __init__(self, message: str, *, code: str = INVALID):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a person, the operator engine, or a system job."""

    name: str
    type: str  # "user" | "operator" | "system"
    user: Any = None

    @classmethod
    def for_user(cls, user) -> "Actor":
        return cls(name=user.get_username(), type=AuditLog.ActorType.USER, user=user)

    @classmethod
    def operator(cls) -> "Actor":
        return cls(name="operator", type=AuditLog.ActorType.OPERATOR)

    @classmethod
    def system(cls, name: str) -> "Actor":
        return cls(name=name, type=AuditLog.ActorType.SYSTEM)


@dataclass
class ChangeOutcome:
    """One model's result in a bulk change: the audit entry, or the refusal."""

    provider: str
    model_id: str
    audit: AuditLog | None = None
    error: str = ""
    code: str = ""

    @property
    def changed(self) -> bool:
        return self.audit is not None

    @property
    def label(self) -> str:
        return f"{self.provider}/{self.model_id}"


# --- helpers ---------------------------------------------------------------------------

def _json_value(value):
    # Milliseconds: the before/after images must equal what the database holds (to_millis).
    return iso_utc(value, millis=True) if isinstance(value, datetime) else value


def _from_json(field: str, value):
    if field in _DATETIME_FIELDS and isinstance(value, str):
        return parse_iso(value)
    return value


def _fields(row: RegisteredModel, names) -> dict:
    return {name: _json_value(getattr(row, name)) for name in names}


def _ref(obj) -> str:
    return str(obj.pk) if obj is not None else ""


def _audit_start(*, action, provider, model_id, before, after, reason, actor, decision=None, run=None,
                 reversible=True, reverts=None) -> AuditLog:
    return AuditLog.objects.create(
        at=timezone.now(),
        actor_type=actor.type,
        actor=actor.name,
        user=actor.user if getattr(actor.user, "pk", None) else None,
        action=action,
        provider=provider,
        model_id=model_id,
        before=before,
        after=after,
        reason=reason or "",
        status=AuditLog.Status.PENDING,
        reversible=reversible,
        reverts=reverts,
        decision_ref=_ref(decision),
        run_ref=_ref(run),
    )


def _audit_finish(audit: AuditLog, *, error: str = "") -> AuditLog:
    audit.status = AuditLog.Status.FAILED if error else AuditLog.Status.APPLIED
    audit.error = error
    AuditLog.objects.filter(pk=audit.pk).update(status=audit.status, error=error)
    return audit


def _fail(audit: AuditLog, message: str, *, code: str = ChangeError.CONFLICT):
    _audit_finish(audit, error=message)
    raise ChangeError(message, code=code)


def _apply(audit: AuditLog, write, *, landed):
    """Run the registry write `write()`; if the database raises, settle the audit row before the
    error propagates, so no row is left `pending` when we can tell what happened: `failed` if
    `landed()` shows the registry unchanged, `applied` if the write did land (a lost reply).
    If the database cannot even answer that, the row stays `pending` — nothing is claimed."""
    try:
        return write()
    except Exception as exc:
        try:
            if landed():
                _audit_finish(audit)
                return 1
            _audit_finish(audit, error=sanitize_text(f"database error, nothing changed: {type(exc).__name__}: {exc}",
                                                     limit=1000))
        except Exception:
            logger.exception("audit %s: could not settle after a database error", audit.pk)
        raise


def _registry_row(provider: str, model_id: str) -> RegisteredModel:
    row = RegisteredModel.objects.filter(provider=provider, model_id=model_id).first()
    if row is None:
        raise ChangeError(f"{provider}/{model_id} is not in the registry", code=ChangeError.NOT_FOUND)
    return row


def audit_record(*, action: str, actor: Actor, reason: str = "", provider: str = "", model_id: str = "",
                 decision=None, run=None, before=None, after=None) -> AuditLog:
    """An applied, non-reversible audit row for something that is not a registry change (reviews)."""
    audit = _audit_start(action=action, provider=provider, model_id=model_id, before=before, after=after,
                         reason=reason, actor=actor, decision=decision, run=run, reversible=False)
    return _audit_finish(audit)


def audit_records(*, actor: Actor, entries: list[dict]) -> list[AuditLog]:
    """`audit_record` for many reviews at once: one bulk insert instead of two writes each.

    A review's change is the conditional update that claimed it, which has already landed,
    so the rows are written `applied`. Each entry: action, provider, model_id, and
    optionally reason, decision, run, after.
    """
    now = timezone.now()
    user = actor.user if getattr(actor.user, "pk", None) else None
    rows = [
        AuditLog(at=now, actor_type=actor.type, actor=actor.name, user=user, action=e["action"],
                 provider=e.get("provider", ""), model_id=e.get("model_id", ""), after=e.get("after"),
                 reason=e.get("reason") or "", status=AuditLog.Status.APPLIED, reversible=False,
                 decision_ref=_ref(e.get("decision")), run_ref=_ref(e.get("run")))
        for e in entries
    ]
    if rows:
        AuditLog.objects.bulk_create(rows)
    return rows


# --- changes -----------------------------------------------------------------------------

def registry_disable(*, provider: str, model_id: str, reason: str, disabled_class: str, actor: Actor,
                     decision=None, run=None, now: datetime | None = None) -> AuditLog:
    if disabled_class not in DisabledClass.values:
        raise ChangeError(f"unknown disabled_class {disabled_class!r} (one of {', '.join(DisabledClass.values)})")
    now = to_millis(now or timezone.now())
    row = _registry_row(provider, model_id)
    if refusal := row.toggle_refusal(enable=False):
        raise ChangeError(f"{provider}/{model_id} is {refusal}", code=ChangeError.ALREADY)
    recheck = now + timedelta(hours=settings.OPERATOR_RECHECK_HOURS) if disabled_class in RECOVERABLE_CLASSES else None
    new = {
        "enabled": False,
        "disabled_reason": reason or "",
        "disabled_at": now,
        "disabled_by": actor.name,
        "disabled_class": disabled_class,
        "recheck_after": recheck,
    }
    audit = _audit_start(
        action="disable", provider=provider, model_id=model_id, before=_fields(row, new),
        after={k: _json_value(v) for k, v in new.items()}, reason=reason, actor=actor, decision=decision, run=run,
    )
    updated = _apply(audit, lambda: RegisteredModel.objects.filter(pk=row.pk, enabled=True).update(**new),
                     landed=lambda: RegisteredModel.objects.filter(pk=row.pk, enabled=False, disabled_at=now).exists())
    if updated != 1:
        _fail(audit, f"{provider}/{model_id} was disabled by someone else meanwhile; nothing changed")
    return _audit_finish(audit)


def registry_enable(*, provider: str, model_id: str, reason: str, actor: Actor, decision=None, run=None) -> AuditLog:
    row = _registry_row(provider, model_id)
    if refusal := row.toggle_refusal(enable=True):
        raise ChangeError(f"{provider}/{model_id} is {refusal}", code=ChangeError.ALREADY)
    new = {"enabled": True, "disabled_reason": "", "disabled_at": None, "disabled_by": "", "disabled_class": "",
           "recheck_after": None}
    audit = _audit_start(
        action="enable", provider=provider, model_id=model_id, before=_fields(row, new),
        after={k: _json_value(v) for k, v in new.items()}, reason=reason, actor=actor, decision=decision, run=run,
        reverts=_overridden_disable(row, actor=actor, decision=decision),
    )
    # (An enable by someone else at the same moment looks the same: the registry is enabled either way.)
    updated = _apply(audit, lambda: RegisteredModel.objects.filter(pk=row.pk, enabled=False).update(**new),
                     landed=lambda: RegisteredModel.objects.filter(pk=row.pk, enabled=True).exists())
    if updated != 1:
        _fail(audit, f"{provider}/{model_id} was enabled by someone else meanwhile; nothing changed")
    return _audit_finish(audit)


def _overridden_disable(row: RegisteredModel, *, actor: Actor, decision) -> AuditLog | None:
    """The disable a person's own enable undoes, when it was the operator's unattended one: enabling it
    by hand (the admin's action, a script) is a revert in all but name, and holds like one. Not when
    the enable carries out a decision: approving the operator's own suggestion is agreement."""
    if actor.type == AuditLog.ActorType.OPERATOR or decision is not None:
        return None
    return unattended_disable_in_force(provider=row.provider, model_id=row.model_id)


def _disabled_episode(provider: str, model_id: str) -> RegisteredModel:
    row = _registry_row(provider, model_id)
    if row.enabled:
        raise ChangeError(f"{provider}/{model_id} is enabled; nothing to recheck", code=ChangeError.ALREADY)
    return row


def _bookkeeping(*, action: str, row: RegisteredModel, new: dict, reason: str, actor: Actor) -> AuditLog:
    """Change fields of a disabled model's current episode (the same disabled_at), audited first. Not a
    registry change a revert must see (AuditLog.REGISTRY_CHANGES): it moves when the model is looked at
    again, never whether the benchmark runs it."""
    audit = _audit_start(action=action, provider=row.provider, model_id=row.model_id, before=_fields(row, new),
                         after={k: _json_value(v) for k, v in new.items()}, reason=reason, actor=actor,
                         reversible=False)
    same = {"pk": row.pk, "enabled": False, "disabled_at": row.disabled_at, "recheck_after": row.recheck_after,
            "disabled_reason": row.disabled_reason}
    updated = _apply(audit, lambda: RegisteredModel.objects.filter(**same).update(**new),
                     landed=lambda: RegisteredModel.objects.filter(pk=row.pk, **new).exists())
    if updated != 1:
        _fail(audit, f"{row.provider}/{row.model_id} changed meanwhile; nothing recorded")
    return _audit_finish(audit)


def registry_recheck_defer(*, provider: str, model_id: str, recheck_after: datetime, reason: str,
                           actor: Actor) -> AuditLog:
    """Move a disabled model's next recheck (a failed probe's backoff), compare-and-swap on its episode."""
    row = _disabled_episode(provider, model_id)
    return _bookkeeping(action="recheck_defer", row=row, new={"recheck_after": to_millis(recheck_after)},
                        reason=reason, actor=actor)


def registry_candidate_reject(*, provider: str, model_id: str, reason: str, recheck_after: datetime,
                              actor: Actor) -> AuditLog:
    """Mark a candidate rejected (it stays a disabled candidate, looked at again after `recheck_after`)."""
    row = _disabled_episode(provider, model_id)
    if not row.is_candidate:
        raise ChangeError(f"{provider}/{model_id} is not a candidate", code=ChangeError.INVALID)
    text = f"{CANDIDATE_REJECTED_PREFIX}: {sanitize_text(reason, limit=1500)}"
    return _bookkeeping(action="reject_candidate", row=row, reason=reason, actor=actor,
                        new={"disabled_reason": text, "recheck_after": to_millis(recheck_after)})


def _many(models, change) -> list[ChangeOutcome]:
    outcomes = []
    for provider, model_id in models:
        outcome = ChangeOutcome(provider, model_id)
        try:
            outcome.audit = change(provider, model_id)
        except ChangeError as exc:
            outcome.error, outcome.code = str(exc), exc.code
        outcomes.append(outcome)
    return outcomes


def registry_disable_many(*, models, reason: str, disabled_class: str, actor: Actor) -> list[ChangeOutcome]:
    """Disable each (provider, model_id) in `models` on its own (the admin action and disable_models)."""
    return _many(models, lambda p, m: registry_disable(provider=p, model_id=m, reason=reason,
                                                       disabled_class=disabled_class, actor=actor))


def registry_enable_many(*, models, reason: str, actor: Actor) -> list[ChangeOutcome]:
    """Enable each (provider, model_id) in `models` on its own (the admin action)."""
    return _many(models, lambda p, m: registry_enable(provider=p, model_id=m, reason=reason, actor=actor))


def registry_rename(*, provider: str, model_id: str, new_model_id: str, reason: str, actor: Actor,
                    decision=None, run=None) -> AuditLog:
    new_model_id = (new_model_id or "").strip()
    if not new_model_id:
        raise ChangeError("the new model_id is empty")
    if new_model_id == model_id:
        raise ChangeError(f"{provider}/{model_id} already has that model_id", code=ChangeError.ALREADY)
    row = _registry_row(provider, model_id)
    if RegisteredModel.objects.filter(provider=provider, model_id=new_model_id).exists():
        raise ChangeError(f"{provider}/{new_model_id} is already in the registry", code=ChangeError.ALREADY)
    audit = _audit_start(
        action="rename", provider=provider, model_id=model_id, before={"model_id": model_id},
        after={"model_id": new_model_id}, reason=reason, actor=actor, decision=decision, run=run,
    )
    try:
        with transaction.atomic():  # a savepoint on SQL; a no-op on MongoDB
            updated = RegisteredModel.objects.filter(pk=row.pk, model_id=model_id).update(model_id=new_model_id)
    except IntegrityError:
        _fail(audit, f"{provider}/{new_model_id} appeared in the registry meanwhile; nothing changed")
    if updated != 1:
        _fail(audit, f"{provider}/{model_id} changed meanwhile; nothing renamed")
    return _audit_finish(audit)


def registry_add(*, provider: str, model_id: str, reason: str, actor: Actor, display_name: str = "",
                 provenance: dict | None = None) -> AuditLog:
    """Add a model as a DISABLED candidate: a human enables it once it has been checked."""
    provider, model_id = (provider or "").strip(), (model_id or "").strip()
    if not provider or not model_id:
        raise ChangeError("provider and model_id are required")
    if RegisteredModel.objects.filter(provider=provider, model_id=model_id).exists():
        raise ChangeError(f"{provider}/{model_id} is already in the registry", code=ChangeError.ALREADY)
    now = to_millis(timezone.now())
    fields = {
        "display_name": display_name or "",
        "enabled": False,
        "disabled_reason": f"candidate: {reason}" if reason else "candidate",
        "disabled_at": now,
        "disabled_by": actor.name,
        "disabled_class": DisabledClass.MANUAL,
    }
    after = {"provider": provider, "model_id": model_id, **{k: _json_value(v) for k, v in fields.items()}}
    if provenance:
        after["provenance"] = provenance
    audit = _audit_start(action="add", provider=provider, model_id=model_id, before=None, after=after,
                         reason=reason, actor=actor)
    try:
        with transaction.atomic():  # a savepoint on SQL; a no-op on MongoDB
            RegisteredModel.objects.create(provider=provider, model_id=model_id, created_at=now, **fields)
    except IntegrityError:
        _fail(audit, f"{provider}/{model_id} was added by someone else meanwhile", code=ChangeError.ALREADY)
    return _audit_finish(audit)


# --- revert --------------------------------------------------------------------------------

def _images(original: AuditLog) -> tuple[dict, dict]:
    parse = lambda image: {k: _from_json(k, v) for k, v in (image or {}).items()}  # noqa: E731
    return parse(original.before), parse(original.after)


def _newer_change(original: AuditLog) -> AuditLog | None:
    """The first applied registry change of the same model after `original`, if any (under either
    ID of a rename)."""
    ids = {original.model_id, (original.after or {}).get("model_id") or original.model_id}
    return (AuditLog.objects.filter(provider=original.provider, model_id__in=sorted(ids), action__in=AuditLog.REGISTRY_CHANGES,
                                    status=AuditLog.Status.APPLIED, at__gt=original.at)
            .exclude(pk=original.pk).order_by("at").first())


def _changed_since(original: AuditLog, newer: AuditLog) -> ChangeError:
    return ChangeError(
        f"{original.provider}/{original.model_id} changed since: {newer.action} by {newer.actor} at "
        f"{newer.at:%Y-%m-%d %H:%M} UTC (audit entry {newer.pk}); nothing reverted", code=ChangeError.CONFLICT)


def _undo(original: AuditLog) -> dict | None:
    """Apply the inverse of one applied change, compare-and-swap: only while the row still holds the
    change's after-image and no newer change of the model is recorded. Raises ChangeError (naming
    the newer entry) otherwise. Returns what the revert did, when it is not plain."""
    if (newer := _newer_change(original)) is not None:
        raise _changed_since(original, newer)
    before, after = _images(original)
    provider = original.provider
    if original.action in ("disable", "enable"):
        # The after-image, less its datetimes (compared as exact instants they could differ only by
        # backend rounding; the newer-change check above already covers them).
        still = {k: v for k, v in after.items() if k not in _DATETIME_FIELDS}
        updated = RegisteredModel.objects.filter(provider=provider, model_id=original.model_id, **still).update(**before)
        if updated != 1:
            raise ChangeError(f"{provider}/{original.model_id} no longer holds what the change left "
                              f"(changed outside the audited services?); nothing reverted", code=ChangeError.CONFLICT)
        return None
    if original.action == "rename":
        old, new = before.get("model_id"), after.get("model_id")
        if RegisteredModel.objects.filter(provider=provider, model_id=old).exists():
            raise ChangeError(f"{provider}/{old} exists again; cannot rename {new} back", code=ChangeError.CONFLICT)
        if RegisteredModel.objects.filter(provider=provider, model_id=new).update(model_id=old) != 1:
            raise ChangeError(f"{provider}/{new} is no longer in the registry; nothing reverted",
                              code=ChangeError.CONFLICT)
        return None
    if original.action == "add":
        return _undo_add(original, after)
    raise ChangeError(f"a {original.action!r} change cannot be reverted")


def _undo_add(original: AuditLog, after: dict) -> dict:
    """Remove a candidate nobody touched since; one that another writer has put fields on is withdrawn
    (kept, disabled, saying so) instead, so nothing the runner or a tool stored is lost."""
    provider, model_id = original.provider, original.model_id
    row = RegisteredModel.objects.filter(provider=provider, model_id=model_id, enabled=False).first()
    if row is None:
        raise ChangeError(f"{provider}/{model_id} is enabled or gone; not removed", code=ChangeError.CONFLICT)
    foreign = undeclared_fields(RegisteredModel, row.pk)
    if not foreign:
        if RegisteredModel.objects.filter(pk=row.pk, enabled=False).delete()[0] != 1:
            raise ChangeError(f"{provider}/{model_id} changed meanwhile; not removed", code=ChangeError.CONFLICT)
        return {"removed": True}
    reason = f"{CANDIDATE_WITHDRAWN_PREFIX}: revert of audit entry {original.pk} (kept: other writers' fields {sorted(foreign)})"
    RegisteredModel.objects.filter(pk=row.pk, enabled=False).update(disabled_reason=reason[:2000])
    return {"removed": False, "withdrawn": True, "kept_fields": sorted(foreign)}


def change_revert(*, audit_id: str, actor: Actor, reason: str = "") -> AuditLog:
    try:
        original = AuditLog.objects.filter(pk=audit_id).first()
    except ValidationError:  # not an ObjectId
        original = None
    if original is None:
        raise ChangeError(f"no audit entry {audit_id}", code=ChangeError.NOT_FOUND)
    if refusal := original.revert_refusal():
        if original.reverted_at is not None:
            refusal += f" at {original.reverted_at:%Y-%m-%d %H:%M} (by audit entry {original.reverted_by_id})"
        raise ChangeError(f"audit entry {audit_id} ({original.action}) cannot be reverted: {refusal}")

    audit = _audit_start(
        action="revert", provider=original.provider, model_id=original.model_id,
        before=original.after, after=original.before, reason=reason or f"revert {original.action}",
        actor=actor, reversible=False, reverts=original,
    )
    now = timezone.now()
    # Claim the original: of two concurrent reverts exactly one gets here.
    claimed = AuditLog.objects.filter(pk=original.pk, reverted_at__isnull=True).update(
        reverted_at=now, reverted_by=audit
    )
    if claimed != 1:
        _fail(audit, f"audit entry {audit_id} was already reverted")
    try:
        done = _undo(original)
    except ChangeError as exc:
        AuditLog.objects.filter(pk=original.pk, reverted_by=audit.pk).update(reverted_at=None, reverted_by=None)
        _fail(audit, str(exc), code=exc.code)
    if done:
        audit.after = {**(audit.after or {}), **done}
        AuditLog.objects.filter(pk=audit.pk).update(after=audit.after)
    return _audit_finish(audit)


# --- unattended holds ------------------------------------------------------------------------

def registry_hold_clear(*, provider: str, model_id: str, reason: str, actor: Actor) -> AuditLog:
    """A human's word that the operator may again change this model unattended, after a human
    reverted one of its unattended changes (registry.selectors.unattended_holds)."""
    reason = (reason or "").strip()
    if not reason:
        raise ChangeError("a reason is required to allow unattended changes again")
    if (provider, model_id) not in unattended_holds(providers=[provider]):
        raise ChangeError(f"{provider}/{model_id} has no unattended hold to clear", code=ChangeError.NOT_FOUND)
    return audit_record(action=AuditLog.HOLD_CLEARED, actor=actor, reason=reason, provider=provider, model_id=model_id)
