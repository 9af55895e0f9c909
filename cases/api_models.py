"""Models that only the API needs: named API tokens and idempotency records.

Imported at the end of ``cases.models`` so Django registers them with the cases app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    """The name a user gave a knox token; the secret itself is only stored hashed by knox."""

    token = models.OneToOneField(
        "knox.AuthToken", on_delete=models.CASCADE, related_name="named", primary_key=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.token.token_key}…)"

    @property
    def expires_at(self) -> object:
        return self.token.expiry


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an ``Idempotency-Key``, replayed for 24 hours.

    Without ``status_code`` the row is an in-progress marker held by one request
    (``lease``) until ``locked_until``; the answer is stored in the transaction of
    the write itself (``cases.api_common.IdempotentPostMixin``), so a committed write
    always has its answer and a marker whose lease ran out belongs to a write that
    never committed.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    lease = models.UUIDField(null=True)
    locked_until = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="unique_idempotency_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} by {self.user_id}"
