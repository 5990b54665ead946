"""A realistic demo fleet: registry, a week of results and errors, provider catalogs.

Deterministic (fixed seed) and idempotent: the registry is upserted, and the benchmark rows the
seed wrote before are replaced, so running it twice leaves the same counts. Error texts are the
real provider texts from shared/samples/snapshots.

With `lifecycle` (`seed_demo --lifecycle`, what `make demo` runs), two more models show the lifecycle
closing, from recorded probe results (no provider is called, the demo stays offline): `xai/grok-3`, disabled unattended by the operator five days ago for a billing problem,
whose two probes since succeeded an hour and more apart (a recheck enables it again, unattended), and
`together/moonshotai/Kimi-K2-Instruct`, a candidate added from discovery that answered two probes (a
recheck proposes admitting it, for a human to approve).

It only ever touches rows it wrote itself, recorded in `demo_rows` (DemoRow: table + primary
key, kept apart so the runner's collections get no field of ours). A database that holds any
registry model, benchmark result or error, provider catalog entry or sync it did not write is
real history: the seed refuses it and says what it found, unless `force` is given (a throwaway
database), and even then it deletes and updates nothing but its own rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from lifecycle.models import (
    BenchmarkError,
    BenchmarkResult,
    DemoRow,
    ModelProbe,
    ProviderCatalogEntry,
    ProviderCatalogSync,
)
from registry.models import RegisteredModel
from registry.services import Actor, registry_add, registry_disable

# What the seed writes, and so what it checks for rows it did not write.
SEEDED = (RegisteredModel, BenchmarkResult, BenchmarkError, ProviderCatalogEntry, ProviderCatalogSync, ModelProbe)
CHUNK = 500  # primary keys per `pk__in` (SQLite's bound-variable limit)
EXAMPLES = 3


class DemoRefused(Exception):
    """The database holds rows seed_demo did not write; the message says which."""

RUN_EVERY = timedelta(hours=3)
DAYS = 7

NOT_FOUND_OPENAI = (
    "NotFoundError: Error code: 404 - {'error': {'message': 'The model `%s` does not exist or you do not have "
    "access to it.', 'type': 'invalid_request_error', 'param': None, 'code': 'model_not_found'}}"
)
DECOMMISSIONED_GROQ = (
    "BadRequestError: Error code: 400 - {'error': {'message': 'The model `%s` has been decommissioned and is no "
    "longer supported. Please refer to https://console.groq.com/docs/deprecations for a recommendation on which "
    "model to use instead.', 'type': 'invalid_request_error', 'code': 'model_decommissioned'}}"
)
RATE_LIMIT_GROQ = "Error code: 429 - slow down"
BILLING_DEEPINFRA = "APIStatusError: Error code: 402 - Payment Required: insufficient credits"
AUTH_MISTRAL = (
    "AuthenticationError: Error code: 401 - {'object': 'error', 'message': 'Unauthorized', "
    "'type': 'invalid_request_error', 'param': None, 'code': None}"
)
OVERLOADED_ANTHROPIC = (
    "InternalServerError: Error code: 529 - {'type': 'error', 'error': {'type': 'overloaded_error', "
    "'message': 'Overloaded'}}"
)
SERVER_ERROR_FIREWORKS = "InternalServerError: Error code: 500 - {'error': {'object': 'error', 'type': 'internal_server_error', 'message': 'server had an error while processing your request'}}"
BILLING_XAI = ("APIStatusError: Error code: 402 - {'code': 'Your team has either used all available credits or "
               "reached its monthly spending limit.'}")
TIMEOUT = "benchmark timed out after 120s"
BEDROCK_EOL = (
    "ValidationException: An error occurred (ValidationException) when calling the ConverseStream operation: "
    "The model %s has reached the end of its life. Please use a newer model."
)
CONTENT_FILTER = (
    "BadRequestError: Error code: 400 - {'error': {'message': \"The response was filtered due to the prompt "
    "triggering Azure OpenAI's content management policy. Please modify your prompt and retry.\", 'type': None, "
    "'param': 'prompt', 'code': 'content_filter', 'status': 400}}"
)
UNSUPPORTED_PARAM = (
    "BadRequestError: Error code: 400 - {'error': {'message': \"Unsupported parameter: 'max_tokens' is not "
    "supported with this model. Use 'max_completion_tokens' instead.\", 'type': 'invalid_request_error', "
    "'param': 'max_tokens', 'code': 'unsupported_parameter'}}"
)
DEPRECATION_WARNING = (
    "The model '%s' is deprecated and will reach end-of-life on February 19th, 2027. Please migrate to a newer "
    "model. Visit https://docs.anthropic.com/en/docs/resources/model-deprecations for more information."
)


@dataclass(frozen=True)
class Scenario:
    provider: str
    model_id: str
    kind: str  # healthy | dead | fresh_404 | decommissioned | eol | rate_limited | billing | auth |
    #            overloaded | flapping | never | content_filter | capability | deprecation | legacy_dead |
    #            recovering (disabled for billing, probes succeed again) | candidate (from discovery)
    listed: bool = True


FLEET: list[Scenario] = [
    # openai: mostly healthy, one model dead for 4 days, one fresh 404, one capability problem
    *[Scenario("openai", m, "healthy") for m in ("gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o", "gpt-4o-mini", "o3", "o4-mini", "gpt-5")],
    Scenario("openai", "gpt-4.5-preview", "dead", listed=False),
    Scenario("openai", "gpt-5.3-codex", "fresh_404"),
    Scenario("openai", "o1-pro", "capability"),
    # anthropic: healthy, a short overload, a deprecation notice on a working model
    *[Scenario("anthropic", m, "healthy") for m in ("claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5")],
    Scenario("anthropic", "claude-sonnet-4-6", "overloaded"),
    Scenario("anthropic", "claude-3-5-haiku-20241022", "deprecation"),
    # groq: decommissioned model, rate limiting, healthy rest
    *[Scenario("groq", m, "healthy") for m in ("llama-3.3-70b-versatile", "llama-3.1-8b-instant", "qwen/qwen3-32b")],
    Scenario("groq", "llama-3.1-70b-specdec", "decommissioned", listed=False),
    Scenario("groq", "openai/gpt-oss-120b", "rate_limited"),
    # deepinfra: the account ran out of credit (provider-wide billing)
    *[Scenario("deepinfra", m, "billing") for m in ("meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.3-70B-Instruct", "Qwen/Qwen3-235B-A22B", "deepseek-ai/DeepSeek-V3")],
    # mistral: rotated key, every model fails 401 (provider-wide credentials)
    *[Scenario("mistral", m, "auth") for m in ("mistral-large-latest", "mistral-small-latest", "codestral-latest")],
    # fireworks: a flapping model, a renamed one (its old ID 404s), healthy rest
    Scenario("fireworks", "accounts/fireworks/models/llama-v3p3-70b-instruct", "healthy"),
    Scenario("fireworks", "accounts/fireworks/models/llama-v3p1-8b-instruct", "healthy"),
    Scenario("fireworks", "accounts/fireworks/models/glm-4p6", "healthy"),
    # renamed: the old ID answers 404, the complete catalog lists its dated successor (-0324)
    Scenario("fireworks", "accounts/fireworks/models/deepseek-v3", "dead", listed=False),
    Scenario("fireworks", "accounts/fireworks/models/qwen3-235b-a22b", "flapping"),
    # together: a new candidate that never succeeded, healthy rest
    Scenario("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo", "healthy"),
    Scenario("together", "deepseek-ai/DeepSeek-V3.2-Exp", "never"),
    # bedrock: end of life without a status code; a legacy-format error row model
    Scenario("bedrock", "us.anthropic.claude-sonnet-4-20250514-v1:0", "healthy"),
    Scenario("bedrock", "us.meta.llama3-3-70b-instruct-v1:0", "healthy"),
    Scenario("bedrock", "anthropic.claude-v2:1", "eol", listed=False),
    Scenario("bedrock", "meta.llama2-70b-chat-v1", "legacy_dead", listed=False),
    # azure: content filter rejects the benchmark prompt
    Scenario("azure", "gpt-4o-2024-11-20", "content_filter"),
    Scenario("azure", "gpt-4.1-2025-04-14", "healthy"),
    # cerebras and xai: healthy
    Scenario("cerebras", "llama-3.3-70b", "healthy"),
    Scenario("cerebras", "qwen-3-32b", "healthy"),
    Scenario("xai", "grok-4", "healthy"),
    Scenario("xai", "grok-3-mini", "healthy"),
]
# Closing the lifecycle (seed_demo --lifecycle): xai's grok-3 was disabled for billing and answers probes
# again; together's Kimi K2 is a candidate discovery added, which answered two probes.
LIFECYCLE_FLEET: list[Scenario] = [
    Scenario("xai", "grok-3", "recovering"),
    Scenario("together", "moonshotai/Kimi-K2-Instruct", "candidate"),
]
# When the recovering model was disabled, and the recorded probes (hours before as_of, purpose) of the
# two models whose lifecycle the demo closes.
RECOVERING_DISABLED = timedelta(days=5)
RECORDED_PROBES = {"recovering": ((26, "recheck"), (2, "recheck")), "candidate": ((25, "admission"), (3, "admission"))}

# Providers whose catalog the demo lists completely (absence there is evidence).
COMPLETE_CATALOGS = ("openai", "groq", "anthropic", "bedrock", "fireworks", "together", "deepinfra", "mistral")

# Models the providers list that the fleet does not benchmark yet (real IDs of 2025-12-02),
# so discovery has new models to match against them.
CATALOG_ONLY = {
    "openai": ["gpt-5.1", "gpt-5-mini", "gpt-5-nano"],
    "anthropic": ["claude-opus-4-5"],
    "groq": ["moonshotai/kimi-k2-instruct-0905", "openai/gpt-oss-20b"],
    "fireworks": ["accounts/fireworks/models/kimi-k2-thinking", "accounts/fireworks/models/gpt-oss-120b",
                  "accounts/fireworks/models/deepseek-v3-0324"],
    "together": ["openai/gpt-oss-120b", "moonshotai/Kimi-K2-Instruct"],
    "deepinfra": ["zai-org/GLM-4.5"],
}


def _timeline(as_of: datetime) -> list[datetime]:
    start = as_of - timedelta(days=DAYS)
    points, moment = [], start
    while moment < as_of:
        points.append(moment)
        moment += RUN_EVERY
    return points


def _outcome(s: Scenario, t: datetime, as_of: datetime, rng: random.Random):
    """Return None for a success, or (status, message, legacy) for a failure at t."""
    age = as_of - t
    kind = s.kind
    if kind in ("healthy", "deprecation"):
        return None
    if kind == "candidate":
        return "skip"  # never benchmarked: not enabled yet
    if kind == "recovering":
        if age < RECOVERING_DISABLED:
            return "skip"  # disabled since: the runner skips it
        return (402, BILLING_XAI, False) if age < RECOVERING_DISABLED + timedelta(days=1) else None
    if kind == "dead":
        return (404, NOT_FOUND_OPENAI % s.model_id, False) if age <= timedelta(hours=96) else None
    if kind == "fresh_404":
        return (404, NOT_FOUND_OPENAI % s.model_id, False) if age <= timedelta(hours=6) else None
    if kind == "decommissioned":
        return (400, DECOMMISSIONED_GROQ % s.model_id, False) if age <= timedelta(hours=80) else None
    if kind == "eol":
        return (None, BEDROCK_EOL % s.model_id, False) if age <= timedelta(hours=120) else None
    if kind == "legacy_dead":
        return (404, "ResourceNotFoundException: Could not resolve the foundation model from the provided model identifier.", True)
    if kind == "rate_limited":
        return (429, RATE_LIMIT_GROQ, False) if rng.random() < 0.15 else None
    if kind == "billing":
        return (402, BILLING_DEEPINFRA, False)
    if kind == "auth":
        return (401, AUTH_MISTRAL, False) if age <= timedelta(hours=30) else None
    if kind == "overloaded":
        return (529, OVERLOADED_ANTHROPIC, False) if timedelta(hours=3) <= age <= timedelta(hours=5) else None
    if kind == "flapping":
        return (500, SERVER_ERROR_FIREWORKS, False) if rng.random() < 0.5 else None
    if kind == "never":
        return (None, TIMEOUT, False) if age <= timedelta(hours=60) else "skip"
    if kind == "content_filter":
        return (400, CONTENT_FILTER, False)
    if kind == "capability":
        return (400, UNSUPPORTED_PARAM, False)
    raise ValueError(f"unknown demo scenario {kind}")


def _owned(model) -> list[str]:
    return list(DemoRow.objects.filter(table=model._meta.label).values_list("row_id", flat=True))


def _chunks(ids: list[str]):
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def _describe(model, row) -> str:
    if model in (RegisteredModel, ProviderCatalogEntry, ModelProbe):
        return f"{row.provider}/{row.model_id}"
    if model is ProviderCatalogSync:
        return f"{row.provider} ({row.source or 'no source'}, {row.started_at:%Y-%m-%d})"
    moment = getattr(row, "run_ts", None) or getattr(row, "ts", None) or getattr(row, "created_at", None)
    return f"{row.provider}/{row.model_name}" + (f" at {moment:%Y-%m-%d %H:%M}" if moment else "")


def demo_foreign_rows(owned: dict) -> dict[str, tuple[int, list[str]]]:
    """Per table the seed writes: how many rows it did not write, and a few of them."""
    found = {}
    for model in SEEDED:
        mine = set(owned[model])
        total = model.objects.count()
        present = sum(model.objects.filter(pk__in=chunk).count() for chunk in _chunks(sorted(mine)))
        if total - present <= 0:
            continue
        examples = []
        for row in model.objects.order_by("pk")[:1000].iterator():
            if row.pk not in mine:
                examples.append(_describe(model, row))
                if len(examples) == EXAMPLES:
                    break
        found[str(model._meta.verbose_name_plural)] = (total - present, examples)
    return found


def _refusal(found: dict) -> str:
    parts = [f"{n:,} {name} (e.g. {', '.join(examples)})" if examples else f"{n:,} {name}"
             for name, (n, examples) in found.items()]
    return ("this database holds data seed_demo did not write: " + "; ".join(parts) + ". seed_demo is for an "
            "empty or demo database and would mix fake history into it. Point DATABASE_URL at a throwaway "
            "database (or delete an old demo database, e.g. var/llmops.sqlite3, and run make demo), or pass "
            "--force if this one is throwaway: even then only rows seed_demo wrote itself are replaced")


def _own(rows, *, now) -> None:
    DemoRow.objects.bulk_create([DemoRow(table=row._meta.label, row_id=str(row.pk), seeded_at=now) for row in rows],
                                batch_size=CHUNK)


def _seed_candidate(s: Scenario, *, as_of: datetime, now: datetime) -> int:
    """Add the demo's candidate the way discovery does (audited, with its provenance), dated two days back."""
    if RegisteredModel.objects.filter(provider=s.provider, model_id=s.model_id).exists():
        return 0
    registry_add(provider=s.provider, model_id=s.model_id, reason="discovered on OpenRouter as moonshotai/kimi-k2",
                 actor=Actor.system("seed_demo"), display_name="Kimi K2 Instruct",
                 provenance={"openrouter_id": "moonshotai/kimi-k2", "method": "normalized-name", "confidence": 0.9})
    row = RegisteredModel.objects.get(provider=s.provider, model_id=s.model_id)
    RegisteredModel.objects.filter(pk=row.pk).update(disabled_at=as_of - timedelta(days=2))
    _own([row], now=now)
    return 1


