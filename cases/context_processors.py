from typing import Any

from django.http import HttpRequest

from cases import access


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {"is_sirt": access.is_sirt(user) if user is not None else False}
