"""The researcher's link data: every link cites text that says what its memo quotes."""

from __future__ import annotations

import csv
import re

import pytest

from lspkit import linkanalysis as L

from .conftest import CASES, DATA


def _norm(text: str) -> str:
    text = text.translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"}))
    return re.sub(r"\s+", " ", text).strip().lower()


def test_every_case_has_links_with_memos(corpus):
    links = corpus.links[corpus.links["coder"] == "researcher"]
    assert sorted(set(links["case_id"])) == CASES
    assert (links["memo"].str.len() > 20).all()
    summary = L.link_summary(corpus).set_index("case_id")
    assert (summary["cross_dimension"] > 0).all()


def test_every_quotation_in_a_memo_stands_in_the_units_the_link_rests_on(corpus):
    text = dict(zip(corpus.units["unit_id"], corpus.units["text"]))
    checked = 0
    for link in corpus.links.itertuples():
        body = _norm(" ".join(text[u] for u in link.unit_ids))
        for quoted in re.findall(r'"([^"]+)"', link.memo):
            for part in re.split(r"\s*(?:…|\.\.\.)\s*", quoted):
                part = part.strip(" .,;")
                if part:
                    assert _norm(part) in body, f"{link.link_id}: {part!r} is not in {link.citation}"
                    checked += 1
    assert checked > 100


def test_links_that_name_an_element_on_a_single_unit_agree_with_the_codings_memoed_as_link_fixes(corpus):
    # Codings added by the link reading say so in their memo and name the link that needed them.
    codings = corpus.codings[corpus.codings["coder"] == "researcher"]
    added = codings[codings["memo"].str.startswith("Added with the links pass")]
    links = corpus.links.set_index("link_id")
    assert len(added) >= 5
    for row in added.itertuples():
        link_id = re.search(r"\(link ([\w.-]+)\)", row.memo).group(1)
        link = links.loc[link_id]
        assert row.unit_id in link["unit_ids"]
        assert row.code_id in (link["source"], link["target"])


def test_the_decision_log_matches_the_codings(corpus):
    with open(DATA / "decisions.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and set(rows[0]) == {"date", "coder", "unit_id", "code_id", "change", "reason"}
    coded = set(zip(corpus.codings["coder"], corpus.codings["unit_id"], corpus.codings["code_id"]))
    codes = set(corpus.codes["code_id"])
    for row in rows:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["date"]) and row["reason"]
        key = (row["coder"], row["unit_id"], row["code_id"])
        if row["change"] == "added":
            assert key in coded, row
        elif row["change"] == "removed":
            assert key not in coded, row
        elif row["change"] == "retired":
            assert row["unit_id"] == "" and row["code_id"] not in codes, row
        else:
            pytest.fail(f"unknown change {row['change']!r}")
