"""Coding reliability: how far coders agree, per code and overall, at the unit level.

This module owns the agreement coefficients (percent agreement, Cohen's kappa, Krippendorff's alpha),
the definition of which units two or more coders are compared on, the interpretation bands the
notebooks print next to the coefficients, the sentences stating a table's results, and the list of
disagreements coders reconcile. ``notebooks/reliability.ipynb`` presents them.

**The unit of analysis** is the unit (a paragraph, a quotation or a learning point, never a
boilerplate paragraph; the closing questions are generic prompts to every LSP and are left out
unless ``kinds`` asks for them). For each code, each coder makes one yes/no decision per unit: did
it give the unit that code? Elements and themes are compared separately; a theme does not imply its
parent element (the codebook codes them independently).

**Which units each coder covers** (its decisions count only there; elsewhere they are missing):

* a coder is taken to have read in full every case in which it coded at least one unit, so a unit
  it left uncoded in such a case is a "no" for every code, not a missing value;
* the derived ``structure`` coder covers only paragraphs and quotations, the units its rule can
  code: the documents give learning points a dimension but no element, so learning points are
  outside any comparison that includes it; it gives no themes, so themes cannot be compared with it.

Cohen's kappa and percent agreement use the units both coders cover. Krippendorff's alpha (nominal)
uses every unit that at least two of the coders cover, so it accepts any number of coders and
missing decisions. ``n_units`` is the number of units a figure rests on. The overall row
(``all elements`` or ``all themes``) pools every unit-code decision, each counted as one item.

**Decisions as a tidy frame.** :func:`decisions` lays the decisions out long, one row per unit,
code and coder (``unit_id, code_id, coder, value``), and the coefficients take such a frame in
the manner of pingouin: :func:`krippendorff_alpha_long`, :func:`percent_agreement_long` and
:func:`cohen_kappa_long` pivot it to a coders × units matrix for :func:`krippendorff_alpha`,
:func:`percent_agreement` and :func:`cohen_kappa`, which check their input. :func:`reliability`
gives the same figures from the same decisions and coefficients.

Example:
    >>> from lspkit import load_corpus
    >>> table = reliability(load_corpus(), ["structure", "auto"])
    >>> table.columns.tolist()[:5]
    ['code_id', 'label', 'code_kind', 'coders', 'n_units']
    >>> table["code_id"].iloc[-1]
    'all elements'
"""

from __future__ import annotations

import math
import numbers
from typing import Literal, NamedTuple, Sequence

import numpy as np
import pandas as pd

from .corpus import Corpus
from .errors import LspkitError, ParameterError, Problem
from .vocabulary import DERIVED_CODER, EVIDENCE_KINDS, NARRATIVE_KINDS, UNIT_KINDS

CodeKind = Literal["element", "theme"]

#: Landis and Koch (1977, Biometrics 33:159-174), "The measurement of observer agreement for
#: categorical data": upper bounds of the bands for kappa.
LANDIS_KOCH = [
    (0.0, "poor"),
    (0.20, "slight"),
    (0.40, "fair"),
    (0.60, "moderate"),
    (0.80, "substantial"),
    (1.0, "almost perfect"),
]
#: Krippendorff (2004, Content Analysis, 2nd ed., p. 241): rely on variables with alpha >= .800;
#: draw only tentative conclusions from .667 <= alpha < .800; discard below .667.
ALPHA_ACCEPT, ALPHA_TENTATIVE = 0.800, 0.667

RELIABILITY_COLUMNS = [
    "code_id",
    "label",
    "code_kind",
    "coders",
    "n_units",
    "decisions",
    "both",
    "only_a",
    "only_b",
    "neither",
    "percent_agreement",
    "kappa",
    "kappa_band",
    "alpha",
    "alpha_band",
]
DISAGREEMENT_COLUMNS = [
    "case_id",
    "unit_id",
    "citation",
    "code_id",
    "label",
    "applied_by",
    "not_applied_by",
    "memo",
    "text",
]


# -- checking the arguments of the coefficients ----------------------------------------------------


class ReliabilityInputError(ParameterError):
    """An argument a coefficient cannot use: it names the argument, what is wrong and what to pass.

    It is a :class:`ValueError`, as NumPy and SciPy raise for bad values, and an
    :class:`~lspkit.errors.LspkitError`, so the command line and the notebooks report it like any
    other problem.

    >>> print(ReliabilityInputError("b", "has 3 ratings, a has 2", "rate the same items"))
    argument b: has 3 ratings, a has 2 (rate the same items)
    """

    def __init__(self, argument: str, message: str, hint: str = ""):
        super().__init__([Problem(f"argument {argument}", "", message, hint)])
        self.argument, self.message, self.hint = argument, message, hint

    def __reduce__(self):
        return type(self), (self.argument, self.message, self.hint)


BINARY_HINT = "code each rating as 1 or True (the code applies) and 0 or False (it does not)"
MATRIX_HINT = "pass one row per coder and one column per unit; a missing rating is None or NaN"
LEVELS = ("nominal", "ordinal", "interval", "ratio")


def _binary(values: object, name: str) -> np.ndarray:
    """``values`` as a one-dimensional boolean array; anything other than 0/1 or True/False raises."""
    array = _array(values, name)
    if array.ndim != 1:
        raise ReliabilityInputError(
            name, f"must be a flat sequence of ratings, not an array of shape {array.shape}", BINARY_HINT
        )
    if array.dtype == bool:
        return array
    if array.dtype.kind in "iuf":
        ok = (array == 0) | (array == 1)
    elif array.dtype.kind == "O":
        ok = np.array([_is_number(v) and v in (0, 1) for v in array], dtype=bool)
    else:
        ok = np.zeros(array.shape, dtype=bool)
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        value = array[i].item() if isinstance(array[i], np.generic) else array[i]
        raise ReliabilityInputError(
            name, f"must hold only 0/1 or True/False ratings; item {i} is {value!r}", BINARY_HINT
        )
    return array.astype(bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (numbers.Real, np.bool_))


