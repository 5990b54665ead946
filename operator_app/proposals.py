"""A proposal: what the engine decided for one model in one pass, before it is persisted."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from lifecycle.classifier import Verdict
from lifecycle.snapshots import ModelSnapshot
from operator_app.llm import Answer
from operator_app.policy import PolicyVerdict
from operator_app.renames import Successor
from operator_app.verdicts import HumanVerdict


@dataclass
class Proposal:
    snapshot: ModelSnapshot
    action: str
    confidence: float
    reasoning: str
    suggested_by: str  # rules | llm | classifier-fallback
    error_class: str  # deterministic taxonomy class of the evidence
    lifecycle_status: str = ""
    situation_key: str = ""
    suggested_model_id: str | None = None
    fallback_reason: str = ""
    evidence: dict = field(default_factory=dict)
    policy: PolicyVerdict = field(default_factory=lambda: PolicyVerdict(False, "not evaluated"))
    executed: bool = False
    execution_message: str = ""
    decision_id: str = ""
    # A rename ("Update model ID to X"): the verified successor, and the action it replaced.
    successor: Successor | None = None
    base_action: str = ""
    # What humans said before (operator_app.verdicts): the verdict that holds this proposal back (no
    # new decision, nothing unattended), the one it reopens, and a declined rename it fell back from.
    held_by: HumanVerdict | None = None
    reopened_by: HumanVerdict | None = None
    declined_rename: HumanVerdict | None = None
    # What the rules (the classifier) said, and the LLM's answer when one decided the situation.
    rules: Verdict | None = None
    llm_answer: Answer | None = None
    # What else the decision rests on when it is not a benchmark streak (an enable: the probes), hashed
    # with the rest; empty for an operator pass, whose hashes stay what they were.
    evidence_basis: dict = field(default_factory=dict)

    @property
    def disagreement(self) -> bool:
        return self.rules is not None and self.llm_answer is not None and self.rules.action != self.llm_answer.action

    def verdicts_record(self) -> tuple[dict | None, dict | None]:
        """(rules_verdict, llm_verdict) as the decision stores them."""
        rules = {"action": self.rules.action, "confidence": round(float(self.rules.confidence), 4),
                 "reasoning": self.rules.reasoning} if self.rules is not None else None
        llm = {"action": self.llm_answer.action, "confidence": round(float(self.llm_answer.confidence), 4),
               "reasoning": self.llm_answer.reasoning, "cached": self.llm_answer.cached} \
            if self.llm_answer is not None else None
        return rules, llm

    @property
    def provider(self) -> str:
        return self.snapshot.provider

    @property
    def model_id(self) -> str:
        return self.snapshot.model_id

    @property
    def key(self) -> tuple[str, str]:
        return self.snapshot.key

    def evidence_hash(self) -> str:
        """Hash of what the decision rests on, not of counters that grow every run.

        Same action on the same streak (start, last success, error signatures, catalog)
        hashes the same, so a rerun does not pile up duplicate pending decisions while a
        model stays dead the same way; a changed streak or action makes a new decision
        that supersedes the old one.
        """
        s = self.snapshot
        basis = {
            "provider": s.provider,
            "model_id": s.model_id,
            "action": self.action,
            "error_class": self.error_class,
            # The hash's input is frozen (datetime.isoformat, not llmops.lib.dates): another format
            # would change every hash and supersede every pending decision on upgrade.
            "streak_started_at": s.streak_started_at.isoformat() if s.streak_started_at else None,
            "last_success_at": s.last_success_at.isoformat() if s.last_success_at else None,
            "signatures": sorted({(g.status or 0, g.normalized) for g in s.streak_groups()}),
            "in_provider_catalog": s.in_provider_catalog,
            "suggested_model_id": self.suggested_model_id,
        }
        if self.evidence_basis:
            basis["basis"] = self.evidence_basis
        return hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).hexdigest()
