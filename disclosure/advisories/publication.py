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

from cases.models import TransitionError
from disclosure.models import Advisory, AdvisoryState
from disclosure.models.embargo import embargo_has_lifted

logger = logging.getLogger(__name__)


def publish_due_advisories(now: dt.datetime | None = None) -> list[int]:
    """Publish every scheduled advisory whose embargo has lifted; return their ids."""
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
