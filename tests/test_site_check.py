"""tools/check_site.py and tools/make_pdf.py on a tiny hand-made site, in Debian's headless Chromium.

One page passes every check; the other fails each one for a known reason. Skipped when playwright
(pip install -e '.[site]') or Chromium (apt-get install chromium) is missing.
"""

from __future__ import annotations

import base64
import math
import shutil
import struct
import sys
import zlib
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[site]'")

CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
if not CHROMIUM:
    pytest.skip("no Chromium (/usr/bin/chromium or chromium on PATH): apt-get install chromium",
                allow_module_level=True)

TOOLS = Path(__file__).resolve().parent.parent / "tools"
sys.path.insert(0, str(TOOLS))
import check_site  # noqa: E402
import make_pdf  # noqa: E402


def png(width: int = 4, height: int = 3) -> str:
    """A small red PNG as a data: URL."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(data).decode()


GOOD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>TITLE</title>
<style>body { margin: 8px; font-family: sans-serif; } .scroll { overflow-x: auto; }</style></head>
<body>
<h1>TITLE</h1>
<p><a href="cross_case.html">to the cross-case page</a></p>
<img alt="a figure" src="PNG" width="40" height="30">
<table><tr><th>unit</th><th>text</th></tr><tr><td>bolton.p08</td><td>one line<br>and another</td></tr></table>
<div class="scroll"><table style="width: 1500px"><tr><td>a wide table in a box of its own</td></tr></table></div>
<div style="height: 4500px">tall</div>
<p>the end</p>
</body></html>
""".replace("PNG", png())


def good(title: str) -> str:
    return GOOD.replace("TITLE", title)


