"""Reading coding files column-wise gives exactly what reading them row by row gives."""

from __future__ import annotations

import pytest

from lspkit.codings import read_csv_columns, read_csv_rows, read_csv_table
from lspkit.errors import ProblemLog

HEADER = "unit_id,code_id,coder,memo\n"
LIMIT = 131_072  # the csv module's default field size limit
FILES = {
    "plain": HEADER + "a.p04,goals,r,\na.p05,style,r,a memo\n",
    "no final newline": HEADER + "a.p04,goals,r,\na.p05,style,r,x",
    "crlf": HEADER.replace("\n", "\r\n") + "a.p04,goals,r,\r\na.p05,style,r,\r\n",
    "spaces to strip": HEADER + " a.p04 ,goals,r,  padded memo \n",
    "quoted line break": HEADER + 'a.p04,goals,r,"two\nlines"\na.p05,style,r,\n',
    "blank rows": HEADER + "a.p04,goals,r,\n\n,,,\n  , , ,\na.p05,style,r,\n",
    "too few fields": HEADER + "a.p04,goals,r,\na.p05,style\na.p06,style,r,\n",
    "too many fields": HEADER + "a.p04,goals,r,x,y\na.p06,style,r,\n",
    "header only": HEADER,
    "quoted comma": HEADER + 'a.p04,goals,r,"one, two"\n',
    "doubled quotes": HEADER + 'a.p04,goals,r,"say ""yes"", then go"\na.p05,style,r,x""y\n',
    "stray quote mid field": HEADER + 'a.p04,goals,r,5" wide\na.p05,style,r,\n',
    "text after a closing quote": HEADER + 'a.p04,goals,r,"quoted"tail\n',
    "three-line quoted field": HEADER + 'a.p04,goals,r,"one\ntwo\nthree"\na.p05,style,r,\n',
    "quoted line break in the header": 'unit_id,code_id,coder,"me\nmo"\na.p04,goals,r,x\n',
    "lone carriage returns": HEADER.replace("\n", "\r") + "a.p04,goals,r,\ra.p05,style,r,\r",
    "many plain rows": HEADER + "".join(f"a.p{i:02d},goals,r,memo {i}\n" for i in range(40)),
    "byte-order mark and crlf": "\ufeff" + HEADER.replace("\n", "\r\n") + "a.p04,goals,r,\r\na.p05,style,r,x\r\n",
    "a field at the csv limit": HEADER + "a.p04,goals,r," + "x" * LIMIT + "\na.p05,style,r,\n",
    "a field over the csv limit": HEADER + "a.p04,goals,r," + "x" * LIMIT + "y\na.p05,style,r,\n",
    "a quoted field over the csv limit": HEADER + 'a.p04,goals,r,"' + "x" * (LIMIT + 1) + '"\na.p05,style,r,\n',
    "a quotation mark left open at the end": HEADER + 'a.p04,goals,r,\na.p05,style,r,"open\n',
    "a quotation mark left open swallowing rows": HEADER + 'a.p04,goals,r,"open\na.p05,style,r,\na.p06,style,r,\n',
    "an open quotation mark over the csv limit": (HEADER + 'a.p04,goals,r,"open\n'
                                                  + "a.p05,style,r,memo\n" * (LIMIT // 15) + "a.p06,style,r,\n"),
    "a closed quote ending the file": HEADER + 'a.p04,goals,r,"closed ""quote"""',
}


@pytest.mark.parametrize("name", list(FILES))
def test_columns_and_line_numbers_match_the_row_reader(tmp_path, name):
    path = tmp_path / "coder.csv"
    path.write_bytes(FILES[name].encode("utf-8"))
    by_rows, by_columns = ProblemLog(), ProblemLog()
    rows = read_csv_rows(path, ["unit_id", "code_id", "coder"], by_rows)
    columns, lines = read_csv_columns(path, ["unit_id", "code_id", "coder"], by_columns)
    assert lines == [line for line, _ in rows]
    for column, values in columns.items():
        assert values == [rec[column] for _, rec in rows]
    assert [str(p) for p in by_columns.problems] == [str(p) for p in by_rows.problems]


def test_a_short_row_is_reported_with_its_line(tmp_path):
    path = tmp_path / "coder.csv"
    path.write_bytes(FILES["too few fields"].encode("utf-8"))
    log = ProblemLog()
    columns, lines = read_csv_columns(path, ["unit_id", "code_id", "coder"], log)
    assert lines == [2, 4] and columns["unit_id"] == ["a.p04", "a.p06"]
    assert "row 3: has 2 fields, the header has 4" in str(log.problems[0])


def test_ordinary_files_take_the_column_reader_and_odd_ones_the_row_reader():
    from lspkit.codings import _whole_rows

    assert _whole_rows(FILES["plain"], 4) is not None
    assert _whole_rows(FILES["quoted comma"], 4) is not None  # quoted memos are common: still fast
    for odd in ("quoted line break", "blank rows", "too few fields", "lone carriage returns"):
        assert _whole_rows(FILES[odd], 4) is None, odd


def _read(tmp_path, text: str) -> tuple[dict[str, list[str]], list[int], list[str]]:
    path = tmp_path / "coder.csv"
    path.write_bytes(text.encode("utf-8"))
    log = ProblemLog()
    columns, lines = read_csv_columns(path, ["unit_id", "code_id", "coder"], log)
    return columns, lines, [str(p) for p in log.problems]


def test_a_field_over_the_limit_is_reported_with_its_row_and_the_next_rows_still_read(tmp_path):
    for name in ("a field over the csv limit", "a quoted field over the csv limit"):
        columns, lines, problems = _read(tmp_path, FILES[name])
        assert columns["unit_id"] == ["a.p05"] and lines == [3]
        assert problems == [f"{tmp_path / 'coder.csv'}, row 2: a field is longer than 131,072 characters, the most "
                            "a CSV field may hold here (shorten it: a memo is one line of text)"]


def test_an_open_quotation_mark_is_reported_not_read_to_the_end_of_the_file(tmp_path):
    columns, lines, problems = _read(tmp_path, FILES["a quotation mark left open swallowing rows"])
    assert lines == [] and columns["unit_id"] == []
    assert len(problems) == 1 and "row 2: a quotation mark is never closed, so rows 2 to 4 (the end of the file)" in \
        problems[0]
    columns, lines, problems = _read(tmp_path, FILES["a quotation mark left open at the end"])
    assert columns["unit_id"] == ["a.p04"] and "row 3: a quotation mark is never closed" in problems[0]
    columns, lines, problems = _read(tmp_path, FILES["an open quotation mark over the csv limit"])
    assert "row 2: a quoted field runs from row 2 to row" in problems[0] and "the rows after it were not read" in \
        problems[0]
    assert _read(tmp_path, FILES["a closed quote ending the file"])[0]["unit_id"] == ["a.p04"]


def test_a_byte_order_mark_and_crlf_read_like_plain_text(tmp_path):
    plain = _read(tmp_path, HEADER + "a.p04,goals,r,\na.p05,style,r,x\n")
    assert _read(tmp_path, FILES["byte-order mark and crlf"]) == plain
    assert plain[2] == []


@pytest.mark.parametrize("text, message", [
    ("", "the file is empty"), (" \n\n", "the file is empty"),
    ("unit_id,code,coder,memo\n", "row 1: missing column(s) code_id"),
    ("\xff", "cannot be decoded as UTF-8"),
])
def test_a_file_without_a_usable_header_is_one_problem(tmp_path, text, message):
    path = tmp_path / "coder.csv"
    path.write_bytes(text.encode("latin-1"))
    log = ProblemLog()
    assert read_csv_table(path, ["unit_id", "code_id", "coder"], log) is None
    assert read_csv_rows(path, ["unit_id", "code_id", "coder"], log) == []
    assert len(log.problems) == 2 and message in str(log.problems[0])


def test_a_folder_named_like_a_file_is_one_problem(tmp_path):
    (tmp_path / "coder.csv").mkdir()
    log = ProblemLog()
    assert read_csv_table(tmp_path / "coder.csv", ["unit_id"], log) is None
    assert [p.message for p in log.problems] == ["is a folder, not a file"]
