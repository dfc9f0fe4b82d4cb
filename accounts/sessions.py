"""The session engine (settings.SESSION_ENGINE): Django's database sessions,
kept in accounts.AccountSession with the account signed in as a column, and
with one correction: a database out of reach is not a deleted session.

Django turns any database error while saving an existing session into
UpdateError, which the session middleware answers with a 400 ("the session
was deleted before the request completed"). When the database is restarting
or a connection drops, that tells the person their request was bad. Let the
connection error through instead, so handler500 answers 503 with
Retry-After like every other request that cannot reach the database
(project/views.py: server_error). A session that really was deleted (signed
out in another tab) still gets Django's 400."""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.db import InterfaceError, OperationalError

from .models import AccountSession


def account_of(data: dict) -> int | None:
    """The account a session's data is signed in as, if any."""
    try:
        return int(data[SESSION_KEY])
    except (KeyError, TypeError, ValueError):
        return None


class SessionStore(db.SessionStore):
    @classmethod
    def get_model_class(cls):
        return AccountSession

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        session.account_id = account_of(data)
        return session

    def save(self, must_create=False):
        try:
            super().save(must_create=must_create)
        except UpdateError as error:
            cause = error.__context__
            if isinstance(cause, OperationalError | InterfaceError):
                raise cause from None
            raise
