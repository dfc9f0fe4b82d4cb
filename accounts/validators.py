"""A passphrase check Django's validators leave out (settings.AUTH_PASSWORD_VALIDATORS)."""

import re

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# One short piece, said again and again: "aaaaaaaaaaaa", "abababababab",
# "passwordpassword".
REPEATED = re.compile(r"(.{1,8}?)\1+", re.DOTALL)
# Digits, signs and spaces around a word: "iloveyou12345", "!!sunshine2026".
AROUND = re.compile(r"^[\W\d_]+|[\W\d_]+$")


class PassphraseVarietyValidator:
    """Refuses a passphrase that is one piece repeated, or a common password
    (Django's list) with digits or signs added before or after it: long
    enough for MinimumLengthValidator, and among the first guesses anyone
    makes."""

    def __init__(self) -> None:
        self.common = CommonPasswordValidator()

    def validate(self, password: str, user=None) -> None:
        text = password.strip().lower()
        if REPEATED.fullmatch(text):
            raise ValidationError(
                _("This passphrase repeats the same few characters. Please use a few words instead."),
                code="password_repeated",
            )
        core = AROUND.sub("", text)
        if core != text and core in self.common.passwords:
            raise ValidationError(_("This passphrase is too common."), code="password_too_common")

    def get_help_text(self) -> str:
        return _("Your passphrase can’t be one character or word said again and again, or a common password.")
