"""Revisions and withdrawal of a published advisory (reviewed by a second coordinator
like the first publication), OSV ids of their own, and a draft started without the
case's internal text."""

from __future__ import annotations

import json
import re

import pytest
from cvelib.cve_api import CveRecord
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases import services as case_services
from cases.models import StaleEdit, TransitionError
from disclosure.advisories.formats import csaf, cve, osv
from disclosure.advisories.formats import provider as csaf_provider
from disclosure.models import (
    Advisory,
    AdvisoryChange,
    AdvisoryChangeState,
    OsvIdentifier,
)
from tests.disclosure.advisory_factories import (
    approved_advisory,
    enrich_case,
    make_sirt_member,
    published_advisory,
)
from tests.disclosure.test_advisory_formats import assert_valid_csaf, osv_validator

OSV_ID = re.compile(rf"^{settings.OSV_ID_PREFIX}-\d{{4}}-\d{{4,}}$")
CASE_REFERENCE = re.compile(r"^AKR-\d{4}-\d{4}")


@pytest.fixture(autouse=True)
def https_site(settings):
    """Deployed behind HTTPS, as CSAF test 6.2.11 (canonical URL) requires."""
    settings.SITE_URL = "https://akrites.example.org"


def actions(case) -> list[str]:
    return list(case.timeline.order_by("created_at", "id").values_list("action", flat=True))


@pytest.fixture
def rich_case(case, coordinator, project, other_project):
    return enrich_case(case, coordinator, project, other_project)


@pytest.fixture
def advisory(rich_case, coordinator, second_coordinator) -> Advisory:
    return published_advisory(rich_case, coordinator, second_coordinator)


# --------------------------------------------------------------------------- revisions


def test_a_revision_is_public_only_after_a_second_coordinator_approves_it(
    advisory, coordinator, second_coordinator
):
    advisory = advisory.edit(
        coordinator, expected_version=advisory.version, summary="Also fixed in 2.0.1."
    )
    change = advisory.submit_revision(coordinator, summary="Add the 2.0 branch fix.")

    advisory.refresh_from_db()
    assert change.state == AdvisoryChangeState.IN_REVIEW
    assert advisory.revision == 1  # nothing public yet
    assert advisory.current_revision.content["summary"] != "Also fixed in 2.0.1."
    with pytest.raises(TransitionError, match="second coordinator"):
        advisory.approve_change(coordinator)
    with pytest.raises(TransitionError, match="approved change"):
        advisory.publish_change(coordinator)

    advisory = advisory.approve_change(second_coordinator)
    advisory = advisory.publish_change(coordinator)

    assert advisory.revision == 2
    assert advisory.current_revision.content["summary"] == "Also fixed in 2.0.1."
    assert advisory.current_revision.summary == "Add the 2.0 branch fix."
    change.refresh_from_db()
    assert change.state == AdvisoryChangeState.PUBLISHED
    assert change.reviewer == second_coordinator
    assert change.revision_number == 2
    log = actions(advisory.case)
    assert log[-3:] == [
        "case.advisory.revision_submitted",
        "case.advisory.change_approved",
        "case.advisory.revised",
    ]


def test_whoever_edited_the_revision_may_not_approve_it_even_if_another_submitted_it(
    advisory, coordinator, second_coordinator, sirt
):
    third = make_sirt_member(sirt, "coordinator3")
    advisory = advisory.edit(coordinator, expected_version=advisory.version, title="Edited")
    advisory.submit_revision(second_coordinator, summary="Better title.")

    for own in (coordinator, second_coordinator):
        with pytest.raises(TransitionError):
            advisory.approve_change(own)

    approved = advisory.approve_change(third)
    assert approved.open_change.state == AdvisoryChangeState.APPROVED


def test_the_working_copy_is_frozen_while_its_change_is_in_review(advisory, coordinator):
    advisory.submit_revision(coordinator, summary="Nothing but fresher data.")
    advisory.refresh_from_db()

    assert not advisory.is_editable
    with pytest.raises(TransitionError, match="in review"):
        advisory.edit(coordinator, expected_version=advisory.version, title="Sneaked in")
    with pytest.raises(TransitionError, match="already in review"):
        advisory.request_withdrawal(coordinator, reason="Duplicate.")

    advisory = advisory.cancel_change(coordinator)

    assert advisory.is_editable
    assert advisory.revision == 1
    assert actions(advisory.case)[-1] == "case.advisory.change_cancelled"


