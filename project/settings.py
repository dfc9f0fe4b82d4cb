"""Crest settings: one file; what differs per deploy comes from the environment.

Production is the default: debug is off unless DJANGO_DEBUG says otherwise
(`make run` and `make test` turn it on for themselves). With debug off the app
refuses to start without DJANGO_SECRET_KEY and turns on the HTTPS protections
(unless DJANGO_HTTPS=0, for plain-HTTP local serving).
"""

import ipaddress
import os
import sys
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def refuse_to_start(message: str) -> None:
    """Stop with one line on stderr and no traceback: the operator needs the
    variable's name, not Python internals. (project/wsgi.py turns this into
    gunicorn's "app failed to load", so the server stops too.)"""
    print(f"Crest cannot start: {message}", file=sys.stderr)
    raise SystemExit(1)


def env_networks(name: str) -> list[str]:
    """A comma-separated list of IP addresses or networks, normalised
    ("127.0.0.1" -> "127.0.0.1/32"). Anything else refuses to start, a bare
    number included: it used to mean a count of proxies, and read as an
    address it would trust the wrong machine."""
    networks = []
    for part in os.environ.get(name, "").split(","):
        part = part.strip()
        if part in ("", "0"):  # the old default "0" also means no proxies
            continue
        try:
            if part.isdigit():
                raise ValueError(part)
            networks.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            refuse_to_start(
                f"{name} lists the proxies' addresses or networks, e.g. 127.0.0.1,10.0.0.0/8; “{part}” is not one."
            )
    return networks


def asks_only_for_help(argv: list[str]) -> bool:
    """`manage.py`, `manage.py help [command]` or `manage.py <command> --help`:
    Django reads the settings to find the commands, but nothing is signed,
    so help works on a fresh clone with nothing set."""
    if not argv or Path(argv[0]).name != "manage.py":
        return False
    args = argv[1:]
    return not args or args[0] in ("help", "--version") or "--help" in args or "-h" in args


DEBUG = env_flag("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "").strip()
if not SECRET_KEY:
    if not DEBUG and not asks_only_for_help(sys.argv):
        # A production server must never run on a default key. A command run
        # by hand (create_clinic) needs the server's own: its links are signed.
        refuse_to_start(
            "set DJANGO_SECRET_KEY to the server's secret key (a long random string: sessions and the links "
            "commands print are signed with it), or DJANGO_DEBUG=1 for development."
        )
    SECRET_KEY = "dev-only-insecure-key-do-not-deploy"

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()]
if DEBUG and not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]

INSTALLED_APPS = [
    # Running Crest: backup and restore commands, log redaction; no models.
    "ops",
    "accounts",
    "lessons",
    "craving",
    "clinics",
    "reminders",
    # The service worker, what it precaches, and the public page cache.
    "offline",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "pwa",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

MIDDLEWARE = [
    "project.middleware.HealthCheckMiddleware",
    # Requests to /api/ per address and minute, before any other work.
    "project.middleware.ApiRateLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages are small but phones are on slow networks; Django's GZip adds
    # random padding against BREACH (Django 4.2+).
    "django.middleware.gzip.GZipMiddleware",
    # A page asked for without a language prefix goes to the Spanish twin
    # when the saved choice (or, with none, the browser) says Spanish.
    "project.middleware.LanguageRedirectMiddleware",
    # Public pages answered from the cache, before the per-person middleware below.
    "offline.page_cache.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The URL's prefix (/es/) decides the language of a page; see project/urls.py.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): has this session passed the second factor?
    "django_otp.middleware.OTPMiddleware",
    # Staff go no further than the second step until they have.
    "accounts.middleware.StaffSecondFactorMiddleware",
    # A device that signed in gets its device cookie (accounts/throttle.py).
    "accounts.middleware.DeviceCookieMiddleware",
    # Staff sessions end after 30 minutes idle and after a working day.
    "accounts.middleware.StaffSessionMiddleware",
    # Tells the phone's scripts whose data to show (docs/shared-phone.md).
    "accounts.middleware.PhoneAccountCookieMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "project" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "project.context_processors.languages",
            ],
        },
    },
]

# The cache holds what every app process must share (login throttling
# counts), so it is never per-process memory: a table in the database by
# default (`migrate` creates it).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "crest_cache",
        # Past this many entries the table drops a third of them: room for
        # every public page in each language (offline/page_cache.py) and the
        # sign-in counts, so the content version is rarely dropped with them.
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
}

# Database: SQLite file by default, anything dj-database-url reads otherwise.
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and a writer work at once (several gunicorn workers);
    # IMMEDIATE transactions plus a busy timeout queue writers instead of
    # failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

