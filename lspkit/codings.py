"""Codings: who coded which unit to which code, read from plain CSV files and checked.

This module owns the coder registry (``data/coders.csv``) and adding coders to it, the coding files
(``data/codings/*.csv``, one row per unit, code and coder, with an optional status and memo), the derived
``structure`` coder, and writing coding files back in a stable, diffable form, atomically.

The ``structure`` coder is never typed by hand: it is derived on every load from the heading each
paragraph and quotation stands under, through the codebook's ``headings`` table (this project's
inference of which element each heading stands for). Learning points
carry only a dimension in the documents, so the structure coder gives them no element.

Example:
    >>> coders = load_coders("data/coders.csv")
    >>> sorted(coders["coder"])
    ['auto', 'researcher', 'second_reader', 'structure', 'third_reader']
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Collection, Iterator

import numpy as np
import pandas as pd

from .atomic import atomic_write_bytes, stage_bytes  # noqa: F401  (re-exported: qdpx, links)
from .errors import LspkitError, Problem, ProblemLog
from .vocabulary import CODER_KINDS, DERIVED_CODER, NARRATIVE_KINDS, STATUSES  # noqa: F401  (DERIVED_CODER re-exported)

CODING_COLUMNS = ["unit_id", "code_id", "coder", "status", "memo"]
CODER_COLUMNS = ["coder", "kind", "description"]
CODER_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


def read_data_file(path: str | Path, log: ProblemLog, hint: str = "") -> bytes | None:
    """A data file's bytes, or ``None`` after adding to ``log`` why it cannot be read.

    A folder where the file should be, a file without read permission or any other error of the
    file system is one problem naming the file; ``hint`` says what the file should be.

    >>> log = ProblemLog()
    >>> read_data_file("data", log, "cases.csv is a CSV file") is None
    True
    >>> print(log.problems[0])
    data: is a folder, not a file (cases.csv is a CSV file)
    """
    name = str(path)
    try:
        return Path(path).read_bytes()
    except IsADirectoryError:
        log.add(name, "", "is a folder, not a file", hint or "move or rename the folder")
    except FileNotFoundError:
        log.add(name, "", "file not found", hint)
    except PermissionError:
        log.add(name, "", "cannot be read: permission denied", "make the file readable (chmod a+r)")
    except OSError as exc:
        log.add(name, "", f"cannot be read: {exc.strerror or exc}", hint)
    return None


def decode_data_file(data: bytes, name: str, log: ProblemLog, unit: str = "line") -> str | None:
    """A data file's bytes as UTF-8 text without a leading byte-order mark, or ``None`` after
    reporting the first byte that is not UTF-8 with its ``unit`` (``"line"`` or ``"row"``) number.

    >>> log = ProblemLog()
    >>> decode_data_file(b"\\xef\\xbb\\xbfa,b\\r\\n", "x.csv", log)
    'a,b\\r\\n'
    >>> decode_data_file(b"a\\nb\\xe9", "x.csv", log, "row") is None
    True
    >>> print(log.problems[0])
    x.csv, row 2, byte 3: cannot be decoded as UTF-8 (save the file as UTF-8 text)
    """
    skip = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        return data[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        at = skip + exc.start
        line = len(re.findall(rb"\r\n?|\n", data[:at])) + 1
        log.add(name, f"{unit} {line}, byte {at}", "cannot be decoded as UTF-8", "save the file as UTF-8 text")
        return None


def _open_csv(path: Path, required: list[str], log: ProblemLog) -> tuple[str, list[str]] | None:
    """A CSV file's text and its header (stripped), or ``None`` after reporting a file that cannot be
    read, a bad encoding, an empty file, a header that cannot be read or a missing column."""
    name = str(path)
    data = read_data_file(path, log, f"a CSV file with the header {','.join(required)}")
    if data is None:
        return None
    text = decode_data_file(data, name, log, "row")
    if text is None:
        return None
    try:
        header = next(_reader(text), None) if text and not text.isspace() else None
    except csv.Error as exc:
        log.add(name, "row 1", f"the header cannot be read: {exc}", f"the first row must be {','.join(required)}")
        return None
    if header is None:
        log.add(name, "", "the file is empty", f"it needs the header {','.join(required)}")
        return None
    header = [h.strip() for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        log.add(
            name, "row 1", f"missing column(s) {', '.join(missing)}", f"the header must include {','.join(required)}"
        )
        return None
    return text, header


def _reader(text: str):
    return csv.reader(io.StringIO(text, newline=""))


def read_csv_table(path: Path, required: list[str], log: ProblemLog) -> list[tuple[int, dict[str, str]]] | None:
    """Rows of a CSV file as (line number, record), or ``None`` when the file cannot be used at all.

    ``None`` means a problem is in ``log`` that leaves no rows to read: the file cannot be read or
    decoded, is empty, or lacks a required column. Otherwise each row that cannot be read is
    reported and skipped, and blank rows are skipped.
    """
    opened = _open_csv(path, required, log)
    if opened is None:
        return None
    text, header = opened
    records, lines = _rows_one_by_one(str(path), text, len(header), log)
    return [(line, {h: v.strip() for h, v in zip(header, record)}) for line, record in zip(lines, records)]


def read_csv_rows(path: Path, required: list[str], log: ProblemLog) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV file as (line number, record), reporting bad encoding, headers and widths."""
    return read_csv_table(path, required, log) or []


