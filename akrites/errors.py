"""The last-resort answer to an uncaught exception (``handler500``).

While the database is unreachable (or drops the connection) the answer is 503 with
``Retry-After``: the API's JSON error shape under ``/api/``, a plain "temporarily
unavailable" page elsewhere. Any other uncaught error under ``/api/`` is a JSON 500.
Neither page touches the database, the session or a context processor, and neither
shows a traceback.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from cases.api_common import UNAVAILABLE_RETRY_AFTER_SECONDS, ServiceUnavailable, error_body
from cases.views import server_error as portal_server_error

API_PREFIX = "/api/"


def database_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, OperationalError | InterfaceError)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls the handler inside its ``except`` block: the exception is current.
    unavailable = database_unavailable(sys.exc_info()[1])
    if request.path.startswith(API_PREFIX):
        if unavailable:
            body = error_body(
                ServiceUnavailable.default_code, str(ServiceUnavailable.default_detail)
            )
            response: HttpResponse = JsonResponse(body, status=503)
        else:
            body = error_body(
                "server_error", "Something went wrong on our side. It has been logged."
            )
            return JsonResponse(body, status=500)
    elif unavailable:
        page = loader.get_template("503.html").render()  # no request: no context processors
        response = HttpResponse(page, status=503)
    else:
        return portal_server_error(request)
    response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_SECONDS)
    return response
