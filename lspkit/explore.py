"""The explorers: pick a case, a code and a coder; see the units and the profile.

This module owns both explorers of ``notebooks/explore.ipynb``:

- :func:`explorer`, an ipywidgets interface for a live JupyterLab session. The work is done by
  :func:`render`, a plain function (a retrieval table and a profile figure) that the widgets call on
  every change, so it can be tested without a browser. :func:`show_explorer` displays it so that a
  saved notebook shows a sentence, not the widget's repr.
- :func:`static_explorer`, one self-contained HTML fragment for the published page: the data as
  JSON, three pickers and a few lines of plain JavaScript, with nothing fetched from the network.
  Its rows are those of :func:`lspkit.analysis.retrieve` and its bars the ``units`` of
  :func:`lspkit.analysis.element_profile`.

Example:
    >>> from lspkit import load_corpus
    >>> table, fig = render(load_corpus(), "bolton", "standards", "structure")
    >>> table["citation"].tolist()[:2]
    ['Bolton ¶22', 'Bolton ¶23']
    >>> html = static_explorer(load_corpus())
    >>> html.startswith('<div class="lsx">') and html == static_explorer(load_corpus())
    True
"""

from __future__ import annotations

import json
from typing import Any, Iterable

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from . import analysis, plots
from .corpus import Corpus

ALL = "(all codes)"
WIDGET_FALLBACK = (
    "The interactive explorer needs a live Jupyter front end with ipywidgets (JupyterLab); "
    "the explorer below works on any page."
)


def render(corpus: Corpus, case_id: str, code: str | None, coder: str) -> tuple[pd.DataFrame, Figure]:
    """The retrieved units (citation, code, memo, text) and the case's element-profile figure."""
    table = analysis.retrieve(corpus, code=None if code in (None, ALL) else code, case_id=case_id, coder=coder)
    profile = analysis.element_profile(corpus.case(case_id), coder)
    ax = plots.profile_plot(profile, labels=plots.labels(corpus))
    return table[["citation", "code_id", "memo", "text"]], ax.get_figure(root=True)  # type: ignore[return-value]


def code_options(corpus: Corpus) -> list[tuple[str, str]]:
    """Dropdown options: every element, then every theme, as (label, code id)."""
    options = [(ALL, ALL)]
    for row in corpus.codes.itertuples(index=False):
        prefix = "element" if row.code_kind == "element" else "theme"
        options.append((f"{prefix}: {row.label}", row.code_id))
    return options


def explorer(corpus: Corpus):
    """An ipywidgets box: three dropdowns above the retrieved units and the profile plot."""
    import ipywidgets as widgets
    from IPython.display import display

    case = widgets.Dropdown(options=list(zip(corpus.cases["short_name"], corpus.case_ids)), description="Case")
    code = widgets.Dropdown(options=code_options(corpus), description="Code")
    coder = widgets.Dropdown(
        options=corpus.coder_ids,
        value="researcher" if "researcher" in corpus.coder_ids else corpus.coder_ids[0],
        description="Coder",
    )

    def show(case_id: str, code_id: str, coder_id: str) -> None:
        table, fig = render(corpus, case_id, code_id, coder_id)
        display(fig)
        plt.close(fig)
        display(table if len(table) else pd.DataFrame({"note": ["no units coded so"]}))

    out = widgets.interactive_output(show, {"case_id": case, "code_id": code, "coder_id": coder})
    return widgets.VBox([widgets.HBox([case, code, coder]), out])


def show_explorer(corpus: Corpus) -> None:
    """Display :func:`explorer`. A front end that cannot draw widgets (a saved notebook, a page)
    shows :data:`WIDGET_FALLBACK` instead of the widget's repr."""
    from IPython.display import display

    bundle = explorer(corpus)._repr_mimebundle_()
    bundle["text/plain"] = WIDGET_FALLBACK
    display(bundle, raw=True)


# -- the static explorer -----------------------------------------------------------------------


