"""Deadline lines name their organisation, and each persona sees only its own
(``disclosure.services.deadlines.deadline_lines``: dashboard and case page alike)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache

from cases.dashboard import upcoming_deadlines
from cases.models import Case
from disclosure import services
from tests.disclosure.disc_factories import release_fix

UTC = dt.UTC
TARGET = dt.datetime(2026, 3, 13, 14, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def _lines(user: Any, days: int = 30) -> set[str]:
    return {d.label for d in upcoming_deadlines(user, days=days)}


def _setup(case: Case, coordinator: Any, partner_org: Any) -> None:
    services.save_release_plan(case, coordinator, target_at=TARGET, expected_version=None)
    services.add_pre_notification(case, coordinator, organisation=partner_org)


def test_each_persona_sees_only_the_deadlines_that_are_theirs(
    frozen: Any,
    deploy_case: Case,
    coordinator: Any,
    maintainer: Any,
    partner: Any,
    downstream: Any,
    outsider: Any,
    partner_org: Any,
    maintainer_org: Any,
) -> None:
    _setup(deploy_case, coordinator, partner_org)

    coordinator_sees = _lines(coordinator)
    maintainer_sees = _lines(maintainer)
    partner_sees = _lines(partner)

    release = f"{maintainer_org.name}: release the fix"
    maintainer_ack = f"{maintainer_org.name}: acknowledge the case"
    partner_ack = f"{partner_org.name}: acknowledge the case"
    pre_notification = f"{partner_org.name}: pre-notification goes out"
    assert {release, maintainer_ack, partner_ack, pre_notification} <= coordinator_sees
    assert release in maintainer_sees and maintainer_ack in maintainer_sees
    assert partner_ack not in maintainer_sees and pre_notification not in maintainer_sees
    assert partner_sees == {partner_ack}
    assert all(partner_org.name not in line for line in _lines(downstream))
    assert upcoming_deadlines(outsider, days=30) == []


def test_a_sent_pre_notification_asks_its_partner_to_acknowledge_it(
    frozen: Any, deploy_case: Case, coordinator: Any, partner: Any, partner_org: Any
) -> None:
    _setup(deploy_case, coordinator, partner_org)
    pn = deploy_case.release_plan.pre_notifications.get()
    services.mark_pre_notification_sent(pn, coordinator)

    assert f"{partner_org.name}: acknowledge the pre-notification" in _lines(partner)

    services.acknowledge_pre_notification(pn, partner)
    assert f"{partner_org.name}: acknowledge the pre-notification" not in _lines(partner)


def test_after_the_release_a_partner_is_asked_for_its_deployment_report(
    frozen: Any,
    deploy_case: Case,
    coordinator: Any,
    maintainer: Any,
    partner: Any,
    partner_org: Any,
) -> None:
    release_fix(deploy_case, coordinator)

    assert f"{partner_org.name}: report the deployment" in _lines(partner)
    assert f"{partner_org.name}: report the deployment" in _lines(coordinator)
    assert not any("report the deployment" in line for line in _lines(maintainer))


def test_deployment_reports_are_chased_for_the_follow_up_days_after_the_release(
    frozen: Any,
    deploy_case: Case,
    coordinator: Any,
    partner: Any,
    partner_org: Any,
    settings: Any,
) -> None:
    release_fix(deploy_case, coordinator)
    line = f"{partner_org.name}: report the deployment"
    plan = type(deploy_case.release_plan).objects.get(case=deploy_case)
    released_at = plan.released_at
    assert released_at is not None

    settings.DEPLOYMENT_FOLLOW_UP_DAYS = 90
    type(plan).objects.filter(pk=plan.pk).update(released_at=released_at - dt.timedelta(days=89))
    assert line in _lines(partner) and line in _lines(coordinator)

    # Past the follow-up window the dashboard stops chasing it (the release panel keeps it).
    type(plan).objects.filter(pk=plan.pk).update(released_at=released_at - dt.timedelta(days=91))
    assert line not in _lines(partner) and line not in _lines(coordinator)


def test_the_case_page_shows_the_same_lines(
    frozen: Any,
    deploy_case: Case,
    coordinator: Any,
    maintainer: Any,
    partner: Any,
    partner_org: Any,
    maintainer_org: Any,
    client_for: Any,
) -> None:
    _setup(deploy_case, coordinator, partner_org)

    partner_page = client_for(partner).get(deploy_case.get_absolute_url()).content.decode()
    maintainer_page = client_for(maintainer).get(deploy_case.get_absolute_url()).content.decode()

    assert "Your deadlines" in partner_page
    assert f"{partner_org.name}: acknowledge the case by" in partner_page
    assert f"{maintainer_org.name}: release the fix" not in partner_page
    assert f"{maintainer_org.name}: release the fix by" in maintainer_page
    assert "pre-notification goes out" not in maintainer_page


def test_the_sirt_dashboard_lines_are_kept_a_minute_and_everyone_elses_are_live(
    frozen: Any,
    deploy_case: Case,
    coordinator: Any,
    partner: Any,
    partner_org: Any,
    settings: Any,
) -> None:
    settings.DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    try:
        before = _lines(coordinator)
        _setup(deploy_case, coordinator, partner_org)
        pre_notification = f"{partner_org.name}: pre-notification goes out"

        assert pre_notification not in _lines(coordinator)  # the SIRT's minute-old lines
        assert f"{partner_org.name}: acknowledge the case" in _lines(partner)  # live
        frozen.shift(61)
        assert pre_notification in _lines(coordinator) and before != _lines(coordinator)
    finally:
        cache.clear()
