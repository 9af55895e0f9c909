"""Demo data for notifications (idempotent; run by ``manage.py seed_demo``).

- a webhook subscription of the partner organisation to the local receiver
  (``manage.py webhook_receiver --port 9100``), created by its admin through
  ``subscriptions.create_subscription`` (audited like any other);
- the invitations of the demo cases in everybody's notification centre (stable
  keys: running it again adds nothing);
- one deadline sweep, so the reminders the demo dates call for are there at once.
"""

from __future__ import annotations

from django.db import transaction

from cases.models import Case, Membership, Organisation, Participant
from disclosure.notifications import conf, subscriptions, sweep
from disclosure.notifications.audience import audiences
from disclosure.notifications.models import WebhookSubscription
from disclosure.notifications.services import Outgoing, write

RECEIVER_URL = "http://127.0.0.1:9100/webhooks/akrites"
PARTNER_SLUG = "brightline-security"


def seed() -> None:
    with transaction.atomic():
        _webhook()
        _invitations()
    sweep.run()


def _webhook() -> None:
    """The partner's admin subscribes their organisation to the local receiver. The
    receiver is a private address, accepted only where private targets are allowed
    (``WEBHOOK_ALLOW_PRIVATE_TARGETS``, on with DEBUG)."""
    partner = Organisation.objects.filter(slug=PARTNER_SLUG).first()
    if partner is None or not conf.get("WEBHOOK_ALLOW_PRIVATE_TARGETS"):
        return
    if WebhookSubscription.objects.filter(organisation=partner, url=RECEIVER_URL).exists():
        return
    admin = (
        Membership.objects.filter(organisation=partner, role=Membership.Role.ADMIN)
        .select_related("user")
        .first()
    )
    if admin is None:
        return
    subscriptions.create_subscription(
        admin.user,
        organisation=partner,
        url=RECEIVER_URL,
        description="Demo receiver (manage.py webhook_receiver)",
    )


def _invitations() -> None:
    """Each participant's invitation, keyed like the live event, dated when it happened."""
    participants = list(
        Participant.objects.active()
        .exclude(role="coordinator")
        .filter(case__in=Case.objects.all()[:50])
        .values_list("pk", "case_id", "invited_at", "organisation_id")
    )
    auds = audiences({p[1] for p in participants})
    outgoing = []
    for pk, case_id, invited_at, org_id in participants:
        aud = auds[case_id]
        outgoing.append(
            Outgoing(
                "participant.invited",
                "participant.invited",
                f"participant:{pk}",
                invited_at,
                case_id,
                {"case_id": case_id, "participant_id": pk},
                users=aud.participant(pk),
                orgs=({org_id} & aud.visible_orgs) if org_id else set(),
            )
        )
    write(outgoing)
