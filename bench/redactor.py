#!/usr/bin/env python
"""Benchmark the one redactor (llmops.lib.text.sanitize_text) on the demo's provider error texts.

    .venv/bin/python bench/redactor.py [--rounds 2000]
    PYTHONPATH=/tmp/dsenv .venv/bin/python bench/redactor.py   # also detect-secrets, if importable there

Reports microseconds per text for the demo's real error texts (no secret in them: the common
case) and for texts carrying each credential format the redactor knows, and whether every
secret is gone. When detect-secrets is importable it runs its regex plugins over the same texts
(their `analyze_string`, then replacing what they return), so the choice between depending on it
and porting its regexes stays measured: which formats each misses, and the time per text.
Needs no database.
"""

from __future__ import annotations

import sys

sys.path[:] = [p for p in sys.path if not p.rstrip("/").endswith("/bench") and p != "bench"]

import argparse  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Each: (name, text, the secret that must not survive).
SECRETS = [
    ("aws secret access key", "botocore: aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in profile",
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("aws access key id", "InvalidClientTokenId: AKIAIOSFODNN7EXAMPLE is not valid", "AKIAIOSFODNN7EXAMPLE"),
    ("github classic token", "401 for ghp_16C7e42F292c6912E7710c838347Ae178B4a", "ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
    ("github fine-grained token", "bad credentials github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ",
     "github_pat_11ABCDEFG0123456789_abcdefghij"),
    ("slack token", "invalid_auth for xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
     "xoxb-123456789012-1234567890123"),
    ("jwt without bearer", "token eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N"
     " expired", "eyJzdWIiOiIxMjM0NTY3ODkwIn0"),
    ("pem private key", "config: -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx8sdf7s6d5f\n-----END RSA PRIVATE "
     "KEY-----", "MIIEowIBAAKCAQEAx8sdf7s6d5f"),
    ("password in url", "could not connect to postgres://bench:hunter2pass@db.internal:5432/runs", "hunter2pass"),
    ("password= parameter", "login failed: user=bench password=s3cret! passwd=also", "s3cret!"),
    ("?key= parameter", "GET https://generativelanguage.googleapis.com/v1/models?key=k3y-VALUE-123&alt=json failed",
     "k3y-VALUE-123"),
    ("subscription key header", "Ocp-Apim-Subscription-Key: 0123456789abcdef0123456789abcdef rejected",
     "0123456789abcdef0123456789abcdef"),
    ("openai key", "Incorrect API key provided: sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789.",
     "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"),
]


def demo_texts() -> list[str]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmops.settings")
    import django

    django.setup()
    from lifecycle import demo

    names = [n for n in dir(demo) if n.isupper() and isinstance(getattr(demo, n), str) and " " in getattr(demo, n)]
    return [getattr(demo, n).replace("%s", "gpt-4.5-preview") for n in names]


def timed(fn, texts, rounds) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            fn(text)
    return (time.perf_counter() - started) / (rounds * len(texts)) * 1e6


def detect_secrets_redactor():
    """detect-secrets' regex plugins as a redactor, or None when it is not importable."""
    try:
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
        from detect_secrets.plugins.base import RegexBasedDetector
    except ImportError:
        return None
    plugins = [cls() for cls in get_mapping_from_secret_type_to_class().values()
               if issubclass(cls, RegexBasedDetector)]

    def redact(text: str) -> str:
        for plugin in plugins:
            for secret in set(plugin.analyze_string(text)):
                if secret:
                    text = text.replace(secret, "<redacted>")
        return text

    return redact, len(plugins)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    from llmops.lib.text import sanitize_text

    texts = demo_texts()
    secret_texts = [text for _, text, _ in SECRETS]
    print(f"# redactor benchmark — {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores")
    print(f"{len(texts)} demo error texts, {len(SECRETS)} secret-bearing texts, {args.rounds} rounds\n")
    print("| redactor | demo texts (µs/text) | secret texts (µs/text) | secrets missed |")
    print("| --- | --- | --- | --- |")
    ours = lambda text: sanitize_text(text, 2000)  # noqa: E731
    missed = [name for name, text, secret in SECRETS if secret in ours(text)]
    print(f"| llmops.lib.text.sanitize_text | {timed(ours, texts, args.rounds):.1f} | "
          f"{timed(ours, secret_texts, args.rounds):.1f} | {', '.join(missed) or 'none'} |")
    found = detect_secrets_redactor()
    if found is None:
        print("| detect-secrets | not importable (pip install detect-secrets into a scratch --target and put it "
              "on PYTHONPATH to compare) | | |")
        return
    theirs, n = found
    missed = [name for name, text, secret in SECRETS if secret in theirs(text)]
    print(f"| detect-secrets 1.5.0 ({n} regex plugins) | {timed(theirs, texts, args.rounds):.1f} | "
          f"{timed(theirs, secret_texts, args.rounds):.1f} | {', '.join(missed) or 'none'} |")


if __name__ == "__main__":
    main()
