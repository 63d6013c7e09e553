"""Each kind of bad input gets one LspkitError naming the file and the row or line."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

import lspkit
from lspkit.cli import main
from lspkit.errors import LspkitError


def _append(path, text):
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text)


def _errors(data_dir) -> str:
    with pytest.raises(LspkitError) as info:
        lspkit.load_corpus(data_dir)
    return str(info.value)


def _codings_rows(data_dir) -> int:
    return len((data_dir / "codings" / "researcher.csv").read_text(encoding="utf-8").splitlines())


def test_coding_with_unknown_unit_code_and_coder(data_copy):
    n = _codings_rows(data_copy)
    _append(data_copy / "codings" / "researcher.csv",
            "bolton.p99,style,researcher,\nbolton.p08,leadershp,researcher,\nbolton.p08,style,bob,\n")
    message = _errors(data_copy)
    assert f"researcher.csv, row {n + 1}: unknown unit 'bolton.p99'" in message
    assert f"researcher.csv, row {n + 2}: unknown code 'leadershp'" in message
    assert f"researcher.csv, row {n + 3}: unknown coder 'bob'" in message
    at = [message.index(f"researcher.csv, row {n + k}:") for k in (1, 2, 3)]
    assert at == sorted(at)  # reported in row order


def test_coding_a_boilerplate_unit_or_typing_structure_codings(data_copy):
    _append(data_copy / "codings" / "researcher.csv", "bolton.p02,style,researcher,\n")
    (data_copy / "codings" / "structure.csv").write_text("unit_id,code_id,coder,memo\nbolton.p08,style,structure,\n")
    message = _errors(data_copy)
    assert "unit 'bolton.p02' is boilerplate" in message
    assert "structure.csv, row 2: coder 'structure' is derived from the headings" in message


def test_duplicate_ids(data_copy):
    n = _codings_rows(data_copy)
    first = (data_copy / "codings" / "researcher.csv").read_text(encoding="utf-8").splitlines()[1]
    _append(data_copy / "codings" / "researcher.csv", first + "\n")
    _append(data_copy / "cases.csv", "bolton,B,B,T,2009-04,,,,,\n")
    n_coders = len((data_copy / "coders.csv").read_text(encoding="utf-8").splitlines())
    _append(data_copy / "coders.csv", "researcher,human,again\n")
    book = data_copy / "codebook.yml"
    book.write_text(book.read_text(encoding="utf-8") + "\n  - id: style\n    label: Again\n    definition: Again\n",
                    encoding="utf-8")
    message = _errors(data_copy)
    assert f"researcher.csv, row {n + 1}: duplicate coding" in message
    assert "(first at researcher.csv row 2)" in message  # the row it repeats, so the reader knows which to keep
    assert "cases.csv, row 5: duplicate case_id 'bolton' (first at row 3)" in message
    assert f"coders.csv, row {n_coders + 1}: duplicate coder 'researcher'" in message
    assert re.search(r"codebook.yml, line \d+: duplicate code id 'style'", message)


def test_codebook_entry_missing_a_field_or_naming_an_unknown_parent(data_copy):
    book = data_copy / "codebook.yml"
    text = book.read_text(encoding="utf-8")
    text = text.replace("    label: Political consensus\n", "")
    text = text.replace("    parent: pooled_resources\n", "    parent: pooled_resorces\n")
    book.write_text(text, encoding="utf-8")
    message = _errors(data_copy)
    assert re.search(r"codebook.yml, line \d+: theme 'political_consensus' is missing required field\(s\): label",
                     message)
    assert re.search(r"codebook.yml, line \d+: theme 'mainstream_budgets' names unknown parent 'pooled_resorces'",
                     message)


def test_codebook_that_is_not_yaml(data_copy):
    (data_copy / "codebook.yml").write_text("elements: [unclosed\n", encoding="utf-8")
    assert re.search(r"codebook.yml, line \d+: not valid YAML", _errors(data_copy))


def test_raw_text_missing_a_heading_or_with_a_numbering_gap(data_copy):
    raw = data_copy / "raw" / "hammersmith-and-fulham.txt"
    text = raw.read_text(encoding="utf-8").replace("Meetings and joint working\n", "Meeting and joint working\n")
    raw.write_text(text.replace("- 16** There", "- 61** There"), encoding="utf-8")
    message = _errors(data_copy)
    assert re.search(r"hammersmith-and-fulham.txt, line 37: heading 'Meeting and joint working' matches no element",
                     message)
    assert "hammersmith-and-fulham.txt: missing the heading 'Meetings and joint working'" in message
    assert "hammersmith-and-fulham.txt, line 58: paragraph number 61 follows 15" in message


def test_raw_text_that_cannot_be_decoded(data_copy):
    raw = data_copy / "raw" / "bolton.txt"
    raw.write_bytes(raw.read_bytes().replace("–".encode(), b"\x96"))
    assert re.search(r"bolton.txt, line 27: cannot be decoded as UTF-8", _errors(data_copy))


def test_coding_file_that_cannot_be_decoded_or_is_malformed(data_copy):
    (data_copy / "codings" / "second.csv").write_bytes(b"unit_id,code_id,coder,memo\nbolton.p08,style,researcher,caf\xe9\n")
    (data_copy / "codings" / "third.csv").write_text("unit_id,code_id,coder,memo\nbolton.p08,style\n")
    message = _errors(data_copy)
    assert "second.csv, byte" in message and "UTF-8" in message
    assert "third.csv, row 2: has 2 fields, the header has 4" in message


def test_case_title_must_match_the_document(data_copy):
    path = data_copy / "cases.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Financial challenge in", "Financial troubles in"),
                    encoding="utf-8")
    assert "cases.csv, row 4: title 'Financial troubles in" in _errors(data_copy)


def test_validate_reports_every_problem_at_once_and_exits_non_zero(data_copy, capsys):
    _append(data_copy / "codings" / "researcher.csv", "bolton.p99,style,researcher,\nbolton.p08,nope,researcher,\n")
    raw = data_copy / "raw" / "bolton.txt"
    raw.write_text(raw.read_text(encoding="utf-8").replace("\n- 7 The", "\n- 8 The"), encoding="utf-8")
    assert main(["--data", str(data_copy), "validate"]) == 1
    err = capsys.readouterr().err
    assert "problem(s)" in err
    assert "unknown unit 'bolton.p99'" in err and "unknown code 'nope'" in err and "paragraph number 8 follows 6" in err


def test_cli_list_and_validate_on_good_data(capsys):
    assert main(["validate"]) == 0
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "Bolton Vision Partnership" in out and "OK" in out


def test_console_script_is_installed():
    done = subprocess.run([sys.executable, "-m", "lspkit.cli", "list"], capture_output=True, text=True)
    assert done.returncode == 0 and "hammersmith-and-fulham" in done.stdout
