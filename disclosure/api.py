"""REST API of the disclosure app: embargo, release plan, advisories (notifications and
webhooks: ``disclosure.notifications.api``). Registered on the one router in
``akrites/api_urls.py``. The case always comes from ``cases.access.get_case_for`` (404
invisible, 403 not allowed); every write calls the same ``disclosure`` service (or
form) the web UI calls.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from cases import access
from cases.access import CaseAccess
from cases.api import _expected_version, missing_version
from cases.api_common import (
    IdempotentPostMixin,
    StableCursorPagination,
    UpdatedSinceFilter,
)
from cases.api_schema import IF_MATCH_PARAMETER
from cases.models import Case
from cases.types import AuthenticatedRequest
from disclosure import services
from disclosure.access import reporting_organisations
from disclosure.advisories import services as advisory_services
from disclosure.models import (
    Advisory,
    AdvisoryRevision,
    Embargo,
    EmbargoClock,
    EmbargoProposal,
    PreNotification,
    ProjectRelease,
    ProposalResponse,
    ReleasePlan,
)
from disclosure.serializers import (
    AdvisoryDraftSerializer,
    AdvisoryEditSerializer,
    AdvisoryStepSerializer,
    DeploymentReportCreateSerializer,
    DeploymentSerializer,
    EmbargoSerializer,
    GateOverrideSerializer,
    ProjectReleaseSerializer,
    ProjectReleaseUpdateSerializer,
    ProposalAcceptSerializer,
    ProposalCreateSerializer,
    ProposalRespondSerializer,
    ProposalSerializer,
    PublicAdvisorySerializer,
    PublicationGateSerializer,
    ReleasePlanSerializer,
    empty_embargo,
)


class CaseAPIView(IdempotentPostMixin, APIView):
    """One resource inside one case, reached by the case reference."""

    request: AuthenticatedRequest  # the API's default permission: IsAuthenticated

    def case_and_access(self, action: str = "view_case") -> tuple[Case, CaseAccess]:
        cached = getattr(self, "_case_access", None)
        if cached is None:
            cached = access.get_case_for(self.request.user, self.kwargs["case_reference"])
            self._case_access = cached
        case, case_access = cached
        access.require(case_access, action)
        return case, case_access


# --------------------------------------------------------------------------- embargo


def _responses(case_access: CaseAccess) -> QuerySet:
    """Answers to date proposals, as the access module lets this user see them."""
    return case_access.visible_participant_rows(
        ProposalResponse.objects.select_related("participant__organisation", "participant__user")
    )


def _embargo_data(case: Case, case_access: CaseAccess) -> dict[str, Any]:
    embargo = (
        Embargo.objects.filter(case=case)
        .prefetch_related(
            Prefetch("clocks", queryset=EmbargoClock.objects.select_related("policy")),
            Prefetch("proposals", queryset=EmbargoProposal.objects.select_related("proposer")),
            Prefetch("proposals__responses", queryset=_responses(case_access)),
        )
        .first()
    )
    return EmbargoSerializer(embargo).data if embargo is not None else empty_embargo()


class EmbargoView(CaseAPIView):
    @extend_schema(tags=["embargo"], summary="The embargo of a case", responses=EmbargoSerializer)
    def get(self, request: AuthenticatedRequest, case_reference: str) -> Response:
        case, case_access = self.case_and_access()
        return Response(_embargo_data(case, case_access))


class ProposalCreateView(CaseAPIView):
    @extend_schema(
        tags=["embargo"],
        summary="Propose a public date",
        request=ProposalCreateSerializer,
        responses={201: ProposalSerializer},
    )
    def post(self, request: AuthenticatedRequest, case_reference: str) -> Response:
        case, _ = self.case_and_access("propose_embargo")
        serializer = ProposalCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        proposal = services.propose_date(
            case,
            request.user,
            public_at=serializer.validated_data["public_at"],
            reason=serializer.validated_data["reason"],
        )
        return Response(ProposalSerializer(proposal).data, status=status.HTTP_201_CREATED)


class ProposalRespondView(CaseAPIView):
    @extend_schema(
        tags=["embargo"],
        summary="Agree or object to a proposed date",
        request=ProposalRespondSerializer,
        responses={200: ProposalSerializer},
        parameters=[OpenApiParameter("proposal_id", int, OpenApiParameter.PATH)],
    )
    def post(
        self, request: AuthenticatedRequest, case_reference: str, proposal_id: int
    ) -> Response:
        case, _ = self.case_and_access("comment_case")
        proposal = get_object_or_404(EmbargoProposal, pk=proposal_id, embargo__case=case)
        serializer = ProposalRespondSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.respond_to_proposal(
            proposal,
            request.user,
            stance=serializer.validated_data["stance"],
            comment=serializer.validated_data["comment"],
        )
        proposal = EmbargoProposal.objects.prefetch_related(
            Prefetch("responses", queryset=_responses(self.case_and_access("comment_case")[1]))
        ).get(pk=proposal.pk)
        return Response(ProposalSerializer(proposal).data)


class ProposalAcceptView(CaseAPIView):
    @extend_schema(
        tags=["embargo"],
        summary="Accept a proposed date (coordinators): needs the agreement the policy asks "
        "for, or an override with a reason",
        request=ProposalAcceptSerializer,
        responses={200: ProposalSerializer},
        parameters=[OpenApiParameter("proposal_id", int, OpenApiParameter.PATH)],
    )
    def post(
        self, request: AuthenticatedRequest, case_reference: str, proposal_id: int
    ) -> Response:
        case, case_access = self.case_and_access("manage_case")
        proposal = get_object_or_404(EmbargoProposal, pk=proposal_id, embargo__case=case)
        serializer = ProposalAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.accept_proposal(
            proposal,
            request.user,
            override=data["override"],
            override_reason=data["override_reason"],
            reason=data["reason"],
        )
        proposal = EmbargoProposal.objects.prefetch_related(
            Prefetch("responses", queryset=_responses(case_access))
        ).get(pk=proposal.pk)
        return Response(ProposalSerializer(proposal).data)


# --------------------------------------------------------------------------- release


def _plan_response(case: Case) -> dict[str, Any]:
    plan = (
        ReleasePlan.objects.filter(case=case)
        .prefetch_related(
            Prefetch("project_releases", queryset=ProjectRelease.objects.select_related("project")),
            Prefetch(
                "pre_notifications", queryset=PreNotification.objects.select_related("organisation")
            ),
        )
        .first()
    )
    deployments = services.deployment_overview(case, plan)
    gate = services.publication_gate(case, plan)
    if plan is None:
        return {
            "target_at": None,
            "proposed_target_at": None,
            "fixed_at": None,
            "released_at": None,
            "projects": [],
            "pre_notifications": [],
            "deployments": DeploymentSerializer(deployments, many=True).data,
            "publication_gate": PublicationGateSerializer(gate).data,
            "updated_at": None,
            "version": 0,
        }
    return ReleasePlanSerializer(plan, context={"deployments": deployments, "gate": gate}).data


class PublicationGateOverrideView(CaseAPIView):
    @extend_schema(
        tags=["release"],
        summary="Override the release gate (coordinators): allow publication before every "
        "fix is released, with a reason; participants are told",
        request=GateOverrideSerializer,
        responses={201: PublicationGateSerializer},
    )
    def post(self, request: AuthenticatedRequest, case_reference: str) -> Response:
        case, _ = self.case_and_access("manage_case")
        serializer = GateOverrideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.override_publication_gate(
            case, request.user, reason=serializer.validated_data["reason"]
        )
        return Response(
            PublicationGateSerializer(services.publication_gate(case)).data,
            status=status.HTTP_201_CREATED,
        )


class PublicationGateRevokeView(CaseAPIView):
    @extend_schema(
        tags=["release"],
        summary="Revoke the override of the release gate (coordinators)",
        request=None,
        responses={200: PublicationGateSerializer},
    )
    def post(self, request: AuthenticatedRequest, case_reference: str) -> Response:
        case, _ = self.case_and_access("manage_case")
        services.revoke_publication_override(case, request.user)
        return Response(PublicationGateSerializer(services.publication_gate(case)).data)


class ReleaseView(CaseAPIView):
    @extend_schema(
        tags=["release"],
        summary="The release plan: projects, pre-notifications, deployments",
        responses=ReleasePlanSerializer,
    )
    def get(self, request: AuthenticatedRequest, case_reference: str) -> Response:
        case, _ = self.case_and_access()
        return Response(_plan_response(case))


class ProjectReleaseView(CaseAPIView):
    @extend_schema(
        tags=["release"],
        summary="Update my project's release (maintainers; coordinators any project)",
        request=ProjectReleaseUpdateSerializer,
        responses=ProjectReleaseSerializer,
        parameters=[OpenApiParameter("release_id", int, OpenApiParameter.PATH), IF_MATCH_PARAMETER],
    )
    def patch(
        self, request: AuthenticatedRequest, case_reference: str, release_id: int
    ) -> Response:
        case, _ = self.case_and_access("update_release")
        release = get_object_or_404(
            ProjectRelease.objects.select_related("project", "plan__case"),
            pk=release_id,
            plan__case=case,
        )
        serializer = ProjectReleaseUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        expected = _expected_version(request, data.get("version"))
        if expected is None:
            raise missing_version()
        updated = services.update_project_release(
            release,
            request.user,
            fixed_versions=data.get("fixed_versions"),
            fix_url=data.get("fix_url", release.fix_url),
            status=data.get("status", release.status),
            expected_version=expected,
        )
        updated = ProjectRelease.objects.select_related("project").get(pk=updated.pk)
        response = Response(ProjectReleaseSerializer(updated).data)
        response["ETag"] = f'"{updated.version}"'
        return response


class DeploymentView(CaseAPIView):
    @extend_schema(
        tags=["release"],
        summary="Report my organisation's deployment status (partners, downstream)",
        request=DeploymentReportCreateSerializer,
        responses={200: DeploymentSerializer},
    )
    def post(self, request: AuthenticatedRequest, case_reference: str) -> Response:
        case, case_access = self.case_and_access("report_deployment")
        serializer = DeploymentReportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        allowed = reporting_organisations(case_access)
        if data.get("organisation"):
            organisation = allowed.filter(slug=data["organisation"]).first()
        else:
            choices = list(allowed[:2])
            organisation = choices[0] if len(choices) == 1 else None
        if organisation is None:
            from rest_framework.exceptions import ValidationError

            raise ValidationError(
                {"organisation": ["Name one of your organisations taking part in this case."]}
            )
        services.report_deployment(
            case, request.user, organisation=organisation, status=data["status"], note=data["note"]
        )
        row = next(
            r for r in services.deployment_overview(case) if r.organisation.pk == organisation.pk
        )
        return Response(DeploymentSerializer(row).data)


class PreNotificationAcknowledgeView(CaseAPIView):
    @extend_schema(
        tags=["release"],
        summary="Acknowledge my organisation's pre-notification",
        request=None,
        responses={200: ReleasePlanSerializer},
        parameters=[OpenApiParameter("pre_notification_id", int, OpenApiParameter.PATH)],
    )
    def post(
        self, request: AuthenticatedRequest, case_reference: str, pre_notification_id: int
    ) -> Response:
        case, _ = self.case_and_access()
        pn = get_object_or_404(PreNotification, pk=pre_notification_id, plan__case=case)
        services.acknowledge_pre_notification(pn, request.user)
        return Response(_plan_response(case))


# --------------------------------------------------------------------------- advisories


class CaseAdvisoryView(CaseAPIView):
    @extend_schema(
        tags=["advisories"],
        summary="The advisory draft of a case (pre-notified participants, under embargo)",
        responses=AdvisoryDraftSerializer,
    )
    def get(self, request: AuthenticatedRequest, case_reference: str) -> Response:
        case, _ = self.case_and_access("view_advisory_draft")
        advisory = get_object_or_404(Advisory, case=case)
        return Response(AdvisoryDraftSerializer(advisory).data)

    @extend_schema(
        tags=["advisories"],
        summary="Edit the advisory's working copy (coordinators; a draft, or a published "
        "advisory's next revision, submitted with the step submit_revision)",
        request=AdvisoryEditSerializer,
        responses=AdvisoryDraftSerializer,
        parameters=[IF_MATCH_PARAMETER],
    )
    def patch(self, request: AuthenticatedRequest, case_reference: str) -> Response:
        case, _ = self.case_and_access("manage_case")
        advisory = get_object_or_404(Advisory, case=case)
        serializer = AdvisoryEditSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        expected = _expected_version(request, data.pop("version", None))
        if expected is None:
            raise missing_version()
        edited = advisory_services.edit_advisory(
            advisory, request.user, expected_version=expected, **data
        )
        response = Response(AdvisoryDraftSerializer(edited).data)
        response["ETag"] = f'"{edited.version}"'
        return response


class CaseAdvisoryStepView(CaseAPIView):
    @extend_schema(
        tags=["advisories"],
        summary="One step of the advisory's review (coordinators): submit, approve, "
        "request_changes, recall, schedule, publish; on a published advisory "
        "submit_revision, request_withdrawal, approve, request_changes, publish, cancel_change",
        request=AdvisoryStepSerializer,
        responses=AdvisoryDraftSerializer,
        parameters=[OpenApiParameter("step", str, OpenApiParameter.PATH), IF_MATCH_PARAMETER],
    )
    def post(self, request: AuthenticatedRequest, case_reference: str, step: str) -> Response:
        case, _ = self.case_and_access("manage_case")
        if step not in advisory_services.STEPS:
            raise Http404("No such step.")
        advisory = get_object_or_404(Advisory, case=case)
        serializer = AdvisoryStepSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        expected = _expected_version(request, serializer.validated_data.get("version"))
        if expected is None:
            raise missing_version()
        advisory_services.take_step(
            advisory,
            request.user,
            step,
            expected_version=expected,
            reason=serializer.validated_data["reason"],
        )
        advisory = Advisory.objects.get(pk=advisory.pk)
        response = Response(AdvisoryDraftSerializer(advisory).data)
        response["ETag"] = f'"{advisory.version}"'
        return response


class PublicAdvisoryFilter(django_filters.FilterSet):
    updated_since = UpdatedSinceFilter(
        "published_at",
        method="filter_updated_since",
        help_text="Advisories published or revised at or after this moment (ISO 8601).",
    )

    class Meta:
        model = Advisory
        fields = ["updated_since"]

    def filter_updated_since(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        # A published revision is public news; edits of the working copy are not.
        revised = AdvisoryRevision.objects.filter(
            advisory=OuterRef("pk"), published_at__gte=value.astimezone(dt.UTC)
        )
        return queryset.filter(Exists(revised))


class PublishedAdvisoryPagination(StableCursorPagination):
    ordering = ("-published_at", "-id")


@extend_schema_view(
    list=extend_schema(tags=["advisories"], summary="Published advisories (anonymous)"),
    retrieve=extend_schema(tags=["advisories"], summary="One published advisory (anonymous)"),
)
class PublicAdvisoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Published advisories only; a draft does not exist here, for anyone."""

    permission_classes = [AllowAny]
    serializer_class = PublicAdvisorySerializer
    pagination_class = PublishedAdvisoryPagination
    lookup_field = "identifier"
    lookup_value_regex = r"[A-Za-z0-9-]+"
    filterset_class = PublicAdvisoryFilter
    search_fields = ["identifier"]
    ordering_fields = ["published_at"]

    def get_queryset(self) -> QuerySet:
        return Advisory.objects.published().prefetch_related("revisions")


