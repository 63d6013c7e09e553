"""The workbook boundary: found from where the user is, made with `lspkit init`, the example shipped."""

from __future__ import annotations

import pytest

import lspkit
from lspkit.cli import main
from lspkit.errors import DataError
from lspkit.workbook import WORKBOOK_ENV, Workbook, example_dir, init_workbook, load_example

from .conftest import CASES, ROOT


def test_the_workbook_is_found_from_any_folder_inside_it(monkeypatch):
    monkeypatch.delenv(WORKBOOK_ENV, raising=False)
    for start in (ROOT, ROOT / "notebooks", ROOT / "data" / "raw"):
        wb = Workbook.find(start)
        assert wb.root == ROOT and wb.data == ROOT / "data" and wb.notebooks == ROOT / "notebooks"
        assert wb.outputs == ROOT / "outputs" and wb.references == ROOT / "tests" / "references"


def test_outside_a_workbook_the_message_says_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.delenv(WORKBOOK_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match="lspkit init DIR --example"):
        lspkit.load_corpus()
    monkeypatch.setenv("LSPKIT_DATA", str(ROOT / "data"))  # a data folder alone is enough for the library
    assert lspkit.load_corpus().case_ids == CASES


def test_init_makes_a_workbook_that_loads_and_validates(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(WORKBOOK_ENV, raising=False)
    wb = init_workbook(tmp_path / "study", example=True)
    assert sorted(p.name for p in wb.notebooks.glob("*.ipynb")) == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    monkeypatch.chdir(wb.notebooks)  # where a kernel runs
    assert lspkit.load_corpus().data_dir == wb.data and lspkit.load_corpus().case_ids == CASES
    monkeypatch.chdir(tmp_path)
    assert main(["--workbook", str(wb.root), "validate"]) == 0
    assert f"{wb.data}: OK" in capsys.readouterr().out
    with pytest.raises(DataError, match="not an empty folder"):
        init_workbook(wb.root)


def test_init_without_the_example_gives_a_skeleton_to_fill(tmp_path, capsys):
    assert main(["init", str(tmp_path / "new")]) == 0
    data = tmp_path / "new" / "data"
    assert (data / "codebook.yml").read_bytes() == (ROOT / "data" / "codebook.yml").read_bytes()
    assert (data / "cases.csv").read_text(encoding="utf-8") == "case_id,partnership,short_name,title,published\n"
    assert sorted(p.name for p in data.iterdir()) == ["cases.csv", "codebook.yml", "coders.csv", "codings", "links", "raw"]
    assert main(["--workbook", str(tmp_path / "new"), "validate"]) == 1
    assert "no raw case-study texts" in capsys.readouterr().err  # the next step, named


def test_the_example_is_the_projects_own_data():
    assert example_dir() in (ROOT, ROOT.joinpath("lspkit", "example"))
    assert load_example().case_ids == CASES
