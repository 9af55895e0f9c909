"""Quiet by default, measured: one small case walked through its life (report, case,
maintainer and partner invited, acknowledgements, an embargo date, a comment or two,
the release, the partner's pre-notification and deployment, the published advisory),
then the notification sender and the daily digest run, and the e-mails each persona
received are counted (locmem outbox). The key steps are clicked in the browser; the
rest goes through the same services the pages call.

The figures are printed (``-s``) and stated in README.md ("Notifications: what is
mailed at once"). "Before" is what the same journey would have mailed when every
notice was also an e-mail at once: one per in-portal notice.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from cases import services as case_services
from cases.models import Case, Organisation
from disclosure import services
from disclosure.models import EmbargoState, PreNotification
from disclosure.notifications import services as notif
from disclosure.notifications import sweep
from disclosure.notifications.models import Channel, Notification
from tests.disclosure.advisory_factories import approved_advisory, set_embargo
from tests.e2e.conftest import assert_accessible, open_details, sign_in
from tests.factories import make_report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Upper bounds per persona for this journey (the measured figures are lower or equal).
AT_MOST = {"maintainer": 3, "partner": 5, "reporter": 3}


def send_everything() -> None:
    sweep.run()
    while notif.send_pending():
        pass
    notif.send_digests()


def test_one_small_case_mails_each_persona_only_what_needs_them(
    new_page: Any,
    shot: Any,
    settings: Any,
    coordinator: Any,
    second_coordinator: Any,
    maintainer: Any,
    maintainer_org: Organisation,
    project: Any,
    partner: Any,
    partner_org: Organisation,
    reporter: Any,
) -> None:
    settings.NOTIFY_KICK_SENDER = False  # the test runs the sender itself
    mail.outbox.clear()
    people = {
        "coordinator": coordinator,
        "maintainer": maintainer,
        "partner": partner,
        "reporter": reporter,
    }

    # -- A report arrives; the coordinator opens the case in the browser.
    report = make_report(reporter, title="Heap overflow in libexample's decoder")
    coord = new_page()
    sign_in(coord, coordinator)
    coord.goto(f"/reports/{report.pk}/")
    coord.get_by_label("libexample").check()
    coord.get_by_role("button", name="Open case").click()
    coord.wait_for_load_state()
    case = Case.objects.get(reports__pk=report.pk)

    # ... and invites the maintainers and the partner.
    for org, role in ((maintainer_org, "Maintainer"), (partner_org, "Partner")):
        coord.goto(f"/cases/{case.reference}/participants/add/")
        coord.get_by_label("Organisation").select_option(label=org.name)
        coord.get_by_label("Role").select_option(label=role)
        coord.get_by_role("button", name="Add participant").click()
        coord.wait_for_load_state()

    # -- The maintainer acknowledges (one clearly named step) and proposes a date.
    maint = new_page()
    sign_in(maint, maintainer)
    maint.goto(case.get_absolute_url())
    maint.get_by_role("button", name="Acknowledge the case invitation").click()
    maint.wait_for_load_state()
    assert case.participants.get(organisation=maintainer_org).acknowledged_at is not None
    public_at = (timezone.now() + dt.timedelta(days=10)).replace(
        hour=12, minute=0, second=0, microsecond=0
    )
    open_details(maint.locator("#embargo"), "Propose a public date")
    maint.get_by_label(re.compile("Proposed public date")).fill(
        public_at.strftime("%Y-%m-%dT%H:%M")
    )
    maint.get_by_label("Reason").fill("The fix ships in 1.4.2; distributions need a week.")
    maint.get_by_role("button", name="Propose").click()
    maint.wait_for_load_state()
    shot(maint, "maintainer acknowledged and proposed a date")

    # -- The partner acknowledges the case invitation.
    part = new_page()
    sign_in(part, partner)
    part.goto(case.get_absolute_url())
    part.get_by_role("button", name="Acknowledge the case invitation").click()
    part.wait_for_load_state()
    assert case.participants.get(organisation=partner_org).acknowledged_at is not None

    # -- The coordinator accepts the date; a short discussion.
    coord.goto(case.get_absolute_url())
    coord.locator("#embargo").get_by_role("button", name="Accept").click()
    coord.wait_for_load_state()
    case.refresh_from_db()
    assert case.embargo.public_at == public_at
    case_services.post_comment(case, coordinator, "Can you share the patch?")
    case_services.post_comment(case, maintainer, "Attached to the release plan.")

    # -- Release planned, the partner pre-notified, and acknowledging it in the browser.
    services.save_release_plan(
        case, coordinator, target_at=public_at - dt.timedelta(days=1), expected_version=None
    )
    pn = services.add_pre_notification(case, coordinator, organisation=partner_org)
    services.mark_pre_notification_sent(pn, coordinator)
    part.goto(case.get_absolute_url())
    assert part.get_by_text("Your deadlines").is_visible()
    assert part.get_by_text(f"{partner_org.name}: acknowledge the pre-notification").is_visible()
    part.get_by_role("button", name="Acknowledge the pre-notification").click()
    part.wait_for_load_state()
    assert PreNotification.objects.get(pk=pn.pk).acknowledged_at is not None
    assert_accessible(part)
    shot(part, "partner acknowledged the pre-notification")

    # -- The maintainer releases the fix; the partner deploys it.
    release = case.release_plan.project_releases.get()
    services.update_project_release(
        release,
        maintainer,
        fixed_versions=["1.4.2"],
        fix_url="https://git.example.org/libexample/commit/5f1e2d",
        status="released",
        expected_version=release.version,
    )
    services.report_deployment(case, partner, organisation=partner_org, status="deployed")

    # -- The embargo ends and the advisory is published (approved by a second coordinator).
    set_embargo(case, timezone.now() - dt.timedelta(minutes=1), EmbargoState.LIFTED)
    approved_advisory(case, coordinator, second_coordinator).publish(second_coordinator)

    # -- The sender, the sweep and the daily digest; then count.
    send_everything()
    received = Counter(address for m in mail.outbox for address in m.to)
    at_once = {
        name: Notification.objects.filter(recipient=u, channel=Channel.EMAIL).count()
        for name, u in people.items()
    }
    digests = {name: received[u.email] - at_once[name] for name, u in people.items()}
    before = {
        name: Notification.objects.filter(recipient=u, channel=Channel.IN_APP).count()
        for name, u in people.items()
    }
    print("\nE-mails per persona for one small case (at once + digest = total; before):")
    for name, user in people.items():
        print(
            f"  {name:12} {at_once[name]:2} + {digests[name]} = {received[user.email]:2}"
            f"   (before: {before[name]})"
        )

    for name, user in people.items():
        kinds = Notification.objects.filter(recipient=user, channel=Channel.EMAIL)
        print(
            f"  {name:12} at once: {', '.join(sorted(set(kinds.values_list('kind', flat=True))))}"
        )

    for name, bound in AT_MOST.items():
        assert received[people[name].email] <= bound, (name, received[people[name].email])
    # Each quiet persona still heard of everything in the portal, and at most one digest.
    for name in AT_MOST:
        assert before[name] > received[people[name].email], name
        assert digests[name] <= 1, name
    # What asked them to act came at once.
    assert Notification.objects.filter(
        recipient=maintainer, kind="participant.invited", channel=Channel.EMAIL
    ).exists()
    assert Notification.objects.filter(
        recipient=partner, kind="prenotification.sent", channel=Channel.EMAIL
    ).exists()
    # The coordinators run the case: they still hear it all at once.
    assert at_once["coordinator"] == before["coordinator"]
