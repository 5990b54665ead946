"""Admin bulk actions that go through a confirmation page and then call a service.

An action built with `confirmed_action` first renders templates/admin/llmops/confirm_action.html
listing the selected objects and what will happen to each (optionally asking for a reason);
only the POST from that page calls `perform(ids, reason)`. The page carries a signed token
(django.core.signing) bound to the user, the action and the selected ids, valid for
CONFIRM_MAX_AGE seconds: a POST of confirm=yes without it — a crafted form, a replayed request,
a token for another selection — shows the confirmation page again and changes nothing. The
selection is re-read by primary key (MongoDB: never act on a queryset that joins another
collection), and the service does the conditional updates, so a stale page or a second admin
acting on the same rows cannot change anything twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core import signing
from django.template.response import TemplateResponse

MAX_BATCH = 500
SHOWN = 200
CONFIRM_SALT = "llmops.admin_actions.confirm"
CONFIRM_MAX_AGE = 600  # seconds a confirmation page stays valid


@dataclass
class Effect:
    """One row of the confirmation page: an object and what the action will do to it."""

    label: str
    effect: str
    will_act: bool = True


@dataclass
class Result:
    level: int  # messages.SUCCESS / WARNING / ERROR
    text: str


def _selected_ids(queryset) -> list[str]:
    return [str(pk) for pk in queryset.order_by().values_list("pk", flat=True)[: MAX_BATCH + 1]]


def _claims(*, user, action: str, ids) -> dict:
    selection = hashlib.sha256(",".join(sorted(str(pk) for pk in ids)).encode()).hexdigest()
    return {"user": str(user.pk), "action": action, "selection": selection}


def confirm_token(*, user, action: str, ids) -> str:
    """The token a confirmation page carries: signed, timestamped, bound to who, what and which rows."""
    return signing.dumps(_claims(user=user, action=action, ids=ids), salt=CONFIRM_SALT)


def confirm_token_refusal(token: str, *, user, action: str, ids) -> str | None:
    """Why `token` does not confirm `action` on `ids` for `user`, or None when it does."""
    if not token:
        return "Nothing was done: confirm from this page (the request did not come from it)."
    try:
        claims = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.SignatureExpired:
        return (f"Nothing was done: this confirmation page is more than {CONFIRM_MAX_AGE // 60} minutes old. "
                "Check the list below and confirm again.")
    except signing.BadSignature:
        return "Nothing was done: the confirmation was not issued by this site. Check the list below and confirm."
    if claims != _claims(user=user, action=action, ids=ids):
        return ("Nothing was done: the confirmation was for another selection, action or user. Check the list "
                "below and confirm again.")
    return None


def confirmed_action(*, name: str, description: str, permissions: list[str], title: str, confirm_label: str,
                     describe: Callable[[object], Effect], perform: Callable[[object, list[str], str], list[Result]],
                     reason: str = "", reason_required: bool = False, danger: bool = False,
                     only: Callable | None = None):
    """Build an admin action called `name`.

    describe(obj) -> Effect for each selected object (shown on the confirmation page);
    perform(request, ids, reason) -> [Result] runs the service on the confirmed ids;
    reason: label of a reason field ("" = none); only(queryset) -> the fields to load.
    """

    def action(modeladmin, request, queryset):
        ids = _selected_ids(queryset)
        if len(ids) > MAX_BATCH:
            modeladmin.message_user(
                request, f"Select at most {MAX_BATCH} rows per bulk action (narrow the filter).", messages.ERROR)
            return None
        error = ""
        given_reason = (request.POST.get("reason") or "").strip()
        if request.POST.get("confirm") == "yes":
            refusal = confirm_token_refusal(request.POST.get("confirm_token") or "", user=request.user,
                                            action=action.__name__, ids=ids)
            if refusal:
                error = refusal
            elif reason_required and not given_reason:
                error = f"{reason or 'A reason'} is required."
            else:
                for result in perform(request, ids, given_reason):
                    modeladmin.message_user(request, result.text, result.level)
                return None  # back to the changelist

        objects = modeladmin.model._default_manager.filter(pk__in=ids)
        if only is not None:
            objects = only(objects)
        effects = [describe(obj) for obj in objects[:SHOWN]]
        opts = modeladmin.model._meta
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "subtitle": None,
            "opts": opts,
            "app_label": opts.app_label,
            "action_name": action.__name__,
            "action_description": description,
            "effects": effects,
            "acting": sum(1 for e in effects if e.will_act),
            "total": len(ids),
            "not_shown": max(len(ids) - SHOWN, 0),
            "ids": ids,
            "confirm_token": confirm_token(user=request.user, action=action.__name__, ids=ids),
            "reason_label": reason,
            "reason_required": reason_required,
            "reason_value": given_reason,
            "error": error,
            "confirm_label": confirm_label,
            "danger": danger,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": modeladmin.media,
        }
        request.current_app = modeladmin.admin_site.name
        return TemplateResponse(request, "admin/llmops/confirm_action.html", context)

    action.__name__ = name
    action.confirmed = True  # tests/llmops/test_admin_confirmation.py checks every bulk action is one of these
    return admin.action(description=description, permissions=permissions)(action)

