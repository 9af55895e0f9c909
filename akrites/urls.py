from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from akrites.health import healthz, healthz_live, healthz_ready
from cases import audit_views
from cases.views.public_report import security_txt

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("healthz/live", healthz_live, name="healthz_live"),
    path("healthz/ready", healthz_ready, name="healthz_ready"),
    # RFC 9116, from settings (cases/views/public_report.py).
    path(".well-known/security.txt", security_txt, name="security_txt"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include("akrites.api_urls")),
    path("", include("cases.accounts.urls")),
    path("audit/", audit_views.audit_list, name="audit_list"),
    path("audit/export/", audit_views.audit_export, name="audit_export"),
    path("notifications/", include("disclosure.notifications.urls")),
    path("", include("cases.urls")),
    path("", include("disclosure.urls")),
    path("", include("disclosure.advisories.public_urls")),
    path("cases/<str:reference>/advisory/", include("disclosure.advisories.urls")),
]

if settings.BENCH_FLOOR_VIEW:
    # The benchmark's floor (bench/README.md): only routed when BENCH_FLOOR_VIEW=1.
    urlpatterns.append(path("bench/", include("bench.urls")))

handler404 = "cases.views.page_not_found"
handler403 = "cases.views.permission_denied"
# 503 while the database is unreachable; JSON under /api/ (akrites/errors.py).
handler500 = "akrites.errors.server_error"
