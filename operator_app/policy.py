"""What may run unattended. Code decides this from the deterministic evidence; the LLM can only hold back.

A decision is carried out without a human only when the evidence alone would carry it — the
rules (the deterministic classifier over the taxonomy, streak, catalog and provider context)
propose disable with a confidence at the bar, the failure is a hard model error old enough,
with no success since the streak began and none in the signal window unless a complete catalog
confirms the model is gone, the provider is otherwise healthy, and its complete catalog no longer
lists the model — **and**, when the LLM answered, the LLM agrees (disable, at the bar too).
Nothing an LLM writes, or a provider smuggles into an error message, can widen this: an LLM
answer can only hold a change back, and when it disagrees with the rules the decision waits for
a human with both verdicts on it.

Past its announced retirement date (lifecycle.retirements) a hard model error is hard evidence
at once: the streak need not be OPERATOR_HARD_STREAK_HOURS old; every other condition holds.

An enable (operator_app.recovery) runs without a human only when the model was disabled
unattended — by the operator — for a recoverable class (or is a candidate and
ADMISSION_AUTO_ENABLE is on), two probes at least an hour apart succeeded, and the kill switch is
on; the same caps apply, and human verdicts and holds can only hold it back.

Caps bound how much one run applies: the first N eligible decisions (oldest streak
first) run, the rest stay pending and become eligible again on the next run. A cap never
refuses a whole run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from registry.vocabulary import RECOVERABLE_CLASSES, Action, ErrorClass

HARD_MODEL = ErrorClass.HARD_MODEL.value
# Two successful probes this far apart bring a model back unattended (one could be a blip).
PROBE_SPACING = timedelta(hours=1)


def __getattr__(name):
    # AUTO_CONFIDENCE is read from settings each time, so every place that shows the
    # threshold (policy, admin, email, command output) shows the same number.
    if name == "AUTO_CONFIDENCE":
        return float(settings.OPERATOR_AUTO_CONFIDENCE)
    raise AttributeError(name)


@dataclass
class PolicyInput:
    """The evidence the policy reads for one model's decision."""

    provider: str
    model_id: str
    action: str  # what the decision proposes
    confidence: float
    error_class: str  # from lifecycle.taxonomy over the evidence, never from LLM text
    streak_classes: tuple[str, ...]  # taxonomy classes of every error since the last success
    streak_started_at: datetime | None
    last_success_at: datetime | None
    provider_wide: bool
    catalog: str | None  # complete | partial | none | None
    in_provider_catalog: bool | None
    # The rules' own verdict (the deterministic classifier); None: the proposal is the rules' verdict.
    rules_action: str | None = None
    rules_confidence: float | None = None
    # The LLM's answer, when one was used (None: LLM off, failed, or not asked).
    llm_action: str | None = None
    llm_confidence: float | None = None
    # Successful runs within the signal window (a success there keeps a human in the loop).
    successes: int = 0
    window_hours: int = 0
    # When the model's announced retirement began, if it has and hard model errors came since
    # (lifecycle.retirements.retirement_passed): the streak need not be old.
    retired_at: datetime | None = None
    # Enables (operator_app.recovery): why the model is disabled, whether the operator disabled it
    # unattended, whether it is a candidate, and the successful probes since its last failed one.
    disabled_class: str = ""
    disabled_unattended: bool = False
    admission: bool = False
    probe_successes: tuple[datetime, ...] = ()


@dataclass
class PolicyVerdict:
    auto_execute: bool
    reason: str
    # Eligible on the evidence, held back only by a cap: it runs on a later pass.
    capped: bool = False


