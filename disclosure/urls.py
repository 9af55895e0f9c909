"""URLs of the embargo and release panels, the metrics page and the calendar feed.

The advisory URLs (public site, formats) are the advisory module's; they are
included separately.
"""

from django.urls import path

from disclosure import views

app_name = "disclosure"

case = "cases/<str:reference>/"

urlpatterns = [
    # embargo (POST only; the panel lives on the case page)
    path(f"{case}embargo/clocks/", views.clock_start, name="clock_start"),
    path(f"{case}embargo/clocks/<int:pk>/stop/", views.clock_stop, name="clock_stop"),
    path(f"{case}embargo/proposals/", views.proposal_create, name="proposal_create"),
    path(
        f"{case}embargo/proposals/<int:pk>/respond/",
        views.proposal_respond,
        name="proposal_respond",
    ),
    path(
        f"{case}embargo/proposals/<int:pk>/accept/", views.proposal_accept, name="proposal_accept"
    ),
    path(
        f"{case}embargo/proposals/<int:pk>/reject/", views.proposal_reject, name="proposal_reject"
    ),
    path(
        f"{case}embargo/proposals/<int:pk>/withdraw/",
        views.proposal_withdraw,
        name="proposal_withdraw",
    ),
    path(f"{case}embargo/break/", views.embargo_break, name="embargo_break"),
    # coordinated release
    path(f"{case}release/", views.release_overview, name="release_overview"),
    path(f"{case}release/plan/", views.release_plan_save, name="release_plan_save"),
    path(f"{case}release/target/", views.release_target_propose, name="release_target_propose"),
    path(
        f"{case}release/projects/<int:pk>/",
        views.project_release_update,
        name="project_release_update",
    ),
    path(
        f"{case}release/prenotifications/",
        views.pre_notification_add,
        name="pre_notification_add",
    ),
    path(
        f"{case}release/prenotifications/<int:pk>/sent/",
        views.pre_notification_sent,
        name="pre_notification_sent",
    ),
    path(
        f"{case}release/prenotifications/<int:pk>/acknowledge/",
        views.pre_notification_acknowledge,
        name="pre_notification_acknowledge",
    ),
    path(f"{case}release/deployment/", views.deployment_report, name="deployment_report"),
    path(
        f"{case}release/gate/override/",
        views.publication_gate_override,
        name="publication_gate_override",
    ),
    path(
        f"{case}release/gate/override/revoke/",
        views.publication_gate_revoke,
        name="publication_gate_revoke",
    ),
    # SIRT metrics
    path("metrics/", views.metrics_page, name="metrics"),
    # private calendar feed
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("calendar/token/new/", views.calendar_token_regenerate, name="calendar_token_new"),
    path("calendar/token/revoke/", views.calendar_token_revoke, name="calendar_token_revoke"),
]
