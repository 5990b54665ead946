"""Provider text with NUL and other control bytes (MongoDB and SQLite store them) must not
reach what we write: PostgreSQL rejects NUL in text, and controls garble admin and email."""

from datetime import datetime, timedelta, timezone

import pytest
from django.core.management import call_command
from django.db import connection

from lifecycle.models import BenchmarkError, BenchmarkResult, ModelStatus
from operator_app.engine import operator_run
from operator_app.models import Decision
from registry.models import RegisteredModel

pytestmark = pytest.mark.django_db
AS_OF = datetime(2026, 11, 26, 8, tzinfo=timezone.utc)


def test_it_collects_and_decides_on_error_text_with_nul_bytes():
    # PostgreSQL cannot even hold such an input row; other controls still travel there.
    controls = "\x01\x7f" if connection.vendor == "postgresql" else "\x00\x01"
    RegisteredModel.objects.create(provider="openai", model_id="gpt-x")
    RegisteredModel.objects.create(provider="openai", model_id="gpt-ok")
    for hours in range(1, 80, 3):
        BenchmarkResult.objects.create(provider="openai", model_name="gpt-ok", run_ts=AS_OF - timedelta(hours=hours))
        BenchmarkError.objects.create(
            provider="openai", model_name="gpt-x", ts=AS_OF - timedelta(hours=hours), http_status=404,
            message="NotFoundError: Error code: 404 - The model `gpt-x` does not exist" + controls + " <b>",
        )
    BenchmarkResult.objects.create(provider="openai", model_name="gpt-x", run_ts=AS_OF - timedelta(days=6))
    call_command("collect_signals", "--as-of", AS_OF.isoformat())
    report = operator_run(as_of=AS_OF, use_llm=False)
    assert report.run.status == "succeeded"
    status = ModelStatus.objects.get(provider="openai", model_id="gpt-x")
    assert not any(c in str(status.signals) for c in controls)
    decision = Decision.objects.get(provider="openai", model_id="gpt-x")
    assert decision.error_class == "hard_model"
    assert not any(c in str(decision.evidence) + decision.reasoning for c in controls)
