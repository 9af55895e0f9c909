"""API representations of the cases app. Serializers validate and shape data only:
every state change is a call to ``cases.services`` (or a model method) made by the view.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases import access, services, validators
from cases.api_common import StrictCharField
from cases.markdown import render_markdown
from cases.models import (
    Attachment,
    Case,
    Comment,
    CommentVisibility,
    Organisation,
    Participant,
    Report,
    VendorStatus,
    VendorStatusValue,
    Vulnerability,
)
from cases.models.vendor_status import STATEMENT_MAX_LENGTH, Justification
from cases.types import User

# --------------------------------------------------------------------------- errors


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable, e.g. `invalid`, `not_found`.")
    message = serializers.CharField()
    # A declared field: DRF's metaclass takes it off the class, so ``Serializer.fields``
    # (which the stubs see here) stays as it is.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Field name -> messages (nested fields as `affected[0].purl`).",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


def _validated(func: Any, value: str, **kwargs: Any) -> str:
    """Run a ``cases.validators`` normaliser; its ValidationError becomes a field error."""
    try:
        return func(value, **kwargs)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages) from exc


# --------------------------------------------------------------------------- people


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["slug", "name", "kind"]


class MembershipSerializer(serializers.Serializer):
    slug = serializers.CharField(source="organisation.slug")
    name = serializers.CharField(source="organisation.name")
    kind = serializers.ChoiceField(source="organisation.kind", choices=Organisation.Kind.choices)
    role = serializers.CharField()


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.SerializerMethodField()
    email = serializers.EmailField()
    is_coordinator = serializers.SerializerMethodField()
    organisations = serializers.SerializerMethodField()

    def get_name(self, user: User) -> str:
        return user.get_full_name() or user.get_username()

    def get_is_coordinator(self, user: User) -> bool:
        return access.is_sirt(user)

    @extend_schema_field(MembershipSerializer(many=True))
    def get_organisations(self, user: User) -> list[dict]:
        memberships = user.memberships.select_related("organisation").order_by("organisation__name")
        return [MembershipSerializer(m).data for m in memberships]


# --------------------------------------------------------------------------- reports


class AttachmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name")

    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "sha256", "uploaded_at"]


class ReportSerializer(serializers.ModelSerializer):
    case = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)
    organisation: serializers.SlugRelatedField[Organisation] = serializers.SlugRelatedField(
        source="reporter_organisation", slug_field="slug", read_only=True, allow_null=True
    )

    class Meta:
        model = Report
        fields = [
            "id",
            "title",
            "description",
            "purl",
            "package",
            "vers",
            "cwe",
            "cvss_vector",
            "wants_credit",
            "organisation",
            "status",
            "rejection_reason",
            "case",
            "attachments",
            "received_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_case(self, report: Report) -> str | None:
        """The case reference, only when the requester may see the case."""
        if not report.case_id:
            return None
        visible = self.context.get("visible_case_ids")
        if visible is None:
            user = self.context["request"].user
            visible = set(
                Case.objects.visible_to(user).filter(pk=report.case_id).values_list("pk", flat=True)
            )
        if report.case_id not in visible:
            return None
        case = report.case
        assert case is not None  # case_id is set: checked above
        return case.reference


class ReportSubmittedSerializer(ReportSerializer):
    """The answer to a submission: "received", the report and what happens next. Nothing
    in it depends on other reports or cases (intake must not be an oracle)."""

    duplicate_submission = serializers.SerializerMethodField(
        help_text="True when you had already sent this very report; nothing new was stored."
    )
    next_steps = serializers.SerializerMethodField(
        help_text="What happens now; the same text for every submission."
    )

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "duplicate_submission", "next_steps"]
        read_only_fields = fields

    def get_next_steps(self, report: Report) -> str:
        return services.RECEIVED_NEXT_STEPS

    def get_duplicate_submission(self, report: Report) -> bool:
        return not self.context.get("created", True)


class ReportCreateSerializer(serializers.Serializer):
    """A new report; identifiers are validated and normalised by ``cases.validators``."""

    title = StrictCharField(max_length=300)
    description = StrictCharField(help_text="Markdown.")
    purl = StrictCharField(
        max_length=500, required=False, allow_blank=True, help_text="e.g. pkg:pypi/lib@1.2.0"
    )
    vers = StrictCharField(
        max_length=500, required=False, allow_blank=True, help_text="e.g. vers:pypi/>=1.0|<1.4.2"
    )
    cwe = StrictCharField(max_length=12, required=False, allow_blank=True)
    cvss_vector = StrictCharField(max_length=200, required=False, allow_blank=True)
    wants_credit = serializers.BooleanField(required=False, default=True)
    organisation = serializers.SlugField(
        required=False, allow_blank=True, help_text="Slug of one of your organisations."
    )
    attachments = serializers.ListField(
        child=serializers.FileField(allow_empty_file=False),
        required=False,
        max_length=10,
        help_text=f"Up to 10 files of at most {settings.MAX_UPLOAD_BYTES} bytes each.",
    )

    def validate_title(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("Give the report a title.")
        return value.strip()

    def validate_description(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("Describe the finding.")
        return value

    def validate_purl(self, value: str) -> str:
        return _validated(validators.normalise_purl, value)

    def validate_vers(self, value: str) -> str:
        return _validated(validators.normalise_vers, value)

    def validate_cwe(self, value: str) -> str:
        return _validated(validators.normalise_cwe, value)

    def validate_cvss_vector(self, value: str) -> str:
        return _validated(validators.normalise_cvss, value)

    def validate_organisation(self, value: str) -> Organisation | None:
        if not value:
            return None
        user = self.context["request"].user
        org = access.member_organisations(user).filter(slug=value).first()
        if org is None:
            raise serializers.ValidationError("You are not a member of this organisation.")
        return org


# --------------------------------------------------------------------------- cases


def case_access_for(serializer: serializers.Serializer, obj: Any) -> access.CaseAccess:
    """The ``CaseAccess`` the view put in the context (``access``) for the case of ``obj``
    (a case, or a row of one), for field-level visibility; decided afresh only when the
    view gave none for this case."""
    case_id = obj.pk if isinstance(obj, Case) else obj.case_id
    case_access = serializer.context.get("access")
    if case_access is None or case_access.case.pk != case_id:
        case = obj if isinstance(obj, Case) else obj.case
        case_access = access.access_for(serializer.context["request"].user, case)
    return case_access


class CaseSerializer(serializers.ModelSerializer):
    title = serializers.SerializerMethodField(
        help_text="A title still in a reporter's wording reads `Title under review` for "
        "participants who may not read that report."
    )
    # many_init: what ``many=True`` calls, typed as the ManyRelatedField it returns.
    projects = serializers.SlugRelatedField.many_init(read_only=True, slug_field="slug")
    my_roles = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "reference",
            "title",
            "state",
            "severity",
            "projects",
            "my_roles",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields

    def get_title(self, case: Case) -> str:
        # Lists label their page with ``access.with_shown_titles`` (one query for all).
        shown = getattr(case, "shown_title", None)
        return shown if shown is not None else case_access_for(self, case).case_title

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_my_roles(self, case: Case) -> list[str]:
        roles = self.context.get("roles_by_case", {}).get(case.pk)
        if roles is None:
            roles = access.roles_for(self.context["request"].user, case)
        return sorted(roles)


def _iso(value: dt.datetime, tz: dt.tzinfo) -> str:
    """What DRF's ``DateTimeField`` writes (ISO 8601, ``Z`` for UTC), without its
    per-value lookup of the current time zone."""
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def case_list_items(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A page of ``CaseSerializer`` items from the rows of ``access.case_rows`` (and
    ``complete_rows``): the same keys and values (tests/api/test_api_case_list_rows.py
    holds them equal), without a model instance or a field object per case."""
    tz = timezone.get_current_timezone()
    return [
        {
            "reference": row["reference"],
            "title": row["shown_title"],
            "state": row["state"],
            "severity": row["severity"],
            "projects": list(row["project_list"]),
            "my_roles": list(row["my_roles"]),
            "created_at": _iso(row["created_at"], tz),
            "updated_at": _iso(row["updated_at"], tz),
            "version": row["version"],
        }
        for row in rows
    ]


