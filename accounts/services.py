"""Accounts: generated usernames and passphrases, "my data" export, account
deletion and signing out everywhere."""

import hashlib
import ipaddress
import secrets
from functools import cache
from importlib.resources import files

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy, ngettext

from . import signals
from .models import AccountSession, User

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Short, neutral, easy-to-spell words for usernames: nothing about drugs or
# treatment, so a username seen over a shoulder gives nothing away.
WORDS = """
acorn amber apple arch aspen autumn badge bamboo basil bay beach beacon bell
berry birch bison bloom blue boat bolt branch brave breeze brick bridge brook
cabin cactus calm candle canoe canyon cape cedar chalk cherry clay cliff cloud
clover coast comet coral cosmos cotton creek crest crow daisy dawn delta desert
dew dove drift dune eagle echo elm ember fable fern field finch fjord flint
forest fox frost garden gem glade glow granite grove harbor hazel heron hill
honey horizon island ivy jade jasmine juniper kayak kestrel kite lagoon lake
lantern lark laurel leaf lemon lily linen lotus maple marble meadow melon mesa
mint moon moss mountain nectar nest north oak oasis ocean olive opal orbit
orchard otter owl palm pebble pepper pine planet plum pond poppy prairie quartz
quill rain raven reed ridge river robin rose sage salt sand season shell shore
sky slate snow sparrow spruce star stone stream summit sun swan thistle thunder
tide timber trail tulip valley velvet violet walnut wave willow wind winter
wren yarrow zephyr
""".split()  # noqa: SIM905 -- a block of words is easier to read and edit than a 180-item list


def username_suggest() -> str:
    """Two words and three digits, e.g. "maple-heron-482": easy to read out,
    no real name in it."""
    return f"{secrets.choice(WORDS)}-{secrets.choice(WORDS)}-{secrets.randbelow(900) + 100}"


# Words of the EFF list that would read badly on the screen of someone in
# recovery, or tell a passer-by what Crest is for. Leaving out these few
# costs a fraction of a bit.
PASSPHRASE_LEFT_OUT = frozenset(
    """
    arrest clean clinic coping crave craving dealer detoxify dose graves graveyard hangover
    imprison jailbird jailbreak jailer jailhouse junkie morphine opium overkill police prison
    rehab relapse smoked smoking undead
    """.split()  # noqa: SIM905 -- as for WORDS above
)


@cache
def passphrase_words() -> tuple[str, ...]:
    """The EFF large wordlist (7,776 words made for passphrases; shipped by
    xkcdpass, CC BY 3.0), less PASSPHRASE_LEFT_OUT and its four hyphenated
    words ("yo-yo", "t-shirt"...): the words are joined with hyphens, and a
    suggestion must read as the words it is made of."""
    text = files("xkcdpass").joinpath("static", "eff-long").read_text(encoding="utf-8")
    return tuple(word for word in text.split() if word.isalpha() and word not in PASSPHRASE_LEFT_OUT)


def passphrase_suggest(*, words: int = 4) -> str:
    """Four random words from the EFF large list: about 51 bits, plenty
    against online guessing with login throttling, and far easier to keep
    than a jumble. At least 15 characters (the shortest words have three)."""
    vocabulary = passphrase_words()
    return "-".join(secrets.choice(vocabulary) for _ in range(words))


def username_suggest_free(*, attempts: int = 20) -> str:
    """A suggested username that no account uses yet."""
    for _ in range(attempts):
        candidate = username_suggest()
        if not User.objects.filter(username__iexact=candidate).exists():
            return candidate
    return f"{username_suggest()}-{secrets.randbelow(10_000)}"


def is_staff_account(user) -> bool:
    """Clinic staff (clinic admins, clinicians) and Django staff/superusers:
    the accounts that open other people's data, so they sign in with two
    factors, keep shorter sessions and never get a password link once they
    have a password. (The membership is read through its reverse accessor:
    accounts does not import clinics.)"""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff or user.is_superuser or hasattr(user, "membership"))


# The session keys holding when a staff session ends, whatever happens, and
# when its idle time was last pushed back (epoch seconds).
STAFF_UNTIL_SESSION = "staff_until"
STAFF_SEEN_SESSION = "staff_seen"


def session_length_on_sign_in(sender, request, user, **kwargs) -> None:
    """Connected to user_logged_in: the one place session length is decided,
    whichever way someone signed in (login page, set-password link, the
    Django admin, joining). A patient's own phone stays signed in for weeks
    (SESSION_COOKIE_AGE); a clinic computer showing many people's health data
    ends a session after STAFF_IDLE_SECONDS without a request, and after a
    working day (STAFF_SESSION_SECONDS) in any case
    (accounts.middleware.StaffSessionMiddleware keeps both)."""
    if request is not None and hasattr(request, "session") and is_staff_account(user):
        now = int(timezone.now().timestamp())
        request.session.set_expiry(settings.STAFF_IDLE_SECONDS)
        request.session[STAFF_UNTIL_SESSION] = now + settings.STAFF_SESSION_SECONDS
        request.session[STAFF_SEEN_SESSION] = now


def security_event_send(*, user: User, event: str, detail: str = "", by: User | None = None) -> None:
    """Report an account's security event (accounts.signals.SecurityEvent)
    to whichever app records it (clinics: the audit trail)."""
    signals.security_event.send(sender=User, user=user, event=event, detail=detail, by=by)


def security_on_sign_in(sender, request, user, **kwargs) -> None:
    """Connected to user_logged_in: a sign-in, whichever way, as a security event."""
    detail = f"from {client_ip(request)}" if request is not None else ""
    security_event_send(user=user, event=signals.SecurityEvent.SIGNED_IN, detail=detail)