def test_the_reviewer_sends_a_revision_back_with_a_reason(
    advisory, coordinator, second_coordinator
):
    advisory.submit_revision(coordinator, summary="Rewrite.")
    with pytest.raises(ValidationError):
        advisory.send_back_change(second_coordinator, reason="  ")

    advisory = advisory.send_back_change(second_coordinator, reason="Name the fixed versions.")

    assert advisory.open_change is None
    assert AdvisoryChange.objects.get(advisory=advisory).state == AdvisoryChangeState.SENT_BACK
    entry = advisory.case.timeline.order_by("-created_at", "-id").first()
    assert entry.action == "case.advisory.change_sent_back"
    assert entry.data["reason"] == "Name the fixed versions."


def test_a_revision_needs_a_summary_and_a_fresh_version(advisory, coordinator):
    with pytest.raises(ValidationError) as excinfo:
        advisory.submit_revision(coordinator, summary="")
    assert "revision_summary" in excinfo.value.message_dict
    with pytest.raises(StaleEdit):
        advisory.submit_revision(coordinator, summary="x", expected_version=advisory.version - 1)
    assert not AdvisoryChange.objects.exists()


def step(client, case, name, advisory, **data):
    url = reverse("advisory:transition", args=[case.reference, name])
    return client.post(url, {"version": advisory.version, **data})


def test_the_revise_page_submits_for_review_and_the_second_coordinator_publishes(
    client_for, advisory, coordinator, second_coordinator
):
    case = advisory.case
    response = client_for(coordinator).post(
        reverse("advisory:revise", args=[case.reference]),
        {
            "title": advisory.title,
            "summary": "Corrected summary.",
            "details": advisory.details,
            "workarounds": advisory.workarounds,
            "references": "",
            "revision_summary": "Correct the summary.",
            "version": advisory.version,
        },
    )
    assert response.status_code == 302
    advisory.refresh_from_db()
    assert advisory.revision == 1
    assert (
        "Corrected summary."
        not in client_for(coordinator).get(advisory.get_absolute_url()).content.decode()
    )

    reviewer = client_for(second_coordinator)
    page = reviewer.get(reverse("cases:case_detail", args=[case.reference])).content.decode()
    assert "Correct the summary." in page and ">Approve<" in page
    assert step(reviewer, case, "approve", advisory).status_code == 302
    advisory.refresh_from_db()
    assert step(reviewer, case, "publish", advisory).status_code == 302

    advisory.refresh_from_db()
    assert advisory.revision == 2
    assert "Corrected summary." in reviewer.get(advisory.get_absolute_url()).content.decode()


def test_the_api_takes_the_same_review_steps(advisory, coordinator, second_coordinator):
    from tests.api.conftest import token_client

    case = advisory.case
    base = f"/api/v1/cases/{case.reference}/advisory/"
    author, reviewer = token_client(coordinator), token_client(second_coordinator)

    missing = author.post(f"{base}steps/submit_revision/", {"reason": "x"}, format="json")
    assert missing.status_code == 400
    assert "version" in missing.json()["error"]["fields"]

    edited = author.patch(
        base, {"summary": "Via the API.", "version": advisory.version}, format="json"
    )
    assert edited.status_code == 200, edited.json()
    version = edited.json()["version"]
    submitted = author.post(
        f"{base}steps/submit_revision/", {"reason": "API revision", "version": version}
    )
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["open_change"]["state"] == "in_review"
    own = author.post(f"{base}steps/approve/", {"version": submitted.json()["version"]})
    assert own.status_code == 409
    approved = reviewer.post(f"{base}steps/approve/", {"version": submitted.json()["version"]})
    assert approved.status_code == 200
    published = reviewer.post(f"{base}steps/publish/", {"version": approved.json()["version"]})

    assert published.status_code == 200
    assert published.json()["revision"] == 2
    assert (
        token_client(None).get(f"/api/v1/advisories/{advisory.identifier}/").json()["summary"]
        == "Via the API."
    )


# --------------------------------------------------------------------------- withdrawal

REASON = "Not a vulnerability: the parser is never reached with untrusted input."


def withdrawn(advisory, coordinator, second_coordinator) -> Advisory:
    advisory.request_withdrawal(coordinator, reason=REASON)
    advisory = advisory.approve_change(second_coordinator)
    return advisory.publish_change(coordinator)