def load_coders(path: str | Path, log: ProblemLog | None = None) -> pd.DataFrame:
    """Read the coder registry: columns ``coder``, ``kind`` (human, derived, machine, imported), ``description``."""
    path = Path(path)
    own = log is None
    log = log if log is not None else ProblemLog()
    if not path.exists():
        log.add(str(path), "", "coder registry not found", "create it with the columns " + ",".join(CODER_COLUMNS))
        rows = None
    else:
        rows = read_csv_table(path, CODER_COLUMNS, log)
    seen: dict[str, int] = {}
    records = []
    for line, rec in rows or []:
        coder = rec["coder"]
        if not coder:
            log.add(str(path), f"row {line}", "empty coder id")
            continue
        if coder in seen:
            log.add(str(path), f"row {line}", f"duplicate coder {coder!r} (first at row {seen[coder]})")
            continue
        seen[coder] = line
        if rec["kind"] not in CODER_KINDS:
            log.add(
                str(path),
                f"row {line}",
                f"coder {coder!r} has unknown kind {rec['kind']!r}",
                f"use one of {', '.join(CODER_KINDS)}",
            )
        records.append({c: rec[c] for c in CODER_COLUMNS})
    if DERIVED_CODER not in seen and rows is not None:  # an unusable file is reported once, above
        log.add(
            str(path),
            "",
            f"the registry lacks the derived coder {DERIVED_CODER!r}",
            f"add the row '{DERIVED_CODER},derived,...'",
        )
    if own:
        log.raise_if_any()
    return pd.DataFrame(records, columns=CODER_COLUMNS)


def read_csv_columns(path: Path, required: list[str], log: ProblemLog) -> tuple[dict[str, list[str]], list[int]]:
    """A CSV file column-wise: ``({column: [stripped values]}, [line numbers])``.

    The same checks and reports as :func:`read_csv_rows` (encoding, header, field counts, blank
    rows skipped), but no per-row dict: for files of hundreds of thousands of rows.
    """
    opened = _open_csv(path, required, log)
    if opened is None:
        return {c: [] for c in required}, []
    text, header = opened
    width = len(header)
    columns = _whole_rows(text, width)
    if columns is not None:
        columns = [[v.strip() for v in values] for values in columns]
        if "" in columns[0]:  # maybe a blank row, which the row reader skips
            columns = None
    if columns is not None:
        lines = list(range(2, len(columns[0]) + 2))
    else:
        records, lines = _rows_one_by_one(str(path), text, width, log)
        columns = [[v.strip() for v in values] for values in zip(*records)] if records else [[]] * width
    # a repeated header keeps its last column, as read_csv_rows does
    return dict(zip(header, columns)), lines


