"""The batched audience agrees with the access module, persona by persona."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from cases import access, services
from cases.models import Case
from disclosure.notifications.audience import audiences
from tests.access_drift import assert_no_access_drift
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_the_audience_is_exactly_who_the_access_module_lets_see_the_case(
    partner_case: Case,
    coordinator: Any,
    second_coordinator: Any,
    maintainer: Any,
    other_maintainer: Any,
    partner: Any,
    outsider: Any,
    reporter: Any,
) -> None:
    inactive = make_user(organisation=partner.organisations.first(), is_active=False)
    person = make_user()
    services.add_participant(partner_case, coordinator, user=person, role="downstream")

    aud = audiences([partner_case.pk])[partner_case.pk]

    for user in get_user_model().objects.all():
        assert (user.pk in aud.viewers) == access.access_for(user, partner_case).can_view, user
    assert inactive.pk not in aud.viewers
    assert {coordinator.pk} == aud.coordinators


def test_a_removed_participant_leaves_the_audience(
    partner_case: Case, coordinator: Any, partner: Any
) -> None:
    participant = partner_case.participants.get(role="partner")
    services.remove_participant(participant, coordinator)

    aud = audiences([partner_case.pk])[partner_case.pk]

    assert partner.pk not in aud.viewers
    assert not access.access_for(partner, partner_case).can_view
    assert_no_access_drift()


def test_draft_readers_follow_the_role_table(
    partner_case: Case, maintainer: Any, partner: Any, reporter: Any
) -> None:
    aud = audiences([partner_case.pk])[partner_case.pk]

    readers = aud.with_action("view_advisory_draft")

    assert {maintainer.pk, partner.pk} <= readers
    assert reporter.pk not in readers