def _conf(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and 0.0 <= value <= 1.0 else None


def policy_check(*, item: PolicyInput, as_of: datetime) -> PolicyVerdict:
    """Every per-decision condition; caps are applied across decisions by policy_apply_caps."""
    threshold = float(settings.OPERATOR_AUTO_CONFIDENCE)
    hours = settings.OPERATOR_HARD_STREAK_HOURS
    rules_action = item.rules_action or item.action
    rules_confidence = item.rules_confidence if item.rules_action else item.confidence
    if item.action == Action.RENAME:
        return PolicyVerdict(False, "a rename always waits for a human")
    if item.action == Action.ENABLE:
        return _enable_check(item)
    if item.action != Action.DISABLE:
        return PolicyVerdict(False, f"action is {item.action}, only disable and enable run unattended")
    if item.error_class != HARD_MODEL or any(c != HARD_MODEL for c in item.streak_classes):
        classes = ", ".join(sorted(set(item.streak_classes))) or item.error_class or "none"
        return PolicyVerdict(False, f"error class is {classes}; only hard_model runs unattended")
    if item.streak_started_at is None:
        return PolicyVerdict(False, "no failure streak on record")
    if item.last_success_at is not None and item.last_success_at >= item.streak_started_at:
        return PolicyVerdict(False, "a success since the streak began")
    age = as_of - item.streak_started_at
    retired = item.retired_at is not None and item.retired_at <= as_of
    if age < timedelta(hours=hours) and not retired:
        return PolicyVerdict(False, f"hard streak is {age.total_seconds() / 3600:.0f}h old, needs {hours}h")
    if item.provider_wide:
        return PolicyVerdict(False, f"{item.provider} has a provider-wide problem")
    gone = item.catalog == "complete" and item.in_provider_catalog is False
    if item.successes and not gone:
        return PolicyVerdict(False, f"it succeeded {item.successes}x within the {item.window_hours}h window and no "
                                    "complete catalog says it is gone; a human confirms")
    if item.catalog == "complete" and item.in_provider_catalog is True:
        return PolicyVerdict(False, f"{item.provider}'s complete catalog still lists the model")
    # The evidence qualifies; now the two verdicts: the rules must carry it, the LLM may only hold it back.
    if item.llm_action is not None and item.llm_action != rules_action:
        return PolicyVerdict(False, f"rules: {rules_action} · LLM: {item.llm_action} — they disagree, a human decides")
    if rules_action != Action.DISABLE:
        return PolicyVerdict(False, f"the rules do not disable it (rules: {rules_action})")
    rules = _conf(rules_confidence)
    if rules is None or rules < threshold:
        return PolicyVerdict(False, f"the rules' confidence {rules_confidence:.2f} < {threshold:.2f}")
    if item.llm_action is not None:
        llm = _conf(item.llm_confidence)
        if llm is None or llm < threshold:
            return PolicyVerdict(False, f"the LLM's confidence {item.llm_confidence:.2f} < {threshold:.2f}")
    if not settings.OPERATOR_AUTO_EXECUTE:
        return PolicyVerdict(False, "auto-execution is switched off (OPERATOR_AUTO_EXECUTE)")
    catalog = "absent from complete catalog" if gone else f"catalog {item.catalog or 'unknown'}"
    agreed = f", the LLM agrees at {item.llm_confidence:.2f}" if item.llm_action is not None else ""
    past = f" past its announced retirement ({item.retired_at:%Y-%m-%d})" if retired else ""
    return PolicyVerdict(True, f"hard_model for {age.total_seconds() / 3600:.0f}h{past}, no success since, "
                               f"provider otherwise healthy, {catalog}, confidence {rules:.2f} ≥ {threshold:.2f}"
                               f"{agreed}")


def _enable_check(item: PolicyInput) -> PolicyVerdict:
    if item.admission:
        if not settings.ADMISSION_AUTO_ENABLE:
            return PolicyVerdict(False, "a candidate waits for a human (ADMISSION_AUTO_ENABLE is off)")
    else:
        if item.disabled_class not in RECOVERABLE_CLASSES:
            return PolicyVerdict(False, f"disabled for {item.disabled_class or 'no class'}, not a recoverable class; "
                                        "a human decides")
        if not item.disabled_unattended:
            return PolicyVerdict(False, "a human disabled it; a human enables it again")
    oks = sorted(item.probe_successes)
    if len(oks) < 2:
        return PolicyVerdict(False, f"{len(oks)} successful probe(s); two at least "
                                    f"{PROBE_SPACING.total_seconds() / 3600:.0f}h apart run it unattended")
    if oks[-1] - oks[0] < PROBE_SPACING:
        return PolicyVerdict(False, f"its successful probes are less than {PROBE_SPACING.total_seconds() / 3600:.0f}h "
                                    "apart; a later one decides")
    if not settings.OPERATOR_AUTO_EXECUTE:
        return PolicyVerdict(False, "auto-execution is switched off (OPERATOR_AUTO_EXECUTE)")
    why = "a candidate (ADMISSION_AUTO_ENABLE)" if item.admission else \
        f"disabled unattended for {item.disabled_class}"
    return PolicyVerdict(True, f"{why}; probes succeeded at {oks[0]:%Y-%m-%d %H:%M} and {oks[-1]:%Y-%m-%d %H:%M} UTC")


def policy_apply_caps(*, candidates: list[tuple[PolicyInput, PolicyVerdict]],
                      already_per_provider: dict[str, int] | None = None) -> None:
    """Keep auto_execute on the first decisions within the caps; the rest wait for the next run.

    Oldest streak first (then provider/model for a stable order), so a backlog drains
    in the order the models died. Mutates the verdicts in place.
    """
    per_run = settings.OPERATOR_MAX_AUTO_PER_RUN
    per_provider = settings.OPERATOR_MAX_AUTO_PER_PROVIDER
    used_run = 0
    used_provider = dict(already_per_provider or {})
    eligible = [(i, v) for i, v in candidates if v.auto_execute]
    eligible.sort(key=lambda iv: (iv[0].streak_started_at, iv[0].provider, iv[0].model_id))
    for item, verdict in eligible:
        if used_run >= per_run:
            verdict.auto_execute, verdict.capped = False, True
            verdict.reason = f"eligible, but this run's cap ({per_run}) is used; pending for the next run"
            continue
        if used_provider.get(item.provider, 0) >= per_provider:
            verdict.auto_execute, verdict.capped = False, True
            verdict.reason = (f"eligible, but the per-provider cap ({per_provider}) for {item.provider} is used; "
                              "pending for the next run")
            continue
        used_run += 1
        used_provider[item.provider] = used_provider.get(item.provider, 0) + 1
