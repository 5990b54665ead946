"""Admin for the OpenRouter catalog: review matches, add matched models as disabled
candidates (discovery never enables anything), reject matches. The catalog is read-only as a
form; its rows change through discovery.services only."""

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList

from discovery import names, selectors
from discovery.models import CatalogFetchRun, MatchStatus, OpenRouterAlias, OpenRouterModel
from discovery.services import openrouter_add_matched, openrouter_reject_match
from llmops.lib.admin_actions import Effect, Result, confirmed_action
from llmops.lib.admin_base import ReadOnlyAdmin
from llmops.lib.admin_display import text_block
from registry.services import Actor

REJECTABLE = {MatchStatus.NEW, MatchStatus.UNMATCHED, MatchStatus.AMBIGUOUS, MatchStatus.MATCHED}


def _entry_label(row: OpenRouterModel) -> str:
    return f"{row.openrouter_id} ({row.get_match_status_display()})"


def _matches_text(row: OpenRouterModel) -> str:
    matches = row.matches if isinstance(row.matches, list) else []
    pairs = [f"{m.get('provider', '?')}/{m.get('model_id', '?')}" for m in matches if isinstance(m, dict)]
    return ", ".join(pairs) or (f"{row.matched_provider}/{row.matched_model_id}" if row.matched_provider else "")


def _add_effect(row: OpenRouterModel) -> Effect:
    if refusal := row.add_refusal():
        return Effect(_entry_label(row), f"skipped: {refusal}", will_act=False)
    return Effect(_entry_label(row), f"add {_matches_text(row)} to the registry as DISABLED candidate(s) "
                                     "with the match provenance (audited); a human enables them")


def _reject_effect(row: OpenRouterModel) -> Effect:
    if row.match_status not in REJECTABLE:
        return Effect(_entry_label(row), f"skipped: it is {row.match_status}", will_act=False)
    target = _matches_text(row)
    return Effect(_entry_label(row), f"mark the match rejected{f' ({target})' if target else ''}; "
                                     "nothing is added to the registry")


def _add(request, ids, reason):
    outcomes = openrouter_add_matched(entry_ids=ids, actor=Actor.for_user(request.user))
    added = [o for o in outcomes if o.added]
    failed = [o for o in outcomes if not o.added]
    results = []
    if added:
        results.append(Result(messages.SUCCESS, f"Added {len(added)} disabled candidate(s): "
                              + ", ".join(f"{o.provider}/{o.model_id}" for o in added[:30])))
    if failed:
        results.append(Result(messages.WARNING, f"{len(failed)} not added: "
                              + "; ".join(f"{o.openrouter_id}: {o.error}" for o in failed[:30])))
    return results or [Result(messages.INFO, "Nothing to add.")]


def _reject(request, ids, reason):
    try:
        changed = openrouter_reject_match(entry_ids=ids, actor=Actor.for_user(request.user), reason=reason)
    except ValueError as exc:
        return [Result(messages.ERROR, str(exc))]
    skipped = len(ids) - changed
    results = [Result(messages.SUCCESS, f"Rejected {changed} match(es).")] if changed else []
    if skipped:
        results.append(Result(messages.WARNING, f"{skipped} skipped (already added, rejected or known)."))
    return results


def _catalog_fields(qs):
    return qs.only("pk", "openrouter_id", "match_status", "matches", "matched_provider", "matched_model_id")


add_matched_models = confirmed_action(
    name="add_matched_models", description="Add matched models to the registry (disabled candidates)",
    permissions=["catalog"], title="Add matched models as disabled candidates?", confirm_label="Yes, add them",
    describe=_add_effect, perform=_add, only=_catalog_fields,
)
reject_matches = confirmed_action(
    name="reject_matches", description="Reject selected matches (with a reason)", permissions=["catalog"],
    title="Reject matches?", confirm_label="Yes, reject", describe=_reject_effect, perform=_reject,
    reason="Reason", reason_required=True, only=_catalog_fields,
)


class OneRowPerModelFilter(admin.SimpleListFilter):
    """Hide the variant and alias entries of a model whose base entry is listed (discovery.selectors folds them)."""

    title = "variants"
    parameter_name = "fold"

    def lookups(self, request, model_admin):
        return [("yes", "One row per model (variants folded)")]

    def queryset(self, request, queryset):
        if self.value() != "yes":
            return queryset
        folded = selectors.openrouter_fold(OpenRouterModel.objects.only("pk", "openrouter_id", "canonical_slug",
                                                                        "match_status", "match_confidence"))
        hidden = [e.pk for g in folded for e in g.entries if e.openrouter_id != g.openrouter_id]
        return queryset.exclude(pk__in=hidden) if hidden else queryset


class FoldedChangeList(ChangeList):
    """Each row of the page learns its model (the entry with its variants), in two queries a page."""

    def get_results(self, request):
        super().get_results(request)
        folded = selectors.discovery_folded(rows=OpenRouterModel.objects.filter(
            pk__in=[row.pk for row in self.result_list]))
        by_pk = {entry.pk: group for group in folded for entry in group.entries}
        for row in self.result_list:
            row.folded = by_pk.get(row.pk)


@admin.register(OpenRouterModel)
class OpenRouterModelAdmin(ReadOnlyAdmin):
    list_display = ("openrouter_id", "name", "status", "variants", "matched_provider", "matched_model_id",
                    "match_confidence", "match_method", "first_seen_at")
    list_filter = (OneRowPerModelFilter, "match_status", "matched_provider", "match_method", "org")
    search_fields = ("openrouter_id", "name", "canonical_slug")
    date_hierarchy = "first_seen_at"
    show_full_result_count = False
    list_per_page = 100
    actions = [add_matched_models, reject_matches]

    def has_catalog_permission(self, request):
        return request.user.has_perm("discovery.change_openroutermodel")

    def get_changelist(self, request, **kwargs):
        return FoldedChangeList

    @admin.display(description="match status", ordering="match_status")
    def status(self, obj):
        """The entry's status, and its model's when a variant settled it (added once any variant's IDs were)."""
        group = getattr(obj, "folded", None)
        if group is None or group.status == obj.match_status:
            return obj.get_match_status_display()
        via = names.openrouter_variant_label(group.entry.openrouter_id) or group.entry.openrouter_id
        return f"{obj.get_match_status_display()}; the model: {group.status_label} (via {via})"

    @admin.display(description="variants")
    def variants(self, obj):
        group = getattr(obj, "folded", None)
        if group is None:
            return ""
        if obj.openrouter_id != group.openrouter_id:
            return f"variant of {group.openrouter_id}"
        return ", ".join(group.variants)


@admin.register(CatalogFetchRun)
class CatalogFetchRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "finished_at", "status", "count", "new", "aliases", "skipped", "source", "error")
    list_filter = ("status",)
    show_full_result_count = False
    readonly_fields = ("skipped_entries_display",)
    fields = ("source", "started_at", "finished_at", "status", "count", "new", "aliases", "skipped",
              "skipped_entries_display", "error")

    @admin.display(description="skipped entries")
    def skipped_entries_display(self, obj):
        return text_block("\n".join(obj.skipped_entries or []))


@admin.register(OpenRouterAlias)
class OpenRouterAliasAdmin(ReadOnlyAdmin):
    list_display = ("alias_id", "target_id", "target_name", "name", "first_seen_at", "last_seen_at")
    search_fields = ("alias_id", "target_id")
    show_full_result_count = False
