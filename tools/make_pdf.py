"""Print the published site to one PDF: outputs/site/lspkit-report.pdf.

Every page of the site is printed by headless Chromium (A4, backgrounds, margins, a footer with the
page's title and its page numbers), offline as in tools/check_site.py, in reading order: index, the
case profiles (alphabetical), cross_case, coding_overview, reliability, explore, then any other
page. pypdf merges them with one bookmark per page, turns the links between pages into links
inside the PDF, and writes a fixed document information dictionary with no dates, so the same
site gives the same PDF.

    make pdf                  # needs pip install -e '.[site]' and Debian's chromium: apt-get install chromium
    .venv/bin/python tools/make_pdf.py [--site outputs/site] [--out outputs/site/lspkit-report.pdf]
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import check_site  # noqa: E402 - tools/ is not a package

ROOT = check_site.ROOT
REPORT_NAME = "lspkit-report.pdf"
MARGIN = {"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"}
FOOTER = ('<div style="font-size:8px; width:100%; margin:0 12mm; color:#555; display:flex; '
          'justify-content:space-between; font-family:sans-serif">'
          '<span class="title"></span><span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>')
METADATA = {"/Title": "lspkit: Working better together? case studies", "/Creator": "lspkit tools/make_pdf.py",
            "/Producer": "lspkit tools/make_pdf.py (Chromium, pypdf)"}


@dataclass
class Printed:
    page: str
    title: str
    pages: int
    blocked: list[str] = field(default_factory=list)


def print_page(browser, path: Path) -> tuple[bytes, str, list[str]]:
    """One site page printed to PDF bytes, offline; returns (pdf, title, blocked request URLs)."""
    page, blocked = check_site.offline_page(browser, 1280)
    try:
        check_site.load(page, path)
        title = page.title() or path.stem
        pdf = page.pdf(format="A4", print_background=True, margin=MARGIN, display_header_footer=True,
                       header_template="<span></span>", footer_template=FOOTER, prefer_css_page_size=False)
    finally:
        page.context.close()
    return pdf, title, list(blocked)


def _local_target(uri: str, starts: dict[str, int]) -> int | None:
    """The first PDF page of the site page a file: link points to, if it is one of ours."""
    parts = urlsplit(uri)
    if parts.scheme != "file":
        return None
    return starts.get(Path(unquote(parts.path)).name)


def _internal_links(writer, starts: dict[str, int]) -> int:
    """Links from one site page to another become jumps inside the PDF (file: paths mean nothing to a reader)."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    changed = 0
    for pdf_page in writer.pages:
        for annotation in pdf_page.get("/Annots") or []:
            annotation = annotation.get_object()
            action = annotation.get("/A")
            action = action.get_object() if action is not None else None
            if not action or action.get("/S") != "/URI":
                continue
            target = _local_target(str(action.get("/URI", "")), starts)
            if target is None:
                continue
            annotation[NameObject("/A")] = DictionaryObject({
                NameObject("/S"): NameObject("/GoTo"),
                NameObject("/D"): ArrayObject([writer.pages[target].indirect_reference, NameObject("/Fit")]),
            })
            changed += 1
    return changed


def make_pdf(browser, site: Path, out: Path, echo=print) -> list[Printed]:
    """Print every page of `site` in reading order and merge them into `out`."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    printed: list[Printed] = []
    starts: dict[str, int] = {}
    for path in check_site.reading_order(site):
        pdf, title, blocked = print_page(browser, path)
        reader = PdfReader(io.BytesIO(pdf))
        starts[path.name] = len(writer.pages)
        writer.append(reader, outline_item=title)
        printed.append(Printed(path.name, title, len(reader.pages), blocked))
        echo(f"{'ok ' if not blocked else 'BAD'} {path.name:<45} {len(reader.pages):>3} pages"
             + (f"  blocked {len(blocked)}: {', '.join(blocked[:3])}" if blocked else ""))
    _internal_links(writer, starts)
    writer.metadata = METADATA  # replaces pypdf's default; no creation or modification date
    writer.page_mode = "/UseOutlines"
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    with partial.open("wb") as handle:
        writer.write(handle)
    partial.replace(out)
    return printed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", default=str(ROOT / "outputs" / "site"), help="folder of .html pages")
    parser.add_argument("--out", default=None, help=f"the PDF to write (default <site>/{REPORT_NAME})")
    default_chromium = check_site.CHROMIUM
    if not Path(default_chromium).exists():
        default_chromium = shutil.which("chromium") or default_chromium
    parser.add_argument("--chromium", default=default_chromium)
    args = parser.parse_args(argv)
    site = Path(args.site)
    out = Path(args.out) if args.out else site / REPORT_NAME
    if not check_site.ready(site, args.chromium, ("pypdf", "playwright")):
        return 1
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = check_site.launch(playwright, args.chromium)
        try:
            printed = make_pdf(browser, site, out)
        finally:
            browser.close()
    total = sum(item.pages for item in printed)
    print(f"{out}: {len(printed)} site pages, {total} PDF pages")
    if any(item.blocked for item in printed):
        print("some pages tried to load from the network (blocked): their PDF pages may lack content",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
