"""The CSAF 2.0 provider (section 7): provider-metadata.json and the directory
distribution, so downstream tools can discover and mirror our advisories.

Layout under ``/.well-known/csaf/``::

    provider-metadata.json
    white/index.txt                 every document, ``<year>/<file>.json`` per line
    white/changes.csv               ``"<year>/<file>.json","<current_release_date>"``, newest first
    white/<year>/<file>.json        year of the initial release (requirement 11)
    white/<year>/<file>.json.sha256 and .sha512 (requirement 18)

Only published advisories (TLP:WHITE) exist here; nothing else is ever listed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cached_property
from typing import Any

from django.urls import reverse
from django.utils import timezone

from disclosure.advisories.content import Publication, publication_for
from disclosure.advisories.formats import absolute, csaf_filename, dumps, timestamp
from disclosure.advisories.formats.csaf import publisher, render_publication
from disclosure.models import Advisory


class DistributedDocument:
    """One advisory's CSAF file in the directory; rendered only when its bytes are needed."""

    def __init__(self, advisory: Advisory) -> None:
        revisions = list(advisory.revisions.all())
        current = next(r for r in revisions if r.number == advisory.revision)
        self.advisory = advisory
        self.identifier = advisory.identifier
        self.year = revisions[0].published_at.year
        self.filename = csaf_filename(advisory.identifier)
        self.current_release = current.published_at

    @property
    def path(self) -> str:
        return f"{self.year}/{self.filename}"

    @cached_property
    def body(self) -> bytes:
        pub: Publication = publication_for(self.advisory)
        return dumps(render_publication(pub))

    def digest(self, algorithm: str) -> str:
        return hashlib.new(algorithm, self.body).hexdigest()

    def hash_file(self, algorithm: str) -> bytes:
        # The format of sha256sum/sha512sum, which section 7.1.18 points to.
        return f"{self.digest(algorithm)}  {self.filename}\n".encode()


def documents(advisories: Iterable[Advisory]) -> list[DistributedDocument]:
    """Newest change first, as changes.csv wants. ``advisories`` must all be published."""
    docs = [DistributedDocument(a) for a in advisories]
    return sorted(docs, key=lambda d: (d.current_release, d.identifier), reverse=True)


def directory_url() -> str:
    return absolute(reverse("advisories:csaf_directory"))


def provider_metadata(docs: list[DistributedDocument]) -> dict[str, Any]:
    last = max((d.current_release for d in docs), default=None) or timezone.now()
    return {
        "canonical_url": absolute(reverse("advisories:csaf_provider_metadata")),
        "distributions": [{"directory_url": directory_url()}],
        "last_updated": timestamp(last),
        "list_on_CSAF_aggregators": True,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": True,
        "publisher": publisher(),
        "role": "csaf_provider",
    }


def index_txt(docs: list[DistributedDocument]) -> str:
    return "".join(f"{d.path}\n" for d in sorted(docs, key=lambda d: d.path))


def changes_csv(docs: list[DistributedDocument]) -> str:
    return "".join(f'"{d.path}","{timestamp(d.current_release)}"\n' for d in docs)
