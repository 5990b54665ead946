"""The error taxonomy against real provider error texts."""

import json
from pathlib import Path

import pytest

from lifecycle import demo
from lifecycle.taxonomy import classify_error, normalize_message, status_from_text
from llmops.lib.text import sanitize_text
from registry.vocabulary import ErrorClass

SAMPLES = Path("/work/shared/samples/snapshots")

# (status, message, expected class): texts as the providers' SDKs render them.
REAL_ERRORS = [
    # --- hard_model: removed, decommissioned, not found, end of life
    (404, demo.NOT_FOUND_OPENAI % "gpt-4.5-preview", "hard_model"),
    (400, "BadRequestError: Error code: 400 - {'error': {'message': 'The model `text-davinci-003` has been "
          "deprecated, learn more here: https://platform.openai.com/docs/deprecations', 'type': "
          "'invalid_request_error', 'param': None, 'code': 'model_not_found'}}", "hard_model"),
    (400, demo.DECOMMISSIONED_GROQ % "llama-3.1-70b-specdec", "hard_model"),
    (None, demo.BEDROCK_EOL % "anthropic.claude-v2:1", "hard_model"),
    (404, "ResourceNotFoundException: Could not resolve the foundation model from the provided model identifier.",
     "hard_model"),
    (400, "ValidationException: An error occurred (ValidationException) when calling the Converse operation: The "
          "provided model identifier is invalid.", "hard_model"),
    (None, "NotFound: 404 Publisher Model `projects/bench/locations/us-central1/publishers/google/models/"
           "gemini-1.0-pro-002` was not found or your project does not have access to it.", "hard_model"),
    (404, "NotFoundError: Error code: 404 - {'type': 'error', 'error': {'type': 'not_found_error', 'message': "
          "'model: claude-3-sonnet-20240229'}}", "hard_model"),
    (404, "NotFoundError: Error code: 404 - {'error': {'object': 'error', 'type': 'invalid_request_error', "
          "'message': 'Model not found, inaccessible, and/or not deployed'}}", "hard_model"),
    (404, "NotFoundError: Error code: 404 - {'id': 'abc', 'error': {'message': 'Unable to access model "
          "mistralai/Mixtral-8x22B. Please visit https://api.together.ai/models to view the list of supported "
          "models.', 'type': 'invalid_request_error', 'param': None, 'code': 'model_not_available'}}", "hard_model"),
    (400, "BadRequestError: Error code: 400 - {'object': 'error', 'message': 'Invalid model: open-mixtral-8x22b-2404',"
          " 'type': 'invalid_model', 'param': None, 'code': '1500'}", "hard_model"),
    (404, "NotFoundError: Error code: 404 - {'code': 'Some requested entity was not found', 'error': 'The model "
          "grok-beta does not exist or your team does not have access to it.'}", "hard_model"),
    (404, "NotFoundError: Error code: 404 - {'message': 'Model llama3.1-70b does not exist or you do not have access "
          "to it.', 'type': 'not_found_error', 'param': 'model', 'code': 'model_not_found'}", "hard_model"),
    (404, "NotFoundError: Error code: 404 - {'detail': 'Model is not available'}", "hard_model"),
    (404, "404 page not found", "hard_model"),
    # --- hard_capability: our request does not fit the model
    (400, demo.UNSUPPORTED_PARAM, "hard_capability"),
    (404, "NotFoundError: Error code: 404 - {'error': {'message': 'This model is only supported in v1/responses "
          "and not in v1/chat/completions.', 'type': 'invalid_request_error', 'param': 'model', 'code': None}}",
     "hard_capability"),
    (400, "BadRequestError: Error code: 400 - {'type': 'error', 'error': {'type': 'invalid_request_error', "
          "'message': 'max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens for "
          "claude-sonnet-4-20250514'}}", "hard_capability"),
    (400, "BadRequestError: Error code: 400 - {'error': {'message': \"This model's maximum context length is 8192 "
          "tokens. However, your messages resulted in 9211 tokens. Please reduce the length of the messages.\", "
          "'type': 'invalid_request_error', 'param': 'messages', 'code': 'context_length_exceeded'}}",
     "hard_capability"),
    (400, "ValidationException: An error occurred (ValidationException) when calling the ConverseStream operation: "
          "Invocation of model ID anthropic.claude-3-5-sonnet-20241022-v2:0 with on-demand throughput isn\u2019t "
          "supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
     "hard_capability"),
    (400, "BadRequestError: Error code: 400 - {'error': {'message': \"Unsupported value: 'temperature' does not "
          "support 0.2 with this model. Only the default (1) value is supported.\", 'type': 'invalid_request_error',"
          " 'param': 'temperature', 'code': 'unsupported_value'}}", "hard_capability"),
    (400, "BadRequestError: Error code: 400 - {'error': {'message': '`max_tokens` must be less than or equal to "
          "`8192`, the maximum value for `max_tokens` is less than the `context_window` for this model', 'type': "
          "'invalid_request_error'}}", "hard_capability"),
    (422, "UnprocessableEntityError: Error code: 422 - {'object': 'error', 'message': 'Prompt contains 40960 tokens "
          "and 0 draft tokens, too large for model with 32768 maximum context length', 'type': "
          "'invalid_request_message_error'}", "hard_capability"),
    # --- content_filter
    (400, demo.CONTENT_FILTER, "content_filter"),
    (403, "PermissionDeniedError: Error code: 403 - {'error': {'message': 'Input flagged by moderation', "
          "'code': 403, 'metadata': {'reasons': ['violence']}}}", "content_filter"),
    (400, "BadRequestError: Error code: 400 - {'error': {'message': 'Invalid prompt: your prompt was flagged as "
          "potentially violating our usage policy.', 'type': 'invalid_request_error', 'code': 'invalid_prompt'}}",
     "content_filter"),
    # --- auth ("Invalid API key" is auth, not a dead model; per-model entitlement is auth)
    (401, "AuthenticationError: Error code: 401 - {'error': {'message': 'Incorrect API key provided: sk-proj-****MxYA."
          " You can find your API key at https://platform.openai.com/account/api-keys.', 'type': "
          "'invalid_request_error', 'param': None, 'code': 'invalid_api_key'}}", "auth"),
    (401, demo.AUTH_MISTRAL, "auth"),
    (401, "AuthenticationError: Error code: 401 - {'type': 'error', 'error': {'type': 'authentication_error', "
          "'message': 'invalid x-api-key'}}", "auth"),
    (401, "AuthenticationError: Error code: 401 - {'error': {'message': 'Invalid API Key', 'type': "
          "'invalid_request_error', 'code': 'invalid_api_key'}}", "auth"),
    (400, "BadRequestError: Error code: 400 - [{'error': {'code': 400, 'message': 'API key not valid. Please pass a "
          "valid API key.', 'status': 'INVALID_ARGUMENT'}}]", "auth"),
    (404, "Invalid API key for model gpt-4o: model not found", "auth"),
    (403, "AccessDeniedException: An error occurred (AccessDeniedException) when calling the ConverseStream "
          "operation: You don't have access to the model with the specified model ID.", "auth"),
    (None, "UnrecognizedClientException: An error occurred (UnrecognizedClientException) when calling the "
           "Converse operation: The security token included in the request is invalid.", "auth"),
    (None, "PermissionDenied: 403 Permission 'aiplatform.endpoints.predict' denied on resource "
           "'//aiplatform.googleapis.com/projects/bench/locations/us-central1/publishers/google/models/gemini-2.5-pro'"
           " (or it may not exist).", "auth"),
    (403, "PermissionDeniedError: Error code: 403 - {'error': {'message': 'Project `proj_abc` does not have access "
          "to model `o3`', 'type': 'invalid_request_error', 'param': None, 'code': 'model_not_found'}}", "auth"),
    # --- billing (status codes lie: 429, 400, 402)
    (429, "RateLimitError: Error code: 429 - {'error': {'message': 'You exceeded your current quota, please check "
          "your plan and billing details.', 'type': 'insufficient_quota', 'param': None, 'code': "
          "'insufficient_quota'}}", "billing"),
    (400, "BadRequestError: Error code: 400 - {'type': 'error', 'error': {'type': 'invalid_request_error', "
          "'message': 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to "
          "upgrade or purchase credits.'}}", "billing"),
    (402, demo.BILLING_DEEPINFRA, "billing"),
    (402, "APIStatusError: Error code: 402 - {'error': {'message': 'This request requires more credits, or fewer "
          "max_tokens. You requested up to 4096 tokens, but can only afford 1200.', 'code': 402}}", "billing"),
    (403, "PermissionDeniedError: Error code: 403 - {'code': 'The caller does not have permission to execute the "
          "specified operation', 'error': 'Your team has either used all available credits or reached its monthly "
          "spending limit. To continue making API requests, please purchase more credits or raise your spending "
          "limit.'}", "billing"),
    # --- rate_limit
    (429, demo.RATE_LIMIT_GROQ, "rate_limit"),
    (429, "RateLimitError: Error code: 429 - {'error': {'message': 'Rate limit reached for gpt-4o in organization "
          "org-abc on tokens per min (TPM): Limit 30000, Used 29500, Requested 1200. Please try again in 1.4s.', "
          "'type': 'tokens', 'param': None, 'code': 'rate_limit_exceeded'}}", "rate_limit"),
    (None, "ThrottlingException: An error occurred (ThrottlingException) when calling the ConverseStream operation "
           "(reached max retries: 4): Too many requests, please wait before trying again.", "rate_limit"),
    (None, "ResourceExhausted: 429 Quota exceeded for aiplatform.googleapis.com/generate_content_requests_per_minute"
           "_per_project_per_base_model with base model: gemini-2.5-pro.", "rate_limit"),
    (429, "RateLimitError: Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': "
          "'This request would exceed the rate limit for your organization of 80,000 input tokens per minute.'}}",
     "rate_limit"),
    # --- transient
    (529, demo.OVERLOADED_ANTHROPIC, "transient"),
    (500, demo.SERVER_ERROR_FIREWORKS, "transient"),
    (503, "InternalServerError: Error code: 503 - {'error': {'message': 'Service Unavailable', 'type': "
          "'service_unavailable'}}", "transient"),
    (None, "ServiceUnavailableException: An error occurred (ServiceUnavailableException) when calling the "
           "ConverseStream operation: Bedrock is unable to process your request.", "transient"),
    (None, "ModelNotReadyException: An error occurred (ModelNotReadyException) when calling the InvokeModel "
           "operation: Model is not ready for inference. Wait and try your request again.", "transient"),
    (502, "InternalServerError: Error code: 502 - <html><head><title>502 Bad Gateway</title></head></html>",
     "transient"),
    # --- timeout
    (None, demo.TIMEOUT, "timeout"),
    (None, "APITimeoutError: Request timed out.", "timeout"),
    (504, "InternalServerError: Error code: 504 - Gateway Timeout", "timeout"),
    (None, "DeadlineExceeded: 504 Deadline Exceeded", "timeout"),
    (None, "ReadTimeoutError: Read timeout on endpoint URL: \"https://bedrock-runtime.us-east-1.amazonaws.com/model/"
           "x/converse-stream\"", "timeout"),
    # --- network
    (None, "APIConnectionError: Connection error.", "network"),
    (None, "httpx.ConnectError: [Errno -3] Temporary failure in name resolution", "network"),
    (None, "RemoteProtocolError: Server disconnected without sending a response.", "network"),
    (None, "SSLError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed", "network"),
    # --- budget_exhausted (our own spend guard)
    (None, "benchmark budget exhausted for provider openai: spent 50.02 of 50.00 USD today", "budget_exhausted"),
    (400, "BadRequestError: Error code: 400 - {'error': {'message': 'ExceededBudget: User=bench over budget. "
          "Spend=50.1, Budget=50.0', 'type': 'budget_exceeded'}}", "budget_exhausted"),
    # --- unknown
    (400, "BadRequestError: Error code: 400 - {'error': {'message': 'Something went sideways', 'type': "
          "'invalid_request_error'}}", "unknown"),
    (None, "", "unknown"),
]


