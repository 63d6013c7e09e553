"""The machine baseline coder: its rules, its honesty and its committed file."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import lspkit
from lspkit.autocode import AUTO_CODER, autocode, autocode_units, write_auto_codings
from lspkit.cli import main
from lspkit.codebook import compile_indicator, load_codebook
from lspkit.errors import LspkitError

from .conftest import DATA


def test_the_committed_auto_codings_are_up_to_date(data_copy):
    before = (DATA / "codings" / "auto.csv").read_bytes()
    registry = (DATA / "coders.csv").read_bytes()
    (data_copy / "codings" / "auto.csv").unlink()
    path = write_auto_codings(data_copy)
    assert path.read_bytes() == before, "data/codings/auto.csv is stale: run `lspkit autocode` and commit it"
    assert (data_copy / "coders.csv").read_bytes() == registry
    assert write_auto_codings(data_copy).read_bytes() == before  # deterministic, idempotent


def test_auto_is_registered_and_labelled_as_a_machine_baseline(corpus):
    row = corpus.coders.set_index("coder").loc[AUTO_CODER]
    assert row["kind"] == "machine" and "MACHINE BASELINE" in row["description"]
    auto = corpus.codings[corpus.codings["coder"] == AUTO_CODER]
    assert len(auto) and auto["memo"].str.startswith("indicators: ").all()


def test_auto_codes_evidence_units_only(corpus):
    auto = autocode(corpus)
    kinds = auto.merge(corpus.units, on="unit_id")
    assert set(kinds["kind"].astype(str)) <= {"paragraph", "quote", "learning_point"}
    assert not kinds["boilerplate"].any()
    assert not auto.duplicated(["unit_id", "code_id"]).any()


def test_matching_rules():
    units = pd.DataFrame({
        "unit_id": ["x.p01", "x.p04", "x.p05", "x.lp1", "x.question1"],
        "kind": ["paragraph", "paragraph", "paragraph", "learning_point", "question"],
        "boilerplate": [True, False, False, False, False],
        "text": ["Partners pooled budgets.", "The SPOOL and the Pool-side.\nRecruitment", "Cultural change",
                 "Their culture shapes\nperformance.", "Pooled budgets?"]})
    codes = pd.DataFrame({"code_id": ["steering", "staff_skills", "interdependence", "goals"],
                          "indicators": [("pool*",), ("recruit*", "culture"),
                                         (r"/\bculture\b[^.]*\bperformance\b/",), ()]})
    got = autocode_units(units, codes)
    assert got.values.tolist() == [
        ["x.p04", "steering", "auto", "", "indicators: pool*"],          # whole words: not 'SPOOL'; case ignored
        ["x.p04", "staff_skills", "auto", "", "indicators: recruit*"],
        ["x.lp1", "staff_skills", "auto", "", "indicators: culture"],    # 'Cultural' is not 'culture'
        ["x.lp1", "interdependence", "auto", "", "indicators: /\\bculture\\b[^.]*\\bperformance\\b/"]]
    assert autocode_units(units, codes, min_hits=2).empty


def test_phrases_match_across_line_breaks_and_any_spacing():
    assert compile_indicator("community strategy").search("its community\n  Strategy")
    assert not compile_indicator("SCS").search("SCSs")
    assert compile_indicator("co-locat*").search("co-located services")


def test_every_code_has_indicators_taken_from_its_own_definition():
    """Honesty: a plain indicator's words occur, in order, in the code's label, definition, interpretation or include
    text (a trailing * standing for any ending; hyphens count as spaces), never picked from units."""
    book = load_codebook(DATA / "codebook.yml")

    def words(text: str) -> list[str]:
        return re.findall(r"[\w']+", text.casefold().replace("-", " "))

    for code in book.codes.itertuples(index=False):
        assert code.indicators, f"{code.code_id} has no indicators"
        source = words(" ".join([code.label, code.definition, code.interpretation, code.include]))
        for term in code.indicators:
            if term.startswith("/"):
                continue
            wanted = words(term.replace("*", "")) if "*" not in term else term.casefold().replace("-", " ").split()
            found = any(all(source[i + k] == w or (w.endswith("*") and source[i + k].startswith(w[:-1]))
                            for k, w in enumerate(wanted))
                        for i in range(len(source) - len(wanted) + 1))
            assert found, f"indicator {term!r} of {code.code_id!r} is not in its label, definition or include"


@pytest.mark.parametrize("entry, message", [
    ("    indicators: pooled\n", "'indicators' must be a list of terms"),
    ("    indicators: ['/(unclosed/']\n", "invalid regular expression"),
    ("    indicators: ['po*ol']\n", "'*' may only end a word"),
    ("    indicators: ['', ok]\n", "empty indicator"),
    ("    indicators: ['/x?/']\n", "matches the empty string"),
])
def test_bad_indicators_are_reported_with_the_line(data_copy, entry, message):
    book = data_copy / "codebook.yml"
    text = book.read_text(encoding="utf-8")
    text = re.sub(r"(  - id: mainstream_budgets\n(?:    .*\n|      .*\n)*?)    indicators:\n(?:      - .*\n)+",
                  lambda m: m.group(1) + entry, text)
    book.write_text(text, encoding="utf-8")
    with pytest.raises(LspkitError) as info:
        lspkit.load_corpus(data_copy)
    assert re.search(r"codebook.yml, line \d+: code 'mainstream_budgets': .*" + re.escape(message), str(info.value))


def test_cli_autocode_writes_the_file(data_copy, capsys):
    (data_copy / "codings" / "auto.csv").unlink()
    assert main(["--data", str(data_copy), "autocode"]) == 0
    assert "auto.csv" in capsys.readouterr().out
    assert (data_copy / "codings" / "auto.csv").read_bytes() == (DATA / "codings" / "auto.csv").read_bytes()
