"""What the phone sends to /api/v1/push/subscriptions, checked and turned
into plain values before anything is stored. Every problem is collected, so
one answer lists them all; messages are safe to show."""

import base64
import binascii
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, datetime, time

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings

from clinics.models import validate_time_zone

from .models import Subscription
from .push import EndpointRefused, endpoint_check

# The keys of PushSubscription.toJSON(), and ours beside them.
SUBSCRIPTION_KEYS = {"endpoint", "expirationTime", "keys"}
OUR_KEYS = {"time_zone", "language", "reminders", "replaces"}
REMINDER_KEYS = {"checkin", "weekly", "lessons", "quiet"}


class InvalidInput(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class SubscriptionInput:
    endpoint: str
    p256dh: str = ""
    auth: str = ""
    expires_at: datetime | None = None
    time_zone: str | None = None
    language: str | None = None
    # Only the reminder settings the phone sent (a refresh sends none).
    reminders: dict = field(default_factory=dict)
    # The endpoint this subscription takes the place of (the push service
    # renewed it: the worker's pushsubscriptionchange), if any.
    replaces: str | None = None


# base64url's alphabet, padding optional: Python's decoder drops anything
# else without a word, and the string as sent is what is stored.
B64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")


def _b64url(value: object) -> bytes | None:
    if not isinstance(value, str) or len(value) > 200 or not B64URL.fullmatch(value):
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def _clock(value: object, what: str, errors: list[str]) -> time | None:
    """"HH:MM" (24-hour) as a time."""
    if isinstance(value, str) and len(value) == 5 and value[2] == ":":
        try:
            return time(int(value[:2]), int(value[3:]))
        except ValueError:
            pass
    errors.append(f"{what} must be a time such as 07:30.")
    return None


def _time_zone(value: object, errors: list[str]) -> str | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str) or len(value) > 64:
            raise zoneinfo.ZoneInfoNotFoundError
        validate_time_zone(value)
    except Exception:  # noqa: BLE001 - any failure means "not a zone name"
        errors.append("time_zone must be a time zone name such as America/New_York.")
        return None
    return value


def _reminders(value: object, errors: list[str]) -> dict:
    if not isinstance(value, dict) or not set(value) <= REMINDER_KEYS:
        errors.append(f"reminders must be an object with only {sorted(REMINDER_KEYS)}.")
        return {}
    out: dict = {}
    if "checkin" in value:
        out["checkin_time"] = None if value["checkin"] is None else _clock(value["checkin"], "checkin", errors)
    if "weekly" in value:
        weekly = value["weekly"]
        if weekly is None:
            out["weekly_day"] = out["weekly_time"] = None
        elif isinstance(weekly, dict) and set(weekly) == {"day", "time"}:
            day = weekly["day"]
            if not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 6:
                errors.append("weekly.day must be 0 (Monday) to 6 (Sunday).")
            out["weekly_day"] = day
            out["weekly_time"] = _clock(weekly["time"], "weekly.time", errors)
        else:
            errors.append('weekly must be null or {"day", "time"}.')
    if "lessons" in value:
        if value["lessons"] not in Subscription.Lessons.values:
            errors.append(f"lessons must be one of {Subscription.Lessons.values}.")
        out["lessons"] = value["lessons"]
    if "quiet" in value:
        quiet = value["quiet"]
        if isinstance(quiet, dict) and set(quiet) == {"start", "end", "mode"}:
            out["quiet_start"] = _clock(quiet["start"], "quiet.start", errors)
            out["quiet_end"] = _clock(quiet["end"], "quiet.end", errors)
            if quiet["mode"] not in Subscription.Quiet.values:
                errors.append(f"quiet.mode must be one of {Subscription.Quiet.values}.")
            out["quiet"] = quiet["mode"]
        else:
            errors.append('quiet must be {"start", "end", "mode"}.')
    return out


def _common(data: dict, errors: list[str]) -> dict:
    out = {}
    try:
        out["endpoint"] = endpoint_check(data.get("endpoint"))
    except EndpointRefused as refused:
        errors.append(str(refused))
    out["time_zone"] = _time_zone(data.get("time_zone"), errors)
    language = data.get("language")
    if language is not None and (not isinstance(language, str) or language not in dict(settings.LANGUAGES)):
        errors.append(f"language must be one of {[code for code, _ in settings.LANGUAGES]}.")
    out["language"] = language
    return out


def subscription_input(data: object) -> SubscriptionInput:
    """A whole subscription: PushSubscription.toJSON(), with the phone's
    time zone and language and, optionally, reminder settings."""
    if not isinstance(data, dict) or not set(data) <= SUBSCRIPTION_KEYS | OUR_KEYS or "endpoint" not in data:
        raise InvalidInput(
            ["The body must be PushSubscription.toJSON() (endpoint, expirationTime, keys), "
             f"with only {sorted(OUR_KEYS)} beside it."]
        )
    errors: list[str] = []
    out = _common(data, errors)
    keys = data.get("keys")
    p256dh = auth = None
    if isinstance(keys, dict) and set(keys) >= {"p256dh", "auth"}:
        p256dh, auth = _b64url(keys["p256dh"]), _b64url(keys["auth"])
    if p256dh is None or len(p256dh) != 65:
        errors.append("keys.p256dh must be the browser's P-256 public key (65 bytes, base64url).")
    else:
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh)
        except ValueError:
            errors.append("keys.p256dh is not a point on P-256.")
    if auth is None or len(auth) != 16:
        errors.append("keys.auth must be 16 bytes, base64url.")
    expires_at = None
    expiration = data.get("expirationTime")
    if expiration is not None:
        if isinstance(expiration, int | float) and not isinstance(expiration, bool) and 0 < expiration < 1e14:
            expires_at = datetime.fromtimestamp(expiration / 1000, tz=UTC)
        else:
            errors.append("expirationTime must be null or milliseconds since 1970.")
    reminders = _reminders(data["reminders"], errors) if "reminders" in data else {}
    replaces = data.get("replaces")
    if "replaces" in data and not (isinstance(replaces, str) and 0 < len(replaces) <= 1024):
        errors.append("replaces must be the endpoint this subscription takes the place of.")
    if errors:
        raise InvalidInput(errors)
    return SubscriptionInput(
        **out, p256dh=keys["p256dh"], auth=keys["auth"], expires_at=expires_at, reminders=reminders,
        replaces=replaces,
    )


def refresh_input(data: object) -> SubscriptionInput:
    """A refresh: {"endpoint", "time_zone", "language"} (the phone moved, or
    the person switched language)."""
    if not isinstance(data, dict) or not set(data) <= {"endpoint", "time_zone", "language"} or "endpoint" not in data:
        raise InvalidInput(['The body must be {"endpoint", "time_zone", "language"}.'])
    errors: list[str] = []
    out = _common(data, errors)
    if errors:
        raise InvalidInput(errors)
    return SubscriptionInput(**out)


def endpoint_input(data: object) -> str:
    if not isinstance(data, dict) or set(data) != {"endpoint"} or not isinstance(data["endpoint"], str):
        raise InvalidInput(['The body must be {"endpoint": "…"} and nothing else.'])
    return data["endpoint"]
