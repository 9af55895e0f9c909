"""What every disclosure service shares. Who may do what is asked of ``cases.access``
(``require_on``: the actor's rights on the case) and ``disclosure.access`` (the
predicates on one proposal, release, organisation or pre-notification)."""

from __future__ import annotations

import datetime as dt


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat() if moment else None