def _whole_rows(text: str, width: int) -> list[list[str]] | None:
    """The columns of the common case, read at C speed: every record one line of ``width`` fields.

    Lines without a quotation mark are split by pandas' C parser (a plain split at commas, once
    their comma counts are checked); lines with one are read by the :mod:`csv` module, so quoting
    follows exactly the rules of :func:`read_csv_rows`. Returns ``None`` (and the caller reads row
    by row, reporting what it finds) when a record may span lines, a line has the wrong number of
    fields, a line is blank, or a line is longer than the :mod:`csv` module's field limit.
    """
    if "\r" in text:
        if "\r" in text.replace("\r\n", ""):
            return None  # a lone carriage return: a line ending the split below would not see
        text = text.replace("\r\n", "\n")
    body = text.split("\n")[1:]
    if body and body[-1] == "":
        body.pop()  # the final line break
    if not body:
        return [[] for _ in range(width)]
    if max(map(len, body)) > csv.field_size_limit():
        return None  # maybe a field the csv module cannot read: reported row by row
    quoted = [i for i, line in enumerate(body) if '"' in line]
    if any(body[i].count('"') % 2 for i in quoted):
        return None  # an open quotation: a field may run on to the next line
    commas = width - 1
    if any(line.count(",") != commas for line in body if '"' not in line):
        return None  # a blank line, or too few or too many fields
    quoted_rows = list(csv.reader([body[i] for i in quoted]))
    if any(len(row) != width for row in quoted_rows):
        return None
    frame = pd.read_csv(
        io.StringIO("\n".join(body)),
        header=None,
        names=list(range(width)),
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        index_col=False,
        skip_blank_lines=False,
        engine="c",
    )
    if len(frame) != len(body):
        return None
    columns = [frame[i].tolist() for i in range(width)]
    for i, row in zip(quoted, quoted_rows):
        for column, value in zip(columns, row):
            column[i] = value
    return columns


def _rows_one_by_one(name: str, text: str, width: int, log: ProblemLog) -> tuple[list[list[str]], list[int]]:
    """Every row after the header with its line number, skipping blank rows and reporting bad ones.

    A row is numbered by the line it ends on. A quotation mark left open at the end of the file is
    reported, not read as a field that runs to the end.
    """
    records: list[list[str]] = []
    lines: list[int] = []
    pending: tuple[list[str], int, int] | None = None
    for item in _records(name, text):
        if pending is not None:  # not the last record: it cannot end inside a quotation left open
            _keep_row(name, pending, width, records, lines, log)
            pending = None
        if isinstance(item, Problem):
            log.problems.append(item)
        else:
            pending = item
    if pending is not None:
        record, first, last = pending
        if '"' in text and _open_quote_at_end(text, first):
            log.add(
                name,
                f"row {first}",
                f"a quotation mark is never closed, so rows {first} to {last} (the "
                "end of the file) were read as one field and are not used",
                'close the quotation mark; inside a quoted field write a quotation mark as two ("")',
            )
        else:
            _keep_row(name, pending, width, records, lines, log)
    return records, lines


def _keep_row(
    name: str, item: tuple[list[str], int, int], width: int, records: list[list[str]], lines: list[int], log: ProblemLog
) -> None:
    record, _, last = item
    if not any(field.strip() for field in record):
        return
    if len(record) != width:
        log.add(
            name, f"row {last}", f"has {len(record)} fields, the header has {width}", "quote fields that contain commas"
        )
        return
    records.append(record)
    lines.append(last)


def _records(name: str, text: str) -> Iterator[tuple[list[str], int, int] | Problem]:
    """Each record after the header as ``(fields, first line, last line)``, or a :class:`Problem`
    where the :mod:`csv` module cannot read one, in file order.

    A field longer than the csv module's limit on one line is reported and reading goes on; one in
    a record spanning lines (a quotation mark left open) stops the reading there, saying so.
    """
    reader = _reader(text)
    next(reader, None)
    first = reader.line_num + 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problem, go_on = _csv_error(name, str(exc), first, reader.line_num)
            yield problem
            if not go_on:
                return
            first = reader.line_num + 1
            continue
        yield record, first, reader.line_num
        first = reader.line_num + 1


def _csv_error(name: str, error: str, first: int, last: int) -> tuple[Problem, bool]:
    """The problem for a record on rows ``first`` to ``last`` the csv module cannot read, and whether
    reading can go on after it (only when the record is one line: the next line starts a record)."""
    limit = csv.field_size_limit()
    if "field larger than field limit" not in error:
        return Problem(name, f"row {last}", f"malformed CSV: {error}; the rows after it were not read"), False
    if first == last:
        return Problem(
            name,
            f"row {first}",
            f"a field is longer than {limit:,} characters, the most a CSV field may hold here",
            "shorten it: a memo is one line of text",
        ), True
    return Problem(
        name,
        f"row {first}",
        f"a quoted field runs from row {first} to row {last} and is longer than "
        f"{limit:,} characters; the rows after it were not read",
        f'close the quotation mark opened at row {first}; inside a quoted field write a quotation mark as two ("")',
    ), False


