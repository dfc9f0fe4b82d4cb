"""The phone's JSON API, under /api/v1/. Session sign-in and CSRF, as for
the pages; never cached (a shared phone keeps no copy).

- GET  /api/v1/me/assignments/  who is signed in on this phone (an opaque
  account id the phone files its outbox under), their sharing choices, the
  CSRF token for the sync, and what their clinic assigned, each with its
  status (Assignment.Status: the phone shows it, it does not work it out).
- POST /api/v1/sync  the phone's one way to send work: a batch of items,
  each kept exactly once (clinics.phone.sync). Documented in the README.

Every answer is JSON, errors included, and no input gives a 500: the body is
read only up to its limit and parsed by clinics.phone.jsonbody (the one parser of
Crest's JSON endpoints: bad UTF-8, bad JSON, deep nesting, numbers too long to
convert and NaN are all a 4xx), then checked for shape before any item is
looked at.
"""

from django.conf import settings
from django.db import OperationalError
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import get_token
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.services import account_public_id
from clinics.models import Assignment, Patient, assignments_with_status
from clinics.services import sharing_of

from . import sync
from .jsonbody import JsonBodyError, parse_json_body

SYNC_MAX_BYTES = 256 * 1024
ACCOUNT_HEADER = "X-Crest-Account"


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


# --- Who is signed in, and what is assigned ----------------------------------


def _assignment_json(a: Assignment) -> dict:
    shared = a.status != Assignment.Status.NOT_SHARED
    return {
        "slug": a.lesson.slug,
        "title": a.lesson.text.title,
        "url": a.lesson.get_absolute_url(),
        "due_date": a.due_date.isoformat(),
        "note": a.note,
        "status": a.status,
        "completed_at": a.completed_at.isoformat() if shared and a.completed_at else None,
        "score": a.score if shared else None,
        "total": a.total if shared else None,
    }


def _language_of(request: HttpRequest) -> str:
    """The API has one address in every language (no /es/ prefix, so Django
    would answer in English): `?lang=es` from the page that asks, else the
    language the person chose (the cookie), else the phone's own."""
    language = request.GET.get("lang")
    if language in dict(settings.LANGUAGES):
        return language
    return translation.get_language_from_request(request)


@never_cache
@require_safe
def me(request: HttpRequest) -> JsonResponse:
    """Always 200: anonymous people get {"signed_in": false}, so a page just
    keeps its clinic blocks hidden and the phone sends nothing. Lesson titles
    and links come in the language of the page that asks."""
    with translation.override(_language_of(request)):
        return _me(request)


def _me(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False})
    patient = Patient.objects.select_related("clinic").filter(user=request.user).first()
    if patient is None:
        # The account's id all the same: the phone keeps each account's data
        # apart (the crest_account cookie names it too), and files nothing
        # to send for an account that is not a patient's.
        return JsonResponse(
            {"signed_in": True, "patient": False, "account": account_public_id(request.user), "assignments": []}
        )
    today = patient.clinic.today()
    assignments = (
        assignments_with_status(today).filter(patient=patient).active()
        .prefetch_related("lesson__translations")
        .filter(lesson__published=True).order_by("due_date", "lesson__order")
    )
    return JsonResponse(
        {
            "signed_in": True,
            "patient": True,
            "account": account_public_id(request.user),
            "sharing": sharing_of(patient),
            # For the sync's X-CSRFToken header: the service worker cannot read
            # cookies. Patients only: anonymous readers get no token at all.
            "csrf_token": get_token(request),
            "today": today.isoformat(),
            "assignments": [_assignment_json(a) for a in assignments],
        }
    )


# --- The batch -----------------------------------------------------------------


def _items_from(request: HttpRequest) -> list:
    """The batch's items, or JsonBodyError with the status and reason."""
    data = parse_json_body(request, max_bytes=SYNC_MAX_BYTES)
    if not isinstance(data, dict) or set(data) != {"items"} or not isinstance(data["items"], list):
        raise JsonBodyError(400, 'The body must be {"items": [...]} and nothing else.')
    if len(data["items"]) > sync.MAX_ITEMS:
        raise JsonBodyError(413, f"At most {sync.MAX_ITEMS} items per batch.")
    return data["items"]


@never_cache
def sync_batch(request: HttpRequest) -> JsonResponse:
    """POST {"items": [...]} -> 200 {"results": [{"id", "status", "errors"}]}, one
    result per item in the order sent (see clinics.phone.sync)."""
    if request.method != "POST":
        response = _error(405, "Use POST.")
        response["Allow"] = "POST"
        return response
    if not request.user.is_authenticated:
        return _error(401, "Sign in to send to your clinic.")
    patient = Patient.objects.select_related("clinic").filter(user=request.user).first()
    if patient is None:
        return _error(403, "Only patient accounts send items.")
    # The phone names the account its items belong to: if someone else has
    # signed in on it since, nothing of the first person's is stored.
    claimed = request.headers.get(ACCOUNT_HEADER)
    if claimed is not None and claimed != account_public_id(request.user):
        return _error(409, "This phone is signed in as someone else now.")
    try:
        items = _items_from(request)
    except JsonBodyError as bad:
        return _error(bad.status, bad.message)
    wait = sync.daily_limit_wait(patient=patient, count=len(items))
    if wait is not None:
        # The phone keeps the items in its outbox and sends them again later.
        response = _error(429, "This phone has sent its most for one day. The rest will go later.")
        response["Retry-After"] = str(wait)
        return response
    try:
        # The phone shows a rejected item's reasons to the person: in their language.
        with translation.override(_language_of(request)):
            results = sync.sync_items_apply(patient=patient, items=items)
    except OperationalError:
        # The database is busy (SQLite's lock wait ran out, a PostgreSQL
        # restart): the batch's transaction was rolled back, so nothing of it
        # is kept and the phone sends it again. Say when, rather than a 500.
        response = _error(503, "Busy. Please try again in a moment.")
        response["Retry-After"] = "5"
        return response
    return JsonResponse({"results": [result.as_json() for result in results]})
