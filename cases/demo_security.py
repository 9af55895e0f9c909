"""Demo second factors: known TOTP secrets for the demo coordinators (demo database only).

``seed_demo`` runs this after ``cases.demo``; ``make run`` prints the secrets and
``manage.py demo_totp coordinator`` prints the current code, so a newcomer can sign in
with an authenticator app or without one. Idempotent.
"""

from __future__ import annotations

import base64
import shlex

from django.conf import settings
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice

# Published on purpose: these accounts exist only in the demo database.
DEMO_TOTP_SECRETS: dict[str, str] = {
    "coordinator": "AKRITESDEMOCOORDINATORONE2345672",  # noqa: S105
    "coordinator2": "AKRITESDEMOCOORDINATORTWO2345672",  # noqa: S105
}
DEVICE_NAME = "Demo authenticator"


def hex_key(secret: str) -> str:
    return base64.b32decode(secret).hex()


def seed() -> None:
    users = get_user_model().objects.filter(username__in=DEMO_TOTP_SECRETS)
    for user in users:
        key = hex_key(DEMO_TOTP_SECRETS[user.get_username()])
        device = TOTPDevice.objects.filter(user=user, name=DEVICE_NAME).first()
        if device is None:
            TOTPDevice.objects.filter(user=user).delete()
            TOTPDevice.objects.create(user=user, name=DEVICE_NAME, key=key, confirmed=True)
        elif device.key != key or not device.confirmed:
            device.key, device.confirmed = key, True
            device.save(update_fields=["key", "confirmed"])


def demo_totp_command() -> str:
    """The command that prints a coordinator's current code, as it works for this demo:
    with the demo's data directory when it is not the default one (the code is read
    from that database)."""
    data_dir = ""
    if settings.DATA_DIR.resolve() != (settings.BASE_DIR / ".data").resolve():
        data_dir = f"AKRITES_DATA_DIR={shlex.quote(str(settings.DATA_DIR))} "
    return f"{data_dir}DEBUG=1 .venv/bin/python manage.py demo_totp coordinator"


def banner_lines() -> list[str]:
    lines = [
        "Two-factor sign-in (coordinators): add the secret to an authenticator app,",
        f"or get the current code: {demo_totp_command()}",
    ]
    width = max(len(name) for name in DEMO_TOTP_SECRETS)
    lines += [f"  {name.ljust(width)}  TOTP secret {s}" for name, s in DEMO_TOTP_SECRETS.items()]
    return lines
