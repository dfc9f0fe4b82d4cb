"""The lessons' diagrams at phone size, in both languages: no label runs
into a box it is not written in."""

import pytest

pytestmark = pytest.mark.browser

DIAGRAM_LESSONS = ["dopamine-steps", "pain-relief", "two-circuits"]

# Each text's box, grown by a small gap, against each drawn box: a label
# either sits wholly inside a box (its name) or clear of it.
CLASHES = """() => {
  const GAP = 2;
  const clashes = [];
  for (const svg of document.querySelectorAll("figure.diagram svg")) {
    const boxes = [...svg.querySelectorAll("rect")].map((rect) => rect.getBBox());
    for (const text of svg.querySelectorAll("text")) {
      const t = text.getBBox();
      for (const b of boxes) {
        const inside = t.x >= b.x && t.x + t.width <= b.x + b.width && t.y >= b.y && t.y + t.height <= b.y + b.height;
        const near = t.x - GAP < b.x + b.width && t.x + t.width + GAP > b.x
          && t.y - GAP < b.y + b.height && t.y + t.height + GAP > b.y;
        if (near && !inside) clashes.push(text.textContent);
      }
    }
  }
  return clashes;
}"""


@pytest.mark.parametrize("prefix", ["", "/es"])
def test_no_diagram_label_runs_into_a_box_on_a_phone(page, prefix):
    found = {}
    for slug in DIAGRAM_LESSONS:
        page.goto(f"{prefix}/lessons/{slug}/")
        assert page.locator("figure.diagram svg").count() >= 1, slug
        found[slug] = page.evaluate(CLASHES)
    assert {slug: clashes for slug, clashes in found.items() if clashes} == {}
