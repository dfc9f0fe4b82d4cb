"""Runs the pure-JS unit tests in tests/js/ with Node's built-in runner, so
`make test` covers them with no JS toolchain beyond `node`.

Without Node the test skips on a laptop, but fails where
CREST_REQUIRE_SERVICES=1 (`.ci/run` sets it; tests/conftest.py): CI must never
pass by not running the JS tests."""

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from craving import choices

ROOT = Path(__file__).resolve().parents[2]


def node(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    # static/js is ES modules: package.json says so ("type": "module").
    result = subprocess.run(
        ["node", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_node_unit_tests_pass():
    result = node("--test", "tests/js/")
    assert "# fail 0" in result.stdout


PAGE_CHOICES = re.compile(r'<script id="craving-choices" type="application/json">(.*?)</script>', re.S)
# The toolkit page's scripts, in Node: a document that carries only the
# page's choices, then craving-log.js keeps and names an entry of each tool
# and outcome the page offers.
READ_WITH_THE_PAGES_CHOICES = """
const page = JSON.parse(process.env.CHOICES);
globalThis.document = {
  documentElement: { lang: "en" },
  getElementById: (id) => (id === "craving-choices" ? { textContent: JSON.stringify(page) } : null),
};
const log = await import("./static/js/craving-log.js");
const kept = [];
for (const tool of Object.keys(page.tools)) {
  for (const outcome of Object.keys(page.outcomes)) {
    const entry = log.normalizeEntry({ tool, outcome });
    kept.push([entry.tool, entry.outcome, log.toCsv([entry]).split("\\r\\n")[1].split(",").slice(5, 7)]);
  }
}
console.log(JSON.stringify({ kept, unknown: log.normalizeEntry({ tool: "surfing", outcome: "gone" }) }));
"""


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "es"])
def test_the_phone_keeps_and_names_the_tools_and_outcomes_the_page_carries(client, language):
    """craving/choices.py is the one list: the toolkit page carries it, and
    the phone keeps a craving's tool and outcome, and names them in its
    downloads, from that page (the server checks a shared summary against
    the same list)."""
    with translation.override(language):
        url = reverse("craving:toolkit")
        labels = choices.choice_labels()
    page = json.loads(html.unescape(PAGE_CHOICES.search(client.get(url).content.decode()).group(1)))
    assert page == labels
    result = node("--input-type=module", "-e", READ_WITH_THE_PAGES_CHOICES, env={"CHOICES": json.dumps(page)})
    answer = json.loads(result.stdout)
    assert answer["kept"] == [
        [tool, outcome, [page["tools"][tool], page["outcomes"][outcome]]]
        for tool in choices.TOOL_LABELS
        for outcome in choices.OUTCOME_LABELS
    ]
    assert (answer["unknown"]["tool"], answer["unknown"]["outcome"]) == (None, None)


def test_no_script_keeps_a_list_of_craving_names_of_its_own():
    """A copy in a script drifts ("5-4-3-2-1 grounding" in craving-log.js
    beside "5-4-3-2-1" in choices.py): scripts read the page's (choices.js)."""
    names = (
        [name for _, name, _ in choices.TOOLS]
        + [label for _, label in choices.OUTCOMES]
        + [label for _, label, _ in choices.TRIGGERS]
        + [option for _, _, options in choices.TRIGGERS for option in options]
    )
    literal = re.compile("[\"'`](?:" + "|".join(re.escape(name) for name in names) + ")")
    copies = {
        str(path.relative_to(ROOT)): literal.findall(path.read_text())
        for path in sorted((ROOT / "static" / "js").rglob("*.js"))
    }
    assert {path: found for path, found in copies.items() if found} == {}
