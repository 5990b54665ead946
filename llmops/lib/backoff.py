"""The one exponential backoff: retry n waits base·2ⁿ (capped), spread by jitter.

Jitter keeps clients that failed together from retrying in lockstep. `spread` is the range the
delay is scaled into: (0.5, 1.0) is "equal jitter" (the HTTP client's short retries), (1.0, 1.1)
adds up to 10% (scheduled jobs, whose first retry must not come sooner than `base`).
"""

from __future__ import annotations

import random
from collections.abc import Callable


def backoff_delay(retry: int, *, base: float, cap: float, spread: tuple[float, float] = (1.0, 1.0),
                  rng: Callable[[], float] = random.random) -> float:
    """The wait before retry number `retry` (0-based)."""
    delay = min(cap, base * (2 ** max(retry, 0)))
    low, high = spread
    return delay * (low + (high - low) * rng()) if high != low else delay * low