class CaseDetailSerializer(CaseSerializer):
    summary_html = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()
    duplicate_of = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields,
            "summary",
            "summary_html",
            "duplicate_of",
            "allowed_actions",
        ]
        read_only_fields = fields

    def get_summary_html(self, case: Case) -> str:
        return str(render_markdown(case.summary))

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, case: Case) -> list[str]:
        return sorted(self.context["access"].actions)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_duplicate_of(self, case: Case) -> str | None:
        if not case.duplicate_of_id:
            return None
        user = self.context["request"].user
        target = Case.objects.visible_to(user).filter(pk=case.duplicate_of_id).first()
        return target.reference if target else None


class ParticipantSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    organisation: serializers.SlugRelatedField[Organisation] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )

    class Meta:
        model = Participant
        fields = ["id", "role", "name", "organisation", "invited_at", "acknowledged_at"]
        read_only_fields = fields


# --------------------------------------------------------------------------- vulnerabilities


class StrictTextModelSerializer(serializers.ModelSerializer):
    """Model text fields accept text only (``StrictCharField``): ``42`` is an error, not
    the string ``"42"``."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
    }


class AffectedPackageSerializer(serializers.Serializer):
    """One affected package, the same row as the web form's: the rules are
    ``services.clean_affected``'s, errors name row and field (``affected[1].vers``)."""

    purl = StrictCharField(max_length=500, help_text="Package URL without version.")
    vers = StrictCharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="Affected versions as a vers range in the package's scheme.",
    )
    fixed = serializers.ListField(
        source="fixed_versions",
        child=StrictCharField(max_length=100),
        required=False,
        default=list,
        help_text="Versions that fix it; each outside the affected range.",
    )


