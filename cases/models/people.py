"""Organisations, their members, people's preferences, projects."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection, models, transaction
from django.utils import timezone

from cases.models.common import PendingInvitationMixin
from cases.types import User


class OrganisationQuerySet(models.QuerySet):
    def delete(self) -> tuple[int, dict[str, int]]:
        """Delete the organisations and their groups (with the grants the groups held).

        The admin's change list and inline deletes come through here or through
        ``Organisation.delete``; memberships go by cascade, so access ends with them.
        """
        with transaction.atomic():
            group_ids = list(self.values_list("group_id", flat=True))
            deleted = super().delete()
            Group.objects.filter(pk__in=group_ids).delete()
        return deleted


class Organisation(models.Model):
    class Kind(models.TextChoices):
        SIRT = "sirt", "SIRT"
        MAINTAINER = "maintainer", "Maintainer team"
        PARTNER = "partner", "Industry partner"
        DOWNSTREAM = "downstream", "Downstream"

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Grants to an organisation are guardian group permissions on this group. The group
    # only holds grants: its members are the organisation's ``Membership`` rows, never
    # ``user.groups`` (cases.access reads memberships; README, "Membership, groups and
    # grants").
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="organisation")
    # Where the SIRT writes about a vulnerability (security.txt's Contact of the vendor).
    security_contact = models.EmailField("security contact address", blank=True)
    website = models.URLField(blank=True)
    members: models.ManyToManyField[User, Membership] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organisations"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        with transaction.atomic():
            group_id = self.group_id
            deleted = super().delete(*args, **kwargs)
            Group.objects.filter(pk=group_id).delete()
        return deleted

    @classmethod
    def create(cls, *, name: str, slug: str, kind: str, **fields: Any) -> Organisation:
        with transaction.atomic():
            group = Group.objects.create(name=f"org:{slug}")
            return cls.objects.create(name=name, slug=slug, kind=kind, group=group, **fields)

    def add_member(self, user: User, role: str = "member") -> Membership:
        membership, _ = Membership.objects.update_or_create(
            organisation=self, user=user, defaults={"role": role}
        )
        return membership

    def remove_member(self, user: User) -> None:
        Membership.objects.filter(organisation=self, user=user).delete()


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        ADMIN = "admin", "Admin"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="unique_membership")
        ]
        # Visibility looks up a user's organisations on every query (cases.access): an
        # index-only scan, the user first.
        indexes = [models.Index(fields=["user", "organisation"], name="membership_user_org")]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation} ({self.role})"


class Profile(models.Model):
    """Per-user preferences that are not authentication data."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    timezone = models.CharField(max_length=64, default="UTC")

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class ProjectQuerySet(models.QuerySet):
    def listing(self, package: str) -> ProjectQuerySet:
        """The projects whose ``purls`` list ``package`` (a purl without version).

        PostgreSQL answers from the JSON containment operator; SQLite (the demo) has no
        such lookup, so the ids are found in Python over the project table."""
        if connection.vendor == "postgresql":
            return self.filter(purls__contains=[package])
        return self.filter(
            pk__in=[pk for pk, purls in self.values_list("pk", "purls") if package in purls]
        )


class Project(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="projects",
        limit_choices_to={"kind": Organisation.Kind.MAINTAINER},
    )
    repository_url = models.URLField(blank=True)
    # Package URLs without version, e.g. ["pkg:pypi/libexample"].
    purls = models.JSONField(default=list, blank=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OnboardingInvitation(PendingInvitationMixin, models.Model):
    """An invitation to the security contact of an organisation that is not in the
    portal yet (``cases.onboarding``): accepting it creates the organisation (and the
    project it maintains, when given), its first admin being the invitee.

    Like ``accounts.Invitation``: the link carries a signed random secret, the database
    keeps only its SHA-256; single use, expires after ``INVITATION_MAX_AGE`` seconds.
    """

    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    organisation_name = models.CharField(max_length=200)
    organisation_kind = models.CharField(
        max_length=20, choices=Organisation.Kind.choices, default=Organisation.Kind.MAINTAINER
    )
    website = models.URLField(blank=True)
    project_name = models.CharField(max_length=200, blank=True)
    project_purls = models.JSONField(default=list, blank=True)
    project_repository_url = models.URLField(blank=True)
    report = models.ForeignKey(
        "cases.Report", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Onboarding invitation of {self.email} for {self.organisation_name}"
