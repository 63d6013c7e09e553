"""Plots of the analysis frames: each takes a tidy frame from :mod:`lspkit.analysis` and returns a
matplotlib Axes (with ``ax=None`` to draw on a new figure), so plots compose.

This module owns the visual language: one palette for the three dimensions (Okabe-Ito colours,
safe for colour-blind readers), a fixed font bundled with matplotlib (DejaVu Sans), and the
settings that make figures reproducible (no dates in metadata, fixed SVG ids).

Example:
    >>> from lspkit import load_corpus, analysis
    >>> corpus = load_corpus()
    >>> ax = balance_plot(analysis.balance(corpus), labels=labels(corpus))
    >>> [float(x) for x in ax.get_xlim()]
    [-1.0, 1.0]
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch, Rectangle

from .corpus import Corpus

PALETTE: dict[str, str] = {
    "super-ordinate": "#7F7F7F",  # grey
    "transformational": "#0072B2",  # blue
    "transactional": "#E69F00",  # orange
}
NO_DIMENSION = "#CC79A7"  # themes with no parent element

# A figure grows with the cases it shows up to MAX_INCHES on its long side; past MAX_LABELLED rows
# or columns of cases it stops writing a label or number on each one (they would overlap) and says
# how many it draws. Every case is still drawn: a national corpus of 3,000 partnerships gives a
# readable overview of bounded size, not a poster a hundred metres long.
MAX_INCHES = 14.0
MAX_LABELLED = 60


def _extent(n: int, per: float, base: float) -> float:
    """The length in inches of a side holding ``n`` rows at ``per`` inches each, capped."""
    return min(per * n + base, MAX_INCHES)


STYLE: dict[str, object] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "svg.hashsalt": "lspkit",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
    "image.cmap": "Blues",
}


def use_style() -> None:
    """Apply lspkit's plot settings globally (notebooks call this once)."""
    # matplotlib's stubs list every rc key as a Literal; STYLE holds valid keys
    plt.rcParams.update(STYLE)  # type: ignore[arg-type]


@contextmanager
def _style() -> Iterator[None]:
    with plt.rc_context(STYLE):  # type: ignore[arg-type]
        yield


def labels(corpus: Corpus) -> dict[str, str]:
    """Readable labels for the plots: code ids to code labels and case ids to short names.

    >>> from lspkit import load_corpus
    >>> labels(load_corpus())["staff_skills"], labels(load_corpus())["hammersmith-and-fulham"]
    ('Staff and skills', 'Hammersmith and Fulham')
    """
    out = dict(zip(corpus.codes["code_id"], corpus.codes["label"]))
    out.update(zip(corpus.cases["case_id"], corpus.cases["short_name"]))
    return out


def dimension_colours(corpus: Corpus) -> dict[str, str]:
    """The palette colour of every code, by its dimension."""
    dims = corpus.codes.set_index("code_id")["dimension"]
    return {c: PALETTE.get(str(d), NO_DIMENSION) for c, d in dims.items()}


def _label(names, mapping: Mapping[str, str] | None) -> list[str]:
    mapping = mapping or {}
    return [mapping.get(str(n), str(n)) for n in names]


def _legend_handles() -> list[Patch]:
    return [Patch(color=c, label=d) for d, c in PALETTE.items()]


