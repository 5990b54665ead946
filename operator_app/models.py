"""Operator passes (runs), their decisions about models, and the lock that keeps two passes apart."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from llmops.lib.object_id import Document
from registry.vocabulary import CHANGE_ACTIONS, Action


class OperatorRun(Document):
    """One operator pass: what it looked at, what it cost, how long each stage took."""

    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        # Its pass died (killed, hung) without recording an end: settled by the pass that took the
        # lapsed lock over, or by manage.py operator_unlock.
        ABANDONED = "abandoned"

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    as_of = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField(max_length=32, blank=True, default="command")
    params = models.JSONField(default=dict, blank=True)
    llm_model = models.CharField(max_length=128, blank=True, default="")
    llm_enabled = models.BooleanField(default=False)
    models_analyzed = models.IntegerField(default=0)
    situations = models.IntegerField(default=0)
    llm_calls = models.IntegerField(default=0)
    prompt_tokens = models.IntegerField(default=0)
    completion_tokens = models.IntegerField(default=0)
    estimated_cost_usd = models.FloatField(default=0.0)
    fallbacks = models.IntegerField(default=0)
    fallback_reasons = models.JSONField(default=dict, blank=True)
    # Models a human's verdict held back in this pass: [{provider, model_id, action, kind, by, at, reason}].
    held = models.JSONField(default=list, blank=True)
    # Situations answered from stored answers instead of a call (operator_app.answers).
    llm_cached = models.IntegerField(default=0)
    decisions_created = models.IntegerField(default=0)
    auto_executed = models.IntegerField(default=0)
    pending = models.IntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "operator_runs"
        ordering = ("-started_at",)
        indexes = [models.Index(fields=["-started_at"], name="operator_runs_started_idx")]

    def __str__(self):
        return f"run {self.started_at:%Y-%m-%d %H:%M} ({self.status})"


class Decision(Document):
    """One operator decision about one model, with its evidence and the policy verdict."""

    class Status(models.TextChoices):
        # The spec's vocabulary (model_status.operator_decision.status reads the same, see
        # Decision.mirror_status): a human approved it (and it was carried out: executed_at), it
        # ran unattended, it was rejected, or carrying it out failed.
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"
        AUTO_EXECUTED = "auto_executed"
        FAILED = "failed"
        # Ours: a human approved a decision that changes nothing (monitor), and a newer
        # decision took a pending one's place.
        ACKNOWLEDGED = "acknowledged"
        SUPERSEDED = "superseded"

    run = models.ForeignKey(OperatorRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions")
    provider = models.CharField(max_length=64)
    model_id = models.CharField(max_length=255)
    action = models.CharField(max_length=16, choices=Action.choices)
    confidence = models.FloatField(default=0.0)
    reasoning = models.TextField(blank=True, default="")
    suggested_at = models.DateTimeField(default=timezone.now)
    suggested_by = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    executed_at = models.DateTimeField(null=True, blank=True)
    error_class = models.CharField(max_length=32, blank=True, default="")
    lifecycle_status = models.CharField(max_length=32, blank=True, default="")
    situation_key = models.CharField(max_length=255, blank=True, default="")
    evidence = models.JSONField(default=dict, blank=True)
    # Hash of the decision-relevant evidence: a rerun on unchanged evidence is a no-op.
    evidence_hash = models.CharField(max_length=64, blank=True, default="")
    auto_execute = models.BooleanField(default=False)
    auto_execute_reason = models.TextField(blank=True, default="")
    proposed_change = models.JSONField(default=dict, blank=True)
    # What the rules (the deterministic classifier) and the LLM each said: {action, confidence,
    # reasoning} (the LLM's also `cached`). When they differ the decision waits for a human with both.
    rules_verdict = models.JSONField(null=True, blank=True)
    llm_verdict = models.JSONField(null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewer_name = models.CharField(max_length=150, blank=True, default="")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True, default="")
    execution_error = models.TextField(blank=True, default="")
    # Set by the one conditional update that claims a batch for review, so the claimer can
    # select exactly the rows it won (no transaction on MongoDB to tell it otherwise).
    claim_token = models.CharField(max_length=24, blank=True, default="", editable=False)

    class Meta:
        db_table = "operator_decisions"
        ordering = ("-suggested_at",)
        permissions = [
            ("approve_decision", "Can approve and execute operator decisions"),
            ("reject_decision", "Can reject operator decisions"),
        ]
        indexes = [
            models.Index(fields=["status", "-suggested_at"], name="decisions_status_idx"),
            models.Index(fields=["provider", "model_id", "status"], name="decisions_model_status_idx"),
        ]

    def __str__(self):
        return f"{self.action} {self.provider}/{self.model_id} ({self.status})"

    def execution_refusal(self) -> str | None:
        """Why this decision cannot be reviewed (approved and carried out, or rejected) now, or None:
        the admin's confirmation preview and the review services both ask here."""
        if self.status != self.Status.PENDING:
            return f"it is {self.status}, not pending"
        if self.action == Action.RENAME and not self.new_model_id:
            return "it is a rename without a new model ID"
        return None

    @property
    def changes_registry(self) -> bool:
        """Approving it changes the registry (disable, enable, rename); else it is acknowledged."""
        return self.action in CHANGE_ACTIONS

    @property
    def new_model_id(self) -> str:
        """The model ID a rename decision proposes ('' for other actions)."""
        change = self.proposed_change if isinstance(self.proposed_change, dict) else {}
        return str(change.get("new_model_id") or "") if self.action == Action.RENAME else ""

    @property
    def mirror_status(self) -> str:
        """The status model_status.operator_decision shows: the spec's five words."""
        return self.Status.APPROVED if self.status == self.Status.ACKNOWLEDGED else self.status

    @property
    def disagreement(self) -> str:
        """"rules: disable · LLM: ignore" when the two said different things, else ""."""
        rules, llm = self.rules_verdict or {}, self.llm_verdict or {}
        if rules.get("action") and llm.get("action") and rules["action"] != llm["action"]:
            return f"rules: {rules['action']} · LLM: {llm['action']}"
        return ""

    @property
    def what(self) -> str:
        """The decision in the report's words: "disable P/M", "Update model ID to X"."""
        if self.action == Action.RENAME:
            return f"{self.provider}/{self.model_id}: Update model ID to {self.new_model_id}"
        return f"{self.action} {self.provider}/{self.model_id}"


