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
from cases.models import StaleEdit
from disclosure.notifications import services, webhooks
from disclosure.notifications.forms import (
    PreferencesForm,
    WebhookForm,
    manageable_organisations,
)
from disclosure.notifications.models import (
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
def centre(request: HttpRequest) -> HttpResponse:
    qs = Notification.objects.centre_for(request.user).select_related("case")
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        qs = qs.unread()
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/centre.html", {"page": page, "only_unread": only_unread})


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(Notification.objects.centre_for(request.user), pk=pk)
    services.mark_read(request.user, pk)
    return redirect(_safe_back(request, "notifications:centre"))


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    n = services.mark_all_read(request.user)
    messages.success(request, f"{n} notification{'s' if n != 1 else ''} marked as read.")
    return redirect("notifications:centre")


# --------------------------------------------------------------------------- preferences


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    current = {p.kind: (p.in_app, p.email) for p in KindPreference.objects.filter(user=user)}
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
            for kind, (in_app, email) in form.choices().items():
                KindPreference.objects.update_or_create(
                    user=user, kind=kind, defaults={"in_app": in_app, "email": email}
                )
        messages.success(request, "Your notification preferences are saved.")
        return redirect("notifications:preferences")
    from cases.models import Case
    from disclosure.notifications.models import CaseMute

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
def mute(request: HttpRequest, reference: str) -> HttpResponse:
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


def _require_sirt(request: HttpRequest) -> None:
    if not access.is_sirt(request.user):
        raise PermissionDenied("Only coordinators can see delivery failures.")


@login_required
@require_GET
def failures(request: HttpRequest) -> HttpResponse:
    _require_sirt(request)
    qs = Notification.objects.filter(status=Status.FAILED).select_related(
        "case", "recipient", "subscription__organisation"
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/failures.html", {"page": page})


@login_required
@require_POST
def failure_retry(request: HttpRequest, pk: int) -> HttpResponse:
    _require_sirt(request)
    get_object_or_404(Notification, pk=pk, status=Status.FAILED)
    services.retry_failed(pk)
    messages.success(request, "The notification will be sent again.")
    return redirect("notifications:failures")


# --------------------------------------------------------------------------- webhooks


def _subscription_for(request: HttpRequest, pk: int) -> WebhookSubscription:
    """Another organisation's subscription answers 404, like a missing one."""
    return get_object_or_404(
        WebhookSubscription.objects.select_related("organisation"),
        pk=pk,
        organisation__in=manageable_organisations(request.user),
    )


@login_required
@require_GET
def webhook_list(request: HttpRequest) -> HttpResponse:
    orgs = manageable_organisations(request.user)
    subs = WebhookSubscription.objects.filter(organisation__in=orgs).select_related("organisation")
    return render(
        request,
        "notifications/webhook_list.html",
        {"subscriptions": subs, "can_create": orgs.exists()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def webhook_create(request: HttpRequest) -> HttpResponse:
    orgs = manageable_organisations(request.user)
    if not orgs.exists():
        raise PermissionDenied("Only members of an organisation can add webhooks.")
    form = WebhookForm(request.POST if request.method == "POST" else None, organisations=orgs)
    if request.method == "POST" and form.is_valid():
        sub = form.save(commit=False)
        sub.created_by = request.user
        sub.save()
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
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sub = _subscription_for(request, pk)
    form = WebhookForm(
        request.POST if request.method == "POST" else None,
        instance=sub,
        organisations=manageable_organisations(request.user),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                webhooks.update_subscription(
                    sub,
                    expected_version=data.get("expected_version"),
                    url=data["url"],
                    description=data["description"],
                    event_types=list(data["event_types"]),
                )
            except StaleEdit as exc:
                form.add_error(None, str(exc))
                status = 409
            except ValidationError as exc:
                form.add_error("url", exc.message_dict.get("url", exc.messages))
            else:
                messages.success(request, "Webhook saved.")
                return redirect(sub)
        sub.refresh_from_db()
    deliveries = sub.deliveries.all()[:50]
    return render(
        request,
        "notifications/webhook_detail.html",
        {"subscription": sub, "form": form, "deliveries": deliveries},
        status=status,
    )


@login_required
@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    sub = _subscription_for(request, pk)
    if not sub.is_active:
        messages.error(request, "Enable the webhook first.")
    else:
        webhooks.queue_test_event(sub)
        messages.success(request, "A test event is on its way; the delivery log shows it.")
    return redirect(sub)


@login_required
@require_POST
def webhook_enable(request: HttpRequest, pk: int) -> HttpResponse:
    sub = _subscription_for(request, pk)
    webhooks.enable(sub)
    messages.success(request, "Webhook enabled.")
    return redirect(sub)


@login_required
@require_POST
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    sub = _subscription_for(request, pk)
    webhooks.rotate_secret(sub)
    messages.success(request, "New secret created; update your receiver.")
    return redirect(sub)


@login_required
@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    sub = _subscription_for(request, pk)
    sub.delete()
    messages.success(request, "Webhook deleted.")
    return redirect("notifications:webhook_list")