def _array(values: object, name: str, hint: str = BINARY_HINT) -> np.ndarray:
    if isinstance(values, (str, bytes)) or values is None:
        raise ReliabilityInputError(name, f"must be a sequence of ratings, not {values!r}", hint)
    try:
        return np.asarray(values)
    except (ValueError, TypeError):  # rows of different lengths, among others
        raise ReliabilityInputError(
            name, "cannot be read as an array: its rows differ in length or type", hint
        ) from None


def _same_length(a: np.ndarray, b: np.ndarray) -> None:
    if len(a) != len(b):
        raise ReliabilityInputError(
            "b",
            f"has {len(b)} ratings but a has {len(a)}",
            "the two coders must rate the same items, in the same order",
        )


def _matrix(data: object, name: str = "data") -> np.ndarray:
    """A coders × units matrix of floats (missing ratings NaN), checked: two or more coders, rows of
    one length, every rating a number, None or NaN."""
    rows: np.ndarray | list[list[object]]
    if isinstance(data, np.ndarray) and data.ndim == 2 and data.dtype.kind in "biuf":
        rows = data  # already a numeric matrix: only its shape and values are left to check
    elif isinstance(data, (str, bytes)) or data is None:
        raise ReliabilityInputError(name, f"must be a matrix of ratings, not {data!r}", MATRIX_HINT)
    else:
        rows = _rows(data, name)
    if len(rows) < 2:
        raise ReliabilityInputError(name, f"needs at least two coders (rows), got {len(rows)}", MATRIX_HINT)
    if isinstance(rows, np.ndarray):
        matrix = rows.astype(float)
    else:
        lengths = sorted({len(row) for row in rows})
        if len(lengths) > 1:
            raise ReliabilityInputError(
                name,
                f"rows must have one length, one rating per unit; they have {', '.join(map(str, lengths))}",
                MATRIX_HINT,
            )
        matrix = np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)
    if np.isinf(matrix).any():
        raise ReliabilityInputError(name, "holds an infinite rating", MATRIX_HINT)
    return matrix


def _rows(data: object, name: str) -> list[list[object]]:
    """The rows of a matrix given as nested sequences, every value a number or None."""
    try:
        rows = [list(row) for row in data]  # type: ignore[attr-defined]
    except TypeError:
        raise ReliabilityInputError(name, "must be a matrix: a sequence of rows, one per coder", MATRIX_HINT) from None
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if not (value is None or _is_number(value)):
                raise ReliabilityInputError(
                    name,
                    f"must hold numbers (None or NaN where a rating is missing); row {i}, item {j} is {value!r}",
                    MATRIX_HINT,
                )
    return rows


# -- coefficients on plain arrays ----------------------------------------------------------------


def cohen_kappa(a: Sequence[bool], b: Sequence[bool]) -> float:
    """Cohen's kappa for two binary ratings of the same items; NaN when chance agreement is 1.

    kappa = (p_o - p_e) / (1 - p_e), with p_e from each rater's marginal proportions
    (Cohen 1960). Hand-written because it is five lines; scikit-learn would be a heavy dependency
    for it. Validated against published examples in ``tests/test_reliability.py``. For counts
    already cross-tabulated, use :func:`cohen_kappa_from_table`.

    ``a`` and ``b`` hold 0/1 or True/False, one rating per item, in the same order; anything else
    raises :class:`ReliabilityInputError` (a ``ValueError``) naming the argument.

    >>> round(cohen_kappa([1, 1, 0, 0], [1, 0, 0, 0]), 3)
    0.5
    >>> cohen_kappa(["yes", "no"], ["no", "no"])
    Traceback (most recent call last):
    ...
    lspkit.reliability.ReliabilityInputError: argument a: must hold only 0/1 or True/False ratings; item 0 is 'yes' \
(code each rating as 1 or True (the code applies) and 0 or False (it does not))
    """
    x = _binary(a, "a")
    y = _binary(b, "b")
    _same_length(x, y)
    if x.size == 0:
        return float("nan")
    po = float(np.mean(x == y))
    pa, pb = x.mean(), y.mean()
    pe = float(pa * pb + (1 - pa) * (1 - pb))
    return float("nan") if pe == 1.0 else (po - pe) / (1 - pe)


def cohen_kappa_from_table(table: Sequence[Sequence[float]] | np.ndarray) -> float:
    """Cohen's kappa from a 2 × 2 contingency table; NaN when the table is empty or chance agreement is 1.

    ``table[0]`` holds the items coder a rated yes: ``[both yes, a only]``; ``table[1]`` those a
    rated no: ``[b only, both no]`` (the ``both, only_a, only_b, neither`` of :func:`reliability`).
    Counts or proportions; they must be finite and not negative. The same ratings give the same
    kappa as :func:`cohen_kappa`.

    >>> round(cohen_kappa_from_table([[20, 5], [10, 15]]), 3)  # 50 grant proposals (Wikipedia, "Cohen's kappa")
    0.4
    >>> cohen_kappa_from_table([[20, 5, 1], [10, 15, 2]])
    Traceback (most recent call last):
    ...
    lspkit.reliability.ReliabilityInputError: argument table: must be 2 x 2, not 2 x 3 \
([[both yes, a only], [b only, both no]])
    """
    counts = _table(table)
    n = counts.sum()
    if n == 0:
        return float("nan")
    po = float((counts[0, 0] + counts[1, 1]) / n)
    pa, pb = counts[0].sum() / n, counts[:, 0].sum() / n
    pe = float(pa * pb + (1 - pa) * (1 - pb))
    return float("nan") if pe == 1.0 else (po - pe) / (1 - pe)


