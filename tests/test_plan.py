"""Planning a run without starting a kernel: the parameters a notebook declares, and the inputs a run
reuses from its last load of the data."""

from __future__ import annotations

import nbformat
import papermill
import pytest

from lspkit import corpus as corpus_module
from lspkit.errors import DataError
from lspkit.plan import declared_parameters
from lspkit.runner import checked_inputs

from .conftest import CASES, ROOT

NOTEBOOKS = ROOT / "notebooks"


@pytest.mark.parametrize("name", sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")))
def test_declared_parameters_are_the_names_papermill_finds(name):
    path = NOTEBOOKS / f"{name}.ipynb"
    assert declared_parameters(path) == list(papermill.inspect_notebook(str(path)))


def _notebook(tmp_path, source: str, language: str = "python"):
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["parameters"]})
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"), cell])
    nb.metadata["kernelspec"] = {"name": "k", "display_name": "k", "language": language}
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def test_declared_parameters_reads_only_the_parameters_cell(tmp_path):
    path = _notebook(
        tmp_path, 'case_id = "bolton"  # a case\ncoder: str = "researcher"\nprint(case_id)\ncases = None\n'
    )
    assert declared_parameters(path) == ["case_id", "coder", "cases"]
    assert declared_parameters(_notebook(tmp_path, "if True:\n    hidden = 1\n")) == []


def test_a_cell_that_is_not_python_is_left_to_papermill(tmp_path):
    path = _notebook(tmp_path, "case_id = 'bolton'\nthis is not python\n")
    assert declared_parameters(path) == list(papermill.inspect_notebook(str(path))) == ["case_id"]


def test_the_inputs_are_loaded_once_then_reused_for_the_same_bytes_and_code(data_copy, monkeypatch):
    first = checked_inputs(data_copy, {"pages": {}})
    assert list(first.case_ids) == CASES and first.codebook_version
    assert first.partnerships["bolton"] == "Bolton Vision Partnership"

    def no_load(*args, **kwargs):
        raise AssertionError("the data were loaded again")

    monkeypatch.setattr(corpus_module, "load_corpus", no_load)
    manifest = {"pages": {}, "inputs": first.record()}
    assert checked_inputs(data_copy, manifest) == first  # the same bytes: reused, not loaded
    monkeypatch.undo()

    # one changed byte in any data file, or other code: loaded (and so validated) again
    codings = data_copy / "codings" / "researcher.csv"
    codings.write_text(codings.read_text(encoding="utf-8").replace("bolton.p08,", "bolton.p99,", 1), encoding="utf-8")
    with pytest.raises(DataError, match="bolton.p99"):
        checked_inputs(data_copy, manifest)


def test_a_record_of_other_code_or_a_damaged_record_is_not_trusted(data_copy, monkeypatch):
    first = checked_inputs(data_copy, {"pages": {}})
    loads = []
    real = corpus_module.load_corpus
    monkeypatch.setattr(corpus_module, "load_corpus", lambda d: loads.append(d) or real(d))
    assert checked_inputs(data_copy, {"inputs": dict(first.record(), code="0.0.0+other")}) == first
    damaged = dict(first.record())
    del damaged["case_ids"]
    assert checked_inputs(data_copy, {"inputs": damaged}) == first
    assert len(loads) == 2