def _open_quote_at_end(text: str, line: int) -> bool:
    """Whether the record starting on ``line`` (from 1) ends the text inside a quoted field.

    Follows the :mod:`csv` module's reading (not strict): a field is quoted when it starts with a
    quotation mark; inside, two quotation marks are one; a lone one closes the field.

    >>> _open_quote_at_end('h\\na,"x\\ny\\n', 2), _open_quote_at_end('h\\na,"x ""y"" z"\\n', 2)
    (True, False)
    """
    offset = sum(map(len, io.StringIO(text, newline="").readlines()[: line - 1]))
    state = "start"  # start of a field, in an unquoted field, in a quoted field, after a quote in one
    for char in text[offset:]:
        if state == "quoted":
            state = "quote" if char == '"' else "quoted"
        elif state == "quote" and char == '"':
            state = "quoted"
        elif char in ",\r\n":
            state = "start"
        else:
            state = "quoted" if state == "start" and char == '"' else "field"
    return state == "quoted"


def read_coding_files(directory: str | Path, log: ProblemLog) -> pd.DataFrame:
    """Every ``*.csv`` in the codings directory, stacked, with ``file`` and ``row`` for error reports."""
    directory = Path(directory)
    frames = []
    if directory.exists() and not directory.is_dir():
        log.add(str(directory), "", "is a file, not a folder", "codings/ is a folder of CSV files, one per coder")
    files = sorted(directory.glob("*.csv")) if directory.is_dir() else []
    for path in files:
        if path.is_dir():
            log.add(
                str(path),
                "",
                "is a folder, not a file",
                "codings/ holds one CSV file per coder; move or rename the folder",
            )
            continue
        cols, lines = read_csv_columns(path, ["unit_id", "code_id", "coder"], log)
        memo = cols.get("memo")
        memo = [" ".join(m.split()) if m else "" for m in memo] if memo is not None else [""] * len(lines)
        status = cols.get("status") or [""] * len(lines)
        frames.append(
            pd.DataFrame(
                {
                    "unit_id": cols["unit_id"],
                    "code_id": cols["code_id"],
                    "coder": cols["coder"],
                    "status": status,
                    "memo": memo,
                    "file": str(path),
                    "row": lines,
                },
                columns=CODING_COLUMNS + ["file", "row"],
            )
        )
    if not frames:
        return pd.DataFrame(columns=CODING_COLUMNS + ["file", "row"])
    return pd.concat(frames, ignore_index=True)


