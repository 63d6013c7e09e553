"""The corpus: cases, units, codes, coders and codings loaded from one data directory.

This module owns finding the data directory, loading and cross-checking everything in it, and the
:class:`Corpus` object with its selectors. A data directory holds::

    raw/*.txt          the case studies, verbatim (one file per case; the stem is the case id)
    cases.csv          one row of attributes per case
    codebook.yml       the 7S elements and the themes
    coders.csv         the coder registry
    codings/*.csv      codings: unit_id, code_id, coder, status (optional), memo
    links/*.csv        links between 7S elements: see lspkit.links
    restates.csv       which learning points and quotations restate which paragraphs (optional;
                       see lspkit.restates)
    decisions.csv      the audit trail of changes to the codebook and codings (see lspkit.decisions)

Example:
    >>> corpus = load_corpus()
    >>> corpus.case_ids
    ['blackburn-with-darwen', 'bolton', 'hammersmith-and-fulham']
    >>> corpus.units.set_index("unit_id").loc["bolton.p08", "citation"]
    'Bolton ¶8'
    >>> bolton = corpus.case("bolton").coder("researcher")
    >>> bolton.coded_units(code_kind="element")["code_id"].iloc[0]
    'goals'
"""

from __future__ import annotations

import copy
import gc
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import repeat
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
import pandas as pd

from . import caseformat, parsecache
from .codebook import Codebook, load_codebook
from .codings import (
    CODING_COLUMNS,
    check_codings,
    derive_structure_codings,
    load_coders,
    read_coding_files,
    read_csv_table,
)
from .datadir import ENV_VAR, data_files, data_version, default_data_dir  # noqa: F401  (part of this API)
from .decisions import check_decisions, empty_decisions, load_decisions
from .errors import DataError, LspkitError, Problem, ProblemLog
from .links import check_links, empty_links, read_link_files
from .restates import check_restates, empty_restates, read_restates
from .vocabulary import CASE_ID_RE, DERIVED_CODER, UNIT_KINDS, citation  # noqa: F401  (CASE_ID_RE re-exported)

CASE_COLUMNS = ["case_id", "partnership", "short_name", "title", "published"]
UNIT_COLUMNS = [
    "unit_id",
    "case_id",
    "kind",
    "para",
    "number",
    "section",
    "heading",
    "heading_element",
    "dimension",
    "boilerplate",
    "speaker",
    "citation",
    "text",
    "words",
    "start",
    "end",
    "line",
]
ELEMENT_SECTIONS = {"Long-term objectives", "Transformational elements", "Transactional elements"}
PUBLISHED_RE = re.compile(r"^[0-9]{4}-(?:0[1-9]|1[0-2])$")
WHOLE_NUMBER_RE = re.compile(r"^[0-9]+$")
DATA_ENTRIES = ("raw", "cases.csv", "codebook.yml", "coders.csv", "codings")
DATA_DIR_HINT = (
    "a data directory holds raw/<case-id>.txt (the case studies), cases.csv, codebook.yml, coders.csv "
    f"and codings/*.csv; pass its path (load_corpus(path), lspkit --data PATH) or set {ENV_VAR}"
)


