"""Reads for the signal collector: grouped aggregations whose number never depends on
how many models there are (each one is a single `$group` on MongoDB).

Legacy error rows carry `created_at` or `timestamp` instead of `ts`; every error read is
run once per timestamp field, each restricted to rows whose earlier fields are empty, so
a row is counted exactly once and each read can use that field's index.
"""

from __future__ import annotations

import operator
from datetime import datetime, timedelta, timezone
from functools import reduce

from django.db.models import Count, DateTimeField, Max, Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from lifecycle.models import (
    BenchmarkError,
    BenchmarkResult,
    ModelProbe,
    ModelStatus,
    ProviderCatalogEntry,
    ProviderCatalogSync,
)

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
    """Warning lists attached to successful runs in the window, grouped per model and list."""
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


def error_groups(*, field: str, since: datetime, as_of: datetime, providers=None) -> list[dict]:
    """Errors in [since, as_of] dated by `field`, grouped by (model, status, raw text)."""
    qs = _errors_dated_by(field, providers).filter(**{f"{field}__gte": since, f"{field}__lte": as_of})
    return list(
        qs.order_by()
        .values(*ERROR_GROUP_FIELDS)
        .annotate(count=Count("id"), first_seen_at=Min(field), last_seen_at=Max(field))
    )


def streak_groups(*, field: str, floor: datetime, as_of: datetime, providers=None) -> list[dict]:
    """Per (model, status, raw text): the earliest error after the model's last success.

    Exact, whatever the window: a model failing every 45 minutes for 60 hours starts its
    streak 60 hours ago, and a burst of newer 429s cannot hide older 404s. Models that
    never succeeded count from `floor`.
    """
    last_success = (
        BenchmarkResult.objects.filter(
            provider=OuterRef("provider"), model_name=OuterRef("model_name"), run_ts__lte=as_of
        )
        .order_by("-run_ts")
        .values("run_ts")[:1]
    )
    since_success = Coalesce(Subquery(last_success), Value(floor), output_field=DateTimeField())
    qs = _errors_dated_by(field, providers).filter(
        **{f"{field}__gte": floor, f"{field}__lte": as_of, f"{field}__gt": since_success}
    )
    return list(qs.order_by().values(*ERROR_GROUP_FIELDS).annotate(streak_first_at=Min(field)))


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
            moment = row["last"]
            if moment is not None and moment.tzinfo is None:  # SQLite aggregates come back naive
                moment = moment.replace(tzinfo=timezone.utc)
            if moment is not None and (row["provider"] not in newest or moment > newest[row["provider"]]):
                newest[row["provider"]] = moment
    return newest
