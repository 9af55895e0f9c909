"""The notifications' section of the SIRT's work queue
(``cases.dashboard.register_queue_source``, called by ``NotificationsConfig.ready``):
e-mails and webhook deliveries that failed after every retry, newest first, each
pointing at the delivery failures page where they are sent again. Two queries."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from cases.dashboard import QueueItem, QueueSection, age_text
from cases.types import User
from disclosure.notifications.models import Notification, Status


def failed_notifications(user: User, limit: int) -> QueueSection:
    # Called for the SIRT only (``cases.dashboard.work_queue``), who see every failure
    # on ``notifications:failures`` as well.
    failed = (
        Notification.objects.filter(status=Status.FAILED)
        .select_related("case", "recipient", "subscription__organisation")
        .order_by("-created_at", "-id")
    )
    count = failed.count()
    now = timezone.now()
    url = reverse("notifications:failures")
    items: list[QueueItem] = []
    for n in failed[:limit] if count else []:
        if n.recipient is not None:
            to = f"{n.recipient.get_username()} ({n.get_channel_display().lower()})"
        elif n.subscription is not None:
            to = f"webhook of {n.subscription.organisation.name}"
        else:
            to = "nobody"
        where = f"{n.case.reference}: " if n.case is not None else ""
        items.append(
            QueueItem(
                label=f"{where}{n.label} to {to}",
                url=f"{url}#failure-{n.pk}",
                since=n.created_at,
                detail=f"{age_text(n.created_at, now)} ago; {n.last_error or 'no error recorded'}",
            )
        )
    return QueueSection(
        key="failed_notifications",
        title="Notifications that failed",
        items=items,
        count=count,
        more_url=url,
        empty="Every notification was delivered.",
    )
