"""`make lighthouse`: Lighthouse 12 (from package.json, in ./node_modules)
with Debian's Chromium against Crest as production runs it, on `/`, a lesson
and `/craving/`, mobile (Lighthouse's default form factor and throttling).
Fails unless every category scores 100, or if the page asks any other host
for anything. Reports go to bench-results/lighthouse/.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from tests.browser.conftest import CHROMIUM
from tests.browser.server import ROOT, running_server

PAGES = {"home": "/", "lesson": "/lessons/dopamine-steps/", "toolkit": "/craving/"}
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
CHROME_FLAGS = " ".join(
    [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ]
)
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"


def run(url: str, report: Path) -> dict:
    command = [
        str(LIGHTHOUSE),
        url,
        f"--only-categories={','.join(CATEGORIES)}",
        "--form-factor=mobile",
        f"--chrome-flags={CHROME_FLAGS}",
        "--output=json",
        f"--output-path={report}",
        "--quiet",
    ]
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", CHROMIUM)}
    subprocess.run(command, check=True, env=env, cwd=ROOT)
    return json.loads(report.read_text())


def third_party_requests(result: dict, origin: str) -> list[str]:
    requests = result["audits"]["network-requests"]["details"]["items"]
    return sorted({item["url"] for item in requests if not item["url"].startswith((origin, "data:", "blob:"))})


def shortfalls(result: dict, category: str) -> list[str]:
    """The audits that cost a category its points."""
    lines = []
    for ref in result["categories"][category]["auditRefs"]:
        audit = result["audits"][ref["id"]]
        if ref["weight"] > 0 and audit.get("score") is not None and audit["score"] < 1:
            lines.append(f"      {audit['id']}: {audit.get('displayValue', '')} {audit['title']}")
    return lines


def main() -> int:
    if not LIGHTHOUSE.exists():
        print("Lighthouse is missing: run `make lighthouse` (it installs package.json's pinned version)")
        return 2
    out = ROOT / "bench-results" / "lighthouse"
    out.mkdir(parents=True, exist_ok=True)
    failed = False
    rows = []
    with tempfile.TemporaryDirectory() as tmp, running_server(Path(tmp), workers=2) as server:
        # localhost, not 127.0.0.1: the name browsers treat as a secure origin.
        origin = server.url.replace("127.0.0.1", "localhost")
        for name, path in PAGES.items():
            result = run(origin + path, out / f"{name}.json")
            scores = {c: round((result["categories"][c]["score"] or 0) * 100) for c in CATEGORIES}
            foreign = third_party_requests(result, origin)
            rows.append((name, path, scores, foreign))
            for category, score in scores.items():
                if score < 100:
                    failed = True
                    print(f"{path} {category} {score}:")
                    print("\n".join(shortfalls(result, category)))
            if foreign:
                failed = True
                print(f"{path} asked other hosts: {', '.join(urlparse(u).netloc for u in foreign)}")
    width = max(len(path) for _, path, _, _ in rows)
    print(f"\n{'page':<{width}}  " + "  ".join(f"{c:>14}" for c in CATEGORIES) + "  third-party requests")
    for _name, path, scores, foreign in rows:
        print(f"{path:<{width}}  " + "  ".join(f"{scores[c]:>14}" for c in CATEGORIES) + f"  {len(foreign)}")
    print("\nLighthouse: " + ("FAILED (every category must be 100, no third-party request)" if failed else "all 100"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
