"""Benchmark rows, health rows and catalogs are evidence: viewable, never editable by hand."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from lifecycle.models import BenchmarkError, BenchmarkResult, ModelStatus, ProviderCatalogEntry, ProviderCatalogSync

pytestmark = pytest.mark.django_db

EVIDENCE = [BenchmarkResult, BenchmarkError, ModelStatus, ProviderCatalogEntry, ProviderCatalogSync]


@pytest.fixture
def superuser_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456")
    client.force_login(user)
    return client


def _rows():
    now = timezone.now()
    return [
        BenchmarkResult.objects.create(provider="openai", model_name="gpt-4o", run_ts=now),
        BenchmarkError.objects.create(provider="openai", model_name="gpt-4o", ts=now, http_status=401,
                                      message="Incorrect API key provided: sk-proj-abcdefghijklmnopqrstuvwx <script>"),
        ModelStatus.objects.create(provider="openai", model_id="gpt-4o"),
        ProviderCatalogEntry.objects.create(provider="openai", model_id="gpt-4o"),
        ProviderCatalogSync.objects.create(provider="openai"),
    ]


@pytest.mark.parametrize("model", EVIDENCE, ids=lambda m: m.__name__)
def test_it_shows_evidence_but_refuses_add_change_and_delete_even_to_superusers(superuser_client, model):
    rows = {type(r): r for r in _rows()}
    opts = model._meta
    changelist = superuser_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    assert superuser_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 403
    change_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[rows[model].pk])
    assert superuser_client.post(change_url, {}).status_code == 403
    delete_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[rows[model].pk])
    assert superuser_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=rows[model].pk).exists()


def test_it_redacts_and_escapes_error_text_in_the_error_list(superuser_client):
    _rows()
    page = superuser_client.get(reverse("admin:lifecycle_benchmarkerror_changelist")).content.decode()
    assert "sk-proj-abcdefghijklmnopqrstuvwx" not in page
    assert "<script>" not in page and "&lt;script&gt;" in page