def test_a_withdrawal_needs_a_public_reason_and_a_second_coordinator(
    advisory, coordinator, second_coordinator
):
    with pytest.raises(ValidationError) as excinfo:
        advisory.request_withdrawal(coordinator, reason=" ")
    assert "reason" in excinfo.value.message_dict

    advisory.request_withdrawal(coordinator, reason=REASON)
    with pytest.raises(TransitionError):
        advisory.approve_change(coordinator)
    advisory.refresh_from_db()
    assert not advisory.is_withdrawn

    advisory = advisory.approve_change(second_coordinator)
    advisory = advisory.publish_change(coordinator)

    assert advisory.is_withdrawn and advisory.revision == 2
    assert advisory.current_revision.content["withdrawn"]["reason"] == REASON
    assert actions(advisory.case)[-3:] == [
        "case.advisory.withdrawal_requested",
        "case.advisory.change_approved",
        "case.advisory.publication_withdrawn",
    ]
    from cases.audit import AuditEvent

    assert AuditEvent.objects.filter(action="advisory.publication_withdrawn").exists()


def test_a_withdrawal_publishes_no_unreviewed_edit_and_ends_the_advisorys_changes(
    advisory, coordinator, second_coordinator
):
    advisory = advisory.edit(coordinator, expected_version=advisory.version, title="Unreviewed")
    advisory = withdrawn(advisory, coordinator, second_coordinator)

    assert advisory.current_revision.content["title"] != "Unreviewed"
    assert not advisory.is_editable
    with pytest.raises(TransitionError):
        advisory.submit_revision(coordinator, summary="One more")
    with pytest.raises(TransitionError):
        advisory.request_withdrawal(coordinator, reason="Again")


def test_osv_records_of_a_withdrawn_advisory_carry_withdrawn_and_validate(
    advisory, coordinator, second_coordinator
):
    advisory = withdrawn(advisory, coordinator, second_coordinator)
    when = csaf_provider.timestamp(advisory.withdrawn_at)

    records = osv.render(advisory)
    for record in records.values():
        osv_validator().validate(record)
        assert record["withdrawn"] == when
        assert record["modified"] == when
        assert REASON in record["details"]


def test_cve_records_of_a_withdrawn_advisory_are_rejected_with_the_reason(
    advisory, coordinator, second_coordinator
):
    advisory = withdrawn(advisory, coordinator, second_coordinator)

    records = cve.render(advisory)

    assert set(records) == {"CVE-2026-41001", "CVE-2026-41002"}
    for record in records.values():
        CveRecord.validate(record, schema_path=CveRecord.Schemas.V5_SCHEMA)
        CveRecord.validate(record["containers"]["cna"], schema_path=CveRecord.Schemas.CNA_REJECTED)
        assert record["cveMetadata"]["state"] == "REJECTED"
        assert record["containers"]["cna"]["rejectedReasons"] == [{"lang": "en", "value": REASON}]


def test_csaf_of_a_withdrawn_advisory_is_its_next_final_revision(
    advisory, coordinator, second_coordinator
):
    advisory = withdrawn(advisory, coordinator, second_coordinator)

    document = csaf.render(advisory)

    assert_valid_csaf(document)
    tracking = document["document"]["tracking"]
    assert tracking["status"] == "final" and tracking["version"] == "2"
    assert tracking["revision_history"][-1]["summary"] == f"Withdrawn: {REASON}"
    note = document["document"]["notes"][0]
    assert note["title"] == "Reasoning for Withdrawal" and REASON in note["text"]


def test_the_provider_directory_keeps_the_withdrawn_file_with_fresh_hashes(
    client, advisory, coordinator, second_coordinator
):
    path = csaf_provider.DistributedDocument(advisory).path
    year, filename = path.split("/")
    file_url = reverse("advisories:csaf_provider_file", args=[int(year), filename])
    before = client.get(f"{file_url}.sha256").content

    advisory = withdrawn(advisory, coordinator, second_coordinator)

    body = client.get(file_url).content
    after = client.get(f"{file_url}.sha256").content.decode()
    assert after.encode() != before
    import hashlib

    assert after.split()[0] == hashlib.sha256(body).hexdigest()
    assert path in client.get(reverse("advisories:csaf_index")).content.decode()
    changes = client.get(reverse("advisories:csaf_changes")).content.decode()
    assert changes.splitlines()[0] == f'"{path}","{csaf_provider.timestamp(advisory.withdrawn_at)}"'


