import os
import sys

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

try:
    application = get_wsgi_application()
except SystemExit as stop:
    # The settings refused to start (one line already printed). Exit status 4
    # is gunicorn's "app failed to load": its master stops, instead of
    # restarting the worker (and printing the line) forever.
    if stop.code not in (None, 0):
        sys.exit(4)
    raise
