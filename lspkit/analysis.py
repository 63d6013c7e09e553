"""Cross-case analyses: tidy frames in, tidy frames out.

This module owns every computed result the notebooks show. Each function takes a
:class:`~lspkit.corpus.Corpus` (and a coder and options) and returns a DataFrame with named columns;
none of them plots or prints. Boilerplate units (paragraphs 1-3, the model's explanation) never
count. Unless said otherwise a function uses the evidence units: paragraphs, quotations and learning
points; the documents' closing questions are generic prompts to every LSP, not evidence about one.

Example:
    >>> from lspkit import load_corpus
    >>> corpus = load_corpus()
    >>> profile = element_profile(corpus.case("bolton"))
    >>> list(profile.columns)
    ['case_id', 'element', 'dimension', 'units', 'unit_share', 'words', 'word_share']
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable, Literal, NamedTuple, Sequence

import numpy as np
import pandas as pd

from .corpus import Corpus, Positions
from .errors import LspkitError, Problem
from .linkanalysis import (  # noqa: F401  (link analyses,
    link_chains,
    link_matrix,
    link_meta_matrix,
    one_sided,
    retrieve_links,  # also reachable as analysis.retrieve_links)
)
from .vocabulary import (  # noqa: F401  (NARRATIVE_KINDS and UNIT_SETS are part of this API)
    EVIDENCE_KINDS,
    FIXED_DATE,
    NARRATIVE_KINDS,
    NOT_PRACTICE,
    TRANSACTIONAL,
    TRANSFORMATIONAL,
    UNIT_SETS,
    excerpt,
)

TF, TC = TRANSFORMATIONAL, TRANSACTIONAL


# -- helpers -----------------------------------------------------------------------------------
#
# The analyses join codings to units, codes and cases by integer row positions
# (:attr:`Corpus.positions`), never by merging string ids: at 3,000 cases (200k units, half a
# million codings) a string merge costs more than a whole analysis done by positions.


class _Coded(NamedTuple):
    """One coder's codings of evidence units as row positions, sorted by unit then code (document
    and codebook order), each (unit, code) pair once."""

    unit: np.ndarray  # rows of corpus.units
    code: np.ndarray  # rows of corpus.codes
    case: np.ndarray  # rows of corpus.cases
    row: np.ndarray  # rows of corpus.codings


def _unit_mask(corpus: Corpus, kinds: Sequence[str]) -> np.ndarray:
    """Boolean per unit row: an evidence unit of one of ``kinds`` (boilerplate never)."""
    units = corpus.units
    return ~units["boilerplate"].to_numpy(dtype=bool) & units["kind"].isin(list(kinds)).to_numpy(dtype=bool)


def _positions(corpus: Corpus) -> Positions:
    pos = corpus.positions
    if not pos.unique:
        raise LspkitError(
            [
                Problem(
                    str(corpus.data_dir),
                    "",
                    "unit, code or case ids are not unique",
                    "run 'lspkit validate' and fix the duplicates it reports",
                )
            ]
        )
    return pos


def _coded(
    corpus: Corpus,
    coder: str | None,
    code_kind: str | None = None,
    kinds: Sequence[str] | None = EVIDENCE_KINDS,
    practice_only: bool = True,
) -> _Coded:
    """The codings of ``coder`` (``None``: every coder) on evidence units of ``kinds`` (``None``:
    every non-boilerplate unit), optionally only codes of one kind (``"element"`` or ``"theme"``).
    Codings whose status is only an aim are left out unless ``practice_only`` is false: an aim is
    coded, never counted as practice."""
    pos = _positions(corpus)
    if coder is not None:
        corpus.check_coder(coder)
    rows, unit, code = pos.known(coder)
    units_ok = _unit_mask(corpus, kinds) if kinds is not None else ~corpus.units["boilerplate"].to_numpy(dtype=bool)
    keep = units_ok[unit] & (pos.unit_case[unit] >= 0)
    if code_kind is not None:
        keep &= (corpus.codes["code_kind"].to_numpy(dtype=object) == code_kind)[code]
    if practice_only and "status" in corpus.codings:
        keep &= ~np.isin(corpus.codings["status"].to_numpy(dtype=object)[rows], NOT_PRACTICE)
    rows, unit, code = rows[keep], unit[keep], code[keep]
    order = np.lexsort((rows, code, unit))
    rows, unit, code = rows[order], unit[order], code[order]
    if coder is not None and len(unit) > 1:  # one coder codes a unit to a code once
        first = np.ones(len(unit), dtype=bool)
        first[1:] = (unit[1:] != unit[:-1]) | (code[1:] != code[:-1])
        rows, unit, code = rows[first], unit[first], code[first]
    return _Coded(unit, code, pos.unit_case[unit], rows)


def _element_index(corpus: Corpus) -> np.ndarray:
    """For each code row, its position in the 7S order (-1 for themes)."""
    where = {e: i for i, e in enumerate(corpus.elements)}
    return np.array([where.get(c, -1) for c in corpus.codes["code_id"]], dtype=np.intp)


def _code_dimensions(corpus: Corpus) -> np.ndarray:
    """Each code row's dimension as a string ('nan' for themes without one)."""
    return corpus.codes["dimension"].astype(str).to_numpy(dtype=object)


def _first_of_unit(unit: np.ndarray) -> np.ndarray:
    """For codings sorted by unit (as :func:`_coded` gives them): True at each unit's first coding."""
    first = np.ones(len(unit), dtype=bool)
    first[1:] = unit[1:] != unit[:-1]
    return first


def _runs(sorted_keys: np.ndarray) -> tuple[list[int], list[int]]:
    """The ``(starts, ends)`` of the runs of equal values in a sorted array (none when it is empty)."""
    if not len(sorted_keys):
        return [], []
    bounds = (np.flatnonzero(np.diff(sorted_keys)) + 1).tolist()
    return [0] + bounds, bounds + [len(sorted_keys)]


def _element_bits(corpus: Corpus, coded: _Coded, flags: np.ndarray | None = None) -> np.ndarray:
    """Per unit row, a bit mask of the elements it is coded to (bit i: the i-th element in 7S order),
    from the element codings in ``coded`` (restricted by ``flags``)."""
    unit, code = (coded.unit, coded.code) if flags is None else (coded.unit[flags], coded.code[flags])
    bits = np.zeros(len(corpus.units), dtype=np.int64)
    np.bitwise_or.at(bits, unit, np.left_shift(1, _element_index(corpus)[code]).astype(np.int64))
    return bits


