"""Runs the pure-JS unit tests in tests/js/ with Node's built-in runner, so
`make test` covers them with no JS toolchain beyond `node`."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_unit_tests_pass():
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
