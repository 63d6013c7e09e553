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
from typing import TYPE_CHECKING, Mapping

import pandas as pd

if TYPE_CHECKING:
    from .corpus import Corpus

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
            # relative words that stay true when every index is on one side of zero
            top = "most transformational" if hi["balance_index"] > 0 else "least transactional"
            bottom = "most transactional" if lo["balance_index"] < 0 else "least transformational"
            rows.append(
                (
                    f"In the {units_of}, {names.get(hi['case_id'], hi['case_id'])} is the {top} "
                    f"account ({hi['balance_index']:+.2f}) and {names.get(lo['case_id'], lo['case_id'])} the "
                    f"{bottom} ({lo['balance_index']:+.2f}).",
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


def case_opening(corpus: "Corpus", coder: str = "researcher") -> str:
    """The title and opening of a one-case page, in Markdown, stated from the data: the partnership,
    the document, what was read, how the account balances the two dimensions, its most frequent
    elements counted as practices, and how its links join the dimensions, each with citations.

    >>> import lspkit
    >>> print(case_opening(lspkit.load_corpus().case("bolton")).splitlines()[0])
    # Bolton Vision Partnership
    """
    from . import analysis, linkanalysis

    case = corpus.cases.iloc[0]
    name = str(case["short_name"])
    units = corpus.units[~corpus.units["boilerplate"] & corpus.units["kind"].isin(analysis.EVIDENCE_KINDS)]
    kinds = units["kind"].astype(str).value_counts()
    lines = [
        f"# {case['partnership']}",
        "",
        f"*{case['title']}*, an Audit Commission case study published {_month(case['published'])}, read through the "
        f"public sector 7S model by the `{coder}` coder: {len(units)} evidence units "
        f"({kinds.get('paragraph', 0)} paragraphs, {kinds.get('quote', 0)} quotations, "
        f"{kinds.get('learning_point', 0)} learning points; {int(units['words'].sum()):,} words).",
        "",
    ]
    bal = analysis.balance(corpus, coder)
    narrative = bal[bal["units_of"] == "narrative"]
    said = []
    if len(narrative):
        row = narrative.iloc[0]
        said.append(
            f"The account {balance_wording(row['balance_index'])} (balance index {row['balance_index']:+.2f}: "
            f"{row['transformational']} transformational against {row['transactional']} transactional units "
            "of the narrative)."
        )
    rec = analysis.practice_recurrence(corpus, coder, code_kind="element")
    rec = rec[rec["practices"] > 0].sort_values("practices", ascending=False, kind="stable")
    if len(rec):
        top = rec.head(3)
        said.append(
            "Counted as distinct practices (aims left out), its most frequent elements are "
            + ", ".join(f"{r.label.lower()} ({r.practices})" for r in top.itertuples(index=False))
            + "."
        )
    missing = [
        str(label).lower()
        for code, label in zip(corpus.codes["code_id"], corpus.codes["label"])
        if code in corpus.elements and code not in set(rec["code_id"].astype(str))
    ]
    if missing:
        said.append(f"It reports no practice of {', '.join(missing)}.")
    summary = linkanalysis.link_summary(corpus, coder)
    if len(summary) and int(summary["links"].iloc[0]):
        s = summary.iloc[0]
        sentence = f"Of its {int(s['links'])} links, {int(s['cross_dimension'])} join the two dimensions"
        links = corpus.links[(corpus.links["coder"] == coder) & corpus.links["cross"]]
        kinds = linkanalysis.cross_link_kinds(links)
        if len(kinds):
            first = kinds.iloc[0]
            label = dict(zip(corpus.codes["code_id"], corpus.codes["label"].str.lower()))
            kind = f"{label[first['source']]} {first['relation'].replace('_', ' ')} {label[first['target']]}"
            if first["n"] > 1:
                sentence += f"; the most frequent is {kind} ({first['n']}: {'; '.join(first['cites'])})"
            else:
                sentence += f"; no kind of them occurs twice, and the first is {kind} ({first['cites'][0]})"
        said.append(sentence + ".")
        if int(s["aim"]):
            said.append(f"{int(s['aim'])} of the links are aims, not practice.")
    lines.append(" ".join(said) if said else f"The `{coder}` coder has coded nothing in {name}.")
    return "\n".join(lines)


def _month(published: object) -> str:
    """'2009-04' as 'April 2009' (anything else as it is)."""
    import calendar

    text = str(published)
    year, _, month = text.partition("-")
    if year.isdigit() and month.isdigit() and 1 <= int(month) <= 12:
        return f"{calendar.month_name[int(month)]} {year}"
    return text


def quotation_sources(corpus: "Corpus") -> pd.DataFrame:
    """Who the documents quote: one finding per case with quotations, and whether every speaker holds
    a local-authority ('LA') post, as the documents attribute them.

    >>> import lspkit
    >>> quotation_sources(lspkit.load_corpus())["finding"].iloc[-1]
    'All 4 quotations are attributed to local-authority (LA) officers; none to another partner.'
    """
    quotes = corpus.units[corpus.units["kind"] == "quote"]
    rows = []
    for case_id, part in quotes.groupby("case_id", observed=True, sort=False):
        who = "; ".join(f"{r.speaker} ({r.citation})" for r in part.itertuples(index=False))
        rows.append((f"{who}.", str(case_id)))
    if len(quotes):
        local = quotes["speaker"].astype(str).str.match(r"^LA\b")
        if local.all():
            rows.append(
                (
                    f"All {len(quotes)} quotations are attributed to local-authority (LA) officers; none to another "
                    "partner.",
                    "quotations",
                )
            )
        else:
            rows.append(
                (f"{int(local.sum())} of {len(quotes)} quotations are attributed to LA officers.", "quotations")
            )
    else:
        rows.append(("The documents quote no one.", "quotations"))
    return _frame(rows)
