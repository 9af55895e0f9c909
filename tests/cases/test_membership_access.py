"""Membership is the single source of truth: leaving an organisation ends its access at once.

For every way a membership ends (model and queryset delete, the admin's change list
and inline, the members page of an organisation admin or the SIRT, moving the
membership, deactivation, deleting the organisation), a person who could read an
embargoed case of their organisation answers 404 on their next request, in the
browser and through an API token made before, ``/api/v1/me/`` agrees, and no
notification for the case is written or sent to them afterwards. Every scenario ends
with ``assert_no_access_drift()``.
"""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.cache import cache
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from cases import access, access_check, memberships, services
from cases.accounts import invitations
from cases.models import AuditEvent, Case, CaseGroupObjectPermission, Membership, Organisation
from cases.tokens import create_token
from disclosure.notifications.models import (
    Channel,
    EmailWhen,
    KindPreference,
    Notification,
    Status,
)
from disclosure.notifications.services import send_all_pending
from tests.access_drift import assert_no_access_drift
from tests.factories import make_organisation, make_user
from tests.scenario import embargo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttles() -> Any:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def embargoed(case: Case) -> Case:
    embargo(case)
    return case


@pytest.fixture
def staff(db: Any) -> Any:
    return make_user("staff", is_staff=True, is_superuser=True)


@pytest.fixture
def org_admin(maintainer_org: Organisation) -> Any:
    user = make_user("maintadmin")
    maintainer_org.add_member(user, role=Membership.Role.ADMIN)
    return user


class Person:
    """One user with a signed-in browser and an API token, both made before the change."""

    def __init__(self, user: Any) -> None:
        self.user = user
        self.web = Client()
        self.web.force_login(user)
        self.api = APIClient()
        _, secret = create_token(user, name="test", days=30)
        self.api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")

    def statuses(self, case: Case) -> tuple[int, int]:
        web = self.web.get(reverse("cases:case_detail", args=[case.reference]))
        api = self.api.get(f"/api/v1/cases/{case.reference}/")
        return web.status_code, api.status_code

    def my_organisations(self) -> list[str]:
        return [o["slug"] for o in self.api.get("/api/v1/me/").json()["organisations"]]


def _notified(user: Any, case: Case) -> int:
    return Notification.objects.filter(recipient=user, case=case).count()


def assert_locked_out(person: Person, case: Case, coordinator: Any) -> None:
    """404 by web and API; no organisation in /me/; no notification for the case."""
    assert person.statuses(case) == (404, 404)
    assert person.my_organisations() == []
    assert not access.access_for(person.user, case).can_view
    before = _notified(person.user, case)
    services.post_comment(case, coordinator, "After the removal.")
    assert _notified(person.user, case) == before
    assert_no_access_drift()


def _with_pending_mail(person: Person, case: Case, coordinator: Any) -> None:
    """The person can read the case and a notification email about it is queued."""
    assert person.statuses(case) == (200, 200)
    # Comments wait for the daily digest by default; this person wants them at once.
    KindPreference.objects.update_or_create(
        user=person.user, kind="comment.posted", defaults={"email_when": EmailWhen.NOW}
    )
    services.post_comment(case, coordinator, "Before the removal.")
    assert Notification.objects.filter(
        recipient=person.user, case=case, channel=Channel.EMAIL, status=Status.PENDING
    ).exists()


def _queued_mail_is_skipped(person: Person, case: Case) -> None:
    mail.outbox.clear()
    send_all_pending()
    assert not [m for m in mail.outbox if person.user.email in m.to]
    statuses = set(
        Notification.objects.filter(
            recipient=person.user, case=case, channel=Channel.EMAIL
        ).values_list("status", flat=True)
    )
    assert statuses == {Status.SKIPPED}


# --------------------------------------------------------------------------- admin forms


