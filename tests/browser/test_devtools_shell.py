"""`server.manage("shell", ...)` runs in one process kept open
(devtools/shell.py): it answers as a fresh `manage.py shell -c` would."""

import pytest

pytestmark = pytest.mark.browser


def test_the_kept_shell_answers_as_a_fresh_one_would(server):
    assert server.manage("shell", "-v", "0", "-c", "print('one'); print('two')") == "one\ntwo\n"
    # Each command starts from a fresh namespace.
    server.manage("shell", "-v", "0", "-c", "left_behind = 1")
    with pytest.raises(RuntimeError, match="NameError"):
        server.manage("shell", "-v", "0", "-c", "print(left_behind)")
    # A failing command says why, and the next one still runs.
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        server.manage("shell", "-v", "0", "-c", "1 / 0")
    with pytest.raises(RuntimeError, match="SystemExit"):
        server.manage("shell", "-v", "0", "-c", "raise SystemExit(3)")
    # What it writes is in the server's database, at once.
    count = "from accounts.models import User; print(User.objects.filter(username='kept-shell').count())"
    server.manage("shell", "-v", "0", "-c", "from accounts.models import User; User.objects.create_user('kept-shell')")
    assert server.manage("shell", "-v", "0", "-c", count) == "1\n"
