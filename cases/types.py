"""The types of the people the portal deals with, for signatures.

A leaf module: it imports nothing of the project, so any module may use it.

- ``User``: an account (``AUTH_USER_MODEL`` is Django's own ``auth.User``). Services,
  model methods and anything that needs an account to act or own something take a
  ``User``; where the system itself may act (a scheduled task, a migration of data),
  the actor is ``User | None``.
- ``AnyUser``: what ``request.user`` holds, a signed-in ``User`` or the
  ``AnonymousUser``. Access predicates and the template helpers that may be asked about
  a visitor take an ``AnyUser`` and answer for the anonymous one too.
- ``AuthenticatedHttpRequest`` / ``AuthenticatedRequest``: the request of an HTML view
  behind ``@login_required`` / of an API view behind ``IsAuthenticated``, whose ``user``
  is a ``User``; such a view passes ``request.user`` to a service as it is.
"""

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest
from rest_framework.request import Request

AnyUser: TypeAlias = User | AnonymousUser

__all__ = ["AnonymousUser", "AnyUser", "AuthenticatedHttpRequest", "AuthenticatedRequest", "User"]


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a view behind ``@login_required``: its ``user`` is a ``User``.

    An annotation only, kept true by the decorator (an anonymous request never reaches
    the view); Django builds a plain ``HttpRequest`` as always.
    """

    user: User


class AuthenticatedRequest(Request):
    """The DRF request of an API view that requires a signed-in user (the default
    ``IsAuthenticated`` permission): its ``user`` is a ``User``. An annotation only."""

    user: User
