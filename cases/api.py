"""REST API of the cases app (``/api/v1/``): me, organisations, reports, cases and what a
case holds. Querysets come from ``cases.access``; writes call ``cases.services``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import django_filters
from django.conf import settings
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from cases import access, services
from cases.access import CaseAccess
from cases.api_common import (
    IdempotentPostMixin,
    PayloadTooLarge,
    ReportSubmitThrottle,
    StableCursorPagination,
    StaleVersion,
    TokenRateThrottle,
    UpdatedSinceFilter,
    building_schema,
)
from cases.api_schema import IF_MATCH_PARAMETER
from cases.models import (
    Case,
    CaseState,
    Comment,
    Organisation,
    Participant,
    Report,
    ReportStatus,
    Severity,
    VendorStatus,
    Vulnerability,
)
from cases.serializers import (
    CaseDetailSerializer,
    CaseSerializer,
    CommentCreateSerializer,
    CommentSerializer,
    MeSerializer,
    OrganisationSerializer,
    ParticipantSerializer,
    ReportCreateSerializer,
    ReportSerializer,
    ReportSubmittedSerializer,
    VendorStatusSerializer,
    VendorStatusSetSerializer,
    VulnerabilitySerializer,
    case_list_items,
)
from cases.types import AuthenticatedRequest, User

MAX_FILES_PER_REPORT = 10


# --------------------------------------------------------------------------- me


@extend_schema(responses=MeSerializer, tags=["me"], operation_id="me_retrieve")
@api_view(["GET"])
def me(request: Request) -> Response:
    """The signed-in user (or the token's owner) and their organisations."""
    return Response(MeSerializer(request.user).data)


@extend_schema_view(
    list=extend_schema(tags=["me"], summary="My organisations"),
    retrieve=extend_schema(tags=["me"], summary="One of my organisations"),
)
class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    request: AuthenticatedRequest  # the API's default permission: IsAuthenticated
    serializer_class = OrganisationSerializer
    lookup_field = "slug"
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        if building_schema(self):
            return Organisation.objects.none()
        return access.member_organisations(self.request.user).order_by("name")


# --------------------------------------------------------------------------- reports


class ReportFilter(django_filters.FilterSet):
    updated_since = UpdatedSinceFilter()
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices)

    class Meta:
        model = Report
        fields = ["status", "package", "updated_since"]


