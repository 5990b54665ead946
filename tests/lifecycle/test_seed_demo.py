import pytest
from django.core.management import call_command

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