def _table(table: object) -> np.ndarray:
    """A 2 × 2 table of finite, non-negative numbers, as floats."""
    shape_hint = "[[both yes, a only], [b only, both no]]"
    if isinstance(table, (str, bytes)) or table is None:
        raise ReliabilityInputError("table", f"must be a 2 x 2 table of counts, not {table!r}", shape_hint)
    array = _array(table, "table", shape_hint)
    if array.shape != (2, 2):
        shape = " x ".join(map(str, array.shape)) or "a single value"
        raise ReliabilityInputError("table", f"must be 2 x 2, not {shape}", shape_hint)
    if array.dtype.kind not in "biuf" and not all(_is_number(v) for v in array.ravel()):
        raise ReliabilityInputError("table", f"must hold counts (numbers), not {array.ravel().tolist()!r}", shape_hint)
    counts = array.astype(float)
    if not np.isfinite(counts).all() or (counts < 0).any():
        raise ReliabilityInputError(
            "table", f"counts must be finite and not negative, got {counts.tolist()}", shape_hint
        )
    return counts


def krippendorff_alpha(
    data: Sequence[Sequence[float]] | np.ndarray, level: Literal["nominal", "ordinal", "interval", "ratio"] = "nominal"
) -> float:
    """Krippendorff's alpha for a coders × units matrix, missing values as NaN (or None).

    Computed by the ``krippendorff`` package; this wrapper returns NaN, rather than raising, where
    alpha is undefined: no unit has two values, or all values are the same (no variation to agree on).
    A matrix with fewer than two coders (rows), rows of different lengths, a value that is not a
    number, or an unknown ``level`` raises :class:`ReliabilityInputError` (a ``ValueError``).

    >>> round(krippendorff_alpha([[1, 1, 0, None], [1, 0, 0, 1]]), 3)
    0.444
    >>> krippendorff_alpha([[1, 0, 1]])
    Traceback (most recent call last):
    ...
    lspkit.reliability.ReliabilityInputError: argument data: needs at least two coders (rows), got 1 \
(pass one row per coder and one column per unit; a missing rating is None or NaN)
    """
    import krippendorff

    if level not in LEVELS:
        raise ReliabilityInputError(
            "level", f"unknown level of measurement {level!r}", "use one of " + ", ".join(LEVELS)
        )
    matrix = _matrix(data)
    if matrix.size == 0:
        return float("nan")
    pairable = (~np.isnan(matrix)).sum(axis=0) >= 2
    values = matrix[:, pairable]
    values = values[~np.isnan(values)]
    domain = np.unique(values)
    if values.size == 0 or domain.size < 2:
        return float("nan")
    if domain.size == 2:  # yes/no decisions: count each pairable unit's values here, at numpy speed
        counts = np.stack([(matrix[:, pairable] == v).sum(axis=0) for v in domain], axis=1)
        return float(krippendorff.alpha(value_counts=counts, value_domain=domain, level_of_measurement=level))
    return float(krippendorff.alpha(reliability_data=matrix, level_of_measurement=level))


def percent_agreement(data: Sequence[Sequence[float]] | np.ndarray) -> float:
    """Percent (0-100) of agreeing coder pairs, averaged over the units at least two coders rated.

    For two coders without missing values this is the share of units they agree on. ``data`` is
    checked as for :func:`krippendorff_alpha`.

    >>> round(percent_agreement([[1, 1, 0, None], [1, 0, 0, 1]]), 2)
    66.67
    """
    matrix = _matrix(data)
    rated = ~np.isnan(matrix)
    m = rated.sum(axis=0)
    pairable = m >= 2
    if not pairable.any():
        return float("nan")
    agreeing = np.zeros(matrix.shape[1], dtype=np.int64)  # per unit: ordered pairs of coders that agree
    for value in np.unique(matrix[rated]):
        counts = (matrix == value).sum(axis=0)
        agreeing += counts * (counts - 1)
    m = m[pairable]
    return 100 * float(np.mean(agreeing[pairable] / (m * (m - 1))))


def kappa_band(kappa: float) -> str:
    """Landis and Koch's (1977) label for a kappa: poor, slight, fair, moderate, substantial, almost perfect.

    An undefined kappa (NaN, None or ``pd.NA``) has no band: ``""``.

    >>> kappa_band(0.4), kappa_band(0.61), kappa_band(-0.1)
    ('fair', 'substantial', 'poor')
    """
    if _undefined(kappa, "kappa"):
        return ""
    if kappa < 0:
        return "poor"
    for upper, label in LANDIS_KOCH[1:]:
        if kappa <= upper + 1e-12:
            return label
    return LANDIS_KOCH[-1][1]


def _undefined(value: object, name: str) -> bool:
    """Whether a coefficient is missing (None, NaN, ``pd.NA``); a value that is not a number raises."""
    if value is None or value is pd.NA:
        return True
    if not _is_number(value):
        raise ReliabilityInputError(name, f"must be a number, not {value!r}", "pass the coefficient, e.g. 0.61")
    return math.isnan(float(value))  # type: ignore[arg-type]


def alpha_band(alpha: float) -> str:
    """Krippendorff's (2004) reading of an alpha: 'reliable' (>= .800), 'tentative' (>= .667), 'unreliable'.

    >>> alpha_band(0.743), alpha_band(0.8), alpha_band(0.5)
    ('tentative', 'reliable', 'unreliable')
    """
    if _undefined(alpha, "alpha"):
        return ""
    if alpha >= ALPHA_ACCEPT:
        return "reliable"
    return "tentative" if alpha >= ALPHA_TENTATIVE else "unreliable"


# -- the units compared --------------------------------------------------------------------------


def _coder_list(corpus: Corpus, coders: Sequence[str]) -> list[str]:
    """The coder ids, once each, in order; a single string (not a list of ids) is an error."""
    if isinstance(coders, str):
        raise LspkitError(
            [
                Problem(
                    "parameter coders",
                    "",
                    f"must be a list of coder ids, not the string {coders!r}",
                    f"e.g. [{coders!r}, 'structure']; registered coders: " + ", ".join(corpus.coder_ids),
                )
            ]
        )
    return list(dict.fromkeys(coders))


