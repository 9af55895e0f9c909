"""The content of an advisory as the public files see it, and how to get it.

``build_content`` gathers, from the advisory's working copy and its case, all that
the CSAF, OSV and CVE files and the public page are made of: text, projects,
vulnerabilities with affected and fixed versions, scores, and the credits of the
people who agreed to be named. Publication freezes that dict into the revision;
``publication_for`` hands renderers either the frozen content of the latest
revision (the public view) or a live preview (participants, before publication).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from packageurl import PackageURL

from cases.access import VULNERABILITY_TITLE_UNDER_REVIEW, CaseAccess
from cases.validators import purl_without_version
from disclosure.advisories import vendor_statements

if TYPE_CHECKING:  # disclosure.models imports this module
    from disclosure.models import Advisory


@cache
def _cwe_names() -> dict[str, str]:
    path = Path(__file__).parent / "formats" / "cwe_names.json"
    return json.loads(path.read_text(encoding="utf-8"))["names"]


def cwe_name(cwe: str) -> str | None:
    """The catalogue name of a weakness (CSAF requires the exact one), or None."""
    return _cwe_names().get(cwe) if cwe else None


def package_name(purl: str) -> str:
    try:
        p = PackageURL.from_string(purl)
    except ValueError:
        return purl
    return f"{p.namespace}/{p.name}" if p.namespace else p.name


def _project_for(purl: str, projects: list[dict[str, Any]]) -> dict[str, Any] | None:
    base = purl_without_version(purl)
    for project in projects:
        if base in project["purls"]:
            return project
    name = package_name(purl).rsplit("/", 1)[-1].lower()
    return next((p for p in projects if p["name"].lower() == name), None)


def build_content(
    advisory: Advisory,
    *,
    previous: dict[str, Any] | None = None,
    osv_ids: Mapping[int, str] | None = None,
) -> dict[str, Any]:
    """Everything public about the advisory, as plain JSON-able data.

    ``osv_ids`` maps vulnerability ids to their OSV ids (by default the advisory's
    ``OsvIdentifier`` rows, assigned at publication); ``previous`` is the content of
    the last published revision, whose ids are kept too. A vulnerability not
    published yet has ``osv_id`` "" (shown as "assigned at publication"): a draft
    never shows an id that could change.
    """
    case = advisory.case
    # "Fixed in" is the affected packages' own fixed versions: the release plan records
    # a project's fix there too (disclosure/README.md, "Release data: entered once").
    projects = [
        {
            "name": p.name,
            "vendor": p.organisation.name,
            "repository_url": p.repository_url,
            "purls": [purl_without_version(u) for u in p.purls],
        }
        for p in case.projects.select_related("organisation").order_by("name")
    ]
    known_ids = {
        v["vulnerability_id"]: v["osv_id"]
        for v in (previous or {}).get("vulnerabilities", [])
        if v.get("osv_id")
    }
    if osv_ids is None:
        # An unsaved advisory (a preview of what a new one would say) has no ids yet.
        osv_ids = (
            dict(advisory.osv_ids.values_list("vulnerability_id", "osv_id"))
            if advisory.pk is not None
            else {}
        )
    known_ids.update(osv_ids)
    # What the vendors marked public (disclosure/advisories/vendor_statements.py).
    vendor_statuses = vendor_statements.public_vendor_statements(case)
    vulnerabilities = []
    for vuln in case.vulnerabilities.prefetch_related("affected", "credits").order_by(
        "created_at", "id"
    ):
        osv_id = known_ids.get(vuln.pk, "")
        affected = []
        for a in vuln.affected.all():
            project = _project_for(a.purl, projects)
            affected.append(
                {
                    "purl": purl_without_version(a.purl),
                    "vers": a.vers,
                    "fixed_versions": [str(v) for v in a.fixed_versions],
                    "product": project["name"] if project else package_name(a.purl),
                    "vendor": project["vendor"] if project else "",
                    "repository_url": project["repository_url"] if project else "",
                }
            )
        vulnerabilities.append(
            {
                "vulnerability_id": vuln.pk,
                "osv_id": osv_id,
                "title": vuln.title,
                "description": vuln.description,
                "cwe": vuln.cwe,
                "cwe_name": cwe_name(vuln.cwe),
                "cve_id": vuln.cve_id,
                "cvss3_vector": vuln.cvss3_vector,
                "cvss3_score": float(vuln.cvss3_score) if vuln.cvss3_score is not None else None,
                "cvss4_vector": vuln.cvss4_vector,
                "cvss4_score": float(vuln.cvss4_score) if vuln.cvss4_score is not None else None,
                "severity": vuln.severity,
                "affected": affected,
                # The workaround that concerns this vulnerability only (the advisory's
                # ``workarounds`` concern every one): ``formats.workaround_for``.
                "workarounds": (advisory.vulnerability_workarounds or {}).get(str(vuln.pk), ""),
                "vendor_statuses": vendor_statuses.get(vuln.pk, []),
                # Only people who agreed to be named: the consent lives on the Credit row.
                "credits": [
                    {"name": c.name, "kind": c.kind, "label": c.get_kind_display()}
                    for c in vuln.credits.all()
                    if c.consented
                ],
            }
        )
    return {
        "identifier": advisory.identifier,
        "title": advisory.title,
        "summary": advisory.summary,
        "details": advisory.details,
        "workarounds": advisory.workarounds,
        "vulnerability_workarounds": dict(advisory.vulnerability_workarounds or {}),
        "references": list(advisory.references),
        "severity": case.severity,
        "projects": projects,
        "vulnerabilities": vulnerabilities,
    }


def as_read_by(content: dict[str, Any], case_access: CaseAccess) -> dict[str, Any]:
    """A draft's ``content`` as one participant may read it on the case page: titles
    and credits exactly as ``cases.access.CaseAccess`` shows them there (a title still
    in a reporter's wording becomes the placeholder, credits the viewer may not read
    are left out). Published revisions are public and never pass through here."""
    titles = case_access.vulnerability_titles()
    names = {c.name for c in case_access.visible_credits()}
    vulnerabilities = [
        {
            **v,
            "title": titles.get(v["vulnerability_id"], VULNERABILITY_TITLE_UNDER_REVIEW),
            "credits": [c for c in v["credits"] if c["name"] in names],
            "vendor_statuses": vendor_statements.readable_by(v, case_access),
        }
        for v in content.get("vulnerabilities", [])
    ]
    return {**content, "vulnerabilities": vulnerabilities}


@dataclass(frozen=True)
class RevisionInfo:
    number: int
    date: dt.datetime
    summary: str


@dataclass(frozen=True)
class Publication:
    """What a renderer needs: the content and the history it was published with."""

    identifier: str
    content: dict[str, Any]
    revisions: tuple[RevisionInfo, ...]
    final: bool

    @property
    def version(self) -> int:
        return self.revisions[-1].number

    @property
    def initial_release(self) -> dt.datetime:
        return self.revisions[0].date

    @property
    def current_release(self) -> dt.datetime:
        return self.revisions[-1].date

    @property
    def year(self) -> int:
        return self.initial_release.year

    @property
    def withdrawn(self) -> bool:
        """Whether this publication is the advisory's withdrawal (``AdvisoryChange``)."""
        return bool(self.content.get("withdrawn"))

    @property
    def withdrawal_reason(self) -> str:
        return str((self.content.get("withdrawn") or {}).get("reason", ""))

    @property
    def withdrawn_at(self) -> dt.datetime | None:
        """When it was withdrawn: the date of the revision that says so."""
        return self.current_release if self.withdrawn else None


