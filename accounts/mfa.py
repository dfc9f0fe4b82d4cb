"""Two-factor sign-in for staff (django-otp): an authenticator app (TOTP)
and ten single-use recovery codes.

Staff (see services.is_staff_account) sign in with their password, then
with a code. Until then they are signed in but not verified, and
StaffSecondFactorMiddleware keeps them out of every clinic page, the Django
admin and their account pages. DJANGO_STAFF_MFA=off (settings.STAFF_MFA)
turns the requirement off for local trials.
"""

from base64 import b32encode
from binascii import unhexlify

import django_otp
import segno
from django.conf import settings
from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from .models import User
from .services import is_staff_account

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


def second_factor_required(user) -> bool:
    """Signed in with a password but not yet with a code, as staff."""
    if not settings.STAFF_MFA:
        return False
    # Passed the second factor already: no need to ask whether this is a
    # staff account (a query, before every page staff open).
    is_verified = getattr(user, "is_verified", None)  # set by django-otp's OTPMiddleware
    if is_verified and is_verified():
        return False
    return is_staff_account(user)


def has_authenticator(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def new_key() -> str:
    """A fresh TOTP secret (20 random bytes, hex), kept in the session until
    the person proves their app has it."""
    return random_hex(20)


def key_for_people(key: str) -> str:
    """The secret as authenticator apps take it typed in: base32, in groups of four."""
    text = b32encode(unhexlify(key)).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def provisioning_qr_svg(*, user: User, key: str) -> str:
    """The otpauth:// link as an inline SVG QR code, drawn here (no request
    to anyone else, no style attributes: strict CSP). Dark on a white quiet
    zone so cameras read it in dark mode too."""
    uri = TOTPDevice(user=user, key=key).config_url  # issuer from OTP_TOTP_ISSUER
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff", border=4)
    return svg.replace("<svg ", '<svg role="img" aria-label="QR code for your authenticator app" ', 1)


def _token(text: str) -> str:
    """What the person typed, as a code: no spaces or dashes, lower case."""
    return "".join(text.split()).replace("-", "").lower()


def _totp_matches(*, key: str, token: str) -> int | None:
    """The time step the code belongs to (now, or one step either side for
    clock drift), or None."""
    try:
        value = int(token)
    except ValueError:
        return None
    totp = TOTP(unhexlify(key))
    if totp.verify(value, tolerance=1):
        return totp.t()
    return None


def recovery_codes_replace(*, user: User) -> list[str]:
    """Ten new single-use recovery codes; any old ones stop working."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(*, user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def authenticator_enrol(*, user: User, key: str, token: str) -> tuple[TOTPDevice, list[str]] | None:
    """Save the authenticator app once it showed the right code, with a fresh
    set of recovery codes; None if the code is wrong. The code just used
    cannot be used again to sign in."""
    step = _totp_matches(key=key, token=_token(token))
    if step is None:
        return None
    device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, key=key, confirmed=True, last_t=step)
    return device, recovery_codes_replace(user=user)


class TooManyTries(Exception):
    """django-otp's back-off after wrong codes: wait, then try again."""


def second_factor_verify(*, user: User, token: str):
    """The device (authenticator or recovery codes) that accepts this code,
    or None. A recovery code is used up; an authenticator code cannot be
    used twice. Each device slows down after wrong codes (django-otp doubles
    the wait each time): TooManyTries then."""
    token = _token(token)
    if not token:
        return None
    devices = list(django_otp.devices_for_user(user))
    # An app's code is six digits; a recovery code is eight letters and digits.
    kinds = (TOTPDevice,) if len(token) == 6 and token.isdigit() else (StaticDevice,)
    candidates = [device for device in devices if isinstance(device, kinds)]
    for device in candidates:
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            raise TooManyTries
        verified = django_otp.verify_token(user, device.persistent_id, token)
        if verified is not None:
            return verified
    return None


def sign_in_verified(request, device) -> None:
    """Mark this session as having passed the second factor. A new session
    key too: what was known of the half-signed-in session is worth nothing."""
    django_otp.login(request, device)
    request.session.cycle_key()
