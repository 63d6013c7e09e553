"""The synthetic corpus generator (benchmarks/synth.py): deterministic, fictional, and loadable."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

import lspkit
from lspkit import caseformat

from .conftest import ROOT

_spec = importlib.util.spec_from_file_location("lspkit_bench_synth", ROOT / "benchmarks" / "synth.py")
synth = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = synth
_spec.loader.exec_module(synth)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    return synth.write_corpus(tmp_path_factory.mktemp("synth") / "data", cases=6, seed=11)


def test_same_seed_gives_the_same_bytes(tmp_path, synthetic):
    again = synth.write_corpus(tmp_path / "again", cases=6, seed=11)
    assert _files(again) == _files(synthetic)
    other = synth.write_corpus(tmp_path / "other", cases=6, seed=12)
    assert _files(other)["codings/researcher.csv"] != _files(synthetic)["codings/researcher.csv"]


def test_a_case_does_not_depend_on_how_many_are_written(tmp_path, synthetic):
    fewer = synth.write_corpus(tmp_path / "fewer", cases=2, seed=11)
    name = "raw/synthetic-partnership-0002.txt"
    assert _files(fewer)[name] == _files(synthetic)[name]


def test_it_loads_and_validates(synthetic):
    assert lspkit.validate(synthetic) == []
    corpus = lspkit.load_corpus(synthetic)
    assert len(corpus.case_ids) == 6
    per_case = corpus.units.groupby("case_id").size()
    assert per_case.between(50, 85).all()  # about 65 units a case
    assert set(corpus.units["kind"]) == {"paragraph", "quote", "learning_point", "question"}
    researcher = corpus.coder("researcher").coded_units()
    assert set(researcher["code_kind"]) == {"element", "theme"}
    assert (researcher["memo"] != "").any()


def test_it_writes_the_format_and_its_artefacts(synthetic):
    corpus = lspkit.load_corpus(synthetic)
    texts = "\n".join(corpus.raw.values())
    for pattern in (r"^- \d+\*\* ", r"^- \d+ [A-Z]", r"^\d+ [A-Z]", r"^-$", r"^\u2018.*\u2019 \S",
                    r"^\u201c.*\u201d \S", r"^'.*' \S", r"^- [A-Z]", r"^1\. |^- 1 ", r"\n\n[a-z]"):
        assert re.search(pattern, texts, re.MULTILINE), pattern
    headings = {h for _, h, _ in caseformat.read_case_file(next((synthetic / "raw").glob("*.txt"))).headings}
    assert set(corpus.codebook.heading_to_element) - {"Long-term objectives"} <= headings
    assert {"Transformational learning", "Transactional learning"} <= headings


def test_every_partnership_is_plainly_fictional(synthetic):
    corpus = lspkit.load_corpus(synthetic)
    assert corpus.cases["partnership"].str.fullmatch(r"Synthetic Partnership \d{4}").all()
    assert corpus.cases["facts_source"].str.contains("synthetic").all()
    assert "describes no real partnership" in corpus.units.loc[corpus.units["boilerplate"], "text"].str.cat()


def test_it_will_not_overwrite_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        synth.write_corpus(tmp_path, cases=1, seed=1, overwrite=True)


def test_every_analysis_the_scale_benchmark_times_runs_on_the_corpus(corpus):
    spec = importlib.util.spec_from_file_location("lspkit_bench_scale", ROOT / "benchmarks" / "bench_scale.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    steps = bench.analyses()
    assert len(steps) > 15
    for name, step in steps:  # a renamed or deleted analysis fails here, not in a long benchmark run
        assert step(corpus) is not None, name
