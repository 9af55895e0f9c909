"""Reporting without an account (issue 15, section 1; README, "Reporting without an
account").

1. ``hold_report``: the public form's report is held as a ``PendingReport`` (with its
   files as ``HeldUpload`` rows), not a ``Report``: it is not in triage, counts or
   duplicate detection. A confirmation link goes to the address given. A new
   address, an address with an account, a duplicate finding and a filled honeypot
   all get the same redirect and page (only a throttled submission is told so).
2. ``confirm``: the single-use, expiring link. The account of the address is used
   (or one is created, optionally with a password), and the report goes through
   ``services.submit_report``: the same intake, the same answer, as a signed-in
   submission. Only the e-mail differs between an address with an account and one
   without, never a page the submitter sees before proving they own the address.
3. ``purge``: unconfirmed reports past their expiry, confirmed rows past it, and
   expired upload stashes are deleted (scheduled: ``cases.tasks.purge_held_intake``;
   by hand: ``manage.py purge_held_intake``).

Links carry a random secret signed with a timestamp; only its SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from cases import audit, services, upload_stash
from cases.accounts import tokens
from cases.models import Report
from cases.models.reports import HeldUpload, PendingReport
from cases.ratelimit import SharedWindowThrottle
from cases.uploads import check_upload

SALT = "akrites.public-report"
INVALID = "This confirmation link is invalid, used or expired."


def normalise_email(email: str) -> str:
    return get_user_model().objects.normalize_email(email.strip()).lower()


def account_for(email: str) -> Any:
    """The active account of an address, or None."""
    return (
        get_user_model()
        .objects.filter(email__iexact=email, is_active=True)
        .order_by("date_joined", "pk")
        .first()
    )


# --------------------------------------------------------------------------- throttles


class _PublicThrottle(SharedWindowThrottle):
    """A submission budget per identity (an address, a client IP) in the shared cache."""

    setting = ""

    def __init__(self, ident: str) -> None:
        self.ident = hashlib.sha256(ident.encode()).hexdigest()[:32]
        super().__init__()

    def get_rate(self) -> str | None:
        return str(getattr(settings, self.setting))

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        return f"throttle_{self.scope}_{self.ident}"


class AddressThrottle(_PublicThrottle):
    scope = "public_report_address"
    setting = "PUBLIC_REPORT_RATE_PER_ADDRESS"


class IpThrottle(_PublicThrottle):
    scope = "public_report_ip"
    setting = "PUBLIC_REPORT_RATE_PER_IP"


def allow_ip(request: HttpRequest) -> tuple[bool, float | None]:
    """Count a public submission against the client's IP (``audit.client_ip``)."""
    throttle = IpThrottle(audit.client_ip(request) or "unknown")
    allowed = throttle.allow_request(request, None)
    return allowed, None if allowed else throttle.wait()


def allow_address(request: HttpRequest, email: str) -> tuple[bool, float | None]:
    throttle = AddressThrottle(normalise_email(email))
    allowed = throttle.allow_request(request, None)
    return allowed, None if allowed else throttle.wait()


# --------------------------------------------------------------------------- holding


def hold_report(
    *,
    email: str,
    title: str,
    description: str,
    purl: str = "",
    vers: str = "",
    cwe: str = "",
    cvss_vector: str = "",
    wants_credit: bool = True,
    files: Sequence[UploadedFile] = (),
    kept: Sequence[HeldUpload] = (),
) -> tuple[PendingReport, str]:
    """Hold a report until its address is confirmed; mail the link. Returns (held, link).

    ``files`` are new uploads, ``kept`` the session's stash (``upload_stash``); both
    move to the held report. A refused file is a ``ValidationError`` and nothing is kept.
    """
    email = normalise_email(email)
    if len(files) + len(kept) > upload_stash.MAX_FILES:
        raise ValidationError({"attachments": f"At most {upload_stash.MAX_FILES} files."})
    checked = []
    for upload in files:
        try:
            checked.append((upload, *check_upload(upload)))
        except ValidationError as exc:
            raise ValidationError(
                {"attachments": f"{upload.name}: {' '.join(exc.messages)}"}
            ) from exc
    token, token_hash = tokens.new_token(SALT)
    now = timezone.now()
    expires = now + timedelta(seconds=settings.PUBLIC_REPORT_CONFIRM_MAX_AGE)
    with transaction.atomic():
        held = PendingReport.objects.create(
            email=email,
            title=title.strip(),
            description=description,
            purl=purl,
            vers=vers,
            cwe=cwe,
            cvss_vector=cvss_vector,
            wants_credit=wants_credit,
            token_hash=token_hash,
            created_at=now,
            expires_at=expires,
        )
        for upload, content_type, safe_name in checked:
            item = HeldUpload(
                pending_report=held,
                original_name=safe_name,
                content_type=content_type,
                size=upload.size or 0,
                expires_at=expires,
            )
            item.file.save(safe_name, upload, save=False)
            item.save()
        HeldUpload.objects.filter(pk__in=[k.pk for k in kept]).update(
            pending_report=held, stash_key="", expires_at=expires
        )
    link = settings.SITE_URL + reverse("cases:public_report_confirm", args=[token])
    transaction.on_commit(lambda: _send_confirmation(held, link))
    return held, link


