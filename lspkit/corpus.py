"""The corpus: cases, units, codes, coders and codings loaded from one data directory.

This module owns finding the data directory, loading and cross-checking everything in it, and the
:class:`Corpus` object with its selectors. A data directory holds::

    raw/*.txt          the case studies, verbatim (one file per case; the stem is the case id)
    cases.csv          one row of attributes per case
    codebook.yml       the 7S elements and the themes
    coders.csv         the coder registry
    codings/*.csv      codings: unit_id, code_id, coder, memo

Example:
    >>> corpus = load_corpus()
    >>> corpus.case_ids
    ['blackburn-with-darwen', 'bolton', 'hammersmith-and-fulham']
    >>> corpus.units.set_index("unit_id").loc["bolton.p08", "citation"]
    'Bolton ¶8'
    >>> bolton = corpus.case("bolton").coder("researcher")
    >>> bolton.coded_units(kind="element")["code_id"].iloc[0]
    'goals'
"""

from __future__ import annotations

import gc
import hashlib
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import repeat
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pandas as pd

from . import caseformat, parsecache
from .codebook import Codebook, load_codebook
from .codings import (CODING_COLUMNS, check_codings, derive_structure_codings, load_coders,
                      read_coding_files, read_csv_rows)
from .errors import LspkitError, Problem, ProblemLog

ENV_VAR = "LSPKIT_DATA"
CASE_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CASE_COLUMNS = ["case_id", "partnership", "short_name", "title", "published"]
UNIT_KINDS = ["paragraph", "quote", "learning_point", "question"]
UNIT_COLUMNS = ["unit_id", "case_id", "kind", "para", "number", "section", "heading", "heading_element",
                "dimension", "boilerplate", "speaker", "citation", "text", "words", "start", "end", "line"]
ELEMENT_SECTIONS = {"Long-term objectives", "Transformational elements", "Transactional elements"}


def default_data_dir() -> Path:
    """``$LSPKIT_DATA`` if set, else the project's ``data/`` directory next to the package."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "data"


def data_files(data_dir: str | Path) -> list[Path]:
    """The files a data directory's analyses depend on, in a stable order."""
    data_dir = Path(data_dir)
    files = [data_dir / "cases.csv", data_dir / "codebook.yml", data_dir / "coders.csv"]
    files += sorted((data_dir / "raw").glob("*.txt")) + sorted((data_dir / "codings").glob("*.csv"))
    return [f for f in files if f.exists()]


def data_version(data_dir: str | Path | None = None) -> str:
    """A short content hash of the data directory: it changes when any input file changes.

    >>> len(data_version())
    12
    """
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    digest = hashlib.sha256()
    for path in data_files(data_dir):
        digest.update(path.relative_to(data_dir).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:12]


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
    def of(cls, cases: pd.DataFrame, units: pd.DataFrame, codes: pd.DataFrame,
           codings: pd.DataFrame) -> "Positions":
        """Compute the positions from the frames (one hash join per id column)."""
        unit_index = pd.Index(units["unit_id"].to_numpy(dtype=object), dtype=object)
        code_index = pd.Index(codes["code_id"].to_numpy(dtype=object), dtype=object)
        case_index = pd.Index(cases["case_id"].to_numpy(dtype=object), dtype=object)
        unique = unit_index.is_unique and code_index.is_unique and case_index.is_unique
        if not unique:
            empty = np.full(len(codings), -1, dtype=np.intp)
            return cls(empty, empty, codings["coder"].to_numpy(dtype=object), np.full(len(units), -1, np.intp),
                       False)
        return cls(unit_index.get_indexer(codings["unit_id"].to_numpy(dtype=object)),
                   code_index.get_indexer(codings["code_id"].to_numpy(dtype=object)),
                   codings["coder"].to_numpy(dtype=object),
                   case_index.get_indexer(units["case_id"].to_numpy(dtype=object)), True)


