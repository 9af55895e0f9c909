"""The notification centre, preferences, mutes, failures (SIRT) and partner webhooks."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases import access
from cases.access import get_case_for
from cases.models import Case, StaleEdit
from cases.types import AuthenticatedHttpRequest
from cases.views._helpers import add_service_errors
from disclosure.notifications import services, subscriptions
from disclosure.notifications.forms import PreferencesForm, WebhookForm
from disclosure.notifications.models import (
    CaseMute,
    EmailWhen,
    KindPreference,
    Notification,
    NotificationSettings,
    Status,
    WebhookSubscription,
)

PAGE_SIZE = 25


def _safe_back(request: HttpRequest, fallback: str) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# --------------------------------------------------------------------------- centre


@login_required
@require_GET
def centre(request: AuthenticatedHttpRequest) -> HttpResponse:
    qs = Notification.objects.centre_for(request.user).select_related("case")
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        qs = qs.unread()
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/centre.html", {"page": page, "only_unread": only_unread})


@login_required
@require_POST
def mark_read(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(Notification.objects.centre_for(request.user), pk=pk)
    services.mark_read(request.user, pk)
    return redirect(_safe_back(request, "notifications:centre"))


@login_required
@require_POST
def mark_all_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    n = services.mark_all_read(request.user)
    messages.success(request, f"{n} notification{'s' if n != 1 else ''} marked as read.")
    return redirect("notifications:centre")


# --------------------------------------------------------------------------- preferences


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    current = {
        p.kind: (p.in_app, p.email, p.email_when) for p in KindPreference.objects.filter(user=user)
    }
    settings_row = NotificationSettings.objects.filter(user=user).first()
    form = PreferencesForm(
        request.POST if request.method == "POST" else None,
        initial_prefs=current,
        initial={"daily_digest": bool(settings_row and settings_row.daily_digest)},
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            NotificationSettings.objects.update_or_create(
                user=user, defaults={"daily_digest": form.cleaned_data["daily_digest"]}
            )
            for kind, (in_app, email, when) in form.choices().items():
                if (in_app, email, when) == (True, True, EmailWhen.SUGGESTED):
                    # The default: no row, so the kind's suggestion keeps applying.
                    KindPreference.objects.filter(user=user, kind=kind).delete()
                    continue
                KindPreference.objects.update_or_create(
                    user=user,
                    kind=kind,
                    defaults={"in_app": in_app, "email": email, "email_when": when},
                )
        messages.success(request, "Your notification preferences are saved.")
        return redirect("notifications:preferences")
    muted = Case.objects.visible_to(user).filter(
        pk__in=CaseMute.objects.filter(user=user).values("case_id")
    )
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "muted": muted},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def mute(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    case, _ = get_case_for(request.user, reference)
    muted = request.POST.get("mute") == "1"
    services.set_mute(request.user, case, muted)
    messages.success(
        request,
        f"{case.reference} muted: only escalations will reach you."
        if muted
        else f"{case.reference} unmuted.",
    )
    return redirect(_safe_back(request, case.get_absolute_url()))


# --------------------------------------------------------------------------- failures


@login_required
@require_GET
@access.sirt_required
def failures(request: AuthenticatedHttpRequest) -> HttpResponse:
    qs = Notification.objects.filter(status=Status.FAILED).select_related(
        "case", "recipient", "subscription__organisation"
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/failures.html", {"page": page})


@login_required
@require_POST
@access.sirt_required
def failure_retry(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(Notification, pk=pk, status=Status.FAILED)
    services.retry_failed(pk, request.user)
    messages.success(request, "The notification will be sent again.")
    return redirect("notifications:failures")


# --------------------------------------------------------------------------- webhooks
#
# Members of an organisation see its webhooks; its admins and the SIRT change them
# (``subscriptions``: 403 for other members); anyone else gets 404, as for a missing one.


def _subscription_for(request: HttpRequest, pk: int) -> WebhookSubscription:
    """A subscription the user may see; any other answers 404, like a missing one."""
    return get_object_or_404(
        subscriptions.visible_subscriptions(request.user).select_related("organisation"), pk=pk
    )


@login_required
@require_GET
def webhook_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    subs = subscriptions.visible_subscriptions(request.user).select_related("organisation")
    return render(
        request,
        "notifications/webhook_list.html",
        {
            "subscriptions": subs,
            "can_create": access.managed_organisations(request.user).exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def webhook_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    orgs = access.managed_organisations(request.user)
    if not orgs.exists():
        raise PermissionDenied("Only an organisation's admins can add its webhooks.")
    form = WebhookForm(request.POST if request.method == "POST" else None, organisations=orgs)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sub = subscriptions.create_subscription(
                request.user,
                organisation=data["organisation"],
                url=data["url"],
                description=data["description"],
                event_types=list(data["event_types"]),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Webhook added. Copy its secret to verify the signatures.")
            return redirect(sub)
    return render(
        request,
        "notifications/webhook_form.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def webhook_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    sub = _subscription_for(request, pk)
    can_manage = access.can_manage_members(request.user, sub.organisation)
    if request.method == "POST" and not can_manage:
        raise PermissionDenied("Only the organisation's admins can change its webhooks.")
    form = WebhookForm(
        request.POST if request.method == "POST" else None,
        instance=sub,
        organisations=access.managed_organisations(request.user),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                subscriptions.update_subscription(
                    sub,
                    request.user,
                    expected_version=data.get("expected_version"),
                    url=data["url"],
                    description=data["description"],
                    event_types=list(data["event_types"]),
                )
            except StaleEdit as exc:
                form.add_error(None, str(exc))
                status = 409
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Webhook saved.")
                return redirect(sub)
        sub.refresh_from_db()
    deliveries = sub.deliveries.all()[:50]
    return render(
        request,
        "notifications/webhook_detail.html",
        {"subscription": sub, "form": form, "deliveries": deliveries, "can_manage": can_manage},
        status=status,
    )


@login_required
@require_POST
def webhook_test(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    sub = _subscription_for(request, pk)
    try:
        subscriptions.send_test_event(sub, request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "A test event is on its way; the delivery log shows it.")
    return redirect(sub)


@login_required
@require_POST
def webhook_enable(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    sub = _subscription_for(request, pk)
    subscriptions.set_active(sub, request.user, active=True)
    messages.success(request, "Webhook enabled.")
    return redirect(sub)


@login_required
@require_POST
def webhook_disable(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    sub = _subscription_for(request, pk)
    subscriptions.set_active(sub, request.user, active=False)
    messages.success(request, "Webhook disabled: no events are sent to it until it is enabled.")
    return redirect(sub)


@login_required
@require_POST
def webhook_rotate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    sub = _subscription_for(request, pk)
    subscriptions.rotate_secret(sub, request.user)
    messages.success(request, "New secret created; update your receiver.")
    return redirect(sub)


@login_required
@require_POST
def webhook_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    sub = _subscription_for(request, pk)
    subscriptions.delete_subscription(sub, request.user)
    messages.success(request, "Webhook deleted.")
    return redirect("notifications:webhook_list")
