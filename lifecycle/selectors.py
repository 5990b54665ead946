"""Reads for the signal collector: grouped aggregations whose number never depends on
how many models there are (each one is a single `$group` on MongoDB), and none correlated:
a per-row subquery is a `$lookup` per document on MongoDB (lifecycle.collector says more).

Legacy error rows carry `created_at` or `timestamp` instead of `ts`; every error read is
restricted, per timestamp field, to rows whose earlier fields are empty, so a row is counted
exactly once (by the first field it carries) and each read can use that field's index.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import reduce

from django.db.models import Count, DateTimeField, Max, Min, Q
from django.db.models.functions import Coalesce

from lifecycle.models import (
    BenchmarkError,
    BenchmarkResult,
    ModelProbe,
    ModelStatus,
    ProviderCatalogEntry,
    ProviderCatalogSync,
)
from llmops.lib.dates import as_utc

ERROR_TS_FIELDS = ("ts", "created_at", "timestamp")
ERROR_GROUP_FIELDS = ("provider", "model_name", "http_status", "message", "error")
# A catalog sync older than this says nothing about today's listing.
CATALOG_MAX_AGE = timedelta(days=30)


def _in_providers(qs, providers):
    return qs.filter(provider__in=sorted(providers)) if providers else qs


def results_by_model(*, since: datetime, as_of: datetime, providers=None) -> list[dict]:
    """Per model: successes in [since, as_of] and the newest success ever (up to as_of)."""
    qs = _in_providers(BenchmarkResult.objects.filter(run_ts__lte=as_of), providers)
    return list(
        qs.order_by()
        .values("provider", "model_name")
        .annotate(successes=Count("id", filter=Q(run_ts__gte=since)), last_success_at=Max("run_ts"))
    )


def warnings_by_model(*, since: datetime, as_of: datetime, providers=None) -> list[dict]:
    """Warning lists attached to successful runs in the window, grouped per model and list.

    Its own read on purpose: folded into results_by_model (grouping by a Case on run_ts) it read
    the results once, but made that read of all history twice as slow when the history is longer
    than the window (bench/README.md, Collector), where this read only walks the window."""
    qs = BenchmarkResult.objects.filter(run_ts__gte=since, run_ts__lte=as_of, warnings__isnull=False)
    return list(
        _in_providers(qs, providers)
        .order_by()
        .values("provider", "model_name", "warnings")
        .annotate(count=Count("id"), first_seen_at=Min("run_ts"), last_seen_at=Max("run_ts"))
    )


def _errors_dated_by(field: str, providers):
    earlier = ERROR_TS_FIELDS[: ERROR_TS_FIELDS.index(field)]
    qs = BenchmarkError.objects.filter(**{f"{name}__isnull": True for name in earlier})
    return _in_providers(qs, providers)


def error_history(*, field: str, since: datetime, floor: datetime, as_of: datetime, providers=None) -> list[dict]:
    """Errors in [floor, as_of] dated by `field`, grouped by (model, status, raw text): the window's
    count, first_seen_at and last_seen_at ([since, as_of]; count 0 for a group with no row in the
    window) and the whole span's streak_span_first/streak_span_last ([floor, as_of], floor <= since).

    One `$group` reads each row once for both the window and the streak (lifecycle.collector
    compares streak_span_* with each model's last success; streak_groups settles the rest)."""
    window = Q(**{f"{field}__gte": since})
    qs = _errors_dated_by(field, providers).filter(**{f"{field}__gte": floor, f"{field}__lte": as_of})
    return list(
        qs.order_by()
        .values(*ERROR_GROUP_FIELDS)
        .annotate(count=Count("id", filter=window), first_seen_at=Min(field, filter=window),
                  last_seen_at=Max(field, filter=window), streak_span_first=Min(field),
                  streak_span_last=Max(field))
    )


def streak_groups(*, after: Iterable[tuple[str, str, str, datetime]], as_of: datetime) -> list[dict]:
    """Per (model, status, raw text): the earliest error dated after a given moment, up to as_of.

    `after` holds (timestamp field, provider, model_name, moment): the model's errors dated by
    that field count when later than the moment (its last success). One read whatever its size:
    each model is one branch of an `$or` (for `ts`, a range of the (provider, model_name, ts)
    index), never a per-row correlated subquery. Empty `after`: no query, no rows.
    """
    by_field: dict[str, dict[str, list[Q]]] = {}
    for field, provider, model_name, moment in after:
        by_field.setdefault(field, {}).setdefault(provider, []).append(
            Q(model_name=model_name, **{f"{field}__gt": moment}))
    if not by_field:
        return []
    dated = []
    for field, providers in sorted(by_field.items()):
        earlier = ERROR_TS_FIELDS[: ERROR_TS_FIELDS.index(field)]
        models = reduce(operator.or_, (Q(provider=p) & reduce(operator.or_, branches)
                                       for p, branches in sorted(providers.items())))
        dated.append(Q(**{f"{name}__isnull": True for name in earlier}, **{f"{field}__lte": as_of}) & models)
    # A row matched through one field's branch has the earlier fields empty, so the first
    # non-empty of (ts, created_at, timestamp) is the field that dates it.
    moment = Coalesce(*ERROR_TS_FIELDS, output_field=DateTimeField())
    qs = BenchmarkError.objects.filter(reduce(operator.or_, dated))
    return list(qs.order_by().values(*ERROR_GROUP_FIELDS).annotate(streak_first_at=Min(moment)))


def runner_last_rows(*, since: datetime, as_of: datetime, providers=None) -> dict[str, datetime]:
    """Per provider: its newest benchmark row (success or error) in [since, as_of]. A provider
    missing from the answer had none. One grouped read per table (the collector gets the same
    figure from the reads it makes anyway; the daily report asks here)."""
    newest: dict[str, datetime] = {}

    def keep(provider, moment):
        if moment is not None and (provider not in newest or moment > newest[provider]):
            newest[provider] = moment

    results = _in_providers(BenchmarkResult.objects.filter(run_ts__gte=since, run_ts__lte=as_of), providers)
    for row in results.order_by().values("provider").annotate(last=Max("run_ts")):
        keep(row["provider"], row["last"])
    # One read for the three timestamp fields: each field's newest value among the rows it dates.
    dated = {field: Q(**{f"{name}__isnull": True for name in ERROR_TS_FIELDS[:i]},
                      **{f"{field}__gte": since, f"{field}__lte": as_of})
             for i, field in enumerate(ERROR_TS_FIELDS)}
    errors = _in_providers(BenchmarkError.objects.filter(reduce(operator.or_, dated.values())), providers)
    for row in errors.order_by().values("provider").annotate(
            **{f"last_{field}": Max(field, filter=q) for field, q in dated.items()}):
        for field in ERROR_TS_FIELDS:
            keep(row["provider"], row[f"last_{field}"])
    return newest


def catalog_latest_syncs(*, as_of: datetime, providers=None) -> dict[str, dict]:
    """The newest finished catalog sync per provider (a running one is not a listing yet)."""
    qs = ProviderCatalogSync.objects.filter(started_at__lte=as_of, started_at__gte=as_of - CATALOG_MAX_AGE).exclude(
        status=ProviderCatalogSync.Status.RUNNING
    )
    latest: dict[str, dict] = {}
    for row in _in_providers(qs, providers).order_by("-started_at").values("provider", "started_at", "status", "complete"):
        latest.setdefault(row["provider"], row)
    return latest


def catalog_listed(*, providers) -> list[tuple[str, str, datetime]]:
    """(provider, model_id, last_seen_at) of every catalog entry of these providers."""
    if not providers:
        return []
    qs = ProviderCatalogEntry.objects.filter(provider__in=sorted(providers))
    return list(qs.order_by().values_list("provider", "model_id", "last_seen_at"))


def model_status_by_key(*, providers=None) -> dict[tuple[str, str], ModelStatus]:
    qs = _in_providers(ModelStatus.objects.all(), providers)
    return {(row.provider, row.model_id): row for row in qs.order_by()}


def probe_history(*, keys, since: datetime, as_of: datetime) -> dict[tuple[str, str], list[ModelProbe]]:
    """Every probe of these (provider, model_id) in [since, as_of], oldest first (one read)."""
    wanted = {tuple(k) for k in keys}
    if not wanted:
        return {}
    # By provider and time only: probes are few (capped per run), models asked about may be thousands.
    qs = ModelProbe.objects.filter(provider__in=sorted({p for p, _ in wanted}), at__gte=since, at__lte=as_of)
    history: dict[tuple[str, str], list[ModelProbe]] = {}
    for probe in qs.order_by("at"):
        if (probe.provider, probe.model_id) in wanted:
            history.setdefault((probe.provider, probe.model_id), []).append(probe)
    return history


def provider_last_successes(*, providers, as_of: datetime) -> dict[str, datetime]:
    """Per provider: its newest success up to `as_of`, a benchmark result or a probe (two grouped reads)."""
    if not providers:
        return {}
    newest: dict[str, datetime] = {}
    results = BenchmarkResult.objects.filter(provider__in=sorted(providers), run_ts__lte=as_of)
    probes = ModelProbe.objects.filter(provider__in=sorted(providers), ok=True, at__lte=as_of)
    for qs, field in ((results, "run_ts"), (probes, "at")):
        for row in qs.order_by().values("provider").annotate(last=Max(field)):
            moment = as_utc(row["last"])
            if moment is not None and (row["provider"] not in newest or moment > newest[row["provider"]]):
                newest[row["provider"]] = moment
    return newest
