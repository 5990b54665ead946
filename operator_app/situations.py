"""Group the models that need reasoning into situations, each with its evidence.

One situation per provider-wide problem (most of a provider's models failing the same
way: credentials, billing, an outage) and one per shared error signature (same
provider, taxonomy class and normalized message, with the model's own ID masked so
"model X was decommissioned" groups across X). The LLM decides per situation, so 40
models dead the same way cost one answer, not 40.

Evidence is built from the deterministic snapshot only. Provider text appears only as
sanitized, length-capped samples.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings

from lifecycle.snapshots import ModelSnapshot, ProviderContext, SnapshotSet
from llmops.lib.dates import iso_utc as _iso
from llmops.lib.text import sanitize_text
from operator_app.triage import hours_between, model_error_class

MAX_SAMPLES = 3
SAMPLE_CHARS = 300
MAX_MEMBERS_SHOWN = 40


@dataclass
class Situation:
    id: str  # short id used in the LLM request ("S1"); answers are aligned by it
    key: str  # stable across runs: "provider:<p>:<class>" or "sig:<p>:<class>:<hash>"
    kind: str  # "provider" | "signature"
    provider: str
    error_class: str
    signature: str
    members: list[ModelSnapshot] = field(default_factory=list)
    evidence: dict = field(default_factory=dict)


def model_signature(snapshot: ModelSnapshot) -> tuple[str, str]:
    """(class, normalized message of the dominant current failure with the model ID masked)."""
    cls = model_error_class(snapshot)
    groups = [g for g in snapshot.streak_groups() if g.error_class == cls] or [
        g for g in snapshot.errors if g.error_class == cls
    ]
    if not groups:
        return cls or "no_errors", ""
    top = max(groups, key=lambda g: (g.count, g.normalized))
    text = top.normalized or ""
    short = snapshot.model_id.rsplit("/", 1)[-1]
    for name in sorted({snapshot.model_id, short}, key=len, reverse=True):
        if len(name) >= 3:
            text = text.replace(name, "<model>")
    return cls, f"{top.status}|{text}"


def model_facts(snapshot: ModelSnapshot, *, as_of: datetime) -> dict:
    """One model's evidence as JSON (stored on the Decision, shown to the LLM)."""
    return {
        "model_id": snapshot.model_id,
        "runs": snapshot.runs,
        "successes": snapshot.successes,
        "failures": snapshot.failures,
        "window_hours": snapshot.window_hours,
        "streak_started_at": _iso(snapshot.streak_started_at),
        "streak_hours": hours_between(as_of, snapshot.streak_started_at),
        "last_success_at": _iso(snapshot.last_success_at),
        "hours_since_success": hours_between(as_of, snapshot.last_success_at),
        "in_provider_catalog": snapshot.in_provider_catalog,
        "deprecated": snapshot.deprecated,
        "deprecation_date": snapshot.deprecation_date,
        "successor_model": sanitize_text(snapshot.successor_model or "", limit=100) or None,
    }


# The provider's own error code inside its JSON-ish error text ('code': 'model_not_found').
_CODE = re.compile(r"""['"](?:code|error_code|type)['"]\s*:\s*['"]([A-Za-z][\w.\-]{1,63})['"]""")


def error_code(message: str) -> str | None:
    match = _CODE.search(message or "")
    return match.group(1) if match else None


def model_samples(snapshots, *, limit: int = MAX_SAMPLES) -> list[dict]:
    """The most frequent distinct error groups: structured fields first (status, the provider's error
    code, taxonomy class, count, first/last seen), the capped message text last — so no text, however
    long or crafted, can push the facts out of what a reader (or the LLM) sees."""
    seen, out = set(), []
    groups = sorted((g for m in snapshots for g in m.streak_groups() or m.errors),
                    key=lambda g: (-g.count, g.normalized))
    for group in groups:
        if group.normalized in seen:
            continue
        seen.add(group.normalized)
        out.append({"status": group.status, "code": error_code(group.message), "class": group.error_class,
                    "count": group.count, "first_seen_at": _iso(group.first_seen_at),
                    "last_seen_at": _iso(group.last_seen_at),
                    "message": sanitize_text(group.message, limit=SAMPLE_CHARS)})
        if len(out) >= limit:
            break
    return out


