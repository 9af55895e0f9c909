"""Organisation admins (and the SIRT) manage an organisation's members.

Pages of one organisation answer 404 to anyone outside it (as a missing one) and 403
to its members who are not admins (``access.get_organisation_to_manage``); every
change goes through ``cases.memberships``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from cases import access, memberships
from cases.forms import MemberInviteForm, MemberRoleForm
from cases.models import Membership, Organisation
from cases.types import AuthenticatedHttpRequest
from cases.views._helpers import add_service_errors, paginate


def _members_url(organisation: Organisation) -> str:
    return reverse("cases:organisation_members", args=[organisation.slug])


@login_required
def organisation_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The organisations whose members the user manages (every one for the SIRT)."""
    organisations = access.managed_organisations(request.user).order_by("name")
    query = request.GET.get("q", "").strip()
    if query:
        organisations = organisations.filter(name__icontains=query)
    return render(
        request,
        "cases/organisation_list.html",
        {"page": paginate(request, organisations), "q": query},
    )


def _members_page(
    request: HttpRequest,
    organisation: Organisation,
    *,
    invite_form: MemberInviteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "cases/organisation_members.html",
        {
            "organisation": organisation,
            "members": memberships.members(organisation),
            "invitations": memberships.pending_invitations(organisation),
            "invite_form": invite_form or MemberInviteForm(),
            "roles": Membership.Role.choices,
        },
        status=status,
    )


@login_required
def organisation_members(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    organisation = access.get_organisation_to_manage(request.user, slug)
    return _members_page(request, organisation)


@login_required
@require_POST
def member_invite(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    organisation = access.get_organisation_to_manage(request.user, slug)
    form = MemberInviteForm(request.POST)
    if form.is_valid():
        try:
            memberships.invite_member(
                organisation, form.cleaned_data["email"], request.user, request=request
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect(_members_url(organisation))
    return _members_page(request, organisation, invite_form=form, status=400)


@login_required
@require_POST
def member_role(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    organisation = access.get_organisation_to_manage(request.user, slug)
    membership = get_object_or_404(Membership, organisation=organisation, pk=pk)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose member or admin.")
        return redirect(_members_url(organisation))
    try:
        membership = memberships.change_role(
            membership, form.cleaned_data["role"], request.user, request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"{_name(membership)} is now {membership.get_role_display().lower()} "
            f"of {organisation.name}.",
        )
    return redirect(_members_url(organisation))


@login_required
@require_http_methods(["GET", "POST"])
def member_remove(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """A confirmation page (GET), then the removal (POST with ``confirm``), effective at once."""
    organisation = access.get_organisation_to_manage(request.user, slug)
    membership = get_object_or_404(
        Membership.objects.select_related("user"), organisation=organisation, pk=pk
    )
    confirmed = request.method == "POST" and request.POST.get("confirm") == "yes"
    if confirmed:
        try:
            memberships.remove_membership(membership, request.user, request=request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(_members_url(organisation))
        messages.success(
            request,
            f"{_name(membership)} is no longer a member of {organisation.name}; "
            "their access to its cases has ended.",
        )
        if not access.can_manage_members(request.user, organisation):
            return redirect("cases:profile")  # they removed themselves
        return redirect(_members_url(organisation))
    return render(
        request,
        "cases/member_remove.html",
        {"organisation": organisation, "membership": membership},
        # A POST without the confirmation removes nothing: ask again.
        status=400 if request.method == "POST" else 200,
    )


def _name(membership: Membership) -> str:
    user = membership.user
    return user.get_full_name() or user.get_username()
