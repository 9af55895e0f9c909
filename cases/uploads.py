"""Checks on uploaded files: type by content (not by name), and a safe display name."""

from __future__ import annotations

import re
import unicodedata

import filetype
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

# Binary types recognised by their magic bytes.
ALLOWED_BINARY = {
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "application/zip",
    "application/gzip",
    "application/x-tar",
    "application/x-xz",
    "application/x-bzip2",
}
TEXT_TYPE = "text/plain"
SNIFF_BYTES = 8192


def sanitise_filename(name: str) -> str:
    name = unicodedata.normalize("NFKC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[^\w.\- ]+", "_", name).strip(" .")
    name = re.sub(r"\.{2,}", ".", name)
    return (name or "attachment")[:150]


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the sniff boundary is still text.
        return exc.start >= len(head) - 4
    return True


def check_upload(upload: UploadedFile) -> tuple[str, str]:
    """Return (content type, safe name) or raise ValidationError for a refused file."""
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is not None:
        if kind.mime not in ALLOWED_BINARY:
            raise ValidationError(
                {"file": f"Files of type {kind.mime} are not accepted."}, code="file_type"
            )
        content_type = kind.mime
    elif _looks_like_text(head):
        content_type = TEXT_TYPE
    else:
        raise ValidationError(
            {"file": "Unrecognised file type. Accepted: text, PDF, images and archives."},
            code="file_type",
        )
    return content_type, sanitise_filename(upload.name)
