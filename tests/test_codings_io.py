"""Reading coding files column-wise gives exactly what reading them row by row gives."""

from __future__ import annotations

import pytest

from lspkit.codings import read_csv_columns, read_csv_rows
from lspkit.errors import ProblemLog

HEADER = "unit_id,code_id,coder,memo\n"
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