def set_password_path(*, user: User) -> str:
    """The one-time "set your password" link for a new staff member (or a
    patient's new passphrase). It stops working once a password is set (the
    token covers the password hash), or after set_password_link_lifetime().
    Without a language prefix, whatever the language of the page that made
    it: a secret link has one address (accounts.language)."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    with translation.override(settings.LANGUAGE_CODE):
        return reverse("accounts:set_password", kwargs={"uidb64": uidb64, "token": token})


def set_password_link_lifetime() -> str:
    """How long a set-password link works, in words of the active language
    ("1 day", "12 hours"): settings.PASSWORD_RESET_TIMEOUT, which Django's
    token checks, so every page and command that states it says the truth."""
    seconds = settings.PASSWORD_RESET_TIMEOUT
    if seconds % 86400 == 0:
        days = seconds // 86400
        return ngettext("%(n)s day", "%(n)s days", days) % {"n": days}
    hours = max(1, round(seconds / 3600))
    return ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours}


def account_public_id(user: User) -> str:
    """An opaque, stable name for the account, for the phone to file its
    outbox under: items belong to the account that made them, and are sent
    only while that account is signed in. Derived from the row (not the
    secret key, so rotating the key strands nothing on a phone)."""
    digest = hashlib.sha256(f"crest-account:{user.pk}:{user.date_joined.isoformat()}".encode())
    return digest.hexdigest()[:24]


def sessions_end_all(*, user: User) -> None:
    """Sign out of every device: bumping the generation changes the session
    auth hash, so every existing session fails its check on its next request."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])
    signals.sessions_ended.send(sender=User, user=user)


# What accounts itself keeps after an account is deleted (the apps above add
# theirs through accounts.signals.account_kept_after_deletion).
# Lazy: shown on /me/ and written into the export in the reader's language.
KEPT_AFTER_DELETION = [
    {
        "what": gettext_lazy("Sign-in records: none"),
        "why": format_lazy(
            gettext_lazy(
                "Crest keeps no record of your sign-ins. Failed tries are only counted, for {minutes} minutes, "
                "under a code that does not contain your username, to stop password guessing."
            ),
            minutes=settings.LOGIN_WINDOW_SECONDS // 60,
        ),
    },
]


def account_kept_after_deletion(*, user: User) -> list[dict]:
    """What stays on the server after this account is deleted, and why.
    Staff: their sign-ins are audit lines (the apps above say so), so "none"
    is not theirs to read."""
    kept = [] if is_staff_account(user) else list(KEPT_AFTER_DELETION)
    for _, lines in signals.account_kept_after_deletion.send(sender=User, user=user):
        kept.extend(lines or [])
    return kept


def account_export(*, user: User) -> dict:
    """Everything the server holds about this person, as plain data: the
    account here, and whatever the apps above add (accounts.signals)."""
    data: dict = {
        "exported_at": timezone.now().isoformat(),
        "account": {
            "username": user.username,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
        },
    }
    for _, part in signals.account_export.send(sender=User, user=user):
        data.update(part or {})
    # The same list /me/ shows, from the same place.
    data["kept_after_deletion"] = account_kept_after_deletion(user=user)
    return data


def admin_log_delete(*, objects: list) -> int:
    """Delete the Django admin's log entries about these objects (an entry
    keeps the object's name, such as a patient's label, after it is gone)."""
    query = Q(pk__in=[])
    for obj in objects:
        query |= Q(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk))
    return LogEntry.objects.filter(query).delete()[0]


class AccountDeletionRefused(Exception):
    """An app above cannot let this account go yet (a clinic's only admin):
    the message says why, and what to do first."""


def account_delete_refusal(*, user: User) -> str | None:
    """Why this account cannot be deleted now (accounts.signals.account_delete_refusal), or None."""
    for _, reason in signals.account_delete_refusal.send(sender=User, user=user):
        if reason:
            return str(reason)
    return None


@transaction.atomic
def account_delete(*, user: User) -> None:
    """Delete the account and its server data for good. The apps above
    delete or anonymise what they hold (accounts.signals.account_delete) in
    this same transaction. No session of theirs is left on any device, and
    no admin log entry about the account (Crest keeps no sign-in records).
    AccountDeletionRefused, with nothing changed, when an app refuses."""
    if reason := account_delete_refusal(user=user):
        raise AccountDeletionRefused(reason)
    signals.account_delete.send(sender=User, user=user)
    sessions_delete(user=user)
    admin_log_delete(objects=[user])
    user.delete()


def sessions_delete(*, user: User) -> int:
    """Delete every session signed in as this account, on any device (one
    indexed DELETE: the session keeps its account in a column,
    accounts.AccountSession). Returns how many went."""
    return AccountSession.objects.filter(account_id=user.pk).delete()[0]


def _address(text: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # An IPv6 socket reports IPv4 clients as ::ffff:a.b.c.d.
    return getattr(address, "ipv4_mapped", None) or address


@cache
def _trusted_networks(proxies: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def client_ip(request) -> str:
    """The address login throttling counts failures against.

    The socket's address, unless it is one of DJANGO_TRUSTED_PROXIES: then
    X-Forwarded-For is walked from the right (each proxy appends the address
    it saw) past every trusted proxy, and the first address that is not one
    is the client. Anything further left was written by the client and could
    be forged to dodge the limits; so is anything that is not an address.
    """
    networks = _trusted_networks(tuple(settings.TRUSTED_PROXIES))
    remote = request.META.get("REMOTE_ADDR", "")

    def trusted(address: IPAddress | None) -> bool:
        return address is not None and any(address in network for network in networks)

    current = _address(remote)
    if not trusted(current):
        return str(current) if current is not None else remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # not an address: the last trusted hop is all we know
        current = address
        if not trusted(address):
            break
    return str(current)