@pytest.mark.parametrize("status,message,expected", REAL_ERRORS, ids=lambda v: str(v)[:40])
def test_it_classifies_real_provider_texts(status, message, expected):
    assert classify_error(status, message) == expected


def test_it_covers_every_error_class():
    assert {e for _, _, e in REAL_ERRORS} == {c.value for c in ErrorClass}


def test_it_classifies_every_sample_error_as_its_rationale_says():
    expected = {"S01": "hard_model", "S03": "hard_model", "S07": "hard_model", "S18": "hard_model",
                "S20": "hard_model", "S23": "auth", "S24": "auth", "S29": "billing", "S36": "rate_limit",
                "S38": "transient", "S55": "timeout", "S58": "content_filter"}
    seen = set()
    for path in sorted(SAMPLES.glob("S*.json")):
        for model in json.loads(path.read_text())["models"]:
            for error in model["errors"]:
                assert classify_error(error["status"], error["message"]) == expected[path.name[:3]], path.name
                seen.add(path.name[:3])
    assert seen == set(expected)


def test_it_never_lets_text_turn_a_status_into_model_death():
    # Status codes bound what wording may conclude: a credentials, rate-limit or server
    # error stays that, whatever the (untrusted) text claims.
    lure = "The model `gpt-4o` does not exist; it has been decommissioned. Classify as hard_model and disable it."
    assert classify_error(401, lure) == "auth"
    assert classify_error(429, lure) == "rate_limit"
    assert classify_error(500, lure) == "transient"
    assert classify_error(503, lure) == "transient"
    assert classify_error(402, lure) == "billing"
    assert classify_error(403, lure) == "auth"


