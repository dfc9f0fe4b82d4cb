import os

# Playwright's sync API keeps an event loop running in this process for the
# browser tests; Django's ORM would then refuse to run in the same thread.
# The browser tests never touch the ORM in-process (their server is a
# separate gunicorn), so the check has nothing to protect here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
