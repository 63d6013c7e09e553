"""Published pages read as a report: code hidden behind a control, one "run with" line, titled pages,
tables styled for prose, figures with text alternatives, an index that introduces the study."""

from __future__ import annotations

import re

import nbformat
import pandas as pd
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from lspkit.display import NA_NOTE, frame_html
from lspkit.site import index_html, render_html

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


def _page() -> str:
    nb = new_notebook(cells=[
        new_markdown_cell("# A profile"),
        new_code_cell("lsp = 'bolton'  # a case id\ncoder = 'researcher'", metadata={"tags": ["parameters"]}),
        new_code_cell("# Parameters\nlsp = 'hammersmith-and-fulham'\n", metadata={"tags": ["injected-parameters"]}),
        new_code_cell("secret_input = 1\nsecret_input", outputs=[new_output("execute_result", {"text/plain": "1"},
                                                                             execution_count=1)]),
        new_code_cell("ax = plots.balance_plot(bal)", metadata={"alt": "Diverging bars of the balance"},
                      outputs=[new_output("display_data", {"image/png": PNG, "text/plain": "<Figure>"})]),
        new_code_cell("widget", metadata={"tags": ["remove-output"]},
                      outputs=[new_output("execute_result", {"text/plain": "VBox(children=(...))"}, execution_count=3)]),
    ])
    return render_html(nbformat.from_dict(nb), "Hammersmith and Fulham Borough Partnership")


def test_a_page_reads_as_a_report():
    page = _page()
    assert '<p class="lspkit-title">Hammersmith and Fulham Borough Partnership</p>' in page
    assert "Run with: <code>lsp = 'hammersmith-and-fulham', coder = 'researcher'</code>" in page
    assert "# a case id" not in page and "# Parameters" not in page  # both parameters cells become that line
    assert 'id="lspkit-show-code"' in page and "secret_input" in page  # code stays in the page, behind a control
    assert ".jp-CodeCell .jp-Cell-inputWrapper { display: none; }" in page
    assert "jp-InputPrompt" not in page.split("</style>")[-1] and "jp-OutputPrompt" not in page.split("</style>")[-1]
    assert 'alt="Diverging bars of the balance"' in page
    assert "VBox(children" not in page  # outputs tagged remove-output are left out
    assert re.search(r'<meta content="width=device-width[^>]*name="viewport"', page)
    assert not re.search(r"<script[^>]*\bsrc=", page)


def test_tables_are_styled_for_prose():
    frame = pd.DataFrame({"citation": ["Bolton ¶8\nBolton ¶9", "<b>x</b>"], "units": [3, 12],
                          "kappa": [0.5, float("nan")]})
    table = frame_html(frame)
    assert table.startswith('<div class="lspkit-scroll">')
    assert ('class="data row0 col0 text" ><span class="lspkit-line">Bolton ¶8</span>'
            '<span class="lspkit-line">Bolton ¶9</span></td>') in table  # one line per line of the cell
    assert 'class="data row1 col1 num" >12</td>' in table and 'class="data row0 col2 num" >0.500</td>' in table
    assert ">–</td>" in table and NA_NOTE in table and ">nan<" not in table
    assert "&lt;b&gt;x&lt;/b&gt;" in table and "<b>x</b>" not in table
    assert frame_html(frame) == table  # deterministic: no random ids
    empty = frame.iloc[:0].copy()
    empty.attrs["empty"] = "No departures: the reading follows every heading."
    assert frame_html(empty) == '<p class="lspkit-empty">No departures: the reading follows every heading.</p>'


def test_the_index_introduces_the_study_and_says_what_never_published():
    pages = [{"name": "cross_case", "title": "Cross-case analysis", "group": "Cross-case", "html": "cross_case.html",
              "description": "What recurs", "status": "ok", "data_version": "abc", "finished": "2009-04-01"},
             {"name": "reliability", "title": "Coding reliability", "group": "Coding", "html": "",
              "description": "Agreement", "status": "failed", "error": "cell 4 (In [3]) LspkitError: unknown coder"}]
    page = index_html(pages, "2009-04-01 00:00 UTC", "abc", "0.1.0", codebook_version="2")
    assert '<meta name="viewport"' in page
    assert "How does each partnership link transformational and transactional practice" in page
    assert "Reading order" in page and "codebook version 2" in page and "Audit Commission" in page
    assert "never published: its run failed in cell 4 (In [3]) LspkitError: unknown coder" in page
    assert '<a href="cross_case.html">' in page and 'href=""' not in page
    assert "change log" not in page  # no coding overview published: nothing to link to
    overview = {"name": "coding_overview", "title": "Coding overview", "group": "Coding", "html": "coding_overview.html",
                "description": "Codebook", "status": "ok", "data_version": "abc", "finished": "2009-04-01"}
    linked = index_html([*pages, overview], "2009-04-01 00:00 UTC", "abc", "0.1.0", codebook_version="2")
    assert 'codebook version 2 (<a href="coding_overview.html#Codebook-change-log">change log</a>)' in linked
    empty = index_html([], "not yet run", "abc", "0.1.0")
    assert "No page has been published yet" in empty
