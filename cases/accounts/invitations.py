"""Invitations instead of open sign-up.

A coordinator invites an email address to an organisation; the invitee follows a
single-use link that expires after ``INVITATION_MAX_AGE`` seconds, chooses a username
and password, and (when their organisation is the SIRT) sets up a second factor
before anything else. The link holds a random secret signed with a timestamp; the
database keeps only the secret's SHA-256.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from cases import access, audit
from cases.accounts import tokens
from cases.accounts.models import Invitation
from cases.models import Organisation
from cases.types import User

SALT = "akrites.invitation"
INVALID = "This invitation link is invalid, used or expired."


def invite(
    organisation: Organisation, email: str, actor: User, *, request: HttpRequest | None = None
) -> tuple[Invitation, str]:
    """Create an invitation, email its link, and return (invitation, link). The
    organisation's admins and the SIRT invite (``access.can_manage_members``)."""
    if not access.can_manage_members(actor, organisation):
        raise PermissionDenied("Only the organisation's admins invite its members.")
    email = get_user_model().objects.normalize_email(email).strip()
    if get_user_model().objects.filter(email__iexact=email, is_active=True).exists():
        raise ValidationError(
            {"email": "Someone with this address already has an account: add them instead."}
        )
    token, token_hash = tokens.new_token(SALT)
    now = timezone.now()
    with transaction.atomic():
        # A new invitation replaces any pending one for the same address and organisation.
        Invitation.objects.filter(
            organisation=organisation,
            email__iexact=email,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
        ).update(revoked_at=now)
        invitation = Invitation.objects.create(
            organisation=organisation,
            email=email,
            token_hash=token_hash,
            invited_by=actor,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.INVITATION_MAX_AGE),
        )
        audit.record(
            "account.invitation.sent",
            actor=actor,
            request=request,
            obj=invitation,
            organisation=organisation.slug,
            email=email,
        )
    link = settings.SITE_URL + reverse("accounts:invitation_accept", args=[token])
    days = max(1, settings.INVITATION_MAX_AGE // 86400)
    transaction.on_commit(
        lambda: send_mail(
            subject=f"Invitation to join {organisation.name} on Akrites",
            message=(
                f"{actor.get_full_name() or actor.get_username()} invited you to join "
                f"{organisation.name} on Akrites, the coordinated vulnerability disclosure "
                f"portal.\n\nChoose your username and password here (the link works once, "
                f"for {days} days):\n\n{link}\n\nIf you did not expect this, ignore this email."
            ),
            from_email=None,
            recipient_list=[email],
        )
    )
    return invitation, link


def find_pending(token: str) -> Invitation | None:
    """The pending invitation behind a link, or None (bad signature, expired, used)."""
    return tokens.find_pending(
        Invitation.objects.select_related("organisation"),
        token,
        salt=SALT,
        max_age=settings.INVITATION_MAX_AGE,
    )


def accept(
    token: str,
    *,
    username: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    request: HttpRequest | None = None,
) -> Any:
    """Create the invitee's account and membership; the link is used up."""
    found = find_pending(token)
    if found is None:
        raise ValidationError(INVALID)
    with transaction.atomic():
        invitation = tokens.lock_pending(Invitation.objects.all(), found, INVALID)
        user = tokens.create_account(
            username=username,
            email=invitation.email,
            password=password,
            first_name=first_name,
            last_name=last_name,
        )
        invitation.organisation.add_member(user)
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        audit.record(
            "account.invitation.accepted",
            actor=user,
            request=request,
            obj=invitation,
            organisation=invitation.organisation.slug,
        )
    return user


def revoke(invitation: Invitation, actor: User, *, request: HttpRequest | None = None) -> None:
    if not access.can_manage_members(actor, invitation.organisation):
        raise PermissionDenied("Only the organisation's admins revoke its invitations.")
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at or invitation.revoked_at:
            return
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit.record("account.invitation.revoked", actor=actor, request=request, obj=invitation)
