"""A database shaped like the benchmark service's production MongoDB, before llmops is installed.

The runner's results (`metrics_cloud_v2`) and errors (`errors_cloud`), the shared `models` and
`model_status`, each with the indexes the benchmark service made under MongoDB's default names
(`provider_1_model_name_1_ts_1`…) and fields no llmops model declares. Written with pymongo, as the
runner writes them. One openai model has been answering 404 for nine days; four are healthy.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING

RESULTS, ERRORS = "metrics_cloud_v2", "errors_cloud"
SHARED = ("models", "model_status")
HEALTHY = ("gpt-4.1", "gpt-4.1-mini", "gpt-4o", "o3-mini")
DEAD = "gpt-4-0314"
DEAD_FOR = timedelta(days=9)
EVERY = timedelta(hours=3)

INDEXES = {
    # (keys, options): the runner's own; llmops must leave every one of them as it is.
    RESULTS: [([("provider", ASCENDING), ("model_name", ASCENDING), ("run_ts", DESCENDING)], {}),
              ([("run_ts", DESCENDING)], {}),  # the exact reverse of ours: it serves our queries
              ([("benchmark_version", ASCENDING)], {})],
    ERRORS: [([("provider", ASCENDING), ("model_name", ASCENDING), ("ts", ASCENDING)], {}),  # same keys as ours
             ([("created_at", ASCENDING)], {"expireAfterSeconds": 90 * 86400})],  # a TTL index on legacy rows
    "models": [([("provider", ASCENDING), ("model_id", ASCENDING)], {"unique": True}),
               ([("enabled", ASCENDING)], {})],
    "model_status": [([("provider", ASCENDING), ("model_id", ASCENDING)], {"unique": True})],
}


def build(database, *, now: datetime) -> None:
    """Create the collections, their indexes and a fortnight of the runner's documents."""
    now = now.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0, tzinfo=None)
    for name, indexes in INDEXES.items():
        database.create_collection(name)
        for keys, options in indexes:
            database[name].create_index(keys, **options)  # MongoDB names them: provider_1_model_id_1
    results, errors = [], []
    start = now - timedelta(days=14)
    for model in (*HEALTHY, DEAD):
        moment = start
        while moment <= now:
            failing = model == DEAD and moment > now - DEAD_FOR
            if failing:
                errors.append({
                    "_id": ObjectId(), "provider": "openai", "model_name": model, "ts": moment,
                    "http_status": 404, "stage": "completion", "request_id": f"req_{len(errors):05d}", "attempt": 1,
                    "message": f"NotFoundError: Error code: 404 - The model `{model}` has been deprecated "
                               "and is no longer available (model_not_found)",
                })
            else:
                results.append({
                    "_id": ObjectId(), "provider": "openai", "model_name": model, "run_ts": moment,
                    "gen_ts": moment + timedelta(seconds=40), "latency_ms": 812 + len(results) % 97,
                    "output_tokens": 256, "cost_usd": 0.0012, "benchmark_version": "2026.11", "region": "us-east-1",
                })
            moment += EVERY
    # A legacy error row, dated by created_at and worded in `error` (older runner versions).
    errors.append({"_id": ObjectId(), "provider": "openai", "model_name": "gpt-4o", "created_at": start,
                   "http_status": 500, "error": "InternalServerError: upstream reset", "runner": "v1"})
    database[RESULTS].insert_many(results)
    database[ERRORS].insert_many(errors)
    database["models"].insert_many([
        {"_id": ObjectId(), "provider": "openai", "model_id": model, "enabled": True, "deprecated": False,
         "display_name": model.upper(), "priority": 10 - i, "tags": ["chat", "frontier"],
         "benchmark_config": {"max_tokens": 256, "temperature": 0}, "owner_team": "evals"}
        for i, model in enumerate((*HEALTHY, DEAD))
    ])
    database["model_status"].insert_many([
        {"_id": ObjectId(), "provider": "openai", "model_id": model, "runner_health": "green",
         "last_checked_by": "benchmark-v2"}
        for model in (*HEALTHY, DEAD)
    ])


def snapshot(database) -> dict:
    """Every index (name → spec), document count and document of the four collections."""
    shot = {}
    for name in INDEXES:
        collection = database[name]
        shot[name] = {
            "indexes": {index: {k: v for k, v in info.items() if k != "v"}
                        for index, info in collection.index_information().items()},
            "count": collection.count_documents({}),
            "documents": {doc["_id"]: doc for doc in collection.find({})},
        }
    return shot
