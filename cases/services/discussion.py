"""Discussion and files: comments and attachments."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from cases import access, events
from cases.models import (
    Attachment,
    Case,
    Comment,
    CommentVisibility,
    Organisation,
    Report,
)
from cases.types import User
from cases.uploads import check_upload


def post_comment(
    case: Case,
    author: User,
    body: str,
    *,
    visibility: str = CommentVisibility.ALL,
    organisation: Organisation | None = None,
) -> Comment:
    """A comment for everyone in the case, the coordinators, or one organisation: the
    choices ``access.comment_visibility_choices`` and ``access.can_address_organisation``
    allow (the comment form offers exactly those)."""
    case_access = access.require_on(author, case, "comment_case")
    if not body.strip():
        raise ValidationError({"body": "Write something first."})
    if visibility not in access.comment_visibility_choices(case_access):
        if visibility == CommentVisibility.COORDINATORS:
            raise ValidationError(
                {"visibility": "Only coordinators can post coordinator-only notes."}
            )
        raise ValidationError({"visibility": "Choose who may read this comment."})
    if visibility == CommentVisibility.ORGANISATION:
        if organisation is None:
            raise ValidationError({"organisation": "Choose the organisation that may read this."})
        if not access.can_address_organisation(case_access, organisation):
            raise ValidationError({"organisation": "You can only address your own organisation."})
    else:
        organisation = None
    with transaction.atomic():
        comment = Comment.objects.create(
            case=case, author=author, body=body, visibility=visibility, organisation=organisation
        )
        case.log(author, "case.comment.posted", {"comment": comment.pk, "visibility": visibility})
        case.touch()
        events.emit("comment.posted", case_id=case.pk, comment_id=comment.pk)
    return comment


def store_attachment(
    upload: UploadedFile,
    *,
    uploaded_by: User,
    case: Case | None = None,
    report: Report | None = None,
) -> Attachment:
    """A file for a case (``upload_case``) or sent with a report (by its reporter)."""
    if case is not None:
        access.require_on(uploaded_by, case, "upload_case")
    if report is not None and not access.can_attach_to_report(uploaded_by, report):
        raise PermissionDenied("Only the reporter or the SIRT adds files to a report.")
    limit = settings.MAX_UPLOAD_BYTES
    if upload.size is None or upload.size > limit:
        raise ValidationError(
            {"file": f"The file is larger than the limit of {limit // (1024 * 1024)} MB."}
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    content_type, safe_name = check_upload(upload)
    with transaction.atomic():
        attachment = Attachment(
            case=case,
            report=report,
            original_name=safe_name,
            content_type=content_type,
            size=upload.size,
            sha256=digest.hexdigest(),
            uploaded_by=uploaded_by,
        )
        attachment.file.save(safe_name, upload, save=False)
        attachment.save()
        if case is not None:
            case.log(
                uploaded_by,
                "case.attachment.added",
                {"attachment": attachment.pk, "sha256": attachment.sha256},
            )
            case.touch()
    return attachment
