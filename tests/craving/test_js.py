"""Runs the pure-JS unit tests in tests/js/ with Node's built-in runner, so
`make test` covers them with no JS toolchain beyond `node`.

Without Node the test skips on a laptop, but fails where CREST_REQUIRE_NODE=1
(`.ci/run` sets it): CI must never pass by not running the JS tests."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_node_unit_tests_pass():
    if shutil.which("node") is None:
        if os.environ.get("CREST_REQUIRE_NODE") == "1":
            pytest.fail("node is not installed, and CREST_REQUIRE_NODE=1 says the JS unit tests must run")
        pytest.skip("node is not installed")
    # --experimental-detect-module: static/js has no package.json, and these
    # files are ES modules (Node 22 detects that on its own).
    result = subprocess.run(
        ["node", "--experimental-detect-module", "--test", "tests/js/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout
