"""Findings in words: the wording rule, sentences stated from tables, and no hand-typed numbers in prose."""

from __future__ import annotations

import re

import nbformat
import pandas as pd
import pytest

from lspkit import findings

from .conftest import ROOT


@pytest.mark.parametrize("index, words", [(0.0, "is close to even"), (0.10, "is close to even"),
                                          (-0.10, "is close to even"), (0.11, "leans transformational"),
                                          (-0.26, "leans transactional"), (1 / 3, "leans transformational"),
                                          (-0.34, "is mainly transactional"), (1.0, "is mainly transformational"),
                                          (float("nan"), "has no units of either dimension")])
def test_one_wording_rule_for_balance(index, words):
    assert findings.balance_wording(index) == words


def test_balance_findings_name_the_extremes():
    bal = pd.DataFrame({"case_id": ["a", "b", "c"], "units_of": ["narrative"] * 3, "transformational": [10, 7, 5],
                        "transactional": [9, 12, 5], "balance_index": [1 / 19, -5 / 19, 0.0]})
    got = findings.balance_findings(bal, {"a": "A", "b": "B", "c": "C"})["finding"].tolist()
    assert got[1] == "In its narrative, B leans transactional (-0.26: 7 transformational against 12 transactional units)."
    assert got[-1] == "In the narrative, A is the most transformational account (+0.05) and B the most transactional (-0.26)."


def test_theme_findings():
    meta = pd.DataFrame({"label": ["Layered", "Pooled", "Brand", "Posts"], "a": [3, 11, 0, 1], "b": [8, 2, 2, 1],
                         "c": [4, 1, 0, 0], "n_cases": [3, 3, 1, 2], "practices": [15, 14, 2, 2]},
                        index=pd.Index(["lg", "pr", "br", "jp"], name="code_id"))
    got = findings.theme_findings(meta, {"a": "A", "b": "B", "c": "C"}, top=2)["finding"].tolist()
    assert got == ["2 of the 4 themes recur in all 3 cases: Layered, Pooled.",
                   "Layered: 15 distinct practices in all; B has 8 of them.",
                   "Pooled: 14 distinct practices in all; A has 11 of them.",
                   "Only B: Brand.", "Posts appears in 2 of the 3 cases: A, B."]


def test_departure_findings():
    dis = pd.DataFrame({"applied_by": ["researcher", "researcher", "structure"]})
    assert findings.departure_findings(dis, ("structure", "researcher"))["finding"].tolist() == [
        "In 2 element decision(s) researcher gives an element that structure does not, and in 1 structure gives "
        "one that researcher does not."]


# Numbers a notebook's prose may hold because they hold whatever the data and parameters: the
# model's name, the corpus's date, paragraph citations and the boilerplate paragraphs, and the
# fixed thresholds of the agreement bands (the wording rule's bands are printed by a cell).
ALLOWED = re.compile(r"7S|2009|¶\d+(?:–\d+)?|1–3|[−+]1\b|\.800|\.667|\.70\b|are 1 for perfect agreement and 0 for chance")


@pytest.mark.parametrize("name", ["case_profile", "cross_case", "coding_overview", "reliability", "explore"])
def test_no_number_in_a_notebooks_prose_is_typed_by_hand(name):
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            rest = ALLOWED.sub("", cell.source)
            typed = re.findall(r".{0,30}\d.{0,10}", rest)
            assert not typed, f"{name}.ipynb cell {i}: {typed}"


def test_the_extremes_are_worded_relatively_when_every_case_leans_one_way():
    bal = pd.DataFrame({"case_id": ["a", "b"], "units_of": ["narrative"] * 2, "transformational": [15, 8],
                        "transactional": [16, 11], "balance_index": [-1 / 31, -3 / 19]})
    got = findings.balance_findings(bal, {"a": "A", "b": "B"})["finding"].tolist()[-1]
    assert got == "In the narrative, A is the least transactional account (-0.03) and B the most transactional (-0.16)."
