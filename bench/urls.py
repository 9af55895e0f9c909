"""Routed only when ``BENCH_FLOOR_VIEW=1`` (see akrites/urls.py)."""

from django.urls import path

from bench import views

app_name = "bench"

urlpatterns = [
    path("floor/", views.floor, name="floor"),
    path("floor/api/", views.floor_api, name="floor_api"),
]
