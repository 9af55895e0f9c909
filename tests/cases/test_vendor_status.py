"""Vendor status per vulnerability: the model's rules, who may set and read a status
(service, web, API), the coordinators' matrix and reminders, the timeline history."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from cases import access, services
from cases.models import (
    Case,
    Organisation,
    ParticipantRole,
    StaleEdit,
    VendorStatus,
    Vulnerability,
)
from tests.conftest import login
from tests.factories import make_organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def vuln(partner_case: Case) -> Vulnerability:
    """The case's one vulnerability (opening a case from a report creates it)."""
    found = partner_case.vulnerabilities.get()
    return found


@pytest.fixture
def downstream_org(partner_case: Case, coordinator: Any) -> Organisation:
    org = make_organisation(Organisation.Kind.DOWNSTREAM, name="Distro")
    services.add_participant(
        partner_case, coordinator, organisation=org, role=ParticipantRole.DOWNSTREAM, notify=False
    )
    return org


def set_status(case: Case, actor: Any, vuln: Vulnerability, org: Organisation, **kw: Any) -> Any:
    kw.setdefault("status", "affected")
    return services.set_vendor_status(case, actor, vulnerability=vuln, organisation=org, **kw)


# --------------------------------------------------------------------------- model


def test_database_refuses_not_affected_without_a_justification(vuln, partner_org):
    with pytest.raises(IntegrityError), transaction.atomic():
        VendorStatus.objects.create(
            vulnerability=vuln, organisation=partner_org, status="not_affected"
        )


def test_database_refuses_a_justification_for_affected(vuln, partner_org):
    with pytest.raises(IntegrityError), transaction.atomic():
        VendorStatus.objects.create(
            vulnerability=vuln,
            organisation=partner_org,
            status="affected",
            justification="component_not_present",
        )


def test_one_status_per_vulnerability_and_organisation(vuln, partner_org):
    VendorStatus.objects.create(vulnerability=vuln, organisation=partner_org, status="affected")
    with pytest.raises(IntegrityError), transaction.atomic():
        VendorStatus.objects.create(vulnerability=vuln, organisation=partner_org, status="fixed")


# --------------------------------------------------------------------------- service


def test_partner_sets_not_affected_with_justification_and_timeline_entry(
    partner_case, vuln, partner, partner_org
):
    row = set_status(
        partner_case,
        partner,
        vuln,
        partner_org,
        status="not_affected",
        justification="vulnerable_code_not_present",
        statement="Our build does not include the parser.",
        public=True,
    )

    assert row.status == "not_affected" and row.set_by == partner and not row.on_behalf
    entry = partner_case.timeline.get(action="case.vendor_status.set")
    assert entry.data["organisation_id"] == partner_org.pk
    assert entry.data["justification"] == "vulnerable_code_not_present"
    assert "parser" not in str(entry.data)  # the statement is not copied into the history


def test_not_affected_needs_a_justification_and_nothing_is_saved(
    partner_case, vuln, partner, partner_org
):
    with pytest.raises(ValidationError) as exc:
        set_status(partner_case, partner, vuln, partner_org, status="not_affected")

    assert "justification" in exc.value.message_dict
    assert not VendorStatus.objects.exists()
    assert not partner_case.timeline.filter(action="case.vendor_status.set").exists()


def test_justification_is_refused_for_another_status(partner_case, vuln, partner, partner_org):
    with pytest.raises(ValidationError) as exc:
        set_status(partner_case, partner, vuln, partner_org, justification="component_not_present")

    assert "justification" in exc.value.message_dict


def test_unknown_status_names_the_field(partner_case, vuln, partner, partner_org):
    with pytest.raises(ValidationError) as exc:
        set_status(partner_case, partner, vuln, partner_org, status="maybe")

    assert "status" in exc.value.message_dict


def test_maintainer_cannot_set_the_partners_status(partner_case, vuln, maintainer, partner_org):
    with pytest.raises(PermissionDenied):
        set_status(partner_case, maintainer, vuln, partner_org)
    assert not VendorStatus.objects.exists()


