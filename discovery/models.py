"""The OpenRouter catalog (a discovery layer) and its fetch runs."""

from django.db import models
from django.utils import timezone

from llmops.lib.object_id import Document


class MatchStatus(models.TextChoices):
    NEW = "new", "New (not matched yet)"
    MATCHED = "matched", "Matched to a direct provider"
    UNMATCHED = "unmatched", "No direct provider serves it"
    AMBIGUOUS = "ambiguous", "Ambiguous"
    SKIPPED = "skipped", "Not a benchmark candidate"
    KNOWN = "known", "Already in the registry"
    ADDED = "added", "Added to the registry"
    REJECTED = "rejected", "Match rejected"


class OpenRouterModel(Document):
    """One entry of OpenRouter's /api/v1/models: the `openrouter_catalog` collection."""

    openrouter_id = models.CharField(max_length=255, unique=True)
    canonical_slug = models.CharField(max_length=255, blank=True, default="")
    hugging_face_id = models.CharField(max_length=255, blank=True, default="")
    name = models.CharField(max_length=255, blank=True, default="")
    org = models.CharField(max_length=128, blank=True, default="")
    pricing = models.JSONField(default=dict, blank=True)
    context_length = models.IntegerField(null=True, blank=True)
    modalities = models.JSONField(default=dict, blank=True)  # {"input": [...], "output": [...]}
    created = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    raw = models.JSONField(default=dict, blank=True)

    match_status = models.CharField(max_length=16, choices=MatchStatus.choices, default=MatchStatus.NEW)
    matched_provider = models.CharField(max_length=64, blank=True, default="")
    matched_model_id = models.CharField(max_length=255, blank=True, default="")
    match_confidence = models.FloatField(null=True, blank=True)
    match_reasoning = models.TextField(blank=True, default="")
    match_method = models.CharField(max_length=64, blank=True, default="")
    # Every provider that serves it: [{"provider", "model_id", "confidence", "method", "verified"}].
    matches = models.JSONField(default=list, blank=True)
    # What the rules left open, per provider: {"provider": ["candidate id", …]} (at most
    # matching.MAX_CANDIDATES each), so the report can offer them for a human to pick.
    candidates = models.JSONField(default=dict, blank=True)
    skip_reason = models.CharField(max_length=64, blank=True, default="")
    verified_at = models.DateTimeField(null=True, blank=True)
    matched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "openrouter_catalog"
        verbose_name = "OpenRouter catalog entry"
        verbose_name_plural = "OpenRouter catalog"
        ordering = ("-created",)
        indexes = [
            models.Index(fields=["match_status", "matched_provider"], name="openrouter_match_idx"),
            models.Index(fields=["-first_seen_at"], name="openrouter_first_seen_idx"),
        ]

    def __str__(self):
        return self.openrouter_id

    def pick_refusal(self, provider: str, model_id: str) -> str | None:
        """Why a human cannot add (provider, model_id) for this entry with a pick, or None."""
        if self.match_status not in (MatchStatus.AMBIGUOUS, MatchStatus.MATCHED):
            return f"not ambiguous or matched (status {self.match_status})"
        offered = {(m.get("provider"), m.get("model_id")) for m in self.matches or [] if isinstance(m, dict)}
        for name, ids in (self.candidates or {}).items():
            offered |= {(name, i) for i in ids or []}
        if (provider, model_id) not in offered:
            return f"{provider}/{model_id} is not one of its candidates"
        return None

    def add_refusal(self) -> str | None:
        """Why this entry's provider IDs cannot be added to the registry, or None: the admin's
        preview and openrouter_add_matched both ask here."""
        if self.match_status != MatchStatus.MATCHED or not self.matches:
            return f"not matched (status {self.match_status})"
        return None


class CatalogFetchRun(Document):
    """One fetch of the OpenRouter catalog (from the API or a saved file)."""

    class Status(models.TextChoices):
        RUNNING = "running"
        COMPLETE = "complete"
        FAILED = "failed"

    source = models.CharField(max_length=512, blank=True, default="")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    count = models.IntegerField(default=0)
    new = models.IntegerField(default=0)
    # Router aliases read (stored apart, in openrouter_aliases), and malformed entries skipped:
    # how many, and the first of them named ("data[12] (org/model): why").
    aliases = models.IntegerField(default=0)
    skipped = models.IntegerField(default=0)
    skipped_entries = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "openrouter_fetch_runs"
        ordering = ("-started_at",)
        indexes = [models.Index(fields=["-started_at"], name="openrouter_fetch_started_idx")]

    def __str__(self):
        return f"OpenRouter fetch {self.started_at:%Y-%m-%d %H:%M} ({self.status})"


class OpenRouterAlias(Document):
    """A router alias of the catalog (`~anthropic/claude-sonnet-latest`): not a model but a name for
    whichever model it routes to now. `target_id` is that model's OpenRouter ID, or "" when the
    catalog did not say (an unresolved alias). Never matched, never added to the registry."""

    alias_id = models.CharField(max_length=255, unique=True)
    target_id = models.CharField(max_length=255, blank=True, default="")
    target_name = models.CharField(max_length=255, blank=True, default="")
    name = models.CharField(max_length=255, blank=True, default="")
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "openrouter_aliases"
        verbose_name = "OpenRouter router alias"
        verbose_name_plural = "OpenRouter router aliases"
        ordering = ("alias_id",)

    def __str__(self):
        return f"{self.alias_id} → {self.target_id or '(unresolved)'}"
