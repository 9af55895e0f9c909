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

from disclosure.advisories.formats import csaf, cve, dumps, osv
from disclosure.models import Advisory
from tests.disclosure.advisory_factories import (
    approved_advisory,
    enrich_case,
    published_advisory,
    revise_and_publish,
)

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


# The recommended tests (6.2.x) a document may fail for a reason of content, not of
# ours: CSAF 2.0 has no CVSS 4.0 field, so a vulnerability scored only in 4.0 has no
# score there (6.2.3, "Missing Score"; disclosure/README.md).
CVSS4_ONLY_FINDING = "6.2.3"


def assert_valid_csaf(document: dict[str, Any]) -> None:
    """Schema, every mandatory test (6.1.x) and every recommended test (6.2.x) of the
    ``csaf`` package, on the bytes we serve (sorted keys: 6.2.13)."""
    served = json.loads(dumps(document))
    report = validate_csaf(served, preset="extended")
    failures = {
        r.id: (r.title, [e.message for e in r.errors])
        for r in report.results
        if not r.passed and not r.skipped
    }
    cvss4_only = any(
        "scores" not in v and v.get("product_status", {}).get("known_affected")
        for v in served["vulnerabilities"]
    )
    if cvss4_only:
        failures.pop(CVSS4_ONLY_FINDING, None)
    assert not failures, failures
    ran = {r.id for r in report.results if not r.skipped}
    assert "schema" in ran and "6.1.1" in ran and "6.1.33" in ran
    assert {f"6.2.{n}" for n in range(1, 21)} <= ran


@pytest.fixture(autouse=True)
def https_site(settings):
    """Deployed behind HTTPS, as test 6.2.11 (canonical URL) requires."""
    settings.SITE_URL = "https://akrites.example.org"


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


def test_csaf_revision_history_grows_with_each_published_revision(
    advisory, coordinator, second_coordinator
):
    advisory = revise_and_publish(
        advisory,
        coordinator,
        second_coordinator,
        revision_summary="Add the 2.0 branch fix.",
        summary="Now also fixed in 2.0.1.",
    )
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
    assert {
        "version": "1.0",
        "status": "affected",
        "versionType": "python",
        "lessThan": "1.4.2",
    } in affected["versions"]
    assert affected["defaultStatus"] == "unaffected"


def test_the_version_a_project_released_is_the_fixed_version_of_its_packages(
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
        fixed_versions=["0.9.4"],
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


def test_references_carry_their_types_in_osv_and_cve(advisory):
    # The factory's reference is a commit URL entered without a type: stored as the fix.
    assert advisory.references[0]["type"] == "fix"
    commit = "https://git.example.org/libexample/commit/abc123"
    first_osv = next(iter(osv.render(advisory).values()))
    cna = cve.render(advisory)["CVE-2026-41001"]["containers"]["cna"]

    assert {"type": "FIX", "url": commit} in first_osv["references"]
    assert {"type": "PACKAGE", "url": "https://pypi.org/project/libexample/"} in (
        first_osv["references"]
    )
    assert first_osv["references"][0]["type"] == "ADVISORY"
    assert {"url": commit, "name": "Fix commit", "tags": ["patch"]} in cna["references"]
    assert cna["references"][0]["tags"] == ["vendor-advisory"]


def test_a_typed_reference_line_is_stored_with_its_type_and_a_bad_type_is_refused(
    advisory, coordinator
):
    from django.core.exceptions import ValidationError

    advisory = advisory.edit(
        coordinator,
        expected_version=advisory.version,
        references="report https://bugs.example.org/show?id=7 Original report\n"
        "https://example.org/blog Write-up",
    )
    assert advisory.references == [
        {"url": "https://bugs.example.org/show?id=7", "label": "Original report", "type": "report"},
        {"url": "https://example.org/blog", "label": "Write-up", "type": "web"},
    ]
    with pytest.raises(ValidationError) as refused:
        advisory.edit(
            coordinator,
            expected_version=advisory.version,
            references=[{"url": "https://example.org/x", "type": "rumour"}],
        )
    assert "not a reference type" in str(refused.value.message_dict["references"])


def test_a_workaround_for_one_vulnerability_is_attached_to_it_alone(rich_case, coordinator):
    _, second, _ = rich_case.vulnerabilities.order_by("created_at", "id")
    draft = Advisory.create_for_case(rich_case, coordinator)
    draft = draft.edit(
        coordinator,
        expected_version=draft.version,
        title="Several flaws",
        summary="Update.",
        workarounds="",
        vulnerability_workarounds={str(second.pk): "Limit nesting to 32 levels.", "999": " "},
    )
    assert draft.vulnerability_workarounds == {str(second.pk): "Limit nesting to 32 levels."}
    document = csaf.render(draft, preview=True)
    records = list(osv.render(draft, preview=True).values())
    cves = cve.render(draft, preview=True)

    workarounds = [
        [r for r in v.get("remediations", []) if r["category"] == "workaround"]
        for v in document["vulnerabilities"]
    ]
    assert [len(w) for w in workarounds] == [0, 1, 0]
    assert workarounds[1][0]["details"] == "Limit nesting to 32 levels."
    assert "Limit nesting" in records[1]["details"]
    assert "Limit nesting" not in records[0]["details"] + records[2]["details"]
    assert "workarounds" in cves["CVE-2026-41002"]["containers"]["cna"]
    assert "workarounds" not in cves["CVE-2026-41001"]["containers"]["cna"]
    assert_valid_csaf(document)


def test_the_editor_has_a_workaround_field_per_vulnerability_and_saves_it(
    client_for, rich_case, coordinator
):
    from django.urls import reverse

    advisory = Advisory.create_for_case(rich_case, coordinator)
    first = rich_case.vulnerabilities.order_by("created_at", "id").first()
    url = reverse("advisory:edit", args=[rich_case.reference])
    client = client_for(coordinator)

    page = client.get(url)
    assert page.status_code == 200
    assert f'name="workaround_{first.pk}"' in page.content.decode()
    assert "Workaround for “Heap overflow in the chunk parser” only" in page.content.decode()

    response = client.post(
        url,
        {
            "title": "Flaws",
            "summary": "Update.",
            "details": "",
            "workarounds": "",
            "references": "fix https://example.org/fix Fix",
            f"workaround_{first.pk}": "Reject chunk headers above 64 KiB.",
            "version": advisory.version,
        },
    )

    assert response.status_code == 302
    advisory.refresh_from_db()
    assert advisory.vulnerability_workarounds == {
        str(first.pk): "Reject chunk headers above 64 KiB."
    }
    assert advisory.references == [
        {"url": "https://example.org/fix", "label": "Fix", "type": "fix"}
    ]
