"""The public, anonymous side of advisories: pages, feed, machine-readable files and
the CSAF provider directory.

Every view starts from ``Advisory.objects.published()`` and reads only the frozen
content of the latest published revision. An advisory that is not published does
not exist here: 404, exactly like an identifier that was never allocated, for
everyone, signed in or not (participants read drafts on the case page instead).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.db.models import F, Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.views.decorators.http import require_safe

from disclosure.advisories.content import publication_for
from disclosure.advisories.formats import cve, dumps, osv
from disclosure.advisories.formats import provider as csaf_provider
from disclosure.models import Advisory, AdvisoryRevision
from disclosure.models.advisory import OsvIdentifier

PAGE_SIZE = 20


def published() -> Any:
    return Advisory.objects.published().prefetch_related("revisions")


def get_published_or_404(identifier: str) -> Advisory:
    return get_object_or_404(published(), identifier=identifier)


def _json(body: bytes | dict, *, filename: str | None = None) -> HttpResponse:
    response = HttpResponse(
        body if isinstance(body, bytes) else dumps(body), content_type="application/json"
    )
    if filename:
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _text(body: str | bytes, content_type: str = "text/plain; charset=utf-8") -> HttpResponse:
    return HttpResponse(body, content_type=content_type)


# --------------------------------------------------------------------------- pages


@require_safe
def advisory_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    advisories = published().search(query).order_by("-published_at", "-id")
    page = Paginator(advisories, PAGE_SIZE).get_page(request.GET.get("page"))
    items = [(a, a.current_revision) for a in page.object_list]
    return render(
        request,
        "disclosure/advisories/list.html",
        {"page": page, "items": items, "query": query},
    )


@require_safe
def advisory_detail(request: HttpRequest, identifier: str) -> HttpResponse:
    advisory = get_published_or_404(identifier)
    pub = publication_for(advisory)
    return render(
        request,
        "disclosure/advisories/detail.html",
        {
            "advisory": advisory,
            "pub": pub,
            "content": pub.content,
            "revisions": [r for r in advisory.revisions.all() if r.number <= advisory.revision],
            "csaf_path": reverse("advisories:csaf", args=[advisory.identifier]),
        },
    )


# --------------------------------------------------------------------------- files


@require_safe
def advisory_csaf(request: HttpRequest, identifier: str) -> HttpResponse:
    advisory = get_published_or_404(identifier)
    document = csaf_provider.DistributedDocument(advisory)
    return _json(document.body, filename=document.filename)


@require_safe
def osv_record(request: HttpRequest, osv_id: str) -> HttpResponse:
    # Looked up in the ids assigned at publication (``OsvIdentifier``, legacy ids too):
    # an id says nothing about the advisory or the case it belongs to.
    assigned = OsvIdentifier.objects.filter(osv_id=osv_id, advisory__in=published()).first()
    if assigned is None:
        raise Http404("No such record.")
    advisory = get_published_or_404(assigned.advisory.identifier)
    record = osv.render(advisory).get(osv_id)
    if record is None:
        raise Http404("No such record.")
    return _json(record, filename=f"{osv_id}.json")


@require_safe
def osv_index(request: HttpRequest) -> HttpResponse:
    """Every published OSV record: id, modified, aliases and where to fetch it."""
    entries = []
    for advisory in published().order_by("id"):
        for osv_id, record in osv.render(advisory).items():
            entries.append(
                {
                    "id": osv_id,
                    "modified": record["modified"],
                    "aliases": record.get("aliases", []),
                    "advisory": advisory.identifier,
                    "url": request.build_absolute_uri(reverse("advisories:osv", args=[osv_id])),
                }
            )
    return _json({"records": sorted(entries, key=lambda e: e["id"])})


@require_safe
def cve_record(request: HttpRequest, cve_id: str) -> HttpResponse:
    cve_id = cve_id.upper()
    # search_text narrows the candidates (a substring match); the record decides.
    candidates = AdvisoryRevision.objects.filter(
        advisory__in=Advisory.objects.published(),
        number=F("advisory__revision"),
        search_text__icontains=cve_id,
    ).values_list("advisory_id", flat=True)
    for advisory in published().filter(pk__in=list(candidates)).order_by("id"):
        record = cve.render(advisory).get(cve_id)
        if record is not None:
            return _json(record, filename=f"{cve_id}.json")
    raise Http404("No such record.")


# --------------------------------------------------------------------------- CSAF provider


@require_safe
def provider_metadata(request: HttpRequest) -> HttpResponse:
    docs = csaf_provider.documents(published())
    return _json(csaf_provider.provider_metadata(docs))


@require_safe
def csaf_directory(request: HttpRequest) -> HttpResponse:
    docs = csaf_provider.documents(published())
    years = sorted({d.year for d in docs}, reverse=True)
    return render(
        request,
        "disclosure/advisories/csaf_directory.html",
        {"years": years, "year": None, "docs": []},
    )


@require_safe
def csaf_year(request: HttpRequest, year: int) -> HttpResponse:
    docs = [d for d in csaf_provider.documents(published()) if d.year == year]
    if not docs:
        raise Http404("No documents that year.")
    return render(
        request,
        "disclosure/advisories/csaf_directory.html",
        {"years": [], "year": year, "docs": sorted(docs, key=lambda d: d.filename)},
    )


@require_safe
def csaf_index_txt(request: HttpRequest) -> HttpResponse:
    return _text(csaf_provider.index_txt(csaf_provider.documents(published())))


@require_safe
def csaf_changes_csv(request: HttpRequest) -> HttpResponse:
    return _text(
        csaf_provider.changes_csv(csaf_provider.documents(published())),
        "text/csv; charset=utf-8",
    )


@require_safe
def csaf_file(request: HttpRequest, year: int, filename: str) -> HttpResponse:
    """``<file>.json`` and its ``.sha256`` / ``.sha512`` companions."""
    base, _, suffix = filename.partition(".json")
    if suffix not in ("", ".sha256", ".sha512"):
        raise Http404("No such file.")
    matches = [
        d
        for d in csaf_provider.documents(published())
        if d.year == year and d.filename == f"{base}.json"
    ]
    if not matches:
        raise Http404("No such file.")
    document = matches[0]
    if suffix:
        return _text(document.hash_file(suffix[1:]))
    return _json(document.body)


# --------------------------------------------------------------------------- feed


def tag_uri(specific: str) -> str:
    """A ``tag:`` URI (RFC 4151) minted by this portal: Atom ids are IRIs that never
    change, whatever address the portal is later reached at (RFC 4287, 4.2.6)."""
    return f"tag:{settings.FEED_TAG_AUTHORITY},{settings.FEED_TAG_DATE}:{specific}"


class AdvisoryFeed(Feed):
    feed_type = Atom1Feed
    title = "Akrites security advisories"
    subtitle = "Published advisories of the Akrites coordinated disclosure programme."

    def feed_guid(self) -> str:
        return tag_uri("advisories")

    # RFC 4287: a feed whose entries have no author of their own names one.
    def author_name(self) -> str:
        return settings.CSAF_PUBLISHER_NAME

    def author_email(self) -> str:
        return settings.CSAF_PUBLISHER_CONTACT

    def link(self) -> str:
        return reverse("advisories:list")

    def items(self) -> list[Advisory]:
        # Newest change first: a revision or a withdrawal brings an advisory back up.
        latest = published().annotate(changed_at=Max("revisions__published_at"))
        return list(latest.order_by("-changed_at", "-id")[:50])

    @staticmethod
    def _revision(item: Advisory) -> AdvisoryRevision:
        revision = item.current_revision
        assert revision is not None, "a published advisory has a revision"  # ``published()``
        return revision

    def item_title(self, item: Advisory) -> str:
        content = self._revision(item).content
        withdrawn = "[Withdrawn] " if content.get("withdrawn") else ""
        return f"{withdrawn}{item.identifier}: {content['title']}"

    def item_description(self, item: Advisory) -> str:
        # Atom says the summary is HTML: escape the plain text so readers show it as text.
        content = self._revision(item).content
        if content.get("withdrawn"):
            return escape(f"Withdrawn: {content['withdrawn']['reason']}\n\n{content['summary']}")
        return escape(content["summary"])

    def item_link(self, item: Advisory) -> str:
        return item.get_absolute_url()

    def item_guid(self, item: Advisory) -> str:
        return tag_uri(f"advisory/{item.identifier}")

    item_guid_is_permalink = False

    def item_pubdate(self, item: Advisory) -> Any:
        return item.published_at

    def item_updateddate(self, item: Advisory) -> Any:
        return self._revision(item).published_at
