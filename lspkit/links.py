"""Link data: how a coder reads one 7S element's practice as tied to another's.

This module owns reading, checking and writing ``links/<coder>.csv``. A link is a coded claim that
the practice of one element (``source``) bears on the practice of another (``target``) in one case,
resting on one or more units of that case, which may stand in different paragraphs::

    link_id,unit_ids,source,target,direction,relation,evidence,status,coder,memo
    bolton.L03,bolton.p08 bolton.lp1,staff_skills,synergies,one-way,leads_to,explicit,achieved,researcher,"..."

* ``unit_ids``: the units it rests on, separated by spaces, all of one case;
* ``source``/``target``: 7S element ids (two different elements);
* ``direction``: ``one-way`` (source to target) or ``mutual``;
* ``relation``: one of the codebook's ``relations`` (enables, funds, ...);
* ``evidence``: ``explicit`` when the text states the connection, ``inferred`` when the coder does;
* ``status``: ``achieved``, ``in_progress`` or ``aim``;
* ``memo``: required; what in the text grounds the link.

Every problem in every file is reported at once, naming the file and row.

Example:
    >>> import lspkit
    >>> links = lspkit.load_corpus().links
    >>> list(links.columns[:6])
    ['link_id', 'coder', 'case_id', 'unit_ids', 'source', 'target']
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Mapping

import pandas as pd

from .codings import atomic_write_bytes, read_csv_rows
from .errors import ProblemLog
from .vocabulary import STATUSES  # noqa: F401  (a link's status: the same vocabulary as a coding's)

LINK_FILE_COLUMNS = [
    "link_id",
    "unit_ids",
    "source",
    "target",
    "direction",
    "relation",
    "evidence",
    "status",
    "coder",
    "memo",
]
LINK_COLUMNS = [
    "link_id",
    "coder",
    "case_id",
    "unit_ids",
    "source",
    "target",
    "direction",
    "relation",
    "evidence",
    "status",
    "memo",
    "citation",
    "source_dimension",
    "target_dimension",
    "cross",
]
DIRECTIONS = ("one-way", "mutual")
EVIDENCE = ("explicit", "inferred")
LINK_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\.L\d+$")


def empty_links() -> pd.DataFrame:
    """A link frame with no rows and the columns of :data:`LINK_COLUMNS`."""
    return pd.DataFrame({c: pd.Series(dtype=bool if c == "cross" else object) for c in LINK_COLUMNS})


def read_link_files(directory: str | Path, log: ProblemLog) -> list[tuple[str, int, dict[str, str]]]:
    """Every row of every ``*.csv`` in ``directory`` as (file, row number, record), in file order."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    rows = []
    for path in sorted(directory.glob("*.csv")):
        if not path.is_file():
            log.add(str(path), "", "is a folder, not a link file", "move or rename the folder")
            continue
        rows += [(str(path), line, rec) for line, rec in read_csv_rows(path, LINK_FILE_COLUMNS, log)]
    return rows


def link_citation(citations: list[str], short_name: str) -> str:
    """One citation for several units of a case: the case's short name once.

    >>> link_citation(["Bolton ¶9", "Bolton ¶12", "Bolton, learning point 1"], "Bolton")
    'Bolton ¶9, ¶12, learning point 1'
    """
    parts = []
    for i, citation in enumerate(citations):
        if i and citation.startswith(short_name):
            citation = citation[len(short_name) :].lstrip(", ")
        parts.append(citation)
    return ", ".join(parts)


