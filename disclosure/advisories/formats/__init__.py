"""Machine-readable advisories: CSAF 2.0, OSV 1.7 and CVE JSON 5.1, from one model.

Each module has ``render(advisory, *, preview=False) -> dict``. Without ``preview``
it renders the frozen content of the latest published revision (and refuses an
unpublished advisory with ``LookupError``); with it, the working copy as a draft,
for the participants' preview. This package holds what the formats share: URLs
and dates; ``affected.py`` is the one model of affected ranges, fixes, package
names and reference types that all three are translated from.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from django.conf import settings
from django.urls import reverse


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def page_url(identifier: str) -> str:
    return absolute(reverse("advisories:detail", args=[identifier]))


def csaf_filename(identifier: str) -> str:
    """CSAF 2.0 section 5.1: the tracking id, lower case, other characters as ``_``."""
    return re.sub(r"[^+\-a-z0-9]+", "_", identifier.lower()) + ".json"


def csaf_url(identifier: str, year: int) -> str:
    """The canonical URL of a CSAF document: its place in the provider's directory."""
    return absolute(
        reverse("advisories:csaf_provider_file", args=[year, csaf_filename(identifier)])
    )


def osv_url(osv_id: str) -> str:
    return absolute(reverse("advisories:osv", args=[osv_id]))


def cve_url(cve_id: str) -> str:
    return absolute(reverse("advisories:cve", args=[cve_id]))


def timestamp(when: dt.datetime) -> str:
    """UTC, milliseconds, ``Z``: the form all three formats accept."""
    when = when.astimezone(dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def dumps(document: dict[str, Any]) -> bytes:
    """The bytes served for a document: stable, so its published hashes stay true.

    Keys sorted: CSAF recommends it (test 6.2.13) and it keeps diffs between
    revisions readable for mirrors.
    """
    return (json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


def workaround_for(content: dict[str, Any], vuln: dict[str, Any]) -> str:
    """The workarounds that concern one vulnerability: the advisory's general ones
    (``workarounds``, for every vulnerability) and its own
    (``Advisory.vulnerability_workarounds``), in that order."""
    parts = [str(content.get("workarounds") or ""), str(vuln.get("workarounds") or "")]
    return "\n\n".join(p.strip() for p in parts if p.strip())
