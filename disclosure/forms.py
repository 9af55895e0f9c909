"""Forms of the embargo and release panels. Validation of business rules stays in
``disclosure.services``; these only parse input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from cases.models import Organisation
from cases.widgets import FastSelect
from disclosure.models import (
    DeploymentStatus,
    Embargo,
    EmbargoPolicy,
    ProposalResponse,
    ReleaseStatus,
)
from disclosure.services import MAX_BREAK_GRACE_HOURS

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class UTCDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DATETIME_FORMAT, **kwargs)


def utc_field(label: str, *, required: bool = True, help_text: str = "") -> forms.DateTimeField:
    # The form parses in the active time zone, which is UTC (settings.TIME_ZONE).
    return forms.DateTimeField(
        label=f"{label} (UTC)",
        required=required,
        widget=UTCDateTimeInput(),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        help_text=help_text,
    )


class ConfirmForm(forms.Form):
    """A one-click action: the button sends ``confirm``, so an empty POST does nothing."""

    confirm = forms.BooleanField(widget=forms.HiddenInput, initial=True)


class StartClockForm(forms.Form):
    policy = forms.ModelChoiceField(queryset=EmbargoPolicy.objects.filter(is_active=True))
    started_by = forms.CharField(
        label="What started it", max_length=200, help_text='e.g. "report received".'
    )
    started_at = utc_field(
        "Started at",
        required=False,
        help_text="Empty: when the first report arrived (report policies), else now.",
    )
    deadline = utc_field(
        "Deadline", required=False, help_text="Empty: the policy's default length."
    )


class StopClockForm(forms.Form):
    reason = forms.CharField(max_length=500)


class ProposalForm(forms.Form):
    public_at = utc_field("Proposed public date")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class RespondForm(forms.Form):
    stance = forms.ChoiceField(choices=ProposalResponse.Stance.choices)
    comment = forms.CharField(
        required=False, max_length=2000, help_text="Required when you object."
    )


class AcceptForm(ConfirmForm):
    reason = forms.CharField(required=False, max_length=2000)
    override = forms.BooleanField(
        required=False,
        label="Override",
        help_text="Only when the date is beyond a policy maximum or lacks the agreement the "
        "policy asks for; every participant is told.",
    )
    override_reason = forms.CharField(required=False, max_length=2000)


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=2000)


class WithdrawForm(ConfirmForm):
    pass


class BreakForm(forms.Form):
    kind = forms.ChoiceField(label="What happened", choices=Embargo.BreakKind.choices)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)
    grace_hours = forms.IntegerField(
        label="Grace (hours)", min_value=0, max_value=MAX_BREAK_GRACE_HOURS, initial=0
    )


class ReleasePlanForm(forms.Form):
    target_at = utc_field("Target release time")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReleaseTargetProposalForm(ConfirmForm):
    """A maintainer starts the plan and may propose the target (a coordinator sets it)."""

    target_at = utc_field(
        "Proposed target release time", required=False, help_text="Empty: just start the plan."
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ProjectReleaseForm(forms.Form):
    fixed_versions = forms.CharField(
        label="Fixed version(s)",
        max_length=500,
        required=False,
        help_text="Comma-separated. Recorded on the project's affected packages of the case.",
    )
    fix_url = forms.URLField(
        label="Fix commit or pull request URL",
        max_length=500,
        required=False,
        assume_scheme="https",
    )
    status = forms.ChoiceField(choices=ReleaseStatus.choices)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean_fixed_versions(self) -> list[str]:
        return [v.strip() for v in self.cleaned_data["fixed_versions"].split(",") if v.strip()]


class PreNotificationForm(forms.Form):
    # FastSelect: every partner of a large case (cases/widgets.py).
    organisation: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        queryset=None, widget=FastSelect
    )
    notify_at = utc_field(
        "Pre-notify on", required=False, help_text="Empty: 5 working days before the release."
    )

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organisation = self.fields["organisation"]
        assert isinstance(organisation, forms.ModelChoiceField)
        organisation.queryset = organisations


class AcknowledgeForm(ConfirmForm):
    pass


class GateOverrideForm(forms.Form):
    reason = forms.CharField(
        label="Why may the advisory go public before the fix is released?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Every participant is told, and the release panel shows it.",
    )


class RevokeOverrideForm(ConfirmForm):
    pass


class DeploymentForm(forms.Form):
    # FastSelect: every partner of a large case (cases/widgets.py).
    organisation: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        queryset=None, widget=FastSelect
    )
    status = forms.ChoiceField(choices=DeploymentStatus.choices)
    note = forms.CharField(required=False, max_length=500)

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organisation = self.fields["organisation"]
        assert isinstance(organisation, forms.ModelChoiceField)
        organisation.queryset = organisations
