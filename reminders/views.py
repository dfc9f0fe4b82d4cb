"""Reminders: the phone's API under /api/v1/push/ (same session, CSRF and
error rules as the sync API: JSON in, JSON out, a 4xx for bad input, never
a 500), the reminders settings page and the check-in screen.

- GET    /api/v1/push/               {"available", "public_key", "csrf_token"}
- POST   /api/v1/push/subscriptions  PushSubscription.toJSON() (+ time_zone,
  language, reminders) -> 201 new, 200 known; {"reminders": settings}
- PATCH  /api/v1/push/subscriptions  {"endpoint", "time_zone", "language"}
  -> 200 {"reminders"}, or 404 when the server no longer keeps it
- DELETE /api/v1/push/subscriptions  {"endpoint"} -> 204
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from clinics.models import Patient
from clinics.phone.jsonbody import JsonBodyError, parse_json_body

from . import forms, push, services

MAX_BYTES = 8 * 1024


def _error(status: int, message: str, errors: list[str] | None = None) -> JsonResponse:
    body = {"error": message}
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=status)


@never_cache
@require_safe
def push_config(request: HttpRequest) -> JsonResponse:
    """What a page needs before it asks the browser for a subscription: the
    server's public key (none when reminders are not set up here) and the
    CSRF token for the calls below (a cached page carries none)."""
    public_key = push.vapid_public_key() if push.vapid_configured() else None
    return JsonResponse(
        {"available": public_key is not None, "public_key": public_key, "csrf_token": get_token(request)}
    )


@never_cache
def subscriptions(request: HttpRequest) -> HttpResponse:
    handlers = {"POST": _subscribe, "PATCH": _refresh, "DELETE": _unsubscribe}
    handler = handlers.get(request.method)
    if handler is None:
        response = _error(405, "Use POST, PATCH or DELETE.")
        response["Allow"] = ", ".join(handlers)
        return response
    if not push.vapid_configured():
        return _error(503, "Reminders are not set up on this server.")
    try:
        data = parse_json_body(request, max_bytes=MAX_BYTES)
        return handler(request, data)
    except JsonBodyError as bad:
        return _error(bad.status, bad.message)
    except forms.InvalidInput as invalid:
        return _error(400, "The subscription was not accepted.", invalid.errors)


def _subscribe(request: HttpRequest, data: object) -> JsonResponse:
    given = forms.subscription_input(data)
    if given.replaces is not None:
        renewed = services.subscription_renew(data=given)
        if renewed is None:
            return _error(404, "This phone has no reminders on this server.")
        return JsonResponse({"reminders": services.subscription_settings(renewed)})
    subscription, created = services.subscription_save(
        user=request.user, data=given, language=translation.get_language()
    )
    return JsonResponse({"reminders": services.subscription_settings(subscription)}, status=201 if created else 200)


def _refresh(request: HttpRequest, data: object) -> JsonResponse:
    subscription = services.subscription_refresh(user=request.user, data=forms.refresh_input(data))
    if subscription is None:
        return _error(404, "This phone has no reminders on this server.")
    return JsonResponse({"reminders": services.subscription_settings(subscription)})


def _unsubscribe(request: HttpRequest, data: object) -> HttpResponse:
    services.subscription_delete(endpoint=forms.endpoint_input(data))
    return HttpResponse(status=204)


# --- Pages -----------------------------------------------------------------------


@never_cache
@require_safe
def settings_page(request: HttpRequest) -> HttpResponse:
    """The "Reminders" control and its settings; what this phone has comes
    from the API (static/js/pages/reminders.js). Lesson reminders are offered to
    patients, so the page is never kept (a shared phone)."""
    patient = None
    if request.user.is_authenticated:
        patient = Patient.objects.filter(user=request.user).only("shares_progress").first()
    return render(
        request,
        "reminders/settings.html",
        {
            "is_patient": patient is not None,
            "shares_progress": bool(patient and patient.shares_progress),
            "lesson_choices": services.Subscription.Lessons.choices,
            "quiet_choices": services.Subscription.Quiet.choices,
            "available": push.vapid_configured(),
            "weekdays": WEEKDAYS,
        },
    )


@require_safe
def checkin(request: HttpRequest) -> HttpResponse:
    """Where a check-in reminder leads. The same for everyone (kept on the
    phone for offline use); the answers stay on the phone (static/js/pages/checkin.js)."""
    return render(request, "reminders/checkin.html", {"scale": range(11), "moods": MOODS})


MOODS = [
    ("good", translation.gettext_lazy("Good")),
    ("okay", translation.gettext_lazy("Okay")),
    ("low", translation.gettext_lazy("Low")),
    ("hard", translation.gettext_lazy("Having a hard time")),
]
WEEKDAYS = [
    (0, translation.gettext_lazy("Monday")),
    (1, translation.gettext_lazy("Tuesday")),
    (2, translation.gettext_lazy("Wednesday")),
    (3, translation.gettext_lazy("Thursday")),
    (4, translation.gettext_lazy("Friday")),
    (5, translation.gettext_lazy("Saturday")),
    (6, translation.gettext_lazy("Sunday")),
]
