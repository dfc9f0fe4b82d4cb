"""Clinic pages (staff only, scoped to the staff member's clinic), the
patient's join page and their sharing choices.

The phone's JSON API is in clinics/phone/. Every view here is `never_cache`: the service worker never stores a response
marked no-store/private, so a shared phone keeps no copy of clinic data."""

import hashlib
from collections.abc import Callable
from datetime import datetime, time, timedelta
from functools import wraps

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_noop, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import backends
from accounts.language import in_the_wanted_language
from accounts.services import passphrase_suggest, set_password_link_lifetime, set_password_path, username_suggest_free
from lessons.models import Lesson

from . import charts, services, tables
from .forms import AssignForm, DueDateForm, InviteForm, JoinForm, StaffForm
from .models import (
    Assignment,
    AuditEvent,
    CravingSummary,
    Invite,
    LessonProgress,
    Membership,
    Patient,
    assignments_with_status,
)
from .paging import patients_page


def clinic_staff_required(view: Callable | None = None, *, admin: bool = False) -> Callable:
    """Signed-in staff of a clinic only. Sets request.membership and
    request.clinic. Anonymous people go to the login page; anyone else
    (patients, other users, clinicians on admin pages) gets a 404, so the
    page's existence is not confirmed."""

    def decorator(view_func: Callable) -> Callable:
        @wraps(view_func)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            try:
                membership = request.user.membership  # with its clinic (accounts.backends)
            except Membership.DoesNotExist:
                raise Http404 from None
            if admin and not membership.is_admin:
                raise Http404
            request.membership = membership
            request.clinic = membership.clinic
            with timezone.override(membership.clinic.zone):
                return view_func(request, *args, **kwargs)

        return wrapped

    return decorator(view) if view is not None else decorator


# --- Dashboard ---------------------------------------------------------------

# The titles are translated where they are shown (the dashboard template).
FILTERS = {
    "all": gettext_noop("Everyone"),
    "overdue": gettext_noop("Overdue"),
    "not_started": gettext_noop("Not started"),
}


@never_cache
@clinic_staff_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    """Pages over patient ids first (filters and order from the stored
    progress, served by indexes), then reads the page shown, all from the
    stored progress: the same queries (the count or its cached value, a page
    of ids, its rows) whatever the clinic's size."""
    show = request.GET.get("show", "all")
    if show not in FILTERS:
        show = "all"
    query = request.GET.get("q", "").strip()[:100]
    today = request.clinic.today()
    patients = Patient.objects.for_clinic(request.clinic)
    if query:
        patients = patients.filter(label__icontains=query)
    if show == "overdue":
        patients = patients.overdue(today=today)
    elif show == "not_started":
        patients = patients.not_started()
    searched = hashlib.sha256(query.encode()).hexdigest()[:16]
    key = f"clinics.dashboard.count:{request.clinic.pk}:{show}:{today.isoformat()}:{searched}"
    page = patients_page(
        patients, request.GET, anchors=Patient.objects.for_clinic(request.clinic), key=key, search=bool(query)
    )
    # Rows to show, as dicts (clinics.tables draws them).
    page.object_list = (
        Patient.objects.filter(pk__in=page.object_list).order_by("label", "pk")
        .progress_rows(
            "pk", "label", "assigned_count", "done_count", "shares_progress", "overdue_count", "last_activity",
            today=today,
        )
    )
    return render(
        request,
        "clinics/dashboard.html",
        {
            "page": page, "rows": tables.dashboard_rows(page.object_list),
            "show": show, "filters": FILTERS, "query": query,
        },
    )


# --- One patient -------------------------------------------------------------