def publication_for(advisory: Advisory, *, preview: bool = False) -> Publication:
    """The published state of ``advisory``, or (``preview``) its working copy as a draft.

    Public callers never pass ``preview``: without a published revision this raises
    ``LookupError`` rather than fall back to unpublished text.
    """
    if preview:
        now = timezone.now()
        previous = advisory.current_revision
        history = [
            RevisionInfo(r.number, r.published_at, r.summary) for r in advisory.revisions.all()
        ]
        # The preview is the next revision, marked as a draft.
        history.append(RevisionInfo(len(history) + 1, now, "Draft, not published."))
        return Publication(
            identifier=advisory.identifier,
            content=build_content(
                advisory,
                previous=previous.content if previous else None,
                # Ids already published; no new one is allocated for a preview.
                osv_ids=dict(advisory.osv_ids.values_list("vulnerability_id", "osv_id")),
            ),
            revisions=tuple(history),
            final=False,
        )
    current = advisory.current_revision if advisory.is_public else None
    if current is None:
        raise LookupError(f"{advisory.pk} is not published")
    history = [
        RevisionInfo(r.number, r.published_at, r.summary)
        for r in advisory.revisions.all()
        if r.number <= current.number
    ]
    return Publication(
        identifier=advisory.identifier,
        content=current.content,
        revisions=tuple(history),
        final=True,
    )