def _json_for_script(value: Any) -> str:
    """JSON that cannot end or open a tag inside ``<script>``: ``<``, ``>`` and ``&`` as escapes.

    >>> _json_for_script({"memo": "</script><b>&"})
    '{"memo":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026"}'
    """
    text = json.dumps(value, sort_keys=True, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _coder_label(coder: str, kind: str) -> str:
    return f"{coder} (machine baseline, not a reading)" if kind == "machine" else f"{coder} ({kind})"


def explorer_data(corpus: Corpus, coders: Iterable[str] | None = None) -> dict[str, Any]:
    """The data :func:`static_explorer` embeds, as plain lists and dicts.

    - ``rows[case][coder][code]``: ``[unit_id, code_id, memo]`` for each row of
      ``analysis.retrieve(corpus, code=code, case_id=case, coder=coder, kinds=analysis.EVIDENCE_KINDS)``,
      in its order (selections without rows are left out);
    - ``units[unit_id]``: ``[citation, text]`` of every unit a row names;
    - ``profile[case][coder]``: the ``units`` of ``analysis.element_profile`` per element, in the
      order of ``elements``;
    - ``cases``, ``codes`` (elements, then themes: ``[id, label, code_kind, dimension]``), ``coders``
      (``[id, label, description]``), ``palette`` (``[dimension, colour]``), ``other_colour`` and
      ``default_coder``.

    ``coders=None`` takes every registered coder except machine baselines.

    >>> from lspkit import load_corpus
    >>> data = explorer_data(load_corpus())
    >>> [c[0] for c in data["coders"]], data["profile"]["bolton"]["structure"][0]
    (['structure', 'researcher', 'second_reader', 'third_reader'], 2)
    """
    registry = corpus.coders.set_index("coder")
    if isinstance(coders, str):
        coders = [coders]
    if coders is None:
        coders = [c for c in corpus.coder_ids if registry.at[c, "kind"] != "machine"]
    coders = [corpus.check_coder(c) for c in coders]
    if not coders:
        raise ValueError("coders: give at least one coder")
    codes = corpus.codes.set_index("code_id")
    order = list(corpus.elements) + [c for c in corpus.codes["code_id"] if c not in set(corpus.elements)]
    dimension = {c: ("" if pd.isna(codes.at[c, "dimension"]) else str(codes.at[c, "dimension"])) for c in order}
    rows: dict[str, dict[str, dict[str, list[list[str]]]]] = {case: {} for case in corpus.case_ids}
    units: dict[str, list[str]] = {}
    profile: dict[str, dict[str, list[int]]] = {case: {} for case in corpus.case_ids}
    unit_table = corpus.units.set_index("unit_id")
    families = {code: analysis.code_family(corpus, code) for code in order}
    for coder in coders:
        # one retrieval per coder: a code's rows are those of its family, in the same (document) order
        found = analysis.retrieve(corpus, coder=coder, kinds=analysis.EVIDENCE_KINDS)
        coded = list(zip(found["case_id"], found["unit_id"], found["code_id"], found["memo"]))
        for code in order:
            family = families[code]
            for case, unit_id, code_id, memo in coded:
                if code_id not in family:
                    continue
                memo = "" if pd.isna(memo) else str(memo)
                rows[case].setdefault(coder, {}).setdefault(code, []).append([unit_id, code_id, memo])
                if unit_id not in units:
                    units[unit_id] = [str(unit_table.at[unit_id, "citation"]), str(unit_table.at[unit_id, "text"])]
        counts = analysis.element_profile(corpus, coder).set_index(["case_id", "element"])["units"]
        for case in corpus.case_ids:
            profile[case][coder] = [int(counts.loc[(case, e)]) for e in corpus.elements]
    return {
        "cases": [[c, str(s)] for c, s in zip(corpus.case_ids, corpus.cases["short_name"])],
        "codes": [[c, str(codes.at[c, "label"]), str(codes.at[c, "code_kind"]), dimension[c]] for c in order],
        "coders": [
            [c, _coder_label(c, str(registry.at[c, "kind"])), str(registry.at[c, "description"])] for c in coders
        ],
        "default_coder": "researcher" if "researcher" in coders else coders[0],
        "elements": list(corpus.elements),
        "palette": [[d, c] for d, c in plots.PALETTE.items()],
        "other_colour": plots.NO_DIMENSION,
        "profile": profile,
        "rows": rows,
        "units": units,
    }


_CSS = """
.lsx{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;font-size:15px;line-height:1.45;color:#1a1a1a;
background:#fff;max-width:100%;box-sizing:border-box}
.lsx *{box-sizing:border-box}
.lsx-controls{display:flex;flex-wrap:wrap;gap:.6rem 1rem;margin:0 0 .4rem}
.lsx-picker{display:flex;flex-direction:column;flex:1 1 12rem;max-width:24rem;font-weight:600;font-size:.85em}
.lsx-picker select{font:inherit;font-weight:400;font-size:1.05em;margin-top:.2rem;padding:.3rem;width:100%;
max-width:100%;border:1px solid #888;border-radius:4px;background:#fff;color:#1a1a1a}
.lsx .lsx-about{margin:.2rem 0 .8rem;color:#555;font-size:.85em}
.lsx-panels{display:flex;flex-wrap:wrap;flex-direction:row-reverse;gap:1rem 2rem;align-items:flex-start}
.lsx-profile{flex:1 1 20rem;min-width:0}
.lsx-retrieval{flex:999 1 26rem;min-width:0}
.lsx .lsx-h{font-size:1.05em;font-weight:700;line-height:1.3;margin:.2rem 0 .4rem;padding:0}
.lsx .lsx-count{margin:0 0 .5rem;font-weight:600}
.lsx .lsx-retrieval ol.lsx-units{list-style:none;margin:0;padding:0}
.lsx .lsx-unit{margin:0 0 .6rem;padding:.5rem .7rem;border-left:4px solid #0072B2;background:#f6f7f9;
overflow-wrap:anywhere}
.lsx .lsx-cite{font-weight:700;margin:0}
.lsx .lsx-tags{display:flex;flex-wrap:wrap;gap:.25rem;margin:.2rem 0 0}
.lsx .lsx-tag{font-size:.8em;padding:0 .4em;border:1px solid #999;border-radius:3px;color:#333}
.lsx .lsx-memo{margin:.2rem 0 0;font-style:italic;color:#3d3d3d}
.lsx .lsx-text{margin:.3rem 0 0}
.lsx .lsx-empty{color:#555;margin:0}
.lsx-bars{display:grid;grid-template-columns:minmax(5.5rem,max-content) minmax(0,1fr);gap:.3rem .6rem;
align-items:center}
.lsx .lsx-bar-label{font:inherit;font-size:.9em;text-align:right;background:none;border:0;padding:0;color:#1a1a1a;
cursor:pointer;text-decoration:underline dotted #999}
.lsx .lsx-bar-label[aria-pressed=true]{font-weight:700;text-decoration:underline}
.lsx-track{display:flex;align-items:center;min-width:0}
.lsx-bar{display:block;height:1.2rem;border-radius:2px;flex:none}
.lsx-num{font-size:.85em;font-variant-numeric:tabular-nums;padding-left:.3rem}
.lsx .lsx-legend{display:flex;flex-wrap:wrap;gap:.2rem .9rem;margin:.6rem 0 0;font-size:.8em;color:#333}
.lsx-swatch{display:inline-block;width:.8em;height:.8em;margin-right:.3em;vertical-align:-.05em;border-radius:2px}
.lsx .lsx-note{font-size:.8em;color:#555;margin:.4rem 0 0}
"""

_JS = r"""
(function () {
  "use strict";
  var script = document.currentScript, root = script && script.parentNode;
  if (!root || !root.querySelector) return;
  var data = JSON.parse(root.querySelector("script.lsx-data").textContent);
  function el(tag, cls, text, parent) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function lookup(list) { var m = {}; list.forEach(function (x) { m[x[0]] = x; }); return m; }
  var codes = lookup(data.codes), coders = lookup(data.coders), cases = lookup(data.cases);
  var controls = el("div", "lsx-controls", null, root);
  function picker(title, groups, value) {
    var label = el("label", "lsx-picker", null, controls);
    el("span", null, title, label);
    var select = el("select", null, null, label);
    groups.forEach(function (g) {
      var parent = select;
      if (g[0]) { parent = el("optgroup", null, null, select); parent.label = g[0]; }
      g[1].forEach(function (o) { el("option", null, o[1], parent).value = o[0]; });
    });
    select.value = value;
    select.addEventListener("change", update);
    return select;
  }
  function ofKind(kind) { return data.codes.filter(function (c) { return c[2] === kind; }); }
  var casePick = picker("Case", [[null, data.cases]], data.cases[0][0]);
  var codePick = picker("Code", [["7S elements", ofKind("element")], ["Themes", ofKind("theme")]],
                        data.elements[0]);
  var coderPick = picker("Coder", [[null, data.coders]], data.default_coder);
  var about = el("p", "lsx-about", null, root);
  var panels = el("div", "lsx-panels", null, root);
  var prof = el("section", "lsx-profile", null, panels);
  var profTitle = el("h3", "lsx-h", null, prof);
  var bars = el("div", "lsx-bars", null, prof);
  var legend = el("p", "lsx-legend", null, prof);
  var palette = {};
  data.palette.forEach(function (p) {
    palette[p[0]] = p[1];
    var item = el("span", null, null, legend);
    el("span", "lsx-swatch", null, item).style.background = p[1];
    item.appendChild(document.createTextNode(p[0]));
  });
  el("p", "lsx-note", "Bars count units coded to each element; a unit coded to two elements counts " +
     "for both. Click an element to list its units.", prof);
  var ret = el("section", "lsx-retrieval", null, panels);
  var retTitle = el("h3", "lsx-h", null, ret);
  var count = el("p", "lsx-count", null, ret);
  var list = el("ol", "lsx-units", null, ret);
  function colour(code) { return palette[codes[code][3]] || data.other_colour; }
  function update() {
    var cs = casePick.value, cd = coderPick.value, code = codePick.value;
    var who = cases[cs][1] + ", " + cd;
    about.textContent = coders[cd][1] + ": " + coders[cd][2];
    profTitle.textContent = "7S profile: " + who;
    retTitle.textContent = codes[code][1] + ": " + who;
    var counts = (data.profile[cs] || {})[cd] || [], max = 1;
    data.cases.forEach(function (c) {
      ((data.profile[c[0]] || {})[cd] || []).forEach(function (v) { max = Math.max(max, v); });
    });
    bars.textContent = "";
    data.elements.forEach(function (e, i) {
      var v = counts[i] || 0;
      var button = el("button", "lsx-bar-label", codes[e][1], bars);
      button.type = "button";
      button.setAttribute("aria-pressed", String(e === code));
      button.addEventListener("click", function () { codePick.value = e; update(); });
      var track = el("span", "lsx-track", null, bars);
      var bar = el("span", "lsx-bar", null, track);
      bar.style.width = (82 * v / max) + "%";
      bar.style.background = colour(e);
      el("span", "lsx-num", String(v), track);
    });
    var rows = ((data.rows[cs] || {})[cd] || {})[code] || [], n = 0, last = null, item, tags, text;
    var nested = rows.some(function (r) { return r[1] !== code; });
    list.textContent = "";
    rows.forEach(function (r) {
      if (r[0] !== last) {
        last = r[0]; n += 1;
        item = el("li", "lsx-unit", null, list);
        item.style.borderLeftColor = colour(r[1]);
        el("p", "lsx-cite", data.units[r[0]][0], item);
        if (nested) tags = el("p", "lsx-tags", null, item);
        text = el("p", "lsx-text", data.units[r[0]][1], item);
      }
      if (nested) el("span", "lsx-tag", codes[r[1]][1], tags);
      var memo = nested ? "Memo (" + codes[r[1]][1] + "): " : "Memo: ";
      if (r[2]) item.insertBefore(el("p", "lsx-memo", memo + r[2]), text);
    });
    count.textContent = n + (n === 1 ? " unit" : " units") +
      (rows.length > n ? " (" + rows.length + " codings, nested themes included)" : "");
    if (!n) el("li", "lsx-empty", "No unit of this case is coded so by this coder.", list);
  }
  update();
})();
"""


def static_explorer(corpus: Corpus, coders: Iterable[str] | None = None) -> str:
    """The explorer as one self-contained HTML fragment for a published page.

    A ``<div>`` holding its style, the data of :func:`explorer_data` as escaped JSON, a
    ``<noscript>`` sentence and a short plain script (no library, nothing fetched) that draws
    pickers for case, code (7S elements, then themes) and coder, the retrieved units with their
    citations, memos and text, and the chosen case's element profile as bars. ``coders=None`` offers
    every human and derived coder; name a machine baseline in ``coders`` to add it, labelled as such.
    The same corpus gives the same string.

    >>> from lspkit import load_corpus
    >>> "auto" in static_explorer(load_corpus(), coders=["researcher", "auto"])
    True
    """
    payload = _json_for_script(explorer_data(corpus, coders))
    return "".join(
        [
            '<div class="lsx">',
            f"<style>{_CSS.strip()}</style>",
            "<noscript><p>The explorer needs JavaScript; in Python, <code>lspkit.analysis.retrieve</code> "
            "lists the same units and <code>lspkit.analysis.element_profile</code> gives the profile.</p></noscript>",
            f'<script type="application/json" class="lsx-data">{payload}</script>',
            f"<script>{_JS.strip()}</script>",
            "</div>",
        ]
    )