def _check_kinds(kinds: Sequence[str]) -> list[str]:
    """The unit kinds, checked against the corpus's kinds."""

    if isinstance(kinds, str):
        raise LspkitError(
            [
                Problem(
                    "parameter kinds",
                    "",
                    f"must be a list of unit kinds, not the string {kinds!r}",
                    "e.g. ('paragraph', 'quote', 'learning_point')",
                )
            ]
        )
    unknown = [k for k in kinds if k not in UNIT_KINDS]
    if unknown:
        raise LspkitError(
            [Problem("parameter kinds", "", f"unknown unit kind {unknown[0]!r}", "use any of " + ", ".join(UNIT_KINDS))]
        )
    return list(kinds)


def _check_coders(corpus: Corpus, coders: Sequence[str], code_kind: str) -> list[str]:
    coders = _coder_list(corpus, coders)
    if len(coders) < 2:
        raise LspkitError(
            [
                Problem(
                    "parameter coders",
                    "",
                    f"need at least two coders, got {coders}",
                    "registered coders: " + ", ".join(corpus.coder_ids),
                )
            ]
        )
    for coder in coders:
        corpus.check_coder(coder)
    if code_kind not in ("element", "theme"):
        raise LspkitError(
            [Problem("parameter code_kind", "", f"unknown code kind {code_kind!r}", "use 'element' or 'theme'")]
        )
    derived = corpus.derived_coders
    if code_kind == "theme":
        bad = [c for c in coders if c in derived]
        if bad:
            raise LspkitError(
                [
                    Problem(
                        "parameter coders",
                        "",
                        f"coder {bad[0]!r} is derived from the headings and gives no themes",
                        "compare themes between coders who code them",
                    )
                ]
            )
    return coders


def coverage_matrix(corpus: Corpus, coders: Sequence[str], *, kinds: Sequence[str] = EVIDENCE_KINDS) -> pd.DataFrame:
    """Which units each coder covers: a unit × coder frame of booleans, units in document order.

    A coder covers every non-boilerplate unit of ``kinds`` in the cases where it coded at least one
    unit; the derived ``structure`` coder covers only paragraphs and quotations.

    >>> from lspkit import load_corpus
    >>> m = coverage_matrix(load_corpus(), ["structure", "auto"])
    >>> bool(m.loc["bolton.lp1", "auto"]), bool(m.loc["bolton.lp1", "structure"])
    (True, False)
    """
    coders = _coder_list(corpus, coders)
    keep = (~corpus.units["boilerplate"] & corpus.units["kind"].isin(_check_kinds(kinds))).to_numpy(dtype=bool)
    units = corpus.units[keep]
    derived = corpus.derived_coders
    narrative = units["kind"].isin(list(NARRATIVE_KINDS)).to_numpy(dtype=bool)
    pos = corpus.positions
    coder_of = corpus.codings["coder"].to_numpy(dtype=object)
    if pos.unique:  # row positions: the case of every coded unit without a string join
        unit_case = pos.unit_case
        case_here = unit_case[keep]
    else:
        unit_case = pd.factorize(corpus.units["case_id"].astype(str))[0]
        case_here = unit_case[keep]
        row_of = pd.Index(corpus.units["unit_id"].to_numpy(dtype=object)).get_indexer(
            corpus.codings["unit_id"].to_numpy(dtype=object)
        )
    out = {}
    for coder in coders:
        rows = np.flatnonzero(coder_of == coder)
        unit_rows = pos.coding_unit[rows] if pos.unique else row_of[rows]
        cases = np.unique(unit_case[unit_rows[unit_rows >= 0]])
        covered = np.isin(case_here, cases)
        if coder in derived:
            covered &= narrative
        out[coder] = covered
    frame = pd.DataFrame(out, index=pd.Index(units["unit_id"].to_numpy(), name="unit_id"))
    return frame


# -- the decisions: a tidy long frame, and the array it is built from --------------------------------

DECISION_COLUMNS = ["unit_id", "code_id", "coder", "value"]


class _Decisions(NamedTuple):
    """Every covering coder's decision per unit and code as one array, with its labels.

    ``values[u, c, k]`` is coder ``k``'s decision on unit ``u`` for code ``c``: 1.0 (coded), 0.0
    (covered but not coded) or NaN (not covered). :func:`decisions` lays it out as a long frame;
    :func:`reliability` reads each code's coders × units matrix off it directly.
    """

    units: np.ndarray
    codes: list[str]
    coders: list[str]
    values: np.ndarray

    def matrix(self, code: int) -> np.ndarray:
        """One code's coders × units matrix."""
        return self.values[:, code, :].T

    def pooled(self) -> np.ndarray:
        """Every code's matrix side by side (codebook order, then units): one column per unit-code item."""
        return self.values.transpose(2, 1, 0).reshape(len(self.coders), -1)


def _decision_array(corpus: Corpus, coders: list[str], code_kind: CodeKind, kinds: Sequence[str]) -> _Decisions:
    """The decisions on the units at least two of ``coders`` cover (``coders`` already checked)."""
    cover = coverage_matrix(corpus, coders, kinds=kinds)
    cover = cover[cover.sum(axis=1) >= 2]
    codes = corpus.codes.loc[corpus.codes["code_kind"] == code_kind, "code_id"].tolist()
    coded = corpus.codings[corpus.codings["coder"].isin(coders) & corpus.codings["code_id"].isin(codes)]
    n_units, n_codes, n_coders = len(cover), len(codes), len(coders)
    # values[unit, code, coder]: NaN where the coder does not cover the unit, else 0, then 1 where coded
    covered = cover[coders].to_numpy(dtype=bool)
    values = np.broadcast_to(np.where(covered, 0.0, np.nan)[:, None, :], (n_units, n_codes, n_coders)).copy()
    u = cover.index.get_indexer(coded["unit_id"])
    c = pd.Index(codes).get_indexer(coded["code_id"])
    k = pd.Index(coders).get_indexer(coded["coder"])
    hit = u >= 0
    u, c, k = u[hit], c[hit], k[hit]
    on = covered[u, k]  # a coding of a unit its coder does not cover stays NaN
    values[u[on], c[on], k[on]] = 1.0
    return _Decisions(cover.index.to_numpy(dtype=object), codes, coders, values)