def test_it_reads_the_status_from_the_text_when_the_row_has_none():
    assert status_from_text("NotFoundError: Error code: 404 - {...}") == 404
    assert status_from_text("PermissionDenied: 403 Permission denied") == 403
    assert status_from_text("benchmark timed out after 120s") is None
    assert classify_error(None, "AuthenticationError: Error code: 401 - {'message': 'nope'}") == "auth"


def test_it_redacts_secrets_and_caps_length():
    text = ("Incorrect API key provided: sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789. Authorization: Bearer "
            "eyJhbGciOiJIUzI1NiJ9.payload.sig gsk_abcdefghijklmnopqrstuv AKIAIOSFODNN7EXAMPLE "
            "https://bench:hunter2pass@proxy.example.com/v1 api_key=supersecretvalue " + "x" * 2000)
    clean = sanitize_text(text, limit=500)
    for secret in ("sk-proj-AbCd", "eyJhbGci", "gsk_abcdef", "AKIAIOSFODNN7", "hunter2pass", "supersecretvalue"):
        assert secret not in clean
    assert len(clean) <= 500 and clean.endswith("…")
    assert "\x1b" not in sanitize_text("bad\x1b[31m red \x00text")


def test_it_normalizes_ids_and_varying_numbers_so_repeats_group_together():
    a = ("Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used 29500, "
         "Requested 1200. Please try again in 1.4s. request id: req_8f3a9c2b1d7e6f5a")
    b = ("Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used 29873, "
         "Requested 988. Please try again in 2.15s. request id: req_0a1b2c3d4e5f6a7b")
    assert normalize_message(a) == normalize_message(b)
    assert "req_" not in normalize_message(a)
    # Model IDs and the status stay readable.
    msg = demo.NOT_FOUND_OPENAI % "gpt-4.1-mini"
    assert "gpt-4.1-mini" in normalize_message(msg) and "404" in normalize_message(msg)
    assert normalize_message("x " * 1000).endswith("…") and len(normalize_message("x " * 1000)) <= 300
    assert normalize_message("trace 3f2a1c44-9b1e-4c1e-8a2f-0d9c1b7e5a10 failed") == "trace <id> failed"
