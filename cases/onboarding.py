"""The SIRT onboards organisations and projects in the portal (issue 15, section 2;
README, "Onboarding organisations and projects").

- ``create_organisation`` / ``update_organisation``, ``create_project`` /
  ``update_project``: the SIRT only; names and slugs unique (case-insensitively),
  purls parsed and stored without version; every creation and change audited.
- ``projects_matching``: the projects a report's purl names (triage pre-selects them).
- ``invite_maintainers``: an invitation to the security contact of an organisation not
  in the portal yet (``OnboardingInvitation``, built like ``accounts.invitations``: a
  signed single-use link, only its hash stored). ``accept`` creates the account, the
  organisation with the invitee as its admin, and the project when one was proposed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from cases import access, audit, validators
from cases.accounts import tokens
from cases.models import Membership, Organisation, Project, Report
from cases.models.people import OnboardingInvitation
from cases.types import User

SALT = "akrites.onboarding"
INVALID = "This invitation link is invalid, used or expired."
ORGANISATION_FIELDS = ("name", "slug", "kind", "security_contact", "website")
PROJECT_FIELDS = ("name", "slug", "organisation", "purls", "repository_url")


def _require_sirt(actor: User) -> None:
    if not access.is_sirt(actor):
        raise PermissionDenied("Only the SIRT onboards organisations and projects.")


def normalise_purls(values: Iterable[str]) -> list[str]:
    """Each purl parsed and reduced to the package (no version), in order, once each."""
    purls: list[str] = []
    errors: list[str] = []
    for value in values:
        value = value.strip()
        if not value:
            continue
        try:
            purl = validators.purl_without_version(validators.normalise_purl(value))
        except ValidationError as exc:
            errors.append(f"{value}: {' '.join(exc.messages)}")
            continue
        if purl not in purls:
            purls.append(purl)
    if errors:
        raise ValidationError({"purls": errors})
    return purls


def _unique(
    model: type[models.Model], exclude: models.Model | None, **lookups: str
) -> dict[str, str]:
    errors = {}
    for field, value in lookups.items():
        found = model._default_manager.filter(**{f"{field}__iexact": value})
        if exclude is not None:
            found = found.exclude(pk=exclude.pk)
        if found.exists():
            errors[field] = f"Another {model._meta.verbose_name} already has this {field}."
    return errors


def _slug(name: str, slug: str) -> str:
    return (slug or slugify(name))[:80]


def _changes(obj: models.Model, fields: Iterable[str], values: dict[str, Any]) -> list[str]:
    return [f for f in fields if f in values and getattr(obj, f) != values[f]]


# --------------------------------------------------------------------------- organisations


def create_organisation(
    actor: User,
    *,
    name: str,
    kind: str,
    slug: str = "",
    security_contact: str = "",
    website: str = "",
    request: HttpRequest | None = None,
) -> Organisation:
    _require_sirt(actor)
    name, slug = name.strip(), _slug(name.strip(), slug)
    if kind not in Organisation.Kind.values:
        raise ValidationError({"kind": "Choose a kind of organisation."})
    if not slug:
        raise ValidationError({"slug": "Give a slug (letters, digits and hyphens)."})
    errors = _unique(Organisation, None, name=name, slug=slug)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            organisation = Organisation.create(
                name=name,
                slug=slug,
                kind=kind,
                security_contact=security_contact,
                website=website,
            )
            audit.record(
                "organisation.created",
                actor=actor,
                request=request,
                obj=organisation,
                organisation=slug,
                kind=kind,
            )
    except IntegrityError as exc:  # a concurrent creation of the same name
        raise ValidationError({"name": "Another organisation already has this name."}) from exc
    return organisation


def update_organisation(
    organisation: Organisation,
    actor: User,
    *,
    request: HttpRequest | None = None,
    **values: Any,
) -> Organisation:
    """Change the given fields (``ORGANISATION_FIELDS``); the slug keeps links working
    only if unchanged, so the audit row names the old one."""
    _require_sirt(actor)
    values = {k: v for k, v in values.items() if k in ORGANISATION_FIELDS}
    if "name" in values:
        values["name"] = values["name"].strip()
    if "slug" in values:
        values["slug"] = _slug(values.get("name", organisation.name), values["slug"])
    if values.get("kind", organisation.kind) not in Organisation.Kind.values:
        raise ValidationError({"kind": "Choose a kind of organisation."})
    checks = {k: values[k] for k in ("name", "slug") if k in values}
    errors = _unique(Organisation, organisation, **checks)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        old_slug = organisation.slug
        changed = _changes(organisation, ORGANISATION_FIELDS, values)
        if not changed:
            return organisation
        if organisation.kind != values.get("kind", organisation.kind) and (
            organisation.projects.exists() and values["kind"] != Organisation.Kind.MAINTAINER
        ):
            raise ValidationError(
                {"kind": "It maintains projects: move them first, or keep it a maintainer team."}
            )
        for field in changed:
            setattr(organisation, field, values[field])
        try:
            organisation.save(update_fields=changed)
        except IntegrityError as exc:
            raise ValidationError({"name": "Another organisation has this name or slug."}) from exc
        if "slug" in changed:
            organisation.group.name = f"org:{organisation.slug}"
            organisation.group.save(update_fields=["name"])
        audit.record(
            "organisation.updated",
            actor=actor,
            request=request,
            obj=organisation,
            organisation=old_slug,
            fields=changed,
        )
    return organisation


# --------------------------------------------------------------------------- projects


def _check_project(values: dict[str, Any]) -> None:
    organisation = values.get("organisation")
    if organisation is not None and organisation.kind != Organisation.Kind.MAINTAINER:
        raise ValidationError(
            {"organisation": "Projects are maintained by a maintainer team organisation."}
        )


def create_project(
    actor: User,
    *,
    name: str,
    organisation: Organisation,
    purls: Iterable[str] = (),
    repository_url: str = "",
    slug: str = "",
    request: HttpRequest | None = None,
) -> Project:
    _require_sirt(actor)
    name, slug = name.strip(), _slug(name.strip(), slug)
    purl_list = normalise_purls(purls)
    _check_project({"organisation": organisation})
    if not slug:
        raise ValidationError({"slug": "Give a slug (letters, digits and hyphens)."})
    errors = _unique(Project, None, name=name, slug=slug)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            project = Project.objects.create(
                name=name,
                slug=slug,
                organisation=organisation,
                purls=purl_list,
                repository_url=repository_url,
            )
            audit.record(
                "project.created",
                actor=actor,
                request=request,
                obj=project,
                project=slug,
                organisation=organisation.slug,
                purls=purl_list,
            )
    except IntegrityError as exc:
        raise ValidationError({"name": "Another project already has this name."}) from exc
    return project


def update_project(
    project: Project, actor: User, *, request: HttpRequest | None = None, **values: Any
) -> Project:
    _require_sirt(actor)
    values = {k: v for k, v in values.items() if k in PROJECT_FIELDS}
    if "name" in values:
        values["name"] = values["name"].strip()
    if "slug" in values:
        values["slug"] = _slug(values.get("name", project.name), values["slug"])
    if "purls" in values:
        values["purls"] = normalise_purls(values["purls"])
    _check_project(values)
    checks = {k: values[k] for k in ("name", "slug") if k in values}
    errors = _unique(Project, project, **checks)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        old_slug = project.slug
        changed = _changes(project, PROJECT_FIELDS, values)
        if not changed:
            return project
        for field in changed:
            setattr(project, field, values[field])
        try:
            project.save(update_fields=changed)
        except IntegrityError as exc:
            raise ValidationError({"name": "Another project has this name or slug."}) from exc
        audit.record(
            "project.updated",
            actor=actor,
            request=request,
            obj=project,
            project=old_slug,
            fields=changed,
        )
    return project


def projects_matching(purl: str) -> models.QuerySet[Project]:
    """The projects that list the package of ``purl`` (its version ignored)."""
    if not purl:
        return Project.objects.none()
    try:
        package = validators.purl_without_version(purl)
    except ValidationError:
        return Project.objects.none()
    return Project.objects.listing(package).select_related("organisation")


def project_prefill(report: Report) -> dict[str, Any]:
    """What "create the project" starts from: the report's package and its name."""
    package = report.package or (
        validators.purl_without_version(report.purl) if report.purl else ""
    )
    name = package.rsplit("/", 1)[-1] if package else ""
    return {"name": name, "purls": package, "repository_url": _repository_from(package)}