def decisions(
    corpus: Corpus, coders: Sequence[str], *, code_kind: CodeKind = "element", kinds: Sequence[str] = EVIDENCE_KINDS
) -> pd.DataFrame:
    """Every coder's yes/no decision per unit and code: a tidy long frame, one row per unit, code and coder.

    Columns ``unit_id, code_id, coder, value``: ``value`` is 1.0 where the coder gave the unit the
    code, 0.0 where it covers the unit but did not, and NaN where it does not cover the unit (see
    "Which units each coder covers" above). The units are those at least two of the coders cover
    (the ``compared`` units of :func:`units_compared`), in document order; then the codes of
    ``code_kind`` in codebook order; then the coders in the order given. The ``*_long`` coefficients
    take this frame; :func:`reliability` computes the same figures from the same decisions.

    >>> from lspkit import load_corpus
    >>> corpus = load_corpus()
    >>> d = decisions(corpus, ["structure", "auto"])
    >>> d.columns.tolist(), d["coder"].iloc[:2].tolist()
    (['unit_id', 'code_id', 'coder', 'value'], ['structure', 'auto'])
    >>> table = reliability(corpus, ["structure", "auto"]).set_index("code_id")
    >>> krippendorff_alpha_long(d[d["code_id"] == "goals"]) == float(table.loc["goals", "alpha"])
    True
    """
    coders = _check_coders(corpus, coders, code_kind)
    return _long(_decision_array(corpus, coders, code_kind, kinds))


def _long(d: _Decisions) -> pd.DataFrame:
    n_units, n_codes, n_coders = d.values.shape
    return pd.DataFrame(
        {
            "unit_id": np.repeat(d.units, n_codes * n_coders),
            "code_id": np.tile(np.repeat(np.asarray(d.codes, dtype=object), n_coders), n_units),
            "coder": np.tile(np.asarray(d.coders, dtype=object), n_units * n_codes),
            "value": d.values.reshape(-1),
        },
        columns=DECISION_COLUMNS,
    )


# -- coefficients on a long frame of decisions ---------------------------------------------------

LONG_HINT = (
    "pass a long frame with one row per unit and coder, e.g. decisions(corpus, coders) for one code: "
    "d[d['code_id'] == 'goals']"
)


def _ratings(data: object, unit: str | Sequence[str], coder: str, value: str) -> tuple[np.ndarray, list]:
    """A long frame of decisions as a coders × units matrix of floats (NaN where a coder has no
    decision on a unit) and the coders, both in order of first appearance.

    ``unit`` names one column, or several whose combination is the item (``["unit_id", "code_id"]``
    pools the codes). Checked: ``data`` is a DataFrame with those columns, no unit or coder is
    missing, each unit and coder has at most one value, and every value is a number or missing.
    """
    if not isinstance(data, pd.DataFrame):
        raise ReliabilityInputError("data", f"must be a DataFrame of decisions, not {type(data).__name__}", LONG_HINT)
    units = [unit] if isinstance(unit, str) else list(unit)
    for argument, columns in (("unit", units), ("coder", [coder]), ("value", [value])):
        absent = [c for c in columns if c not in data.columns]
        if absent or not columns:
            raise ReliabilityInputError(
                argument,
                f"names no column of data: {absent[0] if absent else columns!r}; "
                f"data has {', '.join(map(str, data.columns))}",
                LONG_HINT,
            )
    keys = data[units + [coder]]
    if keys.isna().any().any():
        name = keys.columns[keys.isna().any()][0]
        raise ReliabilityInputError(
            "data",
            f"column {name!r} has a missing id in row {keys[name].isna().argmax()}",
            "every decision names its unit and its coder",
        )
    ratings = _values(data, value)
    item = (
        pd.factorize(data[units[0]], sort=False)[0]
        if len(units) == 1
        else data.groupby(units, sort=False).ngroup().to_numpy()
    )
    who, coders = pd.factorize(data[coder], sort=False)
    n_items, n_coders = (int(item.max()) + 1 if len(item) else 0), len(coders)
    cell = item.astype(np.int64) * n_coders + who
    counts = np.bincount(cell, minlength=n_items * n_coders)
    if len(counts) and counts.max() > 1:
        row = int(np.flatnonzero(counts[cell] > 1)[0])
        where = ", ".join(f"{c} {data[c].iloc[row]!r}" for c in units + [coder])
        raise ReliabilityInputError(
            "data",
            f"has {counts.max()} values for {where}; a coder makes one decision per unit",
            "select one code (d[d['code_id'] == 'goals']), or pass "
            "unit=['unit_id', 'code_id'] to pool the codes, one item per unit and code",
        )
    matrix = np.full((n_coders, n_items), np.nan)
    matrix[who, item] = ratings
    return matrix, coders.tolist()


def _values(data: pd.DataFrame, value: str) -> np.ndarray:
    """The value column as floats, missing as NaN; a value that is not a number raises."""
    column = data[value]
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        return column.to_numpy(dtype=float, na_value=np.nan)
    bad = ~column.map(lambda v: _is_number(v) or v is None or v is pd.NA or v is pd.NaT).to_numpy(dtype=bool)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ReliabilityInputError(
            "data",
            f"column {value!r} must hold 0/1 or True/False decisions (missing where "
            f"a coder did not decide); row {i} is {column.iloc[i]!r}",
            BINARY_HINT,
        )
    return np.array([np.nan if v is None or v is pd.NA or v is pd.NaT else float(v) for v in column], dtype=float)


def _pairable(matrix: np.ndarray) -> np.ndarray:
    """The columns of a coders × items matrix that at least two coders rated."""
    return matrix[:, (~np.isnan(matrix)).sum(axis=0) >= 2]


def _kappa(matrix: np.ndarray) -> float:
    """Cohen's kappa of a two-coder matrix over the items both coders rated."""
    both = _pairable(matrix)
    return cohen_kappa(both[0], both[1])


