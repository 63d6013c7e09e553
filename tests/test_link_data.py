"""The researcher's link data: every link cites text that says what its memo quotes."""

from __future__ import annotations

import re


from lspkit import linkanalysis as L
from lspkit.decisions import check_decisions, load_decisions

from .conftest import CASES, DATA, normalise_quotes, quoted_parts


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
        body = normalise_quotes(" ".join(text[u] for u in link.unit_ids))
        for part in quoted_parts(link.memo):
            assert normalise_quotes(part) in body, f"{link.link_id}: {part!r} is not in {link.citation}"
            checked += 1
    assert checked > 80  # the check reads the quotations: most link memos quote their units


def test_links_that_name_an_element_on_a_single_unit_agree_with_the_codings_memoed_as_link_fixes(corpus):
    # Codings added by the link reading say so in their memo and name the link that needed them.
    codings = corpus.codings[corpus.codings["coder"] == "researcher"]
    added = codings[codings["memo"].str.startswith("Added with the links pass")]
    links = corpus.links.set_index("link_id")
    assert len(added) >= 2
    for row in added.itertuples():
        link_id = re.search(r"\(link ([\w.-]+)\)", row.memo).group(1)
        link = links.loc[link_id]
        assert row.unit_id in link["unit_ids"]
        assert row.code_id in (link["source"], link["target"])


def test_the_decision_log_matches_the_codings(corpus):
    log = load_decisions(DATA / "decisions.csv")
    assert list(log.columns[:8]) == ["date", "coder", "unit_id", "code_id", "change", "old", "new", "reason"]
    assert check_decisions(log, corpus.codings, corpus.codes) == []
    # the replay can fail: a coding the log says was added, then removed from the codings
    added = log[log["change"] == "added"].iloc[-1]
    key = (corpus.codings["coder"] == added["coder"]) & (corpus.codings["unit_id"] == added["unit_id"]) & (
        corpus.codings["code_id"] == added["code_id"])
    problems = check_decisions(log, corpus.codings[~key], corpus.codes)
    assert problems == [f"row {added['row']}: {added['coder']}'s coding of {added['unit_id']} to {added['code_id']} "
                        "was added, but it is not in the codings"]


def test_every_questioned_coding_of_the_review_has_a_decision():
    log = load_decisions(DATA / "decisions.csv")
    decided = set(log.loc[log["coder"] == "researcher", "unit_id"])
    questioned = ["blackburn-with-darwen.p16", "blackburn-with-darwen.p10", "blackburn-with-darwen.p12.quote1",
                  "blackburn-with-darwen.p24", "blackburn-with-darwen.p15", "blackburn-with-darwen.p22",
                  "hammersmith-and-fulham.p16"]
    assert set(questioned) <= decided
