"""The loaded corpus: its tables, orders, selectors, the derived structure coder and new cases."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

import lspkit
from lspkit.codebook import load_codebook
from lspkit.errors import LspkitError

from .conftest import CASES, DATA


def test_tables_have_the_documented_columns(corpus):
    assert {"unit_id", "case_id", "kind", "para", "section", "heading", "dimension", "boilerplate", "text",
            "start", "end"} <= set(corpus.units.columns)
    assert {"code_id", "label", "code_kind", "element", "dimension", "parent", "definition"} <= set(corpus.codes.columns)
    assert list(corpus.codings.columns) == ["unit_id", "code_id", "coder", "status", "memo"]
    assert corpus.case_ids == CASES
    assert corpus.units["unit_id"].is_unique


def test_element_and_dimension_are_ordered_categoricals_in_7s_order(corpus):
    element = corpus.codes["element"].dtype
    assert isinstance(element, pd.CategoricalDtype) and element.ordered
    assert list(element.categories) == ["goals", "staff_skills", "style", "synergies", "steering", "standards",
                                        "systems"]
    for frame, col in ((corpus.codes, "dimension"), (corpus.units, "dimension")):
        dtype = frame[col].dtype
        assert dtype.ordered and list(dtype.categories) == ["super-ordinate", "transformational", "transactional"]


def test_themes_inherit_element_and_dimension_from_their_parents(corpus):
    codes = corpus.codes.set_index("code_id")
    assert codes.loc["joint_appointments", "element"] == "staff_skills"
    assert codes.loc["mainstream_budgets", "parent"] == "steering"
    assert codes.loc["data_intelligence", "element"] == "systems"
    assert codes.loc["data_intelligence", "dimension"] == "transactional"
    assert "interdependence" not in codes.index  # retired: link data (data/links/) record such ties
    assert (corpus.codes["code_kind"] == "element").sum() == 7
    assert (corpus.codes["code_kind"] == "theme").sum() >= 10


def test_citations(corpus):
    cite = corpus.units.set_index("unit_id")["citation"]
    assert cite["bolton.p08"] == "Bolton ¶8"
    assert cite["hammersmith-and-fulham.p19.quote2"] == "Hammersmith and Fulham ¶19, quote 2"
    assert cite["blackburn-with-darwen.lp4"] == "Blackburn with Darwen, learning point 4"
    assert cite["bolton.question3"] == "Bolton, question 3"


def test_raw_span_is_the_file_text(corpus):
    raw = (DATA / "raw" / "bolton.txt").read_text(encoding="utf-8")
    row = corpus.units.set_index("unit_id").loc["bolton.p14"]
    assert corpus.raw_span("bolton.p14") == raw[row["start"]:row["end"]]
    assert "\n\nfunded by the Council" in corpus.raw_span("bolton.p14")


def test_structure_coder_follows_headings_and_skips_boilerplate_and_learning_points(corpus):
    s = corpus.coder("structure").codings.set_index("unit_id")["code_id"]
    assert s["bolton.p05"] == "goals"
    assert s["bolton.p08"] == "staff_skills"
    assert s["bolton.p22"] == "standards"
    assert s["blackburn-with-darwen.p16.quote1"] == "steering"
    assert s["hammersmith-and-fulham.p21"] == "systems"
    assert not s.index.str.contains(r"\.p0[123]$|\.lp|\.question").any()
    non_boiler = corpus.units[~corpus.units["boilerplate"] & corpus.units["kind"].isin(["paragraph", "quote"])]
    assert len(s) == len(non_boiler) == 67


def test_selectors(corpus):
    bolton = corpus.case("bolton")
    assert set(bolton.units["case_id"]) == {"bolton"}
    assert set(bolton.codings["unit_id"].str.split(".").str[0]) == {"bolton"}
    researcher = corpus.coder("researcher")
    assert set(researcher.codings["coder"]) == {"researcher"}
    joined = bolton.coded_units(coder="researcher", code_kind="theme")
    assert set(joined["code_kind"]) == {"theme"}
    assert {"citation", "text", "code_label", "memo"} <= set(joined.columns)
    assert len(joined) == len(bolton.codings.merge(corpus.codes[corpus.codes["code_kind"] == "theme"], on="code_id")
                              .query("coder == 'researcher'"))


def test_unknown_case_and_coder_list_the_valid_ones(corpus):
    with pytest.raises(LspkitError, match="valid ids: blackburn-with-darwen, bolton, hammersmith-and-fulham"):
        corpus.case("wigan")
    with pytest.raises(LspkitError, match="registered coders: structure, researcher"):
        corpus.coder("nobody")


def test_env_var_points_the_loader_at_another_directory(data_copy, monkeypatch):
    (data_copy / "raw" / "hammersmith-and-fulham.txt").unlink()
    lines = (data_copy / "cases.csv").read_text(encoding="utf-8").splitlines()
    (data_copy / "cases.csv").write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    for path in [*(data_copy / "codings").glob("*.csv"), *(data_copy / "links").glob("*.csv"),
                 data_copy / "restates.csv"]:  # every coder's rows of the case
        codings = path.read_text(encoding="utf-8").splitlines()
        path.write_text("\n".join(l for l in codings if not l.startswith("hammersmith")) + "\n", encoding="utf-8")
    monkeypatch.setenv("LSPKIT_DATA", str(data_copy))
    assert lspkit.load_corpus().case_ids == ["blackburn-with-darwen", "bolton"]


def test_a_new_case_study_loads_with_no_code_change(data_copy):
    """A renamed copy of Bolton, dropped into raw/ with a row in cases.csv, gets units and structure codings."""
    text = (DATA / "raw" / "bolton.txt").read_text(encoding="utf-8").replace("Bolton", "Testshire")
    (data_copy / "raw" / "testshire.txt").write_text(text, encoding="utf-8")
    with open(data_copy / "cases.csv", "a", encoding="utf-8") as fh:
        fh.write("testshire,Testshire Vision Partnership,Testshire,"
                 "\"'Testshire first, politics second' in Testshire Vision Partnership\",2009-04,,,,,\n")
    corpus = lspkit.load_corpus(data_copy)
    assert corpus.case_ids[-1] == "testshire"
    new = corpus.case("testshire")
    assert new.units["kind"].value_counts().to_dict() == {"paragraph": 27, "learning_point": 6, "question": 3,
                                                           "quote": 0}
    structure = new.coder("structure").codings
    assert len(structure) == 24 and set(structure["code_id"]) <= set(corpus.elements)
    assert new.units.set_index("unit_id").loc["testshire.p08", "citation"] == "Testshire ¶8"
    assert new.coder("researcher").codings.empty  # nobody has read it yet


def test_a_raw_text_without_a_cases_row_is_an_error(data_copy):
    shutil.copy(DATA / "raw" / "bolton.txt", data_copy / "raw" / "wigan.txt")
    with pytest.raises(LspkitError, match=r"wigan.txt: raw text has no row in cases.csv \(case id 'wigan'\)"):
        lspkit.load_corpus(data_copy)


@pytest.mark.parametrize("coder,kind", [(None, None), ("researcher", None), ("researcher", "theme"),
                                        ("structure", "element"), ("auto", "element")])
def test_coded_units_by_row_position_equals_the_join_on_ids(corpus, coder, kind):
    """The fast path (integer positions) and the plain merge on ids give the same frame."""
    from dataclasses import replace

    fast = corpus.coded_units(coder=coder, code_kind=kind)
    joined = replace(corpus)  # a new corpus whose positions say the ids are not unique: the merge path
    joined.__dict__["positions"] = replace(corpus.positions, unique=False)
    slow = joined.coded_units(coder=coder, code_kind=kind)
    assert len(fast) > 0
    pd.testing.assert_frame_equal(fast, slow)


def test_raw_span_is_exact_for_every_bolton_unit_saved_with_crlf(data_copy):
    path = data_copy / "raw" / "bolton.txt"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    corpus = lspkit.load_corpus(data_copy)
    text = path.read_bytes().decode("utf-8")
    assert corpus.raw["bolton"] == text
    bolton = corpus.units[corpus.units["case_id"] == "bolton"]
    assert len(bolton) == 36
    for unit_id, start, end in bolton[["unit_id", "start", "end"]].itertuples(index=False):
        assert corpus.raw_span(unit_id) == text[start:end]
    assert "\r\n\r\nfunded by the Council" in corpus.raw_span("bolton.p14")
    lf = lspkit.load_corpus(DATA)
    pd.testing.assert_frame_equal(corpus.units.drop(columns=["start", "end"]), lf.units.drop(columns=["start", "end"]))


def test_raw_is_the_files_text(corpus):
    for case_id in CASES:
        assert corpus.raw[case_id] == (DATA / "raw" / f"{case_id}.txt").read_bytes().decode("utf-8")


def test_a_theme_under_a_theme_takes_the_element_of_the_theme_above(tmp_path):
    text = (DATA / "codebook.yml").read_text(encoding="utf-8")
    start = text.index("  - id: mainstream_budgets")
    entry = text[start:text.index("\n  - id:", start + 1)]
    assert "    parent: steering\n" in entry
    nested = text.replace(entry, entry.replace("    parent: steering\n", "    parent: pooled_resources\n"))
    (tmp_path / "codebook.yml").write_text(nested, encoding="utf-8")
    codes = load_codebook(tmp_path / "codebook.yml").codes.set_index("code_id")
    assert codes.loc["mainstream_budgets", "parent"] == "pooled_resources"
    assert codes.loc["mainstream_budgets", ["element", "dimension"]].tolist() == ["steering", "transactional"]


def test_a_second_load_of_an_unchanged_folder_is_a_fresh_copy_of_the_first(data_copy, monkeypatch):
    from lspkit import corpus as corpus_module
    from lspkit.errors import DataError

    monkeypatch.delenv("LSPKIT_NO_CACHE", raising=False)
    reads = []
    real_load = corpus_module._load
    monkeypatch.setattr(corpus_module, "_load", lambda *args: reads.append(args[0]) or real_load(*args))
    first = corpus_module.load_corpus(data_copy)
    first.units.loc[0, "text"] = "changed by a notebook"  # what one notebook does to its copy ...
    second = corpus_module.load_corpus(data_copy)
    assert len(reads) == 1  # ... the next load neither reads the files again
    assert second.units.loc[0, "text"] != "changed by a notebook"  # nor sees
    assert second.units.equals(corpus_module.load_corpus(data_copy).units)

    path = data_copy / "codings" / "researcher.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(lines[1].split(",")[1], "no_such_code", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="no_such_code"):  # an edited file is read, and its problem reported
        corpus_module.load_corpus(data_copy)
    with pytest.raises(DataError):  # a load with problems is never kept
        corpus_module.load_corpus(data_copy)
    assert len(reads) == 3

    (data_copy / "codings" / "researcher.csv").write_text("\n".join(lines[:1] + lines[2:]) + "\n", encoding="utf-8")
    corpus_module.load_corpus(data_copy)
    (data_copy / "stray.txt").write_text("a file the loader does not read", encoding="utf-8")
    corpus_module.load_corpus(data_copy)  # any added file counts as a change
    monkeypatch.setenv("LSPKIT_NO_CACHE", "1")
    corpus_module.load_corpus(data_copy)
    corpus_module.load_corpus(data_copy)  # with the cache off, every load reads the files
    assert len(reads) == 7
