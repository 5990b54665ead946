"""Model health, the benchmark runner's results and errors, and direct providers' catalogs.

db_table names are the production MongoDB collection names. The benchmark results and
errors collections are written by the benchmark runner; their names come from settings.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from llmops.lib.object_id import Document


class LifecycleStatus(models.TextChoices):
    ACTIVE = "active"
    MONITOR = "monitor"
    FAILING = "failing"
    STALE = "stale"
    LIKELY_DEPRECATED = "likely_deprecated"
    DEPRECATED = "deprecated"
    DISABLED = "disabled"
    NEVER_SUCCEEDED = "never_succeeded"


class ModelStatus(Document):
    """Health of one model: the `model_status` collection.

    `operator_decision` is an embedded document in the seed's shape:
    {action, confidence, reasoning, suggested_at, suggested_by, status, executed_at}.
    """

    provider = models.CharField(max_length=64)
    model_id = models.CharField(max_length=255)
    lifecycle_status = models.CharField(max_length=32, choices=LifecycleStatus.choices, default=LifecycleStatus.ACTIVE)
    signals = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    operator_decision = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = "model_status"
        verbose_name_plural = "model status"
        ordering = ("provider", "model_id")
        constraints = [
            models.UniqueConstraint(fields=["provider", "model_id"], name="model_status_provider_model_uniq"),
        ]
        indexes = [
            models.Index(fields=["lifecycle_status", "provider"], name="model_status_status_idx"),
        ]

    def __str__(self):
        return f"{self.provider}/{self.model_id}: {self.lifecycle_status}"


class BenchmarkResult(Document):
    """A successful benchmark run (written by the benchmark runner)."""

    provider = models.CharField(max_length=64)
    model_name = models.CharField(max_length=255)
    run_ts = models.DateTimeField(null=True, blank=True)
    gen_ts = models.DateTimeField(null=True, blank=True)
    # Notices returned with a successful answer (e.g. deprecation announcements).
    warnings = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = settings.BENCHMARK_RESULTS_COLLECTION
        verbose_name = "benchmark result"
        indexes = [
            models.Index(fields=["provider", "model_name", "run_ts"], name="results_model_run_ts_idx"),
            models.Index(fields=["run_ts"], name="results_run_ts_idx"),
        ]

    def __str__(self):
        return f"{self.provider}/{self.model_name} ok @ {self.run_ts}"


class BenchmarkError(Document):
    """A failed benchmark run (written by the benchmark runner).

    Legacy rows use `created_at`/`timestamp` instead of `ts` and `error` instead of
    `message`; the collector reads whichever is present.
    """

    provider = models.CharField(max_length=64)
    model_name = models.CharField(max_length=255)
    ts = models.DateTimeField(null=True, blank=True)
    message = models.TextField(null=True, blank=True)
    http_status = models.IntegerField(null=True, blank=True)
    stage = models.CharField(max_length=64, null=True, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    timestamp = models.DateTimeField(null=True, blank=True)
    error = models.TextField(null=True, blank=True)

    class Meta:
        db_table = settings.BENCHMARK_ERRORS_COLLECTION
        verbose_name = "benchmark error"
        indexes = [
            models.Index(fields=["provider", "model_name", "ts"], name="errors_model_ts_idx"),
            models.Index(fields=["ts"], name="errors_ts_idx"),
            models.Index(fields=["created_at"], name="errors_created_at_idx"),
            models.Index(fields=["timestamp"], name="errors_timestamp_idx"),
        ]

    def __str__(self):
        return f"{self.provider}/{self.model_name} {self.http_status} @ {self.ts or self.created_at or self.timestamp}"


class ProviderCatalogEntry(Document):
    """A model ID as a direct provider lists it (its own /v1/models)."""

    provider = models.CharField(max_length=64)
    model_id = models.CharField(max_length=255)
    name = models.CharField(max_length=255, blank=True, default="")
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "provider_catalog"
        verbose_name = "provider catalog entry"
        verbose_name_plural = "provider catalog"
        ordering = ("provider", "model_id")
        constraints = [
            models.UniqueConstraint(fields=["provider", "model_id"], name="provider_catalog_uniq"),
        ]
        indexes = [models.Index(fields=["provider", "last_seen_at"], name="provider_catalog_seen_idx")]

    def __str__(self):
        return f"{self.provider}: {self.model_id}"


class ProviderCatalogSync(Document):
    """One sync of one provider's catalog; only a complete one makes absence evidence."""

    class Status(models.TextChoices):
        RUNNING = "running"
        COMPLETE = "complete"
        PARTIAL = "partial"
        FAILED = "failed"

    provider = models.CharField(max_length=64)
    source = models.CharField(max_length=255, blank=True, default="")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    complete = models.BooleanField(default=False)
    pages = models.IntegerField(default=0)
    count = models.IntegerField(default=0)
    new = models.IntegerField(default=0)
    # Malformed entries of the listing that were skipped (a listing with any is partial).
    skipped = models.IntegerField(default=0)
    skipped_entries = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "provider_catalog_syncs"
        ordering = ("-started_at",)
        indexes = [models.Index(fields=["provider", "-started_at"], name="catalog_sync_provider_idx")]

    def __str__(self):
        return f"{self.provider} sync {self.started_at:%Y-%m-%d %H:%M} ({self.status})"


