"""Check the published site in headless Chromium, offline, and screenshot every page from top to bottom.

For every page in the site folder and at every viewport width (1280 and 390 px by default) it opens
the page in Debian's Chromium through playwright with the network cut off (every request that is not
file:, data: or about: is aborted and recorded), scrolls to the bottom in steps, saves full-height
screenshots in 2000 px slices to outputs/site-check/<page>-<width>-<nn>.png, and checks:

    network       no request left the machine (each blocked request is named)
    raw-latex     no visible "$$" or "\\frac" in the page text
    widget-repr   no visible widget repr ("VBox(", "HBox(", "interactive(children=")
    cell-newline  no table cell shows the two characters backslash-n
    overflow      at 1280 px the page is no wider than the window; at narrower widths it only
                  reports the elements wider than the window that sit in no box of their own
                  with overflow-x: auto or scroll
    images        every <img> loaded (complete, with a natural width)
    viewport      the page has <meta name="viewport">

It prints one line per page and width (height, figures, slices, each check), then the reasons, and
exits 1 if any check failed. Look at the slices: they are what a reader without internet sees.

    make check-site           # needs pip install -e '.[site]' and Debian's chromium: apt-get install chromium
    .venv/bin/python tools/check_site.py [--site outputs/site] [--out outputs/site-check]
                                         [--chromium /usr/bin/chromium] [--widths 1280,390]

The checks are functions of a playwright page (check_raw_latex, check_overflow, ...), so tests can
call them on pages of their own.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_SCHEMES = ("file:", "data:", "about:")
WIDTHS = (1280, 390)
STRICT_OVERFLOW_WIDTH = 1280
VIEWPORT_HEIGHT = {390: 844}
SLICE_HEIGHT = 2000
READING_ORDER = ["index", "case_profile-*", "cross_case", "coding_overview", "reliability", "explore"]
LATEX_MARKERS = ("$$", "\\frac")
WIDGET_MARKERS = ("VBox(", "HBox(", "interactive(children=")
NEWLINE = "\\n"  # the two characters backslash and n


@dataclass
class Check:
    """One check on one page at one width: status is "pass", "fail" or "info" (reported, never fails)."""

    name: str
    status: str
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "fail"

    def label(self) -> str:
        if self.status == "pass":
            return f"{self.name} ok"
        return f"{self.name} {'FAIL' if self.failed else 'note'}"


@dataclass
class PageReport:
    page: str
    width: int
    height: int = 0
    figures: int = 0
    slices: list[Path] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(check.failed for check in self.checks)

    def line(self) -> str:
        checks = "  ".join(check.label() for check in self.checks)
        return (f"{'BAD' if self.failed else 'ok '} {self.page:<40} {self.width:>4}px  height {self.height:>6}px  "
                f"figures {self.figures:>2}  slices {len(self.slices):>2}  {checks}")


# --- the browser, offline ---------------------------------------------------------------------

def launch(playwright, chromium: str = CHROMIUM):
    """Debian's Chromium, headless; playwright's own browsers are never used."""
    return playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)


def is_local(url: str) -> bool:
    return url.startswith(LOCAL_SCHEMES)


def cut_network(context) -> list[str]:
    """Abort every request of `context` that would leave the machine; return the live list of their URLs."""
    blocked: list[str] = []

    def record(url: str) -> None:
        if url not in blocked:
            blocked.append(url)

    def on_route(route) -> None:
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            record(url)
            route.abort("internetdisconnected")

    def on_request(request) -> None:
        if not is_local(request.url):
            record(request.url)

    context.route("**/*", on_route)
    context.on("request", on_request)
    if hasattr(context, "route_web_socket"):
        def on_socket(socket) -> None:
            record(socket.url)
            socket.close()
        context.route_web_socket("**/*", on_socket)
    return blocked


def offline_page(browser, width: int, height: int | None = None):
    """A new page `width` px wide in its own context, network cut off; returns (page, blocked URLs)."""
    context = browser.new_context(viewport={"width": width, "height": height or VIEWPORT_HEIGHT.get(width, 900)},
                                  device_scale_factor=1, service_workers="block", java_script_enabled=True)
    blocked = cut_network(context)
    return context.new_page(), blocked


def load(page, path: Path | str, timeout_ms: int = 60_000) -> None:
    """Open a file, wait for load, scroll to the bottom in steps so lazy content loads, wait for the
    images and fonts, and go back to the top.

    The stepwise scroll, with a pause at each step, is taken only on a page where scrolling can load
    something: one with a script, a ``loading="lazy"`` element, a linked style sheet or
    ``content-visibility`` in its styles; so is the wait for the network to go quiet (500 ms without
    a request). Any other page has made every request it will make once loaded, its images and
    fonts are awaited all the same, and the pauses (25 ms per 80 % of the window, over two seconds
    on the longest pages at 390 px) would only be waiting."""
    url = path if isinstance(path, str) else Path(path).resolve().as_uri()
    page.goto(url, wait_until="load", timeout=timeout_ms)
    lazy = page.evaluate("""async () => {
        const pause = ms => new Promise(done => setTimeout(done, ms));
        const styles = Array.from(document.querySelectorAll('style, [style]'))
            .some(el => /content-visibility/.test(el.tagName === 'STYLE' ? el.textContent : el.getAttribute('style')));
        const lazy = document.scripts.length > 0 || document.querySelector('[loading="lazy"]') !== null
            || document.querySelector('link[rel="stylesheet"]') !== null || styles;
        const step = Math.max(200, Math.floor(window.innerHeight * 0.8));
        for (let y = 0, rounds = 0; lazy && y < document.documentElement.scrollHeight && rounds < 2000;
             y += step, rounds++) {
            window.scrollTo(0, y);
            await pause(25);
        }
        window.scrollTo(0, document.documentElement.scrollHeight);
        if (lazy) await pause(100);
        await Promise.all(Array.from(document.images).map(img => img.complete ? null : new Promise(done => {
            img.addEventListener('load', done); img.addEventListener('error', done); setTimeout(done, 5000);
        })));
        if (document.fonts) await document.fonts.ready;
        window.scrollTo(0, 0);
        if (lazy) await pause(50);
        return lazy;
    }""")
    if not lazy:
        return
    try:
        page.wait_for_load_state("networkidle", timeout=5_000)
    except Exception:  # noqa: BLE001 - a page that keeps the network busy is caught by the network check
        pass


def page_height(page) -> int:
    return int(page.evaluate("() => document.documentElement.scrollHeight"))


def screenshot_slices(page, out: Path, stem: str, slice_height: int = SLICE_HEIGHT) -> list[Path]:
    """Screenshots of the whole page, top to bottom, in slices of `slice_height` px: <stem>-<nn>.png."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob(f"{stem}-*.png"):
        if old.stem[len(stem) + 1:].isdigit():
            old.unlink()
    height = page_height(page)
    width = int(page.evaluate("() => Math.max(window.innerWidth, document.documentElement.scrollWidth)"))
    width = min(width, 4096)
    slices = []
    for number in range(max(1, math.ceil(height / slice_height))):
        top = number * slice_height
        path = out / f"{stem}-{number + 1:02d}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide",
                        clip={"x": 0, "y": top, "width": width, "height": max(1, min(slice_height, height - top))})
        slices.append(path)
    return slices


