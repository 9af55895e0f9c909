from django.urls import path

from cases import views

app_name = "cases"

urlpatterns = [
    path("", views.home, name="home"),
    path("profile/", views.profile, name="profile"),
    # cases
    path("cases/", views.case_list, name="case_list"),
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
]
