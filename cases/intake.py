"""The web form for a new report. It validates and normalises the identifiers with
``cases.validators`` (a bad one is a field error) and hands the data to
``services.submit_report``; it never saves anything itself."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from cases import access, validators
from cases.models import Organisation
from cases.types import User


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ReportForm(forms.Form):
    title = forms.CharField(max_length=300)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 10}), help_text="Markdown.")
    purl = forms.CharField(
        label="Package (purl)",
        required=False,
        max_length=500,
        help_text="e.g. pkg:pypi/libexample@1.2.0",
    )
    vers = forms.CharField(
        label="Affected versions (vers)",
        required=False,
        max_length=500,
        help_text="e.g. vers:pypi/>=1.0|<1.4.2",
    )
    cwe = forms.CharField(label="CWE", required=False, max_length=12, help_text="e.g. CWE-787")
    cvss_vector = forms.CharField(
        label="CVSS vector",
        required=False,
        max_length=200,
        help_text="CVSS:3.1/… or CVSS:4.0/…",
    )
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        empty_label="Myself",
        help_text="Report on behalf of one of your organisations.",
    )
    wants_credit = forms.BooleanField(
        label="Credit me by name in the advisory", required=False, initial=True
    )
    attachments = MultipleFileField(
        required=False,
        help_text=f"Up to 10 files of at most {settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB.",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organisation = self.fields["organisation"]
        assert isinstance(organisation, forms.ModelChoiceField)
        organisation.queryset = access.member_organisations(user)

    def _normalise(self, name: str, func: Any) -> str:
        return func(self.cleaned_data.get(name, ""))

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not title:
            raise ValidationError("Give the report a title.")
        return title

    def clean_purl(self) -> str:
        return self._normalise("purl", validators.normalise_purl)

    def clean_vers(self) -> str:
        return self._normalise("vers", validators.normalise_vers)

    def clean_cwe(self) -> str:
        return self._normalise("cwe", validators.normalise_cwe)

    def clean_cvss_vector(self) -> str:
        return self._normalise("cvss_vector", validators.normalise_cvss)

    def clean_attachments(self) -> list:
        files = self.cleaned_data.get("attachments") or []
        if len(files) > 10:
            raise ValidationError("At most 10 files.")
        for upload in files:
            if upload.size > settings.MAX_UPLOAD_BYTES:
                raise ValidationError(
                    f"{upload.name} is larger than {settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB."
                )
        return files


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses it, e.g. “scanner pipeline”.")
    days = forms.IntegerField(
        label="Valid for (days)",
        min_value=1,
        max_value=settings.API_TOKEN_MAX_DAYS,
        initial=90,
    )


class SarifForm(forms.Form):
    """A SARIF log to submit as a batch of findings (``cases.batches``)."""

    sarif = forms.FileField(
        label="SARIF log",
        help_text=(
            f"A SARIF 2.1.0 file of up to {settings.REPORT_BATCH_MAX_FINDINGS} results and "
            f"{settings.SARIF_MAX_BYTES // (1024 * 1024)} MB."
        ),
    )
    purl = forms.CharField(
        label="Package (purl)",
        required=False,
        max_length=500,
        help_text="For runs whose properties name no purl, e.g. pkg:pypi/libexample@1.2.0",
    )
    vers = forms.CharField(
        label="Affected versions (vers)",
        required=False,
        max_length=500,
        help_text="e.g. vers:pypi/>=1.0|<1.4.2",
    )
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        empty_label="Myself",
        help_text="Report on behalf of one of your organisations.",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organisation = self.fields["organisation"]
        assert isinstance(organisation, forms.ModelChoiceField)
        organisation.queryset = access.member_organisations(user)

    def clean_purl(self) -> str:
        return validators.normalise_purl(self.cleaned_data.get("purl", ""))

    def clean_vers(self) -> str:
        return validators.normalise_vers(self.cleaned_data.get("vers", ""))
