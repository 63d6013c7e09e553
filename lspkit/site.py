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


REMOVE_CELL_TAGS = {"remove-cell"}
REMOVE_INPUT_TAGS = {"remove-input"}
REMOVE_OUTPUT_TAGS = {"remove-output"}


def run_with(nb: Any) -> str:
    r"""The parameters a notebook ran with, as one line: its ``parameters`` cell's defaults overridden
    by papermill's injected values (``case_id = 'bolton', coder = 'researcher'``); empty if it has none.

    >>> import nbformat
    >>> cells = [nbformat.v4.new_code_cell("case_id = 'x'  # a case\ncoder = 'a'", metadata={"tags": ["parameters"]}),
    ...          nbformat.v4.new_code_cell("# Parameters\ncase_id = 'bolton'\n",
    ...                                    metadata={"tags": ["injected-parameters"]})]
    >>> run_with(nbformat.v4.new_notebook(cells=cells))
    "case_id = 'bolton', coder = 'a'"
    """
    import ast

    values: dict[str, str] = {}
    for tag in ("parameters", "injected-parameters"):
        for cell in nb.cells:
            if cell.cell_type == "code" and tag in cell.metadata.get("tags", []):
                for node in ast.parse(cell.source).body:
                    if (
                        isinstance(node, ast.Assign)
                        and len(node.targets) == 1
                        and isinstance(node.targets[0], ast.Name)
                    ):
                        values[node.targets[0].id] = ast.unparse(node.value)
    meta = nb.metadata.get("lspkit") or {}
    former = set(meta.get("aliases") or {}) | set(meta.get("deprecated") or [])  # shown only when given
    return ", ".join(f"{k} = {v}" for k, v in values.items() if not (k in former and v == "None"))


def exporter():
    """The one HTML exporter of this process (template ``lspkit``: JupyterLab look, offline).

    It leaves out the prompts, the cells tagged ``remove-cell``, the inputs tagged ``remove-input``
    and the outputs tagged ``remove-output`` (nbconvert's ``TagRemovePreprocessor``); the template
    hides code behind a "show code" control and shows the parameters as one "run with" line.
    """
    global _exporter
    if _exporter is None:
        from nbconvert import HTMLExporter
        from nbconvert.preprocessors import TagRemovePreprocessor

        _exporter = HTMLExporter(
            template_name="lspkit",
            extra_template_basedirs=[str(TEMPLATES)],
            exclude_input_prompt=True,
            exclude_output_prompt=True,
        )
        _exporter.embed_images = True
        _exporter.register_preprocessor(
            TagRemovePreprocessor(
                remove_cell_tags=REMOVE_CELL_TAGS,
                remove_input_tags=REMOVE_INPUT_TAGS,
                remove_all_outputs_tags=REMOVE_OUTPUT_TAGS,
            ),
            enabled=True,
        )
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
    resources = {"metadata": {"name": title}, "lspkit": {"title": title, "run_with": run_with(nb)}}
    export = exporter()
    # Embedding reads every Markdown cell's HTML back in to find images: done only where there are any.
    export.embed_images = any(
        cell.get("cell_type") == "markdown"
        and ("<img" in cell.get("source", "") or "](" in cell.get("source", ""))
        or cell.get("attachments")
        for cell in nb.cells
    )
    body, _ = export.from_notebook_node(nb, resources=resources)
    return body


