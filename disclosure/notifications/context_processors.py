from typing import Any

from django.http import HttpRequest

from disclosure.notifications.models import Notification


def unread(request: HttpRequest) -> dict[str, Any]:
    """The unread count in the navigation (one indexed count, only for visible cases)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notifications_unread": lambda: Notification.objects.centre_for(user).unread().count()}
