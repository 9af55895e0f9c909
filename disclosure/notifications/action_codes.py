"""The audit codes the notifications app writes, with how each reads (``cases.actions``).

Imported once by ``NotificationsConfig.ready()``. To add a code: write it with
``audit.record`` in the service, register it below with its display, and exercise it
in a test (cases/README.md, "Action codes").
"""

from __future__ import annotations

from cases.actions import audit

# Webhook subscriptions (subscriptions.py; webhooks.py disables after failures).
audit.register("webhook.created", "Webhook created")
audit.register("webhook.updated", "Webhook changed")
audit.register("webhook.enabled", "Webhook enabled")
audit.register(
    "webhook.disabled",
    lambda d: (
        "Webhook disabled"
        + (f" after {d['failures']} failed deliveries" if d.get("failures") else "")
    ),
)
audit.register("webhook.secret_rotated", "Webhook secret rotated")
audit.register("webhook.deleted", "Webhook deleted")