def _repository_from(package: str) -> str:
    """A repository URL when the purl names one (``pkg:github/owner/name``)."""
    for prefix, host in (("pkg:github/", "github.com"), ("pkg:gitlab/", "gitlab.com")):
        if package.startswith(prefix):
            return f"https://{host}/{package.removeprefix(prefix)}"
    return ""


# --------------------------------------------------------------------------- invitations


def invite_maintainers(
    actor: User,
    *,
    email: str,
    organisation_name: str,
    organisation_kind: str = Organisation.Kind.MAINTAINER,
    website: str = "",
    project_name: str = "",
    project_purls: Iterable[str] = (),
    project_repository_url: str = "",
    report: Report | None = None,
    request: HttpRequest | None = None,
) -> tuple[OnboardingInvitation, str]:
    """Invite the security contact of an organisation not in the portal yet."""
    _require_sirt(actor)
    email = get_user_model().objects.normalize_email(email).strip()
    organisation_name = organisation_name.strip()
    purls = normalise_purls(project_purls)
    errors: dict[str, str] = {}
    if organisation_kind not in Organisation.Kind.values:
        errors["organisation_kind"] = "Choose a kind of organisation."
    if Organisation.objects.filter(name__iexact=organisation_name).exists():
        errors["organisation_name"] = (
            "This organisation is in the portal already: invite its members from its page."
        )
    if project_name and Project.objects.filter(name__iexact=project_name.strip()).exists():
        errors["project_name"] = "A project of this name exists already."
    if get_user_model().objects.filter(email__iexact=email, is_active=True).exists():
        errors["email"] = (
            "Someone with this address already has an account: create the organisation "
            "and add them to it instead."
        )
    if errors:
        raise ValidationError(errors)
    token, token_hash = tokens.new_token(SALT)
    now = timezone.now()
    with transaction.atomic():
        OnboardingInvitation.objects.filter(
            email__iexact=email,
            organisation_name__iexact=organisation_name,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
        ).update(revoked_at=now)
        invitation = OnboardingInvitation.objects.create(
            email=email,
            token_hash=token_hash,
            organisation_name=organisation_name,
            organisation_kind=organisation_kind,
            website=website,
            project_name=project_name.strip(),
            project_purls=purls,
            project_repository_url=project_repository_url,
            report=report,
            invited_by=actor,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.INVITATION_MAX_AGE),
        )
        audit.record(
            "onboarding.invitation.sent",
            actor=actor,
            request=request,
            obj=invitation,
            organisation=organisation_name,
            email=email,
        )
    link = settings.SITE_URL + reverse("cases:onboarding_accept", args=[token])
    days = max(1, settings.INVITATION_MAX_AGE // 86400)
    project = f" and its project {invitation.project_name}" if invitation.project_name else ""
    transaction.on_commit(
        lambda: send_mail(
            subject=f"The Akrites SIRT invites {organisation_name} to coordinate a disclosure",
            message=(
                f"{actor.get_full_name() or actor.get_username()} of the Akrites SIRT would "
                f"like to coordinate a vulnerability report with {organisation_name} on "
                f"Akrites, the coordinated vulnerability disclosure portal.\n\n"
                f"This link registers {organisation_name}{project} with you as its admin "
                f"(choose a username and password; it works once, for {days} days):\n\n"
                f"{link}\n\nIf you are not the right contact, reply to the SIRT or ignore "
                "this email."
            ),
            from_email=None,
            recipient_list=[email],
        )
    )
    return invitation, link


def find_pending(token: str) -> OnboardingInvitation | None:
    """The pending invitation behind a link, or None (bad signature, expired, used)."""
    return tokens.find_pending(
        OnboardingInvitation.objects.all(),
        token,
        salt=SALT,
        max_age=settings.INVITATION_MAX_AGE,
    )


def accept(
    token: str,
    *,
    username: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    request: HttpRequest | None = None,
) -> Any:
    """Create the account, the organisation (the invitee its admin) and the project."""
    found = find_pending(token)
    if found is None:
        raise ValidationError(INVALID)
    with transaction.atomic():
        invitation = tokens.lock_pending(OnboardingInvitation.objects.all(), found, INVALID)
        name = invitation.organisation_name
        if Organisation.objects.filter(name__iexact=name).exists():
            raise ValidationError(
                f"{name} was registered meanwhile: ask the SIRT to add you to it."
            )
        slug = base = slugify(name)[:70] or "organisation"
        n = 1
        while Organisation.objects.filter(slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        user = tokens.create_account(
            username=username,
            email=invitation.email,
            password=password,
            first_name=first_name,
            last_name=last_name,
        )
        organisation = Organisation.create(
            name=name,
            slug=slug,
            kind=invitation.organisation_kind,
            security_contact=invitation.email,
            website=invitation.website,
        )
        organisation.add_member(user, role=Membership.Role.ADMIN)
        audit.record(
            "organisation.created",
            actor=user,
            request=request,
            obj=organisation,
            organisation=slug,
            kind=organisation.kind,
            invitation=invitation.pk,
        )
        project_name = invitation.project_name
        if (
            project_name
            and organisation.kind == Organisation.Kind.MAINTAINER
            and not Project.objects.filter(name__iexact=project_name).exists()
        ):
            project_slug = slugify(project_name)[:70] or "project"
            if Project.objects.filter(slug=project_slug).exists():
                project_slug = f"{project_slug}-{organisation.pk}"
            project = Project.objects.create(
                name=project_name,
                slug=project_slug,
                organisation=organisation,
                purls=invitation.project_purls,
                repository_url=invitation.project_repository_url,
            )
            audit.record(
                "project.created",
                actor=user,
                request=request,
                obj=project,
                project=project.slug,
                organisation=slug,
                purls=project.purls,
            )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.organisation = organisation
        invitation.save(update_fields=["accepted_at", "accepted_by", "organisation"])
        audit.record(
            "onboarding.invitation.accepted",
            actor=user,
            request=request,
            obj=invitation,
            organisation=slug,
        )
    return user


def pending_invitations() -> models.QuerySet[OnboardingInvitation]:
    return OnboardingInvitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("invited_by")


def revoke(
    invitation: OnboardingInvitation, actor: User, *, request: HttpRequest | None = None
) -> None:
    _require_sirt(actor)
    with transaction.atomic():
        invitation = OnboardingInvitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at or invitation.revoked_at:
            return
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit.record("onboarding.invitation.revoked", actor=actor, request=request, obj=invitation)