# REDIS_URL puts the cache in Redis (Django's own Redis backend), one cache
# for every app server. Without it, the CACHES default applies. Sessions are
# in the database either way.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "crest",
        }
    }

# Backups (`manage.py backup`) are encrypted with age to these public keys
# (comma-separated age1… or ssh-ed25519 keys, or files of them), whose
# private halves the operator keeps away from the server. docs/backups.md.
BACKUP_RECIPIENTS = os.environ.get("CREST_BACKUP_RECIPIENTS", "").strip()

# Full links printed by management commands (create_clinic), e.g.
# https://crest.example.org; without it they print a path.
SITE_URL = os.environ.get("DJANGO_SITE_URL", "").strip().rstrip("/")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # One piece repeated ("aaaa…", "passwordpassword"), or a common password
    # with digits or signs around it ("iloveyou12345").
    {"NAME": "accounts.validators.PassphraseVarietyValidator"},
]

# Login throttling (accounts/throttle.py) first: it refuses a throttled
# sign-in before any password is checked.
AUTHENTICATION_BACKENDS = [
    "accounts.throttle.LoginThrottleBackend",
    # Django's ModelBackend, loading the clinic membership with the user.
    "accounts.backends.ModelBackend",
]
# Failed sign-ins are counted in fixed windows (on the clock) in the shared
# cache. Over a limit, sign-in is refused until the window ends; a failure
# during a lockout does not extend it. See accounts/throttle.py and README.
LOGIN_WINDOW_SECONDS = 15 * 60
LOGIN_FAILURE_LIMITS = {
    "username_and_address": 5,  # a person's typos lock out only them, there
    "address": 20,  # one address (IPv6: its /64) trying distinct unknown usernames
    "username": 30,  # one username tried from many addresses
    "device": 5,  # a device that signed in before loses its pass after this many
}
# The addresses or networks of the proxies in front of the app. X-Forwarded-For
# is read only from them; none trusts only the socket's address. See
# accounts.services.client_ip.
TRUSTED_PROXIES = env_networks("DJANGO_TRUSTED_PROXIES")



