"""API representations of notifications and webhook subscriptions. Shapes and
validation only: the views (``disclosure.notifications.api``) call the services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from disclosure.notifications.models import Notification, WebhookSubscription


class NotificationSerializer(serializers.ModelSerializer):
    # A declared field: DRF's metaclass takes it off the class, so ``Field.label`` (which
    # the stubs see here) stays as it is.
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    case = serializers.SerializerMethodField()
    link = serializers.CharField(source="absolute_link", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "label", "case", "link", "created_at", "read_at"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_case(self, notification: Notification) -> str | None:
        return notification.case.reference if notification.case is not None else None


class MarkedReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notifications were marked read.")


class WebhookSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.slug", read_only=True)

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "organisation",
            "url",
            "event_types",
            "description",
            "is_active",
            "disabled_at",
            "disabled_reason",
            "created_at",
        ]
        read_only_fields = fields


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="Shown once: verify the webhook-signature header with it."
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookCreateSerializer(serializers.Serializer):
    organisation = serializers.SlugField(help_text="Slug of one of your organisations.")
    url = serializers.URLField(max_length=500)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=60),
        required=False,
        default=list,
        help_text="Event kinds to receive; empty for all.",
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
