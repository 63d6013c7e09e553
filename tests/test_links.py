"""Link data and link analyses on a small hand-made corpus whose answers are worked out by hand."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from lspkit import linkanalysis as L
from lspkit import plots
from lspkit.codebook import load_codebook
from lspkit.corpus import Corpus
from lspkit.errors import LspkitError, ProblemLog
from lspkit.links import LINK_FILE_COLUMNS, check_links, link_citation

from .conftest import DATA

RELATIONS = {"enables": "", "leads_to": "", "aligns": "", "funds": ""}
# unit: words (each text is its id, repeated)
UNITS = {"a.p01": 3, "a.p04": 3, "a.p06": 4, "a.p07": 2, "a.p08": 5, "a.lp1": 3, "b.p04": 2, "b.p05": 3, "b.lp1": 2}
CODINGS = [("a.p04", "goals"), ("a.p06", "staff_skills"), ("a.lp1", "staff_skills"), ("a.p07", "synergies"),
           ("a.p07", "steering"), ("a.p08", "steering"), ("a.p08", "systems"), ("b.p04", "style"),
           ("b.p04", "standards"), ("b.p05", "synergies"), ("b.lp1", "systems")]
LINKS = [  # link_id, unit_ids, source, target, direction, relation, evidence, status, coder
    ("a.L01", "a.p06 a.lp1", "staff_skills", "synergies", "one-way", "leads_to", "explicit", "achieved", "researcher"),
    ("a.L02", "a.p07 a.lp1", "synergies", "steering", "one-way", "enables", "inferred", "aim", "researcher"),
    ("a.L03", "a.p08", "steering", "systems", "mutual", "aligns", "explicit", "in_progress", "researcher"),
    ("b.L01", "b.p04", "style", "standards", "one-way", "enables", "explicit", "achieved", "researcher"),
    ("b.L02", "b.p05", "synergies", "steering", "one-way", "enables", "explicit", "achieved", "researcher"),
    ("a.L01", "a.p06", "staff_skills", "synergies", "one-way", "leads_to", "explicit", "achieved", "anna"),
    ("a.L02", "a.p07", "style", "systems", "one-way", "enables", "explicit", "achieved", "anna"),
]


@pytest.fixture(scope="module")
def tiny(make_corpus) -> Corpus:
    return make_corpus(UNITS, {"researcher": CODINGS}, LINKS, ["structure", "researcher", "anna"])


def test_links_frame(tiny):
    links = tiny.links.set_index(["coder", "link_id"])
    row = links.loc[("researcher", "a.L01")]
    assert row["unit_ids"] == ("a.p06", "a.lp1") and row["case_id"] == "a"
    assert row["citation"] == "A ¶6, learning point 1"
    assert not row["cross"] and links.loc[("researcher", "a.L02"), "cross"]
    assert not links.loc[("researcher", "a.L03"), "cross"]  # steering and systems: both transactional
    assert tiny.coder("anna").links["link_id"].tolist() == ["a.L01", "a.L02"]
    assert tiny.case("b").links["link_id"].tolist() == ["b.L01", "b.L02"]


def test_link_matrix_counts_explicit_and_inferred_apart(tiny):
    m = L.link_matrix(tiny.case("a"))
    assert m[["source", "target", "explicit", "inferred", "links"]].values.tolist() == [
        ["staff_skills", "synergies", 1, 0, 1], ["synergies", "steering", 0, 1, 1], ["steering", "systems", 1, 0, 1]]
    assert L.link_matrix(tiny, cross=True)["links"].sum() == 3  # a.L02, b.L01, b.L02
    wide = L.link_matrix_wide(m, tiny.elements)
    assert wide.loc["synergies", "steering"] == 1 and wide.loc["steering", "synergies"] == 0
    assert wide.shape == (7, 7)


def test_chains_follow_targets_to_sources_and_mutual_links_both_ways(tiny):
    loose = L.link_chains(tiny, thread="element")
    assert loose["case_id"].tolist() == ["a"]  # b's two links share no element
    row = loose.iloc[0]
    assert row["elements"] == ("staff_skills", "synergies", "steering", "systems")
    assert row["steps"] == 3 and row["links"] == "a.L01 | a.L02 | a.L03" and row["crosses"]
    assert row["citations"] == "A ¶6, learning point 1 | A ¶7, learning point 1 | A ¶8"
    # by default consecutive links must share a unit: a.L03 (¶8) shares none with a.L02
    strict = L.link_chains(tiny)
    assert strict["links"].tolist() == ["a.L01 | a.L02"]
    assert strict["path"].tolist() == ["staff_skills → synergies → steering"]


def test_meta_matrix_shows_which_kinds_of_link_recur(tiny):
    meta = L.link_meta_matrix(tiny)
    first = meta.iloc[0]
    assert first["link"] == "synergies → steering (enables)" and first["cases"] == 2
    assert (first["a"], first["b"]) == ("A ¶7, learning point 1", "B ¶5")
    assert meta["link"].tolist()[1] == "style → standards (enables)"
    assert len(meta) == 2  # cross-dimension only by default


def test_one_sided_practice_is_the_negative_evidence(tiny):
    # a.lp1 is transformational only, but the cross-dimension link a.L02 rests on it
    assert L.one_sided(tiny)["unit_id"].tolist() == ["a.p06", "a.p08", "b.lp1"]


def test_retrieve_links_gives_the_exact_text(tiny):
    got = L.retrieve_links(tiny, case_id="a", source="staff_skills")
    assert got["link_id"].tolist() == ["a.L01"]
    assert got.loc[0, "text"] == "A ¶6: a.p06 a.p06 a.p06 a.p06\n\nA, learning point 1: a.lp1 a.lp1 a.lp1"
    assert L.retrieve_links(tiny, source="steering", target="synergies", undirected=True)["link_id"].tolist() == [
        "a.L02", "b.L02"]
    with pytest.raises(LspkitError, match="not a 7S element"):
        L.retrieve_links(tiny, source="leadership")


def test_link_agreement(tiny):
    agree = L.link_agreement(tiny, ["researcher", "anna"]).set_index("case_id")
    assert agree.loc["a"].tolist()[:4] == [3, 2, 1, 1]
    assert agree.loc["a", "agreement"] == pytest.approx(2 / 5)
    assert agree.loc["b", "agreement"] == 0
    assert agree.loc["all cases", "agreement"] == pytest.approx(2 / 7)


def test_summary(tiny):
    s = L.link_summary(tiny).set_index("case_id")
    # a: three links, one across the dimensions (a.L02, synergies to steering: transformational to transactional)
    assert s.loc["a"].tolist() == [3, 1, 1, 0, 0, 2, 1, 1, 1, 1]
    assert s.loc["b"].tolist() == [2, 2, 2, 0, 0, 2, 0, 2, 0, 0]


def test_network_plot_draws_one_arrow_per_kind_of_link(tiny):
    ax = plots.link_network(tiny.case("a").coder("researcher").links, relations=list(RELATIONS))
    assert len(ax.patches) == 3
    dashed = [p.get_linestyle() != "-" for p in ax.patches]
    assert sum(dashed) == 1  # the one inferred link (a.L02) is dashed
    widths = sorted(p.get_linewidth() for p in ax.patches)
    assert widths[0] == widths[-1]  # one link of each kind: equal widths
    plt.close("all")


BAD = [  # (row values changed from a good link, expected message)
    ({"unit_ids": "a.p99"}, "unknown unit(s) 'a.p99'"),
    ({"unit_ids": "a.p06 b.p04"}, "units from more than one case (a, b)"),
    ({"unit_ids": "a.p01"}, "are boilerplate"),
    ({"unit_ids": ""}, "no unit ids"),
    ({"memo": ""}, "the memo is empty"),
    ({"direction": "both"}, "direction 'both' is not one of one-way, mutual"),
    ({"relation": "causes"}, "relation 'causes' is not one of enables"),
    ({"evidence": "strong"}, "evidence 'strong' is not one of explicit, inferred"),
    ({"status": "done"}, "status 'done' is not one of achieved, in_progress, aim"),
    ({"source": "joint_appointments"}, "source 'joint_appointments' is not a 7S element"),
    ({"target": "staff_skills"}, "source and target are both 'staff_skills'"),
    ({"link_id": "L1"}, "link id 'L1' is not of the form"),
    ({"link_id": "b.L09"}, "does not start with its case id 'a'"),
    ({"coder": "bob"}, "coder 'bob' in the file of coder 'researcher'"),
]


@pytest.mark.parametrize("change, message", BAD, ids=[m for _, m in BAD])
def test_each_bad_link_is_reported_with_file_and_row(tiny, change, message):
    good = dict(zip(LINK_FILE_COLUMNS, (*LINKS[0], "memo")))
    bad = dict(good, **change)
    log = ProblemLog()
    rows = [("links/researcher.csv", 2, good), ("links/researcher.csv", 3, bad)]
    frame = check_links(rows, tiny.units, tiny.codes, tiny.coders, RELATIONS, {}, log)
    assert [str(p) for p in log.problems if "row 3" in str(p)], log.problems
    assert any(message in str(p) and p.where == "row 3" and p.file == "links/researcher.csv" for p in log.problems)
    assert frame["link_id"].tolist() == ["a.L01"]  # the good row is kept


def test_duplicates_are_reported():
    book = load_codebook(DATA / "codebook.yml")
    log = ProblemLog()
    rec = dict(zip(LINK_FILE_COLUMNS, (*LINKS[0], "memo")))
    units = pd.DataFrame({"unit_id": ["a.p06", "a.lp1"], "case_id": "a", "boilerplate": False, "citation": ["x", "y"]})
    coders = pd.DataFrame({"coder": ["researcher"], "kind": ["human"]})
    rows = [("r/researcher.csv", 2, rec), ("r/researcher.csv", 3, rec), ("r/researcher.csv", 4, dict(rec, link_id="a.L05"))]
    check_links(rows, units, book.codes, coders, RELATIONS, {}, log)
    messages = [str(p) for p in log.problems]
    assert messages[0].startswith("r/researcher.csv, row 3: duplicate link id 'a.L01'")
    assert "row 4: duplicates another link" in messages[-1]


def test_link_citation():
    assert link_citation(["B ¶5"], "B") == "B ¶5"
