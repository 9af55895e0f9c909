"""The public site: published advisories for everyone, embargoed ones for nobody
outside the case, on every page, file, feed, search and provider index."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import pathlib
import re
from xml.etree import ElementTree

import jsonschema
import pytest
from csaf import audit_tree
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from disclosure.advisories.formats import csaf_filename
from disclosure.models import Advisory
from tests.disclosure.advisory_factories import (
    approved_advisory,
    enrich_case,
    published_advisory,
    revise_and_publish,
    set_embargo,
)
from tests.factories import make_case

SECRET_TITLE = "Embargoed flaw nobody may know about"


@pytest.fixture
def public(case, coordinator, second_coordinator, project, other_project) -> Advisory:
    enrich_case(case, coordinator, project, other_project)
    return published_advisory(case, coordinator, second_coordinator)


@pytest.fixture
def embargoed(coordinator, second_coordinator, project, maintainer_org) -> Advisory:
    """A scheduled advisory whose embargo holds for three more days."""
    case = make_case(
        coordinator,
        project=project,
        maintainers=maintainer_org,
        title="Embargoed report",
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
    )
    vuln = case.vulnerabilities.first()
    vuln.cve_id = "CVE-2026-49999"
    vuln.save()
    set_embargo(case, timezone.now() + dt.timedelta(days=3))
    advisory = approved_advisory(case, coordinator, second_coordinator, title=SECRET_TITLE)
    return advisory.schedule(coordinator)


def public_urls(advisory: Advisory, osv_id: str, cve_id: str) -> list[str]:
    year = timezone.now().year
    filename = csaf_filename(advisory.identifier)
    return [
        reverse("advisories:detail", args=[advisory.identifier]),
        reverse("advisories:csaf", args=[advisory.identifier]),
        reverse("advisories:osv", args=[osv_id]),
        reverse("advisories:cve", args=[cve_id]),
        reverse("advisories:csaf_provider_file", args=[year, filename]),
        reverse("advisories:csaf_provider_file", args=[year, filename + ".sha256"]),
        reverse("advisories:csaf_provider_file", args=[year, filename + ".sha512"]),
    ]


LISTINGS = [
    ("advisories:list", []),
    ("advisories:feed", []),
    ("advisories:osv_index", []),
    ("advisories:csaf_provider_metadata", []),
    ("advisories:csaf_directory", []),
    ("advisories:csaf_index", []),
    ("advisories:csaf_changes", []),
]


def test_published_advisory_is_readable_anonymously_everywhere(client, public):
    content = public.current_revision.content
    osv_id = content["vulnerabilities"][0]["osv_id"]
    for url in public_urls(public, osv_id, "CVE-2026-41001"):
        response = client.get(url)
        assert response.status_code == 200, url
    for name, args in LISTINGS:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, name
        if name not in ("advisories:csaf_provider_metadata", "advisories:csaf_directory"):
            assert public.identifier.lower() in response.content.decode().lower(), name


@pytest.mark.parametrize("persona", ["anonymous", "outsider", "maintainer", "coordinator"])
def test_embargoed_advisory_is_404_on_every_public_url_for_everyone(
    request, client_for, embargoed, persona
):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    osv_id = f"{settings.OSV_ID_PREFIX}-{timezone.now().year}-0001"
    for url in public_urls(embargoed, osv_id, "CVE-2026-49999"):
        assert client.get(url).status_code == 404, url
    year = timezone.now().year
    assert client.get(reverse("advisories:csaf_year", args=[year])).status_code == 404


@pytest.mark.parametrize("persona", ["anonymous", "maintainer", "coordinator"])
def test_listings_feed_search_and_provider_index_never_mention_an_embargoed_advisory(
    request, client_for, embargoed, public, persona
):
    client = client_for(request.getfixturevalue(persona))
    for name, args in LISTINGS:
        body = client.get(reverse(name, args=args)).content.decode()
        assert embargoed.identifier not in body, name
        assert embargoed.identifier.lower() not in body, name
        assert SECRET_TITLE not in body, name
        assert "CVE-2026-49999" not in body, name
    for query in (SECRET_TITLE, "CVE-2026-49999", embargoed.identifier, "Embargoed"):
        response = client.get(reverse("advisories:list"), {"q": query})
        # The page repeats the query itself; what matters is that nothing matched.
        assert response.context["items"] == []
        assert "<table" not in response.content.decode()


def test_search_finds_published_advisories_by_cve_title_and_identifier(client, public):
    for query in ("CVE-2026-41002", "fastparse", public.identifier):
        response = client.get(reverse("advisories:list"), {"q": query})
        assert public.identifier in response.content.decode(), query
    response = client.get(reverse("advisories:list"), {"q": "no such words anywhere"})
    assert public.identifier not in response.content.decode()


def test_unpublished_edits_of_a_published_advisory_stay_private(client, public, coordinator):
    public.edit(coordinator, expected_version=public.version, title="Secret rewording")

    for name, args in LISTINGS + [("advisories:detail", [public.identifier])]:
        assert "Secret rewording" not in client.get(reverse(name, args=args)).content.decode()
    response = client.get(reverse("advisories:list"), {"q": "Secret rewording"})
    assert public.identifier not in response.content.decode()


def test_the_list_is_paginated(client, coordinator, second_coordinator, project):
    from disclosure.advisories import public_views

    for _ in range(public_views.PAGE_SIZE + 1):
        published_advisory(make_case(coordinator, project=project), coordinator, second_coordinator)

    first = client.get(reverse("advisories:list"))
    second = client.get(reverse("advisories:list"), {"page": 2})

    assert first.status_code == second.status_code == 200
    assert len(first.context["items"]) == public_views.PAGE_SIZE
    assert len(second.context["items"]) == 1


def test_the_page_links_to_its_csaf_osv_and_cve_files(client, public):
    body = client.get(public.get_absolute_url()).content.decode()
    content = public.current_revision.content

    assert reverse("advisories:csaf", args=[public.identifier]) in body
    for vuln in content["vulnerabilities"]:
        assert reverse("advisories:osv", args=[vuln["osv_id"]]) in body
        if vuln["cve_id"]:
            assert reverse("advisories:cve", args=[vuln["cve_id"]]) in body


def test_the_atom_feed_lists_published_advisories(client, public):
    response = client.get(reverse("advisories:feed"))

    assert response["Content-Type"].startswith("application/atom+xml")
    assert public.current_revision.content["title"] in response.content.decode()


def test_the_atom_feed_has_tag_uri_ids_and_an_author(client, public):
    """RFC 4287: atom:id is an IRI that never changes; a feed names an author when its
    entries do not. The entry id no longer reads like a bare identifier."""
    ns = {"atom": "http://www.w3.org/2005/Atom"}
    # Our own response, not untrusted input.
    feed = ElementTree.fromstring(client.get(reverse("advisories:feed")).content)  # noqa: S314
    (entry,) = feed.findall("atom:entry", ns)
    tag = f"tag:{settings.FEED_TAG_AUTHORITY},{settings.FEED_TAG_DATE}:"

    assert feed.findtext("atom:id", namespaces=ns) == f"{tag}advisories"
    assert entry.findtext("atom:id", namespaces=ns) == f"{tag}advisory/{public.identifier}"
    assert feed.findtext("atom:author/atom:name", namespaces=ns) == settings.CSAF_PUBLISHER_NAME
    assert re.fullmatch(
        r"tag:[a-z0-9.-]+,\d{4}-\d{2}-\d{2}:[^\s]+", entry.findtext("atom:id", namespaces=ns)
    )


def test_provider_metadata_is_valid_under_the_csaf_provider_schema(client, public):
    import csaf

    package = pathlib.Path(csaf.__file__).parent / "csaf"
    schema = json.loads((package / "v21" / "feed" / "provider.json").read_text())
    csaf20 = json.loads((package / "v20" / "schema" / "csaf.json").read_text())
    # The package ships the 2.1 provider schema only; it differs from 2.0 in the
    # version constant, the required $schema, the directory distribution's shape
    # (2.0: "directory_url") and the publisher definition's home.
    schema["properties"]["metadata_version"] = {"const": "2.0"}
    schema["required"].remove("$schema")
    distribution = schema["properties"]["distributions"]["items"]["properties"]
    distribution["directory_url"] = distribution.pop("directory")["properties"]["url"]
    schema["properties"]["publisher"] = csaf20["properties"]["document"]["properties"]["publisher"]
    metadata = client.get(reverse("advisories:csaf_provider_metadata")).json()

    validator = jsonschema.Draft202012Validator(schema)
    assert not [e.message for e in validator.iter_errors(metadata)]
    assert metadata["distributions"][0]["directory_url"].endswith("/.well-known/csaf/white/")


def test_directory_distribution_mirrors_cleanly(client, public, tmp_path):
    """index.txt, changes.csv, year folders and hashes, as a mirroring tool reads them."""
    base = reverse("advisories:csaf_directory")
    index = client.get(base + "index.txt").content.decode()
    changes = client.get(base + "changes.csv").content.decode()
    (tmp_path / "index.txt").write_text(index)
    (tmp_path / "changes.csv").write_text(changes)
    for path in index.split():
        body = client.get(base + path).content
        digest = client.get(base + path + ".sha256").content.decode().split()[0]
        assert hashlib.sha256(body).hexdigest() == digest
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(body)

    result = audit_tree(str(tmp_path))
    # The package's changes.csv check reads the CSAF 2.1 column order; ours is 2.0's.
    assert not [v for v in result.violations if v.rule != "changes-csv"]
    assert result.advisory_count == 1
    rows = list(csv.reader(io.StringIO(changes)))
    assert rows == [
        [
            index.strip(),
            public.current_revision.published_at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        ]
    ]


def test_changes_csv_lists_the_newest_change_first(
    client, coordinator, second_coordinator, project
):
    first = published_advisory(
        make_case(coordinator, project=project), coordinator, second_coordinator
    )
    second = published_advisory(
        make_case(coordinator, project=project), coordinator, second_coordinator
    )
    revise_and_publish(
        first, coordinator, second_coordinator, revision_summary="Update.", title="X"
    )

    rows = list(
        csv.reader(io.StringIO(client.get(reverse("advisories:csaf_changes")).content.decode()))
    )

    assert [r[0].split("/")[1] for r in rows] == [
        csaf_filename(first.identifier),
        csaf_filename(second.identifier),
    ]
    assert rows[0][1] >= rows[1][1]


def test_case_page_panel_shows_the_draft_to_participants_with_the_right(
    client_for, embargoed, maintainer, reporter, coordinator
):
    case = embargoed.case
    url = case.get_absolute_url()

    assert SECRET_TITLE in client_for(maintainer).get(url).content.decode()
    assert SECRET_TITLE in client_for(coordinator).get(url).content.decode()


def test_case_page_hides_the_draft_from_a_reporter(
    client_for, case, coordinator, second_coordinator, reporter
):
    set_embargo(case, timezone.now() + dt.timedelta(days=3))
    approved_advisory(case, coordinator, second_coordinator, title=SECRET_TITLE)

    response = client_for(reporter).get(case.get_absolute_url())

    assert response.status_code == 200
    assert SECRET_TITLE not in response.content.decode()


def test_public_listings_read_exactly_the_same_with_or_without_a_scheduled_advisory(
    client, public, coordinator, second_coordinator, project, maintainer_org
):
    """Not only no title: no count, date or byte may change while it is scheduled."""
    import time_machine
    from django.db import transaction

    urls = [reverse(name, args=args) for name, args in LISTINGS]
    urls += [f"{reverse('advisories:list')}?q=Embargoed", f"{reverse('advisories:list')}?page=2"]
    with time_machine.travel(timezone.now(), tick=False):
        savepoint = transaction.savepoint()
        case = make_case(coordinator, project=project, maintainers=maintainer_org)
        set_embargo(case, timezone.now() + dt.timedelta(days=3))
        approved_advisory(case, coordinator, second_coordinator, title=SECRET_TITLE).schedule(
            coordinator
        )
        with_it = {url: client.get(url) for url in urls}
        transaction.savepoint_rollback(savepoint)
        without_it = {url: client.get(url) for url in urls}

    for url in urls:
        assert with_it[url].status_code == without_it[url].status_code, url
        assert with_it[url].content == without_it[url].content, url


def test_the_page_csaf_link_and_the_provider_file_serve_the_same_bytes(client, public):
    page_copy = client.get(reverse("advisories:csaf", args=[public.identifier])).content
    year = public.current_revision.published_at.year
    provider_copy = client.get(
        reverse("advisories:csaf_provider_file", args=[year, csaf_filename(public.identifier)])
    ).content

    assert page_copy == provider_copy
    assert json.loads(page_copy)["document"]["tracking"]["id"] == public.identifier


def test_osv_ids_stay_the_same_across_revisions(client, public, coordinator, second_coordinator):
    before = client.get(reverse("advisories:osv_index")).json()["records"]
    revise_and_publish(
        public, coordinator, second_coordinator, revision_summary="Typo.", title="Typo fixed"
    )
    after = client.get(reverse("advisories:osv_index")).json()["records"]

    assert [r["id"] for r in before] == [r["id"] for r in after]
    assert all(a["modified"] > b["modified"] for a, b in zip(after, before, strict=True))
    for record in after:
        assert client.get(record["url"]).status_code == 200
