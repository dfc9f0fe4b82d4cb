"""Secrets out of logs: the one place that knows which parts of a URL are
secret, used by Django's logging (settings.LOGGING) and gunicorn's access and
error logs (ops/gunicorn.conf.py).

- An invite code (/join/<code>/) and a set-password or new-passphrase link
  (/accounts/set-password/<uid>/<token>/) let whoever holds them into an
  account: the secret part becomes "[redacted]".
- A query string can hold a patient's label (the dashboard search) or a
  `next` that carries one of the above: it becomes "?[redacted]".
- Referers are never logged (gunicorn's format leaves them out).

Paths are matched as the app reads them: percent-decoded (/%6Aoin/<code>/
is /join/<code>/ to Django), in any case and under any language prefix.
"""

import logging
import re
from urllib.parse import unquote

REDACTED = "[redacted]"

# A path segment: anything up to the next /, ?, #, quote or space.
_SEGMENT = r"[^/?#\s\"'<>]+"
SECRET_PATHS = [
    re.compile(rf"(/join/){_SEGMENT}", re.IGNORECASE),
    # Both the emailed-style token and Django's session marker that replaces
    # it after the first visit ("set-password"); but not the "done" page.
    re.compile(rf"(/accounts/set-password/)(?!done/){_SEGMENT}/{_SEGMENT}", re.IGNORECASE),
]
# Once decoded, what must not reach a log line as it is: control characters
# (a decoded %0A would start a forged line).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# In a request line, spaces and quotes too (they separate its fields).
_UNSAFE_IN_PATH = re.compile(r'[\x00-\x20"\x7f]')
# A query string after a path (or a full URL): "?" and what follows, up to
# a space or quote.
QUERY = re.compile(r"(?<=[\w/.%-])\?[^\s\"'<>]+")


def _decoded(text: str, unsafe: re.Pattern = _CONTROL) -> str:
    """Percent-decoded (twice at most more: a double-encoded path is
    decoded once by the server and once by whoever follows a link), with
    `unsafe` characters encoded again."""
    for _ in range(3):
        decoded = unquote(text) if "%" in text else text
        if decoded == text:
            break
        text = decoded
    return unsafe.sub(lambda m: f"%{ord(m[0]):02X}", text)


def redact_text(text: str) -> str:
    """Any text (a request line, a log message) with secret path parts and
    query strings replaced."""
    text = _decoded(text)
    for pattern in SECRET_PATHS:
        text = pattern.sub(rf"\g<1>{REDACTED}", text)
    return QUERY.sub(f"?{REDACTED}", text)


def redact_uri(uri: str) -> str:
    """A request's path and query as a log may show it: the path decoded
    (as the app reads it), redacted, and with spaces, quotes and control
    characters encoded again."""
    path, has_query, _ = uri.partition("?")
    path = _decoded(path, _UNSAFE_IN_PATH)
    for pattern in SECRET_PATHS:
        path = pattern.sub(rf"\g<1>{REDACTED}", path)
    return path + (f"?{REDACTED}" if has_query else "")


class RedactSecretsFilter(logging.Filter):
    """Rewrites each record's message with redact_text(). On a handler, it
    covers every logger that reaches it (django.request's "Not Found: /join/…"
    warnings included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
