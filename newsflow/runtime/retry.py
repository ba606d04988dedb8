"""How long to wait before the next attempt at something that failed for now."""

from __future__ import annotations

import random


def backoff_delay(attempt: int, cap_s: float, base_s: float = 0.2) -> float:
    """Capped exponential backoff with full jitter: restarted consumers do not retry in step and stampede
    the dependency that just came back."""
    return random.uniform(0, min(cap_s, base_s * 2**attempt))