@never_cache
@clinic_staff_required
@require_safe
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=pk, clinic=request.clinic)
    if request.headers.get("Sec-Fetch-Site") in ("cross-site", "same-site"):
        # Another site sent the browser here (a link, a redirect): the session
        # cookie comes along (SameSite=Lax), but the clinician did not choose
        # to open this record. No data and no "viewed" row; a button opens it.
        return render(request, "clinics/patient_open.html", {"url": request.get_full_path()})
    today = request.clinic.today()
    assignments = list(
        assignments_with_status(today).filter(patient=patient).order_by("withdrawn_at", "due_date", "lesson__order")
    )
    # Lessons done or checked that are not assigned now (one row per lesson at most).
    assigned = {a.lesson_id for a in assignments if a.withdrawn_at is None}
    other_progress = [
        progress
        for progress in LessonProgress.objects.filter(patient=patient).select_related("lesson")
        .defer(*Lesson.reading_fields_through("lesson"))
        .order_by("lesson__order")
        if progress.lesson_id not in assigned
    ]
    if translation.get_language() != settings.LANGUAGE_CODE:  # the lessons' words in this language, in one query
        prefetch_related_objects([row.lesson for row in (*assignments, *other_progress)], "translations")
    cravings = None
    if patient.shares_cravings:
        since = datetime.combine(today - timedelta(days=charts.DAYS - 1), time.min, tzinfo=request.clinic.zone)
        cravings = charts.craving_overview(
            CravingSummary.objects.filter(patient=patient).since(since), today=today, zone=request.clinic.zone
        )
    services.audit_record(
        actor=request.user, clinic=request.clinic, action=AuditEvent.Action.PATIENT_VIEWED, patient=patient
    )
    return render(
        request,
        "clinics/patient_detail.html",
        {
            "patient": patient,
            "assignments": assignments,
            "rows": tables.assignment_rows(assignments, csrf_token=get_token(request)),
            "other_progress": other_progress,
            "cravings": cravings,
        },
    )


# --- Assigning ---------------------------------------------------------------


