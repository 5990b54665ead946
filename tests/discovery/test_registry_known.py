"""A provider ID we already benchmark is not a new model, whatever OpenRouter calls it."""


import pytest

from discovery import services
from discovery.models import OpenRouterModel
from registry.models import RegisteredModel
from tests.discovery.conftest import SAMPLE_AS_OF

pytestmark = pytest.mark.django_db
T0 = SAMPLE_AS_OF


def test_it_drops_registered_provider_ids_and_keeps_the_new_ones(stored):
    # groq's ID is registered (with different casing); bedrock's and together's are new
    RegisteredModel.objects.create(provider="groq", model_id="LLAMA-3.3-70B-Versatile")
    services.catalog_match(as_of=T0, use_llm=False)
    llama = OpenRouterModel.objects.get(openrouter_id="meta-llama/llama-3.3-70b-instruct")
    assert llama.match_status == "matched"
    assert {m["provider"] for m in llama.matches} == {"bedrock", "together"}


def test_it_marks_an_entry_known_when_every_match_is_registered(stored):
    services.catalog_match(as_of=T0, use_llm=False)
    matches = OpenRouterModel.objects.get(openrouter_id="meta-llama/llama-3.3-70b-instruct").matches
    for m in matches:
        RegisteredModel.objects.create(provider=m["provider"], model_id=m["model_id"])
    services.catalog_match(as_of=T0, use_llm=False, rematch=True)
    llama = OpenRouterModel.objects.get(openrouter_id="meta-llama/llama-3.3-70b-instruct")
    assert (llama.match_status, llama.matches, llama.matched_provider) == ("known", [], "")
