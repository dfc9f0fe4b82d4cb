"""Loaded before Django is set up (pytest.ini: `-p tests.debug_on`): the
suite runs with debug on, as `make test` does, however pytest is started.
Production (debug off) is the default everywhere else; tests that need it
start their own processes with DJANGO_DEBUG=0."""

import os

os.environ["DJANGO_DEBUG"] = "1"
