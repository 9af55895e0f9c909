"""Crawling the portal as a persona: the web pages (same-site links, breadth-first) and
the REST API (every GET endpoint of the OpenAPI schema, every object id substituted).

Shared by the canary (tests/test_canary.py: an outsider learns nothing of a case) and
the differential test (tests/test_differential_visibility.py: the API shows no more
than the web, and both only what the persona may see).
"""

from __future__ import annotations

import contextlib
import html
import itertools
import json
import re
from collections import deque
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import urldefrag, urlsplit

from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

# Links a crawl never follows: static files, the admin (staff only; has its own test),
# and sign-out (which would end the crawl's session).
SKIP_PREFIXES = (f"/{settings.STATIC_URL.strip('/')}/", "/admin/")
SKIP_NAMES = ("logout",)

Page = tuple[int, dict[str, str], bytes]  # status, headers, body


def skipped_paths() -> tuple[str, ...]:
    paths = []
    for name in SKIP_NAMES:
        with contextlib.suppress(NoReverseMatch):
            paths.append(reverse(name))
    return tuple(paths)


def url_name(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


def links_in(body: bytes) -> list[str]:
    found = []
    for raw in re.findall(rb'href="([^"]+)"', body):
        link = urldefrag(html.unescape(raw.decode("utf-8", "replace")))[0]
        parts = urlsplit(link)
        if link.startswith("/") and not link.startswith("//") and not parts.scheme:
            found.append(link)
    return found


def fetch(client: Client, url: str) -> Page:
    response = client.get(url)
    # Reading a streamed body to its end lets the test client close it (never call
    # close() here: it would signal request_finished and close the DB connection).
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    headers = {k: v for k, v in response.items() if k.lower() not in ("set-cookie", "date")}
    return response.status_code, headers, body


def crawl(
    make_client: Callable[[], Client],
    seeds: list[str],
    *,
    max_followed: int,
    not_crawled: tuple[str, ...] = (),
    skip_prefixes: tuple[str, ...] = SKIP_PREFIXES,
) -> dict[str, Page]:
    """Every seed, then same-site links found on the way (breadth-first, bounded);
    never a path under ``skip_prefixes`` nor a URL named in ``not_crawled``."""
    client = make_client()
    skip = skipped_paths()
    queue, seen, pages = deque(seeds), set(seeds), {}
    while queue and len(pages) < len(seeds) + max_followed:
        url = queue.popleft()
        status, headers, body = fetch(client, url)
        pages[url] = (status, headers, body)
        if status != 200:
            continue
        for link in links_in(body):
            path = urlsplit(link).path
            if link in seen or path.startswith(skip_prefixes) or path in skip:
                continue
            if url_name(path) in not_crawled:
                continue
            seen.add(link)
            queue.append(link)
    return pages


# --------------------------------------------------------------------------- the API


# (the collection a path parameter follows, its name) -> every value to try: every such
# object in the database, visible or not. A GET endpoint with a parameter missing here
# is reported by ``api_urls``: the tests fail until someone classifies it.
def _values(model: str, field: str = "pk") -> Callable[[], list[str]]:
    """Every row's ``field`` of ``model`` ("app_label.Model"), as path values."""
    return lambda: [str(v) for v in apps.get_model(model).objects.values_list(field, flat=True)]


API_PARAMETERS: dict[tuple[str, str], Callable[[], list[str]]] = {
    ("cases", "case_reference"): _values("cases.Case", "reference"),
    ("vulnerabilities", "id"): _values("cases.Vulnerability"),
    ("reports", "id"): _values("cases.Report"),
    ("batches", "id"): _values("cases.ReportBatch"),
    ("organisations", "slug"): _values("cases.Organisation", "slug"),
    ("advisories", "identifier"): _values("disclosure.Advisory", "identifier"),
    ("webhooks", "id"): _values("notifications.WebhookSubscription"),
}
MAX_API_PAGES = 20  # "next" pages followed per list


@cache
def api_get_paths() -> tuple[str, ...]:
    """Every path of the OpenAPI schema that answers GET, as the schema writes it."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return tuple(path for path, operations in schema["paths"].items() if "get" in operations)


def api_urls() -> tuple[list[str], list[str]]:
    """(every GET URL of the API with each parameter's values substituted, the path
    parameters nobody classified in ``API_PARAMETERS``)."""
    urls, unclassified = [], []
    for path in api_get_paths():
        segments = path.strip("/").split("/")
        choices: list[list[tuple[str, str]]] = []
        for before, segment in itertools.pairwise(segments):
            match = re.fullmatch(r"\{(\w+)\}", segment)
            if match is None:
                continue
            values = API_PARAMETERS.get((before, match.group(1)))
            if values is None:
                unclassified.append(f"{path}: {{{match.group(1)}}} after {before!r}")
                break
            choices.append([(segment, value) for value in values()])
        else:
            for combination in itertools.product(*choices):
                url = path
                for segment, value in combination:
                    url = url.replace(segment, value, 1)
                urls.append(url)
    return urls, unclassified


def crawl_api(client: Client, urls: list[str]) -> dict[str, Page]:
    """Every URL, and the ``next`` pages of the lists (bounded)."""
    pages: dict[str, Page] = {}
    queue, followed = deque(urls), 0
    while queue:
        url = queue.popleft()
        if url in pages:
            continue
        pages[url] = fetch(client, url)
        status, _, body = pages[url]
        if status != 200 or not body.startswith(b"{"):
            continue
        following: Any = json.loads(body).get("next")
        if isinstance(following, str) and followed < MAX_API_PAGES * len(urls):
            followed += 1
            parts = urlsplit(following)
            queue.append(f"{parts.path}?{parts.query}" if parts.query else parts.path)
    return pages
