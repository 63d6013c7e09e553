"""Codings: who coded which unit to which code, read from plain CSV files and checked.

This module owns the coder registry (``data/coders.csv``) and adding coders to it, the coding files
(``data/codings/*.csv``, one row per unit, code and coder, with an optional memo), the derived
``structure`` coder, and writing coding files back in a stable, diffable form, atomically.

The ``structure`` coder is never typed by hand: it is derived on every load from the heading each
paragraph and quotation stands under (the Audit Commission's own classification). Learning points
carry only a dimension in the documents, so the structure coder gives them no element.

Example:
    >>> coders = load_coders("data/coders.csv")
    >>> sorted(coders["coder"])
    ['auto', 'researcher', 'structure']
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from pathlib import Path

import pandas as pd

from .errors import LspkitError, Problem, ProblemLog

CODING_COLUMNS = ["unit_id", "code_id", "coder", "memo"]
CODER_COLUMNS = ["coder", "kind", "description"]
CODER_KINDS = ("human", "derived", "machine", "imported")
DERIVED_CODER = "structure"
STRUCTURE_UNIT_KINDS = ("paragraph", "quote")  # the units the structure coder's rule can code
CODER_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


def read_csv_rows(path: Path, required: list[str], log: ProblemLog) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV file as (line number, record), reporting bad encoding, headers and widths."""
    name = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        log.add(name, f"byte {exc.start}", "cannot be decoded as UTF-8", "save the file as UTF-8 text")
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        log.add(name, "", "the file is empty", f"it needs the header {','.join(required)}")
        return []
    header = [h.strip() for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        log.add(name, "row 1", f"missing column(s) {', '.join(missing)}",
                f"the header must include {','.join(required)}")
        return []
    rows = []
    try:
        for record in reader:
            line = reader.line_num
            if not any(field.strip() for field in record):
                continue
            if len(record) != len(header):
                log.add(name, f"row {line}", f"has {len(record)} fields, the header has {len(header)}",
                        "quote fields that contain commas")
                continue
            rows.append((line, {h: v.strip() for h, v in zip(header, record)}))
    except csv.Error as exc:
        log.add(name, f"row {reader.line_num}", f"malformed CSV: {exc}")
    return rows


def load_coders(path: str | Path, log: ProblemLog | None = None) -> pd.DataFrame:
    """Read the coder registry: columns ``coder``, ``kind`` (human, derived, machine, imported), ``description``."""
    path = Path(path)
    own = log is None
    log = log if log is not None else ProblemLog()
    if not path.exists():
        log.add(str(path), "", "coder registry not found", "create it with the columns " + ",".join(CODER_COLUMNS))
        rows = []
    else:
        rows = read_csv_rows(path, CODER_COLUMNS, log)
    seen: dict[str, int] = {}
    records = []
    for line, rec in rows:
        coder = rec["coder"]
        if not coder:
            log.add(str(path), f"row {line}", "empty coder id")
            continue
        if coder in seen:
            log.add(str(path), f"row {line}", f"duplicate coder {coder!r} (first at row {seen[coder]})")
            continue
        seen[coder] = line
        if rec["kind"] not in CODER_KINDS:
            log.add(str(path), f"row {line}", f"coder {coder!r} has unknown kind {rec['kind']!r}",
                    f"use one of {', '.join(CODER_KINDS)}")
        records.append({c: rec[c] for c in CODER_COLUMNS})
    if DERIVED_CODER not in seen and path.exists():
        log.add(str(path), "", f"the registry lacks the derived coder {DERIVED_CODER!r}",
                f"add the row '{DERIVED_CODER},derived,...'")
    if own:
        log.raise_if_any()
    return pd.DataFrame(records, columns=CODER_COLUMNS)


def read_coding_files(directory: str | Path, log: ProblemLog) -> pd.DataFrame:
    """Every ``*.csv`` in the codings directory, stacked, with ``file`` and ``row`` for error reports."""
    directory = Path(directory)
    frames = []
    files = sorted(directory.glob("*.csv")) if directory.is_dir() else []
    for path in files:
        rows = read_csv_rows(path, ["unit_id", "code_id", "coder"], log)
        frames.append(pd.DataFrame(
            [{"unit_id": r["unit_id"], "code_id": r["code_id"], "coder": r["coder"],
              "memo": " ".join(r.get("memo", "").split()), "file": str(path), "row": line} for line, r in rows],
            columns=CODING_COLUMNS + ["file", "row"]))
    if not frames:
        return pd.DataFrame(columns=CODING_COLUMNS + ["file", "row"])
    return pd.concat(frames, ignore_index=True)


def check_codings(codings: pd.DataFrame, units: pd.DataFrame, codes: pd.DataFrame,
                  coders: pd.DataFrame, log: ProblemLog) -> pd.DataFrame:
    """Report every coding naming an unknown unit, code or coder, a boilerplate unit, or a duplicate.

    Returns the rows that passed; the caller raises if the log holds any problem, so nothing is
    dropped silently.
    """
    known_units = set(units["unit_id"])
    boilerplate = set(units.loc[units["boilerplate"], "unit_id"])
    known_codes = set(codes["code_id"])
    known_coders = set(coders["coder"])
    ok = []
    first_seen: dict[tuple[str, str, str], str] = {}
    for rec in codings.itertuples(index=False):
        where = f"row {rec.row}"
        good = True
        if rec.unit_id not in known_units:
            log.add(rec.file, where, f"unknown unit {rec.unit_id!r}",
                    "unit ids look like 'bolton.p08', 'bolton.p12.quote1', 'bolton.lp3', 'bolton.question2'")
            good = False
        elif rec.unit_id in boilerplate:
            log.add(rec.file, where, f"unit {rec.unit_id!r} is boilerplate (the model's explanation, the same in "
                    "every case study) and cannot be coded as evidence", "delete the row")
            good = False
        if rec.code_id not in known_codes:
            log.add(rec.file, where, f"unknown code {rec.code_id!r}", "add it to data/codebook.yml or fix the id")
            good = False
        if rec.coder == DERIVED_CODER:
            log.add(rec.file, where, f"coder {DERIVED_CODER!r} is derived from the headings, never typed",
                    "delete the row")
            good = False
        elif rec.coder not in known_coders:
            log.add(rec.file, where, f"unknown coder {rec.coder!r}", "register the coder in data/coders.csv")
            good = False
        key = (rec.unit_id, rec.code_id, rec.coder)
        if key in first_seen:
            log.add(rec.file, where, f"duplicate coding {key} (first at {first_seen[key]})", "delete one of the rows")
            good = False
        else:
            first_seen[key] = f"{Path(rec.file).name} row {rec.row}"
        if good:
            ok.append(rec)
    return pd.DataFrame(ok, columns=codings.columns)


def derive_structure_codings(units: pd.DataFrame, heading_to_element: dict[str, str]) -> pd.DataFrame:
    """The ``structure`` coder: each non-boilerplate paragraph or quotation coded to its heading's element.

    >>> units = pd.DataFrame({"unit_id": ["x.p04", "x.lp1"], "kind": ["paragraph", "learning_point"],
    ...                       "heading": ["Long-term objectives", "Transformational learning"],
    ...                       "boilerplate": [False, False]})
    >>> derive_structure_codings(units, {"Long-term objectives": "goals"})[["unit_id", "code_id"]].values.tolist()
    [['x.p04', 'goals']]
    """
    mask = units["kind"].isin(list(STRUCTURE_UNIT_KINDS)) & ~units["boilerplate"].astype(bool)
    picked = units.loc[mask, ["unit_id", "heading"]]
    code = picked["heading"].astype(str).map(heading_to_element)
    out = pd.DataFrame({"unit_id": picked["unit_id"], "code_id": code, "coder": DERIVED_CODER, "memo": ""})
    return out.dropna(subset=["code_id"]).reset_index(drop=True)


def _file_mode(path: Path) -> int:
    """The mode a rewritten file keeps: the old file's, else what the umask gives a new file."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = 0o022  # read without os.umask(), which would briefly change it for every thread
        try:
            status = Path("/proc/self/status").read_text(encoding="ascii")
            umask = int(re.search(r"^Umask:\s*([0-7]+)", status, re.M).group(1), 8)
        except (OSError, AttributeError, ValueError):
            pass
        return 0o666 & ~umask


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically: a temp file in the same folder, then a rename.

    The file keeps its permissions (a new one gets the usual ones, not the temp file's 0600).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _file_mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


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
        log.add("parameter coder", "", f"coder id {coder!r} is not a slug",
                "use lower-case letters, digits, '-' and '_', e.g. 'second_coder'")
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
                raise LspkitError([Problem(str(path), f"row {line}", f"coder {coder!r} is already registered as "
                                           f"{rec['kind']!r}, not {kind!r}", "choose another coder name")])
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
    """Write codings as CSV (``unit_id,code_id,coder,memo``) atomically: a temp file, then a rename.

    Rows keep the order given; line endings are ``\\n`` so the file diffs cleanly.
    """
    frame = codings.reindex(columns=CODING_COLUMNS).fillna("")
    buffer = io.StringIO(newline="")
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return atomic_write_bytes(path, buffer.getvalue().encode("utf-8"))