def krippendorff_alpha_long(
    data: pd.DataFrame,
    *,
    unit: str | Sequence[str] = "unit_id",
    coder: str = "coder",
    value: str = "value",
    level: Literal["nominal", "ordinal", "interval", "ratio"] = "nominal",
) -> float:
    """Krippendorff's alpha from a long frame of decisions, one row per unit and coder.

    The frame is pivoted to a coders × units matrix (a unit a coder has no row for, or a missing
    value, is a missing decision) and passed to :func:`krippendorff_alpha`. ``unit`` may name
    several columns whose combination is the item: ``unit=["unit_id", "code_id"]`` on the frame
    of :func:`decisions` pools every code, as the pooled row of :func:`reliability` does. A unit
    with two values from one coder, a missing id or a value that is not a number raises
    :class:`ReliabilityInputError` (a ``ValueError``).

    >>> d = pd.DataFrame({"unit_id": [1, 1, 2, 2, 3, 3, 4], "coder": list("ababab") + ["b"],
    ...                   "value": [1, 1, 1, 0, 0, 0, 1]})
    >>> round(krippendorff_alpha_long(d), 3)  # krippendorff_alpha([[1, 1, 0, None], [1, 0, 0, 1]])
    0.444
    """
    return krippendorff_alpha(_ratings(data, unit, coder, value)[0], level)


def percent_agreement_long(
    data: pd.DataFrame, *, unit: str | Sequence[str] = "unit_id", coder: str = "coder", value: str = "value"
) -> float:
    """Percent agreement (0-100) from a long frame of decisions: :func:`percent_agreement` of its pivot.

    Units and coders as for :func:`krippendorff_alpha_long`.

    >>> d = pd.DataFrame({"unit_id": [1, 1, 2, 2, 3, 3, 4], "coder": list("ababab") + ["b"],
    ...                   "value": [1, 1, 1, 0, 0, 0, 1]})
    >>> round(percent_agreement_long(d), 2)
    66.67
    """
    return percent_agreement(_ratings(data, unit, coder, value)[0])


def cohen_kappa_long(
    data: pd.DataFrame, *, unit: str | Sequence[str] = "unit_id", coder: str = "coder", value: str = "value"
) -> float:
    """Cohen's kappa from a long frame of two coders' decisions, over the units both coders decided.

    Units and coders as for :func:`krippendorff_alpha_long`; the frame must hold exactly two
    coders, and the values must be 0/1 or True/False (:func:`cohen_kappa` checks them).

    >>> d = pd.DataFrame({"unit_id": [1, 1, 2, 2, 3, 3, 4, 4], "coder": list("abababab"),
    ...                   "value": [1, 1, 1, 0, 0, 0, 0, 0]})
    >>> round(cohen_kappa_long(d), 3)  # cohen_kappa([1, 1, 0, 0], [1, 0, 0, 0])
    0.5
    """
    matrix, coders = _ratings(data, unit, coder, value)
    if len(coders) != 2:
        raise ReliabilityInputError(
            "data",
            f"Cohen's kappa compares two coders; column {coder!r} has {len(coders)}"
            + (f": {', '.join(map(str, coders))}" if coders else ""),
            "select two coders, or use krippendorff_alpha_long for any number",
        )
    return _kappa(matrix)


# -- the tables ------------------------------------------------------------------------------------


def _row(code_id: str, label: str, code_kind: str, coders: list[str], matrix: np.ndarray, n_units: int) -> dict:
    """One table row from a coders × items matrix of 0/1/NaN."""
    matrix = _pairable(matrix)
    row = {
        "code_id": code_id,
        "label": label,
        "code_kind": code_kind,
        "coders": ", ".join(coders),
        "n_units": n_units,
        "decisions": int(matrix.shape[1]),
        "both": pd.NA,
        "only_a": pd.NA,
        "only_b": pd.NA,
        "neither": pd.NA,
        "percent_agreement": percent_agreement(matrix),
        "kappa": float("nan"),
        "alpha": krippendorff_alpha(matrix),
    }
    if len(coders) == 2:
        a, b = matrix[0] == 1, matrix[1] == 1
        row.update(
            both=int((a & b).sum()),
            only_a=int((a & ~b).sum()),
            only_b=int((~a & b).sum()),
            neither=int((~a & ~b).sum()),
            kappa=_kappa(matrix),
        )
    row["kappa_band"] = kappa_band(row["kappa"])
    row["alpha_band"] = alpha_band(row["alpha"])
    return row


def reliability(
    corpus: Corpus,
    coders: Sequence[str] = ("researcher", "structure"),
    *,
    code_kind: CodeKind = "element",
    kinds: Sequence[str] = EVIDENCE_KINDS,
) -> pd.DataFrame:
    """Agreement between coders per code of one kind, and overall: one row per code plus a pooled row.

    Columns: ``code_id, label, code_kind, coders, n_units`` (units at least two of the coders cover),
    ``decisions`` (yes/no items the figures rest on: ``n_units`` for a code, units × codes for the
    pooled row), the two-by-two counts ``both, only_a, only_b, neither`` (first coder a, second b;
    empty for more than two coders), ``percent_agreement`` (0-100), ``kappa`` (Cohen's, two coders
    only) with ``kappa_band`` (Landis and Koch), and ``alpha`` (Krippendorff's, nominal) with
    ``alpha_band`` (Krippendorff's .667/.800). Coefficients are NaN where undefined, e.g. kappa and
    alpha when no coder ever applies the code.

    The figures are those of the ``*_long`` coefficients on :func:`decisions`: a code's row is
    ``krippendorff_alpha_long(d[d["code_id"] == code])`` and so on; the pooled row is theirs with
    ``unit=["unit_id", "code_id"]``, to rounding (the items come in another order). Both read the
    same decisions and call the same coefficients; this table takes each code's matrix straight from
    the decisions rather than pivoting the frame, which is several times faster on a large corpus.

    >>> from lspkit import load_corpus
    >>> t = reliability(load_corpus(), ["structure", "auto"]).set_index("code_id")
    >>> int(t.loc["goals", "n_units"]) == int(t.loc["all elements", "n_units"])
    True
    """
    coders = _check_coders(corpus, coders, code_kind)
    d = _decision_array(corpus, coders, code_kind, kinds)
    labels = corpus.codes.loc[corpus.codes["code_kind"] == code_kind, "label"].tolist()  # in the order of d.codes
    n_units = len(d.units)
    rows = [
        _row(code, label, code_kind, coders, d.matrix(i), n_units)
        for i, (code, label) in enumerate(zip(d.codes, labels))
    ]
    rows.append(_row(f"all {code_kind}s", f"All {code_kind}s, pooled", code_kind, coders, d.pooled(), n_units))
    out = pd.DataFrame(rows, columns=RELIABILITY_COLUMNS)
    for col in ("both", "only_a", "only_b", "neither"):
        out[col] = out[col].astype("Int64")
    for col in ("percent_agreement", "kappa", "alpha"):
        out[col] = out[col].astype(float)
    return out


