"""The project's codebook (version 2.1) against the texts it claims to follow."""

from __future__ import annotations

import re

import pytest
import yaml

from lspkit import analysis as A
from lspkit import codebook
from lspkit.decisions import check_decisions

from .conftest import CASES, ROOT, normalise_quotes, quoted_parts


def test_every_element_definition_is_the_words_of_paragraphs_2_and_3_of_every_case(corpus):
    table = A.model_definitions(corpus)
    assert len(table) == 7
    assert (table["quoted_in"] == f"¶2–3 of all {len(CASES)} case studies").all(), table
    # the words could be missing: a paraphrase is reported as the project's wording
    corpus.codes.loc[corpus.codes["code_id"] == "style", "definition"] = "how the partnership presents itself"
    try:
        assert A.model_definitions(corpus).set_index("code_id").loc["style", "quoted_in"] == (
            "not in ¶2–3: the project's wording")
    finally:
        corpus.codes.loc[corpus.codes["code_id"] == "style", "definition"] = "identity and how the LSP comes across"
    assert all(i.startswith("This project reads") or "This project" in i for i in table["interpretation"])


def test_every_code_has_criteria_and_a_typical_and_a_borderline_example_that_resolve(corpus):
    table = A.code_criteria(corpus)
    for col in ("include", "exclude", "typical", "borderline"):
        assert (table[col].str.len() > 0).all(), table.loc[table[col] == "", "code_id"].tolist()
    assert not table["typical"].str.contains("not in this corpus").any()
    assert not table["borderline"].str.contains("not in this corpus").any()


def test_a_typical_example_is_coded_with_its_code_by_the_researcher(corpus):
    unit_of = dict(zip(corpus.units["citation"], corpus.units["unit_id"]))
    coded = set(zip(corpus.codings.loc[corpus.codings["coder"] == "researcher", "unit_id"],
                    corpus.codings.loc[corpus.codings["coder"] == "researcher", "code_id"]))
    typical = corpus.codebook.examples[corpus.codebook.examples["type"] == "typical"]
    assert len(typical) >= len(corpus.codes)
    for rec in typical.itertuples(index=False):
        assert (unit_of[rec.cite], rec.code_id) in coded, rec


def test_the_headings_table_says_which_mappings_are_inferred(corpus):
    headings = corpus.codebook.headings
    mapped = headings.dropna(subset=["element"])
    assert sorted(mapped["element"]) == sorted(corpus.elements)
    inferred = mapped["reason"].str.startswith("This project's inference")
    assert inferred.sum() == len(mapped) - 1  # only one heading names its element
    assert mapped.loc[~inferred, "heading"].tolist() == [
        "Systems for understanding and influencing performance, resources and risks"]
    structure = corpus.coders.set_index("coder").loc["structure", "description"]
    assert "headings table" in structure and "infers" in structure


def test_the_codebook_states_no_origin_of_the_model_but_one_marked_outside_the_corpus(corpus):
    text = (corpus.data_dir / "codebook.yml").read_text(encoding="utf-8")
    header = text[:text.index("version:")]
    assert not re.search(r"McKinsey|Pascale|Newman|self-assessment", header)
    assert corpus.codebook.model["outside"].startswith("Outside the corpus:")
    assert corpus.codebook.version == "2.1" and len(corpus.codebook.changes) > 20


def test_aims_are_coded_but_the_researcher_records_a_status_for_every_coding(corpus):
    mine = corpus.codings[corpus.codings["coder"] == "researcher"]
    assert set(mine["status"]) == {"achieved", "in_progress", "aim"}
    assert check_decisions(corpus.decisions, corpus.codings, corpus.codes) == []


def test_every_quotation_in_a_coding_memo_stands_in_its_unit(corpus):
    text = dict(zip(corpus.units["unit_id"], corpus.units["text"]))
    checked = 0
    for rec in corpus.codings[corpus.codings["coder"].isin(["researcher", "second_reader"])].itertuples():
        for part in quoted_parts(rec.memo):
            assert normalise_quotes(part) in normalise_quotes(text[rec.unit_id]), (rec.unit_id, rec.code_id, part)
            checked += 1
    assert checked > 200


def test_the_fast_yaml_parser_reads_the_codebook_as_the_pure_python_one_does():
    text = (ROOT / "data" / "codebook.yml").read_text(encoding="utf-8")
    assert codebook._load_yaml(text) == yaml.load(text, Loader=codebook._LineLoader)
    bad = "elements:\n  - id: goals\n    label: [unclosed\n"
    with pytest.raises(yaml.YAMLError) as fast:
        codebook._load_yaml(bad)
    with pytest.raises(yaml.YAMLError) as slow:
        yaml.load(bad, Loader=codebook._LineLoader)
    assert str(fast.value) == str(slow.value)  # an error reads the same whichever parser is installed
