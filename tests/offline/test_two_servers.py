"""Nothing in a process's memory changes an answer: two servers (each
gunicorn with two workers, as production runs them) on one database. A
lesson changed by a third process shows on both at once, in the page and in
a new service worker version; no process answers with what it saw before.

Each request to a server may land on either of its workers, so every check
asks several times."""

import re
import subprocess
import sys
import time
import urllib.request

import pytest

from devtools.server import ROOT, running_server

pytestmark = pytest.mark.deploy

ASKS = 6  # per server and URL: enough to meet both of its workers
SLUG = "natural-rewards"

# A third process holding a lesson, which saves it when told to: the save
# lands between two requests, with no start-up time in between.
EDITOR = """
import sys
from lessons.models import Lesson
lesson = Lesson.objects.get(slug="__SLUG__")
print("ready", flush=True)
for line in sys.stdin:
    lesson.title = line.strip()
    lesson.save()
    print("saved", flush=True)
"""


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("first")) as first:
        # One database; each server has its own copy of the lesson files and
        # its own static folder, as two machines would.
        shared = {"DATABASE_URL": first.env["DATABASE_URL"]}
        with running_server(tmp_path_factory.mktemp("second"), extra_env=shared) as second:
            yield first, second


@pytest.fixture
def editor(servers):
    first, _ = servers
    process = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", EDITOR.replace("__SLUG__", SLUG)],
        cwd=ROOT, env=first.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert process.stdout.readline().strip() == "ready"

    def save_title(title: str) -> None:
        process.stdin.write(title + "\n")
        process.stdin.flush()
        assert process.stdout.readline().strip() == "saved"

    yield save_title
    process.stdin.close()
    process.wait(timeout=30)


def get(server, path: str) -> str:
    """The answer, less the server's own address (in the pages' hreflang links)."""
    with urllib.request.urlopen(server.url + path, timeout=20) as response:
        return response.read().decode().replace(server.url, "https://crest.example")


def worker_version(script: str) -> str:
    return re.search(r'const VERSION = "(\w+)";', script)[1]


def answers(servers, path: str) -> set[str]:
    return {get(server, path) for server in servers for _ in range(ASKS)}


def test_a_lesson_saved_elsewhere_shows_on_both_servers_at_once(servers, editor):
    lesson = f"/lessons/{SLUG}/"
    # Every worker of both servers has answered (and, before this change,
    # would have kept in its memory) the page and the worker script.
    [page_before] = answers(servers, lesson)
    [script_before] = answers(servers, "/serviceworker.js")

    title = f"A title saved by another process at {time.time()}"
    editor(title)

    pages = answers(servers, lesson)
    scripts = answers(servers, "/serviceworker.js")
    assert all(title in page for page in pages), "a worker answered with the page it saw before"
    assert len(pages) == 1 and pages != {page_before}
    assert len(scripts) == 1, "the two servers render different workers"
    assert worker_version(scripts.pop()) != worker_version(script_before)


def test_the_same_code_and_lessons_give_the_same_worker_on_both_servers(servers):
    """The deploy fingerprint is kept in each process's memory: it must not
    depend on the process, or on where the files are (each server here has
    its own copy of the lessons and its own static folder)."""
    assert len(answers(servers, "/serviceworker.js")) == 1
    assert len(answers(servers, "/es/help/")) == 1
