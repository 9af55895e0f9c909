"""Forms of the public report page (``views.public_report``) and of onboarding
(``views.onboarding``). They validate input; the services in ``cases.public_intake``
and ``cases.onboarding`` decide and save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError

from cases import onboarding
from cases.intake import ReportForm
from cases.models import Organisation, Project


class PublicReportForm(ReportForm):
    """The report form for someone without a session: an address instead of an
    organisation, and a honeypot field people never see (``website``)."""

    email = forms.EmailField(
        label="Your e-mail address",
        help_text="We send a link to confirm the report; the SIRT sees it only then.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    # Hidden from people (visually and from assistive technology); bots fill it in.
    website = forms.CharField(
        label="Leave this field empty",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    field_order = ["email", "title", "description", "purl", "vers", "cwe", "cvss_vector"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        forms.Form.__init__(self, *args, **kwargs)
        del self.fields["organisation"]

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website", "").strip())


class ConfirmAccountForm(forms.Form):
    """The confirmation page of an address without an account: a username and a
    password for the account created for it (both may be left empty)."""

    username = forms.CharField(
        max_length=150,
        required=False,
        help_text="Letters, digits and @ . + - _ only.",
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, email: str, *args: Any, **kwargs: Any) -> None:
        self.email = email
        super().__init__(*args, **kwargs)
        self.fields[
            "password1"
        ].help_text = password_validation.password_validators_help_text_html()

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if not username:
            return ""
        user_model = get_user_model()
        user_model.username_validator(username)
        if user_model.objects.filter(username__iexact=username).exists():
            raise ValidationError("This username is taken.")
        return username

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 or p2:
            if p1 != p2:
                self.add_error("password2", "The two passwords differ.")
            else:
                candidate = get_user_model()(username=data.get("username", ""), email=self.email)
                try:
                    password_validation.validate_password(p1 or "", candidate)
                except ValidationError as exc:
                    self.add_error("password1", exc)
        return data


class OrganisationForm(forms.Form):
    name = forms.CharField(max_length=200)
    slug = forms.SlugField(
        max_length=80, required=False, help_text="In its addresses; empty: made from the name."
    )
    kind = forms.ChoiceField(choices=Organisation.Kind.choices)
    security_contact = forms.EmailField(
        label="Security contact address",
        required=False,
        help_text="Where the SIRT writes about vulnerabilities, e.g. security@example.org.",
    )
    website = forms.URLField(required=False, assume_scheme="https")

    @classmethod
    def for_organisation(cls, organisation: Organisation, data: Any = None) -> OrganisationForm:
        initial = {f: getattr(organisation, f) for f in onboarding.ORGANISATION_FIELDS}
        return cls(data, initial=initial)


class PurlsField(forms.CharField):
    """One purl per line; parsed and stored without version (``onboarding.normalise_purls``)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def clean(self, value: Any) -> list[str]:
        text = super().clean(value) or ""
        try:
            return onboarding.normalise_purls(text.splitlines())
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list | tuple) else value


class ProjectForm(forms.Form):
    name = forms.CharField(max_length=200)
    slug = forms.SlugField(
        max_length=80, required=False, help_text="In its addresses; empty: made from the name."
    )
    organisation = forms.ModelChoiceField(
        label="Maintaining organisation",
        queryset=Organisation.objects.filter(kind=Organisation.Kind.MAINTAINER).order_by("name"),
    )
    purls = PurlsField(
        label="Packages (purls)",
        required=False,
        help_text="One per line, e.g. pkg:pypi/libexample (a version is dropped).",
    )
    repository_url = forms.URLField(label="Repository URL", required=False, assume_scheme="https")

    def clean_purls(self) -> list[str]:
        value = self.cleaned_data.get("purls") or []
        return list(value)

    @classmethod
    def for_project(cls, project: Project, data: Any = None) -> ProjectForm:
        initial = {f: getattr(project, f) for f in onboarding.PROJECT_FIELDS}
        return cls(data, initial=initial)


class OnboardingInviteForm(forms.Form):
    email = forms.EmailField(
        label="Security contact address", help_text="The invitation goes to this address."
    )
    organisation_name = forms.CharField(label="Organisation", max_length=200)
    organisation_kind = forms.ChoiceField(
        label="Kind", choices=Organisation.Kind.choices, initial=Organisation.Kind.MAINTAINER
    )
    website = forms.URLField(required=False, assume_scheme="https")
    project_name = forms.CharField(
        label="Project", max_length=200, required=False, help_text="Created with the organisation."
    )
    project_purls = PurlsField(label="Packages (purls)", required=False)
    project_repository_url = forms.URLField(
        label="Repository URL", required=False, assume_scheme="https"
    )