def test_maintainer_of_another_project_cannot_set_any_status(
    partner_case, vuln, other_maintainer, other_maintainer_org, maintainer_org
):
    for org in (maintainer_org, other_maintainer_org):
        with pytest.raises(PermissionDenied):
            set_status(partner_case, other_maintainer, vuln, org)


def test_reporter_gives_no_vendor_status(partner_case, vuln, reporter, maintainer_org):
    with pytest.raises(PermissionDenied):
        set_status(partner_case, reporter, vuln, maintainer_org)


def test_coordinator_sets_on_behalf_only_with_a_note(partner_case, vuln, coordinator, partner_org):
    with pytest.raises(ValidationError) as exc:
        set_status(partner_case, coordinator, vuln, partner_org)
    assert "note" in exc.value.message_dict

    row = set_status(partner_case, coordinator, vuln, partner_org, note="Phoned their PSIRT.")

    assert row.on_behalf and row.note == "Phoned their PSIRT."
    assert partner_case.timeline.get(action="case.vendor_status.set").data["on_behalf"] is True


def test_coordinator_cannot_set_a_status_for_an_organisation_outside_the_case(
    partner_case, vuln, coordinator, other_maintainer_org
):
    with pytest.raises(ValidationError) as exc:
        set_status(partner_case, coordinator, vuln, other_maintainer_org, note="?")
    assert "organisation" in exc.value.message_dict


def test_a_change_needs_the_version_read_and_refuses_a_stale_one(
    partner_case, vuln, partner, partner_org
):
    row = set_status(partner_case, partner, vuln, partner_org, status="under_investigation")

    with pytest.raises(ValidationError) as exc:
        set_status(partner_case, partner, vuln, partner_org, status="affected")
    assert "version" in exc.value.message_dict
    changed = set_status(
        partner_case, partner, vuln, partner_org, status="affected", expected_version=row.version
    )
    with pytest.raises(StaleEdit):
        set_status(
            partner_case, partner, vuln, partner_org, status="fixed", expected_version=row.version
        )

    assert changed.version == row.version + 1
    assert VendorStatus.objects.get().status == "affected"
    assert partner_case.timeline.filter(action="case.vendor_status.set").count() == 2


def test_a_removed_participant_is_no_longer_asked(partner_case, coordinator, partner_org, partner):
    participation = partner_case.participants.get(organisation=partner_org)
    services.remove_participant(participation, coordinator)

    assert partner_org not in access.vendor_organisations(partner_case)
    vuln = partner_case.vulnerabilities.first()
    with pytest.raises(PermissionDenied):
        set_status(partner_case, partner, vuln, partner_org)


# --------------------------------------------------------------------------- visibility


def test_partner_does_not_see_another_vendors_status_under_embargo(
    partner_case, vuln, maintainer, maintainer_org, partner
):
    set_status(partner_case, maintainer, vuln, maintainer_org, statement="secret", public=True)
    partner_access = access.access_for(partner, partner_case)

    assert list(access.visible_vendor_statuses(partner_access)) == []
    assert not partner_access.timeline().filter(action="case.vendor_status.set").exists()
    panel = services.vendor_panel(partner_access)
    assert [r.organisation.name for r in panel.rows] == ["Partner Corp"]
    assert panel.published == []


def test_public_statements_are_visible_to_the_case_once_the_advisory_is_published(
    partner_case, vuln, maintainer, maintainer_org, partner, coordinator
):
    set_status(partner_case, maintainer, vuln, maintainer_org, statement="public one", public=True)
    other_vuln = services.save_vulnerability(
        partner_case, coordinator, title="Second flaw", affected=[]
    )
    set_status(partner_case, maintainer, other_vuln, maintainer_org, statement="kept private")
    partner_case.log(coordinator, "case.advisory.published", {})  # as the advisory does

    statuses = access.visible_vendor_statuses(access.access_for(partner, partner_case))

    assert [s.statement for s in statuses] == ["public one"]


def test_coordinator_sees_every_status_and_the_timeline(
    partner_case, vuln, maintainer, maintainer_org, coordinator
):
    set_status(partner_case, maintainer, vuln, maintainer_org)
    coordinator_access = access.access_for(coordinator, partner_case)

    assert access.visible_vendor_statuses(coordinator_access).count() == 1
    assert coordinator_access.timeline().filter(action="case.vendor_status.set").exists()


