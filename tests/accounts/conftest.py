import pytest


@pytest.fixture
def clock(monkeypatch):
    """A clock the test moves (staff sessions' idle time, django-otp's
    back-off); TOTP codes themselves follow the real clock."""
    from datetime import timedelta

    from django.utils import timezone

    class Clock:
        now = timezone.now()

        def advance(self, **delta) -> None:
            self.now += timedelta(**delta)

    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock
