"""The one event stream: every state change announces itself here, once.

``emit("embargo.lifted", case_id=7)`` is called by the model method or service that
made the change, inside its transaction, after the timeline entry. Whoever listens
registers at start-up with ``subscribe(handler)`` from its ``AppConfig.ready()``
(the notifications app: ``record_event``, which writes the outbox rows in that same
transaction, so they commit or roll back with the change).

A leaf module: it imports nothing of the project, so the lowest layer can announce
and only higher layers listen (cases -> disclosure -> disclosure.notifications; see
cases/README.md, "Layers and the event stream"). The event names and their ids are
registered in ``disclosure/notifications/kinds.py``.

Ids only, never text: an event ends up in mails and partners' webhooks. Values are
primary keys (``case_id``, ``actor_id``) or short codes that are identifiers
(``transition="accept"``); anything else is refused. ``None`` (a change without an
actor, say a scheduled task's) is dropped.
"""

from __future__ import annotations

from collections.abc import Callable

Handler = Callable[..., object]  # handler(name, **ids)

_handlers: list[Handler] = []


def subscribe(handler: Handler) -> Handler:
    """Call ``handler(name, **ids)`` for every event from now on; subscribing twice is
    harmless (``ready()`` may run more than once in tests)."""
    if handler not in _handlers:
        _handlers.append(handler)
    return handler


def unsubscribe(handler: Handler) -> None:
    """Stop calling ``handler`` (tests that listen for a while)."""
    if handler in _handlers:
        _handlers.remove(handler)


def _is_id_or_code(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, bool):  # an int, but never an id
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and value.isidentifier() and len(value) <= 60


def emit(name: str, **ids: int | str | None) -> None:
    """Announce one change to every subscriber, in the caller's transaction.

    A handler's error propagates: the change it announces rolls back with it rather
    than commit unannounced.
    """
    for key, value in ids.items():
        if not _is_id_or_code(value):
            raise TypeError(f"Event {name!r}: {key} must be an id or a short code, not text.")
    present = {key: value for key, value in ids.items() if value is not None}
    for handler in tuple(_handlers):
        handler(name, **present)
