"""When and how long to wait before retrying a request to a remote model.

Connection errors, HTTP 429 and 5xx replies are worth another try: exponential backoff
with a cap, or the server's own `Retry-After` (seconds or an HTTP date) when it sends
one. How to sleep and what time it is are fields of the policy, so tests never wait. Leaves out
deciding which failures are retryable (the backend knows its protocol) and jitter (one
user's client does not stampede a server).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    """Retries after the first attempt; 0 fails on the first error."""
    backoff: float = 0.5
    """Seconds before the first retry; doubled for each one after."""
    max_delay: float = 30.0
    """No single wait is longer, whatever the server asks for."""
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
    """How to wait (a test records the waits instead)."""
    clock: Callable[[], float] = field(default=time.time, compare=False, repr=False)
    """The Unix time now, to read a `Retry-After` given as an HTTP date."""

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.backoff < 0 or self.max_delay < 0:
            raise ValueError("retry counts and delays must not be negative")

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `retry` (0-based)."""
        wait = retry_after if retry_after is not None else self.backoff * (2**retry)
        return max(0.0, min(wait, self.max_delay))


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds a `Retry-After` header asks for (`now` is a Unix time), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)
