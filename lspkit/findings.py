"""Findings in words: sentences stated from the analysis tables, with one wording rule for balance.

This module owns how the notebooks put numbers into prose, so that no number in an interpretation
is typed by hand: each function takes a tidy frame from :mod:`lspkit.analysis` and returns a frame
of sentences (``finding`` and ``basis``, the table a sentence comes from). A run with other
parameters states what its own tables show.

The wording rule for the balance index, ``(transformational - transactional) /
(transformational + transactional)``, is :func:`balance_wording`: within ±0.10 an account *is close to
even*; up to ±0.33 it *leans* one way; beyond that it *is mainly* one way. The band of ±0.10 is about
one unit's worth: a case study gives each dimension some 10 to 25 units, so recoding a single unit
moves the index by 0.04 to 0.10, and a difference that one recoded unit can undo is not a lean. The
±0.33 line is where one dimension has twice the units of the other.

Example:
    >>> balance_wording(0.04), balance_wording(-0.26), balance_wording(-0.5)
    ('is close to even', 'leans transactional', 'is mainly transactional')
"""

from __future__ import annotations

import math
from typing import Mapping

import pandas as pd

EVEN_BAND = 0.10
LEAN_BAND = 1 / 3
FINDING_COLUMNS = ["finding", "basis"]


def balance_wording(index: float) -> str:
    """The verb phrase for a balance index: 'is close to even', 'leans ...' or 'is mainly ...' (see the module)."""
    if index is None or (isinstance(index, float) and math.isnan(index)):
        return "has no units of either dimension"
    if abs(index) <= EVEN_BAND:
        return "is close to even"
    side = "transformational" if index > 0 else "transactional"
    return f"leans {side}" if abs(index) <= LEAN_BAND + 1e-9 else f"is mainly {side}"


def wording_rule() -> pd.DataFrame:
    """The wording rule for the balance index as a table: the words, and the indexes they cover.

    >>> wording_rule()["index"].tolist()
    ['-0.10 to +0.10', '+0.10 to +0.33, or -0.33 to -0.10', 'beyond +0.33, or beyond -0.33']
    """
    even, lean = f"{EVEN_BAND:.2f}", f"{LEAN_BAND:.2f}"
    return pd.DataFrame(
        {
            "words": ["is close to even", "leans transformational / transactional", "is mainly one way"],
            "index": [
                f"-{even} to +{even}",
                f"+{even} to +{lean}, or -{lean} to -{even}",
                f"beyond +{lean}, or beyond -{lean}",
            ],
            "why": [
                "one recoded unit moves the index by about this much, so it is not a lean",
                "one dimension has more units, but less than twice the other's",
                "one dimension has at least twice the units of the other",
            ],
        }
    )


def _frame(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


def balance_findings(bal: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """One sentence per case and set of units from :func:`lspkit.analysis.balance`, worded by
    :func:`balance_wording`, then which case is most transformational and most transactional.

    >>> bal = pd.DataFrame({"case_id": ["a", "b"], "units_of": ["narrative"] * 2, "transformational": [10, 7],
    ...                     "transactional": [9, 12], "balance_index": [1 / 19, -5 / 19]})
    >>> for sentence in balance_findings(bal, {"a": "A", "b": "B"})["finding"].tolist()[:2]:
    ...     print(sentence)
    In its narrative, A is close to even (+0.05: 10 transformational against 9 transactional units).
    In its narrative, B leans transactional (-0.26: 7 transformational against 12 transactional units).
    """
    rows = []
    for units_of, part in bal.groupby("units_of", sort=False):
        for r in part.itertuples(index=False):
            rows.append(
                (
                    f"In its {units_of}, {names.get(r.case_id, r.case_id)} {balance_wording(r.balance_index)} "
                    f"({r.balance_index:+.2f}: {r.transformational} transformational against {r.transactional} "
                    "transactional units).",
                    f"balance, {units_of}",
                )
            )
        known = part.dropna(subset=["balance_index"])
        if len(known) > 1 and known["balance_index"].nunique() > 1:
            hi, lo = known.loc[known["balance_index"].idxmax()], known.loc[known["balance_index"].idxmin()]
            rows.append(
                (
                    f"In the {units_of}, {names.get(hi['case_id'], hi['case_id'])} is the most transformational "
                    f"account ({hi['balance_index']:+.2f}) and {names.get(lo['case_id'], lo['case_id'])} the most "
                    f"transactional ({lo['balance_index']:+.2f}).",
                    f"balance, {units_of}",
                )
            )
    return _frame(rows)


def theme_findings(meta: pd.DataFrame, names: Mapping[str, str], top: int = 3) -> pd.DataFrame:
    """What recurs and what differs, from :func:`lspkit.analysis.theme_meta_matrix`: how many themes
    recur in every case, the ``top`` shared themes with most distinct practices and where each is
    concentrated, and the themes of one case or of some cases only. Counts are practices (a
    paragraph and its restatements once; aims left out), as the meta-matrix counts them."""
    cases = [c for c in meta.columns if c in names]
    k = len(cases)
    rows: list[tuple[str, str]] = []
    if not k or meta.empty:
        return _frame(rows)
    everywhere = meta[meta["n_cases"] == k]
    rows.append(
        (
            f"{len(everywhere)} of the {len(meta)} themes recur in all {k} cases"
            + (f": {', '.join(everywhere['label'])}." if len(everywhere) else "."),
            "theme meta-matrix",
        )
    )
    shared = everywhere.sort_values("practices", ascending=False, kind="stable").head(top)
    for code_id, r in shared.iterrows():
        counts = r[cases].astype(int)
        lead = counts.idxmax()
        rows.append(
            (
                f"{r['label']}: {int(r['practices'])} distinct practices in all; {names[lead]} has "
                f"{int(counts[lead])} of them.",
                str(code_id),
            )
        )
    for case_id in cases:
        own = meta[(meta["n_cases"] == 1) & (meta[case_id] > 0)]
        if len(own) and k > 1:
            rows.append((f"Only {names[case_id]}: {', '.join(own['label'])}.", "theme meta-matrix"))
    some = meta[(meta["n_cases"] > 1) & (meta["n_cases"] < k)]
    for code_id, r in some.iterrows():
        present = [names[c] for c in cases if r[c] > 0]
        rows.append((f"{r['label']} appears in {len(present)} of the {k} cases: {', '.join(present)}.", str(code_id)))
    return _frame(rows)


def departure_findings(disagreements: pd.DataFrame, coders: tuple[str, str]) -> pd.DataFrame:
    """How two coders' element decisions part, from :func:`lspkit.reliability.disagreements`: how many
    elements each gives that the other does not."""
    a, b = coders
    only_b = int((disagreements["applied_by"] == b).sum())
    only_a = int((disagreements["applied_by"] == a).sum())
    return _frame(
        [
            (
                f"In {only_b} element decision(s) {b} gives an element that {a} does not, and in {only_a} "
                f"{a} gives one that {b} does not.",
                "disagreements",
            )
        ]
    )
