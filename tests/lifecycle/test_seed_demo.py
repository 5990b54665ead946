from datetime import datetime, timedelta, timezone

import pytest
from django.core.management import CommandError, call_command

from lifecycle.demo import FLEET
from lifecycle.models import BenchmarkError, BenchmarkResult, ProviderCatalogEntry, ProviderCatalogSync
from registry.models import RegisteredModel

pytestmark = pytest.mark.django_db


def _counts():
    return (RegisteredModel.objects.count(), BenchmarkResult.objects.count(), BenchmarkError.objects.count(),
            ProviderCatalogEntry.objects.count(), ProviderCatalogSync.objects.count())


def test_it_seeds_a_realistic_fleet_idempotently(capsys):
    call_command("seed_demo", "--admin")
    first = _counts()
    call_command("seed_demo", "--admin")
    assert _counts() == first
    assert first[0] == len(FLEET) >= 30
    providers = set(RegisteredModel.objects.values_list("provider", flat=True))
    assert {"openai", "anthropic", "groq", "deepinfra", "mistral", "bedrock"} <= providers
    # every scenario family is represented
    assert BenchmarkError.objects.filter(http_status=402, provider="deepinfra").exists()  # billing
    assert BenchmarkError.objects.filter(http_status=401, provider="mistral").exists()  # provider-wide auth
    assert BenchmarkError.objects.filter(http_status=None, message__contains="end of its life").exists()
    assert BenchmarkError.objects.filter(ts=None, created_at__isnull=False, error__isnull=False).exists()  # legacy
    assert not BenchmarkResult.objects.filter(model_name="deepseek-ai/DeepSeek-V3.2-Exp").exists()  # never succeeded
    assert BenchmarkResult.objects.filter(warnings__isnull=False).exists()  # deprecation notices
    assert "Created demo superuser" in capsys.readouterr().out


def test_it_seeds_the_history_up_to_the_hour_given_and_refuses_a_bad_one(capsys):
    call_command("seed_demo", "--as-of", "2026-11-30T14:25:00Z")
    assert "Demo fleet as of 2026-11-30 14:00 UTC" in capsys.readouterr().out
    newest = BenchmarkResult.objects.order_by("-run_ts").values_list("run_ts", flat=True).first()
    end = datetime(2026, 11, 30, 14, tzinfo=timezone.utc)
    assert end - timedelta(hours=3) <= newest <= end  # the runner's 3-hourly runs up to that hour
    with pytest.raises(CommandError, match="--as-of .* is in the future"):
        call_command("seed_demo", "--as-of", "2999-01-01T00:00:00Z")
    with pytest.raises(CommandError, match="--as-of"):
        call_command("seed_demo", "--as-of", "yesterday")
