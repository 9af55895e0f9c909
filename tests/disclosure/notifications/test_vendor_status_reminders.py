"""Vendor status reminders: the sweep reminds an organisation that has not given its
status ``VENDOR_STATUS_REMINDER_DAYS`` after joining, once per organisation and
vulnerability; a coordinator's reminder goes through the same outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from cases import services
from cases.models import Case, Organisation, ParticipantRole
from disclosure.notifications import sweep
from disclosure.notifications.models import Channel, DeadlineMark, Notification
from tests.factories import make_case

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def sweep_at(moment: dt.datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return sweep.run()


def reminders_for(user: Any) -> list[Notification]:
    return list(
        Notification.objects.filter(
            recipient=user, key="reminder.vendor_status", channel=Channel.IN_APP
        )
    )


@pytest.fixture
def vendor_case(
    coordinator: Any, project: Any, maintainer_org: Organisation, partner_org: Organisation
) -> Case:
    """Opened at T0 with the maintainers and a partner invited; two vulnerabilities."""
    with time_machine.travel(T0, tick=False):
        case = make_case(coordinator, project=project, maintainers=maintainer_org)
        services.add_participant(
            case, coordinator, organisation=partner_org, role=ParticipantRole.PARTNER, notify=False
        )
        services.save_vulnerability(case, coordinator, title="Second flaw", affected=[])
        Notification.objects.all().delete()
    return case


def test_no_vendor_status_reminder_before_the_configured_days(
    vendor_case, partner, settings
) -> None:
    settings.VENDOR_STATUS_REMINDER_DAYS = 7
    sweep_at(T0 + 7 * DAY - dt.timedelta(minutes=1))

    assert reminders_for(partner) == []


def test_one_reminder_per_organisation_for_its_missing_statuses_then_never_again(
    vendor_case, partner, maintainer, settings
) -> None:
    settings.VENDOR_STATUS_REMINDER_DAYS = 7
    first = vendor_case.vulnerabilities.order_by("pk").first()
    with time_machine.travel(T0 + DAY, tick=False):
        services.set_vendor_status(
            vendor_case,
            maintainer,
            vulnerability=first,
            organisation=vendor_case.participants.get(role="maintainer").organisation,
            status="affected",
        )

    sweep_at(T0 + 7 * DAY)
    sweep_at(T0 + 7 * DAY + dt.timedelta(hours=1))
    sweep_at(T0 + 9 * DAY)

    [notice] = reminders_for(partner)
    assert len(notice.data["vulnerability_ids"]) == 2
    # The maintainers answered one of the two: reminded once, for the other.
    [to_maintainer] = reminders_for(maintainer)
    assert to_maintainer.data["vulnerability_ids"] == [
        v.pk for v in vendor_case.vulnerabilities.order_by("pk")[1:]
    ]
    assert DeadlineMark.objects.filter(key="reminder.vendor_status").count() == 3


def test_an_organisation_that_leaves_and_joins_again_is_not_reminded_twice(
    vendor_case, partner, partner_org, coordinator, settings
) -> None:
    settings.VENDOR_STATUS_REMINDER_DAYS = 7
    sweep_at(T0 + 7 * DAY)
    with time_machine.travel(T0 + 8 * DAY, tick=False):
        row = vendor_case.participants.get(organisation=partner_org)
        services.remove_participant(row, coordinator)
        services.add_participant(
            vendor_case,
            coordinator,
            organisation=partner_org,
            role=ParticipantRole.PARTNER,
            notify=False,
        )
    sweep_at(T0 + 15 * DAY)

    assert len(reminders_for(partner)) == 1


def test_a_vendor_that_answered_is_not_reminded(vendor_case, partner, partner_org, settings):
    settings.VENDOR_STATUS_REMINDER_DAYS = 7
    with time_machine.travel(T0 + DAY, tick=False):
        for v in vendor_case.vulnerabilities.all():
            services.set_vendor_status(
                vendor_case, partner, vulnerability=v, organisation=partner_org, status="fixed"
            )
    sweep_at(T0 + 7 * DAY)

    assert reminders_for(partner) == []


def test_a_vulnerability_added_later_is_reminded_from_when_it_was_added(
    vendor_case, partner, partner_org, coordinator, settings
) -> None:
    settings.VENDOR_STATUS_REMINDER_DAYS = 7
    with time_machine.travel(T0 + DAY, tick=False):
        for v in vendor_case.vulnerabilities.all():
            services.set_vendor_status(
                vendor_case, partner, vulnerability=v, organisation=partner_org, status="fixed"
            )
    with time_machine.travel(T0 + 10 * DAY, tick=False):
        late = services.save_vulnerability(vendor_case, coordinator, title="Third", affected=[])
    sweep_at(T0 + 16 * DAY)
    assert reminders_for(partner) == []

    sweep_at(T0 + 17 * DAY)

    [notice] = reminders_for(partner)
    assert notice.data["vulnerability_ids"] == [late.pk]


def test_vendor_status_given_tells_the_coordinators(vendor_case, partner, partner_org, coordinator):
    vuln = vendor_case.vulnerabilities.first()
    services.set_vendor_status(
        vendor_case, partner, vulnerability=vuln, organisation=partner_org, status="affected"
    )

    assert Notification.objects.filter(recipient=coordinator, key="vendor_status.given").exists()
    assert not Notification.objects.filter(recipient=partner, key="vendor_status.given").exists()
