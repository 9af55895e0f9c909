"""Each export validated against its schema (and CSAF's mandatory tests) for a case
with several vulnerabilities, two projects, CVSS 3.1 and 4.0."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from csaf.csaf.v20 import validate as validate_csaf
from cvelib.cve_api import CveRecord
from django.conf import settings

from disclosure.advisories.formats import csaf, cve, osv
from disclosure.models import Advisory
from tests.disclosure.advisory_factories import approved_advisory, enrich_case, published_advisory

# Taken from the `osv` package on PyPI by `make test` (scripts/fetch_schemas.py).
OSV_SCHEMA = Path(settings.BASE_DIR) / ".venv" / "schemas" / "osv-1.6.7.schema.json"


def osv_validator() -> jsonschema.Validator:
    """The OSV schema with our configured id prefix added to its registered ones."""
    assert OSV_SCHEMA.exists(), f"{OSV_SCHEMA} is missing: run `make test` (it fetches it)"
    schema = json.loads(OSV_SCHEMA.read_text())
    prefix = schema["$defs"]["prefix"]
    prefix["pattern"] = prefix["pattern"].replace("^(", f"^({settings.OSV_ID_PREFIX}|", 1)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def assert_valid_csaf(document: dict[str, Any]) -> None:
    report = validate_csaf(document, preset="basic")
    failures = [
        (r.id, r.title, [e.message for e in r.errors])
        for r in report.results
        if not r.passed and not r.skipped
    ]
    assert report.overall_valid, failures
    ran = {r.id for r in report.results if not r.skipped}
    assert "schema" in ran and "6.1.1" in ran and "6.1.33" in ran


@pytest.fixture
def rich_case(case, coordinator, project, other_project):
    return enrich_case(case, coordinator, project, other_project)


@pytest.fixture
def advisory(rich_case, coordinator, second_coordinator) -> Advisory:
    return published_advisory(rich_case, coordinator, second_coordinator)


def test_csaf_document_passes_the_schema_and_every_mandatory_test(advisory):
    document = csaf.render(advisory)

    assert_valid_csaf(document)
    assert document["document"]["category"] == "csaf_security_advisory"
    assert document["document"]["tracking"]["id"] == advisory.identifier
    assert document["document"]["tracking"]["status"] == "final"
    assert len(document["vulnerabilities"]) == 3


def test_csaf_product_tree_has_both_projects_ranges_and_fixed_versions(advisory):
    document = csaf.render(advisory)

    vendors = {b["name"] for b in document["product_tree"]["branches"]}
    assert vendors == {"libexample maintainers", "fastparse maintainers"}
    leaves = [
        leaf
        for vendor in document["product_tree"]["branches"]
        for product in vendor["branches"]
        for leaf in product["branches"]
    ]
    ranges = {leaf["name"] for leaf in leaves if leaf["category"] == "product_version_range"}
    versions = {leaf["name"] for leaf in leaves if leaf["category"] == "product_version"}
    assert "vers:pypi/>=1.0|<1.4.2" in ranges
    assert versions == {"1.4.2", "2.0.1", "3.1.5"}


def test_csaf_vulnerability_carries_cve_cwe_cvss3_status_and_vendor_fix(advisory):
    first = csaf.render(advisory)["vulnerabilities"][0]

    assert first["cve"] == "CVE-2026-41001"
    assert first["cwe"] == {"id": "CWE-787", "name": "Out-of-bounds Write"}
    assert first["scores"][0]["cvss_v3"]["baseScore"] == 9.8
    assert first["product_status"]["known_affected"]
    assert first["product_status"]["fixed"]
    assert first["remediations"][0]["category"] == "vendor_fix"
    assert first["remediations"][0]["url"].startswith("https://")
    # CSAF 2.0 has no CVSS 4.0 field: the vector is kept in a note.
    assert any("CVSS:4.0/" in note["text"] for note in first["notes"])


def test_csaf_acknowledges_only_people_who_consented(advisory):
    text = json.dumps(csaf.render(advisory))

    assert "Ada Finder" in text
    assert "Shy Analyst" not in text


def test_csaf_revision_history_grows_with_each_published_revision(advisory, coordinator):
    advisory = advisory.edit(
        coordinator, expected_version=advisory.version, summary="Now also fixed in 2.0.1."
    )
    advisory = advisory.publish_revision(coordinator, summary="Add the 2.0 branch fix.")
    document = csaf.render(advisory)

    assert_valid_csaf(document)
    tracking = document["document"]["tracking"]
    assert tracking["version"] == "2"
    assert [r["number"] for r in tracking["revision_history"]] == ["1", "2"]
    assert tracking["revision_history"][1]["summary"] == "Add the 2.0 branch fix."


def test_csaf_draft_preview_is_valid_too(rich_case, coordinator, second_coordinator):
    advisory = approved_advisory(rich_case, coordinator, second_coordinator)
    document = csaf.render(advisory, preview=True)

    assert_valid_csaf(document)
    assert document["document"]["tracking"]["status"] == "draft"


def test_unpublished_advisory_cannot_be_rendered_for_the_public(
    rich_case, coordinator, second_coordinator
):
    advisory = approved_advisory(rich_case, coordinator, second_coordinator)

    for renderer in (csaf, osv, cve):
        with pytest.raises(LookupError):
            renderer.render(advisory)


def test_osv_records_validate_against_the_osv_schema(advisory):
    records = osv.render(advisory)
    validator = osv_validator()

    assert len(records) == 3
    for record in records.values():
        errors = [e.message for e in validator.iter_errors(record)]
        assert not errors, (record["id"], errors)
    assert all(i.startswith(f"{settings.OSV_ID_PREFIX}-") for i in records)


def test_osv_turns_vers_ranges_into_introduced_and_fixed_events(advisory):
    records = list(osv.render(advisory).values())
    tokenizer = records[1]

    libexample = tokenizer["affected"][0]
    assert libexample["package"] == {
        "ecosystem": "PyPI",
        "name": "libexample",
        "purl": "pkg:pypi/libexample",
    }
    assert libexample["ranges"][0]["events"] == [
        {"introduced": "1.2"},
        {"fixed": "1.4.2"},
        {"introduced": "2.0"},
        {"fixed": "2.0.1"},
    ]
    fastparse = tokenizer["affected"][1]
    assert fastparse["ranges"][0]["events"] == [{"introduced": "0"}, {"last_affected": "0.9.3"}]
    assert tokenizer["aliases"] == ["CVE-2026-41002"]


def test_osv_carries_cvss_v3_and_v4_and_consenting_credits(advisory):
    first, _, third = osv.render(advisory).values()

    assert {s["type"] for s in first["severity"]} == {"CVSS_V3", "CVSS_V4"}
    assert third["severity"] == [{"type": "CVSS_V4", "score": third["severity"][0]["score"]}]
    assert third["credits"] == [{"name": "Ada Finder", "type": "FINDER"}]
    assert third["affected"][0]["package"]["ecosystem"] == "npm"


def test_osv_schema_rejects_an_unregistered_prefix_so_the_check_is_real(advisory):
    record = copy.deepcopy(next(iter(osv.render(advisory).values())))
    record["id"] = "NOPE-1"

    assert list(osv_validator().iter_errors(record))


def test_cve_records_validate_against_the_cvelib_schemas(advisory):
    records = cve.render(advisory)

    assert set(records) == {"CVE-2026-41001", "CVE-2026-41002"}
    for record in records.values():
        CveRecord.validate(record, schema_path=CveRecord.Schemas.V5_SCHEMA)
        CveRecord.validate(record["containers"]["cna"])


def test_cve_record_has_org_id_cwe_metrics_and_versions(advisory):
    cna = cve.render(advisory)["CVE-2026-41001"]["containers"]["cna"]

    assert cna["providerMetadata"]["orgId"] == settings.CVE_ORG_ID
    assert cna["problemTypes"][0]["descriptions"][0]["cweId"] == "CWE-787"
    assert {next(k for k in m if k.startswith("cvss")) for m in cna["metrics"]} == {
        "cvssV3_1",
        "cvssV4_0",
    }
    affected = cna["affected"][0]
    assert affected["packageName"] == "libexample"
    assert {"version": "1.0", "status": "affected", "versionType": "pypi", "lessThan": "1.4.2"} in (
        affected["versions"]
    )
    assert affected["defaultStatus"] == "unaffected"


def test_a_package_without_fixed_versions_takes_the_version_its_project_released(
    rich_case, coordinator, second_coordinator, other_project
):
    from disclosure import services as disclosure_services

    plan = disclosure_services.get_or_create_plan(rich_case)
    disclosure_services.save_release_plan(
        rich_case, coordinator, target_at=None, expected_version=plan.version
    )
    release = plan.project_releases.get(project=other_project)
    disclosure_services.update_project_release(
        release,
        coordinator,
        fixed_version="0.9.4",
        fix_url="https://git.example.org/fastparse/commit/abc123",
        status="released",
        expected_version=release.version,
    )

    advisory = published_advisory(rich_case, coordinator, second_coordinator)
    content = advisory.current_revision.content
    fastparse = [
        a
        for v in content["vulnerabilities"]
        for a in v["affected"]
        if a["purl"] == "pkg:pypi/fastparse"
    ]

    assert fastparse and all(a["fixed_versions"] == ["0.9.4"] for a in fastparse)
    assert_valid_csaf(csaf.render(advisory))
    for record in osv.render(advisory).values():
        osv_validator().validate(record)
    document = csaf.render(advisory)
    fixed_ids = {
        pid for v in document["vulnerabilities"] for pid in v["product_status"].get("fixed", [])
    }

    def products(node: dict[str, Any]) -> list[dict[str, Any]]:
        found = [node["product"]] if "product" in node else []
        for child in node.get("branches", []):
            found += products(child)
        return found

    released = [
        p["product_id"]
        for branch in document["product_tree"]["branches"]
        for p in products(branch)
        if "0.9.4" in p["name"]
    ]
    assert released and set(released) <= fixed_ids
