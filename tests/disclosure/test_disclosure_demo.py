"""The embargo and release demo data: the story of the embargoed libexample case."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from cases import access
from cases.models import Case
from disclosure import metrics
from disclosure.models import (
    Embargo,
    EmbargoClock,
    EmbargoProposal,
    EmbargoState,
    PreNotification,
    ProposalState,
    ReleasePlan,
)


@pytest.fixture
def seeded(db: Any, settings: Any, tmp_path: Any) -> None:
    from cases import demo as cases_demo
    from disclosure import demo

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path, "base_url": None},
        },
    }
    cases_demo.seed()
    demo.seed()


def test_the_embargoed_case_runs_two_clocks_and_the_distros_one_governs(seeded: None) -> None:
    case = Case.objects.get(title="Heap buffer overflow in libexample chunked decoder")
    embargo = case.embargo
    codes = sorted(c.policy.code for c in EmbargoClock.objects.filter(embargo=embargo))

    assert codes == ["distros", "standard"]
    assert embargo.state == EmbargoState.ACTIVE
    assert embargo.governing_clock().policy.code == "distros"
    assert embargo.public_at == embargo.governing_clock().deadline
    # The date first agreed (a proposal accepted) gave way to the distros clock ...
    agreed = embargo.proposals.get(state=ProposalState.ACCEPTED)
    assert embargo.agreed_at is None
    assert case.timeline.filter(action="case.embargo.agreement_superseded").exists()
    # ... and the maintainers propose to keep it, beyond the distros maximum.
    proposal = embargo.proposals.get(state=ProposalState.PROPOSED)
    assert proposal.public_at == agreed.public_at
    assert embargo.exceeds_limit(proposal.public_at)


def test_the_partner_is_pre_notified_on_the_one_case_under_embargo(seeded: None) -> None:
    case = Case.objects.get(title="Heap buffer overflow in libexample chunked decoder")
    partner = get_user_model().objects.get(username="partner")
    assert access.access_for(partner, case).roles == {"partner"}
    assert case.embargo.state == EmbargoState.ACTIVE
    assert case.embargo.public_at > case.created_at
    assert Embargo.objects.filter(state=EmbargoState.ACTIVE).count() == 1
    assert sum(c.is_under_embargo for c in Case.objects.all()) == 1


def test_the_release_is_planned_with_two_organisations_to_pre_notify(seeded: None) -> None:
    plan = ReleasePlan.objects.get(case__title="Heap buffer overflow in libexample chunked decoder")
    assert plan.target_at == plan.case.embargo.public_at
    assert plan.project_releases.get().fixed_versions == ["1.4.2"]
    names = set(
        PreNotification.objects.filter(plan=plan).values_list("organisation__name", flat=True)
    )
    assert names == {"Brightline Security", "Example Linux security team"}


def test_the_metrics_page_has_numbers_for_every_chart(seeded: None) -> None:
    assert all(m.count > 0 for m in metrics.all_metrics())


def test_seeding_again_changes_nothing(seeded: None) -> None:
    from disclosure import demo

    models = (EmbargoClock, EmbargoProposal, ReleasePlan, PreNotification, Case)
    before = [m.objects.count() for m in models]
    demo.seed()
    assert [m.objects.count() for m in models] == before