@never_cache
@clinic_staff_required
@require_http_methods(["GET", "POST"])
def assign(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = AssignForm(request.POST, clinic=request.clinic)
        if form.is_valid():
            patients = list(form.cleaned_data["patients"])
            lessons = list(form.cleaned_data["lessons"])
            services.assignments_create(
                clinician=request.user,
                clinic=request.clinic,
                patients=patients,
                lessons=lessons,
                due_date=form.cleaned_data["due_date"],
                note=form.cleaned_data["note"],
            )
            lessons_text = ngettext("%(n)s lesson", "%(n)s lessons", len(lessons)) % {"n": len(lessons)}
            patients_text = ngettext("%(n)s patient", "%(n)s patients", len(patients)) % {"n": len(patients)}
            assigned = gettext("Assigned %(lessons)s to %(patients)s.")
            messages.success(request, assigned % {"lessons": lessons_text, "patients": patients_text})
            if len(patients) == 1:
                return redirect(patients[0].get_absolute_url())
            return redirect("clinics:dashboard")
    else:
        selected = [p for p in request.GET.getlist("patients") if p.isdigit()]
        form = AssignForm(clinic=request.clinic, initial={"patients": selected})
    return render(request, "clinics/assign.html", {"form": form})


def _clinic_assignment(request: HttpRequest, pk: int) -> Assignment:
    return get_object_or_404(
        Assignment.objects.select_related("patient__clinic", "lesson"),
        pk=pk,
        patient__clinic=request.clinic,
        withdrawn_at__isnull=True,
    )


@never_cache
@clinic_staff_required
@require_POST
def assignment_due(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _clinic_assignment(request, pk)
    form = DueDateForm(request.POST)
    if form.is_valid():
        services.assignment_change_due(
            clinician=request.user, assignment=assignment, due_date=form.cleaned_data["due_date"]
        )
        messages.success(
            request,
            gettext("“%(title)s” is now due %(date)s.")
            % {"title": assignment.lesson.text.title, "date": date_format(assignment.due_date, "j M Y")},
        )
    else:
        messages.error(request, " ".join(form.errors.get("due_date", [gettext("Please enter a valid date.")])))
    return redirect(assignment.patient.get_absolute_url())


@never_cache
@clinic_staff_required
@require_POST
def assignment_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _clinic_assignment(request, pk)
    services.assignment_withdraw(clinician=request.user, assignment=assignment)
    messages.success(request, gettext("Withdrew “%(title)s”.") % {"title": assignment.lesson.text.title})
    return redirect(assignment.patient.get_absolute_url())


# --- Invites -----------------------------------------------------------------


@never_cache
@clinic_staff_required
@require_http_methods(["GET", "POST"])
def invite_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = InviteForm(request.POST)
        if form.is_valid():
            invite = services.invite_create(
                clinic=request.clinic, created_by=request.user, label=form.cleaned_data["label"]
            )
            return redirect(invite.get_absolute_url())
    else:
        form = InviteForm()
    invites = Invite.objects.filter(clinic=request.clinic).select_related("patient")[:100]
    return render(request, "clinics/invite_list.html", {"form": form, "invites": invites})


def qr_svg(url: str) -> str:
    """The link as an inline SVG QR code (no style attributes: strict CSP).
    Dark on a white quiet zone so phone cameras read it in dark mode too."""
    svg = segno.make(url, error="m").svg_inline(scale=5, dark="#000", light="#fff", border=4)
    label = escape(gettext("QR code of the link"))
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)


@never_cache
@clinic_staff_required
@require_safe
def invite_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invite = get_object_or_404(Invite, pk=pk, clinic=request.clinic)
    join_url = request.build_absolute_uri(invite.get_join_url())
    return render(
        request,
        "clinics/invite_detail.html",
        {"invite": invite, "join_url": join_url, "qr": mark_safe(qr_svg(join_url)) if invite.status == "open" else ""},
    )


@never_cache
@clinic_staff_required
@require_POST
def patient_passphrase_link(request: HttpRequest, pk: int) -> HttpResponse:
    """For a patient who forgot their passphrase: a one-time link (and QR
    code) to set a new one, shown once to the clinician to pass on."""
    patient = get_object_or_404(Patient, pk=pk, clinic=request.clinic)
    link = request.build_absolute_uri(services.patient_passphrase_link(clinician=request.user, patient=patient))
    return render(
        request,
        "clinics/passphrase_link.html",
        {
            "patient": patient,
            "link": link,
            "qr": mark_safe(qr_svg(link)),
            "link_lifetime": set_password_link_lifetime(),
        },
    )


# --- Export, audit log, staff ------------------------------------------------


@never_cache
@clinic_staff_required(admin=True)
@require_POST
def export_csv(request: HttpRequest) -> HttpResponse:
    """Every patient's progress in one file: for clinic admins only. A POST
    (with CSRF): it writes audit rows, so a GET (a prefetch, a link opened
    by someone else's page) must never produce it."""
    lines = services.progress_export_csv(clinic=request.clinic, actor=request.user)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    filename = f"crest-{request.clinic.slug}-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@clinic_staff_required(admin=True)
@require_safe
def audit_log(request: HttpRequest) -> HttpResponse:
    # Lines name a patient by id; the label comes from the patient while they exist.
    events = AuditEvent.objects.filter(clinic=request.clinic).select_related("patient").order_by("-created_at", "-pk")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "clinics/audit_log.html", {"page": page})


