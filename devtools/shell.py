"""`manage.py shell` kept open for the tests: one process per test server,
with Django set up once, that runs each `shell ...` command it is sent (a
line of JSON: the command's arguments) and answers with a line of JSON
({"ok", "stdout", "stderr"}). A fresh `manage.py shell` costs about 0.7 s of
start-up; the browser tests ask the server's database hundreds of times.

Each command gets a fresh namespace, as `shell -c` does, and the database
connections are closed after it, so nothing is held between commands (a
SQLite lock, a transaction). Only `shell` comes here: other commands
(migrate, send_reminders) run in a process of their own, as an operator
runs them (devtools/server.py)."""

import contextlib
import io
import json
import os
import sys
import traceback


def main() -> None:
    # The answers get standard output to themselves: anything else written
    # there (a library's print, a log handler) goes to standard error.
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    for line in sys.stdin:
        args = json.loads(line)
        out, err = io.StringIO(), io.StringIO()
        ok = True
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                call_command(*args, stdout=out, stderr=err)
        except BaseException:  # noqa: BLE001 (a SystemExit too: told to the test, not fatal here)
            ok = False
            err.write(traceback.format_exc())
        finally:
            connections.close_all()
        answers.write(json.dumps({"ok": ok, "stdout": out.getvalue(), "stderr": err.getvalue()}) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
