"""Report each lesson's reading grade and how often a quiz's right answer is
its longest choice. A measuring aid for content reviews, not part of the app.

    .venv/bin/pip install "textstat==0.7.4"   # only in your own venv; later
    .venv/bin/python scripts/readability.py   # versions download a dictionary

The grade is Flesch-Kincaid on the main text: Markdown rendered to text, with
the shared steps written in and the "For the curious" boxes left out.
"""

import re
import sys
from pathlib import Path

import markdown
import yaml

try:
    import textstat
except ImportError:
    sys.exit('textstat is not installed: .venv/bin/pip install "textstat==0.7.4"')

ROOT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "lessons" / "content"
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*\r?\n?(.*)\Z", re.DOTALL)
STEPS_LINE = re.compile(r"^\[\[steps:([a-z0-9-]+)\]\][ \t]*$", re.MULTILINE)


def main_text(body: str) -> str:
    body = STEPS_LINE.sub(lambda m: (ROOT / "_shared" / f"{m.group(1)}-steps.md").read_text(), body)
    html = markdown.markdown(body, extensions=["sane_lists", "tables", "md_in_html"])
    html = re.sub(r"<details>.*?</details>", " ", html, flags=re.S)
    html = re.sub(r"<(li|h\d|p)[^>]*>", "\n", html)
    text = re.sub(r"\[\[[^\]]+\]\]", " ", re.sub(r"<[^>]+>", " ", html))
    # A heading or list item without a full stop still ends a sentence.
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(line if re.search(r"[.!?:]$", line) else line + "." for line in lines)


def main() -> None:
    longest = total = 0
    for path in sorted(ROOT.glob("*.md")):
        front, body = FRONT_MATTER.match(path.read_text()).groups()
        meta = yaml.safe_load(front)
        lesson_longest = lesson_total = 0
        for question in meta.get("quiz") or []:
            if question.get("scored") is False:
                continue
            lengths = [len(choice["text"]) for choice in question["choices"]]
            right = next(i for i, choice in enumerate(question["choices"]) if choice.get("correct"))
            lesson_longest += lengths[right] == max(lengths) and lengths.count(max(lengths)) == 1
            lesson_total += 1
        longest += lesson_longest
        total += lesson_total
        grade = textstat.flesch_kincaid_grade(main_text(body))
        print(f"{meta['slug']:28} grade {grade:4.1f}   right answer longest in {lesson_longest} of {lesson_total}")
    print(f"{'all lessons':28} right answer longest in {longest} of {total} ({longest / total:.0%})")


if __name__ == "__main__":
    main()