def classifier_facts(members, verdicts: dict | None) -> dict | None:
    """What the rules say about the situation: the members' most common action, its lowest confidence,
    and the reason of the first member that has it."""
    if not verdicts:
        return None
    found = [verdicts[m.key] for m in members if m.key in verdicts]
    if not found:
        return None
    action = Counter(v.action for v in found).most_common(1)[0][0]
    same = [v for v in found if v.action == action]
    return {"action": action, "confidence": min(v.confidence for v in same),
            "reason": sanitize_text(same[0].reasoning, limit=400), "models_agreeing": len(same),
            "models": len(found)}


def provider_facts(ctx: ProviderContext | None, problem: str | None) -> dict:
    if ctx is None:
        return {"known": False, "provider_problem": problem}
    return {
        "error_rate": round(ctx.error_rate, 4),
        "models": ctx.models,
        "models_failing": ctx.models_failing,
        "catalog": ctx.catalog,
        "dominant_error_class": ctx.dominant_error_class,
        "provider_problem": problem,
    }


def situation_evidence(situation: Situation, *, ctx: ProviderContext | None, problem: str | None,
                       as_of: datetime) -> dict:
    members = situation.members
    starts = [m.streak_started_at for m in members if m.streak_started_at]
    successes = [m.last_success_at for m in members if m.last_success_at]
    facts = [model_facts(m, as_of=as_of) for m in members[:MAX_MEMBERS_SHOWN]]
    return {
        "kind": situation.kind,
        "provider": situation.provider,
        "error_class": situation.error_class,
        "models": len(members),
        "members": facts,
        "members_not_shown": max(len(members) - MAX_MEMBERS_SHOWN, 0),
        "counts": {
            "runs": sum(m.runs for m in members),
            "successes": sum(m.successes for m in members),
            "failures": sum(m.failures for m in members),
            "errors": sum(g.count for m in members for g in m.errors),
        },
        "streak": {
            "earliest_start": _iso(min(starts)) if starts else None,
            "latest_start": _iso(max(starts)) if starts else None,
            "longest_hours": hours_between(as_of, min(starts)) if starts else None,
            "shortest_hours": hours_between(as_of, max(starts)) if starts else None,
        },
        "last_success_at": _iso(max(successes)) if successes else None,
        "never_succeeded": sum(1 for m in members if m.last_success_at is None),
        "provider_context": provider_facts(ctx, problem),
        "catalog": {
            "state": ctx.catalog if ctx else None,
            "listed": sum(1 for m in members if m.in_provider_catalog is True),
            "not_listed": sum(1 for m in members if m.in_provider_catalog is False),
            "unknown": sum(1 for m in members if m.in_provider_catalog is None),
        },
        "samples": model_samples(members),
        "warnings": [sanitize_text(w.message, limit=200) for w in {
            w.normalized: w for m in members for w in m.warnings}.values()][:2],
    }


def situations_build(*, snapset: SnapshotSet, snapshots: list[ModelSnapshot], as_of: datetime,
                     provider_problems: dict[str, str | None], verdicts: dict | None = None) -> list[Situation]:
    """Situations for `snapshots` (the models triage did not settle), in a stable order."""
    grouped: dict[str, Situation] = {}
    for snapshot in snapshots:
        cls, signature = model_signature(snapshot)
        problem = provider_problems.get(snapshot.provider)
        if problem and cls == problem:
            key = f"provider:{snapshot.provider}:{problem}"
            kind, signature = "provider", ""
        else:
            # Fresh and long streaks of the same error are different questions (blip or
            # death?), so they are separate situations with one answer each.
            started = snapshot.streak_started_at
            mature = started is not None and as_of - started >= timedelta(hours=settings.OPERATOR_HARD_STREAK_HOURS)
            digest = hashlib.sha1(signature.encode()).hexdigest()[:12]
            key = f"sig:{snapshot.provider}:{cls}:{digest}:{'long' if mature else 'fresh'}"
            kind = "signature"
        situation = grouped.get(key)
        if situation is None:
            situation = grouped[key] = Situation(id="", key=key, kind=kind, provider=snapshot.provider,
                                                 error_class=cls, signature=signature)
        situation.members.append(snapshot)
    ordered = sorted(grouped.values(), key=lambda s: (s.kind != "provider", s.provider, s.key))
    for index, situation in enumerate(ordered, start=1):
        situation.id = f"S{index}"
        situation.members.sort(key=lambda m: m.model_id)
        ctx = snapset.providers.get(situation.provider)
        situation.evidence = situation_evidence(situation, ctx=ctx, problem=provider_problems.get(situation.provider),
                                                as_of=as_of)
        if (rules := classifier_facts(situation.members, verdicts)) is not None:
            situation.evidence["classifier"] = rules
    return ordered
