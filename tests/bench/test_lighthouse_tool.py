"""`make lighthouse`'s own logic: a run Lighthouse could not complete is
tried again (its NO_NAVSTART error says "Please run Lighthouse again"), but a
page it can never audit still fails; the page is judged on Lighthouse's own
median run, of five runs when the first three's is under 100."""

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


needs_node = pytest.mark.skipif(
    not shutil.which("node") or not (lighthouse.ROOT / "node_modules" / "lighthouse").exists(),
    reason="needs Node and `make lighthouse`'s node_modules",
)


@needs_node
def test_the_page_is_judged_on_lighthouses_median_run(tmp_path):
    reports = []
    for fcp, tti in [(900, 5000), (1000, 2100), (3000, 2000)]:
        report = tmp_path / f"run{len(reports)}.json"
        audits = {"first-contentful-paint": {"numericValue": fcp}, "interactive": {"numericValue": tti}}
        report.write_text(json.dumps({"audits": audits}))
        reports.append(report)
    assert lighthouse.representative(reports) == 1


def scored_runs(monkeypatch, scores: list[int]) -> None:
    """Lighthouse stands in as one report per run, with the next of `scores`;
    a slower run is slower to first paint and to interactive too, as in a
    real run, so Lighthouse's median run is the one with the median score."""
    queue = iter(scores)

    def run(url, report):
        score = next(queue)
        audits = {
            "first-contentful-paint": {"numericValue": 3000 - 20 * score},
            "interactive": {"numericValue": 6000 - 40 * score},
        }
        result = {"categories": {"performance": {"score": score / 100}}, "audits": audits}
        report.write_text(json.dumps(result))
        return result

    monkeypatch.setattr(lighthouse, "run", run)
    monkeypatch.setattr(lighthouse, "wait_for_quiet", lambda: 0.0)


@needs_node
@pytest.mark.parametrize(
    ("scores", "runs", "judged"),
    [
        ([100, 92, 100], 3, 100),  # a median of 100 needs no more runs
        ([90, 92, 100, 100, 100], 5, 100),  # a busy moment: five runs, judged on their median
        ([90, 92, 100, 91, 100], 5, 92),  # a slow page stays slow
    ],
)
def test_a_page_under_100_on_its_median_run_is_audited_twice_more(monkeypatch, tmp_path, scores, runs, judged):
    scored_runs(monkeypatch, scores)
    median, results = lighthouse.audit("http://localhost/", tmp_path, "page")
    assert len(results) == runs
    assert lighthouse.performance(median) == judged
    assert json.loads((tmp_path / "page.json").read_text()) == median
