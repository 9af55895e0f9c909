"""Vendor status per vulnerability: what each organisation that ships or maintains an
affected product says about one vulnerability (VINCE's vendor statements, CSAF/VEX).

One row per (vulnerability, organisation), written only by
``cases.services.vendor_status.set_vendor_status``; every change is also a timeline
entry (``case.vendor_status.set``), which is the history. Which organisations are
asked is not stored here: they are the case's participant organisations in a vendor
role (``cases.access.vendor_organisations``). A missing row is an organisation that
has not answered.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cases.models.people import Organisation
from cases.models.vulnerabilities import Vulnerability


class VendorStatusValue(models.TextChoices):
    UNDER_INVESTIGATION = "under_investigation", "Under investigation"
    AFFECTED = "affected", "Affected"
    NOT_AFFECTED = "not_affected", "Not affected"
    FIXED = "fixed", "Fixed"


class Justification(models.TextChoices):
    """The CSAF 2.0 / VEX justifications for *not affected* (CSAF ``flags[].label``)."""

    COMPONENT_NOT_PRESENT = "component_not_present", "Component not present"
    VULNERABLE_CODE_NOT_PRESENT = "vulnerable_code_not_present", "Vulnerable code not present"
    VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY = (
        "vulnerable_code_cannot_be_controlled_by_adversary",
        "Vulnerable code cannot be controlled by adversary",
    )
    VULNERABLE_CODE_NOT_IN_EXECUTE_PATH = (
        "vulnerable_code_not_in_execute_path",
        "Vulnerable code not in execute path",
    )
    INLINE_MITIGATIONS_ALREADY_EXIST = (
        "inline_mitigations_already_exist",
        "Inline mitigations already exist",
    )


STATEMENT_MAX_LENGTH = 4000


class VendorStatus(models.Model):
    vulnerability = models.ForeignKey(
        Vulnerability, on_delete=models.CASCADE, related_name="vendor_statuses"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="vendor_statuses"
    )
    status = models.CharField(max_length=30, choices=VendorStatusValue.choices)
    justification = models.CharField(
        max_length=60,
        choices=Justification.choices,
        blank=True,
        help_text="Required for “not affected”, refused otherwise.",
    )
    statement = models.TextField(
        blank=True, max_length=STATEMENT_MAX_LENGTH, help_text="Plain text, optional."
    )
    # The status, justification and statement may appear in the published advisory.
    public = models.BooleanField(
        "publish in the advisory",
        default=False,
        help_text="The status, justification and statement may appear in the advisory.",
    )
    product = models.CharField(
        max_length=200,
        blank=True,
        help_text="The organisation's product that ships the affected package (optional).",
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(default=timezone.now)
    # Set by a coordinator for the organisation (a phone call, an e-mail), with a note.
    on_behalf = models.BooleanField(default=False)
    note = models.TextField(blank=True, max_length=STATEMENT_MAX_LENGTH)
    # Optimistic concurrency: a change made from an older version is refused.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["vulnerability_id", "organisation__name"]
        verbose_name = "vendor status"
        verbose_name_plural = "vendor statuses"
        constraints = [
            models.UniqueConstraint(
                fields=["vulnerability", "organisation"], name="unique_vendor_status"
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=VendorStatusValue.NOT_AFFECTED) & ~Q(justification="")
                    | ~Q(status=VendorStatusValue.NOT_AFFECTED) & Q(justification="")
                ),
                name="vendor_status_justification_iff_not_affected",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} on {self.vulnerability_id}: {self.status}"

    @property
    def is_not_affected(self) -> bool:
        return self.status == VendorStatusValue.NOT_AFFECTED

    def clean(self) -> None:
        check_justification(self.status, self.justification)


def check_justification(status: str, justification: str) -> None:
    """A justification from the VEX set for *not affected*; none for any other status."""
    if status == VendorStatusValue.NOT_AFFECTED:
        if not justification:
            raise ValidationError(
                {"justification": "Say why the product is not affected (a VEX justification)."}
            )
        if justification not in Justification.values:
            raise ValidationError({"justification": "Choose one of the VEX justifications."})
    elif justification:
        raise ValidationError(
            {"justification": "A justification is given only for “not affected”."}
        )
