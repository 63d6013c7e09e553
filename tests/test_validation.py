"""Each kind of bad input gets one LspkitError naming the file and the row or line."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pandas as pd
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
            "bolton.p99,style,researcher,,\nbolton.p08,leadershp,researcher,,\nbolton.p08,style,bob,,\n")
    message = _errors(data_copy)
    assert f"researcher.csv, row {n + 1}: unknown unit 'bolton.p99'" in message
    assert f"researcher.csv, row {n + 2}: unknown code 'leadershp'" in message
    assert f"researcher.csv, row {n + 3}: unknown coder 'bob'" in message
    at = [message.index(f"researcher.csv, row {n + k}:") for k in (1, 2, 3)]
    assert at == sorted(at)  # reported in row order


def test_coding_a_boilerplate_unit_or_typing_structure_codings(data_copy):
    _append(data_copy / "codings" / "researcher.csv", "bolton.p02,style,researcher,,\n")
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
    book.write_text(book.read_text(encoding="utf-8").replace("\nthemes:\n", "\nthemes:\n  - id: style\n    label: Again\n"
                                                             "    definition: Again\n", 1),
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
    text = text.replace("    parent: staff_skills\n", "    parent: staf_skills\n", 1)
    book.write_text(text, encoding="utf-8")
    message = _errors(data_copy)
    assert re.search(r"codebook.yml, line \d+: theme 'political_consensus' is missing required field\(s\): label",
                     message)
    assert re.search(r"codebook.yml, line \d+: theme 'joint_appointments' names unknown parent 'staf_skills'",
                     message)


def test_codebook_that_is_not_yaml(data_copy):
    (data_copy / "codebook.yml").write_text("elements: [unclosed\n", encoding="utf-8")
    assert re.search(r"codebook.yml, line \d+, column \d+: not valid YAML", _errors(data_copy))


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
    assert "second.csv, row 2, byte 58: cannot be decoded as UTF-8" in message
    assert "third.csv, row 2: has 2 fields, the header has 4" in message


def test_case_title_must_match_the_document(data_copy):
    path = data_copy / "cases.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Financial challenge in", "Financial troubles in"),
                    encoding="utf-8")
    assert "cases.csv, row 4: title 'Financial troubles in" in _errors(data_copy)


def test_validate_reports_every_problem_at_once_and_exits_non_zero(data_copy, capsys):
    _append(data_copy / "codings" / "researcher.csv", "bolton.p99,style,researcher,,\nbolton.p08,nope,researcher,,\n")
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


# -- a clear message for each file that is missing, misplaced or unusable -------------------------------

def _problems(data_dir) -> list[str]:
    return [str(p) for p in lspkit.validate(data_dir)]


def test_a_data_folder_without_cases_csv(data_copy):
    (data_copy / "cases.csv").unlink()
    assert _problems(data_copy) == [f"{data_copy / 'cases.csv'}: case attributes file not found (create it with "
                                    "the columns case_id,partnership,short_name,title,published)"]
    with pytest.raises(LspkitError, match="case attributes file not found"):
        lspkit.load_corpus(data_copy)


@pytest.mark.parametrize("where", ["empty folder", "unrelated files", "/etc"])
def test_a_folder_that_is_not_a_data_folder_is_one_clear_message(tmp_path, where):
    folder = tmp_path
    if where == "unrelated files":
        (tmp_path / "notes.txt").write_text("hello")
        (tmp_path / "sub").mkdir()
    elif where == "/etc":
        folder = "/etc"
    problems = _problems(folder)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{folder}: not an lspkit data directory: it holds none of raw/, cases.csv, "
                                  "codebook.yml, coders.csv, codings/")
    assert "a data directory holds raw/<case-id>.txt (the case studies), cases.csv" in problems[0]
    with pytest.raises(LspkitError, match="not an lspkit data directory"):
        lspkit.load_corpus(folder)


def test_the_project_folder_a_raw_folder_or_a_file_point_to_the_data_folder(tmp_path, data_copy):
    from .conftest import DATA, ROOT

    assert f"did you mean {DATA}?" in _problems(ROOT)[0]
    assert f"this is the raw/ folder of {data_copy}: pass that instead" in _problems(data_copy / "raw")[0]
    assert _problems(data_copy / "cases.csv")[0].startswith(f"{data_copy / 'cases.csv'}: is a file, not a data "
                                                            "directory")
    assert _problems(tmp_path / "nowhere") == [
        f"{tmp_path / 'nowhere'}: data directory not found (pass load_corpus(path) or set LSPKIT_DATA to a "
        "directory holding raw/, cases.csv and codebook.yml)"]


@pytest.mark.parametrize("text", ["", "  \n\n\t\n", "# only comments\n# here\n", "---\n"])
def test_an_empty_codebook_is_said_once_without_follow_on_problems(data_copy, text):
    (data_copy / "codebook.yml").write_text(text, encoding="utf-8")
    assert _problems(data_copy) == [f"{data_copy / 'codebook.yml'}: the codebook is empty (write the lists "
                                    "'dimensions', 'elements' and 'themes' (the project's data/codebook.yml shows "
                                    "the form))"]


@pytest.mark.parametrize("text, kind", [("- goals\n- style\n", "a list"),
                                        ("just words\n", "a single value ('just words')"),
                                        ("42\n", "a single value ('42')")])
def test_a_codebook_that_is_not_a_mapping_is_one_problem(data_copy, text, kind):
    (data_copy / "codebook.yml").write_text(text, encoding="utf-8")
    problems = _problems(data_copy)
    assert len(problems) == 1 and f"codebook.yml: the codebook is {kind}, not a mapping" in problems[0]


def test_a_codebook_with_no_usable_codes_is_said_once(data_copy):
    (data_copy / "codebook.yml").write_text("dimensions: [a, b]\nelements: []\nthemes: []\n", encoding="utf-8")
    problems = _problems(data_copy)
    assert len(problems) == 1 and "the codebook defines no usable element or theme" in problems[0]


def test_a_missing_coder_registry_is_said_once(data_copy):
    (data_copy / "coders.csv").unlink()
    assert _problems(data_copy) == [f"{data_copy / 'coders.csv'}: coder registry not found (create it with the "
                                    "columns coder,kind,description)"]


@pytest.mark.parametrize("text, message", [
    ("", "cases.csv: the file is empty"),
    ("case_id,partnership,short_name,title\nbolton,B,B,T\n", "cases.csv, row 1: missing column(s) published"),
])
def test_an_empty_cases_csv_or_one_missing_a_column_is_said_once(data_copy, text, message):
    (data_copy / "cases.csv").write_text(text, encoding="utf-8")
    problems = _problems(data_copy)
    assert len(problems) == 1 and message in problems[0], problems


def test_a_cases_csv_with_only_its_header_names_each_raw_text(data_copy):
    path = data_copy / "cases.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    problems = _problems(data_copy)
    assert len(problems) == 3 and all("raw text has no row in cases.csv" in p for p in problems)


def test_a_coding_file_missing_a_column(data_copy):
    (data_copy / "codings" / "anna.csv").write_text("unit_id,code,coder,memo\nbolton.p08,style,anna,\n")
    assert _problems(data_copy) == [f"{data_copy / 'codings' / 'anna.csv'}, row 1: missing column(s) code_id (the "
                                    "header must include unit_id,code_id,coder)"]


@pytest.mark.parametrize("relative, message", [
    ("codings/x.csv", "codings/x.csv: is a folder, not a file (codings/ holds one CSV file per coder"),
    ("raw/wigan.txt", "raw/wigan.txt: is a folder, not a file (a case study is a text file, raw/<case-id>.txt"),
    ("raw/bolton.txt", "raw/bolton.txt: is a folder, not a file (a case study is a text file, raw/<case-id>.txt"),
    ("cases.csv", "cases.csv: is a folder, not a file (a CSV file with the header case_id,"),
    ("coders.csv", "coders.csv: is a folder, not a file (a CSV file with the header coder,kind,description)"),
    ("codebook.yml", "codebook.yml: is a folder, not a file (the codebook is a YAML file, codebook.yml)"),
])
def test_a_folder_named_like_a_data_file_is_one_problem(data_copy, relative, message):
    path = data_copy / relative
    if path.exists():
        path.unlink()
    path.mkdir()
    problems = _problems(data_copy)
    assert problems == [f"{data_copy}/{message}" + problems[0][len(f"{data_copy}/{message}"):]], problems
    assert len(problems) == 1


def test_a_file_where_a_data_folder_belongs(data_copy):
    shutil.rmtree(data_copy / "codings")
    (data_copy / "codings").write_text("not a folder")
    assert _problems(data_copy) == [f"{data_copy / 'codings'}: is a file, not a folder (codings/ is a folder of CSV "
                                    "files, one per coder)"]
    shutil.rmtree(data_copy / "raw")
    (data_copy / "raw").write_text("not a folder")
    assert f"{data_copy / 'raw'}: is a file, not a folder" in _problems(data_copy)[0]


def test_an_unreadable_file_names_it(data_copy, monkeypatch):
    """Tests run as root, whom permissions do not stop, so the refusal is simulated."""
    from pathlib import Path

    locked = {data_copy / "coders.csv", data_copy / "codings" / "auto.csv", data_copy / "raw" / "bolton.txt"}
    read_bytes = Path.read_bytes

    def guarded(self):
        if self in locked:
            raise PermissionError(13, "Permission denied", str(self))
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", guarded)
    problems = _problems(data_copy)
    for path in sorted(locked):
        assert f"{path}: cannot be read: permission denied (make the file readable (chmod a+r))" in problems
    assert len(problems) == 3, problems


def test_a_codings_line_over_the_csv_field_limit_names_file_and_row(data_copy):
    n = _codings_rows(data_copy)
    _append(data_copy / "codings" / "researcher.csv", "bolton.p08,style,researcher,," + "x" * 140_000 + "\n")
    _append(data_copy / "codings" / "researcher.csv", "bolton.p99,style,researcher,,\n")
    problems = _problems(data_copy)
    assert f"researcher.csv, row {n + 1}: a field is longer than 131,072 characters" in problems[0]
    assert f"researcher.csv, row {n + 2}: unknown unit 'bolton.p99'" in problems[1]  # the rows after it are read
    assert len(problems) == 2


def test_an_unclosed_quotation_mark_does_not_swallow_rows_silently(data_copy):
    n = _codings_rows(data_copy)
    _append(data_copy / "codings" / "researcher.csv", 'bolton.p08,style,researcher,,"an open memo\n'
            "bolton.p09,style,researcher,,\n")
    problems = _problems(data_copy)
    assert problems == [f"{data_copy / 'codings' / 'researcher.csv'}, row {n + 1}: a quotation mark is never closed, "
                        f"so rows {n + 1} to {n + 2} (the end of the file) were read as one field and are not used "
                        '(close the quotation mark; inside a quoted field write a quotation mark as two (""))']


def test_files_with_a_byte_order_mark_or_crlf_load_as_they_are(data_copy):
    from .conftest import DATA

    for relative in ("cases.csv", "coders.csv", "codebook.yml", "codings/researcher.csv", "codings/auto.csv"):
        path = data_copy / relative
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    corpus, expected = lspkit.load_corpus(data_copy), lspkit.load_corpus(DATA)
    for frame in ("cases", "units", "codes", "codings", "coders"):
        pd.testing.assert_frame_equal(getattr(corpus, frame), getattr(expected, frame), check_exact=True)


def test_an_undecodable_raw_text_is_reported_without_its_codings(data_copy):
    raw = data_copy / "raw" / "bolton.txt"
    raw.write_bytes(b"\xff" + raw.read_bytes())
    assert _problems(data_copy) == [f"{raw}, line 1: cannot be decoded as UTF-8 (byte 0: b'\\xff') (save the file "
                                    "as UTF-8 text)"]


def test_a_nul_in_a_raw_text_is_reported_with_line_and_column(data_copy):
    raw = data_copy / "raw" / "hammersmith-and-fulham.txt"
    lines = raw.read_bytes().split(b"\n")
    lines[57] = lines[57][:12] + b"\x00" + lines[57][12:]  # in paragraph 16: "- 16** Ther\0e ..."
    raw.write_bytes(b"\n".join(lines))
    assert _problems(data_copy) == [f"{raw}, line 58, column 13: control character U+0000 (NUL) (delete it: a case "
                                    "study is plain text, where tab and line breaks are the only control characters)"]


def test_validate_reports_every_kind_of_problem_at_once(data_copy, capsys):
    (data_copy / "codings" / "x.csv").mkdir()
    _append(data_copy / "codings" / "researcher.csv", "bolton.p08,style,researcher,," + "x" * 140_000 + "\n")
    raw = data_copy / "raw" / "bolton.txt"
    raw.write_bytes(raw.read_bytes().replace(b"Bolton first", b"Bolton\x00first", 1))
    (data_copy / "coders.csv").unlink()
    path = data_copy / "cases.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("2009-04", "2009-4", 1), encoding="utf-8")
    assert main(["--data", str(data_copy), "validate"]) == 1
    err = capsys.readouterr().err
    for needle in ("x.csv: is a folder", "a field is longer than 131,072", "bolton.txt, line 5, column 8: control "
                   "character U+0000", "coders.csv: coder registry not found", "cases.csv, row 2: published '2009-4'"):
        assert needle in err, err
    assert "Traceback" not in err and "unknown coder" not in err