class LLMAnswer(Document):
    """The LLM's answer to one situation, reused while the situation is unchanged (operator_app.answers)."""

    key = models.CharField(max_length=64)  # operator_app.answers.situation_signature
    situation_key = models.CharField(max_length=255, blank=True, default="")
    llm_model = models.CharField(max_length=128, blank=True, default="")
    action = models.CharField(max_length=16, choices=Action.choices)
    confidence = models.FloatField(default=0.0)
    reasoning = models.TextField(blank=True, default="")
    suggested_model_id = models.CharField(max_length=255, blank=True, default="")
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "operator_llm_answers"
        constraints = [models.UniqueConstraint(fields=["key"], name="operator_llm_answers_key_uniq")]
        indexes = [models.Index(fields=["answered_at"], name="operator_llm_answers_at_idx")]

    def __str__(self):
        return f"{self.action} {self.confidence:.2f} for {self.situation_key} ({self.answered_at:%Y-%m-%d %H:%M})"


class OperatorLock(Document):
    """A named lease that keeps two operator passes from running at once (operator_app.locking).

    Works on every backend without Redis (management commands must run without it):
    taking the lock is an insert guarded by the unique name; the holder renews `expires_at`
    while it works; a lease past `expires_at` (its holder died) is taken over with a
    conditional update and the run named by `run_ref` is marked abandoned.
    """

    name = models.CharField(max_length=64)
    holder = models.CharField(max_length=64)
    acquired_at = models.DateTimeField(default=timezone.now)
    renewed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    run_ref = models.CharField(max_length=24, blank=True, default="")

    class Meta:
        db_table = "operator_locks"
        constraints = [models.UniqueConstraint(fields=["name"], name="operator_locks_name_uniq")]

    def __str__(self):
        return f"{self.name} held by {self.holder} until {self.expires_at:%Y-%m-%d %H:%M}"
