"""Forms of the web UI. They validate input and shape it for ``cases.services`` and the
model methods; they never save anything themselves. Choices that could reveal case data
are built from what the user may see (``cases.access``)."""

from __future__ import annotations

import re
import zoneinfo
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models

from cases import access, services
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
        # ``pk IN (...)``, not a join with DISTINCT over every column (the list's
        # slowest query at 100,000 cases); name and id are all a choice shows.
        on_visible_cases = Case.projects.through.objects.filter(
            case_id__in=Case.objects.visible_to(user).values("pk")
        ).values("project_id")
        project.queryset = Project.objects.filter(pk__in=on_visible_cases).only("pk", "name")
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


class AffectedRowForm(forms.Form):
    """One affected package: purl, affected range (vers), fixed versions. The rules are
    ``cases.services.clean_affected``'s, shared with the API; the formset puts its
    errors on the row and field they name."""

    purl = forms.CharField(
        label="Package (purl)",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "pkg:pypi/libexample"}),
    )
    vers = forms.CharField(
        label="Affected versions (vers)",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "vers:pypi/>=1.2|<1.4.2"}),
    )
    fixed = forms.CharField(
        label="Fixed in",
        required=False,
        max_length=500,
        help_text="Comma-separated, e.g. 1.4.2, 1.3.9",
        widget=forms.TextInput(attrs={"placeholder": "1.4.2"}),
    )

    def row(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "purl": data.get("purl", ""),
            "vers": data.get("vers", ""),
            "fixed_versions": [v.strip() for v in data.get("fixed", "").split(",") if v.strip()],
        }

    def is_blank(self) -> bool:
        return not any(self.cleaned_data.get(f) for f in ("purl", "vers", "fixed"))


# Form field names of the service's row fields.
AFFECTED_FORM_FIELDS = {"purl": "purl", "vers": "vers", "fixed_versions": "fixed"}
AFFECTED_ERROR_RE = re.compile(r"^affected\[(\d+)\]\.(\w+)$")


class BaseAffectedFormSet(forms.BaseFormSet):
    """The rows of a vulnerability's affected packages; blank rows (the extra ones
    offered for adding, without JavaScript) and rows marked for removal are left out."""

    # The cleaned rows for ``services.save_vulnerability``, once the formset is valid.
    rows: list[dict[str, Any]]

    def kept_forms(self) -> list[AffectedRowForm]:
        rows = [cast(AffectedRowForm, f) for f in self.forms]
        return [
            f
            for f in rows
            if f.is_valid() and not f.cleaned_data.get("DELETE") and not f.is_blank()
        ]

    def clean(self) -> None:
        if any(self.errors):
            return
        kept = self.kept_forms()
        try:
            self.rows = services.clean_affected([f.row() for f in kept])
        except ValidationError as exc:
            self.add_service_errors(exc, kept)

    def add_service_errors(
        self, exc: ValidationError, kept: list[AffectedRowForm] | None = None
    ) -> bool:
        """Put errors named ``affected[i].field`` on row ``i`` of the kept rows; True
        when the error was about rows."""
        kept = self.kept_forms() if kept is None else kept
        if not hasattr(exc, "error_dict"):
            return False
        found = False
        for name, messages in exc.message_dict.items():
            match = AFFECTED_ERROR_RE.match(name)
            if match is None:
                continue
            index, field = int(match.group(1)), AFFECTED_FORM_FIELDS.get(match.group(2))
            if index < len(kept) and field is not None:
                kept[index].add_error(field, messages)
                found = True
        return found


AffectedFormSet = forms.formset_factory(
    AffectedRowForm, formset=BaseAffectedFormSet, extra=2, can_delete=True, max_num=200
)


def affected_formset(
    data: Any = None, *, vulnerability: Any = None, add_row: bool = False
) -> BaseAffectedFormSet:
    """The rows of ``vulnerability`` (or none yet), with empty rows to add more.
    ``add_row``: the "Add a row" button was pressed (no JavaScript): one more row."""
    if data is not None:
        if add_row:
            data = data.copy()
            key = "affected-TOTAL_FORMS"
            data[key] = str(int(data.get(key) or 0) + 1)
        return cast(BaseAffectedFormSet, AffectedFormSet(data, prefix="affected"))
    initial = []
    if vulnerability is not None:
        initial = [
            {"purl": a.purl, "vers": a.vers, "fixed": ", ".join(a.fixed_versions)}
            for a in vulnerability.affected.all()
        ]
    return cast(BaseAffectedFormSet, AffectedFormSet(prefix="affected", initial=initial))


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
