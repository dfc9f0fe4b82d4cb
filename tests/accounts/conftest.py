import pytest


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Tests make many users; the real hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
