"""The API under /api/v1/: one router for every app, the OpenAPI schema and its docs."""

from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import DefaultRouter

from cases import api as cases_api
from cases import api_batches
from cases.api_common import api_not_found
from disclosure import api as disclosure_api
from disclosure.notifications import api as notifications_api

CASE = r"cases/(?P<case_reference>[A-Za-z0-9]+-\d{4}-\d+)"

router = DefaultRouter(trailing_slash=True, use_regex_path=True)
router.include_format_suffixes = False
router.include_root_view = False
router.register("organisations", cases_api.OrganisationViewSet, basename="organisation")
router.register("reports", cases_api.ReportViewSet, basename="report")
router.register("cases", cases_api.CaseViewSet, basename="case")
router.register(f"{CASE}/participants", cases_api.ParticipantViewSet, basename="participant")
router.register(f"{CASE}/vulnerabilities", cases_api.VulnerabilityViewSet, basename="vulnerability")
router.register(f"{CASE}/comments", cases_api.CommentViewSet, basename="comment")
router.register(f"{CASE}/vendor-statuses", cases_api.VendorStatusViewSet, basename="vendor-status")

disclosure_api.register(router, CASE)
notifications_api.register(router)

app_name = "api"

urlpatterns = [
    path("me/", cases_api.me, name="me"),
    # Before the router: its reports/{id}/ would take "batch" and "sarif" for ids.
    path("reports/batch/", api_batches.ReportBatchCreateView.as_view(), name="report_batch_create"),
    path("reports/sarif/", api_batches.SarifCreateView.as_view(), name="report_sarif_create"),
    path(
        "reports/batches/<int:pk>/",
        api_batches.ReportBatchDetailView.as_view(),
        name="report_batch",
    ),
    *disclosure_api.urlpatterns(CASE),
    path("", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    # Last: any other path under /api/v1/ is a JSON 404, never the HTML page.
    re_path(r"^[\s\S]*$", api_not_found, name="not_found"),
]
