"""Objects only the notification URLs need, for tests/permission_table.py (by scenario)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from disclosure.notifications.models import Channel, Notification, Status, WebhookSubscription


def maintainer_notification(s: Any) -> int:
    """An in-app notification of the scenario's maintainer (others: 404)."""
    row, _ = Notification.objects.get_or_create(
        key="permission-table",
        subject=f"case:{s.case.pk}",
        due_at=s.case.created_at,
        recipient=s.users["maintainer"],
        channel=Channel.IN_APP,
        defaults={"kind": "case.state_changed", "case": s.case, "status": Status.SENT},
    )
    return row.pk


def failed_notification(s: Any) -> int:
    row, _ = Notification.objects.get_or_create(
        key="permission-table-failed",
        subject=f"case:{s.case.pk}",
        due_at=s.case.created_at,
        recipient=s.users["maintainer"],
        channel=Channel.EMAIL,
        defaults={
            "kind": "case.state_changed",
            "case": s.case,
            "status": Status.FAILED,
            "attempts": 5,
            "last_error": "SMTPServerDisconnected",
            "created_at": timezone.now(),
        },
    )
    return row.pk


def partner_webhook(s: Any) -> int:
    """A webhook of the partner organisation in the case (others: 404)."""
    sub, _ = WebhookSubscription.objects.get_or_create(
        organisation=s.world.partner_org, url="https://hooks.partner.example/akrites"
    )
    return sub.pk
