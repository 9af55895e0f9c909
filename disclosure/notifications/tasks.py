"""django-q2 tasks: thin wrappers that take ids (or nothing) and call the services.

They carry no confidential text in their arguments or results: the results are counts.
"""

from __future__ import annotations


def sweep() -> int:
    from disclosure.notifications.sweep import run

    return run()


def send_pending() -> int:
    from disclosure.notifications.services import send_all_pending

    return send_all_pending()


def send_digests() -> int:
    from disclosure.notifications.services import send_digests as run

    return run()


def publish_due_advisories() -> object:
    from disclosure.publication import publish_due_advisories as run

    return _count(run())


def lift_due_embargoes() -> object:
    from disclosure.services import lift_due_embargoes as run

    return _count(run())


def _count(result: object) -> object:
    # Keep task results free of case data: a number, never model instances.
    if isinstance(result, int):
        return result
    try:
        return len(result)  # type: ignore[arg-type]
    except TypeError:
        return None
