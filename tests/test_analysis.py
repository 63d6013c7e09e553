"""Analyses on a small hand-made corpus whose answers are worked out by hand in the comments."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lspkit import analysis as A
from lspkit.corpus import Corpus
from lspkit.errors import LspkitError

# unit: (heading element, document dimension, words); the case and kind come from the id
UNITS = {
    "a.p01": (None, None, 30),                          # boilerplate
    "a.p04": ("goals", "super-ordinate", 10),
    "a.p06": ("staff_skills", "transformational", 20),
    "a.p07": ("style", "transformational", 5),
    "a.lp1": (None, "transformational", 4),
    "a.lp2": (None, "transactional", 6),
    "b.p04": ("steering", "transactional", 8),
    "b.p05": ("steering", "transactional", 12),
    "b.lp1": (None, "transactional", 3),
    "b.question1": (None, None, 9),
}
STRUCTURE = [("a.p04", "goals"), ("a.p06", "staff_skills"), ("a.p07", "style"), ("b.p04", "steering"),
             ("b.p05", "steering")]
RESEARCHER = [("a.p04", "goals"), ("a.p06", "staff_skills"), ("a.p06", "systems"), ("a.p06", "joint_appointments"),
              ("a.p07", "style"), ("a.p07", "pooled_resources"), ("a.lp1", "staff_skills"),
              ("a.lp2", "steering"), ("a.lp2", "standards"), ("b.p04", "steering"), ("b.p04", "mainstream_budgets"),
              ("b.p05", "standards"), ("b.p05", "joint_appointments"), ("b.lp1", "systems"),
              ("b.question1", "community_engagement")]


@pytest.fixture(scope="module")
def tiny(make_corpus) -> Corpus:
    # every text is "w w ..." (its words), cited as "A a.p06"
    units = {uid: {"heading_element": element, "dimension": dim, "words": words}
             for uid, (element, dim, words) in UNITS.items()}
    return make_corpus(units, {"structure": STRUCTURE, "researcher": RESEARCHER}, text="w",
                       citation="{short_name} {unit_id}", parents={"mainstream_budgets": "pooled_resources"})


def test_element_profile_counts_units_and_words(tiny):
    p = A.element_profile(tiny).set_index(["case_id", "element"])
    # Case a: coded evidence units p04, p06, p07, lp1, lp2 = 5 units, 10+20+5+4+6 = 45 words.
    assert p.loc[("a", "staff_skills"), "units"] == 2          # p06 and lp1
    assert p.loc[("a", "staff_skills"), "unit_share"] == pytest.approx(2 / 5)
    assert p.loc[("a", "staff_skills"), "words"] == 24
    assert p.loc[("a", "staff_skills"), "word_share"] == pytest.approx(24 / 45)
    assert p.loc[("a", "synergies"), "units"] == 0              # zeros are listed, not dropped
    assert p.loc[("b", "systems"), "unit_share"] == pytest.approx(1 / 3)
    assert len(p) == 2 * 7
    assert str(p.loc[("a", "style"), "dimension"]) == "transformational"


def test_balance_index(tiny):
    b = A.balance(tiny).set_index(["case_id", "units_of"])
    # a narrative: p06 is both (staff_skills + systems), p07 transformational, p04 goals is outside.
    row = b.loc[("a", "narrative")]
    assert (row["transformational"], row["transactional"], row["both"], row["total"]) == (2, 1, 1, 2)
    assert row["balance_index"] == pytest.approx((2 - 1) / (2 + 1))
    assert b.loc[("a", "learning points"), "balance_index"] == pytest.approx(0.0)
    assert b.loc[("b", "narrative"), "balance_index"] == pytest.approx(-1.0)
    assert b.loc[("b", "narrative"), "transactional_share"] == pytest.approx(1.0)


def test_balance_for_the_structure_coder_uses_the_documents_learning_point_dimension(tiny):
    b = A.balance(tiny, coder="structure").set_index(["case_id", "units_of"])
    assert b.loc[("a", "learning points"), ["transformational", "transactional"]].tolist() == [1, 1]
    assert b.loc[("b", "learning points"), "balance_index"] == pytest.approx(-1.0)


def test_case_code_matrix_and_normalisation(tiny):
    m = A.case_code_matrix(tiny)
    assert m.loc["b"].to_dict() == {"goals": 0, "staff_skills": 0, "style": 0, "synergies": 0, "steering": 1,
                                    "standards": 1, "systems": 1}
    assert A.case_code_matrix(tiny, normalise="row").loc["b", "steering"] == pytest.approx(1 / 3)
    assert A.case_code_matrix(tiny, normalise="column").loc["a", "steering"] == pytest.approx(1 / 2)
    # share of the case's evidence units (b has p04, p05, lp1; the question is not evidence)
    assert A.case_code_matrix(tiny, normalise="case_units").loc["b", "standards"] == pytest.approx(1 / 3)
    themes = A.case_code_matrix(tiny, code_kind="theme")
    assert themes.loc["a", "joint_appointments"] == 1 and themes.loc["b", "mainstream_budgets"] == 1
    with pytest.raises(LspkitError, match="unknown option 'rows'"):
        A.case_code_matrix(tiny, normalise="rows")


def test_framework_matrix_cites_units_in_each_cell(tiny):
    fm = A.framework_matrix(tiny, excerpt_words=2)
    assert fm.loc["a", "staff_skills"] == "A a.p06: w w…\nA a.lp1: w w…"
    assert fm.loc["b", "goals"] == ""
    assert list(fm.columns) == tiny.elements


def test_export_framework_matrix_to_csv_and_reproducible_excel(tiny, tmp_path):
    fm = A.framework_matrix(tiny)
    csv = A.export_table(fm, tmp_path / "fm.csv")
    back = pd.read_csv(csv, index_col=0, keep_default_na=False)
    assert back.loc["a", "staff_skills"] == fm.loc["a", "staff_skills"]
    first = A.export_table(fm, tmp_path / "one.xlsx").read_bytes()
    second = A.export_table(fm, tmp_path / "two.xlsx").read_bytes()
    assert first == second
    sheet = pd.read_excel(tmp_path / "one.xlsx", index_col=0, na_filter=False)
    assert sheet.loc["b", "standards"] == fm.loc["b", "standards"]


def test_theme_meta_matrix(tiny):
    meta = A.theme_meta_matrix(tiny)
    assert meta.index[0] == "joint_appointments"
    assert meta.loc["joint_appointments", "pattern"] == "all cases"
    assert meta.loc["pooled_resources", "pattern"] == "only a"
    assert meta.loc["health_improvement", "pattern"] == "none"
    assert meta.loc["joint_appointments", ["a", "b", "n_cases"]].tolist() == [1, 1, 2]
    presence = A.theme_presence(tiny)
    assert len(presence) == len(tiny.themes) * 2
    assert presence["present"].sum() == 4  # joint x2, pooled, mainstream; the question is not evidence


def test_cooccurrence_and_interdependence(tiny):
    pairs = A.cooccurrence(tiny).set_index(["code_a", "code_b"])
    assert pairs.loc[("staff_skills", "systems"), "units"] == 1
    assert pairs.loc[("staff_skills", "systems"), "link"] == "transformational-transactional"
    assert pairs.loc[("steering", "standards"), "link"] == "within transactional"
    assert len(pairs) == 2
    everything = A.cooccurrence(tiny, code_kind="all").set_index(["code_a", "code_b"])
    assert everything.loc[("staff_skills", "joint_appointments"), "link"] == "theme"
    links = A.interdependence(tiny)
    assert links["unit_id"].tolist() == ["a.p06"]
    assert links.iloc[0][["transformational", "transactional"]].tolist() == ["staff_skills", "systems"]
    summary = A.interdependence_summary(tiny).set_index("case_id")
    assert summary.loc["a", "linking_units"] == 1 and summary.loc["a", "coded_units"] == 5
    assert summary.loc["b", "linking_share"] == 0


def test_retrieve_by_code_case_and_coder(tiny):
    got = A.retrieve(tiny, code="pooled_resources", coder="researcher")
    assert got["unit_id"].tolist() == ["a.p07", "b.p04"]  # the nested theme mainstream_budgets comes along
    assert A.retrieve(tiny, code="pooled_resources", coder="researcher",
                      include_subthemes=False)["unit_id"].tolist() == ["a.p07"]
    assert A.retrieve(tiny, case_id="b", coder="structure")["citation"].tolist() == ["B b.p04", "B b.p05"]
    with pytest.raises(LspkitError, match="unknown code 'nonsense'"):
        A.retrieve(tiny, code="nonsense")
    # evidence units by default, as every analysis; the closing questions only when asked for
    assert A.retrieve(tiny, code="community_engagement", coder="researcher").empty
    assert A.retrieve(tiny, code="community_engagement", coder="researcher", kinds=None)["unit_id"].tolist() == [
        "b.question1"]


def test_every_matrix_cell_is_the_number_of_units_retrieve_lists(corpus):
    # The notebooks' tracing promise: a cell of the case x element matrix is exactly the units
    # retrieve() returns for that case, element and coder (the element's themes are not added), less
    # the codings whose status is only an aim, which retrieve lists and the counts leave out.
    for coder in ("researcher", "structure"):
        matrix = A.case_code_matrix(corpus, coder)
        for case_id in corpus.case_ids:
            for element in corpus.elements:
                rows = A.retrieve(corpus, code=element, case_id=case_id, coder=coder, kinds=A.EVIDENCE_KINDS)
                assert rows["unit_id"].is_unique and set(rows["code_id"]) <= {element}
                assert len(rows[rows["status"] != "aim"]) == matrix.loc[case_id, element], (coder, case_id, element)


def test_departures(tiny):
    d = A.departures(tiny)
    assert d["unit_id"].tolist() == ["b.p05"]
    assert d.iloc[0]["filed_under"] == "steering" and d.iloc[0]["coded_as"] == "standards"


def test_practices_not_mentions(make_corpus):
    # a.p04 and the learning point restating it are one practice; a.p05 is an aim only; b is twice as long
    units = {"a.p04": 10, "a.p05": 10, "a.p05.quote1": 5, "a.lp1": 5, "b.p04": 40, "b.p05": 10}
    codings = {"ann": [("a.p04", "pooled_resources", "", "achieved"), ("a.lp1", "pooled_resources", "", "achieved"),
                       ("a.p05", "pooled_resources", "", "aim"), ("a.p05.quote1", "pooled_resources", "", "in_progress"),
                       ("b.p04", "pooled_resources", "", "achieved"), ("b.p05", "pooled_resources", "", "aim")]}
    corpus = make_corpus(units, codings, restates=[("a.lp1", "a.p04", "ann")])
    rec = A.practice_recurrence(corpus, "ann").set_index(["code_id", "case_id"])
    a, b = rec.loc[("pooled_resources", "a")], rec.loc[("pooled_resources", "b")]
    # a: {p04, lp1} achieved; {p05} aim only; {p05.quote1} in progress (a quotation restating nothing)
    assert a[["practices", "achieved", "in_progress", "aims", "passages", "words"]].tolist() == [2, 1, 1, 1, 4, 30]
    assert b[["practices", "achieved", "in_progress", "aims", "passages", "words"]].tolist() == [1, 1, 0, 1, 2, 50]
    assert a["per_1000_words"] == pytest.approx(1000 * 2 / 30, abs=0.005)
    assert b["per_1000_words"] == pytest.approx(1000 * 1 / 50, abs=0.005)
    meta = A.theme_meta_matrix(corpus, "ann")
    assert meta.loc["pooled_resources", ["a", "b", "n_cases", "practices", "aims"]].tolist() == [2, 1, 2, 3, 2]
    assert "count once" in meta.attrs["counts"]
    # the unit counts leave the aims out too, and retrieve lists them with their status
    assert A.case_code_matrix(corpus, "ann", code_kind="theme").loc["a", "pooled_resources"] == 3
    assert A.retrieve(corpus, code="pooled_resources", coder="ann")["status"].tolist() == [
        "achieved", "aim", "in_progress", "achieved", "achieved", "aim"]


def test_a_restatement_must_join_a_learning_point_or_quotation_to_a_paragraph_of_its_case(make_corpus):
    with pytest.raises(ValueError, match="'a.p05' is not a learning point or quotation"):
        make_corpus(["a.p04", "a.p05"], {"ann": [("a.p04", "goals")]}, restates=[("a.p05", "a.p04", "ann")])
    with pytest.raises(ValueError, match="'b.p04' is in another case than 'a.lp1'"):
        make_corpus(["a.p04", "a.lp1", "b.p04"], {"ann": [("a.p04", "goals")]}, restates=[("a.lp1", "b.p04", "ann")])