class _FormValues(HTMLParser):
    """The values a browser would submit from the admin's main form."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, list[str]] = {}
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            default = "on" if a.get("type") in ("checkbox", "radio") else ""
            self.data.setdefault(name, []).append(a.get("value", default))
        elif tag == "select":
            self.select = name
            self.data.setdefault(name or "", [])
        elif tag == "option" and self.select and "selected" in a:
            self.data[self.select].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self.textarea = name
            self.data[name] = [""]

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.data[self.textarea][0] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def admin_form(client: Client, url: str, form_id: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200
    parser = _FormValues(form_id)
    parser.feed(response.content.decode())
    # A select with nothing chosen sends nothing, as in a browser.
    return {k: v if len(v) > 1 else v[0] for k, v in parser.data.items() if v}


# --------------------------------------------------------------------------- removal paths


def _model_delete(member: Any, org: Organisation, **_: Any) -> None:
    Membership.objects.get(user=member, organisation=org).delete()


def _queryset_delete(member: Any, org: Organisation, **_: Any) -> None:
    Membership.objects.filter(user=member, organisation=org).delete()


def _remove_member(member: Any, org: Organisation, **_: Any) -> None:
    org.remove_member(member)


def _admin_changelist(member: Any, org: Organisation, staff: Any, **_: Any) -> None:
    pk = Membership.objects.get(user=member, organisation=org).pk
    c = Client()
    c.force_login(staff)
    response = c.post(
        reverse("admin:cases_membership_changelist"),
        {"action": "delete_selected", "_selected_action": [pk], "post": "yes"},
    )
    assert response.status_code == 302


def _admin_inline(member: Any, org: Organisation, staff: Any, **_: Any) -> None:
    pk = Membership.objects.get(user=member, organisation=org).pk
    c = Client()
    c.force_login(staff)
    url = reverse("admin:cases_organisation_change", args=[org.pk])
    data = admin_form(c, url, "organisation_form")
    (id_field,) = [k for k, v in data.items() if k.endswith("-id") and v == str(pk)]
    data[id_field.removesuffix("-id") + "-DELETE"] = "on"
    response = c.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]


def _admin_moves_membership(member: Any, org: Organisation, staff: Any, **_: Any) -> None:
    """Staff change the membership's organisation: the person leaves the old one."""
    elsewhere = make_organisation(Organisation.Kind.PARTNER, name="Elsewhere Ltd")
    pk = Membership.objects.get(user=member, organisation=org).pk
    c = Client()
    c.force_login(staff)
    url = reverse("admin:cases_membership_change", args=[pk])
    data = admin_form(c, url, "membership_form")
    data["organisation"] = str(elsewhere.pk)
    assert c.post(url, data).status_code == 302
    assert Membership.objects.get(pk=pk).organisation == elsewhere


def _org_admin_removes(member: Any, org: Organisation, org_admin: Any, **_: Any) -> None:
    _portal_remove(org_admin, member, org)


def _sirt_removes(member: Any, org: Organisation, coordinator: Any, **_: Any) -> None:
    _portal_remove(coordinator, member, org)


def _portal_remove(actor: Any, member: Any, org: Organisation) -> None:
    pk = Membership.objects.get(user=member, organisation=org).pk
    c = Client()
    c.force_login(actor)
    url = reverse("cases:member_remove", args=[org.slug, pk])
    page = c.get(url)
    assert page.status_code == 200
    assert b"lose access" in page.content
    assert c.post(url, {"confirm": "yes"}).status_code == 302
    event = AuditEvent.objects.get(action="organisation.member.removed")
    assert event.actor == actor
    assert event.object_id == str(member.pk)
    assert event.data == {"organisation": org.slug, "role": "member"}


REMOVALS: dict[str, Callable[..., None]] = {
    "model_delete": _model_delete,
    "queryset_delete": _queryset_delete,
    "remove_member": _remove_member,
    "admin_changelist_delete": _admin_changelist,
    "admin_inline_delete": _admin_inline,
    "admin_moves_membership": _admin_moves_membership,
    "org_admin_removes": _org_admin_removes,
    "sirt_removes": _sirt_removes,
}


@pytest.mark.parametrize("path", REMOVALS)
def test_a_removed_member_loses_the_organisations_embargoed_case_at_once(
    path: str,
    embargoed: Case,
    maintainer: Any,
    maintainer_org: Organisation,
    coordinator: Any,
    staff: Any,
    org_admin: Any,
) -> None:
    person = Person(maintainer)
    _with_pending_mail(person, embargoed, coordinator)
    assert person.my_organisations() == [maintainer_org.slug]

    REMOVALS[path](
        maintainer, maintainer_org, staff=staff, org_admin=org_admin, coordinator=coordinator
    )

    if path == "admin_moves_membership":
        assert person.statuses(embargoed) == (404, 404)
        assert person.my_organisations() == ["elsewhere-ltd"]
        assert_no_access_drift()
    else:
        assert_locked_out(person, embargoed, coordinator)
    _queued_mail_is_skipped(person, embargoed)
    # The organisation's other members keep their access.
    assert Person(org_admin).statuses(embargoed) == (200, 200)


def test_deactivation_in_the_admin_ends_access_and_notifications(
    embargoed: Case, maintainer: Any, coordinator: Any, staff: Any
) -> None:
    person = Person(maintainer)
    _with_pending_mail(person, embargoed, coordinator)
    c = Client()
    c.force_login(staff)
    url = reverse("admin:auth_user_change", args=[maintainer.pk])
    data = admin_form(c, url, "user_form")
    data.pop("is_active")
    response = c.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    web, api = person.statuses(embargoed)
    assert web == 302  # the session was ended: back to sign-in
    assert api == 401  # the token was ended
    before = _notified(maintainer, embargoed)
    services.post_comment(embargoed, coordinator, "After the deactivation.")
    assert _notified(maintainer, embargoed) == before
    _queued_mail_is_skipped(person, embargoed)
    assert_no_access_drift()


