"""The same case studies saved with other line breaks, or with a byte-order mark, read the same.

A raw file is decoded as UTF-8 with a leading byte-order mark removed; every other character,
``\\r\\n`` and lone ``\\r`` line breaks included, is kept. ``Corpus.raw`` holds that text, a unit's
``start`` and ``end`` index it, and ``raw_span`` gives the unit's exact characters. Unit texts, line
numbers and every analysis are the same whatever the line breaks.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import lspkit
from lspkit import analysis, parsecache, reliability
from lspkit.caseformat import decode_case_bytes, parse_case_text

from .conftest import CASES, DATA

BOM = b"\xef\xbb\xbf"
VARIANTS = {
    "crlf": lambda text: text.replace("\n", "\r\n").encode("utf-8"),
    "cr": lambda text: text.replace("\n", "\r").encode("utf-8"),
    "lf-bom": lambda text: BOM + text.encode("utf-8"),
    "crlf-bom": lambda text: BOM + text.replace("\n", "\r\n").encode("utf-8"),
}
# Offsets count the characters of the line breaks, so they move with them; nothing else does.
OFFSETS = ["start", "end"]


def _variant_data(tmp: Path, name: str) -> Path:
    """A copy of data/ whose three texts are saved as the variant ``name``."""
    target = tmp / name
    shutil.copytree(DATA, target)
    for case_id in CASES:
        path = target / "raw" / f"{case_id}.txt"
        text = path.read_bytes().decode("utf-8")
        assert "\r" not in text and not text.startswith("\ufeff")  # the shipped texts are plain LF
        path.write_bytes(VARIANTS[name](text))
    return target


def _file_text(path: Path) -> str:
    """The file's bytes decoded independently of lspkit: UTF-8, one leading BOM dropped."""
    return path.read_bytes().decode("utf-8").removeprefix("\ufeff")


@pytest.fixture(scope="module")
def lf() -> lspkit.Corpus:
    return lspkit.load_corpus(DATA)


@pytest.fixture(scope="module", params=list(VARIANTS))
def variant(request, tmp_path_factory) -> tuple[str, Path, lspkit.Corpus]:
    data = _variant_data(tmp_path_factory.mktemp("variants"), request.param)
    return request.param, data, lspkit.load_corpus(data)


def test_the_variant_files_really_differ_from_the_shipped_ones(variant):
    name, data, _ = variant
    for case_id in CASES:
        raw = (data / "raw" / f"{case_id}.txt").read_bytes()
        assert raw != (DATA / "raw" / f"{case_id}.txt").read_bytes()
        assert raw.startswith(BOM) == name.endswith("bom")
        assert (b"\r\n" in raw) == name.startswith("crlf")


def test_raw_is_the_decoded_file_without_its_bom(variant):
    _, data, corpus = variant
    for case_id in CASES:
        assert corpus.raw[case_id] == _file_text(data / "raw" / f"{case_id}.txt")
        assert not corpus.raw[case_id].startswith("\ufeff")


def test_raw_span_is_exactly_the_files_characters_for_every_unit(variant):
    _, data, corpus = variant
    texts = {c: _file_text(data / "raw" / f"{c}.txt") for c in CASES}
    units = corpus.units
    assert len(units) > 100
    for unit_id, case_id, start, end, text in units[["unit_id", "case_id", "start", "end", "text"]].itertuples(
            index=False):
        span = corpus.raw_span(unit_id)
        assert span == texts[case_id][start:end], unit_id
        assert " ".join(span.split()) == text, unit_id
        assert span == span.strip(), unit_id  # a span starts and ends on the unit's own characters


def test_a_page_break_inside_a_unit_keeps_the_files_own_line_breaks(variant, lf):
    name, _, corpus = variant
    brk = {"crlf": "\r\n", "cr": "\r", "lf-bom": "\n", "crlf-bom": "\r\n"}[name]
    span = corpus.raw_span("bolton.p14")
    assert f"{brk}{brk}funded by the Council" in span
    assert span.replace(brk, "\n") == lf.raw_span("bolton.p14")


def test_units_are_identical_apart_from_their_offsets(variant, lf):
    name, _, corpus = variant
    expected, got = lf.units, corpus.units
    same_offsets = name == "cr" or name == "lf-bom"  # one character per line break, and no BOM counted
    columns = list(expected.columns) if same_offsets else [c for c in expected.columns if c not in OFFSETS]
    pd.testing.assert_frame_equal(got[columns], expected[columns], check_exact=True)
    assert got["line"].tolist() == expected["line"].tolist()
    if not same_offsets:
        assert (got["start"] > expected["start"]).any()


def test_cases_codes_and_codings_are_identical(variant, lf):
    _, _, corpus = variant
    for frame in ("cases", "codes", "codings", "coders"):
        pd.testing.assert_frame_equal(getattr(corpus, frame), getattr(lf, frame), check_exact=True)
    assert lspkit.validate(variant[1]) == []