def profile_plot(
    profile: pd.DataFrame,
    *,
    value: str = "unit_share",
    labels: Mapping[str, str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Bars of each element's ``value`` (a column of :func:`~lspkit.analysis.element_profile`),
    one panel per case, coloured by dimension. Returns the first panel's Axes (``ax.figure`` is the
    figure); with ``ax`` the profile must hold one case, drawn on it.

    >>> from lspkit import load_corpus, analysis
    >>> corpus = load_corpus()
    >>> ax = profile_plot(analysis.element_profile(corpus.case("bolton")), labels=labels(corpus))
    >>> ax.get_title(), len(ax.patches)
    ('Bolton', 7)
    """
    cases = list(pd.unique(profile["case_id"].astype(str)))
    with _style():
        if ax is not None:
            if len(cases) != 1:
                raise ValueError(f"profile_plot(ax=...) draws one case; the profile holds {len(cases)}")
            fig, axes = ax.get_figure(root=True), np.array([[ax]])
            assert fig is not None  # an Axes always belongs to a figure
        else:
            fig, axes = plt.subplots(
                1, len(cases), figsize=(3.2 * len(cases) + 1.6, 3.2), sharey=True, sharex=True, squeeze=False
            )
        for ax, case in zip(axes[0], cases):
            part = profile[profile["case_id"].astype(str) == case]
            y = np.arange(len(part))[::-1]
            colours = [PALETTE.get(str(d), NO_DIMENSION) for d in part["dimension"]]
            ax.barh(y, part[value].to_numpy(dtype=float), color=colours)
            ax.set_yticks(y, _label(part["element"], labels))
            ax.set_title(_label([case], labels)[0])
            ax.set_xlabel(value.replace("_", " "))
            for yi, v in zip(y, part[value].to_numpy(dtype=float)):
                ax.text(v, yi, f" {v:.2f}" if "share" in value else f" {v:.0f}", va="center", fontsize=8)
            top = float(profile[value].max()) if len(profile) else 1.0
            ax.set_xlim(0, (top or 1.0) * 1.2)
        fig.legend(handles=_legend_handles(), loc="lower center", ncol=3, frameon=False, fontsize=8)
        fig.tight_layout(rect=(0, 0.08, 1, 1))
    return axes[0][0]


def balance_plot(balance: pd.DataFrame, *, ax: Axes | None = None, labels: Mapping[str, str] | None = None) -> Axes:
    """Diverging bars from :func:`~lspkit.analysis.balance`: transactional share to the left,
    transformational share to the right, the balance index written at the end of each row."""
    with _style():
        if ax is None:
            _, ax = plt.subplots(figsize=(7, _extent(len(balance), 0.45, 1.2)))
        rows = balance.reset_index(drop=True)
        dense = len(rows) > MAX_LABELLED
        y = np.arange(len(rows))[::-1]
        ax.barh(
            y, -rows["transactional_share"].fillna(0).to_numpy(), color=PALETTE["transactional"], label="transactional"
        )
        ax.barh(
            y,
            rows["transformational_share"].fillna(0).to_numpy(),
            color=PALETTE["transformational"],
            label="transformational",
        )
        names = [f"{_label([c], labels)[0]} · {u}" for c, u in zip(rows["case_id"].astype(str), rows["units_of"])]
        if dense:
            ax.set_yticks([])
            ax.set_ylabel(f"{len(rows)} rows (cases × unit sets), in table order from the top")
            ax.set_ylim(-0.5, len(rows) - 0.5)
        else:
            ax.set_yticks(y, names)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_xlim(-1, 1)
        ax.set_xticks([-1, -0.5, 0, 0.5, 1], ["1.0", "0.5", "0", "0.5", "1.0"])
        ax.set_xlabel("share of coded units: transactional ←  → transformational")
        if not dense:
            for yi, b in zip(y, rows["balance_index"]):
                ax.text(
                    1.02,
                    yi,
                    "n/a" if pd.isna(b) else f"{b:+.2f}",
                    va="center",
                    fontsize=8,
                    transform=ax.get_yaxis_transform(),
                )
            ax.text(1.02, len(rows) - 0.35, "index", fontsize=8, transform=ax.get_yaxis_transform())
        below = 0.6 / max(len(rows), 1) if not dense else 0.6 / MAX_LABELLED
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - below), ncol=2, frameon=False, fontsize=8)
    return ax


def heatmap(
    matrix: pd.DataFrame,
    *,
    ax: Axes | None = None,
    labels: Mapping[str, str] | None = None,
    colours: Mapping[str, str] | None = None,
    fmt: str | None = None,
    value_label: str = "coded units",
) -> Axes:
    """A case × code matrix (:func:`~lspkit.analysis.case_code_matrix`) as an annotated heatmap.

    ``colours`` (code id to colour, e.g. :func:`dimension_colours`) tints the code labels, and a
    legend says what the label colours mean; ``value_label`` labels the colour bar.
    """
    values = matrix.to_numpy(dtype=float)
    if fmt is None:
        fmt = ".0f" if np.allclose(values, np.round(values)) else ".2f"
    with _style():
        if ax is None:
            _, ax = plt.subplots(figsize=(_extent(matrix.shape[1], 0.55, 2.5), _extent(matrix.shape[0], 0.5, 1.8)))
        dense = matrix.shape[0] > MAX_LABELLED
        image = ax.imshow(values, aspect="auto", cmap="Blues", vmin=0, interpolation="nearest" if dense else None)
        ax.set_xticks(range(matrix.shape[1]), _label(matrix.columns, labels), rotation=45, ha="right")
        if dense:
            ax.set_yticks([])
            ax.set_ylabel(f"{matrix.shape[0]} {matrix.index.name or 'rows'}, in table order from the top")
        else:
            ax.set_yticks(range(matrix.shape[0]), _label(matrix.index, labels))
            top = values.max() if values.size else 0
            for (i, j), v in np.ndenumerate(values):
                ax.text(
                    j,
                    i,
                    format(v, fmt),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if top and v > 0.6 * top else "black",
                )
        if colours:
            for tick, code in zip(ax.get_xticklabels(), matrix.columns):
                tick.set_color(colours.get(str(code), "black"))
        ax.spines[:].set_visible(False)
        bar = ax.figure.colorbar(image, ax=ax, shrink=0.8)
        bar.set_label(value_label)
        if colours:
            ax.legend(
                handles=_legend_handles(),
                title="label colour: dimension",
                loc="upper left",
                bbox_to_anchor=(0.0, -0.28 if matrix.shape[1] > 3 else -0.15),
                ncol=3,
                frameon=False,
                fontsize=8,
                title_fontsize=8,
            )
    return ax


def theme_dot_matrix(
    presence: pd.DataFrame,
    *,
    ax: Axes | None = None,
    labels: Mapping[str, str] | None = None,
    colours: Mapping[str, str] | None = None,
) -> Axes:
    """Themes × cases from :func:`~lspkit.analysis.theme_presence`: a dot where a theme occurs,
    its area proportional to the number of units, its colour the theme's dimension. Past
    ``MAX_LABELLED`` cases each occurrence is a thin tick instead, so gaps show where a theme is absent."""
    themes = list(dict.fromkeys(presence["code_id"].astype(str)))
    cases = list(dict.fromkeys(presence["case_id"].astype(str)))
    with _style():
        if ax is None:
            _, ax = plt.subplots(figsize=(_extent(len(cases), 1.3, 3.2), _extent(len(themes), 0.3, 1.2)))
        dense = len(cases) > MAX_LABELLED
        tpos = {t: i for i, t in enumerate(themes[::-1])}
        cpos = {c: i for i, c in enumerate(cases)}
        shown = presence[presence["units"] > 0]
        x = shown["case_id"].astype(str).map(cpos).to_numpy()
        y = shown["code_id"].astype(str).map(tpos).to_numpy()
        c = [(colours or {}).get(t, PALETTE["transformational"]) for t in shown["code_id"].astype(str)]
        if dense:  # dots would be specks: a tick per case where the theme occurs, gaps where it does not
            ax.scatter(x, y, s=120, c=c, marker="|", linewidths=0.6, zorder=3)
            ax.set_xticks([])
            ax.set_xlabel(f"{len(cases)} cases, in table order from the left (a tick where the theme occurs)")
        else:
            ax.scatter(x, y, s=40 * shown["units"].to_numpy(dtype=float), c=c, zorder=3)
            for xi, yi, n in zip(x, y, shown["units"]):
                ax.annotate(str(int(n)), (xi, yi), xytext=(9, -3), textcoords="offset points", fontsize=7)
            ax.set_xticks(range(len(cases)), _label(cases, labels))
        ax.set_yticks(range(len(themes)), _label(themes[::-1], labels))
        ax.set_xlim(-0.6, len(cases) - 0.4)
        ax.set_ylim(-0.7, len(themes) - 0.3)
        if not dense:
            ax.grid(True, color="#dddddd", zorder=0)
        ax.legend(
            handles=_legend_handles() + [Patch(color=NO_DIMENSION, label="no parent element")],
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            frameon=False,
            fontsize=8,
        )
    return ax


def cooccurrence_plot(
    pairs: pd.DataFrame,
    order: list[str],
    *,
    ax: Axes | None = None,
    labels: Mapping[str, str] | None = None,
    colours: Mapping[str, str] | None = None,
    dimensions: Mapping[str, str] | None = None,
) -> Axes:
    """Codes × codes heatmap of :func:`~lspkit.analysis.cooccurrence` (symmetric; ``order`` gives the
    codes). With ``dimensions`` the transformational × transactional block, the interdependence the
    case studies ask about, is outlined."""
    idx = {c: i for i, c in enumerate(order)}
    grid = np.zeros((len(order), len(order)))
    for a, b, n in zip(pairs["code_a"].astype(str), pairs["code_b"].astype(str), pairs["units"]):
        if a in idx and b in idx:
            grid[idx[a], idx[b]] = grid[idx[b], idx[a]] = n
    matrix = pd.DataFrame(grid, index=order, columns=order)
    ax = heatmap(matrix, ax=ax, labels=labels, colours=colours, fmt=".0f", value_label="units coded to both")
    if colours:
        for tick, code in zip(ax.get_yticklabels(), order):
            tick.set_color(colours.get(code, "black"))
    if dimensions:
        tf = [i for i, c in enumerate(order) if dimensions.get(c) == "transformational"]
        tc = [i for i, c in enumerate(order) if dimensions.get(c) == "transactional"]
        if tf and tc:
            for rows, cols in ((tf, tc), (tc, tf)):
                ax.add_patch(
                    Rectangle(
                        (min(cols) - 0.5, min(rows) - 0.5),
                        len(cols),
                        len(rows),
                        fill=False,
                        edgecolor="#D55E00",
                        linewidth=2,
                    )
                )
            handles = _legend_handles() + [
                Rectangle(
                    (0, 0),
                    1,
                    1,
                    fill=False,
                    edgecolor="#D55E00",
                    linewidth=2,
                    label="transformational × transactional pairs",
                )
            ]
            ax.legend(
                handles=handles,
                title="label colour: dimension",
                loc="upper left",
                bbox_to_anchor=(0.0, -0.32),
                ncol=2,
                frameon=False,
                fontsize=8,
                title_fontsize=8,
            )
    return ax


# Where the seven elements stand in a link network: the super-ordinate goals at the top centre, the
# transformational elements down the left, the transactional ones down the right.
NETWORK_POSITIONS: dict[str, tuple[float, float]] = {
    "goals": (0.0, 1.25),
    "staff_skills": (-1.0, 0.55),
    "style": (-1.0, -0.15),
    "synergies": (-1.0, -0.85),
    "standards": (1.0, 0.55),
    "steering": (1.0, -0.15),
    "systems": (1.0, -0.85),
}
# Okabe-Ito colours for relations, in the order the codebook lists them (then grey).
RELATION_COLOURS = ["#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#0072B2", "#E69F00", "#000000", "#999999"]


def link_network(
    links: pd.DataFrame,
    *,
    ax: Axes | None = None,
    labels: Mapping[str, str] | None = None,
    relations: list[str] | None = None,
    dimensions: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Axes:
    """A causal-network display (after Miles and Huberman) of one case's links.

    ``links`` is a slice of ``corpus.links``. The seven elements stand by dimension (goals at the
    top, transformational on the left, transactional on the right); each kind of link (source,
    target, direction, relation, evidence) is one arrow whose width grows with its number of links,
    solid when the text states it (explicit) and dashed when inferred, double-headed when mutual,
    coloured by relation. Arrows between the same two elements are bent apart so that none hides
    another, which keeps a case with 40 links readable.

    >>> from lspkit import load_corpus
    >>> corpus = load_corpus()
    >>> ax = link_network(corpus.case("bolton").coder("researcher").links, labels=labels(corpus))
    >>> len(ax.patches) > 0, [float(x) for x in ax.get_xlim()]
    (True, [-2.0, 2.0])
    """
    relations = list(relations) if relations is not None else sorted(pd.unique(links["relation"]))
    colour = {r: RELATION_COLOURS[i % len(RELATION_COLOURS)] for i, r in enumerate(relations)}
    dims = dict(dimensions or {})
    with _style():
        if ax is None:
            _, ax = plt.subplots(figsize=(7.6, 6.0))
        from matplotlib.lines import Line2D
        from matplotlib.patches import FancyArrowPatch

        kinds = (
            links.groupby(["source", "target", "direction", "relation", "evidence"], sort=True)
            .size()
            .rename("n")
            .reset_index()
        )
        pair_key = kinds.apply(lambda r: tuple(sorted((r["source"], r["target"]))), axis=1)
        bend: dict[tuple[str, str], int] = {}
        for i, row in kinds.iterrows():
            key = pair_key[i]
            k = bend.get(key, 0)
            bend[key] = k + 1
            start, end = NETWORK_POSITIONS[row["source"]], NETWORK_POSITIONS[row["target"]]
            forward = (row["source"], row["target"]) == key
            rad = (0.12 + 0.14 * (k // 2)) * (1 if k % 2 == 0 else -1) * (1 if forward else -1)
            if start[0] == end[0]:  # a link down one column bows outwards, further for each further link
                span = abs(start[1] - end[1])
                rad = (0.5 + 0.25 * k) / span * (1 if (start[0] < 0) == (start[1] > end[1]) else -1)
            arrow = FancyArrowPatch(
                start,
                end,
                arrowstyle="<|-|>" if row["direction"] == "mutual" else "-|>",
                connectionstyle=f"arc3,rad={rad:.2f}",
                mutation_scale=12,
                linewidth=1.0 + 1.2 * (int(row["n"]) - 1),
                linestyle="-" if row["evidence"] == "explicit" else (0, (4, 2)),
                color=colour.get(row["relation"], "#999999"),
                shrinkA=24,
                shrinkB=24,
                alpha=0.9,
                zorder=2,
            )
            ax.add_patch(arrow)
        for element, (x, y) in NETWORK_POSITIONS.items():
            ax.text(
                x,
                y,
                "\n".join(_wrap(_label([element], labels)[0], 14)),
                ha="center",
                va="center",
                zorder=3,
                fontsize=9,
                bbox=dict(
                    boxstyle="round,pad=0.45",
                    facecolor="white",
                    edgecolor=PALETTE.get(dims.get(element, ""), "#7F7F7F"),
                    linewidth=2,
                ),
            )
        ax.text(
            -1.0, 1.0, "transformational", ha="center", color=PALETTE["transformational"], fontsize=9, fontweight="bold"
        )
        ax.text(1.0, 1.0, "transactional", ha="center", color=PALETTE["transactional"], fontsize=9, fontweight="bold")
        ax.set_xlim(-2.0, 2.0)
        ax.set_ylim(-1.25, 1.55)
        ax.set_axis_off()
        ax.set_aspect("equal")
        used = [r for r in relations if r in set(links["relation"])]
        handles = [Line2D([], [], color=colour[r], linewidth=2, label=r.replace("_", " ")) for r in used]
        handles += [
            Line2D([], [], color="#444444", linewidth=1.5, label="explicit (stated)"),
            Line2D([], [], color="#444444", linewidth=1.5, linestyle=(0, (4, 2)), label="inferred"),
            Line2D([], [], color="#444444", linewidth=3.4, label="width: number of links"),
        ]
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=3, frameon=False, fontsize=8)
        if title:
            ax.set_title(title)
        if links.empty:
            ax.text(0, 0.2, "no links recorded", ha="center", color="#555555")
    return ax


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [text]
