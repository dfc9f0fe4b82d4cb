from importlib import import_module

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils.crypto import salted_hmac
from django_otp.plugins.otp_totp.models import TOTPDevice

from .at_rest import key_decrypt


class User(AbstractUser):
    """Crest's user. Made before the first migration so it can grow freely.

    Patients sign up through a clinic invite with only a username and a
    passphrase: no email, no real name.
    """

    # Bumped by "sign out everywhere": it is part of the session auth hash, so
    # every existing session (on every device) stops matching and is logged
    # out on its next request, without scanning the session table.
    session_generation = models.PositiveIntegerField(default=0, editable=False)
    # Wrong second-factor codes entered since the last complete sign-in: the
    # person is told at their next one (someone else may know the password).
    second_factor_failures = models.PositiveIntegerField(default=0, editable=False)
    # When a staff member used this patient's new-passphrase link: the patient
    # is told at their next sign-in (on their own phone), once.
    link_used_by_staff_at = models.DateTimeField(null=True, blank=True, editable=False)

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django's own hash covers only the password field; ours adds the
        # generation. Overrides AbstractBaseUser._get_session_auth_hash
        # (Django >= 4.1), which both the current and fallback-key hashes use.
        key_salt = "accounts.User.get_session_auth_hash"
        return salted_hmac(
            key_salt, f"{self.password}:{self.session_generation}", secret=secret, algorithm="sha256"
        ).hexdigest()


class EncryptedKeyTOTPDevice(TOTPDevice):
    """django-otp's authenticator device, reading its key encrypted at rest
    (accounts.at_rest): codes are checked through this (accounts.mfa)."""

    class Meta:
        proxy = True

    @property
    def bin_key(self) -> bytes:
        return key_decrypt(self.key)


class AccountSession(AbstractBaseSession):
    """Django's database session, with the account signed in to it as a
    column of its own (Django's "extending database-backed session engines"):
    deleting an account deletes its sessions with one indexed DELETE, instead
    of reading every session's signed data to find them. Null while nobody
    is signed in. Written by accounts.sessions.SessionStore on every save."""

    account_id = models.IntegerField(null=True, db_index=True)

    @classmethod
    def get_session_store_class(cls):
        """The configured engine's store (accounts.sessions), for get_decoded()."""
        return import_module(settings.SESSION_ENGINE).SessionStore