def test_the_public_page_list_and_feed_show_the_withdrawal(
    client, advisory, coordinator, second_coordinator
):
    advisory = withdrawn(advisory, coordinator, second_coordinator)

    page = client.get(advisory.get_absolute_url()).content.decode()
    assert "Withdrawn" in page and REASON in page
    listing = client.get(reverse("advisories:list")).content.decode()
    assert "Withdrawn" in listing
    feed = client.get(reverse("advisories:feed")).content.decode()
    assert f"[Withdrawn] {advisory.identifier}" in feed
    assert "Not a vulnerability" in feed
    api = client.get(f"/api/v1/advisories/{advisory.identifier}/").json()
    assert api["withdrawn_at"] is not None


def test_withdrawal_through_the_web_page(client_for, advisory, coordinator, second_coordinator):
    case = advisory.case
    empty = step(client_for(coordinator), case, "request_withdrawal", advisory, reason="")
    assert empty.status_code == 302
    assert not AdvisoryChange.objects.exists()

    step(client_for(coordinator), case, "request_withdrawal", advisory, reason=REASON)
    advisory.refresh_from_db()
    step(client_for(second_coordinator), case, "approve", advisory)
    advisory.refresh_from_db()
    step(client_for(second_coordinator), case, "publish", advisory)

    advisory.refresh_from_db()
    assert advisory.is_withdrawn


def test_recall_takes_an_unpublished_advisory_back_to_draft(case, coordinator, second_coordinator):
    advisory = approved_advisory(case, coordinator, second_coordinator)

    advisory = advisory.recall(coordinator)

    assert advisory.state == "draft"
    assert actions(case)[-1] == "case.advisory.withdrawn"  # the code kept from before


# --------------------------------------------------------------------------- identifiers


def test_osv_ids_have_their_own_namespace_and_never_read_as_a_case_reference(advisory):
    ids = list(osv.render(advisory))

    assert ids and all(OSV_ID.match(i) for i in ids)
    assert not any(CASE_REFERENCE.match(i) for i in ids)
    assert advisory.case.reference not in " ".join(ids)
    assert set(ids) == set(OsvIdentifier.objects.values_list("osv_id", flat=True))
    numbers = sorted(int(i.rsplit("-", 1)[1]) for i in ids)
    assert numbers == list(range(numbers[0], numbers[0] + len(ids)))


def test_a_draft_shows_no_osv_id_before_publication(
    client_for, rich_case, coordinator, second_coordinator, partner, partner_org
):
    from cases.models import ParticipantRole

    case_services.add_participant(
        rich_case,
        coordinator,
        organisation=partner_org,
        role=ParticipantRole.PARTNER,
        notify=False,
    )
    advisory = approved_advisory(rich_case, coordinator, second_coordinator)

    page = client_for(partner).get(reverse("cases:case_detail", args=[rich_case.reference]))

    text = page.content.decode()
    assert "OSV id assigned at publication" in text
    assert f"{settings.OSV_ID_PREFIX}-" not in text
    assert not OsvIdentifier.objects.filter(advisory=advisory).exists()
    preview = osv.render(advisory, preview=True)
    assert all("PENDING" in i for i in preview)


def test_osv_ids_survive_revisions_and_a_new_vulnerability_gets_the_next_one(
    advisory, coordinator, second_coordinator
):
    first_ids = list(osv.render(advisory))
    case_services.save_vulnerability(
        advisory.case,
        coordinator,
        title="Integer overflow in the length field",
        description="A huge length wraps around.",
        cwe="CWE-190",
        affected=[],
    )
    advisory.submit_revision(coordinator, summary="A fourth flaw.")
    advisory = advisory.approve_change(second_coordinator)
    advisory = advisory.publish_change(coordinator)

    ids = list(osv.render(advisory))
    assert ids[:3] == first_ids
    last = max(int(i.rsplit("-", 1)[1]) for i in first_ids)
    assert ids[3].endswith(f"-{last + 1:04d}")


def test_osv_records_are_found_by_id_alone(client, advisory):
    osv_id = next(iter(osv.render(advisory)))

    response = client.get(reverse("advisories:osv", args=[osv_id]))

    assert response.status_code == 200
    assert json.loads(response.content)["id"] == osv_id
    assert client.get(reverse("advisories:osv", args=["AKRV-2026-9999"])).status_code == 404


