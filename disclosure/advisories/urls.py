"""Coordinators' advisory pages, included under ``cases/<str:reference>/advisory/``."""

from django.urls import path

from disclosure.advisories import views as views

app_name = "advisory"

urlpatterns = [
    path("create/", views.advisory_create, name="create"),
    path("edit/", views.advisory_edit, name="edit"),
    path("revise/", views.advisory_revise, name="revise"),
    path("step/<str:name>/", views.advisory_transition, name="transition"),
    path("preview/<str:fmt>.json", views.advisory_preview, name="preview"),
]
