"""The private iCalendar feed and the SIRT metrics."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from icalendar import Calendar

from cases.models import Case, Participant
from disclosure import metrics, services
from disclosure.models import CalendarToken, DeploymentReport, ReleasePlan
from tests.disclosure.conftest import MONDAY
from tests.factories import make_case

UTC = dt.UTC


def feed_url(token: str) -> str:
    return reverse("disclosure:calendar_feed", args=[token])


def events(body: bytes) -> list[tuple[str, dt.datetime]]:
    cal = Calendar.from_ical(body)
    return sorted((str(e["summary"]), e.decoded("dtstart")) for e in cal.walk("VEVENT"))


# --------------------------------------------------------------------------- calendar


def test_the_feed_lists_public_and_release_dates_with_references_only(
    frozen: Any, case: Case, coordinator: Any, maintainer: Any, policy: Any, client_for: Any
) -> None:
    clock = services.start_clock(case, coordinator, policy=policy("distros"), started_by="D")
    target = dt.datetime(2026, 3, 13, 14, tzinfo=UTC)
    services.save_release_plan(case, coordinator, target_at=target, expected_version=None)
    token = services.regenerate_calendar_token(maintainer)

    response = client_for(None).get(feed_url(token))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert events(response.content) == [
        (f"{case.reference} public date", clock.deadline),
        (f"{case.reference} release target", target),
    ]
    body = response.content.decode()
    assert case.title not in body
    assert "libexample" not in body.lower()
    assert "Report" not in body  # not even what started the clock


def test_the_feed_only_carries_cases_the_user_can_see(
    frozen: Any,
    case: Case,
    coordinator: Any,
    other_maintainer: Any,
    other_project: Any,
    other_maintainer_org: Any,
    policy: Any,
    client_for: Any,
) -> None:
    services.start_clock(case, coordinator, policy=policy("distros"), started_by="D")
    theirs = make_case(coordinator, project=other_project, maintainers=other_maintainer_org)
    services.start_clock(theirs, coordinator, policy=policy("standard"), started_by="R")
    token = services.regenerate_calendar_token(other_maintainer)

    body = client_for(None).get(feed_url(token)).content.decode()

    assert theirs.reference in body
    assert case.reference not in body


def test_a_revoked_or_replaced_token_answers_404(
    frozen: Any, maintainer: Any, client_for: Any
) -> None:
    first = services.regenerate_calendar_token(maintainer)
    second = services.regenerate_calendar_token(maintainer)
    assert client_for(None).get(feed_url(first)).status_code == 404
    assert client_for(None).get(feed_url(second)).status_code == 200

    services.revoke_calendar_token(maintainer)
    assert client_for(None).get(feed_url(second)).status_code == 404
    assert client_for(None).get(feed_url("not-a-token")).status_code == 404


def test_a_deactivated_users_feed_answers_404(
    frozen: Any, maintainer: Any, client_for: Any
) -> None:
    token = services.regenerate_calendar_token(maintainer)
    maintainer.is_active = False
    maintainer.save()
    assert client_for(None).get(feed_url(token)).status_code == 404


def test_only_a_hash_of_the_token_is_stored(frozen: Any, maintainer: Any) -> None:
    token = services.regenerate_calendar_token(maintainer)
    stored = CalendarToken.objects.get(user=maintainer)
    assert token not in stored.token_hash
    assert len(stored.token_hash) == 64


def test_the_profile_creates_shows_once_and_revokes_the_address(
    frozen: Any, maintainer: Any, client_for: Any
) -> None:
    c = client_for(maintainer)
    assert b"no active feed address" in c.get(reverse("cases:profile")).content

    page = c.post(reverse("disclosure:calendar_token_new"))
    assert page.status_code == 200
    feed = page.context["feed_url"]
    assert "/calendar/" in feed and feed.endswith(".ics")
    assert b"active since" in c.get(reverse("cases:profile")).content
    token = feed.rsplit("/", 1)[1][: -len(".ics")]
    assert client_for(None).get(feed_url(token)).status_code == 200

    assert c.post(reverse("disclosure:calendar_token_revoke")).status_code == 302
    assert client_for(None).get(feed_url(token)).status_code == 404


def test_token_pages_need_a_signed_in_user_and_post(db: Any, client_for: Any) -> None:
    r = client_for(None).post(reverse("disclosure:calendar_token_new"))
    assert r.status_code == 302 and "/login/" in r["Location"]
    assert not CalendarToken.objects.exists()


# --------------------------------------------------------------------------- metrics


def test_percentile_interpolates_between_ranks() -> None:
    assert metrics.percentile([], 50) is None
    assert metrics.percentile([4.0], 90) == 4.0
    assert metrics.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert metrics.percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 90) == 9.1


@pytest.fixture
def known_cases(frozen: Any, coordinator: Any, project: Any, maintainer_org: Any) -> list[Case]:
    """Three cases with hand-set timings (in days) so the numbers are known:

    acknowledge: 1, 2, 4 days; fix: 10, 20 days; release: 15, 30 days;
    deploy: 2 and 6 days (one organisation of case 1, one of case 2).
    """
    from tests.factories import make_organisation

    cases = [make_case(coordinator, project=project, maintainers=maintainer_org) for _ in range(3)]
    for case, ack in zip(cases, (1, 2, 4), strict=True):
        Case.objects.filter(pk=case.pk).update(created_at=MONDAY)
        Participant.objects.filter(case=case, role="maintainer").update(
            invited_at=MONDAY, acknowledged_at=MONDAY + dt.timedelta(days=ack)
        )
    for case, fix, release in ((cases[0], 10, 15), (cases[1], 20, 30)):
        ReleasePlan.objects.create(
            case=case,
            fixed_at=MONDAY + dt.timedelta(days=fix),
            released_at=MONDAY + dt.timedelta(days=release),
        )
    ReleasePlan.objects.create(case=cases[2])  # not fixed: not counted
    org = make_organisation("downstream")
    for case, deploy in ((cases[0], 2), (cases[1], 6)):
        DeploymentReport.objects.create(
            case=case,
            organisation=org,
            status="deployed",
            deployed_at=case.release_plan.released_at + dt.timedelta(days=deploy),
        )
    DeploymentReport.objects.create(case=cases[2], organisation=org, status="in_progress")
    return cases


def test_metrics_on_a_small_known_data_set(known_cases: list[Case]) -> None:
    by_key = {m.key: m for m in metrics.all_metrics()}

    assert (by_key["acknowledge"].count, by_key["acknowledge"].median_days) == (3, 2.0)
    assert by_key["acknowledge"].p90_days == pytest.approx(3.6)
    assert (by_key["fix"].median_days, by_key["fix"].p90_days) == (15.0, pytest.approx(19.0))
    assert (by_key["release"].median_days, by_key["release"].p90_days) == (
        22.5,
        pytest.approx(28.5),
    )
    assert (by_key["deploy"].count, by_key["deploy"].median_days) == (2, 4.0)
    assert by_key["deploy"].p90_days == pytest.approx(5.6)


def test_each_metric_is_one_query(known_cases: list[Case], django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(4):
        metrics.all_metrics()


def test_metrics_page_draws_svg_bars_without_inline_styles(
    known_cases: list[Case], coordinator: Any, client_for: Any
) -> None:
    body = client_for(coordinator).get(reverse("disclosure:metrics")).content.decode()
    assert body.count("<svg") == 4
    assert 'class="bar-median"' in body and 'class="bar-p90"' in body
    assert "style=" not in body
    assert "<script" not in body
    assert "22.5" in body