BAD = r"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Bad</title></head>
<body>
<p>The balance index is $$\frac{a}{b}$$ here.</p>
<pre>VBox(children=(HBox(children=(Dropdown(description='Case'),)),))</pre>
<table><tr><th>citation</th></tr><tr><td>Bolton ¶14\nBolton ¶15</td></tr></table>
<div style="width: 2000px; background: #eee">a div 2000 px wide</div>
<img alt="remote" src="http://example.com/x.png">
</body></html>
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("site")
    (folder / "good.html").write_text(good("Good"), encoding="utf-8")
    (folder / "bad.html").write_text(BAD, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = check_site.launch(playwright, CHROMIUM)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def opened(browser, site):
    """(name, width) -> (loaded page, blocked URLs); each page is opened once for the module."""
    pages = {}

    def get(name: str, width: int = 1280):
        if (name, width) not in pages:
            page, blocked = check_site.offline_page(browser, width)
            check_site.load(page, site / f"{name}.html")
            pages[name, width] = (page, blocked)
        return pages[name, width]

    yield get
    for page, _ in pages.values():
        page.context.close()


def test_network_requests_are_cut_and_recorded(opened):
    good, good_blocked = opened("good")
    bad, bad_blocked = opened("bad")
    assert good_blocked == []
    assert check_site.check_network(good_blocked).status == "pass"
    assert bad_blocked == ["http://example.com/x.png"]
    check = check_site.check_network(bad_blocked)
    assert check.failed and "http://example.com/x.png" in check.detail


def test_requests_a_script_makes_after_load_are_waited_for_and_recorded(browser, tmp_path):
    # a page with a script is scrolled step by step and given time for the network to go quiet; a
    # static page is not, and needs none: it made every request it makes while loading. The script asks
    # for one file 200 ms after load and another only when the reader passes the page's middle
    late = good("Late").replace("</body>", """<script>
        setTimeout(() => { const img = new Image(); img.src = "http://example.com/late.png";
                           document.body.appendChild(img); }, 200);
        addEventListener("scroll", () => { if (scrollY > 1000 && scrollY < 3000 && !window.seen) {
            window.seen = true; fetch("http://example.com/scrolled.json").catch(() => null); } });
        </script></body>""")
    (tmp_path / "late.html").write_text(late, encoding="utf-8")
    page, blocked = check_site.offline_page(browser, 1280)
    try:
        check_site.load(page, tmp_path / "late.html")
        assert sorted(blocked) == ["http://example.com/late.png", "http://example.com/scrolled.json"]
    finally:
        page.context.close()


def test_raw_latex(opened):
    assert check_site.check_raw_latex(opened("good")[0]).status == "pass"
    check = check_site.check_raw_latex(opened("bad")[0])
    assert check.failed
    assert "$$ x2" in check.detail and "\\frac x1" in check.detail and "$$\\frac{a}{b}$$" in check.detail


def test_widget_repr(opened):
    assert check_site.check_widget_repr(opened("good")[0]).status == "pass"
    check = check_site.check_widget_repr(opened("bad")[0])
    assert check.failed and "VBox(" in check.detail and "HBox(" in check.detail


def test_literal_backslash_n_in_a_table_cell(opened):
    # the good page's cell has a real line break (<br>), which is fine
    assert check_site.check_cell_newlines(opened("good")[0]).status == "pass"
    check = check_site.check_cell_newlines(opened("bad")[0])
    assert check.failed
    assert "1 cells" in check.detail and "Bolton ¶14\\nBolton ¶15" in check.detail


def test_overflow_fails_at_1280(opened):
    assert check_site.check_overflow(opened("good")[0], strict=True).status == "pass"
    check = check_site.check_overflow(opened("bad")[0], strict=True)
    assert check.failed
    assert "1280px window" in check.detail and "div 2000px" in check.detail


def test_overflow_is_only_reported_at_390(opened):
    good = opened("good", 390)[0]
    facts = check_site.overflow_facts(good)
    assert facts["offenders"] == [] and facts["clipped"] == []  # the wide table scrolls in its own box
    assert check_site.check_overflow(good, strict=False).status == "pass"
    check = check_site.check_overflow(opened("bad", 390)[0], strict=False)
    assert check.status == "info" and not check.failed
    assert "div 2000px" in check.detail
    assert [o["name"] for o in check_site.overflow_facts(opened("bad", 390)[0])["offenders"]] == ["div"]


def test_images(opened):
    assert check_site.check_images(opened("good")[0]).status == "pass"
    check = check_site.check_images(opened("bad")[0])
    assert check.failed and "1 not loaded: http://example.com/x.png" in check.detail


def test_viewport_meta(opened):
    check = check_site.check_viewport_meta(opened("good")[0])
    assert check.status == "pass" and "width=device-width" in check.detail
    check = check_site.check_viewport_meta(opened("bad")[0])
    assert check.failed and "viewport" in check.detail


def test_run_checks_names_every_failure(opened):
    for width in (1280, 390):
        page, blocked = opened("good", width)
        assert [c.name for c in check_site.run_checks(page, blocked, width) if c.status != "pass"] == []
    page, blocked = opened("bad", 1280)
    failed = [c.name for c in check_site.run_checks(page, blocked, 1280) if c.failed]
    assert failed == ["network", "raw-latex", "widget-repr", "cell-newline", "overflow", "images", "viewport"]
    page, blocked = opened("bad", 390)
    failed = [c.name for c in check_site.run_checks(page, blocked, 390) if c.failed]
    assert "overflow" not in failed and len(failed) == 6


def _png_size(path: Path) -> tuple[int, int]:
    return struct.unpack(">II", path.read_bytes()[16:24])


def test_the_whole_site_one_line_per_page_and_width_and_full_height_slices(browser, site, tmp_path):
    lines: list[str] = []
    reports = check_site.check_site(browser, site, tmp_path, (1280, 390), echo=lines.append)
    assert [(r.page, r.width) for r in reports] == [("bad.html", 1280), ("bad.html", 390),
                                                  ("good.html", 1280), ("good.html", 390)]
    assert len(lines) == 4 and lines[0].startswith("BAD bad.html") and lines[2].startswith("ok  good.html")
    assert [r.failed for r in reports] == [True, True, False, False]
    good = reports[2]
    assert good.figures == 1 and good.height > 4500
    assert len(good.slices) == math.ceil(good.height / check_site.SLICE_HEIGHT) == 3
    assert [p.name for p in good.slices] == ["good-1280-01.png", "good-1280-02.png", "good-1280-03.png"]
    sizes = [_png_size(path) for path in good.slices]
    assert sizes[:2] == [(1280, 2000), (1280, 2000)] and sizes[2] == (1280, good.height - 4000)
    assert all(path.exists() for report in reports for path in report.slices)
    assert any("bad.html @1280: viewport FAIL" in line for line in check_site.details(reports))


def test_reading_order(tmp_path):
    for name in ["explore", "zz_extra", "reliability", "case_profile-bolton", "index", "cross_case",
                 "case_profile-blackburn-with-darwen", "coding_overview"]:
        (tmp_path / f"{name}.html").write_text("<p>x</p>")
    assert [p.stem for p in check_site.reading_order(tmp_path)] == [
        "index", "case_profile-blackburn-with-darwen", "case_profile-bolton", "cross_case", "coding_overview",
        "reliability", "explore", "zz_extra"]


def test_make_pdf_merges_every_page_in_reading_order(browser, tmp_path):
    pypdf = pytest.importorskip("pypdf", reason="pypdf is not installed: pip install -e '.[site]'")
    site = tmp_path / "site"
    site.mkdir()
    names = ["cross_case", "case_profile-b", "index", "case_profile-a"]
    for name in names:  # a page or two of paper each: the tall block of the screenshot tests is not needed here
        page = good(f"Page {name}").replace('<div style="height: 4500px">', '<div style="height: 600px">')
        (site / f"{name}.html").write_text(page, encoding="utf-8")
    out = site / make_pdf.REPORT_NAME
    printed = make_pdf.make_pdf(browser, site, out, echo=lambda line: None)
    assert [p.page for p in printed] == ["index.html", "case_profile-a.html", "case_profile-b.html", "cross_case.html"]
    assert all(p.pages >= 1 and p.blocked == [] for p in printed)
    reader = pypdf.PdfReader(out)
    assert len(reader.pages) == sum(p.pages for p in printed)
    assert [item.title for item in reader.outline] == [p.title for p in printed]
    assert [p.title for p in printed][:2] == ["Page index", "Page case_profile-a"]
    info = reader.metadata
    assert "/CreationDate" not in info and "/ModDate" not in info
    assert info["/Title"] == make_pdf.METADATA["/Title"]
    actions = [annotation.get_object()["/A"].get_object() for page in reader.pages
               for annotation in page.get("/Annots") or [] if "/A" in annotation.get_object()]
    assert actions and all(action["/S"] == "/GoTo" for action in actions)  # links between pages stay in the PDF
    first = out.read_bytes()
    make_pdf.make_pdf(browser, site, out, echo=lambda line: None)
    assert out.read_bytes() == first  # the same site gives the same PDF


@pytest.mark.slow
def test_the_committed_notebooks_publish_pages_that_pass_every_check(browser, tmp_path):
    """The real pages: every committed notebook rendered as `lspkit run` renders it, plus an index."""
    import nbformat

    from lspkit.runner import page_info
    from lspkit.site import index_html, render_html

    root = Path(__file__).resolve().parent.parent
    site = tmp_path / "site"
    site.mkdir()
    listed = []
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        page = page_info(path)
        title = page["title"].format(partnership="Bolton Vision Partnership")
        (site / f"{path.stem}.html").write_text(render_html(nbformat.read(path, as_version=4), title), encoding="utf-8")
        listed.append(dict(page, name=path.stem, title=title, html=f"{path.stem}.html", status="ok"))
    (site / "index.html").write_text(index_html(listed, "2009-04-01 00:00 UTC", "abc", "0"), encoding="utf-8")
    reports = check_site.check_site(browser, site, out=None, widths=(1280, 390), echo=lambda line: None)
    assert len(reports) == 12
    failed = [(r.page, r.width, c.name, c.detail) for r in reports for c in r.checks if c.status == "fail"]
    assert failed == []
    assert {r.page: r.figures for r in reports if r.width == 1280}["cross_case.html"] == 4
