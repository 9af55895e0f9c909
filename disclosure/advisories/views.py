"""The coordinators' advisory pages under ``/cases/<reference>/advisory/``.

Every view fetches the case through ``cases.access.get_case_for`` with
``manage_case`` (404 for whoever may not see the case, 403 for participants who
may see it but are not coordinators) and calls one function of
``disclosure.advisories.services``, which checks the actor's right again. Other
participants read the draft in the panel of the case page.
"""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from cases import access, services
from cases.models import Case, StaleEdit, TransitionError
from cases.types import AuthenticatedHttpRequest
from disclosure.advisories.content import Publication, publication_for
from disclosure.advisories.formats import csaf as csaf_format
from disclosure.advisories.formats import cve, dumps, osv
from disclosure.advisories.forms import (
    AdvisoryForm,
    RevisionForm,
    TransitionForm,
    advisory_vulnerabilities,
)
from disclosure.advisories.services import (
    STEPS,
    edit_advisory,
    revise_advisory,
    start_advisory,
    take_step,
)
from disclosure.models import Advisory
from disclosure.models.advisory import clean_content


def panel_url(case: Case) -> str:
    return f"{reverse('cases:case_detail', args=[case.reference])}#advisory"


def _advisory_or_404(case: Case) -> Advisory:
    advisory = Advisory.objects.filter(case=case).first()
    if advisory is None:
        raise Http404("This case has no advisory yet.")
    return advisory


def _add_errors(form: Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@require_POST
@login_required
def advisory_create(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    case, _ = access.get_case_for(request.user, reference, "manage_case")
    try:
        advisory = start_advisory(case, request.user)
    except TransitionError as exc:
        messages.error(request, str(exc))
        return redirect(panel_url(case))
    messages.success(request, f"Draft advisory {advisory.identifier} started.")
    return redirect("advisory:edit", reference=case.reference)


def _preview(advisory: Advisory, form: AdvisoryForm) -> Publication | None:
    """The public page's content made from the unsaved form (nothing is saved), or
    None with the form's errors added."""
    try:
        cleaned = clean_content(**form.content())
    except ValidationError as exc:
        _add_errors(form, exc)
        return None
    unsaved = copy.copy(advisory)
    for name, value in cleaned.items():
        setattr(unsaved, name, value)
    return publication_for(unsaved, preview=True)


def _edit_page(
    request: AuthenticatedHttpRequest,
    reference: str,
    *,
    form_class: type[AdvisoryForm],
    revise: bool,
) -> HttpResponse:
    case, _ = access.get_case_for(request.user, reference, "manage_case")
    advisory = _advisory_or_404(case)
    preview = None
    if request.method == "POST" and "preview" in request.POST:
        form = form_class(request.POST, vulnerabilities=advisory_vulnerabilities(advisory))
        form.is_valid()
        # What changed is not part of the page: a preview does not need it yet.
        if not set(form.errors) - {"revision_summary"}:
            form.errors.pop("revision_summary", None)
            preview = _preview(advisory, form)
        status = 200 if preview is not None else 400
    elif request.method == "POST":
        form = form_class(request.POST, vulnerabilities=advisory_vulnerabilities(advisory))
        if form.is_valid():
            try:
                if revise:
                    advisory = revise_advisory(
                        advisory,
                        request.user,
                        expected_version=form.cleaned_data["version"],
                        revision_summary=form.cleaned_data["revision_summary"],
                        **form.content(),
                    )
                    messages.success(
                        request,
                        f"Revision of {advisory.identifier} submitted: a second coordinator "
                        "approves it, then it can be published.",
                    )
                else:
                    edit_advisory(
                        advisory,
                        request.user,
                        expected_version=form.cleaned_data["version"],
                        **form.content(),
                    )
                    messages.success(request, "Advisory saved.")
                return redirect(panel_url(case))
            except StaleEdit as exc:
                form.add_error(None, str(exc))
            except ValidationError as exc:
                _add_errors(form, exc)
            except TransitionError as exc:
                form.add_error(None, str(exc))
        status = 409 if any("someone else" in e for e in form.non_field_errors()) else 400
    else:
        form = form_class.for_advisory(advisory)
        services.record_view(case, request.user, "advisory")
        status = 200
    return render(
        request,
        "disclosure/advisories/edit.html",
        {
            "case": case,
            "advisory": advisory,
            "form": form,
            "revise": revise,
            "preview": preview,
            "open_change": advisory.open_change if advisory.is_public else None,
        },
        status=status,
    )


@login_required
def advisory_edit(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    return _edit_page(request, reference, form_class=AdvisoryForm, revise=False)


@login_required
def advisory_revise(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    return _edit_page(request, reference, form_class=RevisionForm, revise=True)


# The message after each step of ``services.take_step``.
STEP_MESSAGES: dict[str, str] = {
    "submit": "Submitted for review by a second coordinator.",
    "approve": "Approved.",
    "request_changes": "Sent back with your request.",
    "recall": "Back to draft.",
    "schedule": "Scheduled: it will be published when the embargo lifts.",
    "publish": "Published.",
    "submit_revision": "Revision submitted for review by a second coordinator.",
    "request_withdrawal": "Withdrawal submitted for review by a second coordinator.",
    "cancel_change": "Change cancelled; nothing was published.",
}
assert set(STEP_MESSAGES) == STEPS


@require_POST
@login_required
def advisory_transition(
    request: AuthenticatedHttpRequest, reference: str, name: str
) -> HttpResponse:
    case, _ = access.get_case_for(request.user, reference, "manage_case")
    if name not in STEPS:
        raise Http404("No such step.")
    advisory = _advisory_or_404(case)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        # No version: not a click on the page (which always sends it); act on nothing.
        return render(
            request,
            "disclosure/advisories/step_refused.html",
            {"case": case, "form": form},
            status=400,
        )
    try:
        take_step(
            advisory,
            request.user,
            name,
            expected_version=form.cleaned_data["version"],
            reason=form.cleaned_data.get("reason", ""),
        )
    except (TransitionError, StaleEdit) as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, STEP_MESSAGES[name])
    return redirect(panel_url(case))


PREVIEWS = {"csaf": csaf_format, "osv": osv, "cve": cve}


@require_safe
@login_required
def advisory_preview(request: AuthenticatedHttpRequest, reference: str, fmt: str) -> HttpResponse:
    """The working copy rendered as it would be published (status draft)."""
    case, _ = access.get_case_for(request.user, reference, "manage_case")
    if fmt not in PREVIEWS:
        raise Http404("No such format.")
    advisory = _advisory_or_404(case)
    services.record_view(case, request.user, f"advisory preview {fmt}")
    document = PREVIEWS[fmt].render(advisory, preview=True)
    return HttpResponse(dumps(document), content_type="application/json")
