"""Roles fit organisations: each kind takes its roles (``access.KIND_ROLES``); another
role needs a coordinator's override with a reason, recorded in the timeline."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cases import access, services
from cases.audit import AuditEvent
from cases.models import Case, Organisation, Participant, ParticipantRole
from cases.templatetags.portal import timeline_text
from tests.cases.test_readme import table_after
from tests.factories import make_case, make_organisation, make_project

pytestmark = pytest.mark.django_db

Role = ParticipantRole
Kind = Organisation.Kind
ROLES = [Role.MAINTAINER, Role.REPORTER, Role.PARTNER, Role.DOWNSTREAM]


def _added_entry(case: Case, organisation: Organisation) -> Any:
    return case.timeline.get(action="case.participant.added", data__organisation=organisation.name)


# --------------------------------------------------------------------------- the service


def test_a_partner_organisation_cannot_be_added_as_maintainer(
    case: Case, coordinator: Any, partner_org: Organisation, partner: Any
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.add_participant(
            case, coordinator, organisation=partner_org, role=Role.MAINTAINER, notify=False
        )

    assert "override" in refused.value.message_dict["role"][0]
    assert not case.participants.filter(organisation=partner_org).exists()
    assert not access.can_act(partner, case, "edit_vulnerability")
    assert not access.can_act(partner, case, "view_case")


@pytest.mark.parametrize("kind", [Kind.MAINTAINER, Kind.PARTNER, Kind.DOWNSTREAM])
@pytest.mark.parametrize("role", ROLES)
def test_each_kind_takes_exactly_its_roles_without_an_override(
    case: Case, coordinator: Any, kind: str, role: str
) -> None:
    organisation = make_organisation(kind)

    if role in access.KIND_ROLES[kind]:
        services.add_participant(
            case, coordinator, organisation=organisation, role=role, notify=False
        )
        assert "override_reason" not in _added_entry(case, organisation).data
    else:
        with pytest.raises(ValidationError):
            services.add_participant(
                case, coordinator, organisation=organisation, role=role, notify=False
            )
        assert not case.participants.filter(organisation=organisation).exists()


def test_a_coordinators_override_with_a_reason_is_recorded_in_the_timeline(
    case: Case, coordinator: Any, maintainer: Any
) -> None:
    distro = make_organisation(Kind.DOWNSTREAM, name="Example Linux")
    reason = "Example Linux maintains the only living fork of libexample."

    participant = services.add_participant(
        case,
        coordinator,
        organisation=distro,
        role=Role.MAINTAINER,
        notify=False,
        override_reason=f"  {reason} ",
    )

    assert participant.role == Role.MAINTAINER
    entry = _added_entry(case, distro)
    assert entry.data["override_reason"] == reason
    assert entry.actor == coordinator
    assert reason in timeline_text(entry)
    audited = AuditEvent.objects.filter(action="case.participant.added").first()
    assert audited is not None and audited.data["override_reason"] == reason


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_override_without_a_reason_is_refused(
    case: Case, coordinator: Any, partner_org: Organisation, reason: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.add_participant(
            case,
            coordinator,
            organisation=partner_org,
            role=Role.MAINTAINER,
            notify=False,
            override_reason=reason,
        )

    assert "override_reason" in refused.value.message_dict
    assert not case.participants.filter(organisation=partner_org).exists()


def test_only_a_coordinator_can_override(
    case: Case, maintainer: Any, partner_org: Organisation
) -> None:
    with pytest.raises(PermissionDenied):
        services.add_participant(
            case,
            maintainer,
            organisation=partner_org,
            role=Role.MAINTAINER,
            notify=False,
            override_reason="I say so.",
        )


def test_the_sirt_is_never_a_participant_not_even_by_override(
    case: Case, coordinator: Any, sirt: Organisation
) -> None:
    for role in ROLES:
        with pytest.raises(ValidationError):
            services.add_participant(
                case,
                coordinator,
                organisation=sirt,
                role=role,
                notify=False,
                override_reason="Just this once.",
            )
    assert not case.participants.filter(organisation=sirt).exists()


def test_no_organisation_and_no_outsider_is_a_coordinator_participant(
    case: Case, coordinator: Any, maintainer_org: Organisation, outsider: Any
) -> None:
    with pytest.raises(ValidationError):
        services.add_participant(
            case,
            coordinator,
            organisation=maintainer_org,
            role=Role.COORDINATOR,
            override_reason="x",
        )
    with pytest.raises(ValidationError):
        services.add_participant(case, coordinator, user=outsider, role=Role.COORDINATOR)


def test_a_merged_duplicate_keeps_an_overridden_role_and_says_why(
    coordinator: Any, project: Any, maintainer_org: Organisation, partner_org: Organisation
) -> None:
    first = make_case(coordinator, project=project, maintainers=maintainer_org)
    second = make_case(coordinator, project=project)
    services.add_participant(
        second,
        coordinator,
        organisation=partner_org,
        role=Role.MAINTAINER,
        notify=False,
        override_reason="They ship the patched build.",
    )

    services.mark_case_duplicate(second, first, coordinator)

    kept = first.participants.active().get(organisation=partner_org)
    assert kept.role == Role.MAINTAINER
    reason = _added_entry(first, partner_org).data["override_reason"]
    assert second.reference in reason


# --------------------------------------------------------------------------- the web form


def _add_url(case: Case) -> str:
    return reverse("cases:participant_add", args=[case.reference])


def test_the_form_refuses_a_role_that_does_not_fit_with_a_field_error(
    client_for: Any, coordinator: Any, case: Case, partner_org: Organisation
) -> None:
    response = client_for(coordinator).post(
        _add_url(case), {"organisation": partner_org.pk, "role": Role.MAINTAINER}
    )

    assert response.status_code == 400
    assert "override" in response.context["form"].errors["role"][0]
    assert not Participant.objects.filter(case=case, organisation=partner_org).exists()


def test_the_form_refuses_an_override_without_a_reason(
    client_for: Any, coordinator: Any, case: Case, partner_org: Organisation
) -> None:
    response = client_for(coordinator).post(
        _add_url(case),
        {"organisation": partner_org.pk, "role": Role.MAINTAINER, "override": "on"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["override_reason"]
    assert not Participant.objects.filter(case=case, organisation=partner_org).exists()


def test_the_form_accepts_an_override_with_a_reason_and_the_case_page_shows_it(
    client_for: Any, coordinator: Any, case: Case, partner_org: Organisation
) -> None:
    client = client_for(coordinator)
    reason = "Partner Corp took over maintenance of the 1.x branch."

    response = client.post(
        _add_url(case),
        {
            "organisation": partner_org.pk,
            "role": Role.MAINTAINER,
            "override": "on",
            "override_reason": reason,
        },
    )

    assert response.status_code == 302
    assert case.participants.active().get(organisation=partner_org).role == Role.MAINTAINER
    assert _added_entry(case, partner_org).data["override_reason"] == reason
    assert reason in client.get(case.get_absolute_url()).content.decode()


def test_the_form_lists_the_roles_of_each_kind(
    client_for: Any, coordinator: Any, case: Case
) -> None:
    page = client_for(coordinator).get(_add_url(case)).content.decode()

    assert "Industry partner: partner or reporter." in page
    assert 'name="override_reason"' in page


def test_a_fitting_role_needs_no_override(client_for: Any, coordinator: Any, case: Case) -> None:
    other = make_organisation(Kind.MAINTAINER)
    make_project(other)

    response = client_for(coordinator).post(
        _add_url(case), {"organisation": other.pk, "role": Role.DOWNSTREAM}
    )

    assert response.status_code == 302
    assert case.participants.active().get(organisation=other).role == Role.DOWNSTREAM


# --------------------------------------------------------------------------- the README


def test_the_readme_kind_by_role_table_is_the_one_in_the_code() -> None:
    in_readme = {
        row[0]: {r.strip() for r in row[1].split(",") if r.strip() in Role.values}
        for row in table_after("| organisation kind |")
    }

    assert in_readme == {kind: set(roles) for kind, roles in access.KIND_ROLES.items()}
