"""Celery entry points (beat uses these exact names); thin wrappers over the services."""

from celery import shared_task

from discovery import services


@shared_task(name="discovery.tasks.fetch_openrouter")
def fetch_openrouter() -> dict:
    run = services.openrouter_fetch()
    return {"run": run.pk, "status": run.status, "count": run.count, "new": run.new, "aliases": run.aliases,
            "skipped": run.skipped, "error": run.error}


@shared_task(name="discovery.tasks.sync_provider_catalogs")
def sync_provider_catalogs() -> dict:
    report = services.provider_catalogs_sync()
    return {"syncs": {s.provider: s.status for s in report.syncs}, "skipped": report.skipped}


@shared_task(name="discovery.tasks.match_catalog")
def match_catalog() -> dict:
    report = services.catalog_match()
    return {"considered": report.considered, "counts": report.counts, "llm_calls": report.llm_calls,
            "errors": report.errors}
