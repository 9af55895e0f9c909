"""The real URLconf plus one view that fails, to see the production error page."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from akrites.urls import handler404, handler500  # noqa: F401
from akrites.urls import urlpatterns as real_urlpatterns


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret-detail AKR-2026-0001 embargoed title")


urlpatterns = [path("boom/", boom), *real_urlpatterns]
