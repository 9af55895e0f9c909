"""API personas: each test talks to the API the way a program does, with a real token."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from cases.tokens import create_token


@pytest.fixture(autouse=True)
def _fresh_throttles() -> Any:
    # Throttle counters live in the cache; each test starts with a clean slate.
    cache.clear()
    yield
    cache.clear()


def token_client(user: Any, *, days: int = 30) -> APIClient:
    client = APIClient()
    if user is not None and getattr(user, "is_authenticated", False):
        _, secret = create_token(user, name="test", days=days)
        client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


@pytest.fixture
def api_for():  # noqa: ANN201 - returns a callable
    """``api_for(user)``: an API client authenticated with a fresh token of that user."""
    return token_client