def disagreements(
    corpus: Corpus,
    coders: Sequence[str] = ("researcher", "structure"),
    *,
    code_kind: CodeKind = "element",
    kinds: Sequence[str] = EVIDENCE_KINDS,
) -> pd.DataFrame:
    """The unit-code decisions the coders disagree on, with the unit's citation and text.

    One row per unit and code where at least one covering coder applied the code and another did
    not: ``case_id, unit_id, citation, code_id, label, applied_by, not_applied_by, memo`` (the memos
    of the coders who applied it, as ``coder: memo``) ``, text``; in document, then codebook order.

    >>> from lspkit import load_corpus
    >>> d = disagreements(load_corpus(), ["structure", "auto"])
    >>> d.columns.tolist()[:4]
    ['case_id', 'unit_id', 'citation', 'code_id']
    """
    coders = _check_coders(corpus, coders, code_kind)
    long = decisions(corpus, coders, code_kind=code_kind, kinds=kinds).dropna(subset=["value"])
    grouped = long.groupby(["unit_id", "code_id"], sort=False)["value"].agg(["min", "max"])
    split = grouped[(grouped["min"] == 0) & (grouped["max"] == 1)].index
    if len(split) == 0:
        return pd.DataFrame(columns=DISAGREEMENT_COLUMNS)
    wanted = set(split)
    applied: dict[tuple[str, str], tuple[set[str], set[str]]] = {}  # (unit, code) -> (applied, not applied)
    for unit_id, code_id, coder, value in zip(long["unit_id"], long["code_id"], long["coder"], long["value"]):
        if (unit_id, code_id) in wanted:
            yes_no = applied.setdefault((unit_id, code_id), (set(), set()))
            if value == 1:
                yes_no[0].add(coder)
            elif value == 0:
                yes_no[1].add(coder)
    units = corpus.units.set_index("unit_id")[["case_id", "citation", "text"]].to_dict("index")
    labels = dict(zip(corpus.codes["code_id"], corpus.codes["label"]))
    chosen = corpus.codings[corpus.codings["coder"].isin(coders)]
    memos = dict(zip(zip(chosen["unit_id"], chosen["code_id"], chosen["coder"]), chosen["memo"]))
    rows = []
    for (unit_id, code_id), (said_yes, said_no) in applied.items():
        yes = [c for c in coders if c in said_yes]
        no = [c for c in coders if c in said_no]
        memo = "; ".join(f"{c}: {memos[(unit_id, code_id, c)]}" for c in yes if memos.get((unit_id, code_id, c)))
        unit = units[unit_id]
        rows.append(
            {
                "case_id": unit["case_id"],
                "unit_id": unit_id,
                "citation": unit["citation"],
                "code_id": code_id,
                "label": labels[code_id],
                "applied_by": ", ".join(yes),
                "not_applied_by": ", ".join(no),
                "memo": memo,
                "text": unit["text"],
            }
        )
    out = pd.DataFrame(rows, columns=DISAGREEMENT_COLUMNS)
    order = {u: i for i, u in enumerate(corpus.units["unit_id"])}
    code_order = {c: i for i, c in enumerate(corpus.codes["code_id"])}
    out = out.assign(_u=out["unit_id"].map(order), _c=out["code_id"].map(code_order))
    return out.sort_values(["_u", "_c"], kind="stable").drop(columns=["_u", "_c"]).reset_index(drop=True)


def bands() -> pd.DataFrame:
    """The interpretation bands as a table: ``coefficient, from, to, reading, source``.

    >>> bands()["reading"].tolist()[-3:]
    ['unreliable', 'tentative', 'reliable']
    """
    rows = [("kappa", -1.0, 0.0, "poor", "Landis and Koch 1977")]
    lower = 0.0
    for upper, label in LANDIS_KOCH[1:]:
        rows.append(("kappa", lower, upper, label, "Landis and Koch 1977"))
        lower = upper
    rows += [
        ("alpha", -1.0, ALPHA_TENTATIVE, "unreliable", "Krippendorff 2004"),
        ("alpha", ALPHA_TENTATIVE, ALPHA_ACCEPT, "tentative", "Krippendorff 2004"),
        ("alpha", ALPHA_ACCEPT, 1.0, "reliable", "Krippendorff 2004"),
    ]
    return pd.DataFrame(rows, columns=["coefficient", "from", "to", "reading", "source"])


