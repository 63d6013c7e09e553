"""The interactive explorer: pick a case, a code and a coder; see the units and the profile.

This module owns the ipywidgets interface that ``notebooks/explore.ipynb`` shows. The work is done
by :func:`render`, a plain function (a retrieval table and a profile figure) that the widgets call
on every change, so it can be tested without a browser.

Example:
    >>> from lspkit import load_corpus
    >>> table, fig = render(load_corpus(), "bolton", "standards", "structure")
    >>> table["citation"].tolist()[:2]
    ['Bolton ¶22', 'Bolton ¶23']
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from . import analysis, plots
from .corpus import Corpus

ALL = "(all codes)"


def render(corpus: Corpus, case_id: str, code: str | None, coder: str) -> tuple[pd.DataFrame, Figure]:
    """The retrieved units (citation, code, memo, text) and the case's element-profile figure."""
    table = analysis.retrieve(corpus, code=None if code in (None, ALL) else code, case=case_id, coder=coder)
    profile = analysis.element_profile(corpus.case(case_id), coder)
    fig = plots.profile_plot(profile, labels=plots.labels(corpus))
    return table[["citation", "code_id", "memo", "text"]], fig


def code_options(corpus: Corpus) -> list[tuple[str, str]]:
    """Dropdown options: every element, then every theme, as (label, code id)."""
    options = [(ALL, ALL)]
    for row in corpus.codes.itertuples(index=False):
        prefix = "element" if row.kind == "element" else "theme"
        options.append((f"{prefix}: {row.label}", row.code_id))
    return options


def explorer(corpus: Corpus):
    """An ipywidgets box: three dropdowns above the retrieved units and the profile plot."""
    import ipywidgets as widgets
    from IPython.display import display

    case = widgets.Dropdown(options=list(zip(corpus.cases["short_name"], corpus.case_ids)), description="Case")
    code = widgets.Dropdown(options=code_options(corpus), description="Code")
    coder = widgets.Dropdown(options=corpus.coder_ids, value="researcher" if "researcher" in corpus.coder_ids
                             else corpus.coder_ids[0], description="Coder")

    def show(case_id: str, code_id: str, coder_id: str) -> None:
        table, fig = render(corpus, case_id, code_id, coder_id)
        display(fig)
        plt.close(fig)
        display(table if len(table) else pd.DataFrame({"note": ["no units coded so"]}))

    out = widgets.interactive_output(show, {"case_id": case, "code_id": code, "coder_id": coder})
    return widgets.VBox([widgets.HBox([case, code, coder]), out])