def _send_confirmation(held: PendingReport, link: str) -> None:
    """The one place the answer depends on the address: the e-mail to it."""
    hours = max(1, settings.PUBLIC_REPORT_CONFIRM_MAX_AGE // 3600)
    if account_for(held.email) is not None:
        account = (
            "An Akrites account already uses this address: the report will be filed under "
            "it. After confirming, sign in to follow the report (forgotten your password? "
            f"{settings.SITE_URL}{reverse('password_reset')})."
        )
    else:
        account = (
            "Confirming creates an Akrites account for this address, so that you can follow "
            "the report and answer the coordinators; the page lets you set its password."
        )
    send_mail(
        subject="Confirm your vulnerability report to the Akrites SIRT",
        message=(
            f"Someone (we hope you) sent the Akrites SIRT a vulnerability report titled "
            f"“{held.title}” and gave this address.\n\n"
            f"Confirm it here (the link works once, for {hours} hours; until then the SIRT "
            f"does not see the report):\n\n{link}\n\n{account}\n\n"
            "If you did not send it, ignore this e-mail: the report is deleted unconfirmed."
        ),
        from_email=None,
        recipient_list=[held.email],
    )


# --------------------------------------------------------------------------- confirming


def find_pending(token: str) -> PendingReport | None:
    """The held report behind a link, or None (bad signature, expired, already used)."""
    return tokens.find_pending(
        PendingReport.objects.all(),
        token,
        salt=SALT,
        max_age=settings.PUBLIC_REPORT_CONFIRM_MAX_AGE,
    )


def suggested_username(email: str) -> str:
    """A free username from the address's local part (``jo.doe``, ``jo.doe2``...)."""
    base = re.sub(r"[^\w.@+-]", "", email.split("@", 1)[0])[:140] or "reporter"
    users = get_user_model().objects
    name, n = base, 1
    while users.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}{n}"
    return name


@dataclass
class Confirmed:
    report: Report
    user: Any
    new_account: bool


def confirm(
    token: str,
    *,
    username: str = "",
    password: str = "",
    request: HttpRequest | None = None,
) -> Confirmed:
    """Use the link: file the held report under the address's account (created when
    there is none: with ``username`` and ``password`` when given, else a free username
    and no usable password). The link is used up; the held copy is emptied."""
    found = find_pending(token)
    if found is None:
        raise ValidationError(INVALID)
    with transaction.atomic():
        held = tokens.lock_pending(PendingReport.objects.all(), found, INVALID)
        user = account_for(held.email)
        new_account = user is None
        if user is None:
            user = tokens.create_account(
                username=username or suggested_username(held.email),
                email=held.email,
                password=password or None,
            )
        uploads = list(held.uploads.all())
        files = upload_stash.open_files(uploads)
        try:
            report, _created = services.submit_report(
                reporter=user,
                title=held.title,
                description=held.description,
                purl=held.purl,
                vers=held.vers,
                cwe=held.cwe,
                cvss_vector=held.cvss_vector,
                wants_credit=held.wants_credit,
                files=files,
            )
        finally:
            upload_stash.close(files)
        upload_stash.discard(uploads)
        PendingReport.objects.filter(pk=held.pk).update(
            confirmed_at=timezone.now(), report=report, title="", description=""
        )
        audit.record(
            "report.public.confirmed",
            actor=user,
            request=request,
            obj=report,
            new_account=new_account,
        )
    return Confirmed(report=report, user=user, new_account=new_account)


# --------------------------------------------------------------------------- purging


def purge(now: Any = None) -> dict[str, int]:
    """Delete held reports past their expiry (unconfirmed: never reached triage;
    confirmed: an empty shell) with their files, and expired upload stashes."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = PendingReport.objects.filter(expires_at__lte=now)
        unconfirmed = expired.filter(confirmed_at__isnull=True).count()
        upload_stash.discard(HeldUpload.objects.filter(pending_report__in=expired))
        _, deleted = expired.delete()
        rows = deleted.get(PendingReport._meta.label, 0)
        stashed = upload_stash.purge_expired()
    return {"unconfirmed": unconfirmed, "held": rows, "stashed_files": stashed}