def check_codings(
    codings: pd.DataFrame,
    units: pd.DataFrame,
    codes: pd.DataFrame,
    coders: pd.DataFrame,
    log: ProblemLog,
    *,
    absent_cases: Collection[str] = (),
    without_codebook: bool = False,
    without_registry: bool = False,
) -> pd.DataFrame:
    """Report every coding naming an unknown unit, code or coder, a boilerplate unit, an unknown
    status, or a duplicate.

    Returns the rows that passed; the caller raises if the log holds any problem, so nothing is
    dropped silently. The checks run column-wise; only rows with a problem are visited one by one,
    so the reports come in file and row order.

    The caller says what it has already reported as missing, so that one problem is not repeated
    for every row: ``absent_cases`` are cases whose text could not be read (a coding of an unknown
    unit of one of them is not reported), ``without_codebook`` says the codebook could not be read
    (codes are not checked), ``without_registry`` the same of the coder registry. Such rows are not
    returned either, since they could not be checked.

    >>> log = ProblemLog()
    >>> codings = pd.DataFrame({"unit_id": ["a.p04", "b.p04"], "code_id": ["goals", "goals"], "coder": ["r", "r"],
    ...                         "status": "", "memo": "", "file": "r.csv", "row": [2, 3]})
    >>> units = pd.DataFrame({"unit_id": ["a.p04"], "boilerplate": [False]})
    >>> kept = check_codings(codings, units, pd.DataFrame({"code_id": ["goals"]}), pd.DataFrame({"coder": ["r"]}),
    ...                      log, absent_cases={"b"})
    >>> kept["unit_id"].tolist(), log.problems
    (['a.p04'], [])
    """
    # Each id is looked up once, as a row position (-1: unknown); the duplicate check then works on
    # integers. A coding of an unknown unit, code or coder is keyed by its id's first occurrence.
    keys = ["unit_id", "code_id", "coder"]
    looked_up = []
    for column, table in zip(keys, (units["unit_id"], codes["code_id"], coders["coder"])):
        values = codings[column].to_numpy(dtype=object)
        index = pd.Index(table.to_numpy(dtype=object)).drop_duplicates()
        known = index.get_indexer(values)
        unknown = known < 0
        if unknown.any():  # number the unknown ids after the known ones
            known[unknown] = len(index) + pd.factorize(values[unknown])[0]
        looked_up.append((known, ~unknown, len(index) + int(unknown.sum())))
    (unit, known_unit, n_units), (code, known_code, n_codes), (coder, known_coder, n_coders) = looked_up
    first_units = units.drop_duplicates("unit_id")
    boiler = np.zeros(len(codings), dtype=bool)
    boiler[known_unit] = first_units["boilerplate"].to_numpy(dtype=bool)[unit[known_unit]]
    derived = codings["coder"].to_numpy(dtype=object) == DERIVED_CODER
    statuses = codings["status"] if "status" in codings else pd.Series("", index=codings.index)
    bad_status = ~statuses.fillna("").isin(("", *STATUSES)).to_numpy(dtype=bool)
    duplicate = pd.Series((unit * n_codes + code) * n_coders + coder).duplicated(keep="first").to_numpy()
    unchecked = _unchecked(
        codings, known_unit, known_code, known_coder, absent_cases, without_codebook, without_registry
    )
    known_unit, known_code, known_coder = (
        known_unit | unchecked[0],
        known_code | unchecked[1],
        known_coder | unchecked[2],
    )
    dropped = unchecked[0] | unchecked[1] | unchecked[2]
    bad = ~known_unit | boiler | ~known_code | derived | ~known_coder | duplicate | bad_status
    if not bad.any():
        return codings[~dropped].reset_index(drop=True)
    first_at: dict[tuple, str] = {}
    if duplicate.any():
        dup_keys = set(map(tuple, codings.loc[duplicate, keys].to_numpy().tolist()))
        for rec in codings[~duplicate].itertuples(index=False):
            key = (rec.unit_id, rec.code_id, rec.coder)
            if key in dup_keys:
                first_at[key] = f"{Path(rec.file).name} row {rec.row}"
    flags = zip(
        known_unit[bad], boiler[bad], known_code[bad], derived[bad], known_coder[bad], duplicate[bad], bad_status[bad]
    )
    for rec, (unit_ok, is_boiler, code_ok, is_derived, coder_ok, is_dup, status_bad) in zip(
        codings[bad].itertuples(index=False), flags
    ):
        where = f"row {rec.row}"
        if not unit_ok:
            log.add(
                rec.file,
                where,
                f"unknown unit {rec.unit_id!r}",
                "unit ids look like 'bolton.p08', 'bolton.p12.quote1', 'bolton.lp3', 'bolton.question2'",
            )
        elif is_boiler:
            log.add(
                rec.file,
                where,
                f"unit {rec.unit_id!r} is boilerplate (the model's explanation, the same in "
                "every case study) and cannot be coded as evidence",
                "delete the row",
            )
        if not code_ok:
            log.add(rec.file, where, f"unknown code {rec.code_id!r}", "add it to data/codebook.yml or fix the id")
        if is_derived:
            log.add(
                rec.file, where, f"coder {DERIVED_CODER!r} is derived from the headings, never typed", "delete the row"
            )
        elif not coder_ok:
            log.add(rec.file, where, f"unknown coder {rec.coder!r}", "register the coder in data/coders.csv")
        if status_bad:
            log.add(
                rec.file,
                where,
                f"unknown status {getattr(rec, 'status', '')!r}",
                f"use {', '.join(STATUSES)}, or leave it empty where the coder records none",
            )
        if is_dup:
            key = (rec.unit_id, rec.code_id, rec.coder)
            log.add(rec.file, where, f"duplicate coding {key} (first at {first_at[key]})", "delete one of the rows")
    return codings[~bad & ~dropped].reset_index(drop=True)


