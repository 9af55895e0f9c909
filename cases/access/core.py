"""Who a user is to the portal and which cases they see.

- ``is_sirt``: SIRT members coordinate every case.
- ``filter_visible`` / ``visible_cases``: the cases a user sees (their grants).
- ``member_organisation_ids`` and ``participant_rows_q``: the one answer to "which
  organisations is this user in" and "which participant rows stand for this user".
- ``roles_for`` / ``roles_by_case``: the roles those rows give on one case or many.
- ``visible_reports``, ``visible_report_batches``: the SIRT sees all, others their own.
- ``sirt_required``: the one answer (404) for pages only the SIRT has.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpRequest, HttpResponseBase

from cases.access.roles import Role
from cases.models import (
    Case,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Membership,
    Organisation,
    Participant,
    Report,
    ReportBatch,
)
from cases.types import AnyUser

# Any queryset: ``filter_visible`` returns the kind it is given.
_QS = TypeVar("_QS", bound=models.QuerySet)


def is_sirt(user: AnyUser | None) -> bool:
    """SIRT coordinators: active members of a SIRT organisation."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    cached = getattr(user, "_akrites_is_sirt", None)
    if cached is None:
        cached = user.memberships.filter(organisation__kind=Organisation.Kind.SIRT).exists()
        # A cache for this request on the user object, which has no such attribute.
        user._akrites_is_sirt = cached  # type: ignore[attr-defined]
    return cached


# A view function of any signature; ``sirt_required`` keeps it.
_View = TypeVar("_View", bound=Callable[..., HttpResponseBase])


def sirt_required(view: _View) -> _View:
    """Pages only the SIRT has (the audit trail, invitations, metrics, delivery
    failures): for anyone else they do not exist, a 404 exactly like a missing page,
    never a 403 that would confirm them. Stack it under ``@login_required`` (anonymous
    visitors are sent to sign in, as everywhere)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_sirt(request.user):
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    # functools.wraps makes the wrapper pass for the view; the types see only the wrapper.
    return wrapped  # type: ignore[return-value]


def _perm(codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label="cases", codename=codename)


def filter_visible(queryset: _QS, user: AnyUser) -> _QS:
    """Restrict a Case queryset to what ``user`` may see."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if is_sirt(user):
        return queryset
    granted = RawSQL(_granted_case_ids_sql(), [user.pk, user.pk])  # noqa: S611 - bound params
    return queryset.filter(pk__in=granted)


@functools.cache
def _granted_case_ids_sql() -> str:
    """The ids of the cases a user holds ``view_case`` on, directly or through one of
    their organisations.

    An organisation's grants are held by its auth group, but who belongs to the
    organisation is read from ``Membership`` alone (joined through the group's
    organisation), never from ``auth_user_groups``: deleting a membership by any path
    (admin, queryset, cascade) ends the access on the next query, with nothing to keep
    in step (README, "Membership, groups and grants").

    One IN over a UNION, not two INs joined by OR: with OR, PostgreSQL checks every
    case row against both lists, so the cost grows with all cases in the portal; with
    the union it fetches the granted cases by primary key, so the cost grows with
    what the user can see. The permission is a scalar subquery, evaluated once. The
    same query built with the ORM (two querysets, a Subquery and a union) cost 1.5 ms
    of Python per use, and a page uses it several times (bench/README.md). Plain SQL
    that SQLite runs as well; table names come from the models, parameters are the
    user's id twice.
    """
    # Table names come from the models; the user's id is a bound parameter.
    view_case = (
        f"(SELECT p.id FROM {Permission._meta.db_table} p"  # noqa: S608
        f" JOIN {ContentType._meta.db_table} ct ON ct.id = p.content_type_id"
        " WHERE p.codename = 'view_case' AND ct.app_label = 'cases')"
    )
    user_table = CaseUserObjectPermission._meta.db_table
    group_table = CaseGroupObjectPermission._meta.db_table
    organisations = Organisation._meta.db_table
    memberships = Membership._meta.db_table
    return (
        f"SELECT u.content_object_id FROM {user_table} u"  # noqa: S608
        f" WHERE u.user_id = %s AND u.permission_id = {view_case}"
        f" UNION SELECT g.content_object_id FROM {group_table} g"
        f" JOIN {organisations} o ON o.group_id = g.group_id"
        f" JOIN {memberships} m ON m.organisation_id = o.id"
        f" WHERE m.user_id = %s AND g.permission_id = {view_case}"
    )


