"""Admin bulk actions that go through a confirmation page and then call a service.

An action built with `confirmed_action` first renders templates/admin/llmops/confirm_action.html
listing the selected objects and what will happen to each (optionally asking for a reason);
only the POST from that page (confirm=yes) calls `perform(ids, reason)`. The selection is
re-read by primary key (MongoDB: never act on a queryset that joins another collection), and
the service does the conditional updates, so a stale page or a second admin acting on the same
rows cannot change anything twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

MAX_BATCH = 500
SHOWN = 200


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
            if reason_required and not given_reason:
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
    return admin.action(description=description, permissions=permissions)(action)

