"""API representations of embargoes, release plans and advisories (notifications and
webhooks: ``disclosure.notifications.serializers``). Shapes and validation only: the
views call ``disclosure.services``."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.api_common import StrictCharField
from cases.types import User
from disclosure.models import (
    Advisory,
    AdvisoryChange,
    EmbargoClock,
    EmbargoProposal,
    PreNotification,
    ProjectRelease,
    ProposalResponse,
    ReleasePlan,
)
from disclosure.models.embargo import Embargo, EmbargoState
from disclosure.models.release import DeploymentStatus, ReleaseStatus


def _name(user: User | None) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


# --------------------------------------------------------------------------- embargo


class EmbargoClockSerializer(serializers.ModelSerializer):
    policy = serializers.CharField(source="policy.code")
    policy_name = serializers.CharField(source="policy.name")
    running = serializers.BooleanField(source="is_running")

    class Meta:
        model = EmbargoClock
        fields = [
            "policy",
            "policy_name",
            "started_at",
            "started_by",
            "deadline",
            "latest",
            "running",
        ]


class ProposalResponseSerializer(serializers.ModelSerializer):
    participant = serializers.CharField(source="participant.display_name")

    class Meta:
        model = ProposalResponse
        fields = ["participant", "stance", "comment", "updated_at"]


class ProposalSerializer(serializers.ModelSerializer):
    proposer = serializers.SerializerMethodField()
    responses = ProposalResponseSerializer(many=True, read_only=True)

    class Meta:
        model = EmbargoProposal
        fields = [
            "id",
            "public_at",
            "reason",
            "proposer",
            "state",
            "created_at",
            "decided_at",
            "decision_reason",
            "override",
            "agreement_override",
            "override_reason",
            "responses",
        ]

    def get_proposer(self, proposal: EmbargoProposal) -> str:
        return _name(proposal.proposer)


class EmbargoSerializer(serializers.ModelSerializer):
    clocks = EmbargoClockSerializer(many=True, read_only=True)
    updated_at = serializers.DateTimeField(allow_null=True, help_text="Null: no embargo yet.")
    proposals = ProposalSerializer(many=True, read_only=True)

    class Meta:
        model = Embargo
        fields = [
            "state",
            "public_at",
            "agreed_at",
            "lifted_at",
            "broken_at",
            "break_kind",
            "break_reason",
            "clocks",
            "proposals",
            "updated_at",
        ]


def empty_embargo() -> dict[str, Any]:
    """A case without an embargo row yet reads as state ``none``."""
    return {
        "state": EmbargoState.NONE,
        "public_at": None,
        "agreed_at": None,
        "lifted_at": None,
        "broken_at": None,
        "break_kind": "",
        "break_reason": "",
        "clocks": [],
        "proposals": [],
        "updated_at": None,
    }


class ProposalCreateSerializer(serializers.Serializer):
    public_at = serializers.DateTimeField(help_text="The proposed public date (ISO 8601).")
    reason = StrictCharField()


class ProposalAcceptSerializer(serializers.Serializer):
    reason = StrictCharField(required=False, allow_blank=True, default="", max_length=2000)
    override = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Needed when the date is beyond a policy maximum or lacks the agreement "
        "the policy asks for (the maintainers at least); every participant is told.",
    )
    override_reason = StrictCharField(required=False, allow_blank=True, default="", max_length=2000)


class ProposalRespondSerializer(serializers.Serializer):
    stance = serializers.ChoiceField(choices=ProposalResponse.Stance.choices)
    comment = StrictCharField(
        required=False, allow_blank=True, default="", help_text="Required when objecting."
    )


# --------------------------------------------------------------------------- release


class ProjectReleaseSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.slug")
    project_name = serializers.CharField(source="project.name")
    fixed_versions = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="The fixed versions of the project's affected packages on the case "
        "(the vulnerabilities' `affected[].fixed`): one fact, entered once.",
    )

    class Meta:
        model = ProjectRelease
        fields = [
            "id",
            "project",
            "project_name",
            "fixed_versions",
            "fix_url",
            "status",
            "ready_at",
            "released_at",
            "updated_at",
            "version",
        ]


class ProjectReleaseUpdateSerializer(serializers.Serializer):
    fixed_versions = serializers.ListField(
        child=StrictCharField(max_length=100),
        required=False,
        help_text="Written on the project's affected packages of the case; omit to keep.",
    )
    fix_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=ReleaseStatus.choices, required=False)
    version = serializers.IntegerField(
        required=False, help_text="The version you read (or send If-Match); stale: 409."
    )


class PreNotificationSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.slug")
    organisation_name = serializers.CharField(source="organisation.name")

    class Meta:
        model = PreNotification
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "notify_at",
            "sent_at",
            "acknowledged_at",
        ]


class DeploymentSerializer(serializers.Serializer):
    organisation = serializers.CharField(source="organisation.slug")
    organisation_name = serializers.CharField(source="organisation.name")
    status = serializers.ChoiceField(choices=DeploymentStatus.choices)
    reported_at = serializers.DateTimeField(allow_null=True)
    deployed_at = serializers.DateTimeField(allow_null=True)


class PublicationOverrideSerializer(serializers.Serializer):
    reason = serializers.CharField()
    decided_by = serializers.SerializerMethodField()
    decided_at = serializers.DateTimeField()
    blockers = serializers.ListField(child=serializers.CharField())

    def get_decided_by(self, override: Any) -> str:
        return _name(override.decided_by)


class PublicationGateSerializer(serializers.Serializer):
    """The release gate: may the case's advisory go public?"""

    released = serializers.BooleanField(
        source="is_released", help_text="Every affected project has released its fix."
    )
    allows_publication = serializers.BooleanField(
        help_text="Released, or a coordinator's override is in force."
    )
    blockers = serializers.ListField(
        child=serializers.CharField(), help_text="Why it is not released yet, in words."
    )
    override = PublicationOverrideSerializer(allow_null=True)


