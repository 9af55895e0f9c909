"""System checks of the cases app: access drift and the audit chain key in ``check --deploy``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError

from cases import access_check


@register(Tags.security, deploy=True)
def check_access_drift(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Memberships, groups and grants agree (``manage.py check_access`` for the detail)."""
    try:
        drift = access_check.find_drift()
    except DatabaseError:
        # A database that is unreachable or not migrated yet is migrate's to report.
        return []
    if not drift:
        return []
    return [
        Error(
            f"{len(drift)} access drift item(s) between memberships, groups and case grants.",
            hint="Run manage.py check_access to list them, check_access --fix to repair them.",
            id="cases.E001",
        )
    ]


# An HMAC key shorter than this is guessable offline from one row and its hash.
AUDIT_KEY_MIN_LENGTH = 32


@register(Tags.security, deploy=True)
def check_audit_chain_key(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """The audit chain is signed with a real key (cases/audit.py)."""
    if not settings.AUDIT_CHAIN_KEY:
        message = (
            "AUDIT_CHAIN_KEY is not set: the audit trail is signed with the public "
            "development key, so someone who can write the table can rewrite it unnoticed."
        )
    elif len(settings.AUDIT_CHAIN_KEY) < AUDIT_KEY_MIN_LENGTH:
        message = f"AUDIT_CHAIN_KEY is shorter than {AUDIT_KEY_MIN_LENGTH} characters."
    else:
        return []
    return [
        Warning(
            message,
            hint="Set AUDIT_CHAIN_KEY to a long random string kept outside the database, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'` (README, Audit trail).",
            id="cases.W001",
        )
    ]