@extend_schema_view(
    list=extend_schema(tags=["reports"], summary="Reports I submitted"),
    retrieve=extend_schema(tags=["reports"], summary="One of my reports"),
    create=extend_schema(
        tags=["reports"],
        summary="Submit a report",
        description=(
            "JSON, or multipart/form-data with files in `attachments` (repeat the field). "
            "The answer is the stored report (status `new`) and `next_steps`; it is the same "
            "whether or not the finding is already reported or under coordination. You "
            "learn that it is a duplicate only once a coordinator confirms it: a "
            "`report.duplicate_confirmed` notification and the report's `status` "
            "`duplicate` (with `case` when you may see that case). Sending the same report "
            "again returns the stored one with `duplicate_submission: true` and status 200. "
            "Submissions are limited per user (`API_THROTTLE_REPORT_SUBMIT`), one budget "
            "shared by all your tokens and the web form."
        ),
        request={
            "application/json": ReportCreateSerializer,
            "multipart/form-data": ReportCreateSerializer,
        },
        responses={201: ReportSubmittedSerializer, 200: ReportSubmittedSerializer},
    ),
)
class ReportViewSet(
    IdempotentPostMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Reports: coordinators see all of them, everybody else only their own."""

    request: AuthenticatedRequest  # the API's default permission: IsAuthenticated
    serializer_class = ReportSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_class = ReportFilter
    search_fields = ["title"]
    ordering_fields = ["updated_at", "received_at", "id"]
    throttle_classes = [TokenRateThrottle, ReportSubmitThrottle]

    def get_queryset(self) -> QuerySet:
        if building_schema(self):
            return Report.objects.none()
        return (
            access.visible_reports(self.request.user)
            .select_related("reporter_organisation", "case")
            .prefetch_related("attachments")
        )

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if not building_schema(self) and self.request.user.is_authenticated:
            context["visible_case_ids"] = _VisibleCaseIds(self.request.user)
        return context

    def get_serializer_class(self) -> type:
        return ReportCreateSerializer if self.action == "create" else ReportSerializer

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if request.method == "POST":
            limit = settings.MAX_UPLOAD_BYTES * MAX_FILES_PER_REPORT + 1024 * 1024
            if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
                raise PayloadTooLarge()
        super().initial(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        for upload in request.FILES.getlist("attachments"):
            if upload.size > settings.MAX_UPLOAD_BYTES:
                raise PayloadTooLarge(
                    f"{upload.name} is larger than the limit of {settings.MAX_UPLOAD_BYTES} bytes."
                )
        serializer = ReportCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        report, created = services.submit_report(
            reporter=self.request.user,
            title=data["title"],
            description=data["description"],
            organisation=data.get("organisation"),
            purl=data.get("purl", ""),
            vers=data.get("vers", ""),
            cwe=data.get("cwe", ""),
            cvss_vector=data.get("cvss_vector", ""),
            wants_credit=data.get("wants_credit", True),
            files=data.get("attachments", []),
        )
        report = self.get_queryset().get(pk=report.pk)
        # Nothing in the answer depends on other reports or cases (no duplicate check here).
        context = {**self.get_serializer_context(), "created": created}
        body = ReportSubmittedSerializer(report, context=context).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class _VisibleCaseIds:
    """Lazy ``in`` test against the cases a user may see, one query per page at most."""

    def __init__(self, user: User) -> None:
        self.user = user
        self._ids: set[int] | None = None

    def __contains__(self, case_id: object) -> bool:
        if access.is_sirt(self.user):
            return True
        if self._ids is None:
            # Only cases that hold one of the user's reports: bounded by their reports.
            self._ids = set(
                Case.objects.visible_to(self.user)
                .filter(reports__in=access.visible_reports(self.user))
                .values_list("pk", flat=True)
            )
        return case_id in self._ids


# --------------------------------------------------------------------------- cases


class CaseFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=CaseState.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    project = django_filters.CharFilter(
        field_name="projects__slug", help_text="Project slug.", distinct=True
    )
    updated_since = UpdatedSinceFilter()

    class Meta:
        model = Case
        fields = ["state", "severity", "project", "updated_since"]


@extend_schema_view(
    list=extend_schema(tags=["cases"], summary="Cases I can see"),
    retrieve=extend_schema(tags=["cases"], summary="One case, by reference"),
)
class CaseViewSet(viewsets.ReadOnlyModelViewSet):
    request: AuthenticatedRequest  # the API's default permission: IsAuthenticated
    lookup_field = "reference"
    lookup_url_kwarg = "case_reference"
    lookup_value_regex = r"[A-Za-z0-9]+-\d{4}-\d+"
    filterset_class = CaseFilter
    # ``searchable_title``: the title only where the caller may read it (a title still in
    # another reporter's wording is not matched: access.with_searchable_title).
    search_fields = ["reference", "searchable_title"]
    ordering_fields = ["updated_at", "created_at", "reference"]

    def get_queryset(self) -> QuerySet:
        if building_schema(self):
            return Case.objects.none()
        cases = Case.objects.visible_to(self.request.user)
        if self.request.query_params.get("search"):
            cases = access.with_searchable_title(cases, self.request.user)
        return cases

    def get_serializer_class(self) -> type:
        return CaseDetailSerializer if self.action == "retrieve" else CaseSerializer

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # Without a filter in the query string django-filter builds and validates a form
        # only to return the queryset unchanged: a sync client's plain page skips it.
        # Any filter parameter, even empty (``updated_since=``, a 400), goes through it.
        params = self.request.query_params
        plain = not any(name in params for name in CaseFilter.base_filters)
        for backend in self.filter_backends:
            if plain and issubclass(backend, DjangoFilterBackend):
                continue
            queryset = backend().filter_queryset(self.request, queryset, self)
        return queryset

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = self.request.user
        # One query for the page: titles as the access module shows them, the projects
        # and my roles folded in (``access.case_rows``), read as rows, not instances.
        rows = access.case_rows(user, self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(rows)
        assert page is not None  # the default pagination: a list is always paged
        return self.get_paginated_response(case_list_items(access.complete_rows(user, page)))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case, case_access = access.get_case_for(self.request.user, kwargs["case_reference"])
        services.record_view(case, self.request.user, "api.case")
        context = {**self.get_serializer_context(), "access": case_access}
        serializer = self.get_serializer_class()(case, context=context)
        response = Response(serializer.data)
        response["ETag"] = f'"{case.version}"'
        return response


# The mixin is used with DRF's generic views: type-checked as one, an object at run time.
if TYPE_CHECKING:
    from rest_framework.generics import GenericAPIView

    _ViewBase = GenericAPIView
else:
    _ViewBase = object


class CaseChildMixin(_ViewBase):
    """A resource inside one case: the case comes from ``access.get_case_for``."""

    request: AuthenticatedRequest  # the API's default permission: IsAuthenticated
    kwargs: dict
    read_action = "view_case"

    def case_and_access(self, action: str | None = None) -> tuple[Case, CaseAccess]:
        cached = getattr(self, "_case_access", None)
        if cached is None:
            cached = access.get_case_for(self.request.user, self.kwargs["case_reference"])
            self._case_access = cached
        case, case_access = cached
        access.require(case_access, action or self.read_action)
        return case, case_access


@extend_schema_view(list=extend_schema(tags=["cases"], summary="Participants of a case"))
class ParticipantViewSet(CaseChildMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """As the access module shows them: reporters never see other reporters."""

    serializer_class = ParticipantSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        if building_schema(self):
            return Participant.objects.none()
        _, case_access = self.case_and_access()
        return case_access.participants()


def missing_version() -> ValidationError:
    """Without a version an edit could silently overwrite someone else's: refuse it."""
    return ValidationError(
        {"version": ["Send the version you edited (If-Match header or `version`)."]}
    )


def _expected_version(request: Request, body_version: int | None) -> int | None:
    """The version the client edited: If-Match header (an ETag) or the body's ``version``."""
    header = request.headers.get("If-Match", "").strip()
    if header:
        value = header.removeprefix("W/").strip('"')
        if not value.isdigit():
            raise StaleVersion()
        return int(value)
    return body_version


@extend_schema_view(
    list=extend_schema(tags=["vulnerabilities"], summary="Vulnerabilities of a case"),
    retrieve=extend_schema(tags=["vulnerabilities"], summary="One vulnerability"),
    create=extend_schema(tags=["vulnerabilities"], summary="Add a vulnerability"),
    update=extend_schema(
        tags=["vulnerabilities"], summary="Replace a vulnerability", parameters=[IF_MATCH_PARAMETER]
    ),
    partial_update=extend_schema(
        tags=["vulnerabilities"], summary="Edit a vulnerability", parameters=[IF_MATCH_PARAMETER]
    ),
)
class VulnerabilityViewSet(
    IdempotentPostMixin,
    CaseChildMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Everyone in the case reads; maintainers and coordinators edit (with a version)."""

    serializer_class = VulnerabilitySerializer
    pagination_class = None
    filter_backends: list = []
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet:
        if building_schema(self):
            return Vulnerability.objects.none()
        _, case_access = self.case_and_access()
        # Credits (and titles, in the serializer) as the access module shows them.
        return case_access.vulnerabilities()

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if not building_schema(self):
            context["access"] = self.case_and_access()[1]
        return context

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = f'"{response.data["version"]}"'
        return response

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Permission before validation: a 403 must not depend on what the body holds.
        self.case_and_access("edit_vulnerability")
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: BaseSerializer[Vulnerability]) -> None:
        case, _ = self.case_and_access("edit_vulnerability")
        serializer.instance = self._save(case, serializer.validated_data, None)

    def perform_update(self, serializer: BaseSerializer[Vulnerability]) -> None:
        case, _ = self.case_and_access("edit_vulnerability")
        current = serializer.instance
        assert current is not None  # an update has the object it updates
        data = {**self._current(current), **serializer.validated_data}
        expected = _expected_version(self.request, serializer.validated_data.get("version"))
        if expected is None:
            raise missing_version()
        serializer.instance = self._save(case, data, current, expected)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.case_and_access("edit_vulnerability")
        return super().update(request, *args, **kwargs)

    @staticmethod
    def _current(vuln: Vulnerability) -> dict:
        return {
            "title": vuln.title,
            "description": vuln.description,
            "cwe": vuln.cwe,
            "cvss3_vector": vuln.cvss3_vector,
            "cvss4_vector": vuln.cvss4_vector,
            "cve_id": vuln.cve_id,
        }

    def _save(
        self, case: Case, data: dict, vuln: Vulnerability | None, expected: int | None = None
    ) -> Vulnerability:
        saved = services.save_vulnerability(
            case,
            self.request.user,
            vulnerability=vuln,
            expected_version=expected,
            title=data["title"],
            description=data.get("description", ""),
            cwe=data.get("cwe", ""),
            cvss3_vector=data.get("cvss3_vector", ""),
            cvss4_vector=data.get("cvss4_vector", ""),
            cve_id=data.get("cve_id", ""),
            # Rows only when sent (a PATCH without them keeps them as they are).
            affected=[dict(a) for a in data["affected"]] if "affected" in data else None,
        )
        return self.case_and_access()[1].vulnerabilities().get(pk=saved.pk)


class CommentFilter(django_filters.FilterSet):
    updated_since = UpdatedSinceFilter("created_at")

    class Meta:
        model = Comment
        fields = ["visibility", "updated_since"]


@extend_schema_view(
    list=extend_schema(tags=["comments"], summary="Comments I may read"),
    create=extend_schema(
        tags=["comments"],
        summary="Post a comment",
        request=CommentCreateSerializer,
        responses={201: CommentSerializer},
    ),
)
class CommentViewSet(
    IdempotentPostMixin,
    CaseChildMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = CommentSerializer
    filterset_class = CommentFilter
    search_fields: list[str] = []
    ordering_fields = ["created_at"]

    def get_queryset(self) -> QuerySet:
        if building_schema(self):
            return Comment.objects.none()
        _, case_access = self.case_and_access()
        return case_access.comments().select_related("author", "organisation")

    @property
    def paginator(self) -> Any:
        if not hasattr(self, "_paginator"):
            self._paginator = StableCursorPagination()
            self._paginator.ordering = ("created_at", "id")
        return self._paginator

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case, case_access = self.case_and_access("comment_case")
        serializer = CommentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        comment = services.post_comment(
            case,
            self.request.user,
            data["body"],
            visibility=data["visibility"],
            organisation=data.get("organisation"),
        )
        comment = Comment.objects.select_related("author", "organisation").get(pk=comment.pk)
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


# --------------------------------------------------------------------------- vendor status


@extend_schema_view(
    list=extend_schema(
        tags=["vendor status"],
        summary="Vendor statuses of a case I may read",
        description=(
            "Coordinators read every status; an organisation's members its own; everyone "
            "in the case the statuses marked public once the advisory is published. A "
            "vendor without a row has not answered."
        ),
    ),
    create=extend_schema(
        tags=["vendor status"],
        summary="Give my organisation's status on a vulnerability",
        description=(
            "Members of a maintainer, partner or downstream organisation of the case set "
            "its status; coordinators set it on an organisation's behalf with a `note`. "
            "`justification` is required for `not_affected` and refused otherwise. "
            "Changing a status that exists needs its `version` (or If-Match): 409 when "
            "stale. 201 for a first status, 200 for a change."
        ),
        request=VendorStatusSetSerializer,
        responses={201: VendorStatusSerializer, 200: VendorStatusSerializer},
        parameters=[IF_MATCH_PARAMETER],
    ),
)
class VendorStatusViewSet(
    IdempotentPostMixin,
    CaseChildMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = VendorStatusSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        if building_schema(self):
            return VendorStatus.objects.none()
        _, case_access = self.case_and_access()
        return access.visible_vendor_statuses(case_access)

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if not building_schema(self):
            context["access"] = self.case_and_access()[1]
        return context

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case, case_access = self.case_and_access()
        choices = access.settable_organisations(case_access)
        # Permission before validation: a 403 must not depend on what the body holds.
        if not choices.exists():
            raise PermissionDenied("You give no vendor status on this case.")
        serializer = VendorStatusSetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        vulnerability = case.vulnerabilities.filter(pk=data["vulnerability"]).first()
        if vulnerability is None:
            raise ValidationError({"vulnerability": ["Choose a vulnerability of this case."]})
        if data.get("organisation"):
            vendors = access.vendor_organisations(case)
            organisation = vendors.filter(slug=data["organisation"]).first()
            if organisation is None:
                raise ValidationError(
                    {"organisation": ["Name an organisation asked for a status on this case."]}
                )
        else:
            mine = list(choices[:2])
            if len(mine) != 1:
                raise ValidationError(
                    {"organisation": ["Name the organisation whose status this is."]}
                )
            organisation = mine[0]
        existed = VendorStatus.objects.filter(
            vulnerability=vulnerability, organisation=organisation
        ).exists()
        row = services.set_vendor_status(
            case,
            self.request.user,
            vulnerability=vulnerability,
            organisation=organisation,
            status=data["status"],
            justification=data["justification"],
            statement=data["statement"],
            public=data["public"],
            product=data["product"],
            note=data["note"],
            expected_version=_expected_version(request, data.get("version")),
        )
        row = access.visible_vendor_statuses(case_access).get(pk=row.pk)
        body = VendorStatusSerializer(row, context=self.get_serializer_context()).data
        response = Response(body, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)
        response["ETag"] = f'"{row.version}"'
        return response
