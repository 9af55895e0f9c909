"""The floor: the cheapest authenticated request the stack can serve.

Every scenario is reported as a ratio to it, measured in the same run on the same
machine, so the figures say how much the feature costs above Django, the session
or token check and one database round trip, whatever the hardware.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from cases.models import Case


def _one_indexed_query(reference: str) -> int | None:
    # Case.reference is unique, so this is one index lookup.
    return Case.objects.filter(reference=reference).values_list("pk", flat=True).first()


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    """The web floor: the session check, one indexed query, a page from base.html."""
    found = _one_indexed_query(request.GET.get("ref", ""))
    return render(request, "bench/floor.html", {"found": found is not None})


@api_view(["GET"])
def floor_api(request: Request) -> Response:
    """The API floor: DRF with the project's authentication, throttles and renderer."""
    found = _one_indexed_query(request.query_params.get("ref", ""))
    return Response({"found": found is not None})