# --- the checks: each takes a loaded playwright page ---------------------------------------------

def _snippets(text: str, marker: str, limit: int = 3, context: int = 40) -> list[str]:
    found, start = [], 0
    while len(found) < limit:
        at = text.find(marker, start)
        if at < 0:
            break
        found.append(" ".join(text[max(0, at - context):at + len(marker) + context].split()))
        start = at + len(marker)
    return found


def _text_check(page, name: str, markers: tuple[str, ...]) -> Check:
    text = page.evaluate("() => document.body ? document.body.innerText : ''")
    hits = [f"{marker} x{text.count(marker)}: " + " | ".join(f"'{s}'" for s in _snippets(text, marker))
            for marker in markers if marker in text]
    return Check(name, "fail" if hits else "pass", "; ".join(hits))


def check_raw_latex(page) -> Check:
    """Raw LaTeX in the visible text: "$$" or "\\frac" that MathJax-free pages show as typed."""
    return _text_check(page, "raw-latex", LATEX_MARKERS)


def check_widget_repr(page) -> Check:
    """A widget shown as its Python repr ("VBox(children=...)") instead of a rendering."""
    return _text_check(page, "widget-repr", WIDGET_MARKERS)


def check_cell_newlines(page) -> Check:
    """Table cells whose text holds the two characters backslash and n (an escaped line end shown raw)."""
    cells = page.evaluate(r"""() => {
        const tables = Array.from(document.querySelectorAll('table'));
        return Array.from(document.querySelectorAll('td, th'))
            .filter(cell => cell.innerText.includes('\\n'))
            .map(cell => ({text: cell.innerText, table: tables.indexOf(cell.closest('table')) + 1,
                           row: cell.closest('tr') ? cell.closest('tr').rowIndex + 1 : 0}));
    }""")
    if not cells:
        return Check("cell-newline", "pass")
    tables = ", ".join(str(number) for number in sorted({cell["table"] for cell in cells}))
    sample = " | ".join(f"table {cell['table']} row {cell['row']}: '{_snippets(cell['text'], NEWLINE, 1, 30)[0]}'"
                        for cell in cells[:3])
    return Check("cell-newline", "fail", f"{len(cells)} cells show a literal \\n (tables {tables} of the page): {sample}")


