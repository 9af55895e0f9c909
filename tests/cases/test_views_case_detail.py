"""Case page per persona; comments, attachments, acknowledgement; constant query count."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases import services
from cases.models import (
    Attachment,
    CaseAccessRecord,
    Comment,
    CommentVisibility,
    Organisation,
    ParticipantRole,
)
from tests.cases.helpers import count_queries, embargo
from tests.factories import make_organisation, make_report, make_user


def url(case, name="cases:case_detail", *args):
    return reverse(name, args=[case.reference, *args])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona,status",
    [
        ("coordinator", 200),
        ("maintainer", 200),
        ("reporter", 200),
        ("other_maintainer", 404),
        ("outsider", 404),
        ("partner", 404),
    ],
)
def test_case_page_answers_per_persona(request, client_for, case, persona, status):
    response = client_for(request.getfixturevalue(persona)).get(url(case))
    assert response.status_code == status
    if status == 404:
        assert case.title not in response.content.decode()


@pytest.mark.django_db
def test_missing_case_is_the_same_404(client_for, outsider):
    response = client_for(outsider).get(reverse("cases:case_detail", args=["AKR-1999-0001"]))
    assert response.status_code == 404
    assert "Not found" in response.content.decode()


@pytest.mark.django_db
def test_coordinator_sees_transitions_participants_vulnerabilities_and_timeline(
    client_for, coordinator, case
):
    response = client_for(coordinator).get(url(case))
    body = response.content.decode()
    assert [name for name, _ in response.context["transitions"]] == ["accept", "reject"]
    assert url(case, "cases:case_transition", "accept") in body
    assert "libexample maintainers" in body  # participant
    assert "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" in body and "9.8" in body
    assert "CWE-787" in body and "pkg:pypi/libexample" in body
    assert "Case opened from a report" in body  # timeline
    assert "Who has access, who has looked" in body


@pytest.mark.django_db
def test_maintainer_sees_no_transitions_and_no_access_panel(client_for, maintainer, case):
    response = client_for(maintainer).get(url(case))
    body = response.content.decode()
    assert "transitions" not in response.context
    assert "/transition/" not in body
    assert "Who has access" not in body
    assert url(case, "cases:vulnerability_add") in body  # maintainers edit vulnerabilities


@pytest.mark.django_db
def test_reporter_never_sees_other_reporters(client_for, coordinator, reporter, case):
    second = make_user("second-reporter", first_name="Zed", last_name="Zebra")
    services.merge_report_into_case(make_report(second, title="Same flaw again"), case, coordinator)
    body = client_for(reporter).get(url(case)).content.decode()
    assert "second-reporter" not in body and "Zebra" not in body
    assert "Same flaw again" not in body


@pytest.mark.django_db
def test_reporter_never_sees_another_reporters_comments_or_actions(
    client_for, coordinator, maintainer, reporter, case
):
    second = make_user("second-reporter")
    services.merge_report_into_case(make_report(second), case, coordinator)
    services.post_comment(case, second, "I found it too, qwertyzzz")
    services.acknowledge(case, second)
    body = client_for(reporter).get(url(case)).content.decode()
    assert "qwertyzzz" not in body and "second-reporter" not in body
    inbox = client_for(reporter).get(reverse("cases:home")).content.decode()
    assert "second-reporter" not in inbox
    # maintainers work with every reporter
    assert "qwertyzzz" in client_for(maintainer).get(url(case)).content.decode()


@pytest.mark.django_db
def test_reporter_still_sees_their_own_comment(client_for, reporter, case):
    services.post_comment(case, reporter, "My own note abc123")
    assert "abc123" in client_for(reporter).get(url(case)).content.decode()


@pytest.mark.django_db
def test_coordinator_only_comments_are_hidden_from_maintainers(
    client_for, coordinator, maintainer, case
):
    services.post_comment(case, coordinator, "Visible note")
    services.post_comment(
        case, coordinator, "Internal note xyzzy", visibility=CommentVisibility.COORDINATORS
    )
    assert "xyzzy" in client_for(coordinator).get(url(case)).content.decode()
    body = client_for(maintainer).get(url(case)).content.decode()
    assert "Visible note" in body and "xyzzy" not in body


@pytest.mark.django_db
def test_comments_are_rendered_markdown_without_scripts(client_for, coordinator, case):
    services.post_comment(case, coordinator, "**bold** <script>alert(1)</script>")
    body = client_for(coordinator).get(url(case)).content.decode()
    assert "<strong>bold</strong>" in body
    assert "<script>alert(1)" not in body


@pytest.mark.django_db
def test_maintainer_posts_a_comment(client_for, maintainer, case):
    response = client_for(maintainer).post(
        url(case, "cases:comment_post"), {"body": "We are on it.", "visibility": "all"}
    )
    assert response.status_code == 302
    comment = Comment.objects.get(case=case)
    assert comment.author == maintainer and comment.body == "We are on it."
    assert case.timeline.filter(action="case.comment.posted", actor=maintainer).exists()


@pytest.mark.django_db
def test_empty_comment_gives_a_field_error_and_saves_nothing(client_for, maintainer, case):
    response = client_for(maintainer).post(
        url(case, "cases:comment_post"), {"body": "   ", "visibility": "all"}
    )
    assert response.status_code == 400
    assert "body" in response.context["comment_form"].errors
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_maintainer_cannot_post_coordinator_only_notes(client_for, maintainer, case):
    response = client_for(maintainer).post(
        url(case, "cases:comment_post"), {"body": "x", "visibility": "coordinators"}
    )
    assert response.status_code == 400
    assert "visibility" in response.context["comment_form"].errors
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_maintainer_cannot_address_another_organisation(
    client_for, maintainer, case, partner_case, partner_org
):
    response = client_for(maintainer).post(
        url(case, "cases:comment_post"),
        {"body": "x", "visibility": "organisation", "organisation": partner_org.pk},
    )
    assert response.status_code == 400
    assert "organisation" in response.context["comment_form"].errors
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_outsider_cannot_post_a_comment(client_for, outsider, case):
    response = client_for(outsider).post(
        url(case, "cases:comment_post"), {"body": "hi", "visibility": "all"}
    )
    assert response.status_code == 404
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_partner_can_read_but_not_upload(client_for, partner, partner_case):
    client = client_for(partner)
    assert client.get(url(partner_case)).status_code == 200
    response = client.post(
        url(partner_case, "cases:attachment_upload"),
        {"file": SimpleUploadedFile("poc.txt", b"hello")},
    )
    assert response.status_code == 403
    assert not Attachment.objects.exists()


def _upload(client, case, name="poc.txt", content=b"proof of concept\n"):
    return client.post(
        url(case, "cases:attachment_upload"), {"file": SimpleUploadedFile(name, content)}
    )


@pytest.mark.django_db
def test_maintainer_uploads_and_downloads_an_attachment(client_for, maintainer, case, settings):
    client = client_for(maintainer)
    assert _upload(client, case).status_code == 302
    attachment = Attachment.objects.get(case=case)
    assert case.timeline.filter(action="case.attachment.added").exists()
    response = client.get(url(case, "cases:attachment_download", attachment.pk))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="poc.txt"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"proof of concept\n"


@pytest.mark.django_db
def test_refused_upload_gives_a_field_error_and_saves_nothing(client_for, maintainer, case):
    response = _upload(client_for(maintainer), case, "x.exe", b"MZ\x90\x00" + b"\x00" * 100)
    assert response.status_code == 400
    assert "file" in response.context["attachment_form"].errors
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_missing_file_gives_a_field_error(client_for, maintainer, case):
    response = client_for(maintainer).post(url(case, "cases:attachment_upload"), {})
    assert response.status_code == 400
    assert "file" in response.context["attachment_form"].errors


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["outsider", "other_maintainer", "partner"])
def test_outsiders_get_404_for_an_attachment(request, client_for, maintainer, case, persona):
    _upload(client_for(maintainer), case)
    attachment = Attachment.objects.get(case=case)
    response = client_for(request.getfixturevalue(persona)).get(
        url(case, "cases:attachment_download", attachment.pk)
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_attachment_of_another_case_is_404_through_this_case(
    client_for, coordinator, maintainer, case, other_project
):
    from tests.factories import make_case

    other = make_case(coordinator, project=other_project)
    _upload(client_for(coordinator), other)
    attachment = Attachment.objects.get(case=other)
    response = client_for(maintainer).get(url(case, "cases:attachment_download", attachment.pk))
    assert response.status_code == 404


@pytest.mark.django_db
def test_reporter_cannot_download_another_reporters_file(client_for, coordinator, reporter, case):
    second = make_user("reporter-two")
    services.merge_report_into_case(make_report(second), case, coordinator)
    _upload(client_for(second), case, "theirs.txt")
    attachment = Attachment.objects.get(original_name="theirs.txt")
    client = client_for(reporter)
    assert "theirs.txt" not in client.get(url(case)).content.decode()
    assert client.get(url(case, "cases:attachment_download", attachment.pk)).status_code == 404


@pytest.mark.django_db
def test_views_of_an_embargoed_case_are_recorded_and_shown_to_coordinators(
    client_for, coordinator, maintainer, case
):
    embargo(case)
    client_for(maintainer).get(url(case))
    record = CaseAccessRecord.objects.get(case=case, user=maintainer)
    assert record.what == "detail"
    response = client_for(coordinator).get(url(case))
    assert maintainer in [r.user for r in response.context["access_records"]]
    assert "maint" in response.content.decode()


@pytest.mark.django_db
def test_views_of_a_case_without_embargo_are_not_recorded(client_for, maintainer, case):
    client_for(maintainer).get(url(case))
    assert not CaseAccessRecord.objects.exists()


@pytest.mark.django_db
def test_acknowledge_marks_the_participant_and_writes_the_timeline(
    client_for, maintainer, maintainer_org, case
):
    response = client_for(maintainer).post(url(case, "cases:acknowledge"))
    assert response.status_code == 302
    participant = case.participants.get(organisation=maintainer_org)
    assert participant.acknowledged_by == maintainer
    assert case.timeline.filter(action="case.participant.acknowledged").count() == 1


@pytest.mark.django_db
def test_acknowledging_twice_says_there_is_nothing_to_acknowledge(client_for, maintainer, case):
    client = client_for(maintainer)
    client.post(url(case, "cases:acknowledge"))
    response = client.post(url(case, "cases:acknowledge"), follow=True)
    assert "nothing for you to acknowledge" in response.content.decode()
    assert case.timeline.filter(action="case.participant.acknowledged").count() == 1


@pytest.mark.django_db
def test_acknowledge_is_post_only(client_for, maintainer, case):
    assert client_for(maintainer).get(url(case, "cases:acknowledge")).status_code == 405


def _grow(case, coordinator, start, n):
    """n more participants, comments, vulnerabilities and attachments on the case."""
    for i in range(start, start + n):
        org = make_organisation(Organisation.Kind.DOWNSTREAM, name=f"Downstream {case.pk}-{i}")
        make_user(f"member-{case.pk}-{i}", organisation=org)
        services.add_participant(
            case, coordinator, organisation=org, role=ParticipantRole.DOWNSTREAM, notify=False
        )
        services.post_comment(case, coordinator, f"Comment **{i}**")
        services.save_vulnerability(
            case,
            coordinator,
            title=f"Flaw {i}",
            cvss3_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
            affected=[
                {"purl": "pkg:pypi/libexample", "vers": "vers:pypi/<2", "fixed_versions": ["2"]}
            ],
        )
        services.store_attachment(
            SimpleUploadedFile(f"f{i}.txt", b"data"), uploaded_by=coordinator, case=case
        )


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["coordinator", "maintainer"])
def test_case_page_query_count_is_constant_from_1_to_50_rows(
    request, client_for, coordinator, case, persona, settings
):
    # The cost of rendering the page in full (the first view after a change).
    settings.CASE_PAGE_CACHE_SECONDS = 0
    embargo(case)
    client = client_for(request.getfixturevalue(persona))
    _grow(case, coordinator, 0, 1)
    client.get(url(case))
    one, _ = count_queries(client, url(case))
    _grow(case, coordinator, 1, 49)
    many, response = count_queries(client, url(case))
    assert len(response.context["participants"]) >= 50
    assert many == one
