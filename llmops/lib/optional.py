"""Optional SDKs (boto3 for Bedrock, google-cloud-aiplatform for Vertex): used when installed, else
whatever needs them is skipped with a message saying what to install."""

from __future__ import annotations

import importlib.util


def missing_sdk(module: str, package: str) -> str | None:
    """Why `module` cannot be used ("the boto3 SDK is not installed (pip install boto3)"), or None."""
    top = module.split(".")[0]
    try:
        found = importlib.util.find_spec(top) is not None and importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        found = False
    return None if found else f"the {package} SDK is not installed (pip install {package})"