def test_the_data_migration_keeps_published_legacy_ids_readable(client, advisory):
    from importlib import import_module

    migration = import_module("disclosure.migrations.0007_revisions_withdrawal")
    revision = advisory.current_revision
    content = revision.content
    for k, vuln in enumerate(content["vulnerabilities"], start=1):
        vuln["osv_id"] = f"AKR-2026-0001-{k}"
    type(revision).objects.filter(pk=revision.pk).update(content=content)
    OsvIdentifier.objects.all().delete()

    migration.register_published_osv_ids(apps, None)

    assert set(OsvIdentifier.objects.values_list("osv_id", flat=True)) == {
        "AKR-2026-0001-1",
        "AKR-2026-0001-2",
        "AKR-2026-0001-3",
    }
    response = client.get(reverse("advisories:osv", args=["AKR-2026-0001-2"]))
    assert response.status_code == 200
    assert json.loads(response.content)["id"] == "AKR-2026-0001-2"


# --------------------------------------------------------------------------- start, preview


def test_starting_the_advisory_never_copies_the_internal_case_summary(case, coordinator, project):
    case.update_details(
        coordinator, expected_version=case.version, title=case.title, summary="Reported by Rosa."
    )
    vuln = case.vulnerabilities.first()
    case_services.save_vulnerability(
        case,
        coordinator,
        vulnerability=vuln,
        expected_version=vuln.version,
        title="Heap overflow",
        description="A crafted chunk header overflows a heap buffer.",
    )

    advisory = Advisory.create_for_case(case, coordinator)

    assert "Rosa" not in advisory.summary
    assert advisory.summary == "A crafted chunk header overflows a heap buffer."


def test_a_draft_without_descriptions_starts_empty_and_cannot_be_submitted_so(case, coordinator):
    case.update_details(
        coordinator, expected_version=case.version, title=case.title, summary="Reported by Rosa."
    )

    advisory = Advisory.create_for_case(case, coordinator)

    assert advisory.summary == ""
    with pytest.raises(TransitionError, match="summary"):
        advisory.submit(coordinator)


def test_preview_renders_the_public_content_from_the_unsaved_form(
    client_for, rich_case, coordinator
):
    advisory = Advisory.create_for_case(rich_case, coordinator)
    url = reverse("advisory:edit", args=[rich_case.reference])

    response = client_for(coordinator).post(
        url,
        {
            "title": "Previewed title",
            "summary": "Previewed summary.",
            "details": "## Impact\n\nPreviewed details.",
            "workarounds": "",
            "references": "",
            "version": advisory.version,
            "preview": "1",
        },
    )

    assert response.status_code == 200
    text = response.content.decode()
    assert "Preview of the public page" in text
    assert "Previewed summary." in text and "Previewed details." in text
    assert "Heap overflow in the chunk parser" in text  # from the case's vulnerabilities
    saved = Advisory.objects.get(pk=advisory.pk)
    assert (saved.title, saved.version) == (advisory.title, advisory.version)


def test_preview_with_bad_input_shows_field_errors_and_saves_nothing(client_for, case, coordinator):
    advisory = Advisory.create_for_case(case, coordinator)

    response = client_for(coordinator).post(
        reverse("advisory:edit", args=[case.reference]),
        {
            "title": "",
            "summary": "",
            "references": "ftp://x",
            "version": advisory.version,
            "preview": "1",
        },
    )

    assert response.status_code == 400
    assert "Preview of the public page" not in response.content.decode()
    assert Advisory.objects.get(pk=advisory.pk).version == advisory.version


# --------------------------------------------------------------------------- notifications


def test_a_requested_withdrawal_asks_another_coordinator_and_its_publication_tells_everyone(
    advisory, coordinator, second_coordinator, maintainer
):
    from disclosure.notifications.models import Notification

    # Only what the withdrawal causes, not the first publication's notifications.
    before = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def recipients(kind: str) -> set:
        rows = Notification.objects.filter(kind=kind, case=advisory.case, pk__gt=before)
        return set(rows.values_list("recipient", flat=True))

    # The second coordinator approved the first publication; now they ask to withdraw.
    advisory.request_withdrawal(second_coordinator, reason=REASON)
    asked = recipients("advisory.submitted")
    assert coordinator.pk in asked and second_coordinator.pk not in asked

    advisory = advisory.approve_change(coordinator)
    advisory.publish_change(coordinator)

    assert maintainer.pk in recipients("advisory.withdrawn")
