"""The published site: executed notebooks rendered to self-contained HTML, and an index page.

This module owns how an executed notebook becomes a page (one nbconvert ``HTMLExporter``, created
once and reused, with figures embedded and no script fetched from the network) and the index page
that lists every page with the run date, the data version and a one-line description.

Everything from the data reaches the page escaped: tables are pandas HTML (which escapes cell
text), plain-text outputs are escaped by nbconvert, and the index escapes with :func:`html.escape`.

Example:
    >>> page = {"name": "cross_case", "title": "Cross-case analysis", "group": "Cross-case",
    ...         "description": "What recurs <and> what differs", "html": "cross_case.html",
    ...         "status": "ok", "finished": "2009-04-01T00:00:00+00:00"}
    >>> html = index_html([page], run_date="2009-04-01 00:00 UTC", data_version="abc123", version="0.1.0")
    >>> "What recurs &lt;and&gt; what differs" in html
    True
"""

from __future__ import annotations

import html as _html
from pathlib import Path
from typing import Any, Iterable

TEMPLATES = Path(__file__).resolve().parent / "templates"
GROUP_ORDER = ["Case profiles", "Cross-case", "Coding", "Explore"]

_exporter = None


def exporter():
    """The one HTML exporter of this process (template ``lspkit``: JupyterLab look, offline)."""
    global _exporter
    if _exporter is None:
        from nbconvert import HTMLExporter

        _exporter = HTMLExporter(template_name="lspkit", extra_template_basedirs=[str(TEMPLATES)])
        _exporter.embed_images = True
    return _exporter


def render_html(nb: Any, title: str) -> str:
    """One executed notebook as a self-contained HTML page titled ``title``.

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Hello")])
    >>> page = render_html(nb, "A <title>")
    >>> "<title>A &lt;title&gt;</title>" in page
    True
    >>> import re  # nothing is fetched: no script, stylesheet or image comes from the network
    >>> re.findall(r"(?:src|href)=.?(?:https?:)?//|@import", page)
    []
    """
    body, _ = exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem;
       color: #1a1a1a; line-height: 1.45; }
h1 { margin-bottom: .2rem; } .meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5rem; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
th { background: #f3f3f3; } .failed { color: #b00020; }
"""


def index_html(pages: Iterable[dict[str, Any]], run_date: str, data_version: str, version: str) -> str:
    """The site index: one table per group of pages (case profiles, cross-case, coding, explore)."""
    e = _html.escape
    pages = list(pages)
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        "<title>lspkit: Working better together? case studies</title>", f"<style>{_STYLE}</style>", "</head>",
        "<body>", "<h1>Local Strategic Partnerships through the 7S model</h1>",
        '<p class="meta">Analyses of the Audit Commission case studies <em>Working better together?</em> '
        f"(April 2009). Run date: {e(run_date)} &middot; data version: <code>{e(data_version)}</code> "
        f"&middot; lspkit {e(version)}</p>",
    ]
    groups = sorted({p["group"] for p in pages}, key=lambda g: (GROUP_ORDER.index(g) if g in GROUP_ORDER else 99, g))
    for group in groups:
        parts += [f"<h2>{e(group)}</h2>", "<table>", "<tr><th>Page</th><th>What it answers</th><th>Run</th></tr>"]
        for p in sorted((p for p in pages if p["group"] == group), key=lambda p: p["title"]):
            note = ""
            if p.get("data_version") and p["data_version"] != data_version:
                note += (f' <span class="failed">(made from data version <code>{e(p["data_version"])}</code>, '
                         "not this one: run it again to bring it up to date)</span>")
            if p.get("status") == "failed":
                note += (' <span class="failed">(the latest run failed; this is the last good page: '
                        f"{e(p.get('error', ''))})</span>")
            parts.append(f'<tr><td><a href="{e(p["html"])}">{e(p["title"])}</a></td>'
                         f"<td>{e(p['description'])}{note}</td><td>{e(p.get('finished', '')[:10])}</td></tr>")
        parts.append("</table>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)
