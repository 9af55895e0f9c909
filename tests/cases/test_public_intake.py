"""Reporting without an account (issue 15, section 1): the public page, the held
report, the confirmation link, throttles, the honeypot, no oracle, purging, the kept
uploads of a form sent back with errors, and security.txt."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from cases import public_intake, upload_stash
from cases.audit import AuditEvent
from cases.models import Report, ReportStatus
from cases.models.reports import HeldUpload, PendingReport
from tests.factories import make_user

pytestmark = pytest.mark.django_db

REPORT = {
    "email": "finder@example.net",
    "title": "Path traversal in libexample archive extraction",
    "description": "extract() follows ../ entries out of the target folder.",
    "purl": "pkg:pypi/libexample@1.2.0",
    "vers": "",
    "cwe": "CWE-22",
    "cvss_vector": "",
    "wants_credit": "on",
}
LINK = re.compile(r"http://\S+/report/confirm/(\S+)/")


@pytest.fixture(autouse=True)
def _fresh_throttles() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _mails_on_commit(django_capture_on_commit_callbacks: Any) -> Iterator[None]:
    """The confirmation mail leaves when the submission commits: run those callbacks."""
    global _CAPTURE
    _CAPTURE = django_capture_on_commit_callbacks
    yield


_CAPTURE: Any = None


def _post(client: Client, **changes: Any) -> Any:
    with _CAPTURE(execute=True):
        return client.post("/report/", {**REPORT, **changes})


def _token(message: Any) -> str:
    match = LINK.search(str(message.body))
    assert match, message.body
    return match.group(1)


# --------------------------------------------------------------------------- the page


def test_the_public_page_needs_no_sign_in_and_is_linked_from_sign_in_and_footer() -> None:
    client = Client()
    page = client.get("/report/")
    assert page.status_code == 200
    assert 'name="email"' in page.content.decode()
    login = client.get("/login/").content.decode()
    assert login.count('href="/report/"') == 2  # the sign-in card and the footer


def test_a_report_is_held_until_confirmed_and_the_mail_carries_the_link() -> None:
    response = _post(
        Client(), attachments=SimpleUploadedFile("poc.txt", b"print('../../etc/passwd')\n")
    )

    assert response.status_code == 302
    assert response["Location"] == "/report/sent/"
    held = PendingReport.objects.get()
    assert held.email == "finder@example.net"
    assert held.uploads.count() == 1
    assert not Report.objects.exists()  # not in triage before the confirmation
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["finder@example.net"]
    assert "creates an Akrites account" in mail.outbox[0].body
    assert held.token_hash not in mail.outbox[0].body  # only the hash is stored


def test_confirming_files_it_like_a_signed_in_submission_and_sets_a_password(
    coordinator: Any,
) -> None:
    _post(Client(), attachments=SimpleUploadedFile("poc.txt", b"zip slip\n"))
    token = _token(mail.outbox[0])
    client = Client()

    page = client.get(f"/report/confirm/{token}/")
    assert page.status_code == 200
    assert not Report.objects.exists()  # a GET (a mail scanner) confirms nothing

    response = client.post(
        f"/report/confirm/{token}/",
        {
            "username": "finder",
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
        },
        follow=True,
    )

    report = Report.objects.get()
    assert report.status == ReportStatus.NEW
    assert report.reporter.username == "finder"
    assert report.reporter.email == "finder@example.net"
    assert report.reporter.check_password("a-long-passphrase-42")
    assert report.attachments.get().original_name == "poc.txt"
    assert response.redirect_chain[-1][0] == f"/reports/{report.pk}/"
    assert "was received" in response.content.decode()
    assert not HeldUpload.objects.exists()
    held = PendingReport.objects.get()
    assert (held.report, held.title, held.description) == (report, "", "")
    event = AuditEvent.objects.get(action="report.public.confirmed")
    assert event.data["new_account"] is True
    # In the coordinator's triage, like any report.
    triage = Client()
    triage.force_login(coordinator)
    assert report.title in triage.get("/reports/").content.decode()


def test_the_link_works_once() -> None:
    _post(Client())
    token = _token(mail.outbox[0])
    client = Client()
    assert client.post(f"/report/confirm/{token}/", {}).status_code == 200
    again = client.post(f"/report/confirm/{token}/", {})
    assert again.status_code == 404
    assert "does not work" in again.content.decode()
    assert Report.objects.count() == 1
    with pytest.raises(Exception, match="invalid, used or expired"):
        public_intake.confirm(token)


def test_the_link_expires(settings: Any) -> None:
    settings.PUBLIC_REPORT_CONFIRM_MAX_AGE = 3600
    _post(Client())
    token = _token(mail.outbox[0])
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2)):
        assert Client().get(f"/report/confirm/{token}/").status_code == 404
        assert public_intake.find_pending(token) is None
    assert not Report.objects.exists()


def test_a_forged_link_is_refused() -> None:
    _post(Client())
    assert Client().get("/report/confirm/forged:token/").status_code == 404


def test_confirming_without_a_password_creates_an_account_without_one() -> None:
    _post(Client())
    response = Client().post(f"/report/confirm/{_token(mail.outbox[0])}/", {})

    report = Report.objects.get()
    assert report.reporter.username == "finder"
    assert not report.reporter.has_usable_password()
    page = response.content.decode()
    assert "Forgotten your password" in page and "finder" in page


def test_a_known_address_files_under_its_account_and_only_the_mail_differs() -> None:
    unknown = _post(Client(), email="new@example.net")
    owner = make_user("known")
    known = _post(Client(), email=owner.email)

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert "creates an Akrites account" in mail.outbox[0].body
    assert "already uses this address" in mail.outbox[1].body

    page = Client().get(f"/report/confirm/{_token(mail.outbox[1])}/").content.decode()
    assert 'name="password1"' not in page  # the owner of the address signs in instead
    Client().post(f"/report/confirm/{_token(mail.outbox[1])}/", {})
    assert Report.objects.get().reporter == owner
    assert get_user_model().objects.filter(email__iexact=owner.email).count() == 1


def test_password_errors_are_shown_and_confirm_nothing() -> None:
    _post(Client())
    token = _token(mail.outbox[0])
    response = Client().post(
        f"/report/confirm/{token}/", {"password1": "a-long-passphrase-42", "password2": "other"}
    )
    assert response.status_code == 400
    assert "The two passwords differ" in response.content.decode()
    assert not Report.objects.exists()
    assert public_intake.find_pending(token) is not None


def test_form_errors_are_shown_and_nothing_is_held() -> None:
    response = _post(Client(), email="not-an-address", purl="pkg:nonsense")
    assert response.status_code == 400
    page = response.content.decode()
    assert "valid email address" in page
    assert not PendingReport.objects.exists()
    assert mail.outbox == []


# --------------------------------------------------------------------------- no oracle


def _normalised(response: Any) -> tuple[int, str, bytes]:
    body = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)
    return response.status_code, response.get("Location", ""), body


def test_new_duplicate_known_address_and_honeypot_get_the_same_bytes(
    coordinator: Any, reporter: Any
) -> None:
    """The answer is the same response, byte for byte, and the same page after it."""
    answers = []
    first = _post(Client())
    # The same finding again: a duplicate of a held one, then of one in triage.
    Client().post(f"/report/confirm/{_token(mail.outbox[0])}/", {})
    duplicate = _post(Client())
    known = _post(Client(), email=reporter.email)
    honeypot = _post(Client(), website="http://spam.example")
    for response in (first, duplicate, known, honeypot):
        followed = Client().get(response["Location"])
        answers.append((_normalised(response), _normalised(followed)))

    assert all(answer == answers[0] for answer in answers)
    assert answers[0][0][:2] == (302, "/report/sent/")


def test_a_filled_honeypot_stores_and_sends_nothing() -> None:
    response = _post(
        Client(),
        website="http://spam.example",
        attachments=SimpleUploadedFile("x.txt", b"spam\n"),
    )
    assert response.status_code == 302
    assert not PendingReport.objects.exists()
    assert not HeldUpload.objects.exists()
    assert mail.outbox == []


def test_confirming_a_duplicate_gives_the_same_answer_as_a_new_report() -> None:
    """Two confirmations of the same finding by the same address: one report, the
    same page (apart from nothing: the report number is the same)."""
    owner = make_user("owner")
    _post(Client(), email=owner.email)
    _post(Client(), email=owner.email)
    first = Client().post(f"/report/confirm/{_token(mail.outbox[0])}/", {})
    second = Client().post(f"/report/confirm/{_token(mail.outbox[1])}/", {})
    assert Report.objects.count() == 1
    assert _normalised(first) == _normalised(second)


# --------------------------------------------------------------------------- throttles


def test_submissions_are_throttled_per_address(settings: Any) -> None:
    settings.PUBLIC_REPORT_RATE_PER_ADDRESS = "2/hour"
    for n in range(2):
        assert _post(Client(), title=f"Finding {n}").status_code == 302
    refused = _post(Client(), title="Finding 3", attachments=SimpleUploadedFile("a.txt", b"a\n"))
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many reports" in refused.content.decode()
    assert "kept: a.txt" in refused.content.decode()  # the file is kept for the retry
    assert PendingReport.objects.count() == 2
    assert _post(Client(), email="other@example.net").status_code == 302


def test_submissions_are_throttled_per_client_ip(settings: Any) -> None:
    settings.PUBLIC_REPORT_RATE_PER_IP = "2/hour"
    for n in range(2):
        assert _post(Client(), email=f"f{n}@example.net").status_code == 302
    assert _post(Client(), email="f9@example.net").status_code == 429
    other_ip = Client(REMOTE_ADDR="192.0.2.77")
    assert _post(other_ip, email="f9@example.net").status_code == 302


# --------------------------------------------------------------------------- purging


def test_unconfirmed_reports_and_stashes_are_purged_after_expiry(settings: Any) -> None:
    settings.PUBLIC_REPORT_CONFIRM_MAX_AGE = 3600
    _post(Client(), attachments=SimpleUploadedFile("poc.txt", b"poc\n"))
    _post(Client(), email="bad", attachments=SimpleUploadedFile("kept.txt", b"kept\n"))
    held_file = HeldUpload.objects.get(pending_report__isnull=False).file
    assert HeldUpload.objects.count() == 2
    assert public_intake.purge() == {"unconfirmed": 0, "held": 0, "stashed_files": 0}

    later = timezone.now() + dt.timedelta(hours=2)
    # The files go once the deletion commits.
    with time_machine.travel(later), _CAPTURE(execute=True):
        call_command("purge_held_intake")

    assert not PendingReport.objects.exists()
    assert not HeldUpload.objects.exists()
    assert not held_file.storage.exists(held_file.name)


# --------------------------------------------------------------------------- kept uploads


def test_files_of_a_refused_public_form_are_kept_and_sent_on_the_retry() -> None:
    client = Client()
    refused = client.post(
        "/report/",
        {
            **REPORT,
            "title": "",
            "attachments": [
                SimpleUploadedFile("poc.txt", b"payload\n"),
                SimpleUploadedFile("fake.png", b"<html>not a png</html>"),
            ],
        },
    )
    page = refused.content.decode()
    assert refused.status_code == 400
    assert "kept: poc.txt (8\xa0bytes)" in page
    assert "fake.png was not kept" in page  # told plainly to choose it again

    assert client.post("/report/", REPORT).status_code == 302
    held = PendingReport.objects.get()
    assert [u.original_name for u in held.uploads.all()] == ["poc.txt"]
    assert not HeldUpload.objects.filter(pending_report__isnull=True).exists()


def test_a_kept_file_can_be_removed_before_the_retry(outsider: Any) -> None:
    client = Client()
    client.force_login(outsider)
    client.post(
        "/reports/new/",
        {**REPORT, "title": "", "attachments": SimpleUploadedFile("a.txt", b"a\n")},
    )
    kept = HeldUpload.objects.get()
    page = client.get("/reports/new/").content.decode()
    assert "kept: a.txt" in page

    response = client.post("/reports/new/", {**REPORT, "remove_kept": [str(kept.pk)]})

    report = Report.objects.get()
    assert response.status_code == 302
    assert not report.attachments.exists()
    assert not HeldUpload.objects.exists()


def test_the_signed_in_form_keeps_files_across_an_error(outsider: Any) -> None:
    client = Client()
    client.force_login(outsider)
    refused = client.post(
        "/reports/new/",
        {**REPORT, "cwe": "nonsense", "attachments": SimpleUploadedFile("trace.txt", b"t\n")},
    )
    assert refused.status_code == 400
    assert "kept: trace.txt" in refused.content.decode()

    client.post("/reports/new/", {**REPORT, "attachments": SimpleUploadedFile("b.txt", b"b\n")})

    report = Report.objects.get(reporter=outsider)
    assert sorted(a.original_name for a in report.attachments.all()) == ["b.txt", "trace.txt"]
    assert not HeldUpload.objects.exists()


def test_another_session_cannot_use_or_remove_kept_files(outsider: Any, reporter: Any) -> None:
    owner = Client()
    owner.force_login(outsider)
    owner.post(
        "/reports/new/",
        {**REPORT, "title": "", "attachments": SimpleUploadedFile("mine.txt", b"m\n")},
    )
    kept = HeldUpload.objects.get()
    other = Client()
    other.force_login(reporter)
    other.post("/reports/new/", {**REPORT, "remove_kept": [str(kept.pk)]})

    assert HeldUpload.objects.filter(pk=kept.pk).exists()
    assert not Report.objects.get(reporter=reporter).attachments.exists()
    assert upload_stash.MAX_FILES == 10


# --------------------------------------------------------------------------- security.txt


def test_security_txt_follows_rfc_9116(settings: Any) -> None:
    settings.SITE_URL = "https://akrites.example"
    settings.SECURITY_TXT_CONTACT = ["https://akrites.example/report/", "mailto:sirt@example"]
    settings.SECURITY_TXT_POLICY = "https://akrites.example/report/"
    response = Client().get("/.well-known/security.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    fields = [line.split(": ", 1) for line in text.strip().splitlines()]
    assert [k for k, _ in fields] == [
        "Contact",
        "Contact",
        "Expires",
        "Policy",
        "Preferred-Languages",
        "Canonical",
    ]
    values = dict(fields)
    expires = dt.datetime.strptime(values["Expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert (
        timezone.now() + dt.timedelta(days=150) < expires < timezone.now() + dt.timedelta(days=366)
    )
    assert values["Canonical"] == "https://akrites.example/.well-known/security.txt"
    assert values["Preferred-Languages"] == "en"
