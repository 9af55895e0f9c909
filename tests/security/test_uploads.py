"""Uploads: size limit before buffering, type by content, disguised files refused,
downloads only as attachments with nosniff through the access-checked view."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import Attachment
from cases.uploads import check_upload
from tests.security.helpers import audit_actions

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120
PE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture(autouse=True)
def private_storage(settings: Any, tmp_path: Path) -> Path:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path, "base_url": None},
        },
    }
    return tmp_path


def upload(client: Any, case: Any, name: str, content: bytes) -> Any:
    return client.post(
        reverse("cases:attachment_upload", args=[case.reference]),
        {"file": SimpleUploadedFile(name, content, content_type="image/png")},
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("screenshot.png", ELF),
        ("screenshot.png", HTML),
        ("report.pdf", PE),
        ("report.pdf", HTML),
        ("logs.zip", PNG),
        ("tool.exe", PE),
        ("binary", ELF),
    ],
)
def test_disguised_or_executable_files_are_refused(
    client_for: Any, coordinator: Any, case: Any, name: str, content: bytes
) -> None:
    response = upload(client_for(coordinator), case, name, content)
    assert response.status_code == 400
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("screenshot.png", PNG, "image/png"),
        ("advisory.pdf", PDF, "application/pdf"),
        ("poc.html", HTML, "text/plain"),
        ("exploit.py", b"import socket\nprint('poc')\n", "text/plain"),
    ],
)
def test_files_are_typed_by_content(name: str, content: bytes, content_type: str) -> None:
    assert check_upload(SimpleUploadedFile(name, content))[0] == content_type


def test_names_are_sanitised() -> None:
    _, name = check_upload(SimpleUploadedFile("../../etc/pass<wd>.txt", b"hello"))
    assert name == "pass_wd_.txt"


def test_an_oversized_upload_is_refused_before_it_is_stored(
    client_for: Any, coordinator: Any, case: Any, settings: Any, private_storage: Path
) -> None:
    settings.MAX_UPLOAD_BYTES = 4096
    response = upload(client_for(coordinator), case, "big.txt", b"a" * 100_000)
    assert response.status_code == 400
    assert "larger than the limit" in response.content.decode()
    assert not Attachment.objects.exists()
    assert not any(p.is_file() for p in private_storage.rglob("*"))


def test_the_size_limit_handler_keeps_no_bytes_past_the_limit(settings: Any) -> None:
    from cases.uploads import OversizedUpload, SizeLimitUploadHandler

    settings.MAX_UPLOAD_BYTES = 10
    handler = SizeLimitUploadHandler()
    handler.new_file("file", "big.txt", "text/plain", 100)
    assert handler.receive_data_chunk(b"x" * 8, 0) == b"x" * 8
    assert handler.receive_data_chunk(b"x" * 8, 8) is None
    result = handler.file_complete(16)
    assert isinstance(result, OversizedUpload)
    assert result.size == 16
    with pytest.raises(ValidationError):
        check_upload(result)


def test_a_download_is_an_attachment_with_nosniff_and_is_audited(
    client_for: Any, coordinator: Any, maintainer: Any, case: Any, private_storage: Path
) -> None:
    assert upload(client_for(coordinator), case, "poc.html", HTML).status_code == 302
    attachment = Attachment.objects.get()
    stored = [p for p in private_storage.rglob("*") if p.is_file()]
    assert len(stored) == 1
    assert "poc" not in stored[0].name  # random name on disk

    response = client_for(maintainer).get(
        reverse("cases:attachment_download", args=[case.reference, attachment.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == HTML
    assert audit_actions(action="attachment.downloaded") == ["attachment.downloaded"]


def test_an_outsider_cannot_download_an_attachment(
    client_for: Any, coordinator: Any, outsider: Any, case: Any
) -> None:
    upload(client_for(coordinator), case, "notes.txt", b"confidential")
    attachment = Attachment.objects.get()
    response = client_for(outsider).get(
        reverse("cases:attachment_download", args=[case.reference, attachment.pk])
    )
    assert response.status_code == 404
