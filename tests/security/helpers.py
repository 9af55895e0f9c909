"""Helpers for the security tests: TOTP codes computed like an authenticator app."""

from __future__ import annotations

import time
from typing import Any

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_code(device: TOTPDevice, at: float | None = None) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"


def totp_code_for_secret(hex_key: str, at: float | None = None) -> str:
    return totp_code(TOTPDevice(key=hex_key), at)


def audit_actions(**filters: Any) -> list[str]:
    from cases.audit import AuditEvent

    return list(
        AuditEvent.objects.filter(**filters).order_by("id").values_list("action", flat=True)
    )
