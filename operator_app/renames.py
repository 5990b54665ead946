"""Renames: a model that is gone under one ID but lives on under another ("Update model ID to X").

Three sources may name the successor: the provider's own words (an error or a deprecation notice
that says "… use X instead"), the provider's complete catalog listing an ID that extends the dead
one with a version or date (fireworks `deepseek-v3` → `deepseek-v3-0324`), or the LLM's
suggestion. Provider text and LLM answers are untrusted, so a name from them is only a candidate:
a rename is proposed only when the provider's *complete* catalog lists it (the probe loop of the
lifecycle can verify it too, later), it is not the dead ID, and nothing in the registry has it
already. A rename always waits for a human (operator_app.policy).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lifecycle.retirements import successors_named
from lifecycle.snapshots import ModelSnapshot

# What a successor may add to the dead ID: a date (-0324, -2025-03-24, -20250324) or a version (-v2, -v3.1).
_EXTENSION = re.compile(r"^[-_.@](?:\d{4}(?:-?\d{2}(?:-?\d{2})?)?|\d{3,8}|v\d+(?:\.\d+)*)$", re.IGNORECASE)


@dataclass(frozen=True)
class Successor:
    model_id: str
    source: str  # "provider text" | "catalog" | "llm"
    verified: str  # how we know it exists


def _spellings(candidate: str, model_id: str) -> list[str]:
    """The candidate as given, and with the dead ID's path prefix (accounts/fireworks/models/…)."""
    prefix = model_id.rsplit("/", 1)[0] + "/" if "/" in model_id else ""
    out = [candidate]
    if prefix and not candidate.startswith(prefix):
        out.append(prefix + candidate.rsplit("/", 1)[-1])
    return out


def catalog_extensions(model_id: str, catalog) -> list[str]:
    """IDs of the catalog that are the dead ID plus a date or version suffix."""
    return sorted(c for c in catalog if c != model_id and c.startswith(model_id) and _EXTENSION.match(c[len(model_id):]))


def successor_find(*, snapshot: ModelSnapshot, catalog, registered, llm_suggestion: str | None = None
                   ) -> Successor | None:
    """The verified successor of a model that is gone, or None.

    `catalog` is the set of IDs the provider's latest complete listing holds (None: no complete
    listing, so nothing can be verified); `registered` the (provider, model_id) keys in the registry.
    """
    if catalog is None or snapshot.model_id in catalog:
        return None  # unverifiable, or still listed: not renamed

    def usable(candidate: str) -> bool:
        return candidate != snapshot.model_id and candidate in catalog and (snapshot.provider, candidate) not in registered

    texts = [g.message for g in snapshot.streak_groups()] + [w.message for w in snapshot.warnings]
    named = successors_named(texts) + ([snapshot.successor_model] if snapshot.successor_model else [])
    for source, candidates in (("provider text", named), ("llm", [llm_suggestion] if llm_suggestion else [])):
        for candidate in candidates:
            for spelling in _spellings(candidate.strip(), snapshot.model_id):
                if usable(spelling):
                    return Successor(spelling, source, f"listed by {snapshot.provider}'s complete catalog")
    extensions = [c for c in catalog_extensions(snapshot.model_id, catalog) if usable(c)]
    if len(extensions) == 1:
        return Successor(extensions[0], "catalog", f"the only newer version {snapshot.provider}'s complete "
                                                   "catalog lists")
    return None
