"""REST API of the disclosure app: embargo, release plan, advisories, notifications and
webhooks. Registered on the one router in ``akrites/api_urls.py``; the case comes from
``cases.access``, every write calls the same ``disclosure`` service the web UI calls.
"""

from __future__ import annotations

from rest_framework.routers import DefaultRouter


def register(router: DefaultRouter, case_prefix: str) -> None:
    """Add the disclosure resources to the API router."""
