"""In-memory snapshot fleets for operator tests (parsed through the real file format)."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

from lifecycle.snapshots import parse_snapshot
from registry.models import RegisteredModel

AS_OF = datetime(2026, 11, 26, 8, 0, tzinfo=timezone.utc)
NOT_FOUND = ("NotFoundError: Error code: 404 - {'error': {'message': 'The model `%s` does not exist or you do not "
             "have access to it.', 'type': 'invalid_request_error', 'param': None, 'code': 'model_not_found'}}")
UNAUTHORIZED = ("AuthenticationError: Error code: 401 - {'object': 'error', 'message': 'Unauthorized', "
                "'type': 'invalid_request_error', 'param': None, 'code': None}")
CONTENT_FILTER = ("BadRequestError: Error code: 400 - {'error': {'message': \"The response was filtered due to the "
                  "prompt triggering Azure OpenAI's content management policy.\", 'code': 'content_filter'}}")


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def dead(provider, model_id, *, hours=96, message=None, status=404, listed=False, runs=20):
    start = AS_OF - timedelta(hours=hours)
    return {"provider": provider, "model_id": model_id, "window_hours": 168, "runs": runs, "successes": 0,
            "last_success_at": iso(start - timedelta(hours=200)),
            "errors": [{"status": status, "message": message or NOT_FOUND % model_id, "count": runs,
                        "first_seen_at": iso(start), "last_seen_at": iso(AS_OF - timedelta(hours=1))}],
            "in_provider_catalog": listed}


def failing_since(provider, model_id, *, hours, message, status, listed=True, runs=20):
    start = AS_OF - timedelta(hours=hours)
    return {"provider": provider, "model_id": model_id, "window_hours": 168, "runs": runs, "successes": 0,
            "last_success_at": iso(start - timedelta(hours=3)),
            "errors": [{"status": status, "message": message, "count": runs, "first_seen_at": iso(start),
                        "last_seen_at": iso(AS_OF - timedelta(hours=1))}],
            "in_provider_catalog": listed}


def healthy(provider, model_id):
    return {"provider": provider, "model_id": model_id, "window_hours": 168, "runs": 56, "successes": 56,
            "last_success_at": iso(AS_OF - timedelta(hours=1)), "errors": [], "in_provider_catalog": True}


def fleet_dict() -> dict:
    return {
        "format": "llmops-snapshots/1",
        "as_of": iso(AS_OF),
        "providers": {
            "openai": {"error_rate": 0.05, "models": 40, "models_failing": 3, "catalog": "complete"},
            "mistral": {"error_rate": 1.0, "models": 3, "models_failing": 3, "catalog": "complete"},
            "azure": {"error_rate": 0.2, "models": 5, "models_failing": 1, "catalog": "none"},
            "anthropic": {"error_rate": 0.0, "models": 5, "models_failing": 0, "catalog": "complete"},
        },
        "models": [
            dead("openai", "gpt-4.5-preview"),
            dead("openai", "o1-preview", hours=120),
            dead("openai", "gpt-fresh", hours=6),
            *[failing_since("mistral", m, hours=30, message=UNAUTHORIZED, status=401)
              for m in ("mistral-large-latest", "mistral-small-latest", "codestral-latest")],
            failing_since("azure", "gpt-4o-2024-11-20", hours=100, message=CONTENT_FILTER, status=400),
            healthy("anthropic", "claude-sonnet-4-5"),
        ],
    }


def fleet(data: dict | None = None):
    return parse_snapshot(copy.deepcopy(data or fleet_dict()), source="<test fleet>")


def register(snapset) -> None:
    for m in snapset.models:
        RegisteredModel.objects.get_or_create(provider=m.provider, model_id=m.model_id)
