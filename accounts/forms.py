import math

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


class PassphraseField(forms.CharField):
    """A patient's passphrase, shown whole: the person must read it to keep
    it, so it is visible (the pages that show it are never cached) and wraps
    over as many lines as it needs on a narrow phone instead of scrolling
    out of a one-line box. A line break is never part of it (a tap on Enter
    in the box makes one)."""

    widget = forms.Textarea(
        attrs={"rows": 2, "autocomplete": "new-password", "autocapitalize": "none", "spellcheck": "false",
               "class": "passphrase-input"}
    )

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_length", 12)
        kwargs.setdefault("max_length", 128)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r", "").replace("\n", "") if value else value


class PassphraseSetForm(forms.Form):
    """A patient's new passphrase from their clinic's one-time link: one
    field with a suggestion to keep (as when they joined) and nothing to type
    twice. Takes the place of Django's SetPasswordForm (same signature and
    save()) in the set-password view."""

    new_password1 = PassphraseField(
        label=_("New passphrase"),
        help_text=_("At least 12 characters. You can keep the one we suggest: write it down somewhere safe."),
    )

    def __init__(self, user, *args, **kwargs) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_new_password1(self) -> str:
        passphrase = self.cleaned_data["new_password1"]
        validate_password(passphrase, self.user)
        return passphrase

    def save(self, commit: bool = True):
        self.user.set_password(self.cleaned_data["new_password1"])
        if commit:
            self.user.save()
        return self.user


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand: my account and everything the server keeps about me are deleted for good."),
        required=True,
    )


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_("The 6-digit code your authenticator app shows now, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false", "autofocus": True}
        ),
    )


class AuthenticatorSetupForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your app"),
        max_length=20,
        help_text=_("The 6-digit code your authenticator app shows for Crest."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}),
    )


class ThrottledPasswordChangeForm(PasswordChangeForm):
    """Django's password change, with the old password checked through
    authenticate(): the sign-in throttle (accounts/throttle.py) counts and
    limits wrong old passwords as it does wrong passwords at sign-in, so a
    session left open is not a way to guess without limit."""

    def __init__(self, user, *args, request, **kwargs) -> None:
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self) -> str:
        old_password = self.cleaned_data["old_password"]
        checked = authenticate(self.request, username=self.user.get_username(), password=old_password)
        retry_after = getattr(self.request, "login_retry_after", None)
        if retry_after is not None:
            minutes = math.ceil(retry_after / 60)
            raise forms.ValidationError(
                ngettext(
                    "Too many wrong passwords. Please try again in %(minutes)s minute.",
                    "Too many wrong passwords. Please try again in %(minutes)s minutes.",
                    minutes,
                )
                % {"minutes": minutes},
                code="throttled",
            )
        if checked is None or checked.pk != self.user.pk:
            raise forms.ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password
