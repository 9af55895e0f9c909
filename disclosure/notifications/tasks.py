"""django-q2 tasks: thin wrappers that take ids (or nothing) and call the services.

They carry no confidential text in their arguments or results: the results are counts.
"""

from __future__ import annotations

from disclosure import services as disclosure_services
from disclosure.advisories import publication
from disclosure.notifications import services
from disclosure.notifications import sweep as deadlines


def sweep() -> int:
    return deadlines.run()


def send_pending() -> int:
    return services.send_all_pending()


def send_digests() -> int:
    return services.send_digests()


def publish_due_advisories() -> int:
    # How many, never which: task results are stored and shown in the admin.
    return len(publication.publish_due_advisories())


def lift_due_embargoes() -> int:
    return disclosure_services.lift_due_embargoes()
