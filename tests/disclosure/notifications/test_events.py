"""Events become outbox rows, in the transaction of the change, only for people who may see."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import transaction

from cases import services
from cases.models import CommentVisibility, Organisation, ParticipantRole
from disclosure.notifications import services as notif
from disclosure.notifications.models import (
    CaseMute,
    Channel,
    KindPreference,
    Notification,
    NotificationSettings,
    Status,
)
from tests.disclosure.notifications.conftest import emails_to, rows_for
from tests.factories import make_case, make_organisation, make_user

pytestmark = pytest.mark.django_db


def test_inviting_an_organisation_notifies_its_members_in_the_portal_and_by_email(
    case: Any, coordinator: Any, partner_org: Organisation, partner: Any
) -> None:
    services.add_participant(case, coordinator, organisation=partner_org, role="partner")

    kinds = {(n.channel, n.status) for n in rows_for(partner, "participant.invited")}
    assert kinds == {(Channel.IN_APP, Status.SENT), (Channel.EMAIL, Status.PENDING)}


def test_outbox_rows_roll_back_with_the_change_that_caused_them(
    case: Any, coordinator: Any, partner_org: Organisation, partner: Any
) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        services.add_participant(case, coordinator, organisation=partner_org, role="partner")
        assert rows_for(partner, "participant.invited")  # written inside the transaction
        raise RuntimeError("the change fails after the event")

    assert rows_for(partner, "participant.invited") == []


def test_nobody_without_access_is_told_about_a_case(
    case: Any,
    coordinator: Any,
    maintainer: Any,
    other_maintainer: Any,
    outsider: Any,
    partner: Any,
) -> None:
    services.post_comment(case, coordinator, "Patch attached.")
    case.transition("accept", coordinator)

    assert rows_for(maintainer, "comment.posted")
    assert rows_for(maintainer, "case.state_changed")
    for stranger in (other_maintainer, outsider, partner):
        assert rows_for(stranger) == []


def test_a_coordinator_only_comment_reaches_no_maintainer(
    case: Any, coordinator: Any, second_coordinator: Any, maintainer: Any
) -> None:
    services.post_comment(
        case, coordinator, "Internal note.", visibility=CommentVisibility.COORDINATORS
    )

    assert rows_for(maintainer, "comment.posted") == []


def test_an_organisation_comment_reaches_only_that_organisation(
    partner_case: Any,
    coordinator: Any,
    maintainer: Any,
    partner: Any,
    partner_org: Organisation,
) -> None:
    services.post_comment(
        partner_case,
        coordinator,
        "Only for the partner.",
        visibility=CommentVisibility.ORGANISATION,
        organisation=partner_org,
    )

    assert rows_for(partner, "comment.posted")
    assert rows_for(maintainer, "comment.posted") == []


def test_the_author_of_a_comment_is_not_notified_of_it(case: Any, maintainer: Any) -> None:
    services.post_comment(case, maintainer, "We are on it.")

    assert rows_for(maintainer, "comment.posted") == []


def test_a_state_change_tells_the_participants_but_not_the_actor(
    case: Any, coordinator: Any, maintainer: Any
) -> None:
    case.transition("accept", coordinator)

    assert rows_for(maintainer, "case.state_changed")[0].key == "case.state_changed.accept"
    assert rows_for(coordinator, "case.state_changed") == []


def test_a_new_report_reaches_every_sirt_coordinator(
    coordinator: Any, second_coordinator: Any, outsider: Any
) -> None:
    reporter = make_user()
    services.submit_report(reporter=reporter, title="Overflow", description="Details")

    assert rows_for(coordinator, "report.received")
    assert rows_for(second_coordinator, "report.received")
    assert rows_for(outsider) == []
    assert rows_for(reporter) == []


def test_a_muted_case_sends_nothing_but_escalations(
    case: Any, coordinator: Any, maintainer: Any
) -> None:
    CaseMute.objects.create(user=maintainer, case=case)

    services.post_comment(case, coordinator, "Ping.")
    notif.record_event("embargo.broken", case_id=case.pk)

    assert rows_for(maintainer, "comment.posted") == []
    broken = rows_for(maintainer, "embargo.broken")
    assert {n.channel for n in broken} == {Channel.IN_APP, Channel.EMAIL}
    assert all(n.escalation for n in broken)


def test_channel_preferences_choose_portal_or_email_per_kind(
    case: Any, coordinator: Any, maintainer: Any
) -> None:
    KindPreference.objects.create(user=maintainer, kind="comment.posted", email=False)
    KindPreference.objects.create(
        user=maintainer, kind="case.state_changed", in_app=False, email=True, email_when="now"
    )

    services.post_comment(case, coordinator, "Ping.")
    case.transition("accept", coordinator)

    assert {n.channel for n in rows_for(maintainer, "comment.posted")} == {Channel.IN_APP}
    assert {n.channel for n in rows_for(maintainer, "case.state_changed")} == {Channel.EMAIL}


def test_escalations_ignore_channel_preferences_too(case: Any, maintainer: Any) -> None:
    KindPreference.objects.create(user=maintainer, kind="embargo.broken", in_app=False, email=False)

    notif.record_event("embargo.broken", case_id=case.pk)

    assert {n.channel for n in rows_for(maintainer, "embargo.broken")} == {
        Channel.IN_APP,
        Channel.EMAIL,
    }


def test_the_daily_digest_sends_one_mail_instead_of_several(
    case: Any, coordinator: Any, maintainer: Any
) -> None:
    NotificationSettings.objects.create(user=maintainer, daily_digest=True)
    services.post_comment(case, coordinator, "One.")
    services.post_comment(case, coordinator, "Two.")
    case.transition("accept", coordinator)
    assert emails_to(maintainer, "comment.posted") == []

    notif.send_all_pending()
    mail.outbox.clear()
    assert notif.send_digests() == 2  # the maintainer's, and the reporter's (quiet by default)
    assert notif.send_digests() == 0

    (digest,) = [m for m in mail.outbox if m.to == [maintainer.email]]
    assert digest.body.count(f"- {case.reference}: ") == 3
    assert case.title not in digest.body
    held = Notification.objects.filter(recipient=maintainer, channel=Channel.DIGEST)
    assert {n.status for n in held} == {Status.SENT}


def test_emails_carry_the_reference_the_kind_and_a_link_but_never_the_title(
    case: Any, coordinator: Any, maintainer: Any
) -> None:
    KindPreference.objects.create(user=maintainer, kind="comment.posted", email_when="now")
    services.post_comment(case, coordinator, "The secret exploit details.")
    notif.send_all_pending()

    message = next(m for m in mail.outbox if m.to == [maintainer.email])
    html = message.alternatives[0][0]
    for part in (message.subject, message.body, html):
        assert case.reference in part
        assert case.title not in part
        assert "secret exploit" not in part
    assert "New comment" in message.body
    assert f"/cases/{case.reference}/" in message.body


def test_a_participant_removed_before_sending_gets_no_mail(
    case: Any, coordinator: Any, partner_org: Organisation, partner: Any
) -> None:
    participant = services.add_participant(
        case, coordinator, organisation=partner_org, role="partner"
    )
    services.remove_participant(participant, coordinator)

    notif.send_all_pending()

    assert [m for m in mail.outbox if m.to == [partner.email]] == []
    (email,) = emails_to(partner, "participant.invited")
    assert email.status == Status.SKIPPED


def test_deployment_reports_reach_the_coordinators(
    partner_case: Any, coordinator: Any, partner: Any, partner_org: Organisation
) -> None:
    notif.record_event(
        "deployment.reported", case_id=partner_case.pk, organisation_id=partner_org.pk
    )

    assert rows_for(coordinator, "deployment.reported")
    assert rows_for(partner, "deployment.reported") == []


def test_a_pre_notification_event_reaches_only_the_named_organisation(
    partner_case: Any, coordinator: Any, maintainer: Any, partner: Any, partner_org: Organisation
) -> None:
    downstream_org = make_organisation(Organisation.Kind.DOWNSTREAM)
    downstream = make_user(organisation=downstream_org)
    services.add_participant(
        partner_case, coordinator, organisation=downstream_org, role=ParticipantRole.DOWNSTREAM
    )

    notif.record_event(
        "prenotification.sent", case_id=partner_case.pk, organisation_id=partner_org.pk
    )

    assert rows_for(partner, "prenotification.sent")
    assert rows_for(downstream, "prenotification.sent") == []
    assert rows_for(maintainer, "prenotification.sent") == []


def test_an_unknown_event_is_ignored_not_raised(case: Any) -> None:
    assert notif.record_event("no.such.event", case_id=case.pk) == 0


def test_another_case_of_another_project_notifies_only_its_own_people(
    coordinator: Any, maintainer: Any, other_maintainer: Any, other_project: Any
) -> None:
    other_case = make_case(
        coordinator, project=other_project, maintainers=other_project.organisation
    )

    other_case.transition("accept", coordinator)

    assert rows_for(other_maintainer, "case.state_changed")
    assert rows_for(maintainer) == []


def test_text_passed_to_an_event_by_mistake_is_not_stored(case: Any, maintainer: Any) -> None:
    notif.record_event(
        "case.state_changed", case_id=case.pk, transition="accept", reason="the exploit is..."
    )

    (row,) = rows_for(maintainer, "case.state_changed", Channel.IN_APP)
    assert row.data == {"case_id": case.pk, "transition": "accept"}


def test_breaking_an_embargo_through_the_disclosure_service_escalates_to_everyone_in_the_case(
    partner_case: Any, coordinator: Any, maintainer: Any, partner: Any, outsider: Any
) -> None:
    from disclosure import services as disclosure_services
    from disclosure.models import Embargo, EmbargoState

    Embargo.objects.create(
        case=partner_case, state=EmbargoState.ACTIVE, public_at=partner_case.created_at
    )

    disclosure_services.break_embargo(
        partner_case, coordinator, kind=Embargo.BreakKind.LEAK, reason="Posted on a forum."
    )

    for user in (maintainer, partner):
        broken = rows_for(user, "embargo.broken")
        assert {n.channel for n in broken} == {Channel.IN_APP, Channel.EMAIL}
        assert all(n.escalation for n in broken)
    assert rows_for(outsider) == []
