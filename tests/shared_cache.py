"""A real Redis for the tests of what several processes share (``shared_cache`` fixture).

``TEST_REDIS_URL`` names it (`make test` sets redis://127.0.0.1:6379/15; `.ci/run`
starts redis-server). Unset, these tests are skipped; set but not answering, they fail.
Each test gets its own key prefix, so parallel runs never see each other's counters,
and its keys are removed afterwards (never FLUSHDB: the database may be shared).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis


@dataclass(frozen=True)
class SharedCache:
    url: str
    prefix: str

    def caches(self) -> dict[str, Any]:
        """A ``CACHES`` setting for this process, as ``REDIS_URL`` would configure it."""
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": self.url,
                "KEY_PREFIX": self.prefix,
            }
        }

    def env(self) -> dict[str, str]:
        """Environment of a server process that shares this cache."""
        return {"REDIS_URL": self.url, "CACHE_KEY_PREFIX": self.prefix, "TEST_SHARED_CACHE": "1"}


@pytest.fixture
def shared_cache() -> Iterator[SharedCache]:
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        pytest.skip("needs Redis: set TEST_REDIS_URL (make test sets redis://127.0.0.1:6379/15)")
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"TEST_REDIS_URL={url} does not answer ({exc}); start redis-server")
    cache = SharedCache(url, f"akrites-test-{uuid.uuid4().hex[:12]}")
    try:
        yield cache
    finally:
        keys = list(client.scan_iter(match=f"{cache.prefix}:*", count=500))
        if keys:
            client.delete(*keys)
        client.close()