def _per_unit(corpus: Corpus, unit: np.ndarray, flags: np.ndarray | None = None) -> np.ndarray:
    """A boolean per unit row: set where ``unit`` (restricted by ``flags``) names it."""
    out = np.zeros(len(corpus.units), dtype=bool)
    out[unit if flags is None else unit[flags]] = True
    return out


def _mask_labels(names: Sequence[str], sep: str) -> Callable[[int], str]:
    """A function from a bit mask over ``names`` to the set names joined by ``sep``, in order (memoised)."""
    memo: dict[int, str] = {}

    def label(mask: int) -> str:
        text = memo.get(mask)
        if text is None:
            text = memo[mask] = sep.join(n for i, n in enumerate(names) if mask >> i & 1)
        return text

    return label


def _take(column: pd.Series, rows: np.ndarray) -> pd.Series:
    """The values of a frame's column at row positions, keeping the column's dtype, on a fresh index."""
    return column.iloc[rows].reset_index(drop=True)


def _case_categorical(corpus: Corpus, values: pd.Series) -> pd.Categorical:
    return pd.Categorical(values, categories=corpus.case_ids, ordered=True)


# -- profile and balance -----------------------------------------------------------------------


def element_profile(
    corpus: Corpus, coder: str = "researcher", *, kinds: Sequence[str] = EVIDENCE_KINDS
) -> pd.DataFrame:
    """Units and words per 7S element for each case, as counts and shares.

    One row per case and element (all seven, zeros included). ``units`` counts the units coded to
    the element; ``words`` sums their words. ``unit_share`` divides by the case's units coded to any
    element, ``word_share`` by those units' words. A unit coded to two elements counts for both, so
    shares within a case can add up to more than 1.

    >>> from lspkit import load_corpus
    >>> p = element_profile(load_corpus().case("bolton"), coder="structure")
    >>> int(p.loc[p["element"] == "goals", "units"].iloc[0])
    2
    """
    coded = _coded(corpus, coder, "element", kinds)
    n_cases, n_elements = len(corpus.cases), len(corpus.elements)
    element = _element_index(corpus)[coded.code]
    words = corpus.units["words"].to_numpy()[coded.unit]
    cell = coded.case * n_elements + element
    units = np.bincount(cell, minlength=n_cases * n_elements)
    word_sum = np.bincount(cell, weights=words, minlength=n_cases * n_elements).astype(np.int64)
    first = _first_of_unit(coded.unit)  # each coded unit once, for the case totals
    n = np.repeat(np.bincount(coded.case[first], minlength=n_cases), n_elements)
    w = np.repeat(np.bincount(coded.case[first], weights=words[first], minlength=n_cases), n_elements)
    elements = np.tile(np.asarray(corpus.elements, dtype=object), n_cases)
    dims = corpus.codes.set_index("code_id")["dimension"]
    out = pd.DataFrame(
        {
            "case_id": pd.Categorical(
                np.repeat(np.asarray(corpus.case_ids, dtype=object), n_elements),
                categories=corpus.case_ids,
                ordered=True,
            ),
            "element": pd.Categorical(elements, dtype=corpus.codebook.element_dtype()),
            "dimension": pd.Categorical(pd.Series(elements).map(dims), dtype=corpus.codebook.dimension_dtype()),
            "units": units.astype(int),
            "unit_share": np.where(n > 0, units / np.where(n > 0, n, 1), 0.0),
            "words": word_sum.astype(int),
            "word_share": np.where(w > 0, word_sum / np.where(w > 0, w, 1), 0.0),
        }
    )
    return out


def balance(corpus: Corpus, coder: str = "researcher") -> pd.DataFrame:
    """Transformational/transactional balance per case, for narrative units and for learning points.

    A unit counts as transformational if the coder gave it at least one transformational element,
    and as transactional likewise; a unit with both counts in both (and in ``both``). Super-ordinate
    goals are outside the balance. The **balance index** is

        balance_index = (transformational - transactional) / (transformational + transactional)

    from -1 (all transactional) through 0 (even) to +1 (all transformational); it is empty when a
    case has no unit of either dimension. For the derived ``structure`` coder, which gives learning
    points no element, a learning point counts under the dimension the document files it under.

    Columns: case_id, units_of ('narrative' or 'learning points'), transformational, transactional,
    both, total (units with an element of either dimension), transformational_share,
    transactional_share, balance_index.
    """
    structure = coder in corpus.derived_coders
    code_dim = _code_dimensions(corpus)
    case_rows = corpus.positions.unit_case
    n_cases = len(corpus.cases)
    parts = []
    for units_of, kinds in UNIT_SETS.items():
        coded = _coded(corpus, coder, "element", kinds)
        dim = code_dim[coded.code]
        tf = _per_unit(corpus, coded.unit, dim == TF)
        tc = _per_unit(corpus, coded.unit, dim == TC)
        if structure and units_of == "learning points":
            own = corpus.units["dimension"].astype(str).to_numpy(dtype=object)
            evidence_units = _unit_mask(corpus, kinds) & (case_rows >= 0)
            tf |= evidence_units & (own == TF)
            tc |= evidence_units & (own == TC)

        def per_case(flags: np.ndarray) -> np.ndarray:
            return np.bincount(case_rows[flags], minlength=n_cases).astype(int)

        parts.append(
            {
                "transformational": per_case(tf),
                "transactional": per_case(tc),
                "both": per_case(tf & tc),
                "total": per_case(tf | tc),
            }
        )
    out = pd.DataFrame(
        {
            "case_id": np.repeat(np.asarray(corpus.case_ids, dtype=object), len(UNIT_SETS)),
            "units_of": np.tile(np.asarray(list(UNIT_SETS), dtype=object), n_cases),
        }
    )
    for col in ("transformational", "transactional", "both", "total"):
        out[col] = np.column_stack([p[col] for p in parts]).reshape(-1).astype(int)
    tf, tc, total = out["transformational"], out["transactional"], out["total"]
    out["transformational_share"] = (tf / total.where(total > 0)).astype(float)
    out["transactional_share"] = (tc / total.where(total > 0)).astype(float)
    out["balance_index"] = ((tf - tc) / (tf + tc).where((tf + tc) > 0)).astype(float)
    out["case_id"] = _case_categorical(corpus, out["case_id"])
    out["units_of"] = pd.Categorical(out["units_of"], categories=list(UNIT_SETS), ordered=True)
    return out


