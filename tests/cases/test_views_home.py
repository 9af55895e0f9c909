"""Home page: the coordinator dashboard and the maintainer/partner inbox; the profile."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.dashboard import Deadline, register_deadline_source, upcoming_deadlines
from cases.models import Profile
from tests.cases.helpers import embargo
from tests.factories import make_case, make_report, make_user

HOME = reverse("cases:home")


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_coordinator_dashboard_counts_reports_waiting_for_triage(client_for, coordinator, case):
    make_report(make_user(), title="Fresh flaw one")
    make_report(make_user(), title="Fresh flaw two")
    response = client_for(coordinator).get(HOME)
    assert response.status_code == 200
    assert response.context["queue_count"] == 2
    assert "Fresh flaw one" in response.content.decode()
    assert "Coordinator dashboard" in response.content.decode()


@pytest.mark.django_db
def test_coordinator_dashboard_shows_cases_by_state(client_for, coordinator, case):
    case.transition("accept", coordinator)
    response = client_for(coordinator).get(HOME)
    by_state = {state: n for state, _, n in response.context["by_state"]}
    assert by_state["accepted"] == 1 and by_state["new"] == 0
    assert response.context["open_count"] == 1


@pytest.mark.django_db
def test_dashboard_lists_deadlines_in_the_next_14_days_and_overdue_items(
    client_for, coordinator, case, project, maintainer_org
):
    soon = make_case(coordinator, project=project, title="Soon")
    late = make_case(coordinator, project=project, title="Late")
    far = make_case(coordinator, project=project, title="Far")
    embargo(soon, days=3)
    embargo(late, days=-1)
    embargo(far, days=40)
    response = client_for(coordinator).get(HOME)
    # (Each case also has its maintainers' acknowledgement line: kind "acknowledgement".)
    assert [d.case for d in response.context["upcoming"] if d.kind == "embargo"] == [soon]
    assert [d.case for d in response.context["overdue"] if d.kind == "embargo"] == [late]
    body = response.content.decode()
    assert soon.reference in body and late.reference in body
    assert f"{far.reference}</a> · Every participant: the embargo ends" not in body


@pytest.mark.django_db
def test_deadlines_only_come_from_visible_cases(coordinator, maintainer, other_maintainer, case):
    embargo(case, days=2)
    assert [d.case for d in upcoming_deadlines(maintainer, 14) if d.kind == "embargo"] == [case]
    assert upcoming_deadlines(other_maintainer, 14) == []


@pytest.mark.django_db
def test_other_apps_can_register_deadline_sources(maintainer, case):
    from cases import dashboard

    def release_dates(cases, until):
        return [
            Deadline(c, "Release", timezone.now() + timedelta(days=1), "release") for c in cases
        ]

    register_deadline_source(release_dates)
    try:
        assert "Release" in [d.label for d in upcoming_deadlines(maintainer, 14)]
    finally:
        dashboard._SOURCES.remove(release_dates)


@pytest.mark.django_db
def test_maintainer_inbox_offers_acknowledge_for_new_invitation(client_for, maintainer, case):
    response = client_for(maintainer).get(HOME)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Your inbox" in body
    assert [p.case for p in response.context["awaiting"]] == [case]
    assert reverse("cases:acknowledge", args=[case.reference]) in body
    assert [c.pk for c in response.context["open_cases"]] == [case.pk]


@pytest.mark.django_db
def test_inbox_acknowledge_removes_the_case_from_waiting(client_for, maintainer, case):
    client = client_for(maintainer)
    response = client.post(
        reverse("cases:acknowledge", args=[case.reference]), {"next": HOME}, follow=True
    )
    assert response.redirect_chain[-1][0] == HOME
    assert response.context["awaiting"] == []
    assert case.timeline.filter(action="case.participant.acknowledged", actor=maintainer).exists()
    assert "You acknowledged" in response.content.decode()


@pytest.mark.django_db
def test_inbox_of_other_maintainer_shows_nothing_of_the_case(client_for, other_maintainer, case):
    response = client_for(other_maintainer).get(HOME)
    body = response.content.decode()
    assert case.reference not in body and case.title not in body
    assert response.context["awaiting"] == []
    assert list(response.context["activity"]) == []


@pytest.mark.django_db
def test_inbox_activity_never_names_other_reporters(client_for, coordinator, reporter, case):
    second = make_user("second-reporter")
    services.merge_report_into_case(make_report(second), case, coordinator)
    response = client_for(reporter).get(HOME)
    assert "second-reporter" not in response.content.decode()


@pytest.mark.django_db
def test_outsider_home_is_an_empty_inbox(client_for, outsider, case):
    response = client_for(outsider).get(HOME)
    assert response.status_code == 200
    assert "Nothing is waiting" in response.content.decode()
    assert case.reference not in response.content.decode()


@pytest.mark.django_db
def test_profile_saves_the_time_zone_and_dates_show_in_it(client_for, maintainer, case):
    embargo(case, days=5)
    client = client_for(maintainer)
    assert client.get(reverse("cases:profile")).status_code == 200
    response = client.post(reverse("cases:profile"), {"timezone": "Asia/Tokyo"}, follow=True)
    assert "time zone was saved" in response.content.decode()
    assert Profile.objects.get(user=maintainer).timezone == "Asia/Tokyo"
    detail = client.get(case.get_absolute_url()).content.decode()
    assert "JST" in detail


@pytest.mark.django_db
def test_profile_refuses_an_unknown_time_zone(client_for, maintainer):
    response = client_for(maintainer).post(reverse("cases:profile"), {"timezone": "Mars/Olympus"})
    assert response.status_code == 200
    assert "timezone" in response.context["form"].errors
    assert not Profile.objects.filter(user=maintainer).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["coordinator", "maintainer"])
def test_home_query_count_is_constant_from_1_to_30_cases(
    request, client_for, coordinator, project, maintainer_org, case, persona
):
    from tests.cases.helpers import count_queries

    embargo(case, days=3)
    client = client_for(request.getfixturevalue(persona))
    client.get(HOME)
    one, _ = count_queries(client, HOME)
    for i in range(29):
        more = make_case(coordinator, project=project, maintainers=maintainer_org, title=f"F{i}")
        embargo(more, days=i % 20 - 3)
        services.post_comment(more, coordinator, "note")
    many, response = count_queries(client, HOME)
    assert many == one
