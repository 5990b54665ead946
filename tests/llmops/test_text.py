"""The one redactor: every credential format the issue lists, and text it must leave alone."""

import pytest

from llmops.lib.text import redact_json, redact_url, sanitize_text

# (name, text, the secret that must not survive, what must survive)
SECRETS = [
    ("aws secret access key", "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY region=us-east-1",
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "region=us-east-1"),
    ("aws secret, quoted env style", "AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'",
     "wJalrXUtnFEMI", "AWS_SECRET_ACCESS_KEY"),
    ("aws access key id", "The security token AKIAIOSFODNN7EXAMPLE is invalid", "AKIAIOSFODNN7EXAMPLE", "is invalid"),
    ("github classic", "Bad credentials for ghp_16C7e42F292c6912E7710c838347Ae178B4a.", "16C7e42F292c6912E7710c8",
     "Bad credentials"),
    ("github fine-grained", "token github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL rejected",
     "github_pat_11ABCDEFG", "rejected"),
    ("slack bot token", "invalid_auth: xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
     "1234567890123-AbCdEf", "invalid_auth"),
    ("slack webhook", "posting to https://hooks.slack.com/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX failed",
     "XXXXXXXXXXXXXXXXXXXXXXXX", "failed"),
    ("jwt without bearer", "session eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
     "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U expired", "dozjgNryP4J3jVmNHl0w5N", "expired"),
    ("pem private key", "credentials.json: -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx8sdf7s6d5f\n"
     "abcdefgh\n-----END RSA PRIVATE KEY----- end", "MIIEowIBAAKCAQEA", "end"),
    ("pem key cut off", 'payload {"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
     "MIIEvQIBADANBgkqhkiG9w0", "payload"),
    ("password in a url", "connect postgres://bench:hunter2@db.internal:5432/runs failed", "hunter2", "db.internal"),
    ("password in a url without user", "redis://:s3cr3t-pw@cache:6379/0 refused", "s3cr3t-pw", "cache:6379"),
    ("password= parameter", "login failed user=bench password=abc passwd=xyz1 pwd=q", "abc", "user=bench"),
    ("?key= parameter", "GET https://generativelanguage.googleapis.com/v1/models?key=k3yVALUE123&alt=json: 400",
     "k3yVALUE123", "alt=json"),
    ("subscription key header", "headers: Ocp-Apim-Subscription-Key: 0123456789abcdef0123456789abcdef",
     "0123456789abcdef0123456789abcdef", "Ocp-Apim-Subscription-Key"),
    ("x-api-key header in a dict", "{'x-api-key': 'abcdefghij', 'authorization': 'Bearer abcdefghijk'}",
     "abcdefghij", "x-api-key"),
    ("openai key", "Incorrect API key provided: sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789.", "AbCdEfGhIjKl",
     "Incorrect API key provided"),
    ("stripe key", "charge failed with sk_live_4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc", "charge"),
]


@pytest.mark.parametrize("name, text, secret, kept", SECRETS, ids=[s[0] for s in SECRETS])
def test_it_redacts_each_credential_format(name, text, secret, kept):
    clean = sanitize_text(text, limit=1000)
    assert secret not in clean
    assert "<redacted" in clean
    assert kept in clean


@pytest.mark.parametrize("text", [
    "NotFoundError: Error code: 404 - {'error': {'message': 'The model `gpt-4.5-preview` does not exist or you do not "
    "have access to it.', 'type': 'invalid_request_error', 'param': None, 'code': 'model_not_found'}}",
    "BadRequestError: Error code: 400 - {'error': {'message': \"Unsupported parameter: 'max_tokens' is not supported "
    "with this model. Use 'max_completion_tokens' instead.\", 'param': 'max_tokens', 'code': 'unsupported_parameter'}}",
    "Rate limit reached for gpt-4o on tokens per min (TPM): Limit 30000, Used 29000, Requested 2000.",
    "The model accounts/fireworks/models/qwen3-235b-a22b is not available; model_not_found for "
    "meta-llama/Llama-3.3-70B-Instruct-Turbo and us.anthropic.claude-sonnet-4-20250514-v1:0",
])
def test_it_leaves_ordinary_provider_text_alone(text):
    assert sanitize_text(text, limit=1000) == text


def test_it_redacts_every_string_of_a_stored_document():
    doc = {"samples": [{"status": 401, "message": "key ghp_16C7e42F292c6912E7710c838347Ae178B4a\x00"}],
           "count": 3, "nested": {"url": "https://u:pw-secret@h/x"}}
    clean = redact_json(doc)
    assert "ghp_16C7" not in str(clean) and "pw-secret" not in str(clean) and "\x00" not in str(clean)
    assert clean["count"] == 3 and clean["samples"][0]["status"] == 401


def test_it_masks_secret_query_values_in_urls():
    url = redact_url("https://api.example.com/v1/models?key=abc&sig=def&passwd=ghi&model=x")
    assert "abc" not in url and "def" not in url and "ghi" not in url and "model=x" in url
