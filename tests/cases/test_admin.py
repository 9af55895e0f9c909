"""Django admin for staff: every cases model is there; the history is read-only."""

import pytest
from django.contrib import admin
from django.urls import reverse

from cases import models
from cases.models import TimelineEntry
from cases.models.people import OnboardingInvitation
from cases.models.reports import HeldUpload, PendingReport
from tests.factories import make_user

REGISTERED = [
    models.Organisation,
    models.Membership,
    models.Profile,
    models.Project,
    models.Case,
    models.Participant,
    models.Report,
    models.Vulnerability,
    models.Comment,
    models.Attachment,
    models.TimelineEntry,
    models.CaseAccessRecord,
    models.CaseCounter,
    models.ReportBatch,
    # Open intake and onboarding (issue 15, sections 1 and 2).
    PendingReport,
    HeldUpload,
    OnboardingInvitation,
]


def test_every_cases_model_is_registered_in_the_admin():
    for model in REGISTERED:
        assert admin.site.is_registered(model), model.__name__


@pytest.fixture
def staff(db):
    return make_user("staff", is_staff=True, is_superuser=True)


@pytest.mark.django_db
@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m.__name__)
def test_staff_opens_each_changelist_with_search_and_filters(client_for, staff, case, model):
    url = reverse(f"admin:cases_{model._meta.model_name}_changelist")
    response = client_for(staff).get(url, {"q": "AKR"})
    assert response.status_code == 200


@pytest.mark.django_db
def test_timeline_is_read_only_in_the_admin(client_for, staff, case):
    entry = TimelineEntry.objects.filter(case=case).first()
    client = client_for(staff)
    assert client.get(reverse("admin:cases_timelineentry_add")).status_code == 403
    change = client.get(reverse("admin:cases_timelineentry_change", args=[entry.pk]))
    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    response = client.post(
        reverse("admin:cases_timelineentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert TimelineEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_case_change_page_shows_participants_read_only(client_for, staff, case):
    response = client_for(staff).get(reverse("admin:cases_case_change", args=[case.pk]))
    assert response.status_code == 200
    assert b"libexample maintainers" in response.content


@pytest.mark.django_db
def test_non_staff_cannot_open_the_admin(client_for, coordinator):
    response = client_for(coordinator).get(reverse("admin:cases_case_changelist"))
    assert response.status_code == 302
