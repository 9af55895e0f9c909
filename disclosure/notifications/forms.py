from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from cases.models import Organisation
from disclosure.notifications.kinds import PREFERENCE_KINDS, WEBHOOK_KINDS
from disclosure.notifications.models import WebhookSubscription
from disclosure.notifications.webhooks import check_target


class PreferencesForm(forms.Form):
    """One pair of checkboxes (portal, email) per kind, plus the daily digest."""

    # Unticked boxes send nothing: without this marker an empty POST would turn
    # every notification off.
    submitted = forms.CharField(widget=forms.HiddenInput, initial="1")

    daily_digest = forms.BooleanField(
        required=False,
        label="Daily digest",
        help_text="One email a day with everything, instead of one email per notification. "
        "Escalations are always sent at once.",
    )

    def __init__(self, *args: Any, initial_prefs: dict[str, tuple[bool, bool]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.rows = []
        for kind in PREFERENCE_KINDS:
            in_app, email = initial_prefs.get(kind.code, (True, True))
            slug = kind.code.replace(".", "__")
            self.fields[f"in_app__{slug}"] = forms.BooleanField(
                required=False, initial=in_app, label=f"{kind.label}: in the portal"
            )
            self.fields[f"email__{slug}"] = forms.BooleanField(
                required=False, initial=email, label=f"{kind.label}: by email"
            )
            self.rows.append((kind, self[f"in_app__{slug}"], self[f"email__{slug}"]))

    def choices(self) -> dict[str, tuple[bool, bool]]:
        return {
            kind.code: (
                self.cleaned_data[f"in_app__{kind.code.replace('.', '__')}"],
                self.cleaned_data[f"email__{kind.code.replace('.', '__')}"],
            )
            for kind in PREFERENCE_KINDS
        }


class WebhookForm(forms.ModelForm):
    event_types = forms.MultipleChoiceField(
        choices=[(k.code, k.label) for k in WEBHOOK_KINDS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event.",
    )
    # The version the user edited from: a concurrent edit is refused, not overwritten.
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = WebhookSubscription
        fields = ["organisation", "url", "description", "event_types"]
        field_classes = {"url": forms.URLField}

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["url"].assume_scheme = "https"
        self.fields["organisation"].queryset = organisations
        if organisations.count() == 1:
            self.fields["organisation"].initial = organisations.first()
        if self.instance.pk:
            # An existing subscription stays with its organisation.
            del self.fields["organisation"]
            self.fields["expected_version"].initial = self.instance.version
        else:
            del self.fields["expected_version"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            check_target(url)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["url"]) from None
        return url


def manageable_organisations(user: Any) -> Any:
    """Organisations whose webhooks the user may manage: those they are a member of."""
    return Organisation.objects.filter(membership__user=user).distinct()