def _analyses(corpus: lspkit.Corpus) -> dict[str, pd.DataFrame]:
    """Every table the notebooks show, computed from one corpus."""
    bolton = corpus.case("bolton")
    return {
        "element_profile": analysis.element_profile(corpus),
        "element_profile bolton": analysis.element_profile(bolton),
        "balance": analysis.balance(corpus),
        "case_code_matrix element": analysis.case_code_matrix(corpus),
        "case_code_matrix theme": analysis.case_code_matrix(corpus, code_kind="theme"),
        "evidence": analysis.evidence(corpus),
        "framework_matrix": analysis.framework_matrix(corpus),
        "theme_presence": analysis.theme_presence(corpus),
        "theme_meta_matrix": analysis.theme_meta_matrix(corpus),
        "cooccurrence": analysis.cooccurrence(corpus),
        "cooccurrence all": analysis.cooccurrence(corpus, code_kind="all"),
        "interdependence": analysis.interdependence(corpus),
        "interdependence_summary": analysis.interdependence_summary(corpus),
        "retrieve": analysis.retrieve(corpus, code="standards", case_id="bolton", coder="researcher",
                                      kinds=analysis.EVIDENCE_KINDS),
        "reliability": reliability.reliability(corpus, ["structure", "researcher"]),
        "departures": analysis.departures(corpus),
        "unit_counts": analysis.unit_counts(corpus),
        "section_units": analysis.section_units(corpus, "Long-term objectives"),
        "learning_points": analysis.learning_points(corpus, wide=True),
        "code_summary": analysis.code_summary(corpus),
        "coverage": analysis.coverage(corpus),
        "codebook_usage": analysis.codebook_usage(corpus),
        "synthesis": analysis.synthesis(corpus),
        "reliability": reliability.reliability(corpus, ["researcher", "structure"]),
        "reliability themes": reliability.theme_reliability(corpus, ["researcher", "auto"]),
        "disagreements": reliability.disagreements(corpus, ["researcher", "structure"]),
    }


def test_every_analysis_is_identical(variant, lf):
    _, _, corpus = variant
    expected, got = _analyses(lf), _analyses(corpus)
    for name, table in expected.items():
        assert not table.empty, name
        pd.testing.assert_frame_equal(got[name], table, check_exact=True, obj=name)


def test_the_parse_cache_keys_on_bytes_so_variants_never_share_an_entry(tmp_path, monkeypatch, lf):
    cache = tmp_path / "cache"
    monkeypatch.setenv(parsecache.ENV_DIR, str(cache))
    monkeypatch.delenv(parsecache.ENV_OFF, raising=False)
    folders = {name: _variant_data(tmp_path, name) for name in VARIANTS}
    cold = {"lf": lspkit.load_corpus(DATA)} | {name: lspkit.load_corpus(d) for name, d in folders.items()}
    assert len(list(cache.rglob("*.marshal"))) == 3 * len(cold)  # one entry per text and variant
    for name, data in {"lf": DATA, **folders}.items():
        warm = lspkit.load_corpus(data)  # every entry is there now: a collision would give wrong offsets
        pd.testing.assert_frame_equal(warm.units, cold[name].units, check_exact=True)
        assert warm.raw == cold[name].raw
        for case_id in CASES:
            assert warm.raw[case_id] == _file_text(data / "raw" / f"{case_id}.txt")
    pd.testing.assert_frame_equal(cold["crlf"].units.drop(columns=OFFSETS), lf.units.drop(columns=OFFSETS))


@pytest.mark.parametrize("name", list(VARIANTS))
def test_the_parser_alone_gives_exact_spans_and_the_same_lines(name):
    plain = (DATA / "raw" / "hammersmith-and-fulham.txt").read_text(encoding="utf-8")
    text = decode_case_bytes(VARIANTS[name](plain), "x.txt")
    expected = parse_case_text(plain, "hf")
    parsed = parse_case_text(text, "hf")
    assert [(u["unit_id"], u["line"], u["text"]) for u in parsed.units] == [
        (u["unit_id"], u["line"], u["text"]) for u in expected.units]
    assert parsed.headings == expected.headings
    for unit, plain_unit in zip(parsed.units, expected.units):
        span = text[unit["start"]:unit["end"]]
        assert span.replace("\r\n", "\n").replace("\r", "\n") == plain[plain_unit["start"]:plain_unit["end"]]


def test_mixed_line_breaks_in_one_file():
    plain = (DATA / "raw" / "bolton.txt").read_text(encoding="utf-8")
    lines = plain.split("\n")
    breaks = ["\n", "\r", "\r\n"]  # never a lone "\r" before an empty line's "\n": that would be one break
    mixed = "".join(line + breaks[i % 3] for i, line in enumerate(lines[:-1])) + lines[-1]
    parsed, expected = parse_case_text(mixed, "bolton"), parse_case_text(plain, "bolton")
    assert [(u["unit_id"], u["line"], u["text"]) for u in parsed.units] == [
        (u["unit_id"], u["line"], u["text"]) for u in expected.units]
    for unit in parsed.units:
        assert " ".join(mixed[unit["start"]:unit["end"]].split()) == unit["text"]