def _seed_probes(*, fleet, as_of: datetime, now: datetime, owned: list[str]) -> None:
    """Replace the recorded probes this seed wrote before with fresh ones (no provider is called)."""
    for chunk in _chunks(owned):
        ModelProbe.objects.filter(pk__in=chunk).delete()
        DemoRow.objects.filter(table=ModelProbe._meta.label, row_id__in=chunk).delete()
    probes = [ModelProbe(provider=s.provider, model_id=s.model_id, at=as_of - timedelta(hours=hours), purpose=purpose,
                         ok=True, http_status=200, conclusive=True, latency_ms=420 + 10 * hours)
              for s in fleet for hours, purpose in RECORDED_PROBES.get(s.kind, ())]
    _own(probes, now=now)
    ModelProbe.objects.bulk_create(probes)


def seed_demo(*, as_of: datetime | None = None, seed: int = 42, force: bool = False, lifecycle: bool = False) -> dict:
    """Fill the database with the demo fleet (and, with `lifecycle`, LIFECYCLE_FLEET). Returns counts of
    what it wrote.

    Raises DemoRefused on a database holding rows it did not write, unless `force`.
    """
    fleet = FLEET + (LIFECYCLE_FLEET if lifecycle else [])
    as_of = (as_of or timezone.now()).replace(minute=0, second=0, microsecond=0)
    now = timezone.now()
    owned = {model: _owned(model) for model in SEEDED}
    foreign = demo_foreign_rows(owned)
    if foreign and not force:
        raise DemoRefused(_refusal(foreign))
    rng = random.Random(seed)
    created_models = 0
    mine_models = set(owned[RegisteredModel])
    for s in fleet:
        if s.kind == "candidate":
            created_models += _seed_candidate(s, as_of=as_of, now=now)
            continue
        row, created = RegisteredModel.objects.get_or_create(
            provider=s.provider, model_id=s.model_id,
            defaults={"display_name": s.model_id.rsplit("/", 1)[-1], "created_at": as_of - timedelta(days=60)},
        )
        if created:
            _own([row], now=now)
            created_models += 1
        if s.kind == "recovering" and row.enabled and (created or str(row.pk) in mine_models):
            # (Again after a demo recheck brought it back: a rerun shows the recovery again.)
            registry_disable(provider=s.provider, model_id=s.model_id, disabled_class="billing",
                             reason="demo: xai answered 402 (credits used up) on every run", actor=Actor.operator(),
                             now=as_of - RECOVERING_DISABLED)
    _seed_probes(fleet=fleet, as_of=as_of, now=now, owned=owned[ModelProbe])

    # Replace the history this seed wrote before (and only that) so a rerun leaves the same counts.
    for model in (BenchmarkResult, BenchmarkError):
        for chunk in _chunks(owned[model]):
            model.objects.filter(pk__in=chunk).delete()
            DemoRow.objects.filter(table=model._meta.label, row_id__in=chunk).delete()

    results, errors = [], []
    for s in fleet:
        for t in _timeline(as_of):
            outcome = _outcome(s, t, as_of, rng)
            if outcome == "skip":
                continue
            if outcome is None:
                warnings = [DEPRECATION_WARNING % s.model_id] if s.kind == "deprecation" else None
                results.append(BenchmarkResult(provider=s.provider, model_name=s.model_id, run_ts=t,
                                               gen_ts=t + timedelta(seconds=rng.randint(2, 40)), warnings=warnings))
                continue
            status, message, legacy = outcome
            if legacy:
                errors.append(BenchmarkError(provider=s.provider, model_name=s.model_id, created_at=t,
                                             error=message, http_status=status, stage="generate"))
            else:
                errors.append(BenchmarkError(provider=s.provider, model_name=s.model_id, ts=t, message=message,
                                             http_status=status, stage="generate"))
    # Ownership first: a seed that dies midway leaves rows it can still recognise and replace.
    _own(results + errors, now=now)
    BenchmarkResult.objects.bulk_create(results, batch_size=1000)
    BenchmarkError.objects.bulk_create(errors, batch_size=1000)

    catalog_rows = 0
    mine_entries = set(owned[ProviderCatalogEntry])
    mine_syncs = set(owned[ProviderCatalogSync])
    for provider in COMPLETE_CATALOGS:
        listed = list(dict.fromkeys([s.model_id for s in fleet if s.provider == provider and s.listed]
                                    + CATALOG_ONLY.get(provider, [])))
        existing = dict(ProviderCatalogEntry.objects.filter(provider=provider).values_list("model_id", "pk"))
        new = [ProviderCatalogEntry(provider=provider, model_id=m, name=m, first_seen_at=as_of, last_seen_at=as_of,
                                    raw={"id": m}) for m in listed if m not in existing]
        _own(new, now=now)
        ProviderCatalogEntry.objects.bulk_create(new)
        # Only our own entries are "seen" again: a real listing's dates are evidence, not ours to move.
        ours = [pk for m, pk in existing.items() if m in listed and pk in mine_entries]
        for chunk in _chunks(ours):
            ProviderCatalogEntry.objects.filter(pk__in=chunk).update(last_seen_at=as_of)
        catalog_rows += len(new)
        if not ProviderCatalogSync.objects.filter(provider=provider, pk__in=sorted(mine_syncs)).exists():
            sync = ProviderCatalogSync(
                provider=provider, source="demo", started_at=as_of, finished_at=as_of,
                status=ProviderCatalogSync.Status.COMPLETE, complete=True, pages=1, count=len(listed), new=len(new),
            )
            _own([sync], now=now)
            sync.save(force_insert=True)
    return {
        "as_of": as_of,
        "models": len(fleet),
        "models_created": created_models,
        "results": len(results),
        "errors": len(errors),
        "catalog_entries_created": catalog_rows,
        "foreign": {name: n for name, (n, _) in foreign.items()},
    }
