from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from cases.models import Organisation
from cases.widgets import FastSelect
from disclosure.notifications.kinds import (
    PREFERENCE_KINDS,
    URGENT_HOURS,
    WEBHOOK_KINDS,
    Kind,
    Role,
)
from disclosure.notifications.models import EmailWhen, WebhookSubscription


class PreferencesForm(forms.Form):
    """Per kind: portal and email checkboxes and when the email goes out; the digest."""

    # Unticked boxes send nothing: without this marker an empty POST would turn
    # every notification off.
    submitted = forms.CharField(widget=forms.HiddenInput, initial="1")

    daily_digest = forms.BooleanField(
        required=False,
        label="Daily digest",
        help_text="Everything in one email a day, also what would come at once by default "
        "(a kind set to “At once” below still does). Escalations are always sent at once.",
    )

    def __init__(
        self, *args: Any, initial_prefs: dict[str, tuple[bool, bool, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.rows = []
        for kind in PREFERENCE_KINDS:
            in_app, email, when = initial_prefs.get(kind.code, (True, True, EmailWhen.SUGGESTED))
            slug = kind.code.replace(".", "__")
            self.fields[f"in_app__{slug}"] = forms.BooleanField(
                required=False, initial=in_app, label=f"{kind.label}: in the portal"
            )
            self.fields[f"email__{slug}"] = forms.BooleanField(
                required=False, initial=email, label=f"{kind.label}: by email"
            )
            self.fields[f"when__{slug}"] = forms.ChoiceField(
                required=False,
                choices=EmailWhen.choices,
                initial=when,
                label=f"{kind.label}: when the email goes out",
            )
            self.rows.append(
                (
                    kind,
                    self[f"in_app__{slug}"],
                    self[f"email__{slug}"],
                    self[f"when__{slug}"],
                    suggested_for(kind),
                )
            )

    def choices(self) -> dict[str, tuple[bool, bool, str]]:
        found = {}
        for kind in PREFERENCE_KINDS:
            slug = kind.code.replace(".", "__")
            found[kind.code] = (
                self.cleaned_data[f"in_app__{slug}"],
                self.cleaned_data[f"email__{slug}"],
                self.cleaned_data[f"when__{slug}"] or EmailWhen.SUGGESTED,
            )
        return found


_ROLE_NAMES = {
    Role.COORDINATOR: "coordinators",
    Role.MAINTAINER: "maintainers",
    Role.PARTNER: "partners",
    Role.REPORTER: "reporters",
}


def suggested_for(kind: Kind) -> str:
    """In words: who gets this kind's email at once by default."""
    if kind.at_once >= {Role.MAINTAINER, Role.PARTNER, Role.REPORTER}:
        return "At once for everyone"
    names = [n for r, n in _ROLE_NAMES.items() if r in kind.at_once]
    text = "At once for " + ", ".join(names) if names else "Digest"
    urgent = [n for r, n in _ROLE_NAMES.items() if r in kind.urgent_for and r not in kind.at_once]
    if urgent:
        text += f"; for {', '.join(urgent)} at once within {URGENT_HOURS} hours of the date"
    return text + "; otherwise the daily digest"


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