class GateOverrideSerializer(serializers.Serializer):
    reason = StrictCharField(
        max_length=2000, help_text="Why the advisory may go public before the fix is released."
    )


class ReleasePlanSerializer(serializers.ModelSerializer):
    projects = ProjectReleaseSerializer(source="project_releases", many=True, read_only=True)
    pre_notifications = PreNotificationSerializer(many=True, read_only=True)
    deployments = serializers.SerializerMethodField()
    publication_gate = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField(allow_null=True, help_text="Null: no plan yet.")
    version = serializers.IntegerField(help_text="0 while there is no plan yet.")

    class Meta:
        model = ReleasePlan
        fields = [
            "target_at",
            "proposed_target_at",
            "fixed_at",
            "released_at",
            "projects",
            "pre_notifications",
            "deployments",
            "publication_gate",
            "updated_at",
            "version",
        ]

    @extend_schema_field(DeploymentSerializer(many=True))
    def get_deployments(self, plan: ReleasePlan) -> list[dict]:
        return [DeploymentSerializer(d).data for d in self.context["deployments"]]

    @extend_schema_field(PublicationGateSerializer)
    def get_publication_gate(self, plan: ReleasePlan) -> dict:
        return dict(PublicationGateSerializer(self.context["gate"]).data)


class DeploymentReportCreateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=DeploymentStatus.choices)
    note = StrictCharField(max_length=500, required=False, allow_blank=True, default="")
    organisation = serializers.SlugField(
        required=False,
        allow_blank=True,
        help_text="Your organisation's slug; optional when you report for only one.",
    )


# --------------------------------------------------------------------------- advisories


class AdvisoryLinksSerializer(serializers.Serializer):
    html = serializers.CharField()
    csaf = serializers.CharField()
    osv = serializers.ListField(child=serializers.CharField())
    cve = serializers.ListField(child=serializers.CharField())