def warm_up() -> None:
    """Render a small page once, so the first real page does not pay for loading the templates and
    the Markdown and highlighting libraries (the runner calls this while kernels start)."""
    import nbformat

    cell = nbformat.v4.new_code_cell("x = 1", outputs=[nbformat.v4.new_output("stream", text="1\n")])
    render_html(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# *Warm* up"), cell]), "warm-up")


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem;
       color: #1a1a1a; line-height: 1.45; }
h1 { margin-bottom: .2rem; font-size: 1.6rem; } .meta { color: #555; margin-top: .3rem; font-size: .9rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5rem; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
th { background: #f3f3f3; } .failed { color: #b00020; }
ol.reading li { margin-bottom: .2rem; }
@media print { .scroll { overflow: visible; } tr { break-inside: avoid; } }
"""

INTRO = (
    "Three Audit Commission case studies, published in April 2009 in the series <em>Working better "
    "together?</em>, describe the Local Strategic Partnerships of Blackburn with Darwen, Bolton and "
    "Hammersmith and Fulham. Each reads its partnership through the public sector 7S model: the "
    "super-ordinate goals; three transformational elements, staff and skills (\u201cincluding culture and "
    "leadership\u201d), style (\u201cidentity and how the LSP comes across\u201d) and synergies "
    "(\u201cachieving better results collectively than working alone\u201d); and three transactional "
    "elements, standards (\u201cframeworks for partnership working and quality standards\u201d), steering "
    "(\u201cusing internal processes to drive change, for example through resource pooling\u201d) and "
    "systems (\u201cperformance, resource and accountability\u201d). These pages code the texts against "
    "that model and ask one question of them."
)
QUESTION = (
    "How does each partnership link transformational and transactional practice, and which practices "
    "recur across the cases?"
)
SOURCE = (
    "Source: Audit Commission (England), <em>Working better together?</em> case studies, April 2009, "
    "published alongside the national report <em>Working better together? Managing local strategic "
    "partnerships</em> (Audit Commission, 2009); public sector information, reproduced verbatim. "
    "Every number on these pages cites the paragraph it rests on (\u201cBolton \u00b68\u201d)."
)
READING_ORDER = {
    "Case profiles": "one partnership at a time: its profile, its links between the two dimensions, its evidence",
    "Cross-case": "the three side by side: what recurs, what differs, and the links each makes",
    "Coding": "what was coded, against which definitions, and how far readings agree",
    "Explore": "retrieve the coded units behind any case, code and coder",
}


CHANGE_LOG_ANCHOR = "Codebook-change-log"  # the id nbconvert gives coding_overview's "Codebook change log" heading


def index_html(
    pages: Iterable[dict[str, Any]], run_date: str, data_version: str, version: str, codebook_version: str = ""
) -> str:
    """The site index: the question, the corpus and its source, the reading order, then one table per
    group of pages (case profiles, cross-case, coding, explore), each page with one line on what it
    answers. A page whose latest run failed is marked (the last good page stays listed); a page that
    has never been published says so, with the failing cell."""
    e = _html.escape
    pages = list(pages)
    meta = [f"Run date: {e(run_date)}"]
    if codebook_version:
        overview = next((p for p in pages if p.get("html") == "coding_overview.html"), None)
        log = f' (<a href="coding_overview.html#{CHANGE_LOG_ANCHOR}">change log</a>)' if overview else ""
        meta.append(f"codebook version {e(codebook_version)}{log}")
    meta += [f"data version <code>{e(data_version)}</code>", f"lspkit {e(version)}"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
        "<title>lspkit: Working better together? case studies</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{e(QUESTION)}</h1>",
        f'<p class="meta">{" &middot; ".join(meta)}</p>',
        f"<p>{INTRO}</p>",
        f"<p>{SOURCE}</p>",
    ]
    groups = sorted({p["group"] for p in pages}, key=lambda g: (GROUP_ORDER.index(g) if g in GROUP_ORDER else 99, g))
    if not pages:
        parts.append(
            '<p class="failed">No page has been published yet. Run <code>lspkit run</code>; a notebook '
            "that fails is kept in <code>outputs/failed/</code> and listed here with its failing cell.</p>"
        )
    else:
        parts += ["<h2>Reading order</h2>", '<ol class="reading">']
        parts += [
            f'<li><a href="#{e(g.lower().replace(" ", "-"))}">{e(g)}</a>: {e(READING_ORDER.get(g, ""))}</li>'
            for g in groups
        ]
        parts.append("</ol>")
    for group in groups:
        parts += [
            f'<h2 id="{e(group.lower().replace(" ", "-"))}">{e(group)}</h2>',
            '<div class="scroll"><table>',
            "<tr><th>Page</th><th>What it answers</th><th>Run</th></tr>",
        ]
        for p in sorted((p for p in pages if p["group"] == group), key=lambda p: p["title"]):
            note = ""
            if p.get("data_version") and p["data_version"] != data_version:
                note += (
                    f' <span class="failed">(made from data version <code>{e(p["data_version"])}</code>, '
                    "not this one: run it again to bring it up to date)</span>"
                )
            if p.get("status") == "failed" and not p.get("html"):
                note += (
                    ' <span class="failed">(never published: its run failed'
                    f"{' in ' + e(p['error']) if p.get('error') else ''}; the failed notebook is in "
                    "outputs/failed/)</span>"
                )
            elif p.get("status") == "failed":
                note += (
                    ' <span class="failed">(the latest run failed; this is the last good page: '
                    f"{e(p.get('error', ''))})</span>"
                )
            link = f'<a href="{e(p["html"])}">{e(p["title"])}</a>' if p.get("html") else e(p["title"])
            parts.append(
                f"<tr><td>{link}</td><td>{e(p['description'])}{note}</td><td>{e(p.get('finished', '')[:10])}</td></tr>"
            )
        parts.append("</table></div>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)