_OVERFLOW_JS = r"""() => {
    const limit = window.innerWidth + 1;
    const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\s+/).slice(0, 2).join('.') : '');
    const text = el => (el.innerText || el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 40);
    // The nearest box between an element and <body> that does not let its content overflow visibly.
    const box = el => { for (let up = el.parentElement; up && up !== document.body && up !== document.documentElement;
                             up = up.parentElement) {
                            if (getComputedStyle(up).overflowX !== 'visible') return up; }
                        return null; };
    const outside = new Set(), sticking = [], clipped = new Map();
    for (const el of document.body ? document.body.querySelectorAll('*') : []) {
        const rect = el.getBoundingClientRect();
        if (rect.width === 0 || rect.height === 0) continue;
        const left = rect.left + window.scrollX, right = rect.right + window.scrollX;
        if (right <= limit && left >= -1) continue;
        const owner = box(el);
        const overflow = owner ? getComputedStyle(owner).overflowX : 'visible';
        if (overflow === 'auto' || overflow === 'scroll') continue;     // scrolls inside its own box
        if (owner) {                                                   // hidden or clip: cut off
            if (!clipped.has(owner)) clipped.set(owner, {name: describe(owner), overflow, count: 0,
                width: Math.round(owner.getBoundingClientRect().width), content: owner.scrollWidth, text: text(el)});
            clipped.get(owner).count += 1;
            continue;
        }
        outside.add(el);
        if (el.parentElement && outside.has(el.parentElement)) continue;   // report the outermost only
        sticking.push({name: describe(el), left: Math.round(left), right: Math.round(right),
                       width: Math.round(rect.width), text: text(el)});
    }
        return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
            offenders: sticking, clipped: Array.from(clipped.values())};
}"""


def overflow_facts(page) -> dict:
    """The page's scroll width, the window's width, and the content wider than the window that does
    not scroll inside a box of its own (overflow-x: auto or scroll): `offenders`, the outermost
    elements that stick out of the page, and `clipped`, the boxes (overflow-x: hidden or clip) that
    cut such content off."""
    return page.evaluate(_OVERFLOW_JS)


def _overflow_summary(facts: dict, limit: int = 4) -> str:
    parts = []
    offenders, clipped = facts["offenders"], facts["clipped"]
    if offenders:
        listed = ", ".join(f"{o['name']} {o['width']}px at {o['left']}..{o['right']} '{o['text']}'"
                           for o in offenders[:limit])
        more = f" and {len(offenders) - limit} more" if len(offenders) > limit else ""
        parts.append(f"{len(offenders)} elements stick out of the page: {listed}{more}")
    if clipped:
        listed = ", ".join(f"{c['name']} ({c['count']} cut, content {c['content']}px in {c['width']}px, "
                           f"'{c['text']}')" for c in clipped[:limit])
        more = f" and {len(clipped) - limit} more" if len(clipped) > limit else ""
        parts.append(f"{len(clipped)} boxes with overflow-x hidden cut content off: {listed}{more}")
    return "; ".join(parts)


def check_overflow(page, strict: bool = True) -> Check:
    """Horizontal overflow. strict (1280 px): the page may not be wider than the window, or the
    check fails. Otherwise (390 px) it only reports, as a note, the content wider than the window
    that does not scroll inside a box of its own: wide tables are expected to scroll in their box."""
    facts = overflow_facts(page)
    page_wide = facts["scrollWidth"] > facts["innerWidth"] + 1
    summary = _overflow_summary(facts)
    if strict:
        if not page_wide:
            return Check("overflow", "pass")
        return Check("overflow", "fail", f"page {facts['scrollWidth']}px wide in a {facts['innerWidth']}px window"
                     + (f"; {summary}" if summary else ""))
    if not page_wide and not summary:
        return Check("overflow", "pass")
    return Check("overflow", "info", f"page {facts['scrollWidth']}px in a {facts['innerWidth']}px window"
                 + (f"; {summary}" if summary else ""))


def check_images(page) -> Check:
    """Every <img> loaded: complete, with a natural width."""
    broken = page.evaluate("""() => Array.from(document.images)
        .filter(img => !(img.complete && img.naturalWidth > 0))
        .map(img => (img.getAttribute('src') || '(no src)').slice(0, 80))""")
    if not broken:
        return Check("images", "pass")
    return Check("images", "fail", f"{len(broken)} not loaded: " + ", ".join(broken[:5]))


