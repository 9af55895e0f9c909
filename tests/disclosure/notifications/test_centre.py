"""The notification centre: list, unread count in the navigation, mark read, links, mutes."""

from __future__ import annotations

from typing import Any

import pytest

from cases import services
from cases.models import Case, Organisation
from disclosure.notifications.models import CaseMute, Channel, KindPreference, Notification
from tests.disclosure.notifications.conftest import rows_for

pytestmark = pytest.mark.django_db


def unread_in_nav(page: Any) -> int:
    return page.context["notifications_unread"]()


def test_the_centre_lists_notifications_with_a_link_to_the_case_and_no_title(
    case: Case, coordinator: Any, maintainer: Any, client_for: Any
) -> None:
    services.post_comment(case, coordinator, "Ping.")

    page = client_for(maintainer).get("/notifications/")

    html = page.content.decode()
    assert page.status_code == 200
    assert f'href="/cases/{case.reference}/"' in html
    assert "New comment" in html
    assert case.title not in html


def test_the_navigation_shows_the_unread_count(
    case: Case, coordinator: Any, maintainer: Any, client_for: Any
) -> None:
    services.post_comment(case, coordinator, "One.")
    services.post_comment(case, coordinator, "Two.")
    client = client_for(maintainer)

    page = client.get("/notifications/")

    assert unread_in_nav(page) == 2
    assert 'aria-label="2 unread"' in page.content.decode()


def test_marking_one_read_and_then_all_read(
    case: Case, coordinator: Any, maintainer: Any, client_for: Any
) -> None:
    services.post_comment(case, coordinator, "One.")
    services.post_comment(case, coordinator, "Two.")
    client = client_for(maintainer)
    first, second = rows_for(maintainer, "comment.posted", Channel.IN_APP)

    client.post(f"/notifications/{first.pk}/read/")
    assert unread_in_nav(client.get("/notifications/")) == 1

    client.post("/notifications/read-all/")
    assert unread_in_nav(client.get("/notifications/")) == 0
    assert not Notification.objects.filter(
        recipient=maintainer, channel=Channel.IN_APP, read_at__isnull=True
    ).exists()


def test_nobody_can_mark_someone_elses_notification(
    case: Case, coordinator: Any, maintainer: Any, client_for: Any
) -> None:
    services.post_comment(case, coordinator, "One.")
    (row,) = rows_for(maintainer, "comment.posted", Channel.IN_APP)

    assert client_for(coordinator).post(f"/notifications/{row.pk}/read/").status_code == 404
    row.refresh_from_db()
    assert row.read_at is None


def test_notifications_of_a_case_no_longer_visible_leave_the_centre(
    case: Case, coordinator: Any, partner_org: Organisation, partner: Any, client_for: Any
) -> None:
    participant = services.add_participant(
        case, coordinator, organisation=partner_org, role="partner"
    )
    client = client_for(partner)
    assert unread_in_nav(client.get("/notifications/")) == 1

    services.remove_participant(participant, coordinator)

    page = client.get("/notifications/")
    assert unread_in_nav(page) == 0
    assert case.reference not in page.content.decode()


def test_muting_a_case_from_its_page_and_unmuting_it(
    case: Case, maintainer: Any, client_for: Any
) -> None:
    client = client_for(maintainer)

    client.post(f"/notifications/mute/{case.reference}/", {"mute": "1"})
    assert CaseMute.objects.filter(user=maintainer, case=case).exists()
    assert case.reference in client.get("/notifications/preferences/").content.decode()

    client.post(f"/notifications/mute/{case.reference}/", {"mute": "0"})
    assert not CaseMute.objects.filter(user=maintainer, case=case).exists()


def test_muting_a_case_one_cannot_see_answers_404(
    case: Case, other_maintainer: Any, client_for: Any
) -> None:
    response = client_for(other_maintainer).post(
        f"/notifications/mute/{case.reference}/", {"mute": "1"}
    )

    assert response.status_code == 404
    assert not CaseMute.objects.exists()


def test_preferences_are_saved_per_kind_and_the_digest_switch(
    maintainer: Any, client_for: Any
) -> None:
    client = client_for(maintainer)
    form = client.get("/notifications/preferences/").context["form"]
    data = {name: "on" for name in form.fields if name.startswith(("in_app__", "email__"))}
    data.pop("email__comment__posted")
    data.update(submitted="1", daily_digest="on")

    assert client.post("/notifications/preferences/", data).status_code == 302

    pref = KindPreference.objects.get(user=maintainer, kind="comment.posted")
    assert (pref.in_app, pref.email) == (True, False)
    assert maintainer.notification_settings.daily_digest


def test_an_empty_preferences_post_changes_nothing(maintainer: Any, client_for: Any) -> None:
    response = client_for(maintainer).post("/notifications/preferences/", {})

    assert response.status_code == 400
    assert not KindPreference.objects.filter(user=maintainer).exists()
