"""Vendor status per vulnerability on the web: an organisation's members give their
status (coordinators on its behalf, with a note); coordinators remind a vendor that has
not answered. The panel of the case page is ``{% vendor_status_panel %}``
(``cases/templatetags/vendor_status.py``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from cases import access, services
from cases.access import CaseAccess, get_case_for
from cases.models import (
    Case,
    Justification,
    Organisation,
    StaleEdit,
    VendorStatus,
    VendorStatusValue,
)
from cases.models.vendor_status import STATEMENT_MAX_LENGTH
from cases.types import AuthenticatedHttpRequest
from cases.views._helpers import add_service_errors


class VendorStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=VendorStatusValue.choices, widget=forms.RadioSelect, label="Status"
    )
    justification = forms.ChoiceField(
        choices=[("", "—")] + list(Justification.choices),
        required=False,
        label="Justification (for “not affected”)",
        help_text="Why the product is not affected, as CSAF/VEX says it. Required for "
        "“not affected”, left empty otherwise.",
    )
    product = forms.CharField(
        max_length=200,
        required=False,
        label="Product",
        help_text="Your product that ships or contains the affected package (optional).",
    )
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=STATEMENT_MAX_LENGTH,
        required=False,
        label="Statement",
        help_text="Plain text, optional.",
    )
    public = forms.BooleanField(
        required=False,
        label="Publish this status and statement in the advisory",
        help_text="Until the advisory is published only the coordinators and your "
        "organisation read it.",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=STATEMENT_MAX_LENGTH,
        required=False,
        label="Note (how the organisation gave this status)",
        help_text="Coordinators setting a status on an organisation's behalf: required.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, on_behalf: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not on_behalf:
            del self.fields["note"]


def _vendor_or_404(case_access: CaseAccess, slug: str) -> Organisation:
    """An organisation asked for a status on this case; any other is missing (404)."""
    return get_object_or_404(
        Organisation.objects.filter(pk__in=list(access.vendor_organisation_ids(case_access))),
        slug=slug,
    )


def _panel_url(case: Case) -> str:
    return f"{case.get_absolute_url()}#vendor-status"


@login_required
@require_http_methods(["GET", "POST"])
def vendor_status_edit(
    request: AuthenticatedHttpRequest, reference: str, pk: int, slug: str
) -> HttpResponse:
    case, case_access = get_case_for(request.user, reference)
    vulnerability = get_object_or_404(case.vulnerabilities, pk=pk)
    organisation = _vendor_or_404(case_access, slug)
    if not access.can_set_vendor_status(case_access, organisation):
        raise PermissionDenied("You cannot give the status of this organisation.")
    current = VendorStatus.objects.filter(
        vulnerability=vulnerability, organisation=organisation
    ).first()
    on_behalf = organisation.pk not in case_access.organisation_ids
    status = 200
    if request.method == "POST":
        form = VendorStatusForm(request.POST, on_behalf=on_behalf)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.set_vendor_status(
                    case,
                    request.user,
                    vulnerability=vulnerability,
                    organisation=organisation,
                    status=data["status"],
                    justification=data["justification"],
                    statement=data["statement"],
                    public=data["public"],
                    product=data["product"],
                    note=data.get("note", ""),
                    expected_version=data["version"],
                )
            except StaleEdit:
                current = VendorStatus.objects.filter(
                    vulnerability=vulnerability, organisation=organisation
                ).first()
                # The input stays; saving again (a decision, now) replaces the current one.
                fresh = request.POST.copy()
                fresh["version"] = str(current.version) if current else ""
                form = VendorStatusForm(fresh, on_behalf=on_behalf)
                form.is_valid()
                form.add_error(
                    None,
                    "Someone changed this status since you opened the page. Your input is "
                    "below; the current status is shown above it. Save again to replace it.",
                )
                status = 409
            except ValidationError as exc:
                add_service_errors(form, exc)
                status = 400
            else:
                messages.success(
                    request,
                    f"The status of {organisation.name} on this vulnerability was saved.",
                )
                return redirect(_panel_url(case))
        else:
            status = 400
    else:
        initial: dict[str, Any] = {}
        if current is not None:
            initial = {
                "status": current.status,
                "justification": current.justification,
                "product": current.product,
                "statement": current.statement,
                "public": current.public,
                "version": current.version,
            }
        form = VendorStatusForm(initial=initial, on_behalf=on_behalf)
    context = {
        "case": case,
        "access": case_access,
        "vulnerability": vulnerability,
        "vulnerability_title": case_access.vulnerability_title(vulnerability),
        "organisation": organisation,
        "current": current,
        "on_behalf": on_behalf,
        "form": form,
    }
    return render(request, "cases/vendor_status_form.html", context, status=status)


@login_required
@require_POST
def vendor_status_remind(
    request: AuthenticatedHttpRequest, reference: str, slug: str
) -> HttpResponse:
    case, case_access = get_case_for(request.user, reference, "manage_case")
    organisation = _vendor_or_404(case_access, slug)
    try:
        sent = services.remind_vendor(case, request.user, organisation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if sent:
            messages.success(request, f"{organisation.name} was reminded to give its status.")
        else:
            messages.info(
                request, f"{organisation.name} was already reminded today; nothing was sent."
            )
    return redirect(_panel_url(case))
