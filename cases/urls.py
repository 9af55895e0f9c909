from django.urls import path

from cases import views
from cases.views import onboarding, public_report

app_name = "cases"

urlpatterns = [
    path("", views.home, name="home"),
    path("profile/", views.profile, name="profile"),
    # cases
    path("cases/", views.case_list, name="case_list"),
    # the case list's tools: saved filters (each user their own), bulk actions (SIRT)
    path("cases/filters/save/", views.saved_filter_save, name="saved_filter_save"),
    path("cases/filters/<int:pk>/", views.saved_filter_apply, name="saved_filter_apply"),
    path("cases/filters/<int:pk>/delete/", views.saved_filter_delete, name="saved_filter_delete"),
    path("cases/bulk/", views.case_bulk, name="case_bulk"),
    path("cases/<str:reference>/", views.case_detail, name="case_detail"),
    path("cases/<str:reference>/edit/", views.case_edit, name="case_edit"),
    path(
        "cases/<str:reference>/transition/<str:name>/",
        views.case_transition,
        name="case_transition",
    ),
    path("cases/<str:reference>/duplicate/", views.case_mark_duplicate, name="case_duplicate"),
    path("cases/<str:reference>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("cases/<str:reference>/comments/", views.comment_post, name="comment_post"),
    path("cases/<str:reference>/attachments/", views.attachment_upload, name="attachment_upload"),
    path(
        "cases/<str:reference>/attachments/<int:pk>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path("cases/<str:reference>/participants/add/", views.participant_add, name="participant_add"),
    path(
        "cases/<str:reference>/participants/<int:pk>/remove/",
        views.participant_remove,
        name="participant_remove",
    ),
    path(
        "cases/<str:reference>/vulnerabilities/add/",
        views.vulnerability_add,
        name="vulnerability_add",
    ),
    path(
        "cases/<str:reference>/vulnerabilities/<int:pk>/edit/",
        views.vulnerability_edit,
        name="vulnerability_edit",
    ),
    path("cases/<str:reference>/projects/add/", views.case_project_add, name="case_project_add"),
    path(
        "cases/<str:reference>/projects/<int:pk>/remove/",
        views.case_project_remove,
        name="case_project_remove",
    ),
    path(
        "cases/<str:reference>/vulnerabilities/<int:pk>/credits/add/",
        views.credit_add,
        name="credit_add",
    ),
    path(
        "cases/<str:reference>/credits/<int:pk>/remove/", views.credit_remove, name="credit_remove"
    ),
    path(
        "cases/<str:reference>/credits/<int:pk>/consent/",
        views.credit_consent,
        name="credit_consent",
    ),
    path(
        "cases/<str:reference>/vendor-status/<int:pk>/<slug:slug>/",
        views.vendor_status_edit,
        name="vendor_status_edit",
    ),
    path(
        "cases/<str:reference>/vendor-status/remind/<slug:slug>/",
        views.vendor_status_remind,
        name="vendor_status_remind",
    ),
    # reports and triage
    path(
        "cases/<str:reference>/wording/reviewed/",
        views.wording_reviewed,
        name="wording_reviewed",
    ),
    path("reports/", views.report_list, name="report_list"),
    path("reports/new/", views.report_new, name="report_new"),
    path("reports/sarif/", views.sarif_upload, name="sarif_upload"),
    path("reports/batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("profile/tokens/", views.token_create, name="token_create"),
    path("profile/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path(
        "reports/<int:pk>/attachments/<int:attachment_pk>/",
        views.report_attachment_download,
        name="report_attachment_download",
    ),
    path("reports/<int:pk>/open-case/", views.report_open_case, name="report_open_case"),
    path("reports/<int:pk>/merge/", views.report_merge, name="report_merge"),
    path("reports/<int:pk>/unmerge/", views.report_unmerge, name="report_unmerge"),
    path("reports/<int:pk>/reject/", views.report_reject, name="report_reject"),
    # organisation members (admins of the organisation, the SIRT)
    path("organisations/", views.organisation_list, name="organisation_list"),
    path(
        "organisations/<slug:slug>/members/",
        views.organisation_members,
        name="organisation_members",
    ),
    path("organisations/<slug:slug>/members/invite/", views.member_invite, name="member_invite"),
    path("organisations/<slug:slug>/members/<int:pk>/role/", views.member_role, name="member_role"),
    path(
        "organisations/<slug:slug>/members/<int:pk>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    # onboarding organisations and projects (the SIRT; cases/views/onboarding.py)
    path("organisations/new/", onboarding.organisation_new, name="organisation_new"),
    path("organisations/<slug:slug>/edit/", onboarding.organisation_edit, name="organisation_edit"),
    path("organisations/projects/", onboarding.project_list, name="project_list"),
    path("organisations/projects/new/", onboarding.project_new, name="project_new"),
    path("organisations/projects/<slug:slug>/edit/", onboarding.project_edit, name="project_edit"),
    path(
        "organisations/invitations/",
        onboarding.onboarding_invitations,
        name="onboarding_invitations",
    ),
    path("organisations/invite/", onboarding.onboarding_invite, name="onboarding_invite"),
    path(
        "organisations/invitations/<int:pk>/revoke/",
        onboarding.onboarding_revoke,
        name="onboarding_revoke",
    ),
    path("organisations/join/<str:token>/", onboarding.onboarding_accept, name="onboarding_accept"),
    # reporting without an account (cases/views/public_report.py)
    path("report/", public_report.public_report, name="public_report"),
    path("report/sent/", public_report.public_report_sent, name="public_report_sent"),
    path(
        "report/confirm/<str:token>/",
        public_report.public_report_confirm,
        name="public_report_confirm",
    ),
]
