"""Sign in and out, passwords, and the "my data" page. All never cached:
a shared phone must keep no copy of an account page."""

import json
import math
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from . import backends, mfa, services, signals, throttle
from .forms import (
    AuthenticatorSetupForm,
    DeleteAccountForm,
    PassphraseSetForm,
    SecondFactorForm,
    ThrottledPasswordChangeForm,
)
from .language import in_the_wanted_language
from .models import User
from .signals import SecurityEvent


class LoginView(auth_views.LoginView):
    """Django's login (accounts/throttle.py throttles it). Staff land on their clinic
    dashboard, everyone else on the home screen, unless ?next= says otherwise."""

    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        if hasattr(self.request.user, "membership"):
            return reverse("clinics:dashboard")
        return super().get_default_redirect_url()

    def form_valid(self, form):
        user = form.get_user()
        self.notice_at = user.link_used_by_staff_at
        if self.notice_at is not None:
            # Told on their own device, once (SetPasswordView below).
            User.objects.filter(pk=user.pk).update(link_used_by_staff_at=None)
        response = super().form_valid(form)
        if self.notice_at is not None:
            messages.warning(
                self.request,
                gettext(
                    "Your passphrase was changed on %(date)s with a link from your clinic, by a member of its staff. "
                    "If you did not ask for this, tell your clinic."
                )
                % {"date": date_format(timezone.localtime(self.notice_at), "j F Y")},
            )
        return response

    def get_success_url(self) -> str:
        # The notice above is shown on the account page.
        if getattr(self, "notice_at", None) is not None:
            return reverse("accounts:me")
        return super().get_success_url()

    def form_invalid(self, form):
        retry_after = getattr(self.request, "login_retry_after", None)
        if retry_after is None:
            return super().form_invalid(form)
        # Throttled (accounts/throttle.py): say so plainly, and when to retry.
        response = render(
            self.request,
            "registration/locked_out.html",
            {"minutes": math.ceil(retry_after / 60), "window_minutes": settings.LOGIN_WINDOW_SECONDS // 60},
            status=429,
        )
        response["Retry-After"] = str(retry_after)
        return response


login_view = LoginView.as_view()


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5). Staff land on the sign-in page, told they are
    signed out (their clinic pages are behind it); everyone else on the home
    screen, unless ?next= says otherwise."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        self.was_staff = services.is_staff_account(request.user)
        return super().post(request, *args, **kwargs)

    def get_default_redirect_url(self) -> str:
        if self.was_staff:
            messages.success(self.request, gettext("You are signed out of Crest’s staff pages."))
            return reverse("accounts:login")
        return super().get_default_redirect_url()


logout_view = LogoutView.as_view()

class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = ThrottledPasswordChangeForm
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        response = super().form_valid(form)
        services.security_event_send(user=form.user, event=SecurityEvent.PASSWORD_CHANGED)
        return response


password_change = never_cache(PasswordChangeView.as_view())
password_change_done = never_cache(
    auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_change_done.html")
)


@method_decorator([never_cache, in_the_wanted_language], name="dispatch")
class SetPasswordView(auth_views.PasswordResetConfirmView):
    """A new staff member sets their own password from the one-time link the
    clinic admin passed on, or a patient who forgot theirs a new passphrase
    from the link their clinic made (with one suggested, as when they
    joined); it then signs them in."""

    template_name = "registration/set_password.html"
    success_url = reverse_lazy("accounts:set_password_done")
    post_reset_login = True
    post_reset_login_backend = backends.PATH

    def patient_link(self) -> bool:
        return self.user is not None and not services.is_staff_account(self.user)

    def get_form_class(self):
        return PassphraseSetForm if self.patient_link() else super().get_form_class()

    def get_initial(self) -> dict:
        return {"new_password1": services.passphrase_suggest()} if self.patient_link() else {}

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(
            passphrase=self.patient_link(), link_lifetime=services.set_password_link_lifetime(), **kwargs
        )

    def form_valid(self, form):
        # Before the link signs the browser in as its owner: who is here.
        staff = throttle.staff_on_this_device(self.request)
        user = form.user
        services.security_event_send(user=user, event=SecurityEvent.PASSWORD_SET_BY_LINK)
        response = super().form_valid(form)
        if services.is_staff_account(user):
            # Signed in by a one-time link: this session may connect an app.
            mfa.enrolment_grant(self.request)
        if staff is not None and staff.pk != user.pk and not services.is_staff_account(user):
            # A clinician set a patient's passphrase: audited, and the
            # patient is told at their next sign-in on their own phone.
            services.security_event_send(user=user, event=SecurityEvent.LINK_USED_BY_STAFF, by=staff)
            User.objects.filter(pk=user.pk).update(link_used_by_staff_at=timezone.now())
        return response

    def get_user(self, uidb64: str):
        # The same link serves a patient's new passphrase and a new staff
        # member's first password. A staff account that has a password never
        # gets it reset by link: a link skips the old password, and staff
        # accounts open every patient of a clinic. Such a link "no longer works".
        # Nor does a deactivated account's (the token does not cover it).
        user = super().get_user(uidb64)
        if user is None or not user.is_active:
            return None
        if services.is_staff_account(user) and user.has_usable_password():
            return None
        return user


