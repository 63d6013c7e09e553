"""Restatements: which learning points and quotations restate which paragraphs.

This module owns ``data/restates.csv``, one row per learning point or quotation that describes
the same practice as one or more paragraphs of its case, so that counting both would count one
practice twice::

    unit_id,restates,coder,memo
    bolton.lp1,bolton.p08,second_reader,"the joint Council-Police post of ¶8"

It reads and checks the file (:func:`read_restates`, :func:`check_restates`), and groups a case's
evidence units into **practices** (:func:`practice_groups`): a paragraph together with every unit
that restates it (and, through them, any other paragraph they also restate) is one practice;
a unit that restates nothing is a practice of its own. The analyses count practices, not mentions,
with these groups (:func:`lspkit.analysis.practice_recurrence`).

Example:
    >>> import lspkit
    >>> corpus = lspkit.load_corpus()
    >>> groups = practice_groups(corpus)
    >>> groups.loc["bolton.lp1", "practice"] == groups.loc[corpus.restates.set_index("unit_id").loc[
    ...     "bolton.lp1", "restates"][0], "practice"]
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Collection

import pandas as pd

from .codings import read_csv_rows
from .errors import ProblemLog
from .vocabulary import EVIDENCE_KINDS

if TYPE_CHECKING:
    from .corpus import Corpus

RESTATE_COLUMNS = ["unit_id", "restates", "coder", "memo"]
RESTATING_KINDS = ("learning_point", "quote")


def empty_restates() -> pd.DataFrame:
    """The restatement frame with no rows: ``unit_id, case_id, restates (a tuple of unit ids), coder, memo``."""
    return pd.DataFrame(columns=["unit_id", "case_id", "restates", "coder", "memo"])


def read_restates(path: str | Path, log: ProblemLog) -> list[tuple[int, dict[str, str]]]:
    """The rows of a restatement file with their line numbers (an absent file: none)."""
    path = Path(path)
    if not path.exists():
        return []
    return read_csv_rows(path, RESTATE_COLUMNS, log)


def check_restates(
    rows: list[tuple[int, dict[str, str]]],
    path: str | Path,
    units: pd.DataFrame,
    coders: pd.DataFrame,
    log: ProblemLog,
    *,
    absent_cases: Collection[str] = (),
) -> pd.DataFrame:
    """Every row naming an unknown unit or coder, a unit that is not a learning point or quotation,
    a restated unit that is not a paragraph of the same case, a missing memo or a repeated unit is
    reported with its file and row; the rows that pass are returned (see :func:`empty_restates`).

    Rows of ``absent_cases`` (cases whose text could not be read, reported once elsewhere) are left
    out without a report, and coders are not checked when the registry is empty (reported already).
    """
    name = str(path)
    table = units.set_index("unit_id")
    known_coders = set(coders["coder"])
    seen: dict[str, int] = {}
    kept = []
    for line, rec in rows:
        where = f"row {line}"
        unit = (rec.get("unit_id") or "").strip()
        restated = tuple((rec.get("restates") or "").split())
        coder = (rec.get("coder") or "").strip()
        memo = " ".join((rec.get("memo") or "").split())
        bad = False
        if unit.split(".", 1)[0] in absent_cases:
            continue
        if unit not in table.index:
            log.add(name, where, f"unknown unit {unit!r}", "use a unit id from corpus.units")
            continue
        if str(table.at[unit, "kind"]) not in RESTATING_KINDS or bool(table.at[unit, "boilerplate"]):
            log.add(name, where, f"{unit!r} is not a learning point or quotation", "only those restate paragraphs")
            bad = True
        if not restated:
            log.add(name, where, f"{unit!r} restates nothing", "name the paragraph(s) it restates, or delete the row")
            bad = True
        for other in restated:
            if other not in table.index:
                log.add(name, where, f"unknown unit {other!r} in restates", "use a paragraph's unit id")
                bad = True
            elif str(table.at[other, "kind"]) != "paragraph" or bool(table.at[other, "boilerplate"]):
                log.add(name, where, f"{other!r} is not an evidence paragraph", "a unit restates a paragraph")
                bad = True
            elif table.at[other, "case_id"] != table.at[unit, "case_id"]:
                log.add(name, where, f"{other!r} is in another case than {unit!r}", "restate within one case")
                bad = True
        if known_coders and coder not in known_coders:
            log.add(name, where, f"unknown coder {coder!r}", "register the coder in data/coders.csv")
            bad = True
        if not memo:
            log.add(name, where, "no memo", "quote the words the two units share, or name the practice")
            bad = True
        if unit in seen:
            log.add(name, where, f"{unit!r} is listed twice (first at row {seen[unit]})", "list each unit once")
            bad = True
        seen.setdefault(unit, line)
        if not bad:
            kept.append(
                {
                    "unit_id": unit,
                    "case_id": table.at[unit, "case_id"],
                    "restates": restated,
                    "coder": coder,
                    "memo": memo,
                }
            )
    return pd.DataFrame(kept, columns=empty_restates().columns) if kept else empty_restates()


def practice_groups(corpus: "Corpus") -> pd.DataFrame:
    """Each evidence unit's practice: ``unit_id`` (index), ``case_id``, ``practice`` (the unit id of
    the practice's first paragraph or unit in document order), ``passages`` (units in the practice).

    Units joined by a restatement, directly or through others, are one practice.
    """
    units = corpus.units[~corpus.units["boilerplate"] & corpus.units["kind"].isin(list(EVIDENCE_KINDS))]
    order = {u: i for i, u in enumerate(units["unit_id"])}
    parent = {u: u for u in order}

    def find(u: str) -> str:
        while parent[u] != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    for unit, restated in zip(corpus.restates["unit_id"], corpus.restates["restates"]):
        for other in restated:
            if unit in parent and other in parent:
                a, b = find(unit), find(other)
                if a != b:  # the root is the earliest unit in document order
                    parent[max(a, b, key=order.__getitem__)] = min(a, b, key=order.__getitem__)
    out = pd.DataFrame(
        {"case_id": units["case_id"].to_numpy(), "practice": [find(u) for u in units["unit_id"]]},
        index=pd.Index(units["unit_id"], name="unit_id"),
    )
    out["passages"] = out.groupby("practice")["practice"].transform("size")
    return out