# -- matrices ----------------------------------------------------------------------------------

Normalise = Literal["row", "column", "case_units"] | None


def case_code_matrix(
    corpus: Corpus,
    coder: str = "researcher",
    *,
    code_kind: Literal["element", "theme"] = "element",
    normalise: Normalise = None,
    kinds: Sequence[str] = EVIDENCE_KINDS,
) -> pd.DataFrame:
    """Case × code matrix (a matrix coding query): units coded to each code in each case.

    ``normalise``: ``None`` for counts; ``"row"`` for each code's share of the case's codings of
    that kind; ``"column"`` for each case's share of the code's units; ``"case_units"`` for the
    share of the case's evidence units coded to the code. Rows are cases (``case_id``), columns are
    codes in codebook order (``code_id``).

    >>> from lspkit import load_corpus
    >>> m = case_code_matrix(load_corpus(), coder="structure")
    >>> int(m.loc["bolton", "systems"])
    2
    """
    coded = _coded(corpus, coder, code_kind, kinds)
    is_kind = (corpus.codes["code_kind"] == code_kind).to_numpy()
    codes = corpus.codes.loc[is_kind, "code_id"].tolist()
    column = np.cumsum(is_kind) - 1  # code row -> column among the codes of this kind
    n_cases = len(corpus.cases)
    cells = np.bincount(coded.case * len(codes) + column[coded.code], minlength=n_cases * len(codes))
    table = pd.DataFrame(
        cells.reshape(n_cases, len(codes)).astype(int), index=pd.Index(corpus.case_ids), columns=pd.Index(codes)
    )
    if normalise == "row":
        table = table.div(table.sum(axis=1).where(lambda s: s > 0), axis=0).fillna(0.0)
    elif normalise == "column":
        table = table.div(table.sum(axis=0).where(lambda s: s > 0), axis=1).fillna(0.0)
    elif normalise == "case_units":
        in_case = _unit_mask(corpus, kinds) & (corpus.positions.unit_case >= 0)
        n = pd.Series(np.bincount(corpus.positions.unit_case[in_case], minlength=n_cases), index=table.index)
        table = table.div(n.where(n > 0), axis=0).fillna(0.0)
    elif normalise is not None:
        raise LspkitError(
            [
                Problem(
                    "parameter normalise",
                    "",
                    f"unknown option {normalise!r}",
                    "use None, 'row', 'column' or 'case_units'",
                )
            ]
        )
    table.index.name, table.columns.name = "case_id", "code_id"
    return table


def evidence(
    corpus: Corpus,
    coder: str = "researcher",
    *,
    excerpt_words: int = 12,
    kinds: Sequence[str] = EVIDENCE_KINDS,
    code_kind: Literal["element", "theme"] = "element",
) -> pd.DataFrame:
    """Every coded evidence unit with its citation and a short excerpt, in document order.

    One row per unit and code: ``case_id, code_id, unit_id, citation, excerpt`` where the excerpt is
    the unit's first ``excerpt_words`` words (with '…' when cut).

    >>> from lspkit import load_corpus
    >>> evidence(load_corpus().case("bolton"), coder="structure", excerpt_words=3).iloc[0].tolist()
    ['bolton', 'goals', 'bolton.p04', 'Bolton ¶4', 'Bolton was one…']
    """
    coded, excerpts = _excerpted(corpus, coder, excerpt_words, kinds, code_kind)
    units = corpus.units
    return pd.DataFrame(
        {
            "case_id": _take(units["case_id"], coded.unit),
            "code_id": _take(corpus.codes["code_id"], coded.code),
            "unit_id": _take(units["unit_id"], coded.unit),
            "citation": _take(units["citation"], coded.unit),
            "excerpt": pd.Series(excerpts, dtype=str),
        }
    )


def _excerpted(
    corpus: Corpus, coder: str, words: int, kinds: Sequence[str], code_kind: str
) -> tuple[_Coded, np.ndarray]:
    """One coder's codings (see :func:`_coded`) and, for each, its unit's excerpt (each unit cut once)."""
    coded = _coded(corpus, coder, code_kind, kinds)
    new_unit = _first_of_unit(coded.unit)
    texts = corpus.units["text"].to_numpy(dtype=object)[coded.unit[new_unit]]
    cut = [excerpt(t, words) for t in texts]
    per_unit = np.empty(len(cut), dtype=object)
    per_unit[:] = cut
    return coded, per_unit[np.cumsum(new_unit) - 1]


def framework_matrix(
    corpus: Corpus, coder: str = "researcher", *, excerpt_words: int = 12, kinds: Sequence[str] = EVIDENCE_KINDS
) -> pd.DataFrame:
    """Framework matrix (Ritchie & Spencer): cases × 7S elements, each cell the cited evidence.

    Each cell lists the units coded to the element, one per line, as ``citation: excerpt…`` where
    the excerpt is the unit's first ``excerpt_words`` words. Empty cells are empty strings.

    >>> from lspkit import load_corpus
    >>> fm = framework_matrix(load_corpus(), coder="structure", excerpt_words=4)
    >>> fm.loc["bolton", "staff_skills"].splitlines()[2]
    'Bolton ¶8: In 2007, the Council…'
    """
    coded, excerpts = _excerpted(corpus, coder, excerpt_words, kinds, "element")
    n_cases, elements = len(corpus.cases), corpus.elements
    cell = coded.case * len(elements) + _element_index(corpus)[coded.code]
    order = np.argsort(cell, kind="stable")  # cell by cell, document order within each
    citations = corpus.units["citation"].to_numpy(dtype=object)[coded.unit]
    entries = [f"{c}: {e}" for c, e in zip(citations[order], excerpts[order])]
    cells = np.full(n_cases * len(elements), "", dtype=object)
    sorted_cells = cell[order]
    for lo, hi in zip(*_runs(sorted_cells)):
        cells[sorted_cells[lo]] = "\n".join(entries[lo:hi])
    table = pd.DataFrame(
        cells.reshape(n_cases, len(elements)), index=pd.Index(corpus.case_ids), columns=pd.Index(elements)
    )
    table.index.name, table.columns.name = "case_id", "element"
    return table


