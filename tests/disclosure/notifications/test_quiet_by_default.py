"""Quiet by default: only what asks a maintainer, partner or reporter to act, or a
deadline within 48 hours, or an escalation is mailed at once; the rest waits for the
daily digest. Coordinators hear everything at once. Preferences override."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from cases import services
from cases.models import Case, Organisation, ParticipantRole
from disclosure.notifications import services as notif
from disclosure.notifications.kinds import KINDS, Email, Role
from disclosure.notifications.models import (
    Channel,
    EmailWhen,
    KindPreference,
    Notification,
    NotificationSettings,
    Status,
)
from tests.disclosure.notifications.conftest import rows_for

pytestmark = pytest.mark.django_db


def channels(user: Any, kind: str) -> set[str]:
    return {n.channel for n in rows_for(user, kind)}


def test_a_comment_reaches_the_maintainer_in_the_digest_and_the_coordinator_at_once(
    case: Case, coordinator: Any, second_coordinator: Any, maintainer: Any
) -> None:
    services.post_comment(case, maintainer, "Looking into it.")
    services.post_comment(case, coordinator, "Thanks.")

    assert channels(maintainer, "comment.posted") == {Channel.IN_APP, Channel.DIGEST}
    digest = rows_for(maintainer, "comment.posted", Channel.DIGEST)[0]
    assert digest.status == Status.HELD
    assert channels(coordinator, "comment.posted") == {Channel.IN_APP, Channel.EMAIL}


def test_what_asks_a_maintainer_to_act_is_mailed_at_once(
    case: Case, coordinator: Any, maintainer: Any, maintainer_org: Organisation
) -> None:
    participant = case.participants.get(organisation=maintainer_org)
    notif.record_event("participant.invited", case_id=case.pk, participant_id=participant.pk)
    notif.record_event("embargo.proposed", case_id=case.pk)
    notif.record_event("embargo.broken", case_id=case.pk)
    notif.record_event("release.planned", case_id=case.pk)

    assert Channel.EMAIL in channels(maintainer, "participant.invited")
    assert Channel.EMAIL in channels(maintainer, "embargo.proposed")
    assert Channel.EMAIL in channels(maintainer, "embargo.broken")  # escalation
    assert channels(maintainer, "release.planned") == {Channel.IN_APP, Channel.DIGEST}


def test_a_partner_hears_of_the_release_at_once_but_not_of_a_state_change(
    partner_case: Case, coordinator: Any, partner: Any
) -> None:
    notif.record_event("release.released", case_id=partner_case.pk)
    notif.record_event("case.state_changed", case_id=partner_case.pk, transition="accept")

    assert Channel.EMAIL in channels(partner, "release.released")
    assert channels(partner, "case.state_changed") == {Channel.IN_APP, Channel.DIGEST}


def test_a_deadline_reminder_is_urgent_only_within_48_hours() -> None:
    kind = KINDS["reminder.release"]

    assert kind.default_email({Role.MAINTAINER}, hours_left=24) == Email.NOW
    assert kind.default_email({Role.MAINTAINER}, hours_left=168) == Email.DIGEST
    assert kind.default_email({Role.PARTNER}, hours_left=24) == Email.DIGEST
    assert kind.default_email({Role.COORDINATOR}, hours_left=168) == Email.NOW


def test_the_sweep_mails_a_release_due_tomorrow_to_the_maintainer_at_once(
    case: Case, coordinator: Any, maintainer: Any
) -> None:
    from disclosure.notifications.services import Outgoing, write

    now = timezone.now()
    soon = Outgoing(
        "reminder.release",
        "reminder.release.24h",
        "release:1",
        now + dt.timedelta(hours=20),
        case.pk,
        users={maintainer.pk},
    )
    later = Outgoing(
        "reminder.release",
        "reminder.release.168h",
        "release:1",
        now + dt.timedelta(days=6),
        case.pk,
        users={maintainer.pk},
    )
    write([soon, later], now=now)

    by_key = {(n.key, n.channel) for n in rows_for(maintainer, "reminder.release")}
    assert ("reminder.release.24h", Channel.EMAIL) in by_key
    assert ("reminder.release.168h", Channel.DIGEST) in by_key
    assert ("reminder.release.168h", Channel.EMAIL) not in by_key


def test_a_preference_overrides_the_default_both_ways(
    case: Case, coordinator: Any, maintainer: Any
) -> None:
    KindPreference.objects.create(user=maintainer, kind="comment.posted", email_when=EmailWhen.NOW)
    KindPreference.objects.create(
        user=coordinator, kind="comment.posted", email_when=EmailWhen.DIGEST
    )
    services.post_comment(case, coordinator, "First.")
    services.post_comment(case, maintainer, "Second.")

    assert Channel.EMAIL in channels(maintainer, "comment.posted")
    assert Channel.DIGEST in channels(coordinator, "comment.posted")


def test_everything_in_the_digest_still_lets_escalations_through(
    case: Case, coordinator: Any, maintainer: Any
) -> None:
    NotificationSettings.objects.create(user=maintainer, daily_digest=True)
    notif.record_event("embargo.proposed", case_id=case.pk)
    notif.record_event("embargo.broken", case_id=case.pk)

    assert Channel.DIGEST in channels(maintainer, "embargo.proposed")
    assert Channel.EMAIL in channels(maintainer, "embargo.broken")


def test_the_preferences_page_saves_when_and_drops_rows_back_at_the_default(
    maintainer: Any, client_for: Any
) -> None:
    client = client_for(maintainer)
    form = client.get("/notifications/preferences/").context["form"]
    data = {n: "on" for n in form.fields if n.startswith(("in_app__", "email__"))}
    data.update(submitted="1", when__comment__posted="now")
    assert client.post("/notifications/preferences/", data).status_code == 302
    assert KindPreference.objects.get(user=maintainer, kind="comment.posted").email_when == "now"
    assert KindPreference.objects.filter(user=maintainer).count() == 1

    data["when__comment__posted"] = ""
    assert client.post("/notifications/preferences/", data).status_code == 302
    assert not KindPreference.objects.filter(user=maintainer).exists()


def test_the_digest_sends_what_was_held(case: Case, coordinator: Any, maintainer: Any) -> None:
    from django.core import mail

    services.post_comment(case, coordinator, "A question for you.")
    mail.outbox.clear()
    notif.send_digests()

    assert [m.to for m in mail.outbox].count([maintainer.email]) == 1
    assert not Notification.objects.filter(recipient=maintainer, status=Status.HELD).exists()


def test_the_migration_keeps_existing_explicit_choices() -> None:
    import importlib

    from django.apps import apps as global_apps

    from tests.factories import make_user

    keeper = make_user("keeper")
    digester = make_user("digester")
    NotificationSettings.objects.create(user=digester, daily_digest=True)
    KindPreference.objects.create(user=keeper, kind="comment.posted", email=True)
    KindPreference.objects.create(user=keeper, kind="case.state_changed", email=False)
    KindPreference.objects.create(user=digester, kind="comment.posted", email=True)
    migration = importlib.import_module("disclosure.notifications.migrations.0008_quiet_by_default")

    migration.keep_explicit_choices(global_apps, None)

    assert KindPreference.objects.get(user=keeper, kind="comment.posted").email_when == "now"
    assert KindPreference.objects.get(user=keeper, kind="case.state_changed").email_when == ""
    assert KindPreference.objects.get(user=digester, kind="comment.posted").email_when == ""


def test_roles_come_from_the_case_participations(
    case: Case, coordinator: Any, maintainer: Any, partner_org: Organisation, partner: Any
) -> None:
    services.add_participant(
        case, coordinator, organisation=partner_org, role=ParticipantRole.PARTNER, notify=False
    )

    roles = notif.recipient_roles({maintainer.pk, partner.pk, coordinator.pk}, {case.pk})

    assert roles[(maintainer.pk, case.pk)] == {Role.MAINTAINER}
    assert roles[(partner.pk, case.pk)] == {Role.PARTNER}