def check_viewport_meta(page) -> Check:
    """<meta name="viewport"> is present (phones otherwise render the page at desktop width)."""
    content = page.evaluate("""() => { const meta = document.querySelector('meta[name="viewport"]');
                                      return meta ? meta.getAttribute('content') || '' : null; }""")
    if content is None:
        return Check("viewport", "fail", 'no <meta name="viewport">')
    return Check("viewport", "pass", content)


def check_network(blocked: list[str]) -> Check:
    """No request left the machine: `blocked` is the list cut_network recorded."""
    if not blocked:
        return Check("network", "pass")
    return Check("network", "fail", f"{len(blocked)} blocked: " + ", ".join(url[:100] for url in blocked[:5]))


def run_checks(page, blocked: list[str], width: int) -> list[Check]:
    """Every check on a loaded page, in the order they are printed."""
    return [check_network(blocked), check_raw_latex(page), check_widget_repr(page), check_cell_newlines(page),
            check_overflow(page, strict=width >= STRICT_OVERFLOW_WIDTH), check_images(page),
            check_viewport_meta(page)]


def figure_count(page) -> int:
    return int(page.evaluate("() => document.images.length"))


# --- pages, reports --------------------------------------------------------------------------

def reading_order(site: Path) -> list[Path]:
    """The site's pages: index, the case profiles (alphabetical), cross_case, coding_overview,
    reliability, explore, then any other page (alphabetical)."""
    pages, seen = [], set()
    for pattern in READING_ORDER:
        for path in sorted(site.glob(f"{pattern}.html")):
            if path not in seen:
                pages.append(path)
                seen.add(path)
    pages += [path for path in sorted(site.glob("*.html")) if path not in seen]
    return pages


def inspect(browser, path: Path, width: int, out: Path | None) -> PageReport:
    """Open one page at one width, offline; take its slices (when `out` is given) and run every check."""
    page, blocked = offline_page(browser, width)
    report = PageReport(path.name, width)
    try:
        load(page, path)
        report.height = page_height(page)
        report.figures = figure_count(page)
        if out is not None:
            report.slices = screenshot_slices(page, out, f"{path.stem}-{width}")
        report.checks = run_checks(page, blocked, width)
    finally:
        page.context.close()
    return report


def check_site(browser, site: Path, out: Path | None, widths=WIDTHS, echo=print) -> list[PageReport]:
    reports = []
    for path in reading_order(site):
        for width in widths:
            try:
                report = inspect(browser, path, width, out)
            except Exception as error:  # noqa: BLE001 - one broken page must not hide the others
                report = PageReport(path.name, width, checks=[Check("load", "fail", f"{type(error).__name__}: {error}")])
            reports.append(report)
            echo(report.line())
    return reports


def details(reports: list[PageReport]) -> list[str]:
    lines = []
    for report in reports:
        for check in report.checks:
            if check.status in ("fail", "info"):
                lines.append(f"{report.page} @{report.width}: {check.name} {'FAIL' if check.failed else 'note'}: "
                             f"{check.detail}")
    return lines


def ready(site: Path, chromium: str, modules: tuple[str, ...]) -> bool:
    """Whether the site has pages, Chromium is there and ``modules`` import; says what is missing."""
    import importlib

    if not reading_order(site):
        print(f"no pages in {site}: run `make run` first", file=sys.stderr)
        return False
    if not Path(chromium).exists():
        print(f"no Chromium at {chromium}: apt-get install chromium, or pass --chromium", file=sys.stderr)
        return False
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            print(f"{module} is not installed: pip install -e '.[site]'", file=sys.stderr)
            return False
    return True


def _widths(text: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"widths are numbers separated by commas, not {text!r}") from None
    if not widths or min(widths) < 100:
        raise argparse.ArgumentTypeError(f"give at least one width of 100 px or more, not {text!r}")
    return widths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", default=str(ROOT / "outputs" / "site"), help="folder of .html pages")
    parser.add_argument("--out", default=str(ROOT / "outputs" / "site-check"), help="folder for the screenshots")
    parser.add_argument("--chromium", default=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium") or CHROMIUM)
    parser.add_argument("--widths", type=_widths, default=WIDTHS, help="viewport widths in px (default 1280,390)")
    args = parser.parse_args(argv)
    site, out = Path(args.site), Path(args.out)
    if not ready(site, args.chromium, ("playwright",)):
        return 1
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright, args.chromium)
        try:
            reports = check_site(browser, site, out, args.widths)
        finally:
            browser.close()
    notes = details(reports)
    if notes:
        print("\n" + "\n".join(notes))
    failed = sum(report.failed for report in reports)
    shown = out.resolve().relative_to(ROOT) if out.resolve().is_relative_to(ROOT) else out
    print(f"\n{len(reports)} page views, {failed} with failed checks; screenshots in {shown}/")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
