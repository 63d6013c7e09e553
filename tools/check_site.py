"""Check the published site offline in headless Chromium and save a screenshot of every page.

For every page in outputs/site/ it checks, without a browser, that the page loads nothing from the
network (no external script, stylesheet or image) and counts its embedded figures; then it opens the
page in headless Chromium with all network access sent to a dead proxy, and saves a screenshot to
outputs/site-check/. Look at the screenshots: they are what a reader without internet sees.

    make check-site           # needs Debian's chromium: apt-get install chromium
    .venv/bin/python tools/check_site.py [--site outputs/site] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["'](?:https?:)?//""", re.I)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--proxy-server=http://127.0.0.1:9", "--hide-scrollbars", "--window-size=1280,1600"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", default=str(ROOT / "outputs" / "site"))
    parser.add_argument("--out", default=str(ROOT / "outputs" / "site-check"))
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    site, out = Path(args.site), Path(args.out)
    pages = sorted(site.glob("*.html"))
    if not pages:
        print(f"no pages in {site}: run `make run` first", file=sys.stderr)
        return 1
    if not Path(args.chromium).exists():
        print(f"no Chromium at {args.chromium}: apt-get install chromium, or pass --chromium", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    problems = 0
    for page in pages:
        html = page.read_text(encoding="utf-8")
        external = EXTERNAL.findall(html)
        figures = html.count('src="data:image/png;base64,')
        with tempfile.TemporaryDirectory() as profile:
            shot = out / f"{page.stem}.png"
            result = subprocess.run([args.chromium, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}",
                                     page.resolve().as_uri()], capture_output=True, text=True, timeout=120)
        ok = result.returncode == 0 and shot.exists() and not external
        problems += not ok
        print(f"{'ok ' if ok else 'BAD'} {page.name:<45} figures {figures:>2}  external {len(external)}  "
              f"screenshot {shot.relative_to(ROOT) if shot.is_relative_to(ROOT) else shot}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