@dataclass(frozen=True)
class Corpus:
    """Everything in one data directory as tidy DataFrames.

    ``cases``: one row per case. ``units``: one row per unit of analysis, in document order.
    ``codes``: the codebook. ``coders``: the coder registry. ``codings``: one row per unit, code
    and coder (the derived ``structure`` coder included). ``raw`` maps case ids to their texts.

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
        return self.codes.loc[self.codes["kind"] == "theme", "code_id"].tolist()

    @property
    def coder_ids(self) -> list[str]:
        return self.coders["coder"].tolist()

    # -- selectors ---------------------------------------------------------------------------
    def check_case(self, case_id: str) -> str:
        """Return ``case_id`` if the corpus has it, else raise an error listing the valid ids."""
        if case_id not in self.case_ids:
            raise LspkitError([Problem("parameter lsp", "", f"unknown case id {case_id!r}",
                                       "valid ids: " + ", ".join(self.case_ids))])
        return case_id

    def check_coder(self, coder: str) -> str:
        """Return ``coder`` if registered, else raise an error listing the registered coders."""
        if coder not in self.coder_ids:
            raise LspkitError([Problem("parameter coder", "", f"unknown coder {coder!r}",
                                       "registered coders: " + ", ".join(self.coder_ids))])
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
        return replace(self,
                       cases=self.cases[self.cases["case_id"].isin(wanted)].reset_index(drop=True),
                       units=units.reset_index(drop=True),
                       codings=self.codings[kept].reset_index(drop=True),
                       raw={c: t for c, t in self.raw.items() if c in wanted})

    def case(self, case_id: str) -> "Corpus":
        """The corpus restricted to one case."""
        return self.cases_subset([case_id])

    def coder(self, coder: str) -> "Corpus":
        """The corpus with only one coder's codings.

        >>> set(load_corpus().coder("structure").codings["coder"])
        {'structure'}
        """
        self.check_coder(coder)
        return replace(self, codings=self.codings.iloc[self.positions.coder_rows(coder)].reset_index(drop=True))

    def coded_units(self, coder: str | None = None, kind: str | None = None) -> pd.DataFrame:
        """Units joined to their codings and codes: one row per (unit, code, coder).

        ``kind`` keeps only ``"element"`` or ``"theme"`` codes. Columns: the unit's columns, then
        ``code_id, coder, memo, code_label, code_kind, element, code_dimension``.
        """
        codes = self.codes[["code_id", "label", "kind", "element", "dimension"]].rename(
            columns={"label": "code_label", "kind": "code_kind", "dimension": "code_dimension"})
        cols = UNIT_COLUMNS + ["code_id", "coder", "memo", "code_label", "code_kind", "element", "code_dimension"]
        if self.positions.unique:
            return self._coded_units_by_position(codes, coder, kind)[cols]
        codings = self.codings if coder is None else self.coder(coder).codings
        out = (codings.merge(self.units, on="unit_id", how="inner", validate="many_to_one")
               .merge(codes, on="code_id", how="inner", validate="many_to_one"))
        if kind is not None:
            out = out[out["code_kind"] == kind]
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
        """The raw text of a unit exactly as the file holds it (between ``start`` and ``end``)."""
        row = self.units.set_index("unit_id").loc[unit_id]
        return self.raw[row["case_id"]][int(row["start"]):int(row["end"])]


# -- loading -----------------------------------------------------------------------------------

def _citation(short: str, kind: str, para, number) -> str:
    if kind == "paragraph":
        return f"{short} ¶{para}"
    if kind == "quote":
        return f"{short} ¶{para}, quote {number}"
    if kind == "learning_point":
        return f"{short}, learning point {number}"
    return f"{short}, question {number}"


def _load_cases(path: Path, log: ProblemLog) -> pd.DataFrame:
    if not path.exists():
        log.add(str(path), "", "case attributes file not found", "create it with the columns " + ",".join(CASE_COLUMNS))
        return pd.DataFrame(columns=CASE_COLUMNS)
    rows = read_csv_rows(path, CASE_COLUMNS, log)
    records, seen = [], {}
    for line, rec in rows:
        cid = rec["case_id"]
        where = f"row {line}"
        if not CASE_ID_RE.match(cid):
            log.add(str(path), where, f"case_id {cid!r} is not a slug",
                    "use lower-case letters, digits and single hyphens, e.g. 'bolton'")
            continue
        if cid in seen:
            log.add(str(path), where, f"duplicate case_id {cid!r} (first at row {seen[cid]})")
            continue
        seen[cid] = line
        for col in ("partnership", "short_name", "title", "published"):
            if not rec[col]:
                log.add(str(path), where, f"case {cid!r} has an empty {col}")
        if rec["published"] and not re.match(r"^\d{4}-\d{2}$", rec["published"]):
            log.add(str(path), where, f"published {rec['published']!r} is not YYYY-MM")
        for col in ("established", "n_priorities"):
            if rec.get(col) and not rec[col].isdigit():
                log.add(str(path), where, f"{col} {rec[col]!r} is not a whole number", "leave it empty if not stated")
                rec[col] = ""
        rec["_row"] = line
        records.append(rec)
    frame = pd.DataFrame(records)
    if frame.empty:
        return pd.DataFrame(columns=CASE_COLUMNS + ["_row"])
    for col in ("established", "n_priorities"):
        if col in frame:
            frame[col] = pd.to_numeric(frame[col].replace("", None)).astype("Int64")
    return frame


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
    if not data_dir.is_dir():
        log.add(str(data_dir), "", "data directory not found",
                f"pass load_corpus(path) or set {ENV_VAR} to a directory holding raw/, cases.csv and codebook.yml")
        return None
    codebook = load_codebook(data_dir / "codebook.yml", log)
    coders = load_coders(data_dir / "coders.csv", log)
    cases = _load_cases(data_dir / "cases.csv", log)

    raw_dir = data_dir / "raw"
    raw_files = {p.stem: p for p in sorted(raw_dir.glob("*.txt"))} if raw_dir.is_dir() else {}
    if not raw_files:
        log.add(str(raw_dir), "", "no raw case-study texts (*.txt)")
    case_rows = {r["case_id"]: r for r in cases.to_dict("records")}
    for stem, path in raw_files.items():
        if stem not in case_rows:
            log.add(str(path), "", f"raw text has no row in cases.csv (case id {stem!r})",
                    f"add a row with case_id '{stem}' to {data_dir / 'cases.csv'}")
    for cid, rec in case_rows.items():
        if cid not in raw_files:
            log.add(str(data_dir / "cases.csv"), f"row {rec['_row']}", f"case {cid!r} has no raw text",
                    f"add {raw_dir / (cid + '.txt')}")

    columns: dict[str, list] = {c: [] for c in (*parsecache.COLUMNS, "citation")}
    raw = {}
    for cid, rec in case_rows.items():
        if cid not in raw_files:
            continue
        try:
            parsed = parsecache.load_case(raw_files[cid], cid, log.problems)
        except LspkitError as exc:  # undecodable: nothing to parse
            log.extend(exc.problems)
            continue
        raw[cid] = parsed.text
        if parsed.title != " ".join(str(rec["title"]).split()):
            log.add(str(data_dir / "cases.csv"), f"row {rec['_row']}",
                    f"title {rec['title']!r} differs from the document's title {parsed.title!r}",
                    "copy the title from the raw text")
        if rec["published"] and parsed.published and rec["published"] != parsed.published:
            log.add(str(data_dir / "cases.csv"), f"row {rec['_row']}",
                    f"published {rec['published']!r} differs from the document's date {parsed.published!r}")
        present = {h for _, h, _ in parsed.headings} | {s for s, _, _ in caseformat.SECTIONS}
        for section, heading, line in parsed.headings:
            if section in ELEMENT_SECTIONS and heading not in codebook.heading_to_element:
                log.add(str(raw_files[cid]), f"line {line}", f"heading {heading!r} matches no element in the codebook",
                        "fix the heading or add it as an element's 'heading' in codebook.yml")
        for heading, element in codebook.heading_to_element.items():
            if heading not in present:
                log.add(str(raw_files[cid]), "", f"missing the heading {heading!r} (element {element!r})",
                        "a case study in this format has one heading per 7S element")
        unit_columns = parsed.columns
        for name, values in unit_columns.items():
            columns[name] += values
        short = rec["short_name"] or cid
        columns["citation"] += map(_citation, repeat(short, len(parsed)), unit_columns["kind"],
                                   unit_columns["para"], unit_columns["number"])

    # Column lists straight into the frame: no per-unit dicts to take apart.
    units = pd.DataFrame({c: columns[c] for c in UNIT_COLUMNS if c not in ("heading_element", "words")})
    units["heading_element"] = pd.Categorical(units["heading"].map(codebook.heading_to_element),
                                              dtype=codebook.element_dtype())
    units["words"] = np.asarray(columns["words"], dtype=int)
    units["kind"] = pd.Categorical(units["kind"], categories=UNIT_KINDS)
    known_dimension = units["dimension"].isin(codebook.dimensions)
    units["dimension"] = pd.Categorical(units["dimension"].where(known_dimension), dtype=codebook.dimension_dtype())
    units["boilerplate"] = units["boilerplate"].astype(bool)
    for col in ("para", "number"):
        units[col] = units[col].astype("Int64")
    for col in ("start", "end", "line"):
        units[col] = units[col].astype(int)
    units = units[UNIT_COLUMNS]

    typed = read_coding_files(data_dir / "codings", log)
    typed = check_codings(typed, units, codebook.codes, coders, log)
    structure = derive_structure_codings(units, codebook.heading_to_element)
    codings = pd.concat([structure, typed[CODING_COLUMNS]], ignore_index=True)
    cases = cases.drop(columns=["_row"]).reset_index(drop=True)
    return Corpus(cases, units, codebook.codes, codings.reset_index(drop=True), coders, codebook, data_dir, raw)


def load_corpus(path: str | Path | None = None) -> Corpus:
    """Load and check a data directory: ``path``, else ``$LSPKIT_DATA``, else the project's ``data/``.

    Raises one :class:`~lspkit.errors.LspkitError` listing every problem found, each naming its
    file and row or line.
    """
    log = ProblemLog()
    corpus = _load(Path(path) if path is not None else default_data_dir(), log)
    log.raise_if_any()
    assert corpus is not None
    return corpus


def validate(path: str | Path | None = None) -> list[Problem]:
    """Every problem in a data directory, without raising. An empty list means it loads cleanly."""
    log = ProblemLog()
    try:
        _load(Path(path) if path is not None else default_data_dir(), log)
    except LspkitError as exc:  # pragma: no cover - defensive: loaders collect rather than raise
        log.extend(exc.problems)
    return log.problems