def test_matrix_lists_every_vendor_with_who_has_not_answered(
    partner_case, vuln, maintainer, maintainer_org, coordinator, downstream_org
):
    set_status(partner_case, maintainer, vuln, maintainer_org)

    panel = services.vendor_panel(access.access_for(coordinator, partner_case))

    rows = {r.organisation.name: r for r in panel.rows}
    assert set(rows) == {"libexample maintainers", "Partner Corp", "Distro"}
    assert len(panel.vulnerabilities) == 1
    assert rows["libexample maintainers"].missing == 0
    assert rows["Partner Corp"].missing == rows["Distro"].missing == 1
    assert panel.missing == 2


def test_missing_vendor_statuses_for_the_work_queue(
    partner_case, vuln, maintainer, maintainer_org, coordinator, partner_org
):
    set_status(partner_case, maintainer, vuln, maintainer_org)

    rows = list(services.missing_vendor_statuses(coordinator))

    assert [(r.case_id, r.organisation_id) for r in rows] == [(partner_case.pk, partner_org.pk)]
    assert list(services.missing_vendor_statuses(maintainer)) == []


# --------------------------------------------------------------------------- reminders


def test_coordinator_reminds_once_a_day(partner_case, vuln, coordinator, partner_org, partner):
    from disclosure.notifications.models import Notification

    now = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(now, tick=False):
        assert services.remind_vendor(partner_case, coordinator, partner_org) is True
        assert services.remind_vendor(partner_case, coordinator, partner_org) is False
    assert Notification.objects.filter(recipient=partner, key="vendor_status.reminded").exists()
    with time_machine.travel(now + dt.timedelta(days=1), tick=False):
        assert services.remind_vendor(partner_case, coordinator, partner_org) is True
    assert partner_case.timeline.filter(action="case.vendor_status.reminded").count() == 2


def test_only_coordinators_remind(partner_case, vuln, maintainer, partner_org):
    with pytest.raises(PermissionDenied):
        services.remind_vendor(partner_case, maintainer, partner_org)


def test_no_reminder_for_a_vendor_that_answered_everything(
    partner_case, vuln, coordinator, partner, partner_org
):
    for v in partner_case.vulnerabilities.all():
        set_status(partner_case, partner, v, partner_org)
    with pytest.raises(ValidationError):
        services.remind_vendor(partner_case, coordinator, partner_org)


# --------------------------------------------------------------------------- web


def edit_url(case: Case, vuln: Vulnerability, org: Organisation) -> str:
    return reverse("cases:vendor_status_edit", args=[case.reference, vuln.pk, org.slug])


def test_case_page_shows_the_partner_its_own_row_only(
    client, partner_case, vuln, partner, partner_org, maintainer, maintainer_org
):
    set_status(partner_case, maintainer, vuln, maintainer_org, statement="maintainer words")
    page = login(client, partner).get(partner_case.get_absolute_url()).content.decode()

    assert 'id="vendor-status"' in page
    assert edit_url(partner_case, vuln, partner_org) in page
    assert edit_url(partner_case, vuln, maintainer_org) not in page
    assert "maintainer words" not in page


def test_case_page_shows_coordinators_the_matrix_and_remind(
    client, partner_case, vuln, coordinator, partner_org
):
    page = login(client, coordinator).get(partner_case.get_absolute_url()).content.decode()

    assert "status" in page and "missing" in page
    assert (
        reverse("cases:vendor_status_remind", args=[partner_case.reference, partner_org.slug])
        in page
    )


def test_partner_gives_a_status_through_the_form(client, partner_case, vuln, partner, partner_org):
    response = login(client, partner).post(
        edit_url(partner_case, vuln, partner_org),
        {
            "status": "not_affected",
            "justification": "component_not_present",
            "statement": "We do not ship it.",
            "public": "on",
        },
    )

    assert response.status_code == 302
    row = VendorStatus.objects.get()
    assert (row.status, row.justification, row.public) == (
        "not_affected",
        "component_not_present",
        True,
    )


