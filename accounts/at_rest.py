"""Second-factor secrets as the database keeps them: a backup or a copy of
the database alone signs nobody in.

- An authenticator app's key (TOTPDevice.key) is encrypted (AES-GCM), as
  "enc1:" and the nonce, ciphertext and tag in base64url (69 characters;
  the column holds 80).
- A recovery code (StaticToken.token) is kept as an HMAC of it: 16 base32
  characters, compared with the HMAC of what the person types.

The key comes from the environment: CREST_FIELD_KEY, or, when it is not
set, DJANGO_SECRET_KEY (settings.FIELD_KEY). Changing it makes every
authenticator app and recovery code stop working (each staff member then
needs a sign-in reset), so it is set once and kept with the other secrets.
"""

import hashlib
import hmac
import os
from base64 import b32encode, urlsafe_b64decode, urlsafe_b64encode
from binascii import unhexlify

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

PREFIX = "enc1:"
HASHED_CODE_LENGTH = 16


def _key(purpose: str) -> bytes:
    return hashlib.sha256(f"crest:{purpose}:{settings.FIELD_KEY}".encode()).digest()


def key_encrypt(raw: bytes) -> str:
    """An authenticator key (raw bytes) as kept in TOTPDevice.key."""
    nonce = os.urandom(12)
    sealed = AESGCM(_key("totp-key")).encrypt(nonce, raw, b"totp")
    return PREFIX + urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def key_decrypt(stored: str) -> bytes:
    """The raw key from TOTPDevice.key. A plain hex key is one made outside
    Crest (django-otp's own admin pages); it is read as it is."""
    if not stored.startswith(PREFIX):
        return unhexlify(stored)
    data = stored[len(PREFIX) :]
    data = urlsafe_b64decode(data + "=" * (-len(data) % 4))
    return AESGCM(_key("totp-key")).decrypt(data[:12], data[12:], b"totp")


def is_encrypted(stored: str) -> bool:
    return stored.startswith(PREFIX)


def code_hash(code: str) -> str:
    """A recovery code as kept in StaticToken.token."""
    digest = hmac.new(_key("recovery-code"), code.encode(), hashlib.sha256).digest()
    return b32encode(digest).decode().lower()[:HASHED_CODE_LENGTH]


def is_hashed(token: str) -> bool:
    return len(token) == HASHED_CODE_LENGTH
