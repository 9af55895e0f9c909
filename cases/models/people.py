"""Organisations, their members, people's preferences, projects."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models, transaction
from django.utils import timezone

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
    def create(cls, *, name: str, slug: str, kind: str) -> Organisation:
        with transaction.atomic():
            group = Group.objects.create(name=f"org:{slug}")
            return cls.objects.create(name=name, slug=slug, kind=kind, group=group)

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

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
