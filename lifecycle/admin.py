"""Admin for the evidence lifecycle reads: benchmark rows, health rows, provider catalogs, probes, and
the retirement calendar.

All of it but one is evidence that decisions rest on, written by the runner or by our collectors:
viewable, never editable by hand. The exception is a retirement date a human sets (source `admin`),
written through lifecycle.retirements.retirement_set (audited). The registry's model page gains the
model's probes and known retirement here (lifecycle sits above the registry, so it extends the
registry's admin, never the reverse). Provider text is redacted and capped before it is shown (the
admin escapes it)."""

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from lifecycle.models import (
    BenchmarkError,
    BenchmarkResult,
    ModelProbe,
    ModelRetirement,
    ModelStatus,
    ProviderCatalogEntry,
    ProviderCatalogSync,
)
from lifecycle.retirements import retirement_calendar, retirement_set
from lifecycle.timeline import model_week, timeline_svg
from llmops.lib.admin_base import ReadOnlyAdmin
from llmops.lib.admin_display import EMPTY, pretty_json, text_block
from llmops.lib.text import redact_json, sanitize_text
from registry.admin import RegisteredModelAdmin
from registry.models import RegisteredModel
from registry.services import Actor, ChangeError

# Provider text on a detail page: redacted and capped, but long enough to read whole.
DETAIL_LIMIT = 8000


@admin.register(ModelStatus)
class ModelStatusAdmin(ReadOnlyAdmin):
    list_display = ("provider", "model_id", "lifecycle_status", "computed_at")
    list_filter = ("lifecycle_status", "provider")
    search_fields = ("provider", "model_id")
    # Signals and the mirrored decision hold provider and LLM text: shown redacted (rows written
    # before a redaction rule existed still hold what it now catches).
    fields = ("provider", "model_id", "lifecycle_status", "computed_at", "signals_display", "decision_display")
    readonly_fields = ("computed_at", "signals_display", "decision_display")

    @admin.display(description="signals")
    def signals_display(self, obj):
        return pretty_json(redact_json(obj.signals))

    @admin.display(description="operator decision")
    def decision_display(self, obj):
        return pretty_json(redact_json(obj.operator_decision))


@admin.register(BenchmarkResult)
class BenchmarkResultAdmin(ReadOnlyAdmin):
    list_display = ("provider", "model_name", "run_ts", "gen_ts")
    list_filter = ("provider",)
    search_fields = ("provider", "model_name")
    date_hierarchy = "run_ts"
    show_full_result_count = False
    fields = ("provider", "model_name", "run_ts", "gen_ts", "warnings_display")
    readonly_fields = ("warnings_display",)

    @admin.display(description="warnings")
    def warnings_display(self, obj):
        return pretty_json(redact_json(obj.warnings))


@admin.register(BenchmarkError)
class BenchmarkErrorAdmin(ReadOnlyAdmin):
    list_display = ("provider", "model_name", "ts", "http_status", "stage", "short_message")
    list_filter = ("provider", "http_status", "stage")
    search_fields = ("provider", "model_name")
    show_full_result_count = False
    # The detail page shows the runner's raw `message`/`error` only through the redactor: a
    # provider can echo our credentials back, and viewers must not read them here.
    fields = ("provider", "model_name", "ts", "created_at", "timestamp", "http_status", "stage", "message_display",
              "error_display")
    readonly_fields = ("message_display", "error_display")

    @admin.display(description="message")
    def short_message(self, obj):
        # Provider text is untrusted: redacted and capped (the admin escapes it).
        return sanitize_text(obj.message or obj.error or "", limit=120)

    @admin.display(description="message")
    def message_display(self, obj):
        return text_block(sanitize_text(obj.message, limit=DETAIL_LIMIT))

    @admin.display(description="error (legacy rows)")
    def error_display(self, obj):
        return text_block(sanitize_text(obj.error, limit=DETAIL_LIMIT))


@admin.register(ProviderCatalogEntry)
class ProviderCatalogEntryAdmin(ReadOnlyAdmin):
    list_display = ("provider", "model_id", "name", "first_seen_at", "last_seen_at")
    list_filter = ("provider",)
    search_fields = ("provider", "model_id", "name")


@admin.register(ProviderCatalogSync)
class ProviderCatalogSyncAdmin(ReadOnlyAdmin):
    list_display = ("provider", "started_at", "finished_at", "status", "complete", "pages", "count", "new", "skipped")
    list_filter = ("provider", "status", "complete")
    fields = ("provider", "source", "started_at", "finished_at", "status", "complete", "pages", "count", "new",
              "skipped", "skipped_entries_display", "error")
    readonly_fields = ("skipped_entries_display",)

    @admin.display(description="skipped entries")
    def skipped_entries_display(self, obj):
        return text_block("\n".join(obj.skipped_entries or []))


# --- probes ----------------------------------------------------------------------------------------

@admin.register(ModelProbe)
class ModelProbeAdmin(ReadOnlyAdmin):
    list_display = ("at", "provider", "model_id", "purpose", "ok", "http_status", "error_class", "conclusive",
                    "latency_ms", "short_message")
    list_filter = ("purpose", "ok", "conclusive", "error_class", "provider")
    search_fields = ("provider", "model_id")
    date_hierarchy = "at"
    show_full_result_count = False
    fields = ("at", "provider", "model_id", "purpose", "ok", "http_status", "error_class", "conclusive", "latency_ms",
              "message_display")
    readonly_fields = ("message_display",)

    @admin.display(description="message")
    def short_message(self, obj):
        return sanitize_text(obj.message, limit=120)

    @admin.display(description="message")
    def message_display(self, obj):
        return text_block(sanitize_text(obj.message, limit=DETAIL_LIMIT))