class DemoRow(Document):
    """A row seed_demo wrote (table label + primary key): what it may replace or delete on a rerun,
    and how it tells a demo database from one holding real history. Kept apart so the runner's
    collections get no field of ours."""

    table = models.CharField(max_length=64)
    row_id = models.CharField(max_length=24)
    seeded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "demo_rows"
        constraints = [models.UniqueConstraint(fields=["table", "row_id"], name="demo_rows_table_row_uniq")]

    def __str__(self):
        return f"{self.table} {self.row_id}"


class ModelProbe(Document):
    """One minimal real request to a model (lifecycle.probes): health evidence of our own, recorded with
    why it was made. Provider text is redacted and capped before it is stored; keys never are."""

    class Purpose(models.TextChoices):
        RECHECK = "recheck", "Recheck of a disabled model"
        ADMISSION = "admission", "Admission of a candidate"
        # Due early: another model of its provider answers again after a billing or credentials incident.
        PROVIDER_RECOVERED = "provider_recovered", "Its provider answers again"
        RETIREMENT = "retirement", "Past its announced retirement"
        MANUAL = "manual", "Asked for by a human"

    provider = models.CharField(max_length=64)
    model_id = models.CharField(max_length=255)
    at = models.DateTimeField(default=timezone.now)
    purpose = models.CharField(max_length=24, choices=Purpose.choices)
    ok = models.BooleanField(default=False)
    http_status = models.IntegerField(null=True, blank=True)
    # lifecycle.taxonomy's class of a failed probe ("" when it succeeded).
    error_class = models.CharField(max_length=32, blank=True, default="")
    # False for a probe that says nothing about the model (429, timeout, 5xx, network): it never
    # counts for or against it.
    conclusive = models.BooleanField(default=False)
    latency_ms = models.IntegerField(null=True, blank=True)
    message = models.TextField(blank=True, default="")

    class Meta:
        db_table = "model_probes"
        ordering = ("-at",)
        indexes = [
            models.Index(fields=["provider", "model_id", "-at"], name="model_probes_model_at_idx"),
            models.Index(fields=["-at"], name="model_probes_at_idx"),
        ]

    def __str__(self):
        outcome = "ok" if self.ok else f"{self.http_status or 'no status'} {self.error_class}"
        return f"{self.provider}/{self.model_id} {self.purpose} {outcome} @ {self.at:%Y-%m-%d %H:%M}"


class ModelRetirement(Document):
    """A known retirement date of one model, as one source announced it (lifecycle.retirements): the
    runner's deprecation warnings, a provider listing (Mistral's `deprecation`, OpenRouter's
    `expiration_date`), or a human in the admin. One row per (model, source), so each keeps its source."""

    class Source(models.TextChoices):
        WARNING = "warning", "Deprecation warning on successful runs"
        LISTING = "listing", "Provider listing"
        ADMIN = "admin", "Set by a human"

    provider = models.CharField(max_length=64)
    model_id = models.CharField(max_length=255)
    source = models.CharField(max_length=16, choices=Source.choices)
    retires_on = models.DateField()
    successor = models.CharField(max_length=255, blank=True, default="")
    # Where it was read (the warning's words, the listing's fields), redacted and capped; or the human's note.
    note = models.TextField(blank=True, default="")
    set_by = models.CharField(max_length=150, blank=True, default="")
    recorded_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "model_retirements"
        ordering = ("retires_on", "provider", "model_id")
        constraints = [
            models.UniqueConstraint(fields=["provider", "model_id", "source"], name="model_retirements_uniq"),
        ]
        indexes = [models.Index(fields=["retires_on"], name="model_retirements_on_idx")]

    def __str__(self):
        return f"{self.provider}/{self.model_id} retires {self.retires_on:%Y-%m-%d} ({self.source})"
