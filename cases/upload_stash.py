"""Files chosen before a form error are kept server-side for the retry.

A browser never re-sends the files of a form that came back with errors. Instead of
losing them silently, the report forms (signed-in and public) keep every file that
passes ``uploads.check_upload`` in the private storage as a ``HeldUpload`` keyed to
the session (the SHA-256 of a random key stored in it), for
``UPLOAD_STASH_MAX_AGE`` seconds. The form lists them ("kept: name (size)") with a
box to remove each; a successful submission takes them along with the new files. A
file refused by the checks is named in the form's errors: it must be chosen again.
Expired stashes are purged with the held reports (``public_intake.purge``).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from cases.models.reports import HeldUpload
from cases.uploads import check_upload

SESSION_KEY = "akrites_upload_stash"
MAX_FILES = 10


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def _key(request: HttpRequest, *, create: bool) -> str | None:
    key = request.session.get(SESSION_KEY)
    if key is None and create:
        key = secrets.token_urlsafe(24)
        request.session[SESSION_KEY] = key
    return _hash(key) if key else None


def kept(request: HttpRequest) -> list[HeldUpload]:
    """The files kept for this session's retry that have not expired."""
    key = _key(request, create=False)
    if key is None:
        return []
    return list(
        HeldUpload.objects.filter(
            stash_key=key, pending_report__isnull=True, expires_at__gt=timezone.now()
        )
    )


def remove(request: HttpRequest, ids: Iterable[str]) -> None:
    """Drop the kept files the user unticked (``remove_kept`` boxes); others' are not found."""
    key = _key(request, create=False)
    wanted = [int(i) for i in ids if str(i).isdigit()]
    if key is None or not wanted:
        return
    discard(HeldUpload.objects.filter(stash_key=key, pk__in=wanted, pending_report__isnull=True))


def keep(request: HttpRequest, uploads: Sequence[UploadedFile], *, already: int = 0) -> list[str]:
    """Keep the acceptable ``uploads`` for the retry; return one message per refused file."""
    problems: list[str] = []
    if not uploads:
        return problems
    key = _key(request, create=True)
    assert key is not None
    expires = timezone.now() + timedelta(seconds=settings.UPLOAD_STASH_MAX_AGE)
    room = MAX_FILES - already
    for upload in uploads:
        name = upload.name or "file"
        if room <= 0:
            problems.append(f"{name} was not kept: at most {MAX_FILES} files.")
            continue
        try:
            content_type, safe_name = check_upload(upload)
        except ValidationError as exc:
            problems.append(f"{name} was not kept: {' '.join(exc.messages)}")
            continue
        held = HeldUpload(
            stash_key=key,
            original_name=safe_name,
            content_type=content_type,
            size=upload.size or 0,
            expires_at=expires,
        )
        held.file.save(safe_name, upload, save=False)
        held.save()
        room -= 1
    return problems


def open_files(held: Iterable[HeldUpload]) -> list[UploadedFile]:
    """The kept files as uploads ``services.store_attachment`` takes (checked again)."""
    files = []
    for item in held:
        handle = item.file.open("rb")
        files.append(
            UploadedFile(
                handle, name=item.original_name, content_type=item.content_type, size=item.size
            )
        )
    return files


def close(files: Iterable[File]) -> None:
    for f in files:
        f.close()


def discard(held: Iterable[HeldUpload]) -> int:
    """Delete the rows and their files (the files once the transaction commits)."""
    count = 0
    for item in list(held):
        name, storage = item.file.name, item.file.storage
        item.delete()
        if name:
            transaction.on_commit(functools.partial(storage.delete, name))
        count += 1
    return count


def discard_kept(request: HttpRequest) -> None:
    """After a successful submission: the stash is spent."""
    discard(kept(request))


def purge_expired() -> int:
    """Kept files past their time (a held report's files go with the report)."""
    return discard(
        HeldUpload.objects.filter(pending_report__isnull=True, expires_at__lte=timezone.now())
    )
