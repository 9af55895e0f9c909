"""Account pages: second factor (set up, verify, reset) and invitations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from cases.access import sirt_required
from cases.accounts import invitations, mfa
from cases.accounts.forms import (
    AcceptInvitationForm,
    CodeForm,
    ConfirmPasswordForm,
    InvitationForm,
)
from cases.accounts.models import Invitation
from cases.types import AuthenticatedHttpRequest

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("cases:home")


def _verified(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_verified", lambda: False)())


# --------------------------------------------------------------------------- second factor


@login_required
def two_factor(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Set up an authenticator (QR code and secret, then a code), or show the status."""
    user = request.user
    if mfa.has_second_factor(user):
        if not _verified(request):
            return redirect(f"{reverse('accounts:2fa_verify')}?next={reverse('accounts:2fa')}")
        return render(
            request,
            "accounts/2fa_status.html",
            {
                "recovery_left": mfa.recovery_codes_left(user),
                "reset_form": ConfirmPasswordForm(user),
            },
        )
    device = mfa.pending_device(request)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        codes = mfa.confirm_device(request, device, form.cleaned_data["token"])
        if codes is not None:
            # Shown once, in this response only: never stored in clear, never shown again.
            return render(
                request,
                "accounts/2fa_recovery_codes.html",
                {"codes": codes, "next": _next_url(request)},
            )
        form.add_error("token", "That code is not right. Check the time on your phone.")
    return render(
        request,
        "accounts/2fa_setup.html",
        {
            "form": form,
            "qr_svg": mfa.qr_svg(device),
            "secret": mfa.base32_secret(device),
            "required": mfa.requires_second_factor(user),
            "next": request.POST.get("next") or request.GET.get("next", ""),
        },
        status=400 if form.errors else 200,
    )


@login_required
def two_factor_verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The second step of signing in."""
    if not mfa.has_second_factor(request.user):
        return redirect(f"{reverse('accounts:2fa')}?next={_next_url(request)}")
    if _verified(request):
        return redirect(_next_url(request))
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if mfa.verify(request, form.cleaned_data["token"]):
            return redirect(_next_url(request))
        form.add_error("token", "That code is not right, or it was already used.")
    return render(
        request,
        "accounts/2fa_verify.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def two_factor_reset(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Remove the second factor; every session (this one too) and API token ends."""
    if mfa.has_second_factor(request.user) and not _verified(request):
        return redirect(reverse("accounts:2fa_verify"))
    form = ConfirmPasswordForm(request.user, request.POST)
    if not form.is_valid():
        messages.error(request, "Your second factor was not reset: the password was wrong.")
        return redirect(reverse("accounts:2fa"))
    user = request.user
    mfa.reset_second_factor(user, actor=user, request=request)
    messages.success(
        request,
        "Your second factor was removed and you were signed out everywhere. "
        "Sign in again to set up a new one.",
    )
    return redirect(reverse("login"))


# --------------------------------------------------------------------------- invitations


@login_required
@sirt_required
def invitation_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    pending = Invitation.objects.select_related("organisation", "invited_by").filter(
        accepted_at__isnull=True, revoked_at__isnull=True
    )
    recent = Invitation.objects.select_related("organisation", "accepted_by").filter(
        accepted_at__isnull=False
    )[:20]
    return render(request, "accounts/invitation_list.html", {"pending": pending, "recent": recent})


@login_required
@sirt_required
def invitation_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    initial = {}
    if slug := request.GET.get("organisation"):
        initial["organisation"] = get_object_or_404(invitations.Organisation, slug=slug)
    form = InvitationForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            invitations.invite(
                form.cleaned_data["organisation"],
                form.cleaned_data["email"],
                request.user,
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect(reverse("accounts:invitation_list"))
    return render(
        request, "accounts/invitation_new.html", {"form": form}, status=400 if form.errors else 200
    )


@require_POST
@login_required
@sirt_required
def invitation_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=pk)
    invitations.revoke(invitation, request.user, request=request)
    messages.success(request, f"Invitation of {invitation.email} revoked.")
    return redirect(reverse("accounts:invitation_list"))


def accept_invitation_page(
    request: HttpRequest,
    token: str,
    *,
    find_pending: Callable[[str], Any],
    accept: Callable[..., Any],
    template: str,
    accepted: Callable[[Any, Any], HttpResponse],
    refusal_on_form: bool = False,
) -> HttpResponse:
    """The page behind an invitation link (``invitations``, ``cases.onboarding``).

    A link that is not pending (``find_pending`` gives None) is the invalid-link page.
    A valid form is given to ``accept``; the new account is signed in and
    ``accepted(invitation, user)`` answers. ``accept`` refusing is the invalid-link
    page, or, with ``refusal_on_form``, an error on the form.
    """
    invitation = find_pending(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = AcceptInvitationForm(invitation.email, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = accept(
                token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                request=request,
            )
        except ValidationError as exc:
            if not refusal_on_form:
                return render(request, "accounts/invitation_invalid.html", status=404)
            form.add_error(None, exc)
        else:
            login(request, user, backend=BACKEND)
            return accepted(invitation, user)
    return render(
        request,
        template,
        {"form": form, "invitation": invitation},
        status=400 if form.errors else 200,
    )


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    def accepted(invitation: Invitation, user: Any) -> HttpResponse:
        messages.success(request, f"Welcome to {invitation.organisation.name}.")
        if mfa.requires_second_factor(user):
            return redirect(reverse("accounts:2fa"))
        return redirect(reverse("cases:home"))

    return accept_invitation_page(
        request,
        token,
        find_pending=invitations.find_pending,
        accept=invitations.accept,
        template="accounts/invitation_accept.html",
        accepted=accepted,
    )
