from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from cases.models import Organisation
from cases.widgets import FastSelect
from disclosure.notifications.kinds import PREFERENCE_KINDS, WEBHOOK_KINDS
from disclosure.notifications.models import WebhookSubscription


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
    """Input only: ``subscriptions`` checks the target URL and who may save."""

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
        # The SIRT chooses among every organisation.
        widgets = {"organisation": FastSelect}

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.fields["url"]
        assert isinstance(url, forms.URLField)
        # URLField keeps its assume_scheme argument as this attribute and reads it when
        # cleaning; the stubs declare only the argument.
        url.assume_scheme = "https"  # type: ignore[attr-defined]
        organisation = self.fields["organisation"]
        assert isinstance(organisation, forms.ModelChoiceField)
        organisation.queryset = organisations
        if organisations.count() == 1:
            organisation.initial = organisations.first()
        if self.instance.pk:
            # An existing subscription stays with its organisation.
            del self.fields["organisation"]
            self.fields["expected_version"].initial = self.instance.version
        else:
            del self.fields["expected_version"]