def units_compared(corpus: Corpus, coders: Sequence[str], *, kinds: Sequence[str] = EVIDENCE_KINDS) -> pd.DataFrame:
    """How many units of each kind every coder covers, and how many enter the comparison.

    One row per unit kind and an ``all`` row: ``kind, units`` (non-boilerplate units of that kind),
    one column per coder (units it covers) and ``compared`` (units at least two coders cover).

    >>> from lspkit import load_corpus
    >>> int(units_compared(load_corpus(), ["structure", "auto"]).set_index("kind").loc["learning_point", "compared"])
    0
    """
    coders = _coder_list(corpus, coders)
    for coder in coders:
        corpus.check_coder(coder)
    cover = coverage_matrix(corpus, coders, kinds=kinds)
    kind_of = corpus.units.set_index("unit_id")["kind"].astype(str)
    frame = cover.assign(kind=kind_of.reindex(cover.index).to_numpy(), compared=cover.sum(axis=1) >= 2)
    out = frame.groupby("kind", sort=False).agg(
        units=("compared", "size"), **{c: (c, "sum") for c in coders}, compared=("compared", "sum")
    )
    out = out.reindex([k for k in kinds if k in set(frame["kind"])])
    out.loc["all"] = out.sum()
    return out.astype(int).reset_index()


def findings(table: pd.DataFrame) -> pd.DataFrame:
    """Sentences stating what a :func:`reliability` table shows, so the prose cannot drift from it.

    One row per finding: ``finding`` and ``basis`` (the code or 'overall').
    """
    if table.empty:
        out = pd.DataFrame(columns=["finding", "basis"])
        if "empty" in table.attrs:  # the table's own reason, said once more rather than a generic note
            out.attrs["empty"] = "No findings: " + str(table.attrs["empty"]).split(": ", 1)[-1]
        return out
    pooled = table.iloc[-1]
    codes = table.iloc[:-1]
    coders = pooled["coders"].split(", ")
    kind = pooled["code_kind"]
    out = []

    def fmt(x: float) -> str:
        return "undefined" if pd.isna(x) else f"{x:.2f}"

    kappa = f"kappa = {fmt(pooled['kappa'])} ({pooled['kappa_band']}), " if len(coders) == 2 else ""
    out.append(
        (
            f"Over {pooled['n_units']} units ({pooled['decisions']} unit-{kind} decisions), "
            f"{', '.join(coders[:-1])} and {coders[-1]} agree on {pooled['percent_agreement']:.1f}% of decisions; "
            "pooled "
            f"{kappa}alpha = {fmt(pooled['alpha'])} ({pooled['alpha_band'] or 'undefined'}).",
            "overall",
        )
    )
    bands = (
        ("reliable", "Reliable by Krippendorff's standard (alpha >= .800)"),
        ("tentative", "Tentative only (.667 <= alpha < .800)"),
        ("unreliable", "Not reliable (alpha < .667)"),
    )
    if DERIVED_CODER in coders:  # the headings' filing is not a second reader: agreement is consistency
        bands = (
            (
                "reliable",
                f"At Krippendorff's 'reliable' level (alpha >= .800), as consistency with the headings "
                f"({DERIVED_CODER} is derived from them, so this is not inter-coder reliability)",
            ),
            ("tentative", "At the 'tentative' level (.667 <= alpha < .800), as consistency with the headings"),
            ("unreliable", "Below .667, as consistency with the headings"),
        )
    for band, text in bands:
        part = codes[codes["alpha_band"] == band]
        if len(part):
            out.append(
                (
                    f"{text}: " + ", ".join(f"{r.code_id} ({r.alpha:.2f})" for r in part.itertuples()) + ".",
                    "alpha bands",
                )
            )
    undefined = codes[codes["alpha"].isna()]
    if len(undefined):
        out.append(
            (
                "Undefined (no variation: the code is applied by no coder, or to every unit): "
                + ", ".join(undefined["code_id"])
                + ".",
                "alpha bands",
            )
        )
    if len(coders) == 2 and len(codes):
        gap = codes["only_a"].astype(float) - codes["only_b"].astype(float)
        for idx, sign in ((gap.idxmax(), 1), (gap.idxmin(), -1)):
            if gap[idx] * sign <= 0:
                continue
            row = codes.loc[idx]
            one, other = (coders[0], coders[1]) if sign > 0 else (coders[1], coders[0])
            more, fewer = (row["only_a"], row["only_b"]) if sign > 0 else (row["only_b"], row["only_a"])
            out.append(
                (
                    f"The largest excess of {one} over {other}: {one} gives {row['code_id']} to {more} "
                    f"unit(s) that {other} does not, and {other} to {fewer} that {one} does not.",
                    row["code_id"],
                )
            )
    return pd.DataFrame(out, columns=["finding", "basis"]).drop_duplicates().reset_index(drop=True)


def theme_reliability(corpus: Corpus, coders: Sequence[str], *, kinds: Sequence[str] = EVIDENCE_KINDS) -> pd.DataFrame:
    """:func:`reliability` for themes, or an empty table (same columns) when a coder gives no themes.

    The derived ``structure`` coder gives no themes, and a reader who coded elements only gives none
    either: a coder without themes would count as "no" on every unit, and the table would measure
    nothing. The empty table's ``attrs["empty"]`` says why.

    >>> from lspkit import load_corpus
    >>> theme_reliability(load_corpus(), ["structure", "auto"]).empty
    True
    >>> theme_reliability(load_corpus(), ["researcher", "second_reader"]).attrs["empty"].split(". ")[0]
    'No themes to compare: second_reader coded no theme (elements only)'
    >>> len(theme_reliability(load_corpus(), ["researcher", "auto"])) > 1
    True
    """
    coders = _coder_list(corpus, coders)
    derived = corpus.derived_coders
    themes = corpus.codes.loc[corpus.codes["code_kind"] == "theme", "code_id"]
    theming = set(corpus.codings.loc[corpus.codings["code_id"].isin(themes), "coder"])
    without = [c for c in coders if c in derived or c not in theming]
    if without:
        empty = pd.DataFrame(columns=RELIABILITY_COLUMNS)
        why = [
            f"{c} is derived from the documents' headings and gives no themes"
            if c in derived
            else f"{c} coded no theme (elements only)"
            for c in without
        ]
        empty.attrs["empty"] = (
            f"No themes to compare: {'; '.join(why)}. Compare two coders who both code themes to fill this table."
        )
        return empty
    return reliability(corpus, coders, code_kind="theme", kinds=kinds)
