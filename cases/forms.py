"""Forms of the web UI. They validate input and shape it for ``cases.services`` and the
model methods; they never save anything themselves. Choices that could reveal case data
are built from what the user may see (``cases.access``)."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models

from cases import access
from cases.access import KIND_ROLES, CaseAccess, kind_roles_text
from cases.models import (
    Case,
    CaseState,
    CommentVisibility,
    Credit,
    Membership,
    Organisation,
    ParticipantRole,
    Project,
    ReportStatus,
    Severity,
)
from cases.types import User
from cases.validators import (
    normalise_cve,
    normalise_cwe,
    normalise_purl,
    normalise_vers,
    parse_cvss,
)
from cases.widgets import FastSelect

# --------------------------------------------------------------------------- case list


SORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    # key -> (label, order_by); an explicit allow-list, never a raw field name from the URL.
    "-updated": ("Recently updated", ("-updated_at", "-id")),
    "updated": ("Least recently updated", ("updated_at", "id")),
    "-created": ("Newest", ("-created_at", "-id")),
    "created": ("Oldest", ("created_at", "id")),
    "reference": ("Reference", ("reference",)),
    "-severity": ("Most severe", ("-severity_rank", "-updated_at", "-id")),
    "title": ("Title", ("title", "id")),
}
DEFAULT_SORT = "-updated"


class CaseFilterForm(forms.Form):
    # FastSelect: four selects on the most visited page; Django's per-option templates
    # were a third of its rendering time (cases/widgets.py).
    q = forms.CharField(label="Search", required=False, max_length=200)
    state = forms.ChoiceField(
        required=False,
        choices=[("", "Any state"), ("open", "Open"), *CaseState.choices],
        widget=FastSelect,
    )
    severity = forms.ChoiceField(
        required=False, choices=[("", "Any severity"), *Severity.choices], widget=FastSelect
    )
    project = forms.ModelChoiceField(
        required=False,
        queryset=Project.objects.none(),
        empty_label="Any project",
        widget=FastSelect,
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[(k, label) for k, (label, _) in SORTS.items()],
        widget=FastSelect,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only projects of cases the user can see: a project list must not reveal that
        # some other project has a case.
        project = self.fields["project"]
        assert isinstance(project, forms.ModelChoiceField)
        project.queryset = Project.objects.filter(
            cases__in=Case.objects.visible_to(user)
        ).distinct()
        self.fields["q"].widget.attrs["type"] = "search"


# --------------------------------------------------------------------------- case editing


class CaseDetailsForm(forms.Form):
    title = forms.CharField(max_length=300)
    summary = forms.CharField(widget=forms.Textarea, required=False, help_text="Markdown.")
    version = forms.IntegerField(widget=forms.HiddenInput)


class TransitionForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ParticipantForm(forms.Form):
    # FastSelect: thousands of organisations and people at scale (cases/widgets.py).
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.exclude(kind=Organisation.Kind.SIRT),
        required=False,
        empty_label="— none —",
        widget=FastSelect,
    )
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        required=False,
        empty_label="— none —",
        label="Or a single person",
        widget=FastSelect,
    )
    role = forms.ChoiceField(
        choices=[c for c in ParticipantRole.choices if c[0] != ParticipantRole.COORDINATOR]
    )
    # Each kind of organisation has its roles (cases.access.KIND_ROLES); another role
    # is a coordinator's explicit decision, with its reason in the timeline.
    # Labels without "role" or "organisation": those label the fields above.
    override = forms.BooleanField(
        required=False,
        label="Override",
        help_text="Tick to give an organisation a role its kind does not usually take.",
    )
    override_reason = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason for the override",
        help_text="Written to the case timeline, which the participants read.",
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("organisation") and data.get("user"):
            self.add_error("user", "Choose an organisation or a person, not both.")
        elif not data.get("organisation") and not data.get("user") and not self.errors:
            self.add_error("organisation", "Choose an organisation or a person.")
        if data.get("override") and not (data.get("override_reason") or "").strip():
            self.add_error("override_reason", "Say why this organisation takes this role.")
        return data

    def kind_roles(self) -> list[tuple[str, str]]:
        """(kind, the roles it takes) for the page, from ``access.KIND_ROLES``."""
        return [
            (Organisation.Kind(kind).label, kind_roles_text(kind))
            for kind, roles in KIND_ROLES.items()
            if roles
        ]

    def override_reason_or_none(self) -> str | None:
        """The reason when the override box is ticked; ``None`` when it is not."""
        return self.cleaned_data["override_reason"] if self.cleaned_data.get("override") else None


def _split_affected_line(line: str) -> list[str]:
    """Split ``purl | vers | fixed``. A vers range contains ``|`` itself, so only a bar
    with a space next to it (or the first bar: a purl never has one) separates parts."""
    parts: list[str] = []
    current: list[str] = []
    for i, char in enumerate(line):
        if char == "|":
            spaced = line[i - 1 : i].isspace() or line[i + 1 : i + 2].isspace()
            if spaced or not parts:
                parts.append("".join(current).strip())
                current = []
                continue
        current.append(char)
    parts.append("".join(current).strip())
    return parts


def parse_affected(text: str) -> tuple[list[dict], list[str]]:
    """Lines of ``purl | vers | fixed1, fixed2``; returns (packages, one error per bad line)."""
    packages: list[dict] = []
    errors: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = _split_affected_line(line)
        if len(parts) > 3:
            errors.append(f"Line {number}: use at most three parts: purl | vers | fixed versions.")
            continue
        purl, vers, fixed = (parts + ["", ""])[:3]
        try:
            purl = normalise_purl(purl, allow_version=False)
            if not purl:
                raise ValidationError("a package URL (purl) is required.")
            vers = normalise_vers(vers)
        except ValidationError as exc:
            errors.append(f"Line {number}: {' '.join(exc.messages)}")
            continue
        packages.append(
            {
                "purl": purl,
                "vers": vers,
                "fixed_versions": [v.strip() for v in fixed.split(",") if v.strip()],
            }
        )
    return packages, errors


def format_affected(vulnerability: Any) -> str:
    lines = []
    for a in vulnerability.affected.all():
        line = f"{a.purl} | {a.vers}"
        if a.fixed_versions:
            line += f" | {', '.join(a.fixed_versions)}"
        lines.append(line)
    return "\n".join(lines)


class VulnerabilityForm(forms.Form):
    title = forms.CharField(max_length=300)
    description = forms.CharField(widget=forms.Textarea, required=False, help_text="Markdown.")
    cwe = forms.CharField(label="CWE", required=False, max_length=12, help_text="e.g. CWE-79")
    cvss3_vector = forms.CharField(
        label="CVSS 3.1 vector",
        required=False,
        max_length=200,
        help_text="e.g. CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    )
    cvss4_vector = forms.CharField(label="CVSS 4.0 vector", required=False, max_length=300)
    cve_id = forms.CharField(label="CVE id", required=False, max_length=20)
    affected = forms.CharField(
        label="Affected packages",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            "One package per line: purl | vers range | fixed versions, with spaces "
            "around the separating bars, e.g. "
            "pkg:pypi/libexample | vers:pypi/>=1.0|<1.4.2 | 1.4.2, 1.3.9"
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean_cwe(self) -> str:
        return normalise_cwe(self.cleaned_data["cwe"])

    def clean_cve_id(self) -> str:
        return normalise_cve(self.cleaned_data["cve_id"])

    def clean_cvss3_vector(self) -> str:
        parsed = parse_cvss(self.cleaned_data["cvss3_vector"])
        if parsed and parsed.version == "4.0":
            raise ValidationError("This is a CVSS 4.0 vector; put it in the CVSS 4.0 field.")
        return parsed.vector if parsed else ""

    def clean_cvss4_vector(self) -> str:
        parsed = parse_cvss(self.cleaned_data["cvss4_vector"])
        if parsed and parsed.version != "4.0":
            raise ValidationError("This is not a CVSS 4.0 vector.")
        return parsed.vector if parsed else ""

    def clean_affected(self) -> list[dict]:
        packages, errors = parse_affected(self.cleaned_data["affected"])
        if errors:
            raise ValidationError(errors)
        return packages


# --------------------------------------------------------------------------- discussion


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment", widget=forms.Textarea, help_text="Markdown; raw HTML is shown as text."
    )
    visibility = forms.ChoiceField(choices=CommentVisibility.choices)
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        help_text="Only for “one organisation”: who may read it (coordinators always can).",
        widget=FastSelect,  # every participant organisation: 200 in a large case
    )

    def __init__(self, *args: Any, case_access: CaseAccess, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the choices valid for this user, as ``services.post_comment`` checks them
        # (cases.access: coordinator notes for coordinators; an organisation-only note to
        # one's own organisations, any participant's for coordinators).
        allowed = access.comment_visibility_choices(case_access)
        visibility = self.fields["visibility"]
        assert isinstance(visibility, forms.ChoiceField)
        visibility.choices = [(v.value, v.label) for v in CommentVisibility if v in allowed]
        if CommentVisibility.ORGANISATION in allowed:
            organisation = self.fields["organisation"]
            assert isinstance(organisation, forms.ModelChoiceField)
            organisation.queryset = access.addressable_organisations(case_access)
        else:
            del self.fields["organisation"]

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if not body.strip():
            raise ValidationError("Write something first.")
        return body

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("visibility") == CommentVisibility.ORGANISATION and not data.get(
            "organisation"
        ):
            self.add_error("organisation", "Choose the organisation that may read this.")
        return data


class AttachmentForm(forms.Form):
    file = forms.FileField()


# --------------------------------------------------------------------------- triage


class ReportFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[*ReportStatus.choices, ("all", "All")])


class OpenCaseForm(forms.Form):
    title = forms.CharField(max_length=300)
    summary = forms.CharField(widget=forms.Textarea, required=False, help_text="Markdown.")
    projects = forms.ModelMultipleChoiceField(
        queryset=Project.objects.select_related("organisation"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class MergeReportForm(forms.Form):
    reference = forms.CharField(
        label="Existing case",
        max_length=32,
        help_text="Reference of an open case, e.g. AKR-2026-0042.",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_reference(self) -> Case:
        reference = self.cleaned_data["reference"].strip().upper()
        case = Case.objects.visible_to(self.user).filter(reference=reference).first()
        if case is None:
            raise ValidationError("No case with this reference.")
        if not case.is_open:
            raise ValidationError("This case is not open; duplicates join open cases only.")
        return case


class DuplicateCaseForm(MergeReportForm):
    """Mark a whole case as a duplicate of another open case the user can see."""

    def __init__(self, *args: Any, user: User, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.case = case
        self.fields["reference"].label = "Duplicate of"

    def clean_reference(self) -> Case:
        other = super().clean_reference()
        if other.pk == self.case.pk:
            raise ValidationError("A case cannot be a duplicate of itself.")
        return other


class RejectReportForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="The reporter will see this."
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("Give a reason; the reporter will see it.")
        return reason


# --------------------------------------------------------------------------- profile


def _timezone_choices() -> list[tuple[str, str]]:
    return [(z, z) for z in sorted(zoneinfo.available_timezones())]


class ProfileForm(forms.Form):
    timezone = forms.ChoiceField(
        label="Time zone",
        choices=_timezone_choices,
        help_text="Embargo and release dates are shown in this zone.",
    )


# --------------------------------------------------------------------------- case projects


class CaseProjectForm(forms.Form):
    # The project's name (or slug), typed: a select of every project put the whole
    # catalogue on every case page (5,000 projects at scale: 0.5 s and 250 KB per view).
    project = forms.CharField(
        max_length=200,
        help_text="The project's name, e.g. libexample.",
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case

    def clean_project(self) -> Project:
        value = self.cleaned_data["project"].strip()
        # Projects are the portal's catalogue, not case data: naming one reveals nothing.
        project = Project.objects.filter(
            models.Q(name__iexact=value) | models.Q(slug__iexact=value)
        ).first()
        if project is None:
            raise ValidationError(f"There is no project named {value!r}.")
        if self.case.projects.filter(pk=project.pk).exists():
            raise ValidationError(f"{project.name} is already a project of this case.")
        return project


# --------------------------------------------------------------------------- credits


def case_people(case: Case) -> Any:
    """Active people who take part in ``case``, themselves or through their organisation:
    the only accounts a credit may name (any wider list would reveal who uses the portal)."""
    active = case.participants.active()
    people = active.filter(user__isnull=False).values("user")
    organisations = active.filter(organisation__isnull=False).values("organisation")
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(models.Q(pk__in=people) | models.Q(memberships__organisation__in=organisations))
        .distinct()
        .order_by("username")
    )


class CreditForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="As it should appear in advisories.")
    kind = forms.ChoiceField(choices=Credit.Kind.choices, initial=Credit.Kind.FINDER)
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="— no account —",
        label="Account",
        widget=FastSelect,  # every member of every participant organisation
        help_text="The credited person decides themselves whether they are named.",
    )
    consented = forms.BooleanField(
        required=False,
        label="They agreed to be named",
        help_text="Only for a credit without an account.",
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        person = self.fields["user"]
        assert isinstance(person, forms.ModelChoiceField)
        person.queryset = case_people(case)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("user") and data.get("consented"):
            self.add_error("consented", "The person with this account gives consent themselves.")
        return data


class CreditConsentForm(forms.Form):
    consent = forms.ChoiceField(choices=[("give", "Give consent"), ("withdraw", "Withdraw")])


# --------------------------------------------------------------------------- organisation members


class MemberInviteForm(forms.Form):
    email = forms.EmailField(label="Email address")


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)