class PublicAdvisorySerializer(serializers.ModelSerializer):
    """Only the frozen content of the latest published revision, never the working copy."""

    title = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    cve_ids = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = Advisory
        fields = [
            "identifier",
            "title",
            "summary",
            "published_at",
            "revision",
            "withdrawn_at",
            "cve_ids",
            "links",
        ]

    def _content(self, advisory: Advisory) -> dict[str, Any]:
        revision = advisory.current_revision
        return revision.content if revision is not None else {}

    def get_title(self, advisory: Advisory) -> str:
        return str(self._content(advisory).get("title", ""))

    def get_summary(self, advisory: Advisory) -> str:
        return str(self._content(advisory).get("summary", ""))

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_cve_ids(self, advisory: Advisory) -> list[str]:
        vulns = self._content(advisory).get("vulnerabilities", [])
        return [v["cve_id"] for v in vulns if v.get("cve_id")]

    @extend_schema_field(AdvisoryLinksSerializer)
    def get_links(self, advisory: Advisory) -> dict[str, Any]:
        request = self.context["request"]
        vulns = self._content(advisory).get("vulnerabilities", [])

        def url(name: str, *args: Any) -> str:
            return request.build_absolute_uri(reverse(name, args=args))

        return {
            "html": url("advisories:detail", advisory.identifier),
            "csaf": url("advisories:csaf", advisory.identifier),
            "osv": [url("advisories:osv", v["osv_id"]) for v in vulns if v.get("osv_id")],
            "cve": [url("advisories:cve", v["cve_id"]) for v in vulns if v.get("cve_id")],
        }


class AdvisoryChangeSerializer(serializers.ModelSerializer):
    """A revision or withdrawal of a published advisory, in review or approved."""

    # Plain strings: a choice set named "kind" would collide in the schema with others.
    kind = serializers.CharField(read_only=True, help_text="revision or withdrawal")
    state = serializers.CharField(
        read_only=True, help_text="in_review or approved (an open change)"
    )
    requested_by = serializers.SerializerMethodField()

    class Meta:
        model = AdvisoryChange
        fields = ["kind", "state", "summary", "requested_by", "requested_at", "approved_at"]

    def get_requested_by(self, change: AdvisoryChange) -> str:
        return _name(change.requested_by)


class AdvisoryDraftSerializer(serializers.ModelSerializer):
    """The working copy, for participants with ``view_advisory_draft`` (embargoed)."""

    open_change = serializers.SerializerMethodField()

    class Meta:
        model = Advisory
        fields = [
            "identifier",
            "state",
            "title",
            "summary",
            "details",
            "workarounds",
            # {"<vulnerability id>": "Markdown"}: the workarounds of one vulnerability only.
            "vulnerability_workarounds",
            "references",
            "scheduled_at",
            "published_at",
            "withdrawn_at",
            "revision",
            "open_change",
            "updated_at",
            "version",
        ]

    @extend_schema_field(AdvisoryChangeSerializer(allow_null=True))
    def get_open_change(self, advisory: Advisory) -> dict[str, Any] | None:
        change = advisory.open_change if advisory.is_public else None
        return AdvisoryChangeSerializer(change).data if change is not None else None


class AdvisoryEditSerializer(serializers.Serializer):
    """A change of the working copy (coordinators); fields left out stay as they are."""

    title = StrictCharField(max_length=300, required=False)
    summary = StrictCharField(required=False, allow_blank=True)
    details = StrictCharField(required=False, allow_blank=True)
    workarounds = StrictCharField(required=False, allow_blank=True)
    references = serializers.ListField(
        child=serializers.DictField(child=StrictCharField(max_length=2000, allow_blank=True)),
        required=False,
        help_text='[{"url": "https://...", "label": "Fix commit"}]; checked like the web form.',
    )
    version = serializers.IntegerField(required=False, help_text="Or an If-Match header.")


class AdvisoryStepSerializer(serializers.Serializer):
    """One step of the review; ``reason`` is what changed (``submit_revision``), the
    public reason (``request_withdrawal``) or the request (``request_changes``)."""

    reason = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")
    version = serializers.IntegerField(required=False, help_text="Or an If-Match header.")
