"""Runs the pure-JS unit tests in tests/js/ with Node's built-in runner, so
`make test` covers them with no JS toolchain beyond `node`.

Without Node the test skips on a laptop, but fails where CREST_REQUIRE_NODE=1
(`.ci/run` sets it): CI must never pass by not running the JS tests."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from craving import choices

ROOT = Path(__file__).resolve().parents[2]


def node(*args: str) -> subprocess.CompletedProcess:
    if shutil.which("node") is None:
        if os.environ.get("CREST_REQUIRE_NODE") == "1":
            pytest.fail("node is not installed, and CREST_REQUIRE_NODE=1 says the JS unit tests must run")
        pytest.skip("node is not installed")
    # --experimental-detect-module: static/js has no package.json, and these
    # files are ES modules (Node 22 detects that on its own).
    result = subprocess.run(
        ["node", "--experimental-detect-module", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_node_unit_tests_pass():
    result = node("--test", "tests/js/")
    assert "# fail 0" in result.stdout


def test_the_phone_and_the_server_know_the_same_tools_and_outcomes():
    """The phone keeps a craving's tool and outcome only if craving-log.js
    knows the key, and the server accepts a shared summary only if
    craving/choices.py does: a key added to one alone would be dropped on
    the phone or rejected by the sync."""
    script = (
        'const m = await import("./static/js/craving-log.js");'
        "console.log(JSON.stringify({tools: Object.keys(m.TOOLS), outcomes: Object.keys(m.OUTCOMES)}));"
    )
    phone = json.loads(node("--input-type=module", "-e", script).stdout)
    assert sorted(phone["tools"]) == sorted(choices.TOOL_LABELS)
    assert sorted(phone["outcomes"]) == sorted(choices.OUTCOME_LABELS)
