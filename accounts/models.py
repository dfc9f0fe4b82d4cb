from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac


class User(AbstractUser):
    """Crest's user. Made before the first migration so it can grow freely.

    Patients sign up through a clinic invite with only a username and a
    passphrase: no email, no real name.
    """

    # Bumped by "sign out everywhere": it is part of the session auth hash, so
    # every existing session (on every device) stops matching and is logged
    # out on its next request, without scanning the session table.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django's own hash covers only the password field; ours adds the
        # generation. Overrides AbstractBaseUser._get_session_auth_hash
        # (Django >= 4.1), which both the current and fallback-key hashes use.
        key_salt = "accounts.User.get_session_auth_hash"
        return salted_hmac(
            key_salt, f"{self.password}:{self.session_generation}", secret=secret, algorithm="sha256"
        ).hexdigest()