@dataclass(frozen=True)
class Positions:
    """Integer row numbers that join a corpus's frames, so analyses need not join on strings.

    ``coding_unit`` and ``coding_code`` give, for each row of ``codings``, the row of its unit in
    ``units`` and of its code in ``codes`` (-1 when there is none); ``coding_coder`` is the coder
    column as a NumPy array; ``unit_case`` gives each unit's row in ``cases`` (-1 when none).
    ``unique`` says that unit ids and code ids are unique, as in every loaded corpus; code that
    relies on these positions falls back to joining on ids when it is not.
    """

    coding_unit: np.ndarray
    coding_code: np.ndarray
    coding_coder: np.ndarray
    unit_case: np.ndarray
    unique: bool
    _by_coder: dict[str, np.ndarray] = field(default_factory=dict, init=False, repr=False, compare=False)

    def coder_rows(self, coder: str) -> np.ndarray:
        """The rows of ``codings`` by one coder, ascending (found once per coder, then remembered)."""
        rows = self._by_coder.get(coder)
        if rows is None:
            rows = self._by_coder[coder] = np.flatnonzero(self.coding_coder == coder)
        return rows

    def known(self, coder: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(rows, unit, code)``: the codings of one coder (every coder's for ``None``) that name a
        known unit and code: their rows in ``codings`` and the rows of their unit and code, in the
        codings' order."""
        rows = self.coder_rows(coder) if coder is not None else np.arange(len(self.coding_unit))
        unit, code = self.coding_unit[rows], self.coding_code[rows]
        keep = (unit >= 0) & (code >= 0)
        return rows[keep], unit[keep], code[keep]

    @classmethod
    def of(cls, cases: pd.DataFrame, units: pd.DataFrame, codes: pd.DataFrame, codings: pd.DataFrame) -> "Positions":
        """Compute the positions from the frames (one hash join per id column)."""
        unit_index = pd.Index(units["unit_id"].to_numpy(dtype=object), dtype=object)
        code_index = pd.Index(codes["code_id"].to_numpy(dtype=object), dtype=object)
        case_index = pd.Index(cases["case_id"].to_numpy(dtype=object), dtype=object)
        unique = unit_index.is_unique and code_index.is_unique and case_index.is_unique
        if not unique:
            empty = np.full(len(codings), -1, dtype=np.intp)
            return cls(empty, empty, codings["coder"].to_numpy(dtype=object), np.full(len(units), -1, np.intp), False)
        return cls(
            unit_index.get_indexer(codings["unit_id"].to_numpy(dtype=object)),
            code_index.get_indexer(codings["code_id"].to_numpy(dtype=object)),
            codings["coder"].to_numpy(dtype=object),
            case_index.get_indexer(units["case_id"].to_numpy(dtype=object)),
            True,
        )


@dataclass(frozen=True)
class Corpus:
    """Everything in one data directory as tidy DataFrames.

    ``cases``: one row per case. ``units``: one row per unit of analysis, in document order.
    ``codes``: the codebook. ``coders``: the coder registry. ``codings``: one row per unit, code
    and coder (the derived ``structure`` coder included). ``raw`` maps case ids to their texts:
    each file decoded as UTF-8 with a leading byte-order mark removed and every other character,
    ``\\r\\n`` and ``\\r`` line breaks included, kept. The units' ``start`` and ``end`` index it
    in code points.

    Treat the frames as read-only: select and copy rather than edit them in place, because the
    row positions that join them (:attr:`positions`) are computed once per corpus.
    """

    cases: pd.DataFrame
    units: pd.DataFrame
    codes: pd.DataFrame
    codings: pd.DataFrame
    coders: pd.DataFrame
    codebook: Codebook
    data_dir: Path
    raw: dict[str, str] = field(repr=False, default_factory=dict)
    links: pd.DataFrame = field(repr=False, default_factory=empty_links)
    restates: pd.DataFrame = field(repr=False, default_factory=empty_restates)
    decisions: pd.DataFrame = field(repr=False, default_factory=empty_decisions)

    @cached_property
    def positions(self) -> Positions:
        """The integer joins between the frames (see :class:`Positions`), computed on first use.

        >>> corpus = load_corpus()
        >>> corpus.units["unit_id"].iloc[corpus.positions.coding_unit[0]] == corpus.codings["unit_id"].iloc[0]
        True
        """
        return Positions.of(self.cases, self.units, self.codes, self.codings)

    # -- orders ------------------------------------------------------------------------------
    @property
    def case_ids(self) -> list[str]:
        """Case ids in the order of ``cases.csv``."""
        return self.cases["case_id"].tolist()

    @property
    def elements(self) -> list[str]:
        """Element ids in 7S order."""
        return list(self.codebook.elements)

    @property
    def themes(self) -> list[str]:
        """Theme ids in codebook order."""
        return self.codes.loc[self.codes["code_kind"] == "theme", "code_id"].tolist()

    @property
    def coder_ids(self) -> list[str]:
        return self.coders["coder"].tolist()

    # -- selectors ---------------------------------------------------------------------------
    @property
    def derived_coders(self) -> set[str]:
        """The coders derived from the documents rather than typed: ``structure``, and any coder the
        registry lists as ``derived``.

        >>> load_corpus().derived_coders
        {'structure'}
        """
        return set(self.coders.loc[self.coders["kind"] == "derived", "coder"]) | {DERIVED_CODER}

    def check_case(self, case_id: str) -> str:
        """Return ``case_id`` if the corpus has it, else raise an error listing the valid ids."""
        if case_id not in self.case_ids:
            raise LspkitError(
                [
                    Problem(
                        "parameter case_id",
                        "",
                        f"unknown case id {case_id!r}",
                        "valid ids: " + ", ".join(self.case_ids),
                    )
                ]
            )
        return case_id

    def check_coder(self, coder: str) -> str:
        """Return ``coder`` if registered, else raise an error listing the registered coders."""
        if coder not in self.coder_ids:
            raise LspkitError(
                [
                    Problem(
                        "parameter coder",
                        "",
                        f"unknown coder {coder!r}",
                        "registered coders: " + ", ".join(self.coder_ids),
                    )
                ]
            )
        return coder

    def cases_subset(self, case_ids: Iterable[str]) -> "Corpus":
        """The corpus restricted to some cases (in the corpus's order).

        >>> load_corpus().cases_subset(["bolton"]).case_ids
        ['bolton']
        """
        known = set(self.case_ids)
        wanted = {c if c in known else self.check_case(c) for c in case_ids}
        in_units = self.units["case_id"].isin(wanted)
        units = self.units[in_units]
        if self.positions.unique:  # a coding is kept when its unit is
            unit_rows = self.positions.coding_unit
            kept = in_units.to_numpy(dtype=bool)[unit_rows] & (unit_rows >= 0)
        else:
            kept = self.codings["unit_id"].isin(set(units["unit_id"]))
        return replace(
            self,
            cases=self.cases[self.cases["case_id"].isin(wanted)].reset_index(drop=True),
            units=units.reset_index(drop=True),
            codings=self.codings[kept].reset_index(drop=True),
            raw={c: t for c, t in self.raw.items() if c in wanted},
            links=self.links[self.links["case_id"].isin(wanted)].reset_index(drop=True),
            restates=self.restates[self.restates["case_id"].isin(wanted)].reset_index(drop=True),
        )

    def case(self, case_id: str) -> "Corpus":
        """The corpus restricted to one case."""
        return self.cases_subset([case_id])

    def coder(self, coder: str) -> "Corpus":
        """The corpus with only one coder's codings.

        >>> set(load_corpus().coder("structure").codings["coder"])
        {'structure'}
        """
        self.check_coder(coder)
        return replace(
            self,
            codings=self.codings.iloc[self.positions.coder_rows(coder)].reset_index(drop=True),
            links=self.links[self.links["coder"] == coder].reset_index(drop=True),
        )

    def coded_units(self, coder: str | None = None, code_kind: str | None = None) -> pd.DataFrame:
        """Units joined to their codings and codes: one row per (unit, code, coder).

        ``code_kind`` keeps only ``"element"`` or ``"theme"`` codes. Columns: the unit's columns, then
        ``code_id, coder, memo, code_label, code_kind, element, code_dimension``.
        """
        codes = self.codes[["code_id", "label", "code_kind", "element", "dimension"]].rename(
            columns={"label": "code_label", "dimension": "code_dimension"}
        )
        cols = UNIT_COLUMNS + ["code_id", "coder", "memo", "code_label", "code_kind", "element", "code_dimension"]
        if self.positions.unique:
            return self._coded_units_by_position(codes, coder, code_kind)[cols]
        codings = self.codings if coder is None else self.coder(coder).codings
        out = codings.merge(self.units, on="unit_id", how="inner", validate="many_to_one").merge(
            codes, on="code_id", how="inner", validate="many_to_one"
        )
        if code_kind is not None:
            out = out[out["code_kind"] == code_kind]
        order = {u: i for i, u in enumerate(self.units["unit_id"])}
        code_order = {c: i for i, c in enumerate(self.codes["code_id"])}
        out = out.assign(_u=out["unit_id"].map(order), _c=out["code_id"].map(code_order))
        out = out.sort_values(["_u", "_c", "coder"], kind="stable").drop(columns=["_u", "_c"])
        return out[cols].reset_index(drop=True)

    def _coded_units_by_position(self, codes: pd.DataFrame, coder: str | None, kind: str | None) -> pd.DataFrame:
        """:meth:`coded_units` by row positions: the same rows, order and columns, no string joins."""
        pos = self.positions
        if coder is not None:
            self.check_coder(coder)
        rows, unit, code = pos.known(coder)
        if kind is not None:
            keep = (codes["code_kind"].to_numpy(dtype=object) == kind)[code]
            rows, unit, code = rows[keep], unit[keep], code[keep]
        coder_rank = pd.factorize(pos.coding_coder[rows], sort=True)[0]
        order = np.lexsort((coder_rank, code, unit))  # stable: ties keep the codings' order
        rows, unit, code = rows[order], unit[order], code[order]
        out = self.units.iloc[unit].reset_index(drop=True)
        for col in ("code_id", "coder", "memo"):
            out[col] = self.codings[col].iloc[rows].reset_index(drop=True)
        picked = codes.iloc[code].reset_index(drop=True)
        for col in ("code_label", "code_kind", "element", "code_dimension"):
            out[col] = picked[col]
        return out

    def raw_span(self, unit_id: str) -> str:
        """The raw text of a unit exactly as the file holds it: ``raw[case_id][start:end]``.

        Its line breaks are the file's own (``\\n``, ``\\r\\n`` or ``\\r``); the unit's ``text``
        is the same characters with white space normalised.

        >>> corpus = load_corpus()
        >>> span = corpus.raw_span("bolton.p14")  # a paragraph a page break split
        >>> span[span.index("library"):][:39]
        'library that was\\n\\nfunded by the Council'
        """
        row = self.units.set_index("unit_id").loc[unit_id]
        return self.raw[row["case_id"]][int(row["start"]) : int(row["end"])]


# -- loading -----------------------------------------------------------------------------------


def _load_cases(path: Path, log: ProblemLog) -> tuple[pd.DataFrame, bool]:
    """The case attributes (with each case's ``_row``), and whether the file could be read at all."""
    if not path.exists():
        log.add(str(path), "", "case attributes file not found", "create it with the columns " + ",".join(CASE_COLUMNS))
        return pd.DataFrame(columns=CASE_COLUMNS + ["_row"]), False
    rows = read_csv_table(path, CASE_COLUMNS, log)
    records: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, rec in rows or []:
        cid = rec["case_id"]
        where = f"row {line}"
        if not CASE_ID_RE.match(cid):
            log.add(
                str(path),
                where,
                f"case_id {cid!r} is not a slug",
                "use lower-case letters, digits and single hyphens, e.g. 'bolton'",
            )
            continue
        if cid in seen:
            log.add(str(path), where, f"duplicate case_id {cid!r} (first at row {seen[cid]})")
            continue
        seen[cid] = line
        for col in ("partnership", "short_name", "title", "published"):
            if not rec[col]:
                log.add(str(path), where, f"case {cid!r} has an empty {col}")
        if rec["published"] and not PUBLISHED_RE.match(rec["published"]):
            log.add(str(path), where, f"published {rec['published']!r} is not YYYY-MM")
        for col in ("established", "n_priorities"):
            if rec.get(col) and not WHOLE_NUMBER_RE.match(rec[col]):
                log.add(str(path), where, f"{col} {rec[col]!r} is not a whole number", "leave it empty if not stated")
                rec[col] = ""
        records.append({**rec, "_row": line})
    frame = pd.DataFrame(records)
    if frame.empty:
        return pd.DataFrame(columns=CASE_COLUMNS + ["_row"]), rows is not None
    for col in ("established", "n_priorities"):
        if col in frame:
            frame[col] = pd.to_numeric(frame[col].replace("", None)).astype("Int64")
    return frame, True


def _is_data_dir(data_dir: Path, log: ProblemLog) -> bool:
    """Whether ``data_dir`` is a folder holding any of a data directory's entries; if not, say so once."""
    try:
        return _looks_like_data_dir(data_dir, log)
    except OSError as exc:  # a folder we may not look into
        log.add(str(data_dir), "", f"cannot be read: {exc.strerror or exc}", "make the folder readable (chmod a+rx)")
        return False


def _looks_like_data_dir(data_dir: Path, log: ProblemLog) -> bool:
    if not data_dir.exists():
        log.add(
            str(data_dir),
            "",
            "data directory not found",
            f"pass load_corpus(path) or set {ENV_VAR} to a directory holding raw/, cases.csv and codebook.yml",
        )
        return False
    if not data_dir.is_dir():
        log.add(str(data_dir), "", "is a file, not a data directory", DATA_DIR_HINT)
        return False
    if not any((data_dir / entry).exists() for entry in DATA_ENTRIES):
        log.add(
            str(data_dir),
            "",
            "not an lspkit data directory: it holds none of "
            + ", ".join(e + "/" if "." not in e else e for e in DATA_ENTRIES),
            _data_dir_guess(data_dir),
        )
        return False
    return True


def _data_dir_guess(path: Path) -> str:
    """The hint for a folder that is not a data directory, naming the likely one when it is near."""
    if (path / "data" / "cases.csv").exists():
        return f"did you mean {path / 'data'}? " + DATA_DIR_HINT
    if path.name == "raw" and (path.parent / "cases.csv").exists():
        return f"this is the raw/ folder of {path.parent}: pass that instead"
    return DATA_DIR_HINT


def _raw_files(raw_dir: Path, log: ProblemLog) -> tuple[dict[str, Path], set[str]]:
    """The raw texts by case id, and the case ids whose ``raw/<id>.txt`` is a folder (reported)."""
    if raw_dir.exists() and not raw_dir.is_dir():
        log.add(
            str(raw_dir),
            "",
            "is a file, not a folder",
            "raw/ is the folder of the case studies' texts, raw/<case-id>.txt",
        )
        return {}, set()
    files, folders = {}, set()
    for path, is_folder in _entries(raw_dir, ".txt"):
        if is_folder:
            log.add(
                str(path),
                "",
                "is a folder, not a file",
                "a case study is a text file, raw/<case-id>.txt; move or rename the folder",
            )
            folders.add(path.stem)
        else:
            files[path.stem] = path
    if not files and not folders:
        log.add(str(raw_dir), "", "no raw case-study texts (*.txt)", "add raw/<case-id>.txt for each case in cases.csv")
    return files, folders


def _entries(folder: Path, suffix: str) -> list[tuple[Path, bool]]:
    """The entries of ``folder`` whose names end with ``suffix`` (as ``glob("*" + suffix)`` finds them), sorted,
    each with whether it is a folder; none when ``folder`` is not a readable folder.

    One directory scan, with no further system call per entry: a corpus may have thousands of texts.
    """
    try:
        with os.scandir(folder) as scan:
            found = [(entry.name, entry.is_dir()) for entry in scan if entry.name.endswith(suffix)]
    except OSError:
        return []
    return [(folder / name, is_folder) for name, is_folder in sorted(found)]


def _check_case_rows(
    data_dir: Path,
    case_rows: dict[str, dict],
    cases_read: bool,
    raw_files: dict[str, Path],
    raw_folders: set[str],
    log: ProblemLog,
) -> None:
    """Every raw text has a row in cases.csv (when it could be read) and every row a raw text."""
    raw_dir = data_dir / "raw"
    for stem, path in raw_files.items() if cases_read else ():
        if stem not in case_rows:
            log.add(
                str(path),
                "",
                f"raw text has no row in cases.csv (case id {stem!r})",
                f"add a row with case_id '{stem}' to {data_dir / 'cases.csv'}",
            )
    for cid, rec in case_rows.items() if raw_files or raw_folders else ():  # else: "no raw texts", once
        if cid not in raw_files and cid not in raw_folders:
            log.add(
                str(data_dir / "cases.csv"),
                f"row {rec['_row']}",
                f"case {cid!r} has no raw text",
                f"add {raw_dir / (cid + '.txt')}",
            )


def _check_parsed(
    data_dir: Path, path: Path, rec: dict, parsed: parsecache.CaseUnits, codebook: Codebook, log: ProblemLog
) -> None:
    """The case's row agrees with its document, and its headings with the codebook's elements.

    A text that gave no units, or a codebook without elements, has its problems reported already:
    the comparisons are left out rather than repeated for every heading.
    """
    cases_csv = str(data_dir / "cases.csv")
    title = parsed.title and not caseformat.CONTROL_RE.search(parsed.title)  # else reported as a character
    if title and parsed.title != " ".join(str(rec["title"]).split()):
        log.add(
            cases_csv,
            f"row {rec['_row']}",
            f"title {rec['title']!r} differs from the document's title {parsed.title!r}",
            "copy the title from the raw text",
        )
    if rec["published"] and parsed.published and rec["published"] != parsed.published:
        log.add(
            cases_csv,
            f"row {rec['_row']}",
            f"published {rec['published']!r} differs from the document's date {parsed.published!r}",
        )
    if not len(parsed) or not codebook.elements:
        return
    present = {h for _, h, _ in parsed.headings} | {s for s, _, _ in caseformat.SECTIONS}
    for section, heading, line in parsed.headings:
        if section in ELEMENT_SECTIONS and heading not in codebook.heading_to_element:
            log.add(
                str(path),
                f"line {line}",
                f"heading {heading!r} matches no element in the codebook",
                "fix the heading or add it as an element's 'heading' in codebook.yml",
            )
    for heading, element in codebook.heading_to_element.items():
        if heading not in present:
            log.add(
                str(path),
                "",
                f"missing the heading {heading!r} (element {element!r})",
                "a case study in this format has one heading per 7S element",
            )


def _units_frame(columns: dict[str, list], codebook: Codebook) -> pd.DataFrame:
    """The units table from the parsed columns, typed, in ``UNIT_COLUMNS`` order."""
    # Column lists straight into the frame: no per-unit dicts to take apart.
    units = pd.DataFrame({c: columns[c] for c in UNIT_COLUMNS if c not in ("heading_element", "words")})
    units["heading_element"] = pd.Categorical(
        units["heading"].map(codebook.heading_to_element), dtype=codebook.element_dtype()
    )
    units["words"] = np.asarray(columns["words"], dtype=int)
    units["kind"] = pd.Categorical(units["kind"], categories=list(UNIT_KINDS))
    known_dimension = units["dimension"].isin(codebook.dimensions)
    units["dimension"] = pd.Categorical(units["dimension"].where(known_dimension), dtype=codebook.dimension_dtype())
    units["boilerplate"] = units["boilerplate"].astype(bool)
    for col in ("para", "number"):
        units[col] = units[col].astype("Int64")
    for col in ("start", "end", "line"):
        units[col] = units[col].astype(int)
    return units[UNIT_COLUMNS]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Hold off Python's cyclic garbage collector while a load builds millions of small objects.

    Loading creates lists and strings by the hundred thousand; each batch would trigger a
    collection that walks every object alive, so a large corpus loads several times slower with
    it on. Reference counting still frees everything it can; the collector resumes afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load(data_dir: Path, log: ProblemLog) -> Corpus | None:
    with _gc_paused():
        return _load_data(data_dir, log)


def _load_data(data_dir: Path, log: ProblemLog) -> Corpus | None:
    data_dir = Path(data_dir)
    if not _is_data_dir(data_dir, log):
        return None
    codebook = load_codebook(data_dir / "codebook.yml", log)
    coders = load_coders(data_dir / "coders.csv", log)
    cases, cases_read = _load_cases(data_dir / "cases.csv", log)
    raw_files, raw_folders = _raw_files(data_dir / "raw", log)
    case_rows = {r["case_id"]: r for r in cases.to_dict("records")}
    _check_case_rows(data_dir, case_rows, cases_read, raw_files, raw_folders, log)

    columns: dict[str, list] = {c: [] for c in (*parsecache.COLUMNS, "citation")}
    raw = {}
    for cid, rec in case_rows.items():
        if cid not in raw_files:
            continue
        try:
            parsed = parsecache.load_case(raw_files[cid], cid, log.problems)
        except LspkitError as exc:  # unreadable or undecodable: nothing to parse
            log.extend(exc.problems)
            continue
        raw[cid] = parsed.text
        _check_parsed(data_dir, raw_files[cid], rec, parsed, codebook, log)
        unit_columns = parsed.columns
        for name, values in unit_columns.items():
            columns[name] += values
        short = rec["short_name"] or cid
        columns["citation"] += map(
            citation, repeat(short, len(parsed)), unit_columns["kind"], unit_columns["para"], unit_columns["number"]
        )
    units = _units_frame(columns, codebook)

    # Codings of a case without units, of a codebook without codes or by coders without a registry
    # are not reported one by one: the missing piece is reported once, above.
    absent = (set(raw_files) | raw_folders | set(case_rows)) - set(columns["case_id"])
    typed = read_coding_files(data_dir / "codings", log)
    typed = check_codings(
        typed,
        units,
        codebook.codes,
        coders,
        log,
        absent_cases=absent,
        without_codebook=codebook.codes.empty,
        without_registry=coders.empty,
    )
    structure = derive_structure_codings(units, codebook.heading_to_element)
    codings = pd.concat([structure, typed[CODING_COLUMNS]], ignore_index=True)
    cases = cases.drop(columns=["_row"]).reset_index(drop=True)
    link_rows = read_link_files(data_dir / "links", log)
    links = check_links(
        link_rows,
        units,
        codebook.codes,
        coders,
        dict(zip(codebook.relations["id"], codebook.relations["definition"])),
        dict(zip(cases["case_id"], cases["short_name"])),
        log,
        absent_cases=absent,
    )
    restates_file = data_dir / "restates.csv"
    restates = check_restates(read_restates(restates_file, log), restates_file, units, coders, log, absent_cases=absent)
    decisions_file = data_dir / "decisions.csv"
    decisions = load_decisions(decisions_file, log) if decisions_file.exists() else None
    return Corpus(
        cases,
        units,
        codebook.codes,
        codings.reset_index(drop=True),
        coders,
        codebook,
        data_dir,
        raw,
        links,
        restates,
        decisions if decisions is not None else empty_decisions(),
    )


_LAST_LOAD: dict[str, Any] = {}  # this process's last clean load: its folder's fingerprint and the corpus


def _fingerprint(data_dir: Path) -> tuple | None:
    """What identifies a data folder's state: its resolved path, every entry under it (name, size,
    modification time) and the content hash of the files the analyses read, with the parse cache in
    use; None if it is no folder or the cache is off (``LSPKIT_NO_CACHE=1``: every load parses)."""
    cache = parsecache.cache_dir()
    if cache is None:
        return None
    try:
        root = data_dir.resolve()
        if not root.is_dir():
            return None
        entries = []
        for folder, dirs, files in os.walk(root):
            dirs.sort()
            for name in sorted(files) + dirs:
                st = os.stat(os.path.join(folder, name))
                entries.append((os.path.relpath(os.path.join(folder, name), root), st.st_size, st.st_mtime_ns))
        return (str(root), tuple(entries), data_version(root), str(cache))
    except OSError:
        return None


def load_corpus(path: str | Path | None = None) -> Corpus:
    """Load and check a data directory: ``path``, else ``$LSPKIT_DATA``, else the project's ``data/``.

    Raises one :class:`~lspkit.errors.LspkitError` listing every problem found, each naming its
    file and row or line.

    A process keeps its last clean load: asked again for the same folder with no file added,
    removed or changed (by name, size, time or content), it returns a fresh copy of that corpus
    instead of reading and checking every file again, so the next notebook in a warm kernel starts
    at once. A load with problems is never kept, and nothing is kept while the parse cache is off
    (``LSPKIT_NO_CACHE=1``) or for another cache folder.
    """
    data_dir = Path(path) if path is not None else default_data_dir()
    key = _fingerprint(data_dir)
    if key is not None and _LAST_LOAD.get("key") == key:
        return copy.deepcopy(_LAST_LOAD["corpus"])
    log = ProblemLog()
    corpus = _load(data_dir, log)
    log.raise_if_any(DataError)
    assert corpus is not None
    if key is not None:
        _LAST_LOAD.clear()
        _LAST_LOAD.update(key=key, corpus=copy.deepcopy(corpus))
    return corpus


def validate(path: str | Path | None = None) -> list[Problem]:
    """Every problem in a data directory, without raising. An empty list means it loads cleanly."""
    log = ProblemLog()
    data_dir = Path(path) if path is not None else default_data_dir()
    try:
        corpus = _load(data_dir, log)
    except LspkitError as exc:  # pragma: no cover - defensive: loaders collect rather than raise
        log.extend(exc.problems)
        return log.problems
    if corpus is not None and not log.problems and len(corpus.decisions):
        for message in check_decisions(corpus.decisions, corpus.codings, corpus.codes):
            row, _, what = message.partition(": ")
            log.add(
                str(data_dir / "decisions.csv"),
                row,
                what,
                "the log and the codings disagree: record the change that explains it, or fix the coding",
            )
    return log.problems
