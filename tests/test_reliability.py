"""Reliability coefficients, checked against published worked examples with known answers.

Sources of the worked examples:

* Krippendorff, K. (2011). *Computing Krippendorff's Alpha-Reliability*. Departmental Papers (ASC),
  Annenberg School for Communication, University of Pennsylvania, paper 43
  (https://repository.upenn.edu/asc_papers/43). Three examples: binary data, two observers, ten
  units (alpha = 0.095); nominal data, two observers, twelve units (alpha = 0.692); and four
  observers, twelve units, values 1-5 with missing data (alpha nominal 0.743, ordinal 0.815,
  interval 0.849, ratio 0.797).
* Wikipedia, "Cohen's kappa", the worked example (50 grant proposals: yes/yes 20, yes/no 5, no/yes
  10, no/no 15; kappa = 0.4) and "Same percentages but different numbers" (45/15/25/15 gives
  kappa = 0.1304; 25/35/5/35 gives 0.2593).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lspkit import analysis
from lspkit import reliability as R
from lspkit.corpus import Corpus
from lspkit.errors import LspkitError

nan = np.nan

# Krippendorff (2011): four observers (rows) x twelve units (columns), "." = missing.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
]
# Krippendorff (2011): binary data, two observers, ten units.
BINARY_A = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
BINARY_B = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
# Krippendorff (2011): nominal data (categories a-e), two observers, twelve units.
NOMINAL_A = "a a b b d c c c e d d a".split()
NOMINAL_B = "b a b b b c c c e d d d".split()


def _table(a_yes_b_yes: int, a_yes_b_no: int, a_no_b_yes: int, a_no_b_no: int) -> tuple[list[int], list[int]]:
    a = [1] * a_yes_b_yes + [1] * a_yes_b_no + [0] * a_no_b_yes + [0] * a_no_b_no
    b = [1] * a_yes_b_yes + [0] * a_yes_b_no + [1] * a_no_b_yes + [0] * a_no_b_no
    return a, b


# -- the coefficients on published examples -------------------------------------------------------

def test_cohen_kappa_wikipedia_examples():
    assert R.cohen_kappa(*_table(20, 5, 10, 15)) == pytest.approx(0.4)
    assert R.cohen_kappa(*_table(45, 15, 25, 15)) == pytest.approx(0.1304, abs=5e-5)
    assert R.cohen_kappa(*_table(25, 35, 5, 35)) == pytest.approx(0.2593, abs=5e-5)
    assert math.isnan(R.cohen_kappa([0, 0], [0, 0]))
    assert math.isnan(R.cohen_kappa([], []))


@pytest.mark.parametrize("level, expected", [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849),
                                             ("ratio", 0.797)])
def test_krippendorff_2011_four_observers_with_missing_data(level, expected):
    assert R.krippendorff_alpha(KRIPPENDORFF_2011, level) == pytest.approx(expected, abs=5e-4)


def test_krippendorff_2011_two_observer_examples():
    assert R.krippendorff_alpha([BINARY_A, BINARY_B]) == pytest.approx(0.095, abs=5e-4)
    codes = {c: i for i, c in enumerate("abcde", start=1)}
    nominal = [[codes[v] for v in NOMINAL_A], [codes[v] for v in NOMINAL_B]]
    assert R.krippendorff_alpha(nominal) == pytest.approx(0.692, abs=5e-4)
    assert R.percent_agreement(nominal) == pytest.approx(100 * 9 / 12)


def test_alpha_is_nan_where_undefined_and_missing_values_may_be_none():
    assert math.isnan(R.krippendorff_alpha([[0, 0, 0], [0, 0, 0]]))  # nothing varies
    assert math.isnan(R.krippendorff_alpha([[1, None], [None, 0]]))  # no unit has two values
    assert R.krippendorff_alpha([[1, 1, 0, None], [1, 0, 0, 1]]) == pytest.approx(
        R.krippendorff_alpha([[1, 1, 0, nan], [1, 0, 0, 1]]))


def test_percent_agreement_averages_pairs_over_units_with_two_values():
    # unit 1: three coders agree (3/3 pairs); unit 2: 1 of 3 pairs agree; unit 3: one value, not pairable
    assert R.percent_agreement([[1, 1, 1], [1, 0, nan], [1, 0, nan]]) == pytest.approx(100 * (1 + 1 / 3) / 2)


def test_interpretation_bands():
    assert [R.kappa_band(k) for k in (-0.1, 0.0, 0.2, 0.21, 0.4, 0.41, 0.6, 0.61, 0.8, 0.81, 1.0)] == [
        "poor", "slight", "slight", "fair", "fair", "moderate", "moderate", "substantial", "substantial",
        "almost perfect", "almost perfect"]
    assert [R.alpha_band(a) for a in (0.5, 0.666, 0.667, 0.799, 0.8, 1.0)] == [
        "unreliable", "unreliable", "tentative", "tentative", "reliable", "reliable"]
    assert R.kappa_band(float("nan")) == R.alpha_band(float("nan")) == ""
    assert set(R.bands()["coefficient"]) == {"kappa", "alpha"}


# -- the coefficients on a long frame of decisions ---------------------------------------------------

# Two coders, ten units, two codes. A coder covers a unit for every code or for none: ann's decision
# on u09 is missing (NaN rows), bob has no rows at all for u08. Nobody applies "style".
#
#   unit   u01 u02 u03 u04 u05 u06 u07 u08 u09 u10
#   ann     1   1   1   0   0   0   0   1   .   0
#   bob     1   1   0   0   0   0   1   .   1   0
#
# goals, over the eight units both decided (u01-u07, u10): both 2, ann only 1 (u03), bob only 1
# (u07), neither 4.
#   percent agreement = 6/8 = 75%
#   kappa: p_o = .75, p_e = (3/8)^2 + (5/8)^2 = 34/64, kappa = (48/64 - 34/64) / (30/64) = 14/30 = 7/15
#   alpha (binary: 1 - (n - 1) o_01 / (n_0 n_1)): n = 16 values, n_1 = 6, n_0 = 10, o_01 = 2 (one per
#   disagreeing unit), alpha = 1 - 15 * 2 / 60 = 0.5
# style: eight units, all 0: 100% agreement; kappa (p_e = 1) and alpha (no variation) undefined.
# Pooled, one item per unit and code: 16 items, 14 agreeing, 2 yes-yes, 1 + 1 split, 12 no-no.
#   percent agreement = 14/16 = 87.5%
#   kappa: p_o = 14/16, p_e = (3/16)^2 + (13/16)^2 = 178/256, kappa = (224 - 178) / (256 - 178) = 46/78 = 23/39
#   alpha: n = 32, n_1 = 6, n_0 = 26, o_01 = 2, alpha = 1 - 31 * 2 / 156 = 94/156 = 47/78
ANN = [1, 1, 1, 0, 0, 0, 0, 1, nan, 0]
BOB = [1, 1, 0, 0, 0, 0, 1, nan, 1, 0]


def _hand_made_decisions() -> pd.DataFrame:
    rows = []
    for i, (ann, bob) in enumerate(zip(ANN, BOB), start=1):
        for code in ("goals", "style"):
            for coder, value in (("ann", ann), ("bob", bob)):
                if coder == "bob" and i == 8:
                    continue  # no row: as missing as a NaN
                rows.append((f"u{i:02d}", code, coder, value if code == "goals" or math.isnan(value) else 0))
    return pd.DataFrame(rows, columns=R.DECISION_COLUMNS)


def test_long_frame_coefficients_on_a_hand_made_frame():
    d = _hand_made_decisions()
    goals, style = d[d["code_id"] == "goals"], d[d["code_id"] == "style"]
    assert R.percent_agreement_long(goals) == pytest.approx(75.0)
    assert R.cohen_kappa_long(goals) == pytest.approx(7 / 15)
    assert R.krippendorff_alpha_long(goals) == pytest.approx(0.5)
    assert R.percent_agreement_long(style) == pytest.approx(100.0)
    assert math.isnan(R.cohen_kappa_long(style)) and math.isnan(R.krippendorff_alpha_long(style))
    pooled = {"unit": ["unit_id", "code_id"]}
    assert R.percent_agreement_long(d, **pooled) == pytest.approx(87.5)
    assert R.cohen_kappa_long(d, **pooled) == pytest.approx(23 / 39)
    assert R.krippendorff_alpha_long(d, **pooled) == pytest.approx(47 / 78)


def test_long_frame_coefficients_are_the_array_coefficients_of_the_pivot():
    d = _hand_made_decisions()
    goals = d[d["code_id"] == "goals"]
    both = [i for i in range(10) if not (math.isnan(ANN[i]) or math.isnan(BOB[i]))]
    assert R.cohen_kappa_long(goals) == R.cohen_kappa([ANN[i] for i in both], [BOB[i] for i in both])
    assert R.krippendorff_alpha_long(goals) == R.krippendorff_alpha([ANN, BOB])
    assert R.percent_agreement_long(goals) == R.percent_agreement([ANN, BOB])
    # the column names are arguments, values may be booleans, row order does not matter
    renamed = goals.rename(columns={"unit_id": "item", "coder": "rater", "value": "yes"}).iloc[::-1]
    assert R.krippendorff_alpha_long(renamed, unit="item", coder="rater", value="yes") == pytest.approx(0.5)
    flags = goals.dropna().assign(value=lambda f: f["value"] == 1)
    assert R.cohen_kappa_long(flags) == pytest.approx(7 / 15)
    assert R.krippendorff_alpha_long(goals, level="interval") == pytest.approx(0.5)  # binary: every level agrees


@pytest.mark.parametrize("change, kwargs, argument, message", [
    (lambda d: d, {}, "data", "has 2 values for unit_id 'u01', coder 'ann'"),
    (lambda d: d, {"unit": "unit"}, "unit", "names no column of data: 'unit'"),
    (lambda d: d, {"value": "applied"}, "value", "names no column of data: 'applied'"),
    (lambda d: d.assign(value=d["value"].map({1.0: "yes", 0.0: "no"})), {"unit": ["unit_id", "code_id"]}, "data",
     "row 0 is 'yes'"),
    (lambda d: d.assign(coder=d["coder"].where(d.index != 3)), {"unit": ["unit_id", "code_id"]}, "data",
     "column 'coder' has a missing id in row 3"),
    (lambda d: d[d["coder"] == "ann"], {"unit": ["unit_id", "code_id"]}, "data", "two coders"),
    (lambda d: d.values.tolist(), {}, "data", "must be a DataFrame of decisions, not list"),
])
def test_long_frame_coefficients_name_what_is_wrong(change, kwargs, argument, message):
    data = change(_hand_made_decisions())
    for function in (R.krippendorff_alpha_long, R.percent_agreement_long, R.cohen_kappa_long):
        with pytest.raises(R.ReliabilityInputError, match=rf"^argument {argument}: ") as info:
            function(data, **kwargs)
        assert message in str(info.value) and isinstance(info.value, ValueError)


def test_cohen_kappa_long_needs_exactly_two_coders():
    d = _hand_made_decisions()
    goals = d[d["code_id"] == "goals"]
    three = pd.concat([goals, goals[goals["coder"] == "ann"].assign(coder="cat")])
    assert R.krippendorff_alpha_long(three) == R.krippendorff_alpha([ANN, BOB, ANN])
    with pytest.raises(R.ReliabilityInputError, match="Cohen's kappa compares two coders; column 'coder' has 3: "
                                                      "ann, bob, cat"):
        R.cohen_kappa_long(three)
    with pytest.raises(R.ReliabilityInputError, match="argument a: must hold only 0/1"):
        R.cohen_kappa_long(goals.assign(value=goals["value"] * 2))


def _same(x: float, y: float) -> bool:
    return x == y or (math.isnan(x) and math.isnan(y))


def _agree(long: pd.DataFrame, table: pd.DataFrame, codes: list[str], pooled: str) -> None:
    """The *_long coefficients on each code's decisions give the table's figures (the same bits), and
    on every decision, one item per unit and code, its pooled row."""
    table = table.set_index("code_id")
    two = long["coder"].nunique() == 2
    for code in codes:
        part = long[long["code_id"] == code]
        row = table.loc[code]
        assert row["n_units"] == part["unit_id"].nunique()
        assert _same(R.percent_agreement_long(part), row["percent_agreement"])
        assert _same(R.krippendorff_alpha_long(part), row["alpha"])
        if two:
            assert _same(R.cohen_kappa_long(part), row["kappa"])
            a, b = (part[part["coder"] == c].set_index("unit_id")["value"] for c in long["coder"].unique())
            both = a.notna() & b.notna()
            counts = [int(((a[both] == x) & (b[both] == y)).sum()) for x, y in ((1, 1), (1, 0), (0, 1), (0, 0))]
            assert counts == row[["both", "only_a", "only_b", "neither"]].tolist()
    items = {"unit": ["unit_id", "code_id"]}
    assert R.percent_agreement_long(long, **items) == pytest.approx(table.loc[pooled, "percent_agreement"])
    assert R.krippendorff_alpha_long(long, **items) == pytest.approx(table.loc[pooled, "alpha"], nan_ok=True)
    if two:
        assert R.cohen_kappa_long(long, **items) == pytest.approx(table.loc[pooled, "kappa"], nan_ok=True)


def test_decisions_on_the_project_corpus_one_row_per_unit_code_and_coder(corpus):
    coders = ["structure", "auto"]
    d = R.decisions(corpus, coders)
    assert d.columns.tolist() == ["unit_id", "code_id", "coder", "value"]
    compared = R.units_compared(corpus, coders).set_index("kind").loc["all", "compared"]
    assert len(d) == compared * len(corpus.elements) * len(coders)
    assert not d.duplicated(["unit_id", "code_id", "coder"]).any()
    # document order, then codebook order, then the coders' order
    units = d["unit_id"].drop_duplicates()
    assert units.tolist() == [u for u in corpus.units["unit_id"] if u in set(units)]
    assert d["code_id"].tolist()[: 2 * len(corpus.elements)] == [e for e in corpus.elements for _ in coders]
    assert d["coder"].tolist() == coders * (len(d) // 2)
    # 1 where the coder gave the unit the element, 0 where it covers the unit and did not, NaN elsewhere
    cover = R.coverage_matrix(corpus, coders).loc[units]
    covered = cover.stack().rename("covered")
    merged = d.join(covered, on=["unit_id", "coder"])
    assert merged["value"].isna().equals(~merged["covered"])
    coded = corpus.codings.set_index(["unit_id", "code_id", "coder"]).index
    given = pd.MultiIndex.from_frame(d[["unit_id", "code_id", "coder"]]).isin(coded)
    assert (d["value"] == 1).equals(pd.Series(given & merged["covered"].to_numpy(), index=d.index))
    _agree(d, R.reliability(corpus, coders), corpus.elements, "all elements")


def test_decisions_with_missing_decisions_agree_with_reliability(make_corpus):
    units = [f"a.p{i:02d}" for i in range(4, 9)] + ["b.p04", "b.p05"]
    codings = [("a.p04", "goals", "ann"), ("a.p04", "goals", "bob"), ("a.p04", "goals", "cat"),
               ("a.p05", "goals", "ann"), ("a.p06", "goals", "bob"), ("a.p07", "style", "cat"),
               ("a.p05", "joint_appointments", "ann"), ("a.p05", "joint_appointments", "bob"),
               ("b.p04", "goals", "ann"), ("b.p04", "goals", "bob"), ("b.p05", "style", "bob")]
    corpus = make_corpus(units, codings, coders={"ann": "human", "bob": "human", "cat": "imported"})
    for coders in (["ann", "bob", "cat"], ["ann", "cat"]):
        for kind, codes in (("element", corpus.elements), ("theme", corpus.themes)):
            d = R.decisions(corpus, coders, code_kind=kind)
            # cat coded nothing in case b: missing there, and with ann alone b's units are not compared
            n_units = 7 if len(coders) == 3 else 5
            assert len(d) == n_units * len(codes) * len(coders)
            assert d["value"].isna().sum() == (2 * len(codes) if len(coders) == 3 else 0)
            _agree(d, R.reliability(corpus, coders, code_kind=kind), codes, f"all {kind}s")
    with pytest.raises(TypeError):
        R.decisions(corpus, ["ann", "bob"], "theme")  # kind and kinds are keywords
    with pytest.raises(LspkitError, match="need at least two coders"):
        R.decisions(corpus, ["ann"])


# -- the unit level: a small hand-built corpus ------------------------------------------------------

def test_a_code_on_the_binary_worked_example(make_corpus):
    # Krippendorff's binary example as two coders' decisions on ten paragraphs for one element.
    ids = [f"a.p{i:02d}" for i in range(4, 14)]
    codings = ([(u, "goals", "ann") for u, v in zip(ids, BINARY_A) if v]
               + [(u, "goals", "bob") for u, v in zip(ids, BINARY_B) if v]
               + [(ids[3], "style", "ann"), (ids[3], "style", "bob")])  # both coders read every unit
    table = R.reliability(make_corpus(ids, codings, coders={"ann": "human", "bob": "human"}), ["ann", "bob"])
    goals = table.set_index("code_id").loc["goals"]
    assert goals["n_units"] == 10 and goals["decisions"] == 10
    assert [goals["both"], goals["only_a"], goals["only_b"], goals["neither"]] == [1, 1, 3, 5]
    assert goals["percent_agreement"] == pytest.approx(60.0)
    # p_o = .6, p_e = .2 * .4 + .8 * .6 = .56, kappa = .04 / .44
    assert goals["kappa"] == pytest.approx(0.04 / 0.44)
    assert goals["alpha"] == pytest.approx(0.095, abs=5e-4)
    assert goals["alpha_band"] == "unreliable" and goals["kappa_band"] == "slight"
    style = table.set_index("code_id").loc["style"]
    assert style["kappa"] == pytest.approx(1.0) and style["alpha"] == pytest.approx(1.0)
    assert math.isnan(table.set_index("code_id").loc["systems", "kappa"])  # never applied: undefined
    pooled = table.set_index("code_id").loc["all elements"]
    assert pooled["decisions"] == 70 and pooled["n_units"] == 10
    assert pooled["percent_agreement"] == pytest.approx(100 * 66 / 70)
    assert table["code_id"].tolist()[-1] == "all elements" and len(table) == 8


def test_unit_universe_with_the_structure_coder_and_a_partial_coder(make_corpus):
    units = ["a.p01", "a.p04", "a.p05", "a.p05.quote1", "a.lp1", "a.question1", "b.p04", "b.lp1"]
    codings = [("a.p04", "goals", "structure"), ("a.p05", "style", "structure"), ("a.p05.quote1", "style", "structure"),
               ("b.p04", "steering", "structure"),
               ("a.p04", "goals", "ann"), ("a.lp1", "staff_skills", "ann"), ("a.question1", "community_engagement", "ann")]
    corpus = make_corpus(units, codings, coders={"structure": "derived", "ann": "human"})
    cover = R.coverage_matrix(corpus, ["structure", "ann"])
    # boilerplate (p01) and questions are never compared; structure never covers learning points;
    # ann coded nothing in case b, so her decisions there are missing, not "no".
    assert cover.index.tolist() == ["a.p04", "a.p05", "a.p05.quote1", "a.lp1", "b.p04", "b.lp1"]
    assert cover["structure"].tolist() == [True, True, True, False, True, False]
    assert cover["ann"].tolist() == [True, True, True, True, False, False]
    table = R.reliability(corpus, ["structure", "ann"]).set_index("code_id")
    assert (table["n_units"] == 3).all()  # a.p04, a.p05, a.p05.quote1
    assert table.loc["style", ["both", "only_a", "only_b", "neither"]].tolist() == [0, 2, 0, 1]
    assert table.loc["goals", "kappa"] == pytest.approx(1.0)
    with pytest.raises(LspkitError, match="derived from the headings and gives no themes"):
        R.reliability(corpus, ["structure", "ann"], code_kind="theme")
    with pytest.raises(LspkitError, match="need at least two coders"):
        R.reliability(corpus, ["ann"])
    with pytest.raises(LspkitError, match="unknown coder 'bob'"):
        R.reliability(corpus, ["ann", "bob"])
    # with questions asked for, ann's question joins; structure does not cover it, so it is not pairable
    assert R.reliability(corpus, ["structure", "ann"], kinds=("paragraph", "quote", "question"))[
        "n_units"].iloc[0] == 3


def test_three_coders_with_missing_decisions_use_alpha_only(make_corpus):
    units = [f"a.p{i:02d}" for i in range(4, 9)] + ["b.p04", "b.p05"]
    codings = [("a.p04", "goals", "ann"), ("a.p04", "goals", "bob"), ("a.p04", "goals", "cat"),
               ("a.p05", "goals", "ann"), ("a.p06", "goals", "bob"), ("a.p07", "style", "cat"),
               ("b.p04", "goals", "ann"), ("b.p04", "goals", "bob"), ("b.p05", "style", "bob")]
    corpus = make_corpus(units, codings, coders={"ann": "human", "bob": "human", "cat": "imported"})
    table = R.reliability(corpus, ["ann", "bob", "cat"]).set_index("code_id")
    # cat coded nothing in case b: missing there. Goals decisions, coders x units:
    ann = [1, 1, 0, 0, 0, 1, 0]
    bob = [1, 0, 1, 0, 0, 1, 0]
    cat = [1, 0, 0, 0, 0, nan, nan]
    assert table.loc["goals", "n_units"] == 7
    assert table.loc["goals", "alpha"] == pytest.approx(R.krippendorff_alpha([ann, bob, cat]))
    assert table.loc["goals", "percent_agreement"] == pytest.approx(R.percent_agreement([ann, bob, cat]))
    assert math.isnan(table.loc["goals", "kappa"]) and pd.isna(table.loc["goals", "both"])
    assert table.loc["goals", "coders"] == "ann, bob, cat"


def test_disagreements_list_the_units_with_citation_text_and_memo(make_corpus):
    units = ["a.p04", "a.p05", "a.p06"]
    codings = [("a.p04", "goals", "ann", "memo ann"), ("a.p04", "goals", "bob"), ("a.p05", "style", "ann", "memo ann"),
               ("a.p06", "systems", "bob"), ("a.p06", "steering", "ann", "memo ann")]
    corpus = make_corpus(units, codings, coders={"ann": "human", "bob": "human"}, text="text of {unit_id}",
                         citation="{case_id} {unit_id}")
    d = R.disagreements(corpus, ["ann", "bob"])
    assert d[["unit_id", "code_id", "applied_by", "not_applied_by"]].values.tolist() == [
        ["a.p05", "style", "ann", "bob"], ["a.p06", "steering", "ann", "bob"], ["a.p06", "systems", "bob", "ann"]]
    assert d.iloc[0]["citation"] == "a a.p05" and d.iloc[0]["text"] == "text of a.p05"
    assert d.iloc[0]["memo"] == "ann: memo ann" and d.iloc[2]["memo"] == ""
    assert R.disagreements(corpus, ["ann", "ann", "bob"]).shape == d.shape  # duplicates collapse
    same = make_corpus(units, [("a.p04", "goals", "ann"), ("a.p04", "goals", "bob")],
                       coders={"ann": "human", "bob": "human"})
    assert R.disagreements(same, ["ann", "bob"]).empty


# -- the project's corpus (without depending on any human coder's file) --------------------------------

def test_structure_against_the_machine_baseline_on_the_real_corpus(corpus):
    table = R.reliability(corpus, ["structure", "auto"])
    n_narrative = int((~corpus.units["boilerplate"] & corpus.units["kind"].isin(["paragraph", "quote"])).sum())
    assert (table["n_units"] == n_narrative).all()
    assert table["code_id"].tolist() == corpus.elements + ["all elements"]
    assert table["alpha"].between(-1, 1).all() and table["kappa"].between(-1, 1).all()
    assert (table["both"] + table["only_a"] + table["only_b"] + table["neither"] == table["decisions"]).all()


def test_units_compared_findings_and_themes(corpus):
    counts = R.units_compared(corpus, ["structure", "auto"]).set_index("kind")
    assert counts.loc["learning_point", "structure"] == 0 and counts.loc["learning_point", "compared"] == 0
    assert counts.loc["all", "compared"] == counts.loc["all", "structure"]
    assert counts.loc["all", "units"] == counts.drop(index="all")["units"].sum()
    table = R.reliability(corpus, ["structure", "auto"])
    said = R.findings(table)
    pooled = table.iloc[-1]
    assert said.iloc[0]["finding"].startswith(f"Over {pooled['n_units']} units ({pooled['decisions']} unit-element")
    assert f"alpha = {pooled['alpha']:.2f} ({pooled['alpha_band']})" in said.iloc[0]["finding"]
    for row in table.iloc[:-1].itertuples():  # every element is named in its band's sentence
        assert any(f"{row.code_id} ({row.alpha:.2f})" in f for f in said["finding"])
    assert R.theme_reliability(corpus, ["structure", "auto"]).empty
    assert R.findings(R.theme_reliability(corpus, ["structure", "auto"])).empty


def test_findings_name_the_largest_one_sided_differences(make_corpus):
    units = [f"a.p{i:02d}" for i in range(4, 10)]
    codings = [("a.p04", "steering", "ann"), ("a.p05", "steering", "ann"), ("a.p06", "steering", "ann"),
               ("a.p07", "goals", "bob"), ("a.p08", "goals", "ann"), ("a.p09", "goals", "bob")]
    corpus = make_corpus(units, codings, coders={"ann": "human", "bob": "human"})
    said = R.findings(R.reliability(corpus, ["ann", "bob"]))["finding"].tolist()
    assert ("The largest excess of ann over bob: ann gives steering to 3 unit(s) that bob does not, and bob "
            "to 0 that ann does not.") in said
    assert any(f.startswith("The largest excess of bob over ann: bob gives goals to 2") for f in said)
    assert any(f.startswith("Undefined (no variation") and "style" in f for f in said)
    both_theme = codings + [("a.p04", "joint_appointments", "ann"), ("a.p05", "pooled_resources", "bob")]
    themes = R.theme_reliability(make_corpus(units, both_theme, coders={"ann": "human", "bob": "human"}),
                                 ["ann", "bob"])
    assert themes["code_id"].iloc[-1] == "all themes" and (themes["code_kind"] == "theme").all()
    assert themes.set_index("code_id").loc["joint_appointments", "only_a"] == 1
    # a coder who coded no theme at all (an elements-only reading) is not read as "no" on every unit
    none = R.theme_reliability(make_corpus(units, codings + [("a.p04", "joint_appointments", "ann")],
                                           coders={"ann": "human", "bob": "human"}), ["ann", "bob"])
    assert none.empty and "bob coded no theme" in none.attrs["empty"]


# -- the coefficients check their arguments ---------------------------------------------------------

@pytest.mark.parametrize("a, b, argument, message", [
    ([1, 2, 3], [3, 1, 2], "a", "item 1 is 2"),
    (["yes", "no"], ["no", "no"], "a", "item 0 is 'yes'"),
    ([1, 0], [1, None], "b", "item 1 is None"),
    ([1, nan], [1, 0], "a", "item 1 is nan"),
    ([True, False], [0.5, 1], "b", "item 0 is 0.5"),
    ("10", "01", "a", "must be a sequence of ratings, not '10'"),
    ([[1, 0], [0, 1]], [[1, 0], [0, 1]], "a", "must be a flat sequence of ratings, not an array of shape (2, 2)"),
    ([1, 0, 1], [1, 0], "b", "has 2 ratings but a has 3"),
])
def test_cohen_kappa_names_the_argument_it_cannot_use(a, b, argument, message):
    with pytest.raises(R.ReliabilityInputError) as info:
        R.cohen_kappa(a, b)
    assert isinstance(info.value, ValueError) and isinstance(info.value, LspkitError)
    assert info.value.argument == argument
    assert str(info.value).startswith(f"argument {argument}: ") and message in str(info.value)


def test_cohen_kappa_gives_the_same_value_for_every_binary_form():
    a, b = _table(20, 5, 10, 15)
    expected = R.cohen_kappa(a, b)
    forms = [(np.array(a, dtype=bool), np.array(b, dtype=bool)), (np.array(a, dtype=float), np.array(b, dtype=float)),
             (pd.Series(a), pd.Series(b)), ([bool(v) for v in a], [bool(v) for v in b]),
             (np.array(a, dtype=object), np.array(b, dtype=object)), (tuple(a), tuple(b))]
    assert all(R.cohen_kappa(x, y) == expected for x, y in forms)


@pytest.mark.parametrize("counts", [(20, 5, 10, 15), (45, 15, 25, 15), (25, 35, 5, 35), (1, 1, 3, 5), (0, 0, 0, 4),
                                    (7, 0, 0, 3), (0, 3, 4, 0)])
def test_kappa_from_a_table_equals_kappa_from_the_ratings(counts):
    both, only_a, only_b, neither = counts
    from_table = R.cohen_kappa_from_table([[both, only_a], [only_b, neither]])
    from_ratings = R.cohen_kappa(*_table(*counts))
    assert from_table == pytest.approx(from_ratings, nan_ok=True, abs=1e-15)
    assert R.cohen_kappa_from_table(np.array([[both, only_a], [only_b, neither]]) / sum(counts)) == pytest.approx(
        from_ratings, nan_ok=True)  # proportions give the same kappa


def test_kappa_from_a_table_on_the_published_example_and_an_empty_table():
    assert R.cohen_kappa_from_table([[20, 5], [10, 15]]) == pytest.approx(0.4)
    assert math.isnan(R.cohen_kappa_from_table([[0, 0], [0, 0]]))


@pytest.mark.parametrize("table, message", [
    ([[20, 5, 1], [10, 15, 2]], "must be 2 x 2, not 2 x 3"),
    ([20, 5, 10, 15], "must be 2 x 2, not 4"),
    ([[20, 5], [10]], "cannot be read as an array"),
    ([[20, -5], [10, 15]], "counts must be finite and not negative"),
    ([[20, nan], [10, 15]], "counts must be finite and not negative"),
    ([["a", "b"], ["c", "d"]], "must hold counts (numbers)"),
    ("20 5 10 15", "must be a 2 x 2 table of counts"),
])
def test_kappa_from_a_table_checks_the_table(table, message):
    with pytest.raises(R.ReliabilityInputError, match=r"^argument table: ") as info:
        R.cohen_kappa_from_table(table)
    assert message in str(info.value)


@pytest.mark.parametrize("function", [R.krippendorff_alpha, R.percent_agreement])
@pytest.mark.parametrize("data, message", [
    ([[1, 0, 1]], "needs at least two coders (rows), got 1"),
    ([], "needs at least two coders (rows), got 0"),
    ([1, 0, 1], "must be a matrix: a sequence of rows, one per coder"),
    ([[1, 0, 1], [1, 0]], "rows must have one length, one rating per unit; they have 2, 3"),
    ([[1, "a"], [1, 0]], "row 0, item 1 is 'a'"),
    ([[1, np.inf], [1, 0]], "holds an infinite rating"),
    (None, "must be a matrix of ratings, not None"),
])
def test_matrix_coefficients_name_what_is_wrong_with_the_data(function, data, message):
    with pytest.raises(R.ReliabilityInputError, match=r"^argument data: ") as info:
        function(data)
    assert message in str(info.value) and isinstance(info.value, ValueError)


def test_matrix_coefficients_keep_their_values_for_every_valid_form():
    assert R.krippendorff_alpha(np.array(KRIPPENDORFF_2011)) == R.krippendorff_alpha(KRIPPENDORFF_2011)
    assert R.percent_agreement(np.array([BINARY_A, BINARY_B], dtype=bool)) == R.percent_agreement([BINARY_A, BINARY_B])
    assert math.isnan(R.krippendorff_alpha([[], []])) and math.isnan(R.percent_agreement(np.empty((3, 0))))
    with pytest.raises(R.ReliabilityInputError, match="argument level: unknown level of measurement 'nominl'"):
        R.krippendorff_alpha(KRIPPENDORFF_2011, "nominl")


def test_bands_take_numbers_or_missing_values_only():
    assert R.kappa_band(pd.NA) == R.alpha_band(None) == ""
    assert R.kappa_band(np.float64(0.5)) == "moderate"
    with pytest.raises(R.ReliabilityInputError, match="argument kappa: must be a number, not 'high'"):
        R.kappa_band("high")


def test_the_error_survives_pickling():
    import pickle

    error = R.ReliabilityInputError("b", "has 2 ratings but a has 3", "rate the same items")
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) and again.argument == "b"


def test_coders_and_kinds_must_be_lists_of_known_ids(corpus):
    with pytest.raises(LspkitError, match="parameter coders: must be a list of coder ids, not the string 'researcher'"):
        R.reliability(corpus, "researcher")
    with pytest.raises(LspkitError, match="parameter coders: must be a list of coder ids"):
        R.units_compared(corpus, "auto")
    with pytest.raises(LspkitError, match="parameter kinds: unknown unit kind 'paragraf'"):
        R.reliability(corpus, ["structure", "auto"], kinds=("paragraf",))
    with pytest.raises(LspkitError, match="parameter kinds: must be a list of unit kinds, not the string 'quote'"):
        R.coverage_matrix(corpus, ["structure", "auto"], kinds="quote")


def test_findings_of_an_empty_theme_table_give_its_reason(corpus):
    table = R.theme_reliability(corpus, ["researcher", "second_reader"])
    said = R.findings(table)
    assert said.empty and said.attrs["empty"].startswith("No findings: second_reader coded no theme")
    assert R.findings(R.theme_reliability(corpus, ["researcher", "auto"]))["finding"].str.contains("auto").any()
