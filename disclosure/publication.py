"""Publication: the one function that makes scheduled advisories public.

``publish_due_advisories`` is idempotent and safe to run from several workers at
once: each advisory row is claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` and
its state re-checked under the lock, so an advisory is published exactly once
(a second run finds it published; a concurrent worker skips the locked row).
The notifications app schedules it; ``manage.py publish_advisories`` runs it by hand.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from cases.models import Case, TransitionError

logger = logging.getLogger(__name__)


def embargo_has_lifted(case: Case, now: dt.datetime | None = None, *, lock: bool = False) -> bool:
    """May the case's advisory be public at ``now``?

    The contract with the embargo code: no embargo at all, or ``Embargo.has_lifted``.
    With ``lock`` the embargo row is locked too, so a concurrent extension of the
    embargo waits for our decision (or we for its).
    """
    from disclosure.models import Embargo

    now = now or timezone.now()
    qs = Embargo.objects.filter(case_id=case.pk)
    if lock:
        qs = qs.select_for_update()
    embargo = qs.first()
    if embargo is None:
        return True
    has_lifted = getattr(embargo, "has_lifted", None)
    if callable(has_lifted):
        return bool(has_lifted(now))
    # Fallback for an Embargo model without has_lifted (kept for the parallel build).
    return embargo.state in ("lifted", "broken") or bool(
        embargo.public_at and embargo.public_at <= now
    )


def publish_due_advisories(now: dt.datetime | None = None) -> list[int]:
    """Publish every scheduled advisory whose embargo has lifted; return their ids."""
    from disclosure.models import Advisory, AdvisoryState

    now = now or timezone.now()
    published: list[int] = []
    candidates = list(
        Advisory.objects.filter(state=AdvisoryState.SCHEDULED)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    for pk in candidates:
        try:
            with transaction.atomic():
                advisory = Advisory.objects.get(pk=pk)
                if not embargo_has_lifted(advisory.case, now):
                    continue
                result = advisory.publish(None, now=now, skip_locked=True)
        except (TransitionError, Advisory.DoesNotExist):
            # The embargo moved or the advisory was withdrawn meanwhile: not due.
            continue
        if result is not None:
            logger.info("advisory %s published", pk)
            published.append(pk)
    return published