# --------------------------------------------------------------------------- wiring


def register(router: DefaultRouter, case_prefix: str) -> None:
    """Add the disclosure viewsets to the API router."""
    router.register("advisories", PublicAdvisoryViewSet, basename="advisory")


def urlpatterns(case_prefix: str) -> list:
    """The case-level disclosure resources (single objects, not collections)."""
    from django.urls import re_path

    case = f"^{case_prefix}"
    return [
        re_path(rf"{case}/embargo/$", EmbargoView.as_view(), name="embargo"),
        re_path(
            rf"{case}/embargo/proposals/$", ProposalCreateView.as_view(), name="embargo-proposals"
        ),
        re_path(
            rf"{case}/embargo/proposals/(?P<proposal_id>\d+)/respond/$",
            ProposalRespondView.as_view(),
            name="embargo-respond",
        ),
        re_path(
            rf"{case}/embargo/proposals/(?P<proposal_id>\d+)/accept/$",
            ProposalAcceptView.as_view(),
            name="embargo-accept",
        ),
        re_path(rf"{case}/release/$", ReleaseView.as_view(), name="release"),
        re_path(
            rf"{case}/release/projects/(?P<release_id>\d+)/$",
            ProjectReleaseView.as_view(),
            name="release-project",
        ),
        re_path(rf"{case}/release/deployment/$", DeploymentView.as_view(), name="deployment"),
        re_path(
            rf"{case}/release/gate/override/$",
            PublicationGateOverrideView.as_view(),
            name="publication-gate-override",
        ),
        re_path(
            rf"{case}/release/gate/override/revoke/$",
            PublicationGateRevokeView.as_view(),
            name="publication-gate-revoke",
        ),
        re_path(
            rf"{case}/release/pre-notifications/(?P<pre_notification_id>\d+)/acknowledge/$",
            PreNotificationAcknowledgeView.as_view(),
            name="pre-notification-acknowledge",
        ),
        re_path(rf"{case}/advisory/$", CaseAdvisoryView.as_view(), name="case-advisory"),
        re_path(
            rf"{case}/advisory/steps/(?P<step>[a-z_]+)/$",
            CaseAdvisoryStepView.as_view(),
            name="case-advisory-step",
        ),
    ]