class VulnerabilitySerializer(StrictTextModelSerializer):
    affected = AffectedPackageSerializer(many=True, required=False)
    severity = serializers.CharField(read_only=True)
    credits = serializers.SerializerMethodField()
    version = serializers.IntegerField(
        required=False,
        help_text="The version you read; a stale one is refused with 409 (or use If-Match).",
    )

    class Meta:
        model = Vulnerability
        fields = [
            "id",
            "title",
            "description",
            "cwe",
            "cvss3_vector",
            "cvss3_score",
            "cvss4_vector",
            "cvss4_score",
            "severity",
            "cve_id",
            "affected",
            "credits",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = [
            "id",
            "cvss3_score",
            "cvss4_score",
            "severity",
            "credits",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "description": {"required": False},
            "cwe": {"required": False},
            "cvss3_vector": {"required": False},
            "cvss4_vector": {"required": False},
            "cve_id": {"required": False},
        }

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_credits(self, vuln: Vulnerability) -> list[str]:
        # The credits this requester may read (``CaseAccess.vulnerabilities``, the same
        # list as the case page), of those the people who agreed to be named. Without
        # that list this fails rather than fall back to every credit.
        # ``visible_credits``: the list ``CaseAccess.vulnerabilities`` prefetches (to_attr).
        return [c.name for c in vuln.visible_credits if c.consented]  # type: ignore[attr-defined]

    def to_representation(self, instance: Vulnerability) -> dict[str, Any]:
        data = super().to_representation(instance)
        # A title still in a reporter's wording, as the access module shows it.
        data["title"] = case_access_for(self, instance).vulnerability_title(instance)
        return data

    def validate_affected(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            return services.clean_affected(rows)
        except DjangoValidationError as exc:
            # As DRF nests a list's errors: one dict per row, ``affected[i].field``.
            detail: list[dict[str, list[str]]] = [{} for _ in rows]
            for name, messages in exc.message_dict.items():
                index, field = name.removeprefix("affected[").split("].", 1)
                detail[int(index)]["fixed" if field == "fixed_versions" else field] = messages
            raise serializers.ValidationError(detail) from exc

    def validate_cwe(self, value: str) -> str:
        return _validated(validators.normalise_cwe, value)

    def validate_cve_id(self, value: str) -> str:
        return _validated(validators.normalise_cve, value)

    def validate_cvss3_vector(self, value: str) -> str:
        return _validated(validators.normalise_cvss, value, version="3")

    def validate_cvss4_vector(self, value: str) -> str:
        return _validated(validators.normalise_cvss, value, version="4.0")


# --------------------------------------------------------------------------- comments


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    body_html = serializers.SerializerMethodField()
    organisation: serializers.SlugRelatedField[Organisation] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "body_html", "visibility", "organisation", "created_at"]
        read_only_fields = fields

    def get_author(self, comment: Comment) -> str:
        return comment.author.get_full_name() or comment.author.get_username()

    def get_body_html(self, comment: Comment) -> str:
        return str(render_markdown(comment.body))


class CommentCreateSerializer(serializers.Serializer):
    body = StrictCharField(help_text="Markdown; raw HTML is removed.")
    visibility = serializers.ChoiceField(
        choices=CommentVisibility.choices, default=CommentVisibility.ALL
    )
    organisation = serializers.SlugField(
        required=False, allow_blank=True, help_text="For visibility `organisation`."
    )

    def validate_organisation(self, value: str) -> Organisation | None:
        if not value:
            return None
        # Unknown and foreign organisations read alike: no probing of names.
        org = Organisation.objects.filter(slug=value).first()
        if org is None:
            raise serializers.ValidationError("Choose an organisation taking part in this case.")
        return org


class ApiTokenSerializer(serializers.Serializer):
    name = serializers.CharField()
    prefix = serializers.CharField(source="token.token_key")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(source="token.expiry", allow_null=True)


# --------------------------------------------------------------------------- vendor status


class VendorStatusSerializer(serializers.ModelSerializer):
    """A vendor status as ``cases.access.vendors`` lets the requester read it: who set
    it and the coordinator's note only for the SIRT and the organisation itself."""

    vulnerability = serializers.IntegerField(source="vulnerability_id", read_only=True)
    organisation: serializers.SlugRelatedField[Organisation] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    set_by = serializers.SerializerMethodField()
    note = serializers.SerializerMethodField()

    class Meta:
        model = VendorStatus
        fields = [
            "id",
            "vulnerability",
            "organisation",
            "organisation_name",
            "status",
            "justification",
            "product",
            "statement",
            "public",
            "set_by",
            "set_at",
            "on_behalf",
            "note",
            "version",
        ]
        read_only_fields = fields

    def _details(self, row: Any) -> bool:
        return access.may_read_vendor_status_details(self.context["access"], row)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_set_by(self, row: Any) -> str | None:
        if row.set_by is None or not self._details(row):
            return None
        return row.set_by.get_full_name() or row.set_by.get_username()

    def get_note(self, row: Any) -> str:
        return row.note if self._details(row) else ""


class VendorStatusSetSerializer(serializers.Serializer):
    vulnerability = serializers.IntegerField(help_text="The id of a vulnerability of the case.")
    organisation = serializers.SlugField(
        required=False,
        allow_blank=True,
        help_text="The organisation's slug; may be left out by a member of exactly one "
        "vendor organisation of the case.",
    )
    status = serializers.ChoiceField(choices=VendorStatusValue.choices)
    justification = serializers.ChoiceField(
        choices=Justification.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for `not_affected`, refused otherwise (CSAF/VEX justifications).",
    )
    product = StrictCharField(required=False, allow_blank=True, default="", max_length=200)
    statement = StrictCharField(
        required=False, allow_blank=True, default="", max_length=STATEMENT_MAX_LENGTH
    )
    public = serializers.BooleanField(
        required=False, default=False, help_text="Publish the status and statement in the advisory."
    )
    note = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=STATEMENT_MAX_LENGTH,
        help_text="Coordinators setting a status on an organisation's behalf: required.",
    )
    version = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The version you read, to change a status that exists (or If-Match); a "
        "stale one is refused with 409.",
    )
