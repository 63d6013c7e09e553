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

import pandas as pd

from .plots import use_style


def setup_notebook() -> None:
    """Show whole texts, three decimals, all rows; apply the lspkit plot style.

    In IPython it also makes inline PNGs carry no software-version metadata.
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
        shell.run_line_magic("matplotlib", "inline")
        shell.run_line_magic("config", "InlineBackend.print_figure_kwargs = "
                             "{'bbox_inches': 'tight', 'metadata': {'Software': None}}")
