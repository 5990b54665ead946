"""The registry of models the benchmark runs against, and the append-only audit log of its changes.

db_table names are the production MongoDB collection names (`models` is shared with the
benchmark runner, which reads it).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from llmops.lib.object_id import Document
from registry.vocabulary import DisabledClass

# A candidate is added disabled with a `disabled_reason` starting so (registry.services.registry_add);
# probes admit it or reject it (operator_app.recovery), a revert of its add may withdraw it.
CANDIDATE_PREFIX = "candidate"
CANDIDATE_REJECTED_PREFIX = "candidate rejected"
CANDIDATE_WITHDRAWN_PREFIX = "candidate withdrawn"


class RegisteredModel(Document):
    """One model the benchmark runs against: the `models` collection."""

    provider = models.CharField(max_length=64)
    model_id = models.CharField(max_length=255)
    display_name = models.CharField(max_length=255, blank=True, default="")
    enabled = models.BooleanField(default=True)
    deprecated = models.BooleanField(default=False)
    disabled_reason = models.TextField(blank=True, default="")
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_by = models.CharField(max_length=150, blank=True, default="")
    disabled_class = models.CharField(max_length=32, blank=True, default="", choices=DisabledClass.choices)
    recheck_after = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "models"
        verbose_name = "registered model"
        ordering = ("provider", "model_id")
        constraints = [
            models.UniqueConstraint(fields=["provider", "model_id"], name="models_provider_model_id_uniq"),
        ]
        indexes = [
            models.Index(fields=["enabled", "provider"], name="models_enabled_provider_idx"),
            models.Index(fields=["disabled_class"], name="models_disabled_class_idx"),
        ]

    def __str__(self):
        return f"{self.provider}/{self.model_id}"

    @property
    def key(self) -> tuple[str, str]:
        return (self.provider, self.model_id)

    @property
    def is_candidate(self) -> bool:
        """Added from discovery and not enabled yet (a rejected one is still one: it is rechecked later;
        a withdrawn one is not)."""
        reason = self.disabled_reason or ""
        return (not self.enabled and self.disabled_class == DisabledClass.MANUAL and reason.startswith(CANDIDATE_PREFIX)
                and not reason.startswith(CANDIDATE_WITHDRAWN_PREFIX))

    def toggle_refusal(self, *, enable: bool) -> str | None:
        """Why enabling (or disabling) this model would change nothing, or None."""
        if enable and self.enabled:
            return "already enabled"
        if not enable and not self.enabled:
            return f"already disabled ({self.disabled_class or 'no class'})"
        return None


class AuditLog(Document):
    """Append-only record of every change to the registry and every review.

    Written before the change it describes (status `pending`, then `applied` or
    `failed`), because MongoDB has no transactions to tie the two together. Names and the
    ids of the decision and run behind a change (`decision_ref`, `run_ref`) are copied onto
    the row, so it survives deletion of the user, decision or run, and the registry needs
    nothing from the apps above it.
    """

    class ActorType(models.TextChoices):
        USER = "user"
        OPERATOR = "operator"
        SYSTEM = "system"

    class Status(models.TextChoices):
        PENDING = "pending"
        APPLIED = "applied"
        FAILED = "failed"

    # Actions that change a registry row: a revert is refused when one is newer than its change.
    REGISTRY_CHANGES = ("disable", "enable", "rename", "add", "revert")
    # A human's word that unattended changes of a model may resume after a revert (registry_hold_clear).
    HOLD_CLEARED = "clear_hold"

    at = models.DateTimeField(default=timezone.now)
    actor_type = models.CharField(max_length=16, choices=ActorType.choices, default=ActorType.SYSTEM)
    actor = models.CharField(max_length=150)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=32)
    provider = models.CharField(max_length=64, blank=True, default="")
    model_id = models.CharField(max_length=255, blank=True, default="")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True, default="")
    reversible = models.BooleanField(default=False)
    reverted_at = models.DateTimeField(null=True, blank=True)
    reverted_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reverts = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decision_ref = models.CharField(max_length=24, blank=True, default="")
    run_ref = models.CharField(max_length=24, blank=True, default="")

    class Meta:
        db_table = "operator_audit_log"
        ordering = ("-at",)
        permissions = [("revert_change", "Can revert audited changes")]
        indexes = [
            models.Index(fields=["-at"], name="audit_at_idx"),
            models.Index(fields=["provider", "model_id"], name="audit_model_idx"),
            models.Index(fields=["action", "-at"], name="audit_action_idx"),
            models.Index(fields=["decision_ref"], name="audit_decision_ref_idx"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.provider}/{self.model_id}"

    def revert_refusal(self) -> str | None:
        """Why this entry cannot be reverted, or None: the admin's preview and the revert service
        both ask here, so a preview never promises what the service then refuses."""
        if self.reverted_at is not None:
            return "already reverted"
        if not self.reversible:
            return "not reversible"
        if self.status != self.Status.APPLIED:
            return f"it is {self.status}, not applied"
        return None