def test_deactivation_that_skips_the_signals_still_ends_access(
    embargoed: Case, maintainer: Any, coordinator: Any
) -> None:
    person = Person(maintainer)
    _with_pending_mail(person, embargoed, coordinator)

    get_user_model().objects.filter(pk=maintainer.pk).update(is_active=False)

    web, api = person.statuses(embargoed)
    assert web == 302
    assert api == 401
    maintainer.refresh_from_db()
    assert not access.access_for(maintainer, embargoed).can_view
    _queued_mail_is_skipped(person, embargoed)
    assert_no_access_drift()


@pytest.mark.parametrize("how", ["queryset", "model"])
def test_deleting_an_organisation_deletes_its_group_and_the_grants_it_held(
    embargoed: Case, how: str
) -> None:
    # An organisation that took part in a case keeps its history (PROTECT); one that
    # never did can go. Give its group a stray grant, as drift would, to see it go too.
    org = make_organisation(Organisation.Kind.DOWNSTREAM, name="Short Lived")
    member = make_user("shortlived", organisation=org)
    CaseGroupObjectPermission.objects.create(
        content_object=embargoed, group=org.group, permission=access._perm("view_case")
    )
    person = Person(member)
    assert list(Case.objects.visible_to(member)) == [embargoed]
    group_id = org.group_id

    if how == "model":
        org.delete()
    else:
        Organisation.objects.filter(pk=org.pk).delete()

    assert not Case.objects.visible_to(member).exists()
    assert person.statuses(embargoed) == (404, 404)
    assert person.my_organisations() == []
    assert not Group.objects.filter(pk=group_id).exists()
    assert_no_access_drift()


def test_an_organisation_in_a_case_cannot_be_deleted(
    embargoed: Case, maintainer: Any, maintainer_org: Organisation
) -> None:
    maintainer_org.projects.all().delete()
    with pytest.raises(ProtectedError):
        maintainer_org.delete()

    assert Person(maintainer).statuses(embargoed) == (200, 200)
    assert_no_access_drift()


def test_changing_a_members_role_keeps_their_access(
    embargoed: Case, maintainer: Any, maintainer_org: Organisation, org_admin: Any
) -> None:
    person = Person(maintainer)
    membership = Membership.objects.get(user=maintainer, organisation=maintainer_org)

    memberships.change_role(membership, Membership.Role.ADMIN, org_admin)

    assert person.statuses(embargoed) == (200, 200)
    assert access.can_manage_members(maintainer, maintainer_org)
    event = AuditEvent.objects.get(action="organisation.member.role_changed")
    assert event.data == {
        "organisation": maintainer_org.slug,
        "old_role": "member",
        "role": "admin",
    }
    assert_no_access_drift()


def test_a_user_put_in_an_organisations_group_gains_nothing_and_is_reported(
    embargoed: Case, outsider: Any, maintainer_org: Organisation
) -> None:
    outsider.groups.add(maintainer_org.group)

    assert Person(outsider).statuses(embargoed) == (404, 404)
    (drift,) = access_check.find_drift()
    assert drift.kind == access_check.GROUP_MEMBER


# --------------------------------------------------------------------------- joining


def test_a_sirt_membership_added_in_the_admin_makes_a_working_coordinator(
    embargoed: Case, sirt: Organisation, outsider: Any, staff: Any
) -> None:
    person = Person(outsider)
    assert person.statuses(embargoed) == (404, 404)
    c = Client()
    c.force_login(staff)
    url = reverse("admin:cases_membership_add")
    data = admin_form(c, url, "membership_form")
    data.update(user=str(outsider.pk), organisation=str(sirt.pk), role="member")
    assert c.post(url, data).status_code == 302

    web = Client()
    # A fresh user object, as each request loads: signed in with the second factor
    # SIRT members need (tests/otp.py).
    web.force_login(get_user_model().objects.get(pk=outsider.pk))
    assert web.get(reverse("cases:case_detail", args=[embargoed.reference])).status_code == 200
    assert person.api.get(f"/api/v1/cases/{embargoed.reference}/").status_code == 200
    me = person.api.get("/api/v1/me/").json()
    assert me["is_coordinator"] is True
    assert [o["slug"] for o in me["organisations"]] == [sirt.slug]
    assert not outsider.groups.exists()
    assert_no_access_drift()


def test_a_coordinator_removed_from_the_sirt_sees_nothing(
    embargoed: Case, sirt: Organisation, second_coordinator: Any, coordinator: Any
) -> None:
    person = Person(second_coordinator)
    assert person.statuses(embargoed) == (200, 200)

    Membership.objects.filter(user=second_coordinator, organisation=sirt).delete()

    assert person.statuses(embargoed) == (404, 404)
    assert person.my_organisations() == []
    assert_no_access_drift()


def test_an_accepted_invitation_makes_a_member_without_a_group(
    embargoed: Case, maintainer_org: Organisation, org_admin: Any
) -> None:
    _, link = memberships.invite_member(maintainer_org, "new@example.org", org_admin)
    token = link.rstrip("/").rsplit("/", 1)[-1]
    user = invitations.accept(token, username="newbie", password="correct-horse-battery-9")

    assert Person(user).statuses(embargoed) == (200, 200)
    assert not user.groups.exists()
    assert_no_access_drift()