def visible_cases(user: AnyUser) -> models.QuerySet[Case]:
    return filter_visible(Case.objects.all(), user)


# --------------------------------------------------------------------------- who a user is


def member_organisation_ids(user: AnyUser) -> models.QuerySet:
    """The ids of the organisations ``user`` belongs to, as a subquery (``__in``).

    Membership alone says who belongs to an organisation, never auth groups: the same
    source as ``filter_visible``, so roles, choices and visibility cannot disagree.
    """
    if not user.is_authenticated:
        return Membership.objects.none().values("organisation")
    return Membership.objects.filter(user=user).values("organisation")


def member_organisations(user: AnyUser) -> models.QuerySet[Organisation]:
    """The organisations ``user`` belongs to (for example, to report on behalf of)."""
    return Organisation.objects.filter(pk__in=member_organisation_ids(user))


def participant_rows_q(user: AnyUser, prefix: str = "") -> Q:
    """Participant rows that stand for ``user``: their own, or their organisations'.

    ``prefix`` reaches the participant through a relation (``"participant__"`` for the
    answers to a proposal). Nobody's rows for an anonymous visitor.
    """
    if not user.is_authenticated:
        return Q(pk__in=[])
    return Q(**{f"{prefix}user": user}) | Q(
        **{f"{prefix}organisation__in": member_organisation_ids(user)}
    )


def roles_for(user: AnyUser, case: Case) -> frozenset[str]:
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if is_sirt(user):
        return frozenset({Role.COORDINATOR})
    roles = (
        Participant.objects.active()
        .filter(case=case)
        .filter(participant_rows_q(user))
        .values_list("role", flat=True)
    )
    granted = set(roles)
    # Grants are the source of truth for visibility: without view_case, no roles.
    if granted and not filter_visible(Case.objects.filter(pk=case.pk), user).exists():
        return frozenset()
    return frozenset(granted)


def roles_by_case(user: AnyUser, case_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    """``roles_for`` for several visible cases at once, in one query (a page of a list)."""
    case_ids = list(case_ids)
    if not user.is_authenticated or not user.is_active:
        return dict.fromkeys(case_ids, frozenset())
    if is_sirt(user):
        return dict.fromkeys(case_ids, frozenset({Role.COORDINATOR}))
    roles: dict[int, set[str]] = {pk: set() for pk in case_ids}
    rows = (
        Participant.objects.active()
        .filter(case__in=case_ids)
        .filter(participant_rows_q(user))
        .values_list("case_id", "role")
    )
    for case_id, role in rows:
        roles[case_id].add(role)
    return {pk: frozenset(r) for pk, r in roles.items()}


# --------------------------------------------------------------------------- reports


def visible_reports(user: AnyUser) -> models.QuerySet[Report]:
    """SIRT sees every report; anyone else only the reports they submitted."""
    if not user.is_authenticated or not user.is_active:
        return Report.objects.none()
    if is_sirt(user):
        return Report.objects.all()
    return Report.objects.filter(reporter=user)


def visible_report_batches(user: AnyUser) -> models.QuerySet[ReportBatch]:
    """Batches of findings (``cases.batches``): the SIRT sees all, anyone else only the
    batches they submitted."""
    if not user.is_authenticated or not user.is_active:
        return ReportBatch.objects.none()
    if is_sirt(user):
        return ReportBatch.objects.all()
    return ReportBatch.objects.filter(submitted_by=user)