PROBES_SHOWN = 20


def probes_table(provider: str, model_id: str) -> str:
    """The model's latest probes, newest first, and a link to all of them."""
    probes = list(ModelProbe.objects.filter(provider=provider, model_id=model_id).order_by("-at")[:PROBES_SHOWN])
    if not probes:
        return format_html("<span>{}</span>", "never probed (manage.py recheck_models --model {}/{})", provider,
                           model_id)
    rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                                "<td><code>{}</code></td></tr>", (
        (f"{p.at:%Y-%m-%d %H:%M}", p.purpose, "ok" if p.ok else "failed", p.http_status or EMPTY,
         p.error_class or EMPTY, "yes" if p.conclusive else "no (says nothing)", sanitize_text(p.message, limit=200))
        for p in probes))
    url = reverse("admin:lifecycle_modelprobe_changelist") + f"?provider={provider}&model_id={model_id}"
    return format_html("<table><tr><th>at (UTC)</th><th>why</th><th>outcome</th><th>status</th><th>class</th>"
                       "<th>counts</th><th>message</th></tr>{}</table><p><a href=\"{}\">all probes of this model</a></p>",
                       rows, url)


class RegisteredModelWithLifecycleAdmin(RegisteredModelAdmin):
    """The registry's model page, with what lives in this app and the registry below it cannot read:
    the model's week (its runs), its probes and its known retirement date."""

    readonly_fields = (*RegisteredModelAdmin.readonly_fields, "model_week", "retirement_display", "probes_display")

    @admin.display(description="the model's week")
    def model_week(self, obj):
        return timeline_svg(model_week(provider=obj.provider, model_id=obj.model_id, as_of=timezone.now()))

    @admin.display(description="probes")
    def probes_display(self, obj):
        return probes_table(obj.provider, obj.model_id)

    @admin.display(description="retirement")
    def retirement_display(self, obj):
        known = retirement_calendar(keys=[obj.key]).get(obj.key)
        add = reverse("admin:lifecycle_modelretirement_add") + f"?provider={obj.provider}&model_id={obj.model_id}"
        if known is None:
            return format_html('none known (<a href="{}">set a date</a>)', add)
        successor = f", successor {known.successor}" if known.successor else ""
        return format_html('{} (from {}{}; every source: {}) <a href="{}">set a date</a>',
                           f"{known.retires_on:%Y-%m-%d}", known.source, successor, "; ".join(known.sources), add)


admin.site.unregister(RegisteredModel)
admin.site.register(RegisteredModel, RegisteredModelWithLifecycleAdmin)


# --- the retirement calendar -------------------------------------------------------------------------

class RetirementForm(forms.ModelForm):
    class Meta:
        model = ModelRetirement
        fields = ("provider", "model_id", "retires_on", "successor", "note")

    def clean(self):
        data = super().clean()
        provider, model_id = data.get("provider"), data.get("model_id")
        if provider and model_id and not RegisteredModel.objects.filter(provider=provider, model_id=model_id).exists():
            raise forms.ValidationError(f"{provider}/{model_id} is not in the registry")
        return data

    def validate_unique(self):
        pass  # one row per (model, source): retirement_set updates a human's earlier date instead


@admin.register(ModelRetirement)
class ModelRetirementAdmin(admin.ModelAdmin):
    """Known retirement dates, each with its source. Dates from warnings and listings are evidence (read
    only); a human adds one of their own (source `admin`, audited), or changes it."""

    form = RetirementForm
    list_display = ("provider", "model_id", "retires_on", "source", "successor", "set_by", "updated_at")
    list_filter = ("source", "provider")
    search_fields = ("provider", "model_id", "successor")
    date_hierarchy = "retires_on"
    actions = ()

    def get_changeform_initial_data(self, request):
        return {k: request.GET[k] for k in ("provider", "model_id") if k in request.GET}

    def has_add_permission(self, request):
        return request.user.has_perm("lifecycle.add_modelretirement")

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.source != ModelRetirement.Source.ADMIN:
            return False
        return request.user.has_perm("lifecycle.change_modelretirement")

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        base = ("source", "set_by", "recorded_at", "updated_at", "note_display")
        return ("provider", "model_id", *base) if obj is not None else ()

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("provider", "model_id", "retires_on", "successor", "note")
        editable = ("retires_on", "successor", "note") if self.has_change_permission(request, obj) else (
            "retires_on", "successor", "note_display")
        return ("provider", "model_id", *editable, "source", "set_by", "recorded_at", "updated_at")

    @admin.display(description="note")
    def note_display(self, obj):
        return text_block(sanitize_text(obj.note, limit=DETAIL_LIMIT))

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            saved = retirement_set(provider=obj.provider, model_id=obj.model_id, retires_on=data["retires_on"],
                                   successor=data.get("successor") or "", note=data.get("note") or "",
                                   actor=Actor.for_user(request.user))
        except ChangeError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        obj.pk = saved.pk
