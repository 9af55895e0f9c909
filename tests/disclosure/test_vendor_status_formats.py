"""Vendor statuses marked public flow into the published advisory: CSAF product status,
VEX flags and vendor notes (schema + mandatory tests), OSV ``database_specific``, CVE
``affected`` entries (schemas); a status not marked public never does."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cvelib.cve_api import CveRecord

from cases import access, services
from cases.models import Case, Organisation, ParticipantRole
from disclosure.advisories.content import as_read_by, publication_for
from disclosure.advisories.formats import csaf, cve, osv
from disclosure.models import Advisory
from tests.disclosure.advisory_factories import enrich_case, published_advisory
from tests.disclosure.test_advisory_formats import (
    assert_valid_csaf,
    https_site,  # noqa: F401 - an autouse fixture: the files' URLs are https
    osv_validator,
)
from tests.factories import make_organisation, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendor_case(case, coordinator, project, other_project, partner_org, maintainer, partner):
    case = enrich_case(case, coordinator, project, other_project)
    services.add_participant(
        case, coordinator, organisation=partner_org, role=ParticipantRole.PARTNER, notify=False
    )
    distro = make_organisation(Organisation.Kind.DOWNSTREAM, name="Distro")
    services.add_participant(
        case, coordinator, organisation=distro, role=ParticipantRole.DOWNSTREAM, notify=False
    )
    first, second, _ = case.vulnerabilities.order_by("created_at", "pk")

    def give(actor: Any, org: Organisation, vuln: Any, **kw: Any) -> None:
        services.set_vendor_status(case, actor, vulnerability=vuln, organisation=org, **kw)

    give(
        partner,
        partner_org,
        first,
        status="not_affected",
        justification="vulnerable_code_not_in_execute_path",
        statement="Our gateway never parses chunk headers.",
        product="Gateway",
        public=True,
    )
    give(partner, partner_org, second, status="affected", statement="PRIVATE-WORDS", public=False)
    give(
        maintainer,
        case.participants.get(role="maintainer").organisation,
        first,
        status="fixed",
        public=True,
    )
    give(
        make_user("distro1", organisation=distro),
        distro,
        first,
        status="under_investigation",
        public=True,
    )
    return case


@pytest.fixture
def advisory(vendor_case: Case, coordinator, second_coordinator) -> Advisory:
    return published_advisory(vendor_case, coordinator, second_coordinator)


def _products(document: dict[str, Any]) -> dict[str, str]:
    """product id -> full product name, from the whole tree."""
    found: dict[str, str] = {}

    def walk(branches: list[dict[str, Any]]) -> None:
        for b in branches:
            if "product" in b:
                found[b["product"]["product_id"]] = b["product"]["name"]
            walk(b.get("branches", []))

    walk(document["product_tree"]["branches"])
    return found


def test_csaf_carries_product_status_flags_and_vendor_notes_and_stays_valid(advisory):
    document = csaf.render(advisory)

    assert_valid_csaf(document)
    first = document["vulnerabilities"][0]
    names = _products(document)
    status = {group: {names[i] for i in ids} for group, ids in first["product_status"].items()}
    assert "Partner Corp Gateway" in status["known_not_affected"]
    assert "libexample maintainers libexample" in status["fixed"]
    assert "Distro libexample" in status["under_investigation"]
    [flag] = first["flags"]
    assert flag["label"] == "vulnerable_code_not_in_execute_path"
    assert names[flag["product_ids"][0]] == "Partner Corp Gateway"
    notes = {n["title"]: n for n in first["notes"]}
    assert notes["Vendor statement: Partner Corp"]["category"] == "other"
    assert "never parses chunk headers" in notes["Vendor statement: Partner Corp"]["text"]


def test_a_status_not_marked_public_stays_out_of_every_file(advisory):
    text = json.dumps([csaf.render(advisory), osv.render(advisory), cve.render(advisory)])

    assert "PRIVATE-WORDS" not in text
    second = csaf.render(advisory)["vulnerabilities"][1]
    assert not any(n["title"].startswith("Vendor statement") for n in second["notes"])


def test_osv_record_carries_the_vendor_statuses_and_validates(advisory):
    records = list(osv.render(advisory).values())
    validator = osv_validator()

    for record in records:
        assert not [e.message for e in validator.iter_errors(record)]
    vendors = records[0]["database_specific"]["vendor_statuses"]
    assert {
        "vendor": "Partner Corp",
        "product": "Gateway",
        "status": "not_affected",
        "justification": "vulnerable_code_not_in_execute_path",
        "statement": "Our gateway never parses chunk headers.",
    } in vendors


def test_cve_record_has_an_affected_entry_per_vendor_and_validates(advisory):
    records = cve.render(advisory)

    for record in records.values():
        CveRecord.validate(record, schema_path=CveRecord.Schemas.V5_SCHEMA)
        CveRecord.validate(record["containers"]["cna"])
    affected = records["CVE-2026-41001"]["containers"]["cna"]["affected"]
    assert {
        "vendor": "Partner Corp",
        "product": "Gateway",
        "defaultStatus": "unaffected",
    } in affected
    assert {"vendor": "Distro", "product": "libexample", "defaultStatus": "unknown"} in affected


def test_the_draft_shows_a_partner_only_its_own_statement(vendor_case, coordinator, partner):
    advisory = Advisory.create_for_case(vendor_case, coordinator)
    content = publication_for(advisory, preview=True).content
    partner_view = as_read_by(content, access.access_for(partner, vendor_case))

    vendors = {s["vendor"] for v in partner_view["vulnerabilities"] for s in v["vendor_statuses"]}
    assert vendors == {"Partner Corp"}
    everyone = {s["vendor"] for v in content["vulnerabilities"] for s in v["vendor_statuses"]}
    assert everyone == {"Partner Corp", "libexample maintainers", "Distro"}
