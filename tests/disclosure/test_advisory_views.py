"""The coordinators' advisory pages: each button calls one model method; errors come
back as field errors or messages, never a 500 and never a half-saved advisory."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from disclosure.models import Advisory, AdvisoryState
from tests.disclosure.advisory_factories import (
    approved_advisory,
    published_advisory,
    set_embargo,
    summarised_draft,
)
from tests.disclosure.disc_factories import release_fix


def step(client, case, name, advisory, **data):
    url = reverse("advisory:transition", args=[case.reference, name])
    return client.post(url, {"version": advisory.version, **data})


def form_data(advisory, **overrides):
    data = {
        "title": advisory.title,
        "summary": advisory.summary or "Summary",
        "details": "",
        "workarounds": "",
        "references": "",
        "version": advisory.version,
    }
    data.update(overrides)
    return data


def test_coordinator_starts_the_advisory_from_the_case_page(client_for, case, coordinator):
    response = client_for(coordinator).post(reverse("advisory:create", args=[case.reference]))

    assert response.status_code == 302
    assert response.url == reverse("advisory:edit", args=[case.reference])
    assert Advisory.objects.get(case=case).state == AdvisoryState.DRAFT


@pytest.mark.parametrize(("persona", "status"), [("maintainer", 403), ("outsider", 404)])
def test_only_coordinators_start_an_advisory(request, client_for, case, persona, status):
    client = client_for(request.getfixturevalue(persona))

    response = client.post(reverse("advisory:create", args=[case.reference]))

    assert response.status_code == status
    assert not Advisory.objects.filter(case=case).exists()


def test_editing_saves_the_draft(client_for, case, coordinator):
    advisory = Advisory.create_for_case(case, coordinator)
    url = reverse("advisory:edit", args=[case.reference])

    response = client_for(coordinator).post(
        url, form_data(advisory, title="Better title", references="https://example.org/x Fix")
    )

    assert response.status_code == 302
    advisory.refresh_from_db()
    assert advisory.title == "Better title"
    assert advisory.references == [{"url": "https://example.org/x", "label": "Fix", "type": "web"}]


def test_an_edit_from_an_outdated_page_is_refused_with_a_message(
    client_for, case, coordinator, second_coordinator
):
    advisory = Advisory.create_for_case(case, coordinator)
    stale = form_data(advisory, title="Mine")
    advisory.edit(second_coordinator, expected_version=advisory.version, title="Theirs")

    response = client_for(coordinator).post(reverse("advisory:edit", args=[case.reference]), stale)

    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    advisory.refresh_from_db()
    assert advisory.title == "Theirs"


def test_a_bad_reference_is_a_field_error(client_for, case, coordinator):
    advisory = Advisory.create_for_case(case, coordinator)

    response = client_for(coordinator).post(
        reverse("advisory:edit", args=[case.reference]),
        form_data(advisory, references="ftp://example.org/file"),
    )

    assert response.status_code == 400
    assert response.context["form"].errors["references"]
    advisory.refresh_from_db()
    assert advisory.references == []


def test_the_author_cannot_approve_through_the_page(client_for, case, coordinator):
    advisory = summarised_draft(case, coordinator).submit(coordinator)

    response = step(client_for(coordinator), case, "approve", advisory)

    assert response.status_code == 302
    advisory.refresh_from_db()
    assert advisory.state == AdvisoryState.IN_REVIEW


def test_a_second_coordinator_approves_and_schedules_through_the_page(
    client_for, case, coordinator, second_coordinator
):
    advisory = summarised_draft(case, coordinator).submit(coordinator)
    client = client_for(second_coordinator)

    step(client, case, "approve", advisory)
    advisory.refresh_from_db()
    step(client, case, "schedule", advisory)

    advisory.refresh_from_db()
    assert advisory.state == AdvisoryState.SCHEDULED
    assert advisory.reviewer == second_coordinator


def test_publish_now_is_refused_while_the_embargo_holds(
    client_for, case, coordinator, second_coordinator
):
    set_embargo(case, timezone.now() + dt.timedelta(days=2))
    advisory = approved_advisory(case, coordinator, second_coordinator).schedule(coordinator)
    client = client_for(coordinator)

    page = client.get(case.get_absolute_url()).content.decode()
    response = step(client, case, "publish", advisory)

    assert "Publish now" not in page
    assert response.status_code == 302
    advisory.refresh_from_db()
    assert advisory.state == AdvisoryState.SCHEDULED


def test_publish_now_once_the_embargo_has_lifted(client_for, case, coordinator, second_coordinator):
    set_embargo(case, timezone.now() - dt.timedelta(minutes=5))
    release_fix(case, coordinator)  # the release gate: nothing goes public before the fix
    advisory = approved_advisory(case, coordinator, second_coordinator).schedule(coordinator)
    client = client_for(coordinator)

    assert "Publish now" in client.get(case.get_absolute_url()).content.decode()
    step(client, case, "publish", advisory)

    advisory.refresh_from_db()
    assert advisory.is_public
    assert client_for(None).get(advisory.get_absolute_url()).status_code == 200


def test_a_step_from_an_outdated_page_changes_nothing(client_for, case, coordinator):
    advisory = Advisory.create_for_case(case, coordinator)
    outdated = advisory.version
    advisory.edit(coordinator, expected_version=advisory.version, title="Edited meanwhile")

    client_for(coordinator).post(
        reverse("advisory:transition", args=[case.reference, "submit"]), {"version": outdated}
    )

    advisory.refresh_from_db()
    assert advisory.state == AdvisoryState.DRAFT


def test_request_changes_without_a_reason_is_refused(
    client_for, case, coordinator, second_coordinator
):
    advisory = summarised_draft(case, coordinator).submit(coordinator)

    step(client_for(second_coordinator), case, "request_changes", advisory, reason="")

    advisory.refresh_from_db()
    assert advisory.state == AdvisoryState.IN_REVIEW


def test_a_new_revision_from_the_revise_page_is_public_once_a_second_coordinator_approves(
    client_for, case, coordinator, second_coordinator
):
    advisory = published_advisory(case, coordinator, second_coordinator)

    response = client_for(coordinator).post(
        reverse("advisory:revise", args=[case.reference]),
        form_data(
            advisory,
            title="Corrected title",
            references="https://git.example.org/libexample/commit/abc123 Fix commit",
            details=advisory.details,
            workarounds=advisory.workarounds,
            revision_summary="Correct the title.",
        ),
    )

    assert response.status_code == 302
    advisory.refresh_from_db()
    assert advisory.revision == 1  # submitted for review, not public
    assert (
        "Corrected title" not in client_for(None).get(advisory.get_absolute_url()).content.decode()
    )
    reviewer = client_for(second_coordinator)
    assert step(reviewer, case, "approve", advisory).status_code == 302
    advisory.refresh_from_db()
    assert step(reviewer, case, "publish", advisory).status_code == 302
    advisory.refresh_from_db()
    assert advisory.revision == 2
    public_page = client_for(None).get(advisory.get_absolute_url()).content.decode()
    assert "Corrected title" in public_page
    assert "Correct the title." in public_page


def test_the_preview_files_are_drafts_for_coordinators_only(
    client_for, case, coordinator, second_coordinator, maintainer
):
    approved_advisory(case, coordinator, second_coordinator)
    url = reverse("advisory:preview", args=[case.reference, "csaf"])

    response = client_for(coordinator).get(url)

    assert response.json()["document"]["tracking"]["status"] == "draft"
    assert client_for(maintainer).get(url).status_code == 403
    assert client_for(None).get(url).status_code == 302
