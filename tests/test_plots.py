"""Plots: each takes an analysis frame and returns a matplotlib object; output is reproducible;
large corpora give figures of bounded size that still draw every case."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import lspkit  # noqa: E402
from lspkit import analysis, plots  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))


def _figures(corpus: lspkit.Corpus) -> dict[str, Figure]:
    labels, colours = plots.labels(corpus), plots.dimension_colours(corpus)
    dims = corpus.codes.set_index("code_id")["dimension"].astype(str).to_dict()
    made = {
        "profile": plots.profile_plot(analysis.element_profile(corpus.case(corpus.case_ids[0])), labels=labels),
        "balance": plots.balance_plot(analysis.balance(corpus), labels=labels),
        "heatmap": plots.heatmap(analysis.case_code_matrix(corpus), labels=labels, colours=colours),
        "themes": plots.theme_dot_matrix(analysis.theme_presence(corpus), labels=labels, colours=colours),
        "cooccurrence": plots.cooccurrence_plot(analysis.cooccurrence(corpus), corpus.elements, labels=labels,
                                                colours=colours, dimensions=dims),
    }
    return {k: v if isinstance(v, Figure) else v.figure for k, v in made.items()}


def _svg(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    with plt.rc_context(plots.STYLE):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def test_each_plot_returns_a_figure_or_axes_and_redraws_byte_for_byte(corpus):
    first = _figures(corpus)
    again = _figures(corpus)
    for name in first:
        assert _svg(first[name]) == _svg(again[name]), name
    plt.close("all")


def test_one_palette_for_the_three_dimensions(corpus):
    ax = plots.balance_plot(analysis.balance(corpus))
    colours = {matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches}
    assert colours == {plots.PALETTE["transformational"].lower(), plots.PALETTE["transactional"].lower()}
    heat = plots.heatmap(analysis.case_code_matrix(corpus), colours=plots.dimension_colours(corpus))
    tick = {t.get_text(): matplotlib.colors.to_hex(t.get_color()) for t in heat.get_xticklabels()}
    assert tick["staff_skills"] == plots.PALETTE["transformational"].lower()
    assert tick["systems"] == plots.PALETTE["transactional"].lower()
    plt.close("all")


@pytest.fixture(scope="module")
def national(tmp_path_factory) -> lspkit.Corpus:
    from synth import write_corpus

    return lspkit.load_corpus(write_corpus(tmp_path_factory.mktemp("synthetic") / "d", cases=150, seed=4))


def test_many_cases_give_a_bounded_figure_that_draws_every_case(national):
    n = len(national.case_ids)
    assert n > plots.MAX_LABELLED
    heat = plots.heatmap(analysis.case_code_matrix(national))
    assert heat.images[0].get_array().shape == (n, len(national.elements))  # every case drawn
    assert len(heat.texts) == 0 and max(heat.figure.get_size_inches()) <= plots.MAX_INCHES
    assert f"{n} case_id" in heat.get_ylabel()  # the reader is told what the rows are

    bal = plots.balance_plot(analysis.balance(national))
    assert len(bal.patches) == 2 * 2 * n  # two bars for each case and unit set
    assert max(bal.figure.get_size_inches()) <= plots.MAX_INCHES

    presence = analysis.theme_presence(national)
    dots = plots.theme_dot_matrix(presence)
    assert len(dots.collections[0].get_offsets()) == int((presence["units"] > 0).sum())
    assert max(dots.figure.get_size_inches()) <= plots.MAX_INCHES
    plt.close("all")


def test_few_cases_are_labelled_and_annotated(corpus):
    heat = plots.heatmap(analysis.case_code_matrix(corpus))
    assert [t.get_text() for t in heat.get_yticklabels()] == corpus.case_ids
    assert len(heat.texts) == len(corpus.case_ids) * len(corpus.elements)  # one number per cell
    plt.close("all")


def test_profile_plot_returns_axes_and_draws_on_a_given_one(corpus):
    one = analysis.element_profile(corpus.case("bolton"))
    ax = plots.profile_plot(one, labels=plots.labels(corpus))
    assert ax.get_title() == "Bolton" and len(ax.patches) == len(corpus.elements)
    fig, given = plt.subplots()
    assert plots.profile_plot(one, ax=given) is given and given.figure is fig
    with pytest.raises(ValueError, match="draws one case"):
        plots.profile_plot(analysis.element_profile(corpus), ax=given)
    plt.close("all")