def export_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a table to ``.csv`` or ``.xlsx`` (chosen by the suffix), atomically and reproducibly.

    The Excel file carries fixed document dates, so the same table gives the same bytes.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    if path.suffix == ".csv":
        table.to_csv(tmp, lineterminator="\n")
    elif path.suffix == ".xlsx":
        _write_xlsx(table, tmp)
    else:
        raise LspkitError([Problem(str(path), "", "unknown table format", "use a .csv or .xlsx file name")])
    os.replace(tmp, path)
    return path


def _write_xlsx(table: pd.DataFrame, path: Path) -> None:
    import datetime
    import zipfile

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "framework"
    header = [table.index.name or ""] + [str(c) for c in table.columns]
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for idx, row in table.iterrows():
        ws.append([idx] + [v.item() if hasattr(v, "item") else v for v in row.tolist()])
    for col in ws.iter_cols(min_row=2):
        for cell in col:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    fixed = datetime.datetime(*FIXED_DATE)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "lspkit"
    wb.save(path)
    # openpyxl stamps zip entries with the current time; rewrite them with a fixed one.
    with zipfile.ZipFile(path) as zin:
        entries = [(i.filename, zin.read(i.filename)) for i in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in entries:
            zout.writestr(zipfile.ZipInfo(name, date_time=FIXED_DATE), data, compress_type=zipfile.ZIP_DEFLATED)


# -- themes ------------------------------------------------------------------------------------


def practice_recurrence(
    corpus: Corpus, coder: str = "researcher", *, code_kind: Literal["element", "theme"] = "theme"
) -> pd.DataFrame:
    """Practices, not mentions: for every code and case, how many distinct practices the coder coded,
    and the strength of that evidence. One row per code and case (every pair listed).

    A practice is a paragraph with the learning points and quotations that restate it
    (:func:`lspkit.restates.practice_groups`), or a unit that restates nothing; it is coded to a
    code when any of its units is. ``practices`` counts those with a coding that is not only an aim
    (achieved, in progress or without a recorded status); ``achieved``, ``in_progress`` and ``aims``
    split the practices by their most advanced status (a practice coded only as an aim is an aim and
    is never counted in ``practices``); ``passages`` counts the distinct units behind them, aims
    included; ``words`` is the case's words of evidence (every evidence unit) and
    ``per_1000_words`` is ``practices`` per thousand of them, so cases of different length compare.

    >>> from lspkit import load_corpus
    >>> table = practice_recurrence(load_corpus(), "researcher")
    >>> table.columns.tolist()[3:]
    ['practices', 'achieved', 'in_progress', 'aims', 'passages', 'words', 'per_1000_words']
    """
    from .restates import practice_groups

    groups = practice_groups(corpus)
    coded = _coded(corpus, coder, code_kind, EVIDENCE_KINDS, practice_only=False)
    unit_ids = corpus.units["unit_id"].to_numpy(dtype=object)[coded.unit]
    frame = pd.DataFrame(
        {
            "code_id": corpus.codes["code_id"].to_numpy(dtype=object)[coded.code],
            "case_id": np.asarray(corpus.case_ids, dtype=object)[coded.case],
            "unit_id": unit_ids,
            "practice": groups["practice"].reindex(unit_ids).to_numpy(dtype=object),
            "status": corpus.codings["status"].fillna("").to_numpy(dtype=object)[coded.row],
        }
    )
    rank = frame["status"].map({"achieved": 3, "": 2, "in_progress": 1, "aim": 0}).fillna(2)
    best = frame.assign(rank=rank).groupby(["code_id", "case_id", "practice"], sort=False)["rank"].max().reset_index()
    flags = best.assign(
        practices=best["rank"] > 0, achieved=best["rank"] == 3, in_progress=best["rank"] == 1, aims=best["rank"] == 0
    )
    counts = flags.groupby(["code_id", "case_id"], sort=False)[["practices", "achieved", "in_progress", "aims"]].sum()
    passages = frame.groupby(["code_id", "case_id"], sort=False)["unit_id"].nunique().rename("passages")
    codes = corpus.codes.loc[corpus.codes["code_kind"] == code_kind, ["code_id", "label"]]
    full = pd.MultiIndex.from_product([codes["code_id"], corpus.case_ids], names=["code_id", "case_id"])
    out = pd.concat([counts, passages], axis=1).reindex(full, fill_value=0).astype(int).reset_index()
    out.insert(1, "label", out["code_id"].map(dict(zip(codes["code_id"], codes["label"]))))
    evidence_units = corpus.units[_unit_mask(corpus, EVIDENCE_KINDS)]
    words = evidence_units.groupby("case_id", observed=True)["words"].sum()
    out["words"] = out["case_id"].map(words).fillna(0).astype(int)
    out["per_1000_words"] = (1000 * out["practices"] / out["words"].where(out["words"] > 0)).round(2)
    out["code_id"] = pd.Categorical(out["code_id"], categories=codes["code_id"].tolist(), ordered=True)
    out["case_id"] = _case_categorical(corpus, out["case_id"])
    out.attrs["counts"] = (
        "Practices, not mentions: a paragraph and the learning points and quotations that restate it count "
        "once; practices coded only as an aim are left out of 'practices' and counted under 'aims'."
    )
    return out


def theme_presence(corpus: Corpus, coder: str = "researcher") -> pd.DataFrame:
    """Long table of themes × cases: ``code_id, label, case_id, units, practices, present``, every pair
    listed. ``units`` counts the evidence units coded to the theme as practice (aims left out),
    ``practices`` the distinct practices (see :func:`practice_recurrence`); ``present`` is
    ``practices > 0``."""
    m = case_code_matrix(corpus, coder, code_kind="theme")
    long = m.T.stack().rename("units").reset_index()
    rec = practice_recurrence(corpus, coder, code_kind="theme")
    practices = dict(zip(zip(rec["code_id"].astype(str), rec["case_id"].astype(str)), rec["practices"]))
    labels = corpus.codes.set_index("code_id")["label"]
    long.insert(1, "label", long["code_id"].map(labels))
    long["practices"] = [practices.get((str(c), str(k)), 0) for c, k in zip(long["code_id"], long["case_id"])]
    long["present"] = long["practices"] > 0
    long["code_id"] = pd.Categorical(long["code_id"], categories=corpus.themes, ordered=True)
    long["case_id"] = _case_categorical(corpus, long["case_id"])
    out = long[["code_id", "label", "case_id", "units", "practices", "present"]]
    out.attrs["counts"] = "units: evidence units coded to the theme as practice; practices: distinct practices"
    return out


def theme_meta_matrix(corpus: Corpus, coder: str = "researcher") -> pd.DataFrame:
    """Cross-case theme meta-matrix: one row per theme, one column per case holding the number of
    distinct practices coded to it (a paragraph and its restatements count once; aims left out),
    then ``n_cases`` (cases with at least one such practice), ``practices`` (in all), ``passages``
    (the units behind them, aims included), ``aims`` (practices that are only aims) and ``pattern``:
    'all cases', 'only <case>', 'some cases' or 'none'.

    Sorted by number of cases, then practices, then codebook order: the most shared themes first.
    """
    rec = practice_recurrence(corpus, coder, code_kind="theme")
    wide = rec.pivot(index="code_id", columns="case_id", values="practices")
    wide.columns = [str(c) for c in wide.columns]
    wide.columns.name = None
    sums = rec.groupby("code_id", observed=False)[["practices", "passages", "aims"]].sum()
    n_cases = (wide > 0).sum(axis=1)
    out = wide.copy()
    out.insert(0, "label", corpus.codes.set_index("code_id")["label"].reindex(wide.index.astype(str)).to_numpy())
    out["n_cases"] = n_cases.astype(int)
    for col in ("practices", "passages", "aims"):
        out[col] = sums[col].reindex(wide.index).astype(int)
    k = len(corpus.case_ids)
    only = (wide > 0).idxmax(axis=1)
    out["pattern"] = np.select(
        [n_cases == k, n_cases == 1, n_cases == 0], ["all cases", "only " + only.astype(str), "none"], "some cases"
    )
    out["_o"] = range(len(out))
    out = out.sort_values(["n_cases", "practices", "_o"], ascending=[False, False, True]).drop(columns="_o")
    out.index = out.index.astype(str)
    out.index.name = "code_id"
    out.attrs["counts"] = (
        "Each case's cell counts the distinct practices coded to the theme in that case: a paragraph and the "
        "learning points and quotations that restate it count once, and aims are left out (see 'aims')."
    )
    return out


# -- co-occurrence and interdependence ---------------------------------------------------------


def cooccurrence(
    corpus: Corpus,
    coder: str = "researcher",
    *,
    code_kind: Literal["element", "theme", "all"] = "element",
    kinds: Sequence[str] = EVIDENCE_KINDS,
) -> pd.DataFrame:
    """Pairs of codes given to the same unit, with how many units share them.

    One row per unordered pair that co-occurs at least once (``code_a`` before ``code_b`` in
    codebook order): ``code_a, code_b, units, dimension_a, dimension_b, link``. ``link`` names a
    pair of elements across the two dimensions 'transformational-transactional', otherwise
    'within transformational', 'within transactional', 'with super-ordinate' or 'theme'.
    """
    coded = _coded(corpus, coder, None if code_kind == "all" else code_kind, kinds)
    n_codes = len(corpus.codes)
    rows = pd.DataFrame({"u": coded.unit, "c": coded.code})
    pairs = rows.merge(rows, on="u", suffixes=("_a", "_b"))
    a, b = pairs["c_a"].to_numpy(), pairs["c_b"].to_numpy()
    keep = a < b  # each unordered pair once, in codebook order; a unit has each code once
    counts = np.bincount(a[keep] * n_codes + b[keep], minlength=n_codes * n_codes)
    present = np.flatnonzero(counts)
    a, b = present // n_codes, present % n_codes
    codes = corpus.codes
    out = pd.DataFrame(
        {
            "code_a": _take(codes["code_id"], a),
            "code_b": _take(codes["code_id"], b),
            "units": counts[present].astype(int),
            "dimension_a": codes["dimension"].iloc[a].reset_index(drop=True),
            "dimension_b": codes["dimension"].iloc[b].reset_index(drop=True),
        }
    )
    kind_of = codes["code_kind"].to_numpy(dtype=object)
    both_elements = (kind_of[a] == "element") & (kind_of[b] == "element")
    da, db = out["dimension_a"].astype(str), out["dimension_b"].astype(str)
    out["link"] = np.select(
        [
            both_elements & (da != db) & da.isin([TF, TC]) & db.isin([TF, TC]),
            both_elements & (da == db) & (da == TF),
            both_elements & (da == db) & (da == TC),
            both_elements,
        ],
        ["transformational-transactional", "within transformational", "within transactional", "with super-ordinate"],
        "theme",
    )
    return out[["code_a", "code_b", "units", "dimension_a", "dimension_b", "link"]]


def interdependence(
    corpus: Corpus, coder: str = "researcher", *, kinds: Sequence[str] = EVIDENCE_KINDS
) -> pd.DataFrame:
    """The units that link the two dimensions: coded to at least one transformational and one
    transactional element. One row per unit: ``case_id, unit_id, citation, transformational,
    transactional, text`` (the elements joined by '+'), in document order.
    """
    coded = _coded(corpus, coder, "element", kinds)
    dim = _code_dimensions(corpus)[coded.code]
    tf_mask, tc_mask = _element_bits(corpus, coded, dim == TF), _element_bits(corpus, coded, dim == TC)
    linking = np.flatnonzero((tf_mask > 0) & (tc_mask > 0))  # unit rows: document order
    label = _mask_labels(corpus.elements, "+")
    units = corpus.units
    return pd.DataFrame(
        {
            "case_id": _take(units["case_id"], linking),
            "unit_id": _take(units["unit_id"], linking),
            "citation": _take(units["citation"], linking),
            "transformational": pd.Series([label(int(m)) for m in tf_mask[linking]], dtype=str),
            "transactional": pd.Series([label(int(m)) for m in tc_mask[linking]], dtype=str),
            "text": _take(units["text"], linking),
        }
    )


def interdependence_summary(
    corpus: Corpus, coder: str = "researcher", *, kinds: Sequence[str] = EVIDENCE_KINDS
) -> pd.DataFrame:
    """Per case: evidence units coded to any element, how many link the two dimensions, and the share."""
    coded = _coded(corpus, coder, "element", kinds)
    n_cases = len(corpus.cases)
    n = np.bincount(coded.case[_first_of_unit(coded.unit)], minlength=n_cases)
    linking = interdependence(corpus, coder, kinds=kinds)
    case_row = pd.Index(corpus.case_ids, dtype=object).get_indexer(linking["case_id"].to_numpy(dtype=object))
    links = np.bincount(case_row[case_row >= 0], minlength=n_cases)
    out = pd.DataFrame({"case_id": corpus.case_ids, "coded_units": n.astype(int), "linking_units": links.astype(int)})
    out["linking_share"] = (out["linking_units"] / out["coded_units"].where(out["coded_units"] > 0)).astype(float)
    return out


# -- retrieval ---------------------------------------------------------------------------------


def code_family(corpus: Corpus, code: str) -> set[str]:
    """A code and the codes nested under it of the same kind (a theme's sub-themes, at any depth;
    never an element's themes): what :func:`retrieve` gathers for ``code``.

    >>> from lspkit import load_corpus
    >>> code_family(load_corpus(), "standards")
    {'standards'}
    """
    wanted = {code}
    kind_of = corpus.codes.set_index("code_id")["code_kind"]
    same_kind = corpus.codes[corpus.codes["code_kind"] == kind_of[code]]
    parents = same_kind.set_index("code_id")["parent"].dropna()
    grew = True
    while grew:
        more = set(parents[parents.isin(wanted)].index) - wanted
        wanted |= more
        grew = bool(more)
    return wanted


def retrieve(
    corpus: Corpus,
    *,
    code: str | None = None,
    case_id: str | None = None,
    coder: str | None = None,
    include_subthemes: bool = True,
    kinds: Iterable[str] | None = EVIDENCE_KINDS,
) -> pd.DataFrame:
    """The coded units for any code, case and coder, with citations, in document order.

    ``code`` may be an element or a theme; with ``include_subthemes`` a theme's nested themes are
    retrieved too (an element's rows are its own codings only, so, leaving out the rows whose
    ``status`` is ``aim``, they match the element's count in :func:`case_code_matrix`). Like every
    analysis it retrieves evidence units by default (paragraphs, quotations, learning points);
    ``kinds=None`` adds the closing questions. Aims are listed, with their status, so a reader sees
    what the counts leave out. Columns: ``citation, case_id, unit_id, kind, code_id, coder, status,
    memo, text``.

    >>> from lspkit import load_corpus
    >>> retrieve(load_corpus(), code="standards", case_id="bolton", coder="structure")["citation"].tolist()
    ['Bolton ¶22', 'Bolton ¶23', 'Bolton ¶24', 'Bolton ¶25']
    """
    pos = _positions(corpus)
    if case_id is not None:
        corpus.check_case(case_id)
    if coder is not None:
        corpus.check_coder(coder)
    rows, unit, code_row = pos.known(coder)
    units = corpus.units
    keep = ~units["boilerplate"].to_numpy(dtype=bool)[unit]
    if case_id is not None:
        keep &= pos.unit_case[unit] == corpus.case_ids.index(case_id)
    if kinds is not None:
        keep &= units["kind"].isin(list(kinds)).to_numpy(dtype=bool)[unit]
    if code is not None:
        if code not in set(corpus.codes["code_id"]):
            raise LspkitError(
                [
                    Problem(
                        "parameter code",
                        "",
                        f"unknown code {code!r}",
                        "valid codes: " + ", ".join(corpus.codes["code_id"]),
                    )
                ]
            )
        wanted = code_family(corpus, code) if include_subthemes else {code}
        keep &= corpus.codes["code_id"].isin(wanted).to_numpy(dtype=bool)[code_row]
    rows, unit, code_row = rows[keep], unit[keep], code_row[keep]
    coder_rank = pd.factorize(pos.coding_coder[rows], sort=True)[0]
    order = np.lexsort((coder_rank, code_row, unit))  # document order, then codebook order, then coder
    rows, unit = rows[order], unit[order]
    out = units[["citation", "case_id", "unit_id", "kind"]].iloc[unit].reset_index(drop=True)
    for col in ("code_id", "coder", "status", "memo"):
        out[col] = _take(corpus.codings[col], rows)
    out["text"] = _take(units["text"], unit)
    return out


def departures(corpus: Corpus, coder: str = "researcher") -> pd.DataFrame:
    """Where a coder's reading departs from the document's headings.

    For paragraphs and quotations: units whose elements do not include the heading's element.
    For learning points: units given an element of the other dimension than the document's.
    Columns: ``citation, unit_id, case_id, filed_under, coded_as, memo, text``.
    """
    coded = _coded(corpus, coder, "element", EVIDENCE_KINDS)
    units = corpus.units
    elements = corpus.elements
    got = _element_bits(corpus, coded)
    dims = corpus.codes.set_index("code_id")["dimension"].astype(str)
    element_dims = np.array([dims[e] for e in elements], dtype=object)
    allowed = {}  # document dimension -> elements a learning point under it may take
    for filed in set(units["dimension"].astype(str)):
        allowed[filed] = sum(1 << i for i, d in enumerate(element_dims) if d in (filed, "super-ordinate"))
    unit_dims = units["dimension"].astype(str).to_numpy(dtype=object)
    lp = (units["kind"] == "learning_point").to_numpy(dtype=bool)
    heading = pd.Index(elements, dtype=object).get_indexer(units["heading_element"].astype(object).to_numpy())
    heading_bit = np.where(heading >= 0, np.left_shift(1, np.maximum(heading, 0)), 0).astype(np.int64)
    lp_ok = np.array([allowed[d] for d in unit_dims], dtype=np.int64)
    departs = np.where(lp, (got & ~lp_ok) != 0, (got & heading_bit) == 0) & (got != 0)
    rows = np.flatnonzero(departs)
    memo: dict[int, str] = {}  # per departing unit: its element codings' memos, in codebook order
    if len(rows):
        memos = corpus.codings["memo"].to_numpy(dtype=object)[coded.row]
        pick = departs[coded.unit] & (memos != "") & pd.notna(memos)
        for u, m in zip(coded.unit[pick], memos[pick]):
            memo[u] = f"{memo[u]} {m}" if u in memo else m
    label = _mask_labels(elements, ", ")
    filed_under = np.where(lp[rows], unit_dims[rows], units["heading_element"].astype(str).to_numpy(dtype=object)[rows])
    out = pd.DataFrame(
        {
            "citation": _take(units["citation"], rows),
            "unit_id": _take(units["unit_id"], rows),
            "case_id": _take(units["case_id"], rows),
            "filed_under": pd.Series(filed_under, dtype=str),
            "coded_as": pd.Series([label(int(m)) for m in got[rows]], dtype=str),
            "memo": pd.Series([memo.get(int(u), "") for u in rows], dtype=str),
            "text": _take(units["text"], rows),
        },
        columns=["citation", "unit_id", "case_id", "filed_under", "coded_as", "memo", "text"],
    )
    out.attrs["empty"] = (
        f"No departures: coder {coder!r} gives every paragraph and quotation the element of its "
        "heading, and every learning point only elements of its own dimension."
    )
    return out


# -- descriptive tables for the notebooks ------------------------------------------------------


def unit_counts(corpus: Corpus) -> pd.DataFrame:
    """Units per case by kind (boilerplate counted apart), one row per case.

    >>> from lspkit import load_corpus
    >>> unit_counts(load_corpus()).loc["bolton"].tolist()
    [24, 0, 6, 3, 3, 36]
    """
    units = corpus.units
    counts = (
        units[~units["boilerplate"]]
        .groupby(["case_id", "kind"], observed=False)
        .size()
        .unstack("kind", fill_value=0)
        .reindex(index=corpus.case_ids, fill_value=0)
    )
    counts = counts.reindex(columns=list(units["kind"].cat.categories), fill_value=0)
    counts["boilerplate"] = units[units["boilerplate"]].groupby("case_id").size().reindex(corpus.case_ids).fillna(0)
    counts["total"] = units.groupby("case_id").size().reindex(corpus.case_ids).fillna(0)
    counts.columns.name = None
    counts.index.name = "case_id"
    return counts.astype(int)


def section_units(corpus: Corpus, section: str | None = None, *, kind: str | None = None) -> pd.DataFrame:
    """The document's own units of one section or kind, with citations: ``citation, heading, text``.

    >>> from lspkit import load_corpus
    >>> section_units(load_corpus().case("bolton"), kind="question")["citation"].tolist()
    ['Bolton, question 1', 'Bolton, question 2', 'Bolton, question 3']
    """
    units = corpus.units
    keep = ~units["boilerplate"].to_numpy(dtype=bool)
    if section is not None:
        keep &= (units["section"] == section).to_numpy(dtype=bool)
    if kind is not None:
        keep &= (units["kind"] == kind).to_numpy(dtype=bool)
    rows = np.flatnonzero(keep)  # select the rows first, then copy only their five columns
    return pd.DataFrame({col: _take(units[col], rows) for col in ("citation", "case_id", "unit_id", "heading", "text")})


def learning_points(corpus: Corpus, wide: bool = False) -> pd.DataFrame:
    """The documents' learning points with the dimension the document files them under.

    Long: ``case_id, dimension, citation, text``. With ``wide=True``: one row per case and position,
    the two dimensions side by side (``transformational``, ``transactional``), empty where one
    dimension has fewer points.
    """
    lp = corpus.units[corpus.units["kind"] == "learning_point"]
    long = lp[["case_id", "dimension", "citation", "text"]].reset_index(drop=True)
    if not wide:
        return long
    long = long.assign(entry=long["text"] + " (" + long["citation"] + ")", dim=long["dimension"].astype(str))
    long["position"] = long.groupby(["case_id", "dim"]).cumcount() + 1
    table = long.pivot(index=["case_id", "position"], columns="dim", values="entry")
    table = table.reindex(columns=[TF, TC]).astype(object)
    table = table.where(table.notna(), "")
    table.columns.name = None
    return table


def code_summary(
    corpus: Corpus,
    coder: str = "researcher",
    *,
    code_kind: Literal["element", "theme"] = "theme",
    kinds: Sequence[str] = EVIDENCE_KINDS,
) -> pd.DataFrame:
    """Per case, the codes present with their unit count and citations, in codebook order.

    Columns: ``case_id, code_id, label, units, citations`` (citations joined by '; ').
    """
    coded = _coded(corpus, coder, code_kind, kinds)
    n_codes = len(corpus.codes)
    cell = coded.case * n_codes + coded.code
    order = np.argsort(cell, kind="stable")  # case order, codebook order, then document order
    cell = cell[order]
    citations = corpus.units["citation"].to_numpy(dtype=object)[coded.unit[order]]
    starts, ends = _runs(cell)
    lo, hi = np.asarray(starts, dtype=int), np.asarray(ends, dtype=int)
    cells = cell[lo]
    codes = corpus.codes
    return pd.DataFrame(
        {
            "case_id": _take(corpus.cases["case_id"], cells // n_codes),
            "code_id": _take(codes["code_id"], cells % n_codes),
            "label": _take(codes["label"], cells % n_codes),
            "units": (hi - lo).astype(int),
            "citations": pd.Series(["; ".join(citations[a:b]) for a, b in zip(lo, hi)], dtype=str),
        }
    )


def coverage(corpus: Corpus, coder: str = "researcher") -> pd.DataFrame:
    """How much of each case a coder has coded, by unit kind (boilerplate excluded).

    Columns: ``case_id, kind, units, with_element, with_theme, uncoded, element_coverage``.
    """
    coded = _coded(corpus, coder, None, None)
    pos = corpus.positions
    units = corpus.units
    kind_of = corpus.codes["code_kind"].to_numpy(dtype=object)[coded.code]
    with_element = _per_unit(corpus, coded.unit, kind_of == "element")
    with_theme = _per_unit(corpus, coded.unit, kind_of == "theme")
    any_code = _per_unit(corpus, coded.unit)
    counted = ~units["boilerplate"].to_numpy(dtype=bool) & (pos.unit_case >= 0)
    kinds = units["kind"].cat.categories
    n_kinds = len(kinds)
    cell = pos.unit_case[counted] * n_kinds + units["kind"].cat.codes.to_numpy()[counted]
    size = len(corpus.cases) * n_kinds

    def count(flags: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(cell if flags is None else cell[flags[counted]], minlength=size)

    n = count()
    present = np.flatnonzero(n)
    out = pd.DataFrame(
        {
            "case_id": pd.Categorical(
                np.asarray(corpus.case_ids, dtype=object)[present // n_kinds], categories=corpus.case_ids, ordered=True
            ),
            "kind": pd.Categorical.from_codes(present % n_kinds, dtype=units["kind"].dtype),
            "units": n[present].astype(int),
            "with_element": count(with_element)[present].astype(int),
            "with_theme": count(with_theme)[present].astype(int),
            "uncoded": count(~any_code)[present].astype(int),
        }
    )
    out["element_coverage"] = out["with_element"] / out["units"]
    return out


def codebook_usage(corpus: Corpus, kinds: Sequence[str] = EVIDENCE_KINDS + ("question",)) -> pd.DataFrame:
    """The codebook with, for every coder, how many units carry each code.

    Columns: ``code_id, label, code_kind, parent, dimension, definition`` and one count column per coder.
    """
    pos = _positions(corpus)
    rows, unit, code = pos.known()
    coder = pd.Index(corpus.coder_ids, dtype=object).get_indexer(pos.coding_coder[rows])
    ok = _unit_mask(corpus, kinds)[unit] & (coder >= 0)
    n_coders = len(corpus.coder_ids)
    counts = np.bincount(code[ok] * n_coders + coder[ok], minlength=len(corpus.codes) * n_coders)
    out = corpus.codes[["code_id", "label", "code_kind", "parent", "dimension", "definition"]].reset_index(drop=True)
    table = counts.reshape(len(corpus.codes), n_coders).astype(int)
    for i, name in enumerate(corpus.coder_ids):
        out[name] = table[:, i]
    out["parent"] = out["parent"].fillna("")
    return out


def model_definitions(corpus: Corpus) -> pd.DataFrame:
    """Each element's definition as the codebook quotes it from ¶2–3, whether those words stand in
    ¶2–3 of every case study, and the project's interpretation beyond them.

    Columns: ``code_id, label, dimension, definition, quoted_in, interpretation``; ``quoted_in`` says
    in how many of the cases' ¶2–3 the definition stands word for word (white space aside).

    >>> from lspkit import load_corpus
    >>> model_definitions(load_corpus()).set_index("code_id").loc["style", "quoted_in"]
    '¶2–3 of all 3 case studies'
    """
    units = corpus.units[(corpus.units["kind"] == "paragraph") & corpus.units["para"].isin([2, 3])]
    model_text = units.groupby("case_id", observed=True)["text"].agg(lambda t: " ".join(" ".join(t).split()))
    elements = corpus.codes[corpus.codes["code_kind"] == "element"]
    out = elements[["code_id", "label", "dimension", "definition", "interpretation"]].reset_index(drop=True)
    k = len(model_text)

    def where(definition: str) -> str:
        found = [c for c, text in model_text.items() if definition and " ".join(definition.split()) in text]
        if k and len(found) == k:
            return f"¶2–3 of all {k} case studies" if k > 1 else "¶2–3 of the case study"
        return f"¶2–3 of {len(found)} of {k} case studies" if found else "not in ¶2–3: the project's wording"

    out.insert(4, "quoted_in", [where(d) for d in out["definition"]])
    return out


def code_criteria(corpus: Corpus) -> pd.DataFrame:
    """Every code's inclusion and exclusion criteria and its cited examples, as the codebook gives them.

    Columns: ``code_id, label, include, exclude, typical, borderline``; an example is its citation and
    note, one per line, marked "(not in this corpus)" where the citation names no unit loaded here.

    >>> from lspkit import load_corpus
    >>> code_criteria(load_corpus()).columns.tolist()
    ['code_id', 'label', 'include', 'exclude', 'typical', 'borderline']
    """
    cited = set(corpus.units["citation"])
    examples = corpus.codebook.examples

    def listed(code_id: str, kind: str) -> str:
        rows = examples[(examples["code_id"] == code_id) & (examples["type"] == kind)]
        return "\n".join(
            f"{r.cite}" + ("" if r.cite in cited else " (not in this corpus)") + (f": {r.note}" if r.note else "")
            for r in rows.itertuples(index=False)
        )

    out = corpus.codes[["code_id", "label", "include", "exclude"]].reset_index(drop=True)
    out["typical"] = [listed(c, "typical") for c in out["code_id"]]
    out["borderline"] = [listed(c, "borderline") for c in out["code_id"]]
    return out


def synthesis(corpus: Corpus, coder: str = "researcher") -> pd.DataFrame:
    """Findings stated from the results, so the prose can never drift from the numbers.

    One row per finding: ``finding`` (a sentence) and ``basis`` (the table it comes from). The
    sentences are those of :mod:`lspkit.findings`, worded once there: what recurs in every case and
    what only one case shows (:func:`~lspkit.findings.theme_findings`), how the balance runs across
    the cases, or, for one case, which way it leans (:func:`~lspkit.findings.balance_findings`), then
    the co-coding of the two dimensions per case.
    """
    from . import findings

    names = dict(zip(corpus.cases["case_id"], corpus.cases["short_name"]))
    k = len(corpus.case_ids)
    parts = []
    if k > 1:
        themes = findings.theme_findings(theme_meta_matrix(corpus, coder), names)
        parts.append(themes[(themes["basis"] == "theme meta-matrix")])
    bal = findings.balance_findings(balance(corpus, coder), names)
    extremes = bal["finding"].str.startswith("In the ")  # the range across the cases, not one case's lean
    parts.append(bal[extremes] if k > 1 else bal)
    links = interdependence_summary(corpus, coder)
    parts.append(
        pd.DataFrame(
            [
                (
                    f"{names[row.case_id]}: {row.linking_units} of {row.coded_units} coded units carry both a "
                    f"transformational and a transactional element (co-coding, a proxy for links).",
                    "co-coding",
                )
                for row in links.itertuples(index=False)
            ],
            columns=["finding", "basis"],
        )
    )
    return pd.concat(parts, ignore_index=True)
