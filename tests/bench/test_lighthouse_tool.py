"""`make lighthouse`'s own logic: a run Lighthouse could not complete is
tried again (its NO_NAVSTART error says "Please run Lighthouse again"), but a
page it can never audit still fails; the page is judged on Lighthouse's own
median run."""

import json
import shutil
import stat

import pytest

from bench import lighthouse

# Stands in for node_modules/.bin/lighthouse: fails the first $FAILS calls
# (as a runtime error does), then writes a report with the FCP and TTI given.
FAKE = """#!/bin/sh
count=$(cat "$COUNTER" 2>/dev/null || echo 0); count=$((count + 1)); echo $count > "$COUNTER"
[ "$count" -le "$FAILS" ] && exit 1
for arg in "$@"; do case "$arg" in --output-path=*) out="${arg#--output-path=}";; esac; done
echo '{"audits": {"first-contentful-paint": {"numericValue": 1000}, "interactive": {"numericValue": 2000}}}' > "$out"
"""


@pytest.fixture
def fake_lighthouse(tmp_path, monkeypatch):
    script = tmp_path / "lighthouse"
    script.write_text(FAKE)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(lighthouse, "LIGHTHOUSE", script)
    monkeypatch.setenv("COUNTER", str(tmp_path / "count"))
    return tmp_path / "count"


def test_a_run_lighthouse_could_not_complete_is_tried_again(fake_lighthouse, tmp_path, monkeypatch):
    monkeypatch.setenv("FAILS", "2")
    result = lighthouse.run("http://localhost/", tmp_path / "report.json")
    assert result["audits"]["interactive"]["numericValue"] == 2000
    assert fake_lighthouse.read_text().strip() == "3"


def test_a_page_lighthouse_never_completes_fails(fake_lighthouse, tmp_path, monkeypatch):
    monkeypatch.setenv("FAILS", "3")
    (tmp_path / "report.json").write_text("{}")  # an older run's report is never judged
    with pytest.raises(RuntimeError, match="could not complete"):
        lighthouse.run("http://localhost/", tmp_path / "report.json")


@pytest.mark.skipif(
    not shutil.which("node") or not (lighthouse.ROOT / "node_modules" / "lighthouse").exists(),
    reason="needs Node and `make lighthouse`'s node_modules",
)
def test_the_page_is_judged_on_lighthouses_median_run(tmp_path):
    reports = []
    for fcp, tti in [(900, 5000), (1000, 2100), (3000, 2000)]:
        report = tmp_path / f"run{len(reports)}.json"
        audits = {"first-contentful-paint": {"numericValue": fcp}, "interactive": {"numericValue": tti}}
        report.write_text(json.dumps({"audits": audits}))
        reports.append(report)
    assert lighthouse.representative(reports) == 1
