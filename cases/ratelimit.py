"""Rate limits that hold across processes and machines (the API's and the report form's).

DRF's ``SimpleRateThrottle`` keeps a list of request times per client in the cache and
writes it back after reading it. Two processes that share the cache both read 119,
both write 120, and both requests pass: even on a shared cache the limit leaks under
concurrency. Here each request increments a counter atomically (Redis ``INCR``; the
local-memory cache takes a lock) and is admitted only when its own increment stays
within the limit, so exactly the limit passes however the requests are spread.

The window slides in ``SLICES`` steps: one counter per slice (a minute of an hourly
limit), a request counting the current slice and the ones before it that are still
within the window. A refused request takes its increment back: it uses no budget, as
with DRF. When the cache does not answer the request passes and a warning is logged:
the portal stays up without Redis, only unthrottled.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)

SLICES = 60


class SharedWindowThrottle(SimpleRateThrottle):
    """``SimpleRateThrottle`` with atomic counters; subclasses set ``scope`` and the key."""

    # Set by SimpleRateThrottle.__init__ from the rate (undeclared in the DRF stubs).
    num_requests: int
    duration: int

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        width = self.duration / SLICES
        current = math.floor(self.now / width)
        self._slices = list(range(current - SLICES + 1, current + 1))
        keys = [f"{self.key}:{n}" for n in self._slices]
        try:
            mine = self._increment(keys[-1], timeout=math.ceil(self.duration + width))
            earlier = self.cache.get_many(keys[:-1])
        except Exception:  # noqa: BLE001 - a cache outage must not take the API down
            logger.warning("rate limit %s not checked: the cache does not answer", self.scope)
            return True
        self._counts = [int(earlier.get(key, 0)) for key in keys[:-1]] + [mine]
        if mine + sum(self._counts[:-1]) <= self.num_requests:
            return True
        try:
            self.cache.decr(keys[-1])
        except Exception:  # noqa: BLE001 - expired meanwhile, or the cache went away
            logger.warning("rate limit %s: a refused request could not be taken back", self.scope)
        return False

    def _increment(self, key: str, timeout: int) -> int:
        for _ in range(3):
            self.cache.add(key, 0, timeout)  # no-op when the slice already counts
            try:
                return int(self.cache.incr(key))
            except ValueError:  # the slice expired between add and incr
                continue
        raise RuntimeError(f"cannot count {key}")

    def wait(self) -> float | None:
        """Seconds until the oldest counted slice leaves the window."""
        counts = getattr(self, "_counts", None)
        if not counts:
            return None
        width = self.duration / SLICES
        oldest = next(n for n, count in zip(self._slices, counts, strict=True) if count)
        return max((oldest + SLICES) * width - self.now, 1.0)