@never_cache
@clinic_staff_required(admin=True)
@require_http_methods(["GET", "POST"])
def staff(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = StaffForm(request.POST)
        if form.is_valid():
            user = services.staff_create(
                clinic=request.clinic,
                added_by=request.user,
                username=form.cleaned_data["username"],
                role=form.cleaned_data["role"],
            )
            added = gettext("Added %(username)s. Send them their set-password link below.")
            messages.success(request, added % {"username": user.username})
            return redirect("clinics:staff")
    else:
        form = StaffForm()
    members = list(Membership.objects.filter(clinic=request.clinic).select_related("user").order_by("user__username"))
    for member in members:
        # The link works once: it stops matching as soon as a password is set.
        # A site administrator's (the operator's `manage.py sign_in_link`) is
        # theirs alone: with it, a clinic admin would become them.
        user = member.user
        member.set_password_url = (
            None if user.has_usable_password() or not user.is_active or services.site_administrator(user)
            else request.build_absolute_uri(set_password_path(user=user))
        )
    return render(
        request, "clinics/staff.html",
        {"form": form, "members": members, "link_lifetime": set_password_link_lifetime()},
    )


@never_cache
@clinic_staff_required(admin=True)
@require_POST
def staff_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_staff(
        request, pk, services.staff_deactivate, gettext("Deactivated %(username)s. They are signed out everywhere.")
    )


@never_cache
@clinic_staff_required(admin=True)
@require_POST
def staff_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_staff(request, pk, services.staff_reactivate, gettext("Reactivated %(username)s."))


@never_cache
@clinic_staff_required(admin=True)
@require_POST
def staff_sign_in_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """A one-time link for a staff member to set a new password and connect
    a new authenticator app, shown once to the admin to pass on."""
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk, clinic=request.clinic)
    try:
        path = services.staff_sign_in_reset(clinic=request.clinic, by=request.user, membership=membership)
    except ValueError as error:
        messages.error(request, str(error))
        return redirect("clinics:staff")
    return render(
        request,
        "clinics/staff_sign_in_link.html",
        {
            "member": membership,
            "link": request.build_absolute_uri(path),
            "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        },
    )


@never_cache
@clinic_staff_required(admin=True)
@require_POST
def staff_remove(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_staff(
        request, pk, services.staff_remove, gettext("Removed %(username)s from the clinic. Their account is unchanged.")
    )


def _change_staff(request: HttpRequest, pk: int, change, done: str) -> HttpResponse:
    """One admin change to a staff member of this clinic: the service makes
    it (and refuses, with a reason, what it must not do, such as leaving the
    clinic without an admin); the staff page says what happened."""
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk, clinic=request.clinic)
    try:
        change(clinic=request.clinic, by=request.user, membership=membership)
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done % {"username": membership.user.username})
    return redirect("clinics:staff")


# --- Joining (public) --------------------------------------------------------


def _unavailable(request: HttpRequest, reason: str) -> HttpResponse:
    status = 404 if reason == "unknown" else 410
    return render(request, "clinics/join_unavailable.html", {"reason": reason}, status=status)


@never_cache
@in_the_wanted_language
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, code: str) -> HttpResponse:
    try:
        invite = services.invite_check(code=code)
    except services.InviteUnavailable as error:
        return _unavailable(request, error.reason)
    if request.user.is_authenticated:
        return render(request, "clinics/join_signed_in.html", {"invite": invite})
    if request.method == "POST":
        form = JoinForm(request.POST)
        if form.is_valid():
            try:
                patient = services.invite_redeem(
                    code=code,
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["passphrase"],
                    language=request.LANGUAGE_CODE,
                )
            except services.InviteUnavailable as error:
                return _unavailable(request, error.reason)
            except ValidationError as error:
                form.add_error("passphrase", error)
            except ValueError as error:
                form.add_error("username", str(error))
            else:
                login(request, patient.user, backend=backends.PATH)
                return redirect("home")
    else:
        form = JoinForm(initial={"username": username_suggest_free(), "passphrase": passphrase_suggest()})
    return render(request, "clinics/join.html", {"form": form, "clinic": invite.clinic})


# --- The patient's sharing choices (a section of /me/) ---------------------


@never_cache
@login_required
@require_POST
def sharing(request: HttpRequest) -> HttpResponse:
    """A patient turns sharing of one kind of data with their clinic on or off."""
    patient = get_object_or_404(Patient, user=request.user)
    category, share = request.POST.get("category"), request.POST.get("share")
    if category not in services.SHARING or share not in ("on", "off"):
        messages.error(request, gettext("Please choose what to share, and whether to share it."))
        return redirect("accounts:me")
    try:
        services.sharing_set(patient=patient, category=category, share=share == "on", language=request.LANGUAGE_CODE)
    except services.SharingError as error:
        messages.error(request, str(error))
        return redirect("accounts:me")
    what = gettext(services.SHARING[category].description)
    if share == "on":
        message = gettext("Your clinic can now see your %(what)s.") % {"what": what}
        if category == "lessons":
            message += " " + gettext("This phone will send the lessons you finished while signed in.")
    else:
        message = gettext("Your clinic no longer sees your %(what)s. What the server had is deleted.") % {"what": what}
    messages.success(request, message)
    return redirect("accounts:me")
