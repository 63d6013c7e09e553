"""Notebook display settings: how tables and figures look when a notebook shows them.

This module owns the pandas display options and the inline-figure settings that keep notebook
outputs readable and byte-stable (no truncated quotations, fixed float precision, figures without
timestamps), so every notebook starts with one call.

Example:
    >>> setup_notebook()
    >>> import pandas as pd
    >>> pd.get_option("display.max_colwidth") is None
    True
"""

from __future__ import annotations

import html

import pandas as pd

from .plots import use_style

EMPTY_NOTE = "No rows: nothing in the data meets this table's condition for these parameters."
NA_NOTE = "– marks a missing value: there is nothing to compute or show for that cell."


def _lines(value: object) -> str:
    text = str(value)
    if "\n" not in text:
        return text
    return "".join(f'<span class="lspkit-line">{line}</span>' for line in text.split("\n"))


def frame_html(frame: pd.DataFrame) -> str:
    """A table as HTML for a report: prose columns left-aligned and wrapped (a line break in a cell
    starts a new line), numbers right-aligned, missing values as a dash with a note, the whole table
    in a box that scrolls sideways when it is wider than the page. A table with no rows becomes a
    sentence: ``frame.attrs["empty"]`` when the analysis set one (what is absent and why), else a
    general one. Everything from the data is escaped.

    >>> print(frame_html(pd.DataFrame({"case": ["<b>"], "n": [1]})))  # doctest: +ELLIPSIS
    <div class="lspkit-scroll">...<td class="data row0 col0 text" >&lt;b&gt;</td>...
    ...<td class="data row0 col1 num" >1</td>...
    >>> print(frame_html(pd.DataFrame({"n": []}).rename_axis("x")))
    <p class="lspkit-empty">No rows: nothing in the data meets this table's condition for these parameters.</p>
    """
    if len(frame) == 0:
        return f'<p class="lspkit-empty">{html.escape(str(frame.attrs.get("empty", EMPTY_NOTE)), quote=False)}</p>'
    from pandas.io.formats.style import Styler

    numeric = [pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) for t in frame.dtypes]
    classes = pd.DataFrame(
        [["num" if n else "text" for n in numeric]] * len(frame), index=frame.index, columns=frame.columns
    )
    styler = Styler(frame, uuid_len=0, cell_ids=False, table_attributes='class="lspkit-table"')
    styler.set_td_classes(classes)
    styler.format(precision=3, na_rep="–", escape="html")
    text = [c for c, n in zip(frame.columns, numeric) if not n]
    if text:  # escaped first (escape="html"), then each line of a cell becomes a line of its own
        styler.format(_lines, subset=text, na_rep="–", escape="html")
    styler.format_index(escape="html", axis=0).format_index(escape="html", axis=1)
    if frame.isna().to_numpy().any():
        styler.set_caption(NA_NOTE)
    return f'<div class="lspkit-scroll">{styler.to_html()}</div>'


def setup_notebook() -> None:
    """Show whole texts, three decimals, all rows; apply the lspkit plot style.

    In IPython it also shows tables through :func:`frame_html`, makes inline PNGs carry no
    software-version metadata, and draws each figure only for its PNG.
    """
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_rows", 500)
    pd.set_option("display.max_columns", 50)
    pd.set_option("display.width", 200)
    pd.set_option("display.precision", 3)
    use_style()
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - plain Python
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["text/html"].for_type(pd.DataFrame, frame_html)
        shell.run_line_magic("matplotlib", "inline")
        shell.run_line_magic(
            "config", "InlineBackend.print_figure_kwargs = {'bbox_inches': 'tight', 'metadata': {'Software': None}}"
        )
        # pyplot's own hook draws every new figure after each cell, for a window that the inline
        # backend does not have: the PNG it shows is drawn again, so that first draw (about a third
        # of a figure's cost) is only waiting. The inline backend's hook still shows each figure.
        import matplotlib.pyplot as plt

        plt.uninstall_repl_displayhook()


def show_markdown(text: str) -> None:
    """Display generated Markdown as rendered text whose plain-text form is the Markdown itself, so a
    saved notebook keeps the words and the regression tests (nbval) compare them.

    >>> show_markdown("**Bolton**: 30 evidence units.")  # doctest: +SKIP
    """
    from IPython.display import display

    display({"text/markdown": text, "text/plain": text}, raw=True)
