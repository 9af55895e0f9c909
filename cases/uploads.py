"""Checks on uploaded files: size, type by content (not by name), a safe display name.

- Size: ``SizeLimitUploadHandler`` (first in ``FILE_UPLOAD_HANDLERS``) stops keeping a
  file's bytes once it passes ``MAX_UPLOAD_BYTES``, so an oversized upload never lands
  on disk; ``check_upload`` refuses it with a clear message.
- Type: decided by content. Binary files must be one of ``ALLOWED_BINARY``; everything
  else must be UTF-8 text (HTML, scripts and proof-of-concept code are text and are
  kept as ``text/plain``). A name that promises a binary type (``.png``, ``.pdf``...)
  must match the content: an executable or a web page named ``photo.png`` is refused.
- Storage under a random name below ``PRIVATE_STORAGE_ROOT``; downloads only through
  the access-checked views, as attachments with ``nosniff``.
"""

from __future__ import annotations

import re
import unicodedata
from io import BytesIO
from typing import Any

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

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
# A file named like this must have this content type.
EXPECTED_BY_EXTENSION = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "pdf": "application/pdf",
    "zip": "application/zip",
    "gz": "application/gzip",
    "tgz": "application/gzip",
    "tar": "application/x-tar",
    "xz": "application/x-xz",
    "bz2": "application/x-bzip2",
}
SNIFF_BYTES = 8192


def sanitise_filename(name: str | None) -> str:
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
    limit = settings.MAX_UPLOAD_BYTES
    if upload.size is None or upload.size > limit:
        raise ValidationError(
            {"file": f"The file is larger than the limit of {limit // (1024 * 1024)} MB."},
            code="file_size",
        )
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
    safe_name = sanitise_filename(upload.name)
    extension = safe_name.rsplit(".", 1)[-1].lower() if "." in safe_name else ""
    expected = EXPECTED_BY_EXTENSION.get(extension)
    if expected is not None and content_type != expected:
        raise ValidationError(
            {"file": f"The file is named .{extension} but its content is not of that type."},
            code="file_type_mismatch",
        )
    return content_type, safe_name


class OversizedUpload(UploadedFile):
    """Stands in for a file part that passed the size limit: no content, its real size."""

    def __init__(
        self, name: str | None, content_type: str | None, size: int, charset: str | None
    ) -> None:
        super().__init__(BytesIO(b""), name, content_type, size, charset)


class SizeLimitUploadHandler(FileUploadHandler):
    """First upload handler: passes chunks on until a file exceeds ``MAX_UPLOAD_BYTES``,
    then drops the rest, so the later handlers never buffer or write an oversized file."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        self.too_large = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.MAX_UPLOAD_BYTES:
            self.too_large = True
            return None
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.too_large:
            return OversizedUpload(self.file_name, self.content_type, self.received, self.charset)
        return None