set_password = SetPasswordView.as_view()


# --- Second factor for staff (accounts/mfa.py) --------------------------------

SETUP_KEY_SESSION = "two_factor_setup_key"
# Wrong codes typed in this session: the person's own typos, not worth telling them about.
OWN_WRONG_CODES_SESSION = "two_factor_own_wrong_codes"


def _after_sign_in(request: HttpRequest) -> str:
    """Where to go once signed in: ?next= if it is on this site, else the
    staff member's start page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    if hasattr(request.user, "membership"):
        return reverse("clinics:dashboard")
    return reverse("admin:index") if request.user.is_staff else reverse("home")


def _with_next(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


def _wrong_codes_message(count: int) -> str:
    return ngettext(
        "Since you last signed in, %(count)s wrong code was entered after your password, not on this device. "
        "If that was not you, change your password now: someone may know it.",
        "Since you last signed in, %(count)s wrong codes were entered after your password, not on this device. "
        "If that was not you, change your password now: someone may know it.",
        count,
    ) % {"count": count}


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """The second step of a staff sign-in: a code from the authenticator app,
    or a recovery code."""
    next_url = _after_sign_in(request)
    if not mfa.second_factor_required(request.user):
        return redirect(next_url)
    if not mfa.has_authenticator(request.user):
        return redirect(_with_next("accounts:two_factor_setup", next_url))
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = mfa.second_factor_verify(user=request.user, token=form.cleaned_data["code"])
        except mfa.TooManyTries as wait:
            minutes = math.ceil(wait.seconds / 60)
            form.add_error(
                "code",
                ngettext(
                    "Too many wrong codes. Please wait %(minutes)s minute, then try again.",
                    "Too many wrong codes. Please wait %(minutes)s minutes, then try again.",
                    minutes,
                )
                % {"minutes": minutes},
            )
        else:
            if device is not None:
                own = request.session.get(OWN_WRONG_CODES_SESSION, 0)
                others = mfa.second_factor_failures_take(user=request.user) - own
                mfa.sign_in_verified(request, device)
                request.session.pop(OWN_WRONG_CODES_SESSION, None)
                if others > 0:
                    messages.warning(request, _wrong_codes_message(others))
                signals.signed_in_fully.send(sender=User, user=request.user, request=request)
                return redirect(next_url)
            request.session[OWN_WRONG_CODES_SESSION] = request.session.get(OWN_WRONG_CODES_SESSION, 0) + 1
            form.add_error(
                "code",
                gettext(
                    "That code did not work. Check that your phone’s clock is right, or use one of your recovery codes."
                ),
            )
    return render(request, "registration/two_factor.html", {"form": form, "next": next_url})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """A staff member's first sign-in: connect an authenticator app (QR code
    or typed key), prove it with a code, and get ten recovery codes. Only
    while they have no app yet, and only in a session a one-time link signed
    in (a new staff member's set-password link, or a clinic admin's sign-in
    reset): a password alone must never be enough to add an app."""
    next_url = _after_sign_in(request)
    if not services.is_staff_account(request.user):
        return redirect(next_url)
    if mfa.has_authenticator(request.user):
        return redirect(_with_next("accounts:two_factor", next_url))
    if not mfa.enrolment_allowed(request):
        return render(request, "registration/two_factor_needs_link.html", status=403)
    key = request.session.get(SETUP_KEY_SESSION) or mfa.new_key()
    request.session[SETUP_KEY_SESSION] = key
    form = AuthenticatorSetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        enrolled = mfa.authenticator_enrol(user=request.user, key=key, token=form.cleaned_data["code"])
        if enrolled is not None:
            device, codes = enrolled
            del request.session[SETUP_KEY_SESSION]
            del request.session[mfa.ENROLMENT_GRANT_SESSION]
            mfa.sign_in_verified(request, device)
            # Shown once, in this response: they are not kept readable anywhere.
            return render(
                request, "registration/recovery_codes.html", {"codes": codes, "next": next_url, "first": True}
            )
        form.add_error(
            "code",
            gettext("That code did not match. Check that you added the key shown here, then try the newest code."),
        )
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "next": next_url,
            "qr": mark_safe(mfa.provisioning_qr_svg(user=request.user, key=key)),
            "key": mfa.key_for_people(key),
        },
    )


@never_cache
@login_required
@require_POST
def two_factor_recovery_codes(request: HttpRequest) -> HttpResponse:
    """Ten new recovery codes for a fully signed-in staff member; the old
    ones stop working."""
    if not services.is_staff_account(request.user) or mfa.second_factor_required(request.user):
        return redirect(_with_next("accounts:two_factor", reverse("accounts:me")))
    codes = mfa.recovery_codes_replace(user=request.user)
    return render(request, "registration/recovery_codes.html", {"codes": codes, "next": reverse("accounts:me")})


@never_cache
@require_safe
def set_password_done(request: HttpRequest) -> HttpResponse:
    return render(request, "registration/set_password_done.html", {"staff": services.is_staff_account(request.user)})


def _me_context(request: HttpRequest, delete_form: DeleteAccountForm | None = None) -> dict:
    user = request.user
    sections = []
    if user.is_authenticated:
        # The apps above accounts add their own sections (clinics: sharing).
        answers = signals.my_data_section.send(sender=type(user), user=user, request=request)
        sections = [section for _, section in answers if section]
    return {
        "sections": sections,
        "membership": getattr(user, "membership", None),
        "recovery_codes_left": mfa.recovery_codes_left(user=user) if services.is_staff_account(user) else None,
        "kept_after_deletion": services.account_kept_after_deletion(user=user) if user.is_authenticated else [],
        "delete_form": delete_form or DeleteAccountForm(),
    }


@never_cache
@require_safe
def me(request: HttpRequest) -> HttpResponse:
    """My data. Open to everyone: a person without an account still has data
    on this phone and can wipe it here; the account sections need sign-in."""
    return render(request, "accounts/me.html", _me_context(request))


@never_cache
@login_required
@require_safe
def me_export(request: HttpRequest) -> HttpResponse:
    data = services.account_export(user=request.user)
    # DjangoJSONEncoder: some explanations are translated (lazy) strings.
    body = json.dumps(data, indent=2, ensure_ascii=False, cls=DjangoJSONEncoder)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="crest-my-data-{timezone.localdate().isoformat()}.json"'
    return response


@never_cache
@login_required
@require_POST
def me_sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    services.sessions_end_all(user=request.user)
    logout(request)
    messages.success(request, gettext("You are signed out on every device, this one included."))
    return redirect("accounts:login")


@never_cache
@login_required
@require_http_methods(["POST"])
def me_delete(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/me.html", _me_context(request, delete_form=form), status=400)
    user = request.user
    if reason := services.account_delete_refusal(user=user):
        # Nothing changes, and they stay signed in to do what it asks first.
        form.add_error(None, reason)
        return render(request, "accounts/me.html", _me_context(request, delete_form=form), status=409)
    logout(request)
    try:
        services.account_delete(user=user)
    except services.AccountDeletionRefused as refusal:  # changed in the moment since the question above
        messages.error(request, str(refusal))
        return redirect("accounts:login")
    return redirect("accounts:deleted")


@never_cache
@require_safe
def deleted(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/deleted.html", {"window_minutes": settings.LOGIN_WINDOW_SECONDS // 60})
