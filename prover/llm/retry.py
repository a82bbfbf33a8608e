"""How long to wait before retrying an LLM request: exponential backoff with jitter, or the server's word."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping

from pydantic import Field

from prover.types import Frozen


class RetryPolicy(Frozen):
    """Delays grow as ``base_delay_s * 2**retry`` up to ``max_delay_s``; jitter draws each in [50%, 100%].

    A ``Retry-After`` (or ``retry-after-ms``) header wins over the backoff, capped at ``max_retry_after_s``.
    """

    base_delay_s: float = Field(default=1.0, ge=0)
    max_delay_s: float = Field(default=30.0, ge=0)
    max_retry_after_s: float = Field(default=120.0, ge=0)

    def backoff_s(self, retry: int, rng: random.Random) -> float:
        ceiling = min(self.max_delay_s, self.base_delay_s * 2.0**retry)
        return ceiling * (0.5 + 0.5 * rng.random())

    def delay_s(self, retry: int, rng: random.Random, headers: Mapping[str, str] | None) -> float:
        server_says = retry_after_s(headers) if headers is not None else None
        if server_says is not None:
            return min(server_says, self.max_retry_after_s)
        return self.backoff_s(retry, rng)


def retry_after_s(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asked us to wait, from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date)."""
    lowered = {key.lower(): value for key, value in headers.items()}
    if (millis := lowered.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # neither seconds nor a date: fall back to backoff
    return max(0.0, parsed.timestamp() - time.time())
