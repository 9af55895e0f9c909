from django.urls import path

from cases.accounts import views

app_name = "accounts"

urlpatterns = [
    path("account/2fa/", views.two_factor, name="2fa"),
    path("account/2fa/verify/", views.two_factor_verify, name="2fa_verify"),
    path("account/2fa/reset/", views.two_factor_reset, name="2fa_reset"),
    path("invitations/", views.invitation_list, name="invitation_list"),
    path("invitations/new/", views.invitation_new, name="invitation_new"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("invitations/accept/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
