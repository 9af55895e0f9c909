"""The outbox, the notification centre, preferences, mutes and partner webhooks.

``Notification`` is both the outbox and the in-app notification centre: one row per
(key, subject, due time, recipient, channel), unique in the database, written in the
transaction of the change that causes it. In-app rows are delivered when written;
email and webhook rows are claimed and sent by ``services.send_pending``.
"""

from __future__ import annotations

import base64
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cases import access
from cases.models import Case, Organisation
from cases.types import User
from disclosure.notifications.kinds import label


class Channel(models.TextChoices):
    IN_APP = "in_app", "In the portal"
    EMAIL = "email", "Email"
    DIGEST = "digest", "Daily digest email"
    WEBHOOK = "webhook", "Webhook"


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"  # claimed by a sender until ``lease_until``
    SENT = "sent", "Sent"
    HELD = "held", "Held for the digest"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"  # nobody to send to any more (access, address, disabled)


class NotificationQuerySet(models.QuerySet):
    def centre_for(self, user: User) -> NotificationQuerySet:
        """The user's in-app notifications, only for cases they can still see."""
        mine = self.filter(recipient=user, channel=Channel.IN_APP)
        if access.is_sirt(user):  # sees every case: no need to ask (cheaper on every page)
            return mine
        visible = Case.objects.visible_to(user).values("pk")
        return mine.filter(Q(case__isnull=True) | Q(case__in=visible))

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    # Stable across retries: the webhook-id receivers use to drop duplicates.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=60)
    # The kind plus a variant (e.g. "reminder.embargo.7d"): one part of the unique key.
    key = models.CharField(max_length=100)
    subject = models.CharField(max_length=100)  # e.g. "case:12", "comment:5", "embargo:3"
    due_at = models.DateTimeField()
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    subscription = models.ForeignKey(
        "WebhookSubscription",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    escalation = models.BooleanField(default=False)
    # Ids only (comment_id, transition name, ...): never titles or other case text.
    data = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "subject", "due_at", "recipient", "channel"],
                condition=Q(recipient__isnull=False),
                name="notification_once_per_user",
            ),
            models.UniqueConstraint(
                fields=["key", "subject", "due_at", "subscription"],
                condition=Q(subscription__isnull=False),
                name="notification_once_per_webhook",
            ),
            models.CheckConstraint(
                condition=Q(recipient__isnull=False) | Q(subscription__isnull=False),
                name="notification_has_recipient",
            ),
        ]
        indexes = [
            # The sender's two claim queries and the digest's.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="notif_pending_due",
            ),
            models.Index(
                fields=["lease_until"], condition=Q(status="sending"), name="notif_lease_expiry"
            ),
            models.Index(fields=["recipient"], condition=Q(status="held"), name="notif_held"),
            # The notification centre and its unread count.
            models.Index(
                fields=["recipient", "-created_at"],
                condition=Q(channel="in_app"),
                name="notif_centre",
            ),
            # The unread count in the navigation, on every page.
            models.Index(
                fields=["recipient"],
                condition=Q(channel="in_app", read_at__isnull=True),
                name="notif_unread",
            ),
            models.Index(fields=["status", "-created_at"], name="notif_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.subject} -> {self.recipient_id or self.subscription_id}"

    @property
    def label(self) -> str:
        return label(self.kind)

    @property
    def case_reference(self) -> str:
        return self.case.reference if self.case is not None else ""

    @property
    def link(self) -> str:
        """Where the notification points: the case page (which checks access itself)."""
        try:
            if self.case is not None:  # no query when case_id is None
                return self.case.get_absolute_url()
            if self.kind.startswith("report.") and self.data.get("report_id"):
                return reverse("cases:report_detail", args=[self.data["report_id"]])
            if self.kind.startswith("report.batch.") and self.data.get("batch_id"):
                return reverse("cases:batch_detail", args=[self.data["batch_id"]])
            if self.subscription_id:
                return reverse("notifications:webhook_detail", args=[self.subscription_id])
        except NoReverseMatch:
            pass
        return reverse("notifications:centre")

    @property
    def absolute_link(self) -> str:
        return settings.SITE_URL + self.link


class DeadlineMark(models.Model):
    """One row per deadline the sweep has handled: the sweep never handles it twice,
    and its queries skip marked deadlines instead of re-resolving recipients."""

    key = models.CharField(max_length=100)
    subject = models.CharField(max_length=100)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "subject", "due_at"], name="deadline_once")
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.subject} @ {self.due_at:%Y-%m-%d %H:%M}"


# --------------------------------------------------------------------------- preferences


class NotificationSettings(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    daily_digest = models.BooleanField(
        default=False,
        help_text="One email a day with everything, instead of one email per notification.",
    )

    def __str__(self) -> str:
        return f"Notification settings of {self.user_id}"


class EmailWhen(models.TextChoices):
    """When a kind's email goes out; "" follows the kind's default for the role."""

    SUGGESTED = "", "As suggested (at once when you must act, else the daily digest)"
    NOW = "now", "At once"
    DIGEST = "digest", "In the daily digest"


class KindPreference(models.Model):
    """The channels one user wants for one kind. No row: portal, and email at once or
    in the digest as the kind suggests for the user's role (``kinds.Kind.default_email``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=60)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=True)
    email_when = models.CharField(
        max_length=10, choices=EmailWhen.choices, default=EmailWhen.SUGGESTED, blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")
        ]

    def __str__(self) -> str:
        when = self.email_when or "suggested"
        return f"{self.user_id} {self.kind}: in_app={self.in_app} email={self.email} ({when})"


class CaseMute(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "case"], name="one_mute_per_case")]

    def __str__(self) -> str:
        return f"{self.user_id} muted {self.case_id}"


# --------------------------------------------------------------------------- webhooks


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookSubscription(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    url = models.URLField("URL", max_length=500)
    secret = models.CharField(max_length=100, default=new_webhook_secret, editable=False)
    # Kind codes; empty means every kind a webhook may receive.
    event_types = models.JSONField(default=list, blank=True)
    description = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["organisation__name", "id"]

    def __str__(self) -> str:
        return f"Webhook {self.pk} of {self.organisation}"

    def get_absolute_url(self) -> str:
        return reverse("notifications:webhook_detail", args=[self.pk])

    def wants(self, kind: str) -> bool:
        return not self.event_types or kind in self.event_types


class WebhookDelivery(models.Model):
    """One attempt to deliver one outbox row: the delivery log partners see."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    notification = models.ForeignKey(
        Notification, null=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    kind = models.CharField(max_length=60)
    attempt = models.PositiveSmallIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["subscription", "-created_at"], name="delivery_log")]

    def __str__(self) -> str:
        return f"Delivery {self.pk} of {self.subscription_id}: {self.status_code or self.error}"