def env_limit(name: str, default: int) -> int | None:
    """A positive whole number from the environment; 0 turns the limit off."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        refuse_to_start(f"{name} is a whole number (0 turns the limit off); “{value}” is not one.")
    return int(value) or None


# The phone's API: at most this many items kept per patient in any 24 hours
# (clinics.phone.sync.daily_limit_wait), and this many requests a minute from one
# address (IPv6: its /64; project.middleware.ApiRateLimitMiddleware, for
# deployments without nginx's limit_req). Over either: 429 with Retry-After.
# A clinic's Wi-Fi puts many phones behind one address: generous per minute.
# `make bench` turns both off (it measures the app, not its limits).
SYNC_ITEMS_PER_DAY = env_limit("CREST_SYNC_ITEMS_PER_DAY", 500)
API_REQUESTS_PER_MINUTE = env_limit("CREST_API_REQUESTS_PER_MINUTE", 600)

# Set-password and new-passphrase links work once (the token covers the
# password) and for one day at most.
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

# Staff (clinic admins, clinicians, superusers) sign in with two factors: a
# password, then a code from an authenticator app or a recovery code.
# DJANGO_STAFF_MFA=off turns that off for local trials. See accounts/mfa.py.
STAFF_MFA = env_flag("DJANGO_STAFF_MFA", True)
OTP_TOTP_ISSUER = "Crest"  # the name authenticator apps show: neutral, like the app's
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # no secrets or codes on admin pages
# The key that encrypts authenticator keys and hashes recovery codes in the
# database (accounts/at_rest.py). Set it apart from DJANGO_SECRET_KEY so that
# one can be rotated without the other; changing it needs every staff member's
# sign-in reset (docs/security.md).
FIELD_KEY = os.environ.get("CREST_FIELD_KEY", "").strip() or SECRET_KEY

# URL names, not paths: reversed in the language of the page that redirects.
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Database sessions with the account as a column (accounts.AccountSession);
# a dropped connection while saving one answers 503, not 400.
SESSION_ENGINE = "accounts.sessions"
# Phones stay signed in for weeks; a patient can sign out everywhere from /me/.
SESSION_COOKIE_AGE = 60 * 60 * 24 * 30
# Clinic staff sign in on shared workstations: a working day at most, and
# 30 minutes without a request (accounts.middleware.StaffSessionMiddleware).
STAFF_SESSION_SECONDS = 60 * 60 * 8
STAFF_IDLE_SECONDS = 30 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "en"
# Each language named in itself: that is how the switch shows it.
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The saved choice: set by /language/<code>/ (and by app.js at the same
# moment, so it holds offline too). Not HttpOnly: app.js copies it where the
# service worker can read it. It says nothing about the person's health.
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "project.storage.StaticStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_KEEP_ONLY_HASHED_FILES = False

# --- Security --------------------------------------------------------------
HTTPS = env_flag("DJANGO_HTTPS", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

# Strict CSP: no inline script or style, nothing from any other host.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "worker-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Progressive web app (django-pwa serves /manifest.json) ----------------
# Lazy strings: django-pwa renders them in the language of the request, so
# /es/manifest.json is the Spanish manifest (see project/urls.py).
PWA_APP_NAME = "Crest"
PWA_APP_DESCRIPTION = _("Short lessons and calm tools, on your phone.")
PWA_APP_THEME_COLOR = "#1f5f5b"
PWA_APP_BACKGROUND_COLOR = "#f7f5f0"
PWA_APP_DISPLAY = "standalone"
PWA_APP_SCOPE = "/"
PWA_APP_START_URL = "/"
PWA_APP_ORIENTATION = "portrait"
PWA_APP_LANG = lazy(get_language, str)()
PWA_APP_DIR = "ltr"
PWA_APP_ICONS = [
    {"src": "/static/icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
    {"src": "/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
    {"src": "/static/icons/icon-maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
]
PWA_APP_ICONS_APPLE = [{"src": "/static/icons/icon-192.png", "sizes": "192x192"}]
PWA_APP_SPLASH_SCREEN = []
# The install sheet's pictures (Android), made from the real pages by
# scripts/make_screenshots.py: neutral screens, in the manifest's language
# (the pictures have words in them). static/screenshots/ is not precached:
# only a phone about to install downloads them.
PWA_APP_SCREENSHOTS = [
    {
        "src": format_lazy("/static/screenshots/{}/{}.png", PWA_APP_LANG, name),
        "sizes": sizes,
        "type": "image/png",
        "form_factor": form_factor,
        "label": label,
    }
    for name, sizes, form_factor, label in [
        ("breathing-narrow", "540x1200", "narrow", _("Slow breathing: a circle grows and shrinks to pace each breath")),
        ("grounding-narrow", "540x1200", "narrow", _("5-4-3-2-1: come back to the room one sense at a time")),
        ("breathing-wide", "1280x800", "wide", _("Slow breathing: a circle grows and shrinks to pace each breath")),
    ]
]
PWA_APP_SHORTCUTS = [
    # Unprefixed on purpose, like start_url: the language redirect sends each
    # to the saved language, so the icon follows a later switch.
    {
        "name": _("Tools"),
        "short_name": _("Tools"),
        "url": "/craving/",
        "icons": [{"src": "/static/icons/icon-192.png", "sizes": "192x192"}],
    },
    {
        "name": _("Help"),
        "short_name": _("Help"),
        "url": "/help/",
        "icons": [{"src": "/static/icons/icon-192.png", "sizes": "192x192"}],
    },
]

# Lessons are Markdown files in the repo, loaded by `migrate`.
LESSONS_CONTENT_DIR = Path(os.environ.get("CREST_LESSONS_DIR", BASE_DIR / "lessons" / "content"))
LESSONS_DIAGRAMS_DIR = BASE_DIR / "lessons" / "diagrams"

# Reminders by Web Push (reminders/, docs/reminders.md). The VAPID key pair
# is made once (`manage.py vapid_keys`) and kept: a new key orphans every
# phone's subscription. Without a key, reminders are simply not offered.
VAPID_PRIVATE_KEY = os.environ.get("CREST_VAPID_PRIVATE_KEY", "").strip()
VAPID_SUBJECT = os.environ.get("CREST_VAPID_SUBJECT", "").strip() or ("mailto:reminders@localhost" if DEBUG else "")
if VAPID_PRIVATE_KEY and not VAPID_SUBJECT.startswith(("mailto:", "https:")):
    refuse_to_start("set CREST_VAPID_SUBJECT to a mailto: or https: address the push services can reach you at.")
# The push services' hosts a phone's endpoint may point at ("*." allows
# subdomains): Chrome and Android (FCM), Firefox, Safari, Edge.
PUSH_HOSTS = [
    h.strip().lower()
    for h in os.environ.get(
        "CREST_PUSH_HOSTS",
        "fcm.googleapis.com,updates.push.services.mozilla.com,*.push.apple.com,*.notify.windows.com",
    ).split(",")
    if h.strip()
]

# Every log line goes through ops.redact: no invite code, set-password or
# new-passphrase token, or query string (dashboard searches hold patient
# labels) is ever written. "django" and "django.server" are named so that
# Django's default handlers, which would print unfiltered, are replaced.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "ops.redact.RedactSecretsFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