def _unchecked(
    codings: pd.DataFrame,
    known_unit: np.ndarray,
    known_code: np.ndarray,
    known_coder: np.ndarray,
    absent_cases: Collection[str],
    without_codebook: bool,
    without_registry: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Masks of the rows whose unit, code or coder cannot be checked (see :func:`check_codings`)."""
    units = np.zeros(len(codings), dtype=bool)
    if len(absent_cases) and (~known_unit).any():
        case = codings["unit_id"].astype(str).str.split(".", n=1).str[0].to_numpy(dtype=object)
        units = ~known_unit & np.isin(case, list(absent_cases))
    codes = ~known_code if without_codebook else np.zeros(len(codings), dtype=bool)
    coders = ~known_coder if without_registry else np.zeros(len(codings), dtype=bool)
    return units, codes, coders


def derive_structure_codings(units: pd.DataFrame, heading_to_element: dict[str, str]) -> pd.DataFrame:
    """The ``structure`` coder: each non-boilerplate paragraph or quotation coded to its heading's element.

    >>> units = pd.DataFrame({"unit_id": ["x.p04", "x.lp1"], "kind": ["paragraph", "learning_point"],
    ...                       "heading": ["Long-term objectives", "Transformational learning"],
    ...                       "boilerplate": [False, False]})
    >>> derive_structure_codings(units, {"Long-term objectives": "goals"})[["unit_id", "code_id"]].values.tolist()
    [['x.p04', 'goals']]
    """
    mask = units["kind"].isin(list(NARRATIVE_KINDS)) & ~units["boilerplate"].astype(bool)
    picked = units.loc[mask, ["unit_id", "heading"]]
    code = picked["heading"].astype(str).map(heading_to_element)
    out = pd.DataFrame(
        {"unit_id": picked["unit_id"], "code_id": code, "coder": DERIVED_CODER, "status": "", "memo": ""}
    )
    return out.dropna(subset=["code_id"]).reset_index(drop=True)


def register_coder(path: str | Path, coder: str, kind: str, description: str) -> Path:
    """Add a coder to the registry ``coders.csv`` (or update its description), atomically.

    The coder id must be a slug (it names ``codings/<coder>.csv``). A coder already registered with
    another kind is never overwritten: that raises an :class:`~lspkit.errors.LspkitError`, so an
    import cannot replace a human coder's work. Other rows keep their order and bytes.

    >>> import tempfile, pathlib
    >>> reg = pathlib.Path(tempfile.mkdtemp()) / "coders.csv"
    >>> _ = reg.write_text("coder,kind,description\\nstructure,derived,Headings\\n")
    >>> _ = register_coder(reg, "nvivo-ann", "imported", "Ann's NVivo project")
    >>> reg.read_text().splitlines()[-1]
    "nvivo-ann,imported,Ann's NVivo project"
    """
    path = Path(path)
    log = ProblemLog()
    if not CODER_RE.match(coder):
        log.add(
            "parameter coder",
            "",
            f"coder id {coder!r} is not a slug",
            "use lower-case letters, digits, '-' and '_', e.g. 'second_coder'",
        )
    if coder == DERIVED_CODER:
        log.add("parameter coder", "", f"coder {DERIVED_CODER!r} is derived from the headings", "choose another name")
    if kind not in CODER_KINDS:
        log.add("parameter kind", "", f"unknown coder kind {kind!r}", f"use one of {', '.join(CODER_KINDS)}")
    log.raise_if_any()
    rows = read_csv_rows(path, CODER_COLUMNS, log) if path.exists() else []
    log.raise_if_any()
    header = CODER_COLUMNS
    if path.exists():
        header = next(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    records = [rec for _, rec in rows]
    for line, rec in rows:
        if rec["coder"] == coder:
            if rec["kind"] != kind:
                raise LspkitError(
                    [
                        Problem(
                            str(path),
                            f"row {line}",
                            f"coder {coder!r} is already registered as {rec['kind']!r}, not {kind!r}",
                            "choose another coder name",
                        )
                    ]
                )
            rec["description"] = description
            break
    else:
        records.append({"coder": coder, "kind": kind, "description": description})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for rec in records:
        writer.writerow([rec.get(h, "") for h in header])
    return atomic_write_bytes(path, buffer.getvalue().encode("utf-8"))


def write_codings(codings: pd.DataFrame, path: str | Path) -> Path:
    """Write codings as CSV (``unit_id,code_id,coder,status,memo``) atomically: a temp file, then a rename.

    Rows keep the order given; line endings are ``\\n`` so the file diffs cleanly.
    """
    frame = codings.reindex(columns=CODING_COLUMNS).fillna("")
    buffer = io.StringIO(newline="")
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return atomic_write_bytes(path, buffer.getvalue().encode("utf-8"))
