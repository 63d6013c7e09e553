"""The audit trail: every change to the codebook and to a coder's codings, dated, with its reason.

This module owns ``data/decisions.csv``: reading it (:func:`load_decisions`), checking it against
the codings it describes (:func:`check_decisions`) and summarising it for the published pages
(:func:`decision_summary`). One row per change::

    date,coder,unit_id,code_id,change,old,new,reason

``change`` is one of :data:`CODING_CHANGES` for a coder's coding of a unit (``added``, ``removed``,
``status``, ``memo``, or ``kept`` for a questioned coding left as it was) and of
:data:`CODEBOOK_CHANGES` for the codebook (``redefined``, ``theme added``, ``not added``,
``retired``). ``old`` and ``new`` hold the values before and after (a status, or the code id that
was added or removed). The log is replayed in file order: after it, every ``added`` coding that
was not later removed must be in the codings, and every ``removed`` one that was not added again
must not be.

Example:
    >>> log = load_decisions("data/decisions.csv")
    >>> sorted(set(log["change"]) - set(CODING_CHANGES) - set(CODEBOOK_CHANGES))
    []
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .codings import read_csv_rows
from .errors import ProblemLog

LOG_COLUMNS = ["date", "coder", "unit_id", "code_id", "change", "old", "new", "reason"]
CODING_CHANGES = ("added", "removed", "status", "memo", "kept")
CODEBOOK_CHANGES = ("redefined", "theme added", "not added", "retired")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def load_decisions(path: str | Path, log: ProblemLog | None = None) -> pd.DataFrame:
    """Read the decision log: one row per change, in file order, with ``row`` (its line).

    Every row needs a date (YYYY-MM-DD), a known ``change`` and a reason; a coding change names its
    coder, unit and code. Problems are added to ``log``, or raised together without one.
    """
    own = log is None
    log = log if log is not None else ProblemLog()
    path = Path(path)
    rows = read_csv_rows(path, ["date", "change", "reason"], log)
    records = []
    for line, rec in rows:
        where = f"row {line}"
        values = {c: (rec.get(c) or "").strip() for c in LOG_COLUMNS}
        if not DATE_RE.match(values["date"]):
            log.add(str(path), where, f"date {values['date']!r} is not YYYY-MM-DD", "write the date of the change")
        if values["change"] not in CODING_CHANGES + CODEBOOK_CHANGES:
            log.add(
                str(path),
                where,
                f"unknown change {values['change']!r}",
                "use one of " + ", ".join(CODING_CHANGES + CODEBOOK_CHANGES),
            )
        elif values["change"] in CODING_CHANGES and values["unit_id"] and not (values["coder"] and values["code_id"]):
            log.add(str(path), where, "a change to a coding names its coder, unit and code", "fill coder and code_id")
        if not values["reason"]:
            log.add(str(path), where, "no reason", "say why the change was made")
        records.append({**values, "row": line})
    if own:
        log.raise_if_any()
    return pd.DataFrame(records, columns=LOG_COLUMNS + ["row"])


def empty_decisions() -> pd.DataFrame:
    """The decision log with no rows (a data directory without ``decisions.csv``)."""
    return pd.DataFrame(columns=LOG_COLUMNS + ["row"])


def check_decisions(decisions: pd.DataFrame, codings: pd.DataFrame, codes: pd.DataFrame) -> list[str]:
    """Replay the log and compare it with the codings: every way they disagree, as sentences.

    After the log, a coding last ``added`` must be present, one last ``removed`` absent; a
    ``status`` change's ``new`` value must be the coding's status unless a later row changes it; a
    ``retired`` code must be gone from the codebook, an added theme present.

    >>> log = pd.DataFrame([{"date": "2009-04-01", "coder": "r", "unit_id": "a.p04", "code_id": "goals",
    ...                      "change": "added", "old": "", "new": "goals", "reason": "x", "row": 2}])
    >>> check_decisions(log, pd.DataFrame(columns=["coder", "unit_id", "code_id", "status"]), pd.DataFrame(
    ...     {"code_id": ["goals"]}))
    ["row 2: r's coding of a.p04 to goals was added, but it is not in the codings"]
    """
    present = {
        (c, u, k): s
        for c, u, k, s in zip(codings["coder"], codings["unit_id"], codings["code_id"], codings["status"].fillna(""))
    }
    last: dict[tuple[str, str, str], tuple[str, int]] = {}
    last_status: dict[tuple[str, str, str], tuple[str, int]] = {}
    problems = []
    known = set(codes["code_id"])
    for rec in decisions.itertuples(index=False):
        key = (rec.coder, rec.unit_id, rec.code_id)
        if rec.change in ("added", "removed") and rec.unit_id:
            last[key] = (rec.change, rec.row)
        elif rec.change == "status" and rec.unit_id:
            last_status[key] = (rec.new, rec.row)
        elif rec.change == "retired" and rec.code_id in known:
            problems.append(f"row {rec.row}: {rec.code_id} is retired, but it is still in the codebook")
        elif rec.change == "theme added" and rec.code_id not in known:
            problems.append(f"row {rec.row}: theme {rec.code_id} was added, but it is not in the codebook")
    for (coder, unit, code), (change, row) in last.items():
        if change == "added" and (coder, unit, code) not in present:
            problems.append(f"row {row}: {coder}'s coding of {unit} to {code} was added, but it is not in the codings")
        if change == "removed" and (coder, unit, code) in present:
            problems.append(f"row {row}: {coder}'s coding of {unit} to {code} was removed, but it is still coded")
    for (coder, unit, code), (status, row) in last_status.items():
        if (coder, unit, code) in present and present[(coder, unit, code)] != status:
            problems.append(
                f"row {row}: {coder}'s coding of {unit} to {code} was given status {status!r}, "
                f"but its status is {present[(coder, unit, code)]!r}"
            )
    return problems


def decision_summary(decisions: pd.DataFrame) -> pd.DataFrame:
    """How many changes of each kind, per coder (``""``: the codebook): ``coder, change, changes``.

    >>> decision_summary(load_decisions("data/decisions.csv")).columns.tolist()
    ['coder', 'change', 'changes']
    """
    order = {c: i for i, c in enumerate(CODEBOOK_CHANGES + CODING_CHANGES)}
    out = decisions.groupby(["coder", "change"], sort=False).size().rename("changes").reset_index()
    out["coder"] = out["coder"].replace("", "(codebook)")
    out = out.sort_values(["coder", "change"], key=lambda s: s.map(order) if s.name == "change" else s)
    return out.reset_index(drop=True)