def check_links(
    rows: list[tuple[str, int, dict[str, str]]],
    units: pd.DataFrame,
    codes: pd.DataFrame,
    coders: pd.DataFrame,
    relations: Mapping[str, str],
    short_names: Mapping[str, str],
    log: ProblemLog,
    *,
    absent_cases: Iterable[str] = (),
) -> pd.DataFrame:
    """Validate link rows against the units, the 7S elements, the coders and the relation vocabulary.

    Returns the valid links as a frame with :data:`LINK_COLUMNS`; every invalid row is reported.
    Rows that cannot be checked because the codebook or the coder registry is unusable, or that
    rest on a case whose text is missing (``absent_cases``), are left out without a problem of their
    own: the missing piece is reported once, where it is.
    """
    if codes.empty or coders.empty:
        return empty_links()
    absent = set(absent_cases)
    rows = [r for r in rows if not any(u.split(".", 1)[0] in absent for u in r[2]["unit_ids"].split())]
    unit_case = dict(zip(units["unit_id"], units["case_id"]))
    boilerplate = set(units.loc[units["boilerplate"].astype(bool), "unit_id"])
    order = {u: i for i, u in enumerate(units["unit_id"])}
    citation = dict(zip(units["unit_id"], units["citation"]))
    elements = codes[codes["code_kind"] == "element"]
    dimension = dict(zip(elements["code_id"], elements["dimension"]))
    coder_kind = dict(zip(coders["coder"], coders["kind"]))
    seen_ids: dict[tuple[str, str], str] = {}
    seen_links: dict[tuple, str] = {}
    records = []
    for file, line, rec in rows:
        where = f"row {line}"
        bad = False

        def problem(message: str, hint: str = "") -> None:
            nonlocal bad
            bad = True
            log.add(file, where, message, hint)

        coder, link_id = rec["coder"], rec["link_id"]
        stem = Path(file).stem
        if coder != stem:
            problem(f"coder {coder!r} in the file of coder {stem!r}", f"links/{stem}.csv holds only {stem}'s links")
        elif coder not in coder_kind:
            problem(f"unknown coder {coder!r}", "register the coder in coders.csv first")
        elif coder_kind[coder] == "derived":
            problem(f"coder {coder!r} is derived, never typed", "record links under a human coder")
        ids = rec["unit_ids"].split()
        unknown = [u for u in ids if u not in unit_case]
        if not ids:
            problem("no unit ids", "give the unit or units the link rests on, separated by spaces")
        elif unknown:
            problem(f"unknown unit(s) {', '.join(map(repr, unknown))}", "use unit ids from corpus.units")
        cases = sorted({unit_case[u] for u in ids if u in unit_case})
        if len(cases) > 1:
            problem(f"units from more than one case ({', '.join(cases)})", "a link rests on units of one case")
        if any(u in boilerplate for u in ids):
            problem(
                f"unit(s) {', '.join(repr(u) for u in ids if u in boilerplate)} are boilerplate, never evidence",
                "cite the case's own paragraphs",
            )
        if len(set(ids)) != len(ids):
            problem("a unit is listed twice", "list each unit once")
        if not LINK_ID_RE.match(link_id):
            problem(f"link id {link_id!r} is not of the form <case-id>.L<number>", "e.g. bolton.L07")
        elif cases and not link_id.startswith(cases[0] + "."):
            problem(f"link id {link_id!r} does not start with its case id {cases[0]!r}", f"e.g. {cases[0]}.L07")
        elif (coder, link_id) in seen_ids:
            problem(f"duplicate link id {link_id!r}", f"first used at {seen_ids[(coder, link_id)]}")
        for name in ("source", "target"):
            if rec[name] not in dimension:
                problem(f"{name} {rec[name]!r} is not a 7S element", f"use one of {', '.join(dimension)}")
        if rec["source"] == rec["target"] and rec["source"] in dimension:
            problem(f"source and target are both {rec['source']!r}", "a link joins two different elements")
        for name, allowed in (
            ("direction", DIRECTIONS),
            ("evidence", EVIDENCE),
            ("status", STATUSES),
            ("relation", tuple(relations)),
        ):
            if rec[name] not in allowed:
                problem(
                    f"{name} {rec[name]!r} is not one of {', '.join(allowed)}",
                    "define new relations in codebook.yml under 'relations'" if name == "relation" else "",
                )
        if not rec["memo"]:
            problem("the memo is empty", "say what in the text grounds the link")
        ordered = tuple(sorted(ids, key=lambda u: order.get(u, -1)))
        key = (coder, ordered, rec["source"], rec["target"], rec["direction"], rec["relation"])
        if key in seen_links and not bad:
            problem(
                "duplicates another link (same units, elements, direction and relation)",
                f"first recorded at {seen_links[key]}",
            )
        if bad:
            continue
        seen_ids[(coder, link_id)] = f"{Path(file).name} {where}"
        seen_links[key] = f"{Path(file).name} {where}"
        case_id = cases[0]
        source_dim, target_dim = dimension[rec["source"]], dimension[rec["target"]]
        records.append(
            {
                "link_id": link_id,
                "coder": coder,
                "case_id": case_id,
                "unit_ids": ordered,
                "source": rec["source"],
                "target": rec["target"],
                "direction": rec["direction"],
                "relation": rec["relation"],
                "evidence": rec["evidence"],
                "status": rec["status"],
                "memo": rec["memo"],
                "citation": link_citation([citation[u] for u in ordered], short_names.get(case_id, case_id)),
                "source_dimension": source_dim,
                "target_dimension": target_dim,
                "cross": {source_dim, target_dim} == {"transformational", "transactional"},
            }
        )
    if not records:
        return empty_links()
    frame = pd.DataFrame.from_records(records, columns=LINK_COLUMNS)
    first_unit = frame["unit_ids"].map(lambda ids: order[ids[0]])
    number = frame["link_id"].str.rsplit(".L", n=1).str[1].astype(int)
    return (
        frame.assign(_u=first_unit, _n=number)
        .sort_values(["coder", "_u", "_n"], kind="stable")
        .drop(columns=["_u", "_n"])
        .reset_index(drop=True)
    )


def write_links(links: pd.DataFrame, path: str | Path) -> Path:
    """Write one coder's links as CSV (``unit_ids`` joined by spaces), atomically.

    >>> import io, tempfile
    >>> frame = pd.DataFrame([{"link_id": "bolton.L01", "unit_ids": ("bolton.p08",), "source": "staff_skills",
    ...     "target": "synergies", "direction": "one-way", "relation": "leads_to", "evidence": "explicit",
    ...     "status": "achieved", "coder": "ann", "memo": "Joint post"}])
    >>> print(write_links(frame, Path(tempfile.mkdtemp()) / "ann.csv").read_text(), end="")
    link_id,unit_ids,source,target,direction,relation,evidence,status,coder,memo
    bolton.L01,bolton.p08,staff_skills,synergies,one-way,leads_to,explicit,achieved,ann,Joint post
    """
    table = links[LINK_FILE_COLUMNS].copy()
    table["unit_ids"] = table["unit_ids"].map(" ".join)
    return atomic_write_bytes(path, table.to_csv(index=False, lineterminator="\n").encode("utf-8"))
