"""Django's database sessions, with one correction: a database out of reach
is not a deleted session.

Django turns any database error while saving an existing session into
UpdateError, which the session middleware answers with a 400 ("the session
was deleted before the request completed"). When the database is restarting
or a connection drops, that tells the person their request was bad. Let the
connection error through instead, so handler500 answers 503 with
Retry-After like every other request that cannot reach the database
(project/views.py: server_error). A session that really was deleted (signed
out in another tab) still gets Django's 400."""

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.db import InterfaceError, OperationalError


class SessionStore(db.SessionStore):
    def save(self, must_create=False):
        try:
            super().save(must_create=must_create)
        except UpdateError as error:
            cause = error.__context__
            if isinstance(cause, OperationalError | InterfaceError):
                raise cause from None
            raise
