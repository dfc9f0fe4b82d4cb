"""The service worker sends the outbox for Background Sync with the pages'
own db.js and outbox.js, turned into classic code (project/pwa.py)."""

import shutil
import subprocess

import pytest
from django.urls import reverse


@pytest.mark.django_db
@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_worker_with_the_outbox_is_valid_javascript(client, tmp_path):
    script = client.get(reverse("serviceworker")).content.decode()
    assert "const CrestOutbox = (() => {" in script and 'addEventListener("sync"' in script
    assert "\nimport " not in script and "\nexport " not in script
    path = tmp_path / "serviceworker.js"
    path.write_text(script)
    result = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
