"""The rules as tables: which actions each role takes on a case, which roles each kind
of organisation takes. Mirrored in ``cases/README.md`` ("Access") and read by the tests;
no queries here."""

from __future__ import annotations

from cases.models import Organisation, ParticipantRole

Role = ParticipantRole

# Actions a role may take on a case. Each action is also a guardian permission
# codename on Case, except the coordinator-only ones (SIRT is never a grant).
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.COORDINATOR: frozenset(
        {
            "view_case",
            "comment_case",
            "respond_case",
            "edit_vulnerability",
            "upload_case",
            "view_reporters",
            "propose_embargo",
            "update_release",
            "report_deployment",
            "view_advisory_draft",
            # coordinator only, never granted through participation:
            "manage_case",
            "view_internal",
            "view_access_log",
        }
    ),
    Role.MAINTAINER: frozenset(
        {
            "view_case",
            "comment_case",
            "respond_case",
            "edit_vulnerability",
            "upload_case",
            "view_reporters",
            "propose_embargo",
            "update_release",
            "view_advisory_draft",
        }
    ),
    Role.REPORTER: frozenset({"view_case", "comment_case", "upload_case"}),
    Role.PARTNER: frozenset(
        {"view_case", "comment_case", "report_deployment", "view_advisory_draft"}
    ),
    Role.DOWNSTREAM: frozenset(
        {"view_case", "comment_case", "report_deployment", "view_advisory_draft"}
    ),
}
COORDINATOR_ONLY = frozenset({"manage_case", "view_internal", "view_access_log"})
GRANTABLE = frozenset().union(*ROLE_ACTIONS.values()) - COORDINATOR_ONLY
ALL_ACTIONS = frozenset().union(*ROLE_ACTIONS.values())

# The roles an organisation of each kind takes in a case (cases/README.md, "Roles fit
# organisations"). Any other role needs a coordinator's override with a reason
# (``services.add_participant``). The SIRT coordinates every case through its members
# and is never a participant; no organisation is ever a coordinator participant.
KIND_ROLES: dict[str, tuple[str, ...]] = {
    Organisation.Kind.SIRT: (),
    # A maintainer team's own project: maintainer. Its project may also ship the flawed
    # one (downstream), or it found the flaw (reporter).
    Organisation.Kind.MAINTAINER: (Role.MAINTAINER, Role.DOWNSTREAM, Role.REPORTER),
    Organisation.Kind.PARTNER: (Role.PARTNER, Role.REPORTER),
    Organisation.Kind.DOWNSTREAM: (Role.DOWNSTREAM, Role.REPORTER),
}

# The roles whose participation is acknowledged ("we have seen this case"): everyone
# invited; the coordinator row only records who opened the case.
ACKNOWLEDGING_ROLES: tuple[str, ...] = (
    Role.MAINTAINER,
    Role.PARTNER,
    Role.DOWNSTREAM,
    Role.REPORTER,
)


def role_fits(organisation: Organisation, role: str) -> bool:
    """Whether ``role`` is one the organisation's kind takes without an override."""
    return role in KIND_ROLES.get(organisation.kind, ())


def kind_roles_text(kind: str) -> str:
    """The roles of a kind as words ("maintainer, downstream or reporter")."""
    labels = [Role(r).label.lower() for r in KIND_ROLES.get(kind, ())]
    return " or ".join([", ".join(labels[:-1]), labels[-1]]) if len(labels) > 1 else "".join(labels)
