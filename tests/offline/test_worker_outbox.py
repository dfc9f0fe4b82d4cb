"""The service worker is an ES module that imports the pages' own outbox
(static/js/outbox-send.js, at its static URL) for Background Sync."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed"),
]

# Loads the worker as a module, with a stand-in for the worker's global
# scope, and prints the events it listens to.
LOAD = """
const events = [];
globalThis.self = { addEventListener: (type) => events.push(type), location: { origin: "https://crest.example" } };
await import(process.argv[1]);
console.log(events.sort().join(","));
"""


def test_the_worker_is_a_module_that_imports_the_outbox_and_listens_for_sync(client, tmp_path):
    script = client.get(reverse("serviceworker")).content.decode()
    outbox_url = static("js/outbox-send.js")
    assert f'import {{ flush, SYNC_TAG }} from "{outbox_url}";' in script
    # Node loads the file itself where the browser would fetch the URL: a
    # missing export, or a syntax error in either file, fails the import.
    path = tmp_path / "serviceworker.mjs"
    path.write_text(script.replace(f'"{outbox_url}"', f'"{Path(finders.find("js/outbox-send.js")).as_uri()}"'))
    result = subprocess.run(
        ["node", "--input-type=module", "-e", LOAD, path.as_uri()], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "activate,fetch,install,message,notificationclick,push,pushsubscriptionchange,sync"
