"""django-axes lockout check as the first authentication backend."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):
    """Refuses sign-in for a locked-out (username, IP) pair.

    Every sign-in path that a person or a client can reach (the login page, the admin
    login, the API token endpoint) passes the request. Calls without one (test
    clients' ``login()``, scripts) have no client address to lock, so they are not
    checked here instead of failing with an error.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