def test_form_errors_keep_the_input_and_save_nothing(
    client, partner_case, vuln, partner, partner_org
):
    response = login(client, partner).post(
        edit_url(partner_case, vuln, partner_org),
        {"status": "not_affected", "statement": "Kept text"},
    )

    assert response.status_code == 400
    assert "Kept text" in response.content.decode()
    assert "VEX justification" in response.content.decode()
    assert not VendorStatus.objects.exists()


def test_web_answers_404_outside_the_case_and_403_for_another_vendor(
    client_for, partner_case, vuln, partner_org, maintainer, other_maintainer, reporter
):
    url = edit_url(partner_case, vuln, partner_org)

    assert client_for(other_maintainer).get(url).status_code == 404
    assert client_for(maintainer).get(url).status_code == 403
    assert client_for(reporter).post(url, {"status": "affected"}).status_code == 403
    assert not VendorStatus.objects.exists()


def test_web_stale_change_answers_409_with_the_input(
    client, partner_case, vuln, partner, partner_org
):
    row = set_status(partner_case, partner, vuln, partner_org, status="under_investigation")
    set_status(
        partner_case, partner, vuln, partner_org, status="affected", expected_version=row.version
    )

    response = login(client, partner).post(
        edit_url(partner_case, vuln, partner_org),
        {"status": "fixed", "statement": "late edit", "version": row.version},
    )

    assert response.status_code == 409
    assert "late edit" in response.content.decode()
    assert VendorStatus.objects.get().status == "affected"


def test_web_remind_button(client, partner_case, vuln, coordinator, partner_org):
    url = reverse("cases:vendor_status_remind", args=[partner_case.reference, partner_org.slug])

    assert login(client, coordinator).post(url).status_code == 302
    assert partner_case.timeline.filter(action="case.vendor_status.reminded").count() == 1


# --------------------------------------------------------------------------- API


def api_url(case: Case) -> str:
    return reverse("api:vendor-status-list", kwargs={"case_reference": case.reference})


def test_api_partner_sets_and_lists_its_status(client, partner_case, vuln, partner, partner_org):
    c = login(client, partner)
    response = c.post(
        api_url(partner_case),
        {"vulnerability": vuln.pk, "status": "fixed", "public": True},
        content_type="application/json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["organisation"] == partner_org.slug
    listed = c.get(api_url(partner_case)).json()
    assert [r["status"] for r in listed] == ["fixed"]

    changed = c.post(
        api_url(partner_case),
        {"vulnerability": vuln.pk, "status": "affected", "version": response.json()["version"]},
        content_type="application/json",
    )
    assert changed.status_code == 200


def test_api_errors_name_the_fields(client, partner_case, vuln, partner):
    response = login(client, partner).post(
        api_url(partner_case),
        {"vulnerability": vuln.pk, "status": "not_affected"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "justification" in response.json()["error"]["fields"]


def test_api_refuses_another_organisations_status_and_hides_it(
    client_for, partner_case, vuln, maintainer, maintainer_org, partner, other_maintainer
):
    set_status(partner_case, maintainer, vuln, maintainer_org, statement="private")
    response = client_for(partner).post(
        api_url(partner_case),
        {"vulnerability": vuln.pk, "status": "affected", "organisation": maintainer_org.slug},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert client_for(partner).get(api_url(partner_case)).json() == []
    assert client_for(other_maintainer).get(api_url(partner_case)).status_code == 404
    assert VendorStatus.objects.get().status == "affected"


def test_api_reporter_is_refused_before_validation(client_for, partner_case, reporter):
    assert (
        client_for(reporter)
        .post(api_url(partner_case), {}, content_type="application/json")
        .status_code
        == 403
    )


def test_api_coordinator_sees_who_set_it_and_the_note(
    client_for, partner_case, vuln, coordinator, partner_org
):
    set_status(partner_case, coordinator, vuln, partner_org, note="By phone")

    [row] = client_for(coordinator).get(api_url(partner_case)).json()

    assert row["on_behalf"] is True and row["note"] == "By phone" and row["set_by"]
