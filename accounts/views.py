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
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from . import backends, mfa, services, signals
from .forms import AuthenticatorSetupForm, DeleteAccountForm, SecondFactorForm


class LoginView(auth_views.LoginView):
    """Django's login (django-axes throttles it). Staff land on their clinic
    dashboard, everyone else on the home screen, unless ?next= says otherwise."""

    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        if hasattr(self.request.user, "membership"):
            return reverse("clinics:dashboard")
        return super().get_default_redirect_url()

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
logout_view = auth_views.LogoutView.as_view()  # POST only (Django 5)
password_change = never_cache(
    auth_views.PasswordChangeView.as_view(
        template_name="registration/password_change.html", success_url=reverse_lazy("accounts:password_change_done")
    )
)
password_change_done = never_cache(
    auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_change_done.html")
)


@method_decorator(never_cache, name="dispatch")
class SetPasswordView(auth_views.PasswordResetConfirmView):
    """A new staff member sets their own password from the one-time link the
    clinic admin passed on; it then signs them in."""

    template_name = "registration/set_password.html"
    success_url = reverse_lazy("accounts:set_password_done")
    post_reset_login = True
    post_reset_login_backend = backends.PATH

    def get_user(self, uidb64: str):
        # The same link serves a patient's new passphrase and a new staff
        # member's first password. A staff account that has a password never
        # gets it reset by link: a link skips the old password, and staff
        # accounts open every patient of a clinic. Such a link "no longer works".
        user = super().get_user(uidb64)
        if user is not None and services.is_staff_account(user) and user.has_usable_password():
            return None
        return user


set_password = SetPasswordView.as_view()


# --- Second factor for staff (accounts/mfa.py) --------------------------------

SETUP_KEY_SESSION = "two_factor_setup_key"


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
        except mfa.TooManyTries:
            form.add_error("code", gettext("Too many wrong codes. Please wait a minute, then try again."))
        else:
            if device is not None:
                mfa.sign_in_verified(request, device)
                return redirect(next_url)
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
    while they have no app yet: replacing one needs the admin (a password
    alone must never be enough to add a new one)."""
    next_url = _after_sign_in(request)
    if not services.is_staff_account(request.user):
        return redirect(next_url)
    if mfa.has_authenticator(request.user):
        return redirect(_with_next("accounts:two_factor", next_url))
    key = request.session.get(SETUP_KEY_SESSION) or mfa.new_key()
    request.session[SETUP_KEY_SESSION] = key
    form = AuthenticatorSetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        enrolled = mfa.authenticator_enrol(user=request.user, key=key, token=form.cleaned_data["code"])
        if enrolled is not None:
            device, codes = enrolled
            del request.session[SETUP_KEY_SESSION]
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
    return render(request, "registration/set_password_done.html")


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
    logout(request)
    services.account_delete(user=user)
    return redirect("accounts:deleted")


@never_cache
@require_safe
def deleted(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/deleted.html", {"login_records_days": services.LOGIN_RECORDS_DAYS})
