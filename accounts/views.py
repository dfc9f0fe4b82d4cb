"""Sign in and out, passwords, and the "my data" page. All never cached:
a shared phone must keep no copy of an account page."""

import json

from django.conf import settings

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe, require_http_methods, require_POST

from . import services, signals
from .forms import DeleteAccountForm


class LoginView(auth_views.LoginView):
    """Django's login (django-axes throttles it). Staff land on their clinic
    dashboard, everyone else on the home screen, unless ?next= says otherwise."""

    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        if hasattr(self.request.user, "membership"):
            return reverse("clinics:dashboard")
        return super().get_default_redirect_url()

    def form_valid(self, form):
        response = super().form_valid(form)
        # A patient's own phone stays signed in for weeks; a clinic computer
        # showing many people's health data must not.
        if hasattr(form.get_user(), "membership"):
            self.request.session.set_expiry(settings.STAFF_SESSION_SECONDS)
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
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"


set_password = SetPasswordView.as_view()


@never_cache
@require_safe
def set_password_done(request: HttpRequest) -> HttpResponse:
    return render(request, "registration/set_password_done.html")


def _me_context(request: HttpRequest, delete_form: DeleteAccountForm | None = None) -> dict:
    user = request.user
    sections = []
    if user.is_authenticated:
        # The apps above accounts add their own sections (clinics: sharing).
        sections = [section for _, section in signals.my_data_section.send(sender=type(user), user=user, request=request) if section]
    return {
        "sections": sections,
        "membership": getattr(user, "membership", None),
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
    response = HttpResponse(json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="crest-my-data-{timezone.localdate().isoformat()}.json"'
    return response


@never_cache
@login_required
@require_POST
def me_sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    services.sessions_end_all(user=request.user)
    logout(request)
    messages.success(request, "You are signed out on every device, this one included.")
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
