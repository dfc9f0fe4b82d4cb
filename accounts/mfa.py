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
from django.db.models import F
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from . import at_rest
from .models import EncryptedKeyTOTPDevice, User
from .services import is_staff_account, security_event_send, sessions_end_all, set_password_path
from .signals import SecurityEvent

RECOVERY_CODE_COUNT = 10
# Set in the session by a one-time set-password link (accounts.views.SetPasswordView):
# connecting an authenticator app needs it, never a password alone.
ENROLMENT_GRANT_SESSION = "two_factor_enrolment_grant"
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
    # Kept as hashes (accounts.at_rest): shown once, readable nowhere after.
    StaticToken.objects.bulk_create(StaticToken(device=device, token=at_rest.code_hash(code)) for code in codes)
    security_event_send(user=user, event=SecurityEvent.RECOVERY_CODES_MADE)
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
    device = TOTPDevice.objects.create(
        user=user, name=AUTHENTICATOR_NAME, key=at_rest.key_encrypt(unhexlify(key)), confirmed=True, last_t=step
    )
    security_event_send(user=user, event=SecurityEvent.SECOND_FACTOR_ADDED)
    return device, recovery_codes_replace(user=user)


class TooManyTries(Exception):
    """django-otp's back-off after wrong codes: wait `seconds`, then try again."""

    def __init__(self, seconds: int) -> None:
        super().__init__(seconds)
        self.seconds = seconds


# django-otp doubles the wait after each wrong code (1 s, 2 s, 4 s...) with
# no end: 16 wrong codes, which anyone who has the password can type, kept a
# staff member out for 9 hours. Its count is held at this, so the wait never
# grows past 2 ** (MAX_BACKOFF_COUNT - 1) seconds (about 8.5 minutes).
MAX_BACKOFF_COUNT = 10


def _backoff_capped(device) -> None:
    if device.throttling_failure_count > MAX_BACKOFF_COUNT:
        type(device).objects.filter(pk=device.pk).update(throttling_failure_count=MAX_BACKOFF_COUNT)
        device.throttling_failure_count = MAX_BACKOFF_COUNT


def second_factor_verify(*, user: User, token: str):
    """The device (authenticator or recovery codes) that accepts this code,
    or None. A recovery code is used up; an authenticator code cannot be
    used twice. Each device slows down after wrong codes (django-otp doubles
    the wait each time, capped above): TooManyTries then. A wrong code is
    counted on the account (User.second_factor_failures)."""
    token = _token(token)
    if not token:
        return None
    devices = list(django_otp.devices_for_user(user))
    # An app's code is six digits; a recovery code is eight letters and digits.
    kinds = (TOTPDevice,) if len(token) == 6 and token.isdigit() else (StaticDevice,)
    candidates = [device for device in devices if isinstance(device, kinds)]
    for device in candidates:
        _backoff_capped(device)
        allowed, data = device.verify_is_allowed()
        if not allowed:
            locked_until = (data or {}).get("locked_until")
            raise TooManyTries(max(1, int((locked_until - timezone.now()).total_seconds())) if locked_until else 60)
        verified = _verify(device, token)
        if verified is not None:
            recovery = isinstance(verified, StaticDevice)
            event = SecurityEvent.RECOVERY_CODE_USED if recovery else SecurityEvent.SECOND_FACTOR_PASSED
            security_event_send(user=user, event=event)
            return verified
    User.objects.filter(pk=user.pk).update(second_factor_failures=F("second_factor_failures") + 1)
    security_event_send(user=user, event=SecurityEvent.SECOND_FACTOR_FAILED)
    return None


def _verify(device, token: str):
    """django-otp's check of one device, under its row lock (as
    django_otp.verify_token), with the secrets as kept at rest: an
    authenticator's key decrypted (EncryptedKeyTOTPDevice), a recovery code
    compared by its hash. The device that accepted it, or None."""
    if isinstance(device, TOTPDevice):
        model, token_as_kept = EncryptedKeyTOTPDevice, token
    else:
        model, token_as_kept = StaticDevice, at_rest.code_hash(token)
    with transaction.atomic():
        locked = model.objects.select_for_update().filter(pk=device.pk, user=device.user_id, confirmed=True).first()
        if locked is None or not locked.verify_token(token_as_kept):
            return None
    return device


def second_factor_failures_take(*, user: User) -> int:
    """The wrong codes counted since the last complete sign-in, and start
    counting afresh."""
    with transaction.atomic():
        count = User.objects.select_for_update().filter(pk=user.pk).values_list("second_factor_failures", flat=True)
        failures = next(iter(count), 0)
        if failures:
            User.objects.filter(pk=user.pk).update(second_factor_failures=0)
    return failures


def sign_in_verified(request, device) -> None:
    """Mark this session as having passed the second factor. A new session
    key too: what was known of the half-signed-in session is worth nothing."""
    django_otp.login(request, device)
    request.session.cycle_key()


def enrolment_allowed(request) -> bool:
    """May this session connect an authenticator app? Only once a one-time
    link (a new staff member's, or an admin's sign-in reset) signed it in."""
    return request.user.is_authenticated and request.session.get(ENROLMENT_GRANT_SESSION) == request.user.pk


def enrolment_grant(request) -> None:
    request.session[ENROLMENT_GRANT_SESSION] = request.user.pk


@transaction.atomic
def sign_in_reset(*, user: User, by: User | None = None) -> str:
    """Start a staff member's sign-in afresh: their password stops working,
    their authenticator app and recovery codes are removed, every session
    ends. Returns the one-time set-password link with which they set a new
    password and connect an app (the only way to connect one). Reported as
    a security event (the audit trail)."""
    user.set_unusable_password()
    user.save(update_fields=["password"])
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    sessions_end_all(user=user)
    security_event_send(user=user, event=SecurityEvent.SIGN_IN_RESET, detail=user.get_username(), by=by)
    return set_password_path(user=user)
