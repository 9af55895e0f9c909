"""Release plans, project releases, pre-notification, deployment reports and deadlines."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cases.models import Case, StaleEdit, TransitionError
from disclosure import services
from disclosure.models import (
    DeploymentStatus,
    PreNotification,
    ProjectRelease,
    ReleasePlan,
    ReleaseStatus,
)
from disclosure.models.release import working_days_before
from tests.disclosure.conftest import MONDAY, actions
from tests.disclosure.disc_factories import release_fix
from tests.factories import make_case

UTC = dt.UTC
# Friday 2026-03-13 14:00 UTC.
TARGET = dt.datetime(2026, 3, 13, 14, 0, tzinfo=UTC)


def plan_for(case: Case, coordinator: Any, target: dt.datetime | None = TARGET) -> ReleasePlan:
    return services.save_release_plan(case, coordinator, target_at=target, expected_version=None)


def test_five_working_days_before_skips_the_weekend() -> None:
    # Monday 2026-03-09 -> previous Monday 2026-03-02.
    monday = dt.datetime(2026, 3, 9, 12, tzinfo=UTC)
    assert working_days_before(monday, 5) == dt.datetime(2026, 3, 2, 12, tzinfo=UTC)
    # Wednesday -> Wednesday of the week before.
    wednesday = dt.datetime(2026, 3, 11, 12, tzinfo=UTC)
    assert working_days_before(wednesday, 5) == dt.datetime(2026, 3, 4, 12, tzinfo=UTC)


def test_planning_a_release_creates_one_entry_per_project(
    frozen: Any, case: Case, coordinator: Any
) -> None:
    plan = plan_for(case, coordinator)

    assert plan.target_at == TARGET
    assert [r.project.name for r in plan.project_releases.all()] == ["libexample"]
    assert plan.project_releases.get().status == ReleaseStatus.PLANNED
    assert actions(case)[-1] == "case.release.planned"


def test_a_stale_plan_edit_is_refused(frozen: Any, case: Case, coordinator: Any) -> None:
    plan = plan_for(case, coordinator)
    services.save_release_plan(
        case, coordinator, target_at=TARGET + dt.timedelta(days=1), expected_version=plan.version
    )
    with pytest.raises(StaleEdit):
        services.save_release_plan(
            case, coordinator, target_at=TARGET, expected_version=plan.version
        )


def test_only_coordinators_plan_the_release(frozen: Any, case: Case, maintainer: Any) -> None:
    with pytest.raises(PermissionDenied):
        plan_for(case, maintainer)


def test_maintainer_records_fix_and_release_of_their_project(
    frozen: Any, case: Case, coordinator: Any, maintainer: Any
) -> None:
    plan = plan_for(case, coordinator)
    release = plan.project_releases.get()

    services.update_project_release(
        release,
        maintainer,
        fixed_versions=["1.4.2"],
        fix_url="https://git.example.org/libexample/commit/abc",
        status=ReleaseStatus.READY,
        expected_version=release.version,
    )
    plan.refresh_from_db()
    assert plan.fixed_at == MONDAY and plan.released_at is None
    release.refresh_from_db()
    services.update_project_release(
        release,
        maintainer,
        fixed_versions=["1.4.2"],
        fix_url="https://git.example.org/libexample/commit/abc",
        status=ReleaseStatus.RELEASED,
        expected_version=release.version,
    )

    release.refresh_from_db()
    plan.refresh_from_db()
    assert release.status == ReleaseStatus.RELEASED and release.released_at == MONDAY
    assert plan.released_at == MONDAY
    assert actions(case)[-3:] == [
        "case.release.project_updated",
        "case.release.project_updated",
        "case.release.released",
    ]
    with pytest.raises(TransitionError):
        services.update_project_release(
            release,
            maintainer,
            fixed_versions=["1.4.2"],
            fix_url="",
            status=ReleaseStatus.READY,
            expected_version=release.version,
        )


def test_released_needs_a_fixed_version(frozen: Any, case: Case, coordinator: Any) -> None:
    release = plan_for(case, coordinator).project_releases.get()
    with pytest.raises(ValidationError) as err:
        services.update_project_release(
            release,
            coordinator,
            fixed_versions=[],
            fix_url="",
            status=ReleaseStatus.RELEASED,
            expected_version=None,
        )
    assert "fixed_versions" in err.value.message_dict


def test_a_maintainer_cannot_update_another_projects_release(
    frozen: Any,
    case: Case,
    coordinator: Any,
    other_maintainer: Any,
    other_maintainer_org: Any,
    other_project: Any,
) -> None:
    from cases import services as case_services

    case_services.add_project(case, coordinator, other_project)
    case_services.add_participant(
        case, coordinator, organisation=other_maintainer_org, role="maintainer", notify=False
    )
    plan = plan_for(case, coordinator)
    libexample = plan.project_releases.get(project__name="libexample")
    fastparse = plan.project_releases.get(project__name="fastparse")

    with pytest.raises(PermissionDenied):
        services.update_project_release(
            libexample,
            other_maintainer,
            fixed_versions=["9"],
            fix_url="",
            status=ReleaseStatus.READY,
            expected_version=None,
        )
    services.update_project_release(
        fastparse,
        other_maintainer,
        fixed_versions=None,
        fix_url="",
        status=ReleaseStatus.READY,
        expected_version=None,
    )
    # One of two projects ready: the plan is not fixed yet.
    plan.refresh_from_db()
    assert plan.fixed_at is None


def test_a_stale_project_release_edit_is_refused(
    frozen: Any, case: Case, coordinator: Any, maintainer: Any
) -> None:
    release = plan_for(case, coordinator).project_releases.get()
    old = release.version
    services.update_project_release(
        release,
        maintainer,
        fixed_versions=["1.4.2"],
        fix_url="",
        status="ready",
        expected_version=old,
    )
    with pytest.raises(StaleEdit):
        services.update_project_release(
            release,
            coordinator,
            fixed_versions=["1.4.3"],
            fix_url="",
            status="ready",
            expected_version=old,
        )
    assert ProjectRelease.objects.get(pk=release.pk).fixed_versions == ["1.4.2"]


def test_go_no_go_lists_what_is_not_ready(
    frozen: Any, deploy_case: Case, coordinator: Any, maintainer: Any, partner_org: Any
) -> None:
    plan = plan_for(deploy_case, coordinator, target=None)
    pn = services.add_pre_notification(deploy_case, coordinator, organisation=partner_org)

    blockers = ReleasePlan.objects.get(pk=plan.pk).blockers()
    assert "No target release time is set." in blockers
    assert "libexample: the fix is not ready yet." in blockers
    assert "Partner Corp: not pre-notified yet." in blockers

    services.save_release_plan(
        deploy_case, coordinator, target_at=TARGET, expected_version=plan.version
    )
    release = plan.project_releases.get()
    services.update_project_release(
        release,
        maintainer,
        fixed_versions=["1.4.2"],
        fix_url="https://git.example.org/pr/1",
        status="ready",
        expected_version=None,
    )
    services.mark_pre_notification_sent(pn, coordinator)
    assert ReleasePlan.objects.get(pk=plan.pk).blockers() == [
        "Partner Corp: pre-notification not acknowledged."
    ]


def test_pre_notification_defaults_to_five_working_days_before_and_follows_the_target(
    frozen: Any, deploy_case: Case, coordinator: Any, downstream_org: Any
) -> None:
    plan = plan_for(deploy_case, coordinator)
    pn = services.add_pre_notification(deploy_case, coordinator, organisation=downstream_org)
    # Friday 13 March -> Friday 6 March, same time.
    assert pn.notify_at == dt.datetime(2026, 3, 6, 14, 0, tzinfo=UTC)
    assert pn.notify_at_is_default

    services.save_release_plan(
        deploy_case,
        coordinator,
        target_at=dt.datetime(2026, 3, 18, 12, tzinfo=UTC),
        expected_version=plan.version,
    )
    pn.refresh_from_db()
    assert pn.notify_at == dt.datetime(2026, 3, 11, 12, tzinfo=UTC)


def test_a_chosen_pre_notification_date_stays_when_the_target_moves(
    frozen: Any, deploy_case: Case, coordinator: Any, partner_org: Any
) -> None:
    plan = plan_for(deploy_case, coordinator)
    chosen = dt.datetime(2026, 3, 3, 9, tzinfo=UTC)
    pn = services.add_pre_notification(
        deploy_case, coordinator, organisation=partner_org, notify_at=chosen
    )
    services.save_release_plan(
        deploy_case,
        coordinator,
        target_at=dt.datetime(2026, 3, 20, 12, tzinfo=UTC),
        expected_version=plan.version,
    )
    pn.refresh_from_db()
    assert pn.notify_at == chosen


def test_only_partner_or_downstream_participants_are_pre_notified(
    frozen: Any, case: Case, coordinator: Any, maintainer_org: Any, partner_org: Any
) -> None:
    plan_for(case, coordinator)
    for org in (maintainer_org, partner_org):  # the partner is not in this case
        with pytest.raises(ValidationError):
            services.add_pre_notification(case, coordinator, organisation=org)


def test_the_pre_notified_organisation_acknowledges_once_it_was_sent(
    frozen: Any,
    deploy_case: Case,
    coordinator: Any,
    partner: Any,
    downstream: Any,
    partner_org: Any,
) -> None:
    plan_for(deploy_case, coordinator)
    pn = services.add_pre_notification(deploy_case, coordinator, organisation=partner_org)
    with pytest.raises(TransitionError):
        services.acknowledge_pre_notification(pn, partner)
    services.mark_pre_notification_sent(pn, coordinator)
    with pytest.raises(PermissionDenied):
        services.acknowledge_pre_notification(pn, downstream)

    services.acknowledge_pre_notification(pn, partner)

    pn.refresh_from_db()
    assert pn.acknowledged_by == partner and pn.acknowledged_at == MONDAY
    assert actions(deploy_case)[-2:] == [
        "case.release.prenotification_sent",
        "case.release.prenotification_acknowledged",
    ]


def test_the_sweep_records_a_sent_pre_notification_once(
    frozen: Any, deploy_case: Case, coordinator: Any, partner_org: Any
) -> None:
    plan_for(deploy_case, coordinator)
    pn = services.add_pre_notification(deploy_case, coordinator, organisation=partner_org)
    assert services.record_pre_notification_sent(pn.pk) is True
    assert services.record_pre_notification_sent(pn.pk) is False
    assert PreNotification.objects.get(pk=pn.pk).sent_by is None
    assert deploy_case.timeline.filter(action="case.release.prenotification_sent").count() == 1


def test_partner_reports_deployment_and_the_history_is_on_the_timeline(
    frozen: Any,
    deploy_case: Case,
    coordinator: Any,
    maintainer: Any,
    partner: Any,
    partner_org: Any,
) -> None:
    plan = plan_for(deploy_case, coordinator)
    release = plan.project_releases.get()
    services.update_project_release(
        release,
        maintainer,
        fixed_versions=["1.4.2"],
        fix_url="",
        status="released",
        expected_version=None,
    )
    frozen.move_to(MONDAY + dt.timedelta(days=1))
    services.report_deployment(
        deploy_case, partner, organisation=partner_org, status=DeploymentStatus.IN_PROGRESS
    )
    frozen.move_to(MONDAY + dt.timedelta(days=3, hours=2))
    report = services.report_deployment(
        deploy_case,
        partner,
        organisation=partner_org,
        status=DeploymentStatus.DEPLOYED,
        note="All fleets patched",
    )

    assert report.status == DeploymentStatus.DEPLOYED
    assert report.deployed_at == MONDAY + dt.timedelta(days=3, hours=2)
    entries = deploy_case.timeline.filter(action="case.deployment.reported").order_by("id")
    assert [(e.data["from"], e.data["to"]) for e in entries] == [
        (None, "in_progress"),
        ("in_progress", "deployed"),
    ]
    rows = {
        r.organisation.name: r
        for r in services.deployment_overview(deploy_case, ReleasePlan.objects.get(pk=plan.pk))
    }
    assert rows["Partner Corp"].time_to_deploy == dt.timedelta(days=3, hours=2)
    assert rows["Example Linux"].status == DeploymentStatus.NOT_STARTED
    assert rows["Example Linux"].time_to_deploy is None


def test_who_may_report_deployment(
    frozen: Any,
    deploy_case: Case,
    coordinator: Any,
    maintainer: Any,
    partner: Any,
    downstream: Any,
    partner_org: Any,
    downstream_org: Any,
    maintainer_org: Any,
) -> None:
    release_fix(deploy_case, coordinator)  # "deployed" needs the fix released
    with pytest.raises(PermissionDenied):  # maintainers have no report_deployment
        services.report_deployment(
            deploy_case, maintainer, organisation=partner_org, status="deployed"
        )
    with pytest.raises(PermissionDenied):  # only for one's own organisation
        services.report_deployment(
            deploy_case, downstream, organisation=partner_org, status="deployed"
        )
    with pytest.raises(ValidationError):  # maintainers' organisations do not deploy here
        services.report_deployment(
            deploy_case, coordinator, organisation=maintainer_org, status="deployed"
        )
    # A coordinator records it for any deployer (after a phone call, say).
    services.report_deployment(
        deploy_case, coordinator, organisation=downstream_org, status="not_affected"
    )
    services.report_deployment(
        deploy_case, downstream, organisation=downstream_org, status="deployed"
    )


def test_deadline_queries_for_reminders(
    frozen: Any,
    deploy_case: Case,
    coordinator: Any,
    maintainer: Any,
    partner_org: Any,
    downstream_org: Any,
    policy: Any,
) -> None:
    services.start_clock(deploy_case, coordinator, policy=policy("distros"), started_by="D")
    plan = plan_for(deploy_case, coordinator)
    services.add_pre_notification(deploy_case, coordinator, organisation=partner_org)
    cases = Case.objects.all()

    assert [(d.kind, d.at) for d in services.upcoming_embargo_deadlines(cases)] == [
        ("embargo.public", MONDAY + dt.timedelta(days=14))
    ]
    assert [(d.kind, d.at) for d in services.upcoming_release_targets(cases)] == [
        ("release.target", TARGET)
    ]
    pre = services.upcoming_pre_notifications(cases)
    assert [(d.kind, d.at, d.organisation_id) for d in pre] == [
        ("prenotification.due", dt.datetime(2026, 3, 6, 14, tzinfo=UTC), partner_org.pk)
    ]
    assert services.upcoming_release_targets(cases, until=TARGET - dt.timedelta(days=1)) == []

    release = plan.project_releases.get()
    services.update_project_release(
        release,
        maintainer,
        fixed_versions=["1.4.2"],
        fix_url="",
        status="released",
        expected_version=None,
    )
    services.report_deployment(
        deploy_case, coordinator, organisation=downstream_org, status="deployed"
    )
    assert services.deployment_laggards(now=MONDAY + dt.timedelta(days=6)) == []
    laggards = services.deployment_laggards(now=MONDAY + dt.timedelta(days=8))
    assert [(d.reference, d.organisation_id, d.at) for d in laggards] == [
        (deploy_case.reference, partner_org.pk, MONDAY + dt.timedelta(days=7))
    ]
    assert services.upcoming_release_targets(cases) == []


def test_dashboard_lists_release_targets_and_pre_notification_dates(
    frozen: Any,
    deploy_case: Case,
    coordinator: Any,
    partner_org: Any,
    partner: Any,
    outsider: Any,
) -> None:
    from cases.dashboard import upcoming_deadlines

    plan_for(deploy_case, coordinator)
    services.add_pre_notification(deploy_case, coordinator, organisation=partner_org)

    # The coordinator sees both dates; the partner acts on neither (its own lines:
    # tests/disclosure/test_deadline_lines.py).
    kinds = [(d.kind, d.at) for d in upcoming_deadlines(coordinator, days=30)]
    assert ("release", TARGET) in kinds
    assert ("prenotification", dt.datetime(2026, 3, 6, 14, tzinfo=UTC)) in kinds
    partner_kinds = {d.kind for d in upcoming_deadlines(partner, days=30)}
    assert "release" not in partner_kinds and "prenotification" not in partner_kinds
    assert upcoming_deadlines(outsider, days=30) == []


def test_release_plan_of_a_case_without_projects_is_no_go(frozen: Any, coordinator: Any) -> None:
    case = make_case(coordinator)
    plan = plan_for(case, coordinator)
    assert "No project is part of the release." in plan.blockers()
