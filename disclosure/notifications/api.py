"""REST API of the notification centre and of partners' webhook subscriptions.

Registered on the one router in ``akrites/api_urls.py`` (``register``). Querysets come
from the same rules as the web pages (``Notification.objects.centre_for``,
``subscriptions.visible_subscriptions``); every write calls the same service.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from cases import access
from cases.api_common import (
    IdempotentPostMixin,
    StableCursorPagination,
    UpdatedSinceFilter,
    building_schema,
)
from cases.types import AuthenticatedRequest
from disclosure.notifications import services as notification_services
from disclosure.notifications import subscriptions
from disclosure.notifications.models import Notification, WebhookSubscription
from disclosure.notifications.serializers import (
    MarkedReadSerializer,
    NotificationSerializer,
    WebhookCreatedSerializer,
    WebhookCreateSerializer,
    WebhookSerializer,
)

# --------------------------------------------------------------------------- notifications


class NotificationFilter(django_filters.FilterSet):
    updated_since = UpdatedSinceFilter("created_at")
    unread = django_filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", help_text="Only unread ones."
    )

    class Meta:
        model = Notification
        fields = ["updated_since", "unread"]


class NotificationPagination(StableCursorPagination):
    ordering = ("-created_at", "-id")


@extend_schema_view(
    list=extend_schema(tags=["notifications"], summary="My notifications"),
    read=extend_schema(
        tags=["notifications"],
        summary="Mark one notification read",
        request=None,
        responses=MarkedReadSerializer,
    ),
    read_all=extend_schema(
        tags=["notifications"],
        summary="Mark all my notifications read",
        request=None,
        responses=MarkedReadSerializer,
    ),
)
class NotificationViewSet(IdempotentPostMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    request: AuthenticatedRequest  # the API's default permission: IsAuthenticated
    serializer_class = NotificationSerializer
    pagination_class = NotificationPagination
    filterset_class = NotificationFilter
    search_fields: list[str] = []
    ordering_fields = ["created_at"]
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet:
        if building_schema(self):
            return Notification.objects.none()
        # Only cases the user can still see (the notification centre's own rule).
        return Notification.objects.centre_for(self.request.user).select_related("case")

    @action(detail=True, methods=["post"])
    def read(self, request: AuthenticatedRequest, pk: str) -> Response:
        get_object_or_404(self.get_queryset(), pk=pk)
        return Response({"marked": notification_services.mark_read(request.user, int(pk))})

    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: AuthenticatedRequest) -> Response:
        return Response({"marked": notification_services.mark_all_read(request.user)})


# --------------------------------------------------------------------------- webhooks


@extend_schema_view(
    list=extend_schema(tags=["webhooks"], summary="Webhook subscriptions of my organisations"),
    retrieve=extend_schema(tags=["webhooks"], summary="One webhook subscription"),
    create=extend_schema(
        tags=["webhooks"],
        summary="Subscribe my organisation to events (its admins, or the SIRT)",
        request=WebhookCreateSerializer,
        responses={201: WebhookCreatedSerializer},
    ),
    destroy=extend_schema(
        tags=["webhooks"], summary="Delete a subscription (its organisation's admins, or the SIRT)"
    ),
)
class WebhookViewSet(
    IdempotentPostMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    request: AuthenticatedRequest  # the API's default permission: IsAuthenticated
    serializer_class = WebhookSerializer
    pagination_class = None
    filter_backends: list = []
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet:
        if building_schema(self):
            return WebhookSubscription.objects.none()
        return subscriptions.visible_subscriptions(self.request.user).select_related("organisation")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = self.request.user
        if not access.managed_organisations(user).exists():
            raise PermissionDenied("Only an organisation's admins can add its webhooks.")
        serializer = WebhookCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # An organisation the caller is not in reads as unknown, like a missing one; a
        # member who is not an admin is refused by the service (403).
        organisation = (
            subscriptions.visible_organisations(user).filter(slug=data["organisation"]).first()
        )
        if organisation is None:
            raise ValidationError({"organisation": ["Not one of your organisations."]})
        subscription = subscriptions.create_subscription(
            user,
            organisation=organisation,
            url=data["url"],
            description=data.get("description", ""),
            event_types=data.get("event_types", []),
        )
        return Response(WebhookCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: WebhookSubscription) -> None:
        subscriptions.delete_subscription(instance, self.request.user)


def register(router: DefaultRouter) -> None:
    """Add the notification and webhook viewsets to the API router."""
    router.register("notifications", NotificationViewSet, basename="notification")
    router.register("webhooks", WebhookViewSet, basename="webhook")
