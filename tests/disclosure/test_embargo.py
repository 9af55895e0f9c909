"""Embargo clocks, proposals, breaks and the lift, travelling through time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cases.models import TransitionError
from disclosure import services
from disclosure.models import Embargo, EmbargoPolicy, EmbargoState, ProposalState
from tests.disclosure.conftest import MONDAY, actions

UTC = dt.UTC


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


# --------------------------------------------------------------------------- policy arithmetic


@pytest.mark.django_db
def test_standard_policy_is_ninety_days_at_noon_utc(policy: Any) -> None:
    # 2026-01-01 is a Thursday; 90 days later is Wednesday 2026-04-01.
    assert policy("standard").deadline_for(at(2026, 1, 1, 8, 15)) == at(2026, 4, 1, 12, 0)


@pytest.mark.django_db
def test_standard_deadline_on_a_saturday_moves_to_monday(policy: Any) -> None:
    # 2026-01-04 + 90 days = Saturday 2026-04-04.
    assert policy("standard").deadline_for(at(2026, 1, 4, 22, 0)) == at(2026, 4, 6, 12, 0)


@pytest.mark.django_db
def test_standard_deadline_on_a_sunday_moves_to_monday(policy: Any) -> None:
    assert policy("standard").deadline_for(at(2026, 1, 5, 7, 0)) == at(2026, 4, 6, 12, 0)


@pytest.mark.django_db
def test_weekend_rounding_moves_back_to_friday_when_monday_exceeds_the_maximum() -> None:
    strict = EmbargoPolicy.objects.create(
        code="strict",
        name="Strict",
        clock_start="report",
        default_days=5,
        max_days=5,
        skip_weekends=True,
    )
    # Monday + 5 days = Saturday; Monday would pass the 5-day maximum.
    assert strict.deadline_for(at(2026, 3, 2, 9, 0)) == at(2026, 3, 6, 9, 0)


@pytest.mark.django_db
def test_seeded_policies_carry_the_numbers_of_the_field(policy: Any) -> None:
    assert (policy("distros").default_days, policy("distros").max_days) == (14, 14)
    assert (policy("kernel").default_days, policy("kernel").max_days) == (7, 14)
    assert policy("kernel").clock_start == "fix"
    assert policy("exploited").default_days == 7
    assert policy("custom").needs_manual_deadline


# --------------------------------------------------------------------------- clocks


def test_starting_a_clock_activates_the_embargo_with_its_deadline(
    frozen: Any, case: Any, coordinator: Any, policy: Any
) -> None:
    clock = services.start_clock(
        case, coordinator, policy=policy("standard"), started_by="Report received"
    )

    embargo = Embargo.objects.get(case=case)
    # 2026-03-02 + 90 days = Sunday 2026-05-31 -> Monday 2026-06-01 12:00.
    assert clock.deadline == at(2026, 6, 1, 12, 0)
    assert embargo.state == EmbargoState.ACTIVE
    assert embargo.public_at == clock.deadline
    assert actions(case)[-3:] == [
        "case.embargo.clock_started",
        "case.embargo.activated",
        "case.embargo.date_changed",
    ]
    assert case.timeline.get(action="case.embargo.clock_started").data["started_by"] == (
        "Report received"
    )


def test_the_earliest_of_several_clocks_governs(
    frozen: Any, case: Any, coordinator: Any, policy: Any
) -> None:
    services.start_clock(
        case,
        coordinator,
        policy=policy("standard"),
        started_at=MONDAY - dt.timedelta(days=10),
        started_by="Report received",
    )
    distros = services.start_clock(
        case, coordinator, policy=policy("distros"), started_by="Posted to linux-distros"
    )

    embargo = Embargo.objects.get(case=case)
    assert embargo.public_at == distros.deadline == MONDAY + dt.timedelta(days=14)
    assert embargo.governing_clock() == distros
    assert len(embargo.running_clocks()) == 2


def test_stopping_the_governing_clock_hands_over_to_the_next(
    frozen: Any, case: Any, coordinator: Any, policy: Any
) -> None:
    standard = services.start_clock(
        case, coordinator, policy=policy("standard"), started_by="Report received"
    )
    distros = services.start_clock(
        case, coordinator, policy=policy("distros"), started_by="Posted to linux-distros"
    )

    services.stop_clock(distros, coordinator, reason="Posted by mistake, list admins deleted it")

    embargo = Embargo.objects.get(case=case)
    assert embargo.public_at == standard.deadline
    assert "case.embargo.clock_stopped" in actions(case)


def test_a_custom_clock_needs_a_deadline_chosen_by_hand(
    frozen: Any, case: Any, coordinator: Any, policy: Any
) -> None:
    with pytest.raises(ValidationError) as err:
        services.start_clock(case, coordinator, policy=policy("custom"), started_by="Agreed")
    assert "deadline" in err.value.message_dict

    clock = services.start_clock(
        case,
        coordinator,
        policy=policy("custom"),
        started_by="Agreed on a call",
        deadline=at(2026, 4, 1, 12, 0),
    )
    assert clock.deadline == at(2026, 4, 1, 12, 0)
    assert clock.latest is None


def test_a_clock_deadline_beyond_the_policy_maximum_is_refused(
    frozen: Any, case: Any, coordinator: Any, policy: Any
) -> None:
    with pytest.raises(ValidationError) as err:
        services.start_clock(
            case,
            coordinator,
            policy=policy("kernel"),
            started_by="Fix merged",
            deadline=MONDAY + dt.timedelta(days=15),
        )
    assert "deadline" in err.value.message_dict
    assert not Embargo.objects.filter(case=case, state=EmbargoState.ACTIVE).exists()


def test_a_clock_cannot_start_in_the_future(
    frozen: Any, case: Any, coordinator: Any, policy: Any
) -> None:
    with pytest.raises(ValidationError):
        services.start_clock(
            case,
            coordinator,
            policy=policy("distros"),
            started_by="Will post",
            started_at=MONDAY + dt.timedelta(hours=1),
        )


def test_only_coordinators_start_clocks(
    frozen: Any, case: Any, maintainer: Any, policy: Any
) -> None:
    with pytest.raises(PermissionDenied):
        services.start_clock(case, maintainer, policy=policy("standard"), started_by="Report")


def test_a_stricter_clock_started_later_supersedes_an_agreed_date(
    frozen: Any, case: Any, coordinator: Any, maintainer: Any, policy: Any
) -> None:
    services.start_clock(case, coordinator, policy=policy("standard"), started_by="Report")
    proposal = services.propose_date(
        case, maintainer, public_at=at(2026, 4, 15, 12, 0), reason="Release train"
    )
    services.accept_proposal(proposal, coordinator)
    assert Embargo.objects.get(case=case).public_at == at(2026, 4, 15, 12, 0)

    frozen.move_to(at(2026, 3, 10, 9, 0))
    services.start_clock(case, coordinator, policy=policy("distros"), started_by="Distros post")

    embargo = Embargo.objects.get(case=case)
    assert embargo.agreed_at is None
    assert embargo.public_at == at(2026, 3, 24, 9, 0)
    assert "case.embargo.agreement_superseded" in actions(case)


# --------------------------------------------------------------------------- proposals


def test_maintainer_proposes_partner_agrees_and_coordinator_accepts(
    frozen: Any, partner_case: Any, coordinator: Any, maintainer: Any, partner: Any, policy: Any
) -> None:
    case = partner_case
    services.start_clock(case, coordinator, policy=policy("standard"), started_by="Report")
    proposal = services.propose_date(
        case, maintainer, public_at=at(2026, 4, 20, 12, 0), reason="Patch needs a week of QA"
    )
    response = services.respond_to_proposal(proposal, partner, stance="agree")
    accepted = services.accept_proposal(proposal, coordinator, reason="Fine by all")

    embargo = Embargo.objects.get(case=case)
    assert response.participant.organisation.name == "Partner Corp"
    assert accepted.state == ProposalState.ACCEPTED
    assert accepted.decided_by == coordinator
    assert embargo.public_at == embargo.agreed_at == at(2026, 4, 20, 12, 0)
    assert actions(case)[-4:] == [
        "case.embargo.proposed",
        "case.embargo.proposal_agreed",
        "case.embargo.proposal_accepted",
        "case.embargo.date_changed",
    ]


def test_an_objection_needs_a_comment_and_answering_again_replaces_the_answer(
    frozen: Any, partner_case: Any, maintainer: Any, partner: Any
) -> None:
    proposal = services.propose_date(
        partner_case, maintainer, public_at=at(2026, 4, 20, 12, 0), reason="QA"
    )
    with pytest.raises(ValidationError):
        services.respond_to_proposal(proposal, partner, stance="object")

    services.respond_to_proposal(proposal, partner, stance="object", comment="Too late for us")
    services.respond_to_proposal(proposal, partner, stance="agree")

    partner_answers = proposal.responses.filter(participant__organisation__name="Partner Corp")
    assert [r.stance for r in partner_answers] == ["agree"]
    assert actions(partner_case)[-2:] == [
        "case.embargo.proposal_objected",
        "case.embargo.proposal_agreed",
    ]


def test_accepting_beyond_a_policy_maximum_needs_an_override_and_a_reason(
    frozen: Any, case: Any, coordinator: Any, maintainer: Any, policy: Any
) -> None:
    services.start_clock(case, coordinator, policy=policy("distros"), started_by="Distros post")
    late = at(2026, 3, 20, 12, 0)  # distros maximum is 2026-03-16 09:00
    proposal = services.propose_date(case, maintainer, public_at=late, reason="Need more time")
    assert case.timeline.get(action="case.embargo.proposed").data["exceeds_limit"] is True

    with pytest.raises(ValidationError) as err:
        services.accept_proposal(proposal, coordinator)
    assert "override" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.accept_proposal(proposal, coordinator, override=True)
    assert "override_reason" in err.value.message_dict

    services.accept_proposal(
        proposal, coordinator, override=True, override_reason="Distros agreed on the list"
    )
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.ACCEPTED
    assert proposal.override and proposal.override_reason == "Distros agreed on the list"
    assert Embargo.objects.get(case=case).public_at == late
    entry = case.timeline.get(action="case.embargo.proposal_accepted")
    assert entry.data["override"] is True


def test_accepting_within_the_maximum_records_no_override(
    frozen: Any, case: Any, coordinator: Any, maintainer: Any, policy: Any
) -> None:
    services.start_clock(case, coordinator, policy=policy("distros"), started_by="Distros post")
    proposal = services.propose_date(
        case, maintainer, public_at=at(2026, 3, 12, 12, 0), reason="Earlier is fine"
    )
    services.accept_proposal(proposal, coordinator, override=True, override_reason="ignored")
    proposal.refresh_from_db()
    assert proposal.override is False and proposal.override_reason == ""


def test_accepting_one_proposal_rejects_the_other_open_ones(
    frozen: Any, case: Any, coordinator: Any, maintainer: Any
) -> None:
    first = services.propose_date(case, maintainer, public_at=at(2026, 4, 1, 12), reason="A")
    second = services.propose_date(case, coordinator, public_at=at(2026, 4, 8, 12), reason="B")
    services.respond_to_proposal(second, maintainer, stance="agree")

    services.accept_proposal(second, coordinator)

    first.refresh_from_db()
    assert first.state == ProposalState.REJECTED
    assert first.decision_reason == f"Superseded by proposal #{second.pk}."
    # Without a clock, an accepted proposal alone starts the embargo.
    assert Embargo.objects.get(case=case).state == EmbargoState.ACTIVE


def test_coordinator_rejects_with_a_reason_and_the_date_stays(
    frozen: Any, case: Any, coordinator: Any, maintainer: Any, policy: Any
) -> None:
    clock = services.start_clock(case, coordinator, policy=policy("standard"), started_by="R")
    proposal = services.propose_date(case, maintainer, public_at=at(2026, 7, 1, 12), reason="X")
    with pytest.raises(ValidationError):
        services.reject_proposal(proposal, coordinator, reason=" ")

    services.reject_proposal(proposal, coordinator, reason="Too long for a critical flaw")

    proposal.refresh_from_db()
    assert proposal.state == ProposalState.REJECTED
    assert Embargo.objects.get(case=case).public_at == clock.deadline
    assert actions(case)[-1] == "case.embargo.proposal_rejected"
    with pytest.raises(TransitionError):
        services.accept_proposal(proposal, coordinator)


def test_the_proposer_withdraws_but_another_maintainer_cannot(
    frozen: Any, case: Any, maintainer: Any, maintainer_org: Any
) -> None:
    from tests.factories import make_user

    colleague = make_user("colleague")
    proposal = services.propose_date(case, maintainer, public_at=at(2026, 5, 1, 12), reason="X")
    with pytest.raises(PermissionDenied):
        services.withdraw_proposal(proposal, colleague)

    services.withdraw_proposal(proposal, maintainer)
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.WITHDRAWN
    assert actions(case)[-1] == "case.embargo.proposal_withdrawn"


def test_a_proposal_in_the_past_is_refused(frozen: Any, case: Any, maintainer: Any) -> None:
    with pytest.raises(ValidationError) as err:
        services.propose_date(case, maintainer, public_at=at(2026, 3, 1, 12), reason="X")
    assert "public_at" in err.value.message_dict


def test_a_proposal_whose_date_passed_cannot_be_accepted(
    frozen: Any, case: Any, coordinator: Any, maintainer: Any
) -> None:
    proposal = services.propose_date(case, maintainer, public_at=at(2026, 3, 3, 12), reason="X")
    frozen.move_to(at(2026, 3, 4, 9))
    with pytest.raises(ValidationError):
        services.accept_proposal(proposal, coordinator)


def test_partners_and_reporters_cannot_propose(
    frozen: Any, partner_case: Any, partner: Any, reporter: Any
) -> None:
    for user in (partner, reporter):
        with pytest.raises(PermissionDenied):
            services.propose_date(partner_case, user, public_at=at(2026, 5, 1, 12), reason="X")


def test_maintainers_cannot_accept_or_reject(frozen: Any, case: Any, maintainer: Any) -> None:
    proposal = services.propose_date(case, maintainer, public_at=at(2026, 5, 1, 12), reason="X")
    with pytest.raises(PermissionDenied):
        services.accept_proposal(proposal, maintainer)
    with pytest.raises(PermissionDenied):
        services.reject_proposal(proposal, maintainer, reason="no")


def test_reporters_and_coordinators_do_not_answer_proposals(
    frozen: Any, case: Any, maintainer: Any, reporter: Any, coordinator: Any
) -> None:
    proposal = services.propose_date(case, maintainer, public_at=at(2026, 5, 1, 12), reason="X")
    for user in (reporter, coordinator):
        with pytest.raises(PermissionDenied):
            services.respond_to_proposal(proposal, user, stance="agree")


# --------------------------------------------------------------------------- break and lift


def test_breaking_the_embargo_makes_it_public_now_and_rejects_open_proposals(
    frozen: Any, case: Any, coordinator: Any, maintainer: Any, policy: Any
) -> None:
    services.start_clock(case, coordinator, policy=policy("standard"), started_by="Report")
    proposal = services.propose_date(case, maintainer, public_at=at(2026, 7, 1, 12), reason="X")

    embargo = services.break_embargo(
        case, coordinator, kind="exploited", reason="Exploit seen in the wild by a partner"
    )

    proposal.refresh_from_db()
    assert embargo.state == EmbargoState.BROKEN
    assert embargo.public_at == MONDAY
    assert embargo.has_lifted()
    assert proposal.state == ProposalState.REJECTED
    entry = case.timeline.get(action="case.embargo.broken")
    assert entry.data["kind"] == "exploited"
    assert entry.data["reason"] == "Exploit seen in the wild by a partner"
    assert not Embargo.objects.get(case=case).is_active


def test_a_break_with_grace_lifts_only_when_the_grace_is_over(
    frozen: Any, case: Any, coordinator: Any, policy: Any
) -> None:
    services.start_clock(case, coordinator, policy=policy("standard"), started_by="Report")
    embargo = services.break_embargo(
        case, coordinator, kind="leak", reason="Patch leaked on a mailing list", grace_hours=4
    )

    assert embargo.public_at == MONDAY + dt.timedelta(hours=4)
    assert not embargo.has_lifted()
    assert embargo.has_lifted(now=MONDAY + dt.timedelta(hours=4))


def test_a_break_needs_a_reason_and_an_active_embargo(
    frozen: Any, case: Any, coordinator: Any, maintainer: Any, policy: Any
) -> None:
    with pytest.raises(TransitionError):
        services.break_embargo(case, coordinator, kind="leak", reason="Leaked")
    services.start_clock(case, coordinator, policy=policy("standard"), started_by="Report")
    with pytest.raises(ValidationError):
        services.break_embargo(case, coordinator, kind="leak", reason="")
    with pytest.raises(ValidationError):
        services.break_embargo(case, coordinator, kind="leak", reason="x", grace_hours=200)
    with pytest.raises(PermissionDenied):
        services.break_embargo(case, maintainer, kind="leak", reason="Leaked")
    services.break_embargo(case, coordinator, kind="fix_public", reason="Fix pushed publicly")
    with pytest.raises(TransitionError):
        services.break_embargo(case, coordinator, kind="leak", reason="Again")


def test_lift_before_at_and_after_the_public_date(
    frozen: Any, case: Any, coordinator: Any, policy: Any
) -> None:
    clock = services.start_clock(
        case, coordinator, policy=policy("distros"), started_by="Distros post"
    )
    embargo = Embargo.objects.get(case=case)

    frozen.move_to(clock.deadline - dt.timedelta(seconds=1))
    assert services.lift_due_embargoes() == 0
    assert not embargo.has_lifted()
    assert Embargo.objects.get(case=case).state == EmbargoState.ACTIVE

    frozen.move_to(clock.deadline)
    assert Embargo.objects.get(case=case).has_lifted()  # due, before the sweep ran
    assert services.lift_due_embargoes() == 1
    embargo.refresh_from_db()
    assert embargo.state == EmbargoState.LIFTED
    assert embargo.lifted_at == clock.deadline
    assert actions(case)[-1] == "case.embargo.lifted"

    frozen.move_to(clock.deadline + dt.timedelta(days=1))
    assert services.lift_due_embargoes() == 0
    assert services.lift_embargo(embargo) is False
    assert case.timeline.filter(action="case.embargo.lifted").count() == 1


def test_lift_is_a_no_op_for_embargoes_without_a_date_or_already_broken(
    frozen: Any, case: Any, coordinator: Any, policy: Any
) -> None:
    embargo = services.get_or_create_embargo(case)
    assert services.lift_embargo(embargo) is False
    assert not embargo.has_lifted()
    services.start_clock(case, coordinator, policy=policy("standard"), started_by="Report")
    services.break_embargo(case, coordinator, kind="leak", reason="Leaked")
    frozen.move_to(at(2027, 1, 1))
    assert services.lift_due_embargoes() == 0
    assert Embargo.objects.get(case=case).state == EmbargoState.BROKEN


def test_nothing_changes_on_a_lifted_embargo(
    frozen: Any, case: Any, coordinator: Any, maintainer: Any, policy: Any
) -> None:
    clock = services.start_clock(case, coordinator, policy=policy("distros"), started_by="D")
    frozen.move_to(clock.deadline)
    services.lift_due_embargoes()
    with pytest.raises(TransitionError):
        services.propose_date(case, maintainer, public_at=at(2026, 5, 1), reason="X")
    with pytest.raises(TransitionError):
        services.start_clock(case, coordinator, policy=policy("standard"), started_by="R")


def test_a_report_started_clock_runs_from_the_first_report_by_default(
    frozen: Any, case: Any, coordinator: Any, policy: Any
) -> None:
    frozen.move_to(MONDAY + dt.timedelta(days=3))

    standard = services.start_clock(case, coordinator, policy=policy("standard"), started_by="R")
    distros = services.start_clock(case, coordinator, policy=policy("distros"), started_by="D")

    assert standard.started_at == MONDAY  # when the report arrived
    assert distros.started_at == MONDAY + dt.timedelta(days=3)  # now
