"""The public entry point of the notification layer: ``event(name, **ids)``.

Call it inside the transaction of the change (see disclosure/notifications/README.md
for the event names and their kwargs). Ids only, never text.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps


def event(name: str, **ids: Any) -> None:
    """Write the outbox rows for one event, in the caller's transaction."""
    if not apps.is_installed("disclosure.notifications"):
        return
    from disclosure.notifications.services import record_event

    record_event(name, **ids)
