"""Second factor enforcement and idle timeout, after Django's and django-otp's auth."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from cases.accounts import mfa

LAST_ACTIVITY_KEY = "akrites_last_activity"
# Paths a user who has not yet passed the second factor may still reach.
OPEN_PREFIXES = ("/login/", "/logout/", "/account/2fa/", "/invitations/accept/", "/locked/")


def _is_open(path: str) -> bool:
    static = "/" + settings.STATIC_URL.lstrip("/")
    return path.startswith((*OPEN_PREFIXES, static)) or path == "/healthz"


class SecondFactorMiddleware:
    """SIRT coordinators and staff (and everyone who enrolled) pass the second factor
    before any other page, API call or admin page of this session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _is_open(request.path) and mfa.must_verify(request.user):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "error": {
                            "code": "second_factor_required",
                            "message": "Verify your second factor in the browser first.",
                            "fields": {},
                        }
                    },
                    status=403,
                )
            target = (
                "accounts:2fa_verify" if mfa.has_second_factor(request.user) else "accounts:2fa"
            )
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse(target)}?{query}")
        return self.get_response(request)


class IdleTimeoutMiddleware:
    """Sign out a session that saw no request for ``SESSION_IDLE_TIMEOUT`` seconds."""

    # Only write the session when the stored time is this old, not on every request.
    RESOLUTION = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY_KEY)
            if last is not None and now - int(last) > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {
                            "error": {
                                "code": "session_expired",
                                "message": "Signed out after inactivity.",
                                "fields": {},
                            }
                        },
                        status=401,
                    )
                messages.info(request, "You were signed out after a period of inactivity.")
                return redirect(
                    f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}"
                )
            if last is None or now - int(last) >= self.RESOLUTION:
                request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)
