"""The Celery app, configured from Django settings (CELERY_ namespace)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmops.settings")

# JobTask: scheduled jobs take a no-overlap lock, retry transient failures, record failures.
app = Celery("llmops", task_cls="llmops.lib.tasks:JobTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
