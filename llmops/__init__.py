"""The project layer under every app: environment-driven settings, the Celery app, the staff roles,
job failures, and `lib` (one HTTP client, one redactor, one date format, one backoff, one LLM
client factory, admin helpers, locks, emails)."""

# Load the Celery app with Django so shared_task binds to it.
from llmops.celery import app as celery_app

__all__ = ("celery_app",)
