"""Analyses of link data: how each partnership ties transformational to transactional practice.

This module owns every result computed from ``corpus.links`` (see :mod:`lspkit.links`): the link
matrix of a case, chains of links, the cross-case meta-matrix of link kinds, one-sided practice
(the negative evidence), retrieval of the links behind any cell, and agreement between two coders'
links. Each function takes a :class:`~lspkit.corpus.Corpus` and returns a tidy DataFrame.

A *cross-dimension* link joins a transformational element (staff and skills, style, synergies) to a
transactional one (standards, steering, systems): those are the links the research question asks
about. Links within a dimension and links with the super-ordinate goals are kept and reported apart.

Example:
    >>> import lspkit
    >>> m = link_matrix(lspkit.load_corpus().case("bolton"))
    >>> list(m.columns)
    ['case_id', 'source', 'target', 'explicit', 'inferred', 'links']
"""

from __future__ import annotations

from typing import Literal, Sequence

import numpy as np
import pandas as pd

from .corpus import Corpus
from .errors import LspkitError, Problem
from .vocabulary import EVIDENCE_KINDS

ARROW = " → "
BOTH = " ↔ "


def _links(corpus: Corpus, coder: str | None, cross: bool | None = None) -> pd.DataFrame:
    links = corpus.links
    if coder is not None:
        corpus.check_coder(coder)
        links = links[links["coder"] == coder]
    if cross is not None:
        links = links[links["cross"] == cross]
    return links


def _element_order(corpus: Corpus) -> list[str]:
    return list(corpus.elements)


def coders_with_links(corpus: Corpus, coders: Sequence[str] | None = None) -> list[str]:
    """The coders (of ``coders``, or of the registry) that have recorded at least one link, in order.

    >>> import lspkit
    >>> coders_with_links(lspkit.load_corpus(), ["structure", "researcher"])
    ['researcher']
    """
    having = set(corpus.links["coder"])
    return [c for c in (coders if coders is not None else corpus.coder_ids) if c in having]


def link_label(source: str, target: str, direction: str, labels: dict[str, str] | None = None) -> str:
    """``Staff and skills → Synergies`` (one-way) or ``Staff and skills ↔ Synergies`` (mutual).

    >>> link_label("staff_skills", "synergies", "mutual")
    'staff_skills ↔ synergies'
    """
    labels = labels or {}
    return labels.get(source, source) + (BOTH if direction == "mutual" else ARROW) + labels.get(target, target)


def link_matrix(corpus: Corpus, coder: str = "researcher", *, cross: bool | None = None) -> pd.DataFrame:
    """Links per case and ordered element pair, explicit and inferred counted apart.

    One row per case, source and target that has a link: ``case_id, source, target, explicit,
    inferred, links``. A mutual link is counted once, under the pair as coded. ``cross=True``
    keeps only cross-dimension links, ``False`` only the others.
    """
    links = _links(corpus, coder, cross)
    columns = ["case_id", "source", "target", "explicit", "inferred", "links"]
    if links.empty:
        empty = pd.DataFrame({c: pd.Series(dtype=object if i < 3 else "int64") for i, c in enumerate(columns)})
        empty.attrs["empty"] = f"No links: coder {coder!r} has recorded none here."
        return empty
    counts = (
        links.groupby(["case_id", "source", "target", "evidence"])
        .size()
        .unstack("evidence", fill_value=0)
        .reindex(columns=["explicit", "inferred"], fill_value=0)
    )
    counts["links"] = counts["explicit"] + counts["inferred"]
    out = counts.reset_index()
    out.columns.name = None
    order = {e: i for i, e in enumerate(_element_order(corpus))}
    case_order = {c: i for i, c in enumerate(corpus.case_ids)}
    out = out.sort_values(
        ["case_id", "source", "target"],
        key=lambda s: s.map(case_order if s.name == "case_id" else order),
        kind="stable",
    )
    return out[columns].astype({"explicit": "int64", "inferred": "int64", "links": "int64"}).reset_index(drop=True)


def link_matrix_wide(matrix: pd.DataFrame, elements: Sequence[str], value: str = "links") -> pd.DataFrame:
    """One case's :func:`link_matrix` as a source × target table of ``value`` (zeros where none)."""
    table = matrix.pivot_table(index="source", columns="target", values=value, aggfunc="sum", fill_value=0)
    table = table.reindex(index=list(elements), columns=list(elements), fill_value=0).astype("int64")
    table.index.name, table.columns.name = "source", "target"
    return table


def link_summary(corpus: Corpus, coder: str = "researcher") -> pd.DataFrame:
    """Per case: links in all and across the two dimensions, which way the cross-dimension links run,
    explicit and inferred, and how many report achieved practice, practice in progress or an aim.

    ``to_transactional`` counts one-way cross-dimension links from a transformational element to a
    transactional one, ``to_transformational`` the other way, ``mutual`` the mutual ones.
    """
    links = _links(corpus, coder)
    cross = links["cross"].astype(bool)
    tf_source = links["source_dimension"] == "transformational"
    one_way = links["direction"] == "one-way"
    rows = []
    for case_id in corpus.case_ids:
        here = links["case_id"] == case_id
        rows.append(
            {
                "case_id": case_id,
                "links": int(here.sum()),
                "cross_dimension": int((here & cross).sum()),
                "to_transactional": int((here & cross & one_way & tf_source).sum()),
                "to_transformational": int((here & cross & one_way & ~tf_source).sum()),
                "mutual": int((here & cross & ~one_way).sum()),
                "explicit": int((here & (links["evidence"] == "explicit")).sum()),
                "inferred": int((here & (links["evidence"] == "inferred")).sum()),
                "achieved": int((here & (links["status"] == "achieved")).sum()),
                "in_progress": int((here & (links["status"] == "in_progress")).sum()),
                "aim": int((here & (links["status"] == "aim")).sum()),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "case_id",
            "links",
            "cross_dimension",
            "to_transactional",
            "to_transformational",
            "mutual",
            "explicit",
            "inferred",
            "achieved",
            "in_progress",
            "aim",
        ],
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _cites(citations: Sequence[str], short: str) -> str:
    """Citations of several links of one case, the case's name once: 'Bolton ¶9; ¶12'."""
    parts = [c[len(short) :].lstrip(", ") if i and c.startswith(short) else c for i, c in enumerate(citations)]
    return "; ".join(parts)


def cross_link_kinds(links: pd.DataFrame) -> pd.DataFrame:
    """The kinds of link (source, target, relation) among ``links`` (rows of ``corpus.links``), each
    with ``n`` (how many) and ``cites`` (their citations in document order), the commonest first and
    ties in the order the document first gives them."""
    return (
        links.groupby(["source", "target", "relation"], sort=False)
        .agg(n=("link_id", "size"), cites=("citation", list))
        .reset_index()
        .sort_values("n", ascending=False, kind="stable")
        .reset_index(drop=True)
    )


def link_findings(corpus: Corpus, coder: str = "researcher", *, top: int = 3) -> pd.DataFrame:
    """The answer the link data give to the research question, stated in sentences from the tables.

    Per case: how many links join the two dimensions and which way they run, the ``top``
    commonest kinds of cross-dimension link with their citations, and how many of them are aims
    rather than achieved practice. Across cases: the kinds of cross-dimension link that recur in
    every case. One row per finding: ``case_id`` (``"all cases"`` for the cross-case ones),
    ``finding`` and ``basis`` (the table it comes from). Nothing here is typed by hand, so the
    sentences change with the codings and the parameters.
    """
    summary = link_summary(corpus, coder).set_index("case_id")
    links = _links(corpus, coder, cross=True)
    names = dict(zip(corpus.cases["case_id"], corpus.cases["short_name"]))
    labels = dict(zip(corpus.codes["code_id"], corpus.codes["label"].str.lower()))
    rows = []
    for case_id in corpus.case_ids:
        s, name = summary.loc[case_id], names.get(case_id, case_id)
        if s["links"] == 0:
            rows.append((case_id, f"{name}: the coder {coder!r} has recorded no links.", "link summary"))
            continue
        ways = [
            f"{s['to_transactional']} from transformational to transactional practice",
            f"{s['to_transformational']} from transactional to transformational practice",
        ]
        if s["mutual"]:
            ways.append(f"{s['mutual']} mutual")
        rows.append(
            (
                case_id,
                f"{name}: {s['cross_dimension']} of its {s['links']} links join the two dimensions "
                f"({'; '.join(ways)}).",
                "link summary",
            )
        )
        part = links[links["case_id"] == case_id]
        if part.empty:
            continue
        kinds = cross_link_kinds(part).head(top)
        listed = [
            f"{labels.get(k.source, k.source)} → {labels.get(k.target, k.target)} ({k.relation.replace('_', ' ')}, "
            f"{k.n} link{'s' if k.n > 1 else ''}: {_cites(k.cites, name)})"
            for k in kinds.itertuples()
        ]
        if kinds["n"].max() > 1:
            opening = f"{name}: the kinds of cross-dimension link it records most often are "
        else:
            opening = (
                f"{name}: no kind of cross-dimension link occurs twice; the first {len(listed)} in the document are "
            )
        rows.append((case_id, opening + "; ".join(listed) + ".", "link meta-matrix"))
        aims = part[part["status"] != "achieved"]
        if len(aims):
            rows.append(
                (
                    case_id,
                    f"{name}: {len(aims)} of the {len(part)} cross-dimension links are not yet achieved "
                    f"practice ({_count(int((aims['status'] == 'aim').sum()), 'aim')}, "
                    f"{int((aims['status'] == 'in_progress').sum())} in progress: "
                    f"{_cites(list(aims['citation']), name)}).",
                    "links",
                )
            )
    if len(corpus.case_ids) > 1 and not links.empty:
        meta = link_meta_matrix(corpus, coder)
        everywhere = meta[meta["cases"] == len(corpus.case_ids)]
        kinds_text = (
            ", ".join(
                f"{labels.get(r.source, r.source)} → {labels.get(r.target, r.target)} ({r.relation.replace('_', ' ')})"
                for r in everywhere.itertuples()
            )
            or "none"
        )
        rows.append(
            (
                "all cases",
                f"{len(everywhere)} of the {len(meta)} kinds of cross-dimension link (element pair and "
                f"relation) recur in all {len(corpus.case_ids)} cases: {kinds_text}.",
                "link meta-matrix",
            )
        )
    return pd.DataFrame(rows, columns=["case_id", "finding", "basis"])


def _ends(row) -> list[tuple[str, str]]:
    """The (from, to) steps a link allows: source to target, and back again when mutual."""
    steps = [(row.source, row.target)]
    if row.direction == "mutual":
        steps.append((row.target, row.source))
    return steps


def link_chains(
    corpus: Corpus,
    coder: str = "researcher",
    *,
    thread: Literal["unit", "heading", "element"] = "unit",
    max_steps: int = 6,
) -> pd.DataFrame:
    """Chains of two or more links within a case, each link's target the next link's source.

    A chain follows one thread of practice. With ``thread="unit"`` (the default) two consecutive
    links must rest on at least one common unit, so that the chain stays with the passage that
    carries the practice on. ``thread="heading"`` asks only for units under a common heading of the
    document, and ``thread="element"`` joins any links of the case by element alone: both are
    looser, and apt to stitch together paragraphs about different practices. A mutual link may be followed either
    way; no element is visited twice and only maximal chains are listed (none that is part of a
    longer one). Columns: ``case_id, path, elements, steps, links, crosses, citations``: ``links``
    and ``citations`` give each step's link id and units in order (``|`` between steps);
    ``crosses`` says whether the chain joins the two dimensions. Sorted by case, longest first.
    """
    links = _links(corpus, coder)
    if thread not in ("unit", "heading", "element"):
        raise LspkitError(
            [Problem("parameter thread", "", f"unknown thread {thread!r}", "use 'unit', 'heading' or 'element'")]
        )
    dims = dict(zip(corpus.codes["code_id"], corpus.codes["dimension"].astype(object)))
    heading = dict(zip(corpus.units["unit_id"], corpus.units["heading"]))
    rows = []
    for case_id in corpus.case_ids:
        part = list(links[links["case_id"] == case_id].itertuples(index=False))
        threads = [set(u) if thread == "unit" else {heading[x] for x in u} for u in (r.unit_ids for r in part)]
        found: list[tuple[tuple[str, ...], tuple[int, ...]]] = []

        def extend(elements: list[str], used: list[int]) -> None:
            grew = False
            if len(used) < max_steps:
                for j, row in enumerate(part):
                    if j in used or (thread != "element" and not threads[j] & threads[used[-1]]):
                        continue
                    for a, b in _ends(row):
                        if a == elements[-1] and b not in elements:
                            grew = True
                            extend(elements + [b], used + [j])
            if not grew and len(used) >= 2:
                found.append((tuple(elements), tuple(used)))

        for i, row in enumerate(part):
            for a, b in _ends(row):
                extend([a, b], [i])
        found = list(dict.fromkeys(found))
        maximal = [f for f in found if not any(len(g[1]) > len(f[1]) and _contained(f[1], g[1]) for g in found)]
        for elements, used in maximal:
            visited = {dims.get(e) for e in elements}
            rows.append(
                {
                    "case_id": case_id,
                    "path": ARROW.join(elements),
                    "elements": elements,
                    "steps": len(used),
                    "links": " | ".join(part[i].link_id for i in used),
                    "crosses": {"transformational", "transactional"} <= visited,
                    "citations": " | ".join(part[i].citation for i in used),
                }
            )
    frame = pd.DataFrame(rows, columns=["case_id", "path", "elements", "steps", "links", "crosses", "citations"])
    frame = frame.astype({"steps": "int64", "crosses": bool})
    frame.attrs["empty"] = f"No chains: no two links of coder {coder!r} in a case follow on from each other" + (
        " while resting on a common unit." if thread == "unit" else "."
    )
    case_order = {c: i for i, c in enumerate(corpus.case_ids)}
    frame = frame.assign(_c=frame["case_id"].map(case_order))
    return (
        frame.sort_values(["_c", "steps", "links"], ascending=[True, False, True], kind="stable")
        .drop(columns="_c")
        .reset_index(drop=True)
    )


def _contained(short: tuple, long: tuple) -> bool:
    n = len(short)
    return any(long[i : i + n] == short for i in range(len(long) - n + 1))


def link_meta_matrix(
    corpus: Corpus,
    coder: str = "researcher",
    *,
    cross: bool | None = True,
    by: Sequence[str] = ("source", "target", "relation"),
) -> pd.DataFrame:
    """Which kinds of link recur in which cases: one row per kind of link, one column per case.

    A kind of link (column ``link``, as a label) is its ``by`` fields (element pair and relation by
    default). Each case's cell holds the citations of its links of that kind (one line each, ``""`` where it has none);
    ``cases`` counts the cases with at least one, ``links`` the links in all. Sorted by ``cases``,
    then ``links``, most recurrent first. ``cross=True`` (default) keeps cross-dimension links.
    """
    links = _links(corpus, coder, cross)
    by = list(by)
    if links.empty:
        empty = pd.DataFrame(columns=["link", *by, "cases", "links", *corpus.case_ids])
        empty.attrs["empty"] = f"No links: coder {coder!r} has recorded none of this kind."
        return empty
    rows = []
    for key, group in links.groupby(by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key))
        direction = "mutual" if (group["direction"] == "mutual").all() else "one-way"
        link = link_label(row.get("source", ""), row.get("target", ""), direction)
        if "relation" in row:
            link += f" ({row['relation']})"
        row.update(link=link, cases=group["case_id"].nunique(), links=len(group))
        for case_id in corpus.case_ids:
            row[case_id] = "\n".join(group.loc[group["case_id"] == case_id, "citation"])
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["link", *by, "cases", "links", *corpus.case_ids])
    return frame.sort_values(["cases", "links", "link"], ascending=[False, False, True], kind="stable").reset_index(
        drop=True
    )


def one_sided(corpus: Corpus, coder: str = "researcher", *, kinds: Sequence[str] = EVIDENCE_KINDS) -> pd.DataFrame:
    """Evidence units that report practice of one dimension only, with no cross-dimension link.

    A unit is one-sided when the coder gave it elements of the transformational dimension or of the
    transactional one but not both, and no cross-dimension link of the coder rests on it: the
    negative evidence for the research question. Columns: ``case_id, unit_id, citation, dimension,
    elements, text``, in document order.
    """
    corpus.check_coder(coder)
    codes = corpus.codes.set_index("code_id")
    codings = corpus.codings[corpus.codings["coder"] == coder]
    codings = codings[codings["code_id"].map(codes["code_kind"]).eq("element")]
    dims = codings["code_id"].map(codes["dimension"])
    linked = {u for ids in _links(corpus, coder, cross=True)["unit_ids"] for u in ids}
    units = corpus.units.set_index("unit_id")
    rows = []
    for unit_id, group in codings.assign(dimension=dims).groupby("unit_id", sort=False):
        unit = units.loc[unit_id]
        if unit["boilerplate"] or unit["kind"] not in kinds or unit_id in linked:
            continue
        present = set(group["dimension"]) & {"transformational", "transactional"}
        if len(present) != 1:
            continue
        elements = [e for e in corpus.elements if e in set(group["code_id"]) and codes.loc[e, "dimension"] in present]
        rows.append(
            {
                "case_id": unit["case_id"],
                "unit_id": unit_id,
                "citation": unit["citation"],
                "dimension": present.pop(),
                "elements": ", ".join(elements),
                "text": unit["text"],
            }
        )
    order = {u: i for i, u in enumerate(corpus.units["unit_id"])}
    frame = pd.DataFrame(rows, columns=["case_id", "unit_id", "citation", "dimension", "elements", "text"])
    frame = frame.iloc[np.argsort(frame["unit_id"].map(order).to_numpy(), kind="stable")].reset_index(drop=True)
    frame.attrs["empty"] = (
        f"No one-sided units: every unit that coder {coder!r} gives elements of one dimension only "
        "has a cross-dimension link resting on it (or the coder has recorded no links)."
    )
    return frame


def retrieve_links(
    corpus: Corpus,
    *,
    case_id: str | None = None,
    source: str | None = None,
    target: str | None = None,
    relation: str | None = None,
    coder: str | None = "researcher",
    cross: bool | None = None,
    undirected: bool = False,
) -> pd.DataFrame:
    """The links behind any cell, with citations, memos and the exact text of every unit they rest on.

    Filters are optional; ``undirected=True`` matches a pair whichever way it was coded. Columns:
    ``link_id, citation, case_id, coder, source, target, direction, relation, evidence, status,
    memo, text``; ``text`` holds each unit's citation and exact text from the raw file, one unit per
    paragraph of the cell.
    """
    links = _links(corpus, coder, cross)
    if case_id is not None:
        corpus.check_case(case_id)
        links = links[links["case_id"] == case_id]
    elements = set(corpus.elements)
    for name, value in (("source", source), ("target", target)):
        if value is not None and value not in elements:
            raise LspkitError(
                [
                    Problem(
                        f"parameter {name}",
                        "",
                        f"{value!r} is not a 7S element",
                        "valid elements: " + ", ".join(corpus.elements),
                    )
                ]
            )
    if source is not None or target is not None:
        fwd = pd.Series(True, index=links.index)
        if source is not None:
            fwd &= links["source"] == source
        if target is not None:
            fwd &= links["target"] == target
        if undirected:
            back = pd.Series(True, index=links.index)
            if source is not None:
                back &= links["target"] == source
            if target is not None:
                back &= links["source"] == target
            fwd |= back
        links = links[fwd]
    if relation is not None:
        links = links[links["relation"] == relation]
    citation = dict(zip(corpus.units["unit_id"], corpus.units["citation"]))
    texts = ["\n\n".join(f"{citation[u]}: {corpus.raw_span(u)}" for u in ids) for ids in links["unit_ids"]]
    out = links[
        [
            "link_id",
            "citation",
            "case_id",
            "coder",
            "source",
            "target",
            "direction",
            "relation",
            "evidence",
            "status",
            "memo",
        ]
    ].copy()
    out["text"] = texts
    out = out.reset_index(drop=True)
    out.attrs["empty"] = f"No links: coder {coder!r} has recorded none that match." if coder else "No links match."
    return out


def link_agreement(
    corpus: Corpus, coders: Sequence[str], *, by: Literal["pair", "pair_direction"] = "pair_direction"
) -> pd.DataFrame:
    """Agreement between two coders' links, per case and overall.

    A link of one coder is *matched* when the other coder has a link on at least one of the same
    units that joins the same two elements (and, with ``by="pair_direction"``, in the same
    direction: the same source and target, or both mutual). Columns: ``case_id, links_a, links_b,
    matched_a, matched_b, agreement`` where ``agreement = (matched_a + matched_b) / (links_a +
    links_b)`` (positive agreement; ``NaN`` where neither coder has links). It shows whether the
    coders see the same ties in the same passages; it cannot show agreement on links neither coder
    recorded.
    """
    if len(coders) != 2:
        raise LspkitError(
            [
                Problem(
                    "parameter coders",
                    "",
                    f"needs exactly two coders, got {len(coders)}",
                    "e.g. coders=['researcher', 'anna']",
                )
            ]
        )
    a, b = (_links(corpus, c) for c in coders)

    def key(row) -> tuple:
        if by == "pair" or row.direction == "mutual":
            return tuple(sorted((row.source, row.target))) + (("mutual",) if by != "pair" else ())
        return (row.source, row.target)

    def matched(mine: pd.DataFrame, theirs: pd.DataFrame) -> int:
        index: dict[tuple, set[str]] = {}
        for row in theirs.itertuples():
            index.setdefault(key(row), set()).update(row.unit_ids)
        return sum(1 for row in mine.itertuples() if index.get(key(row), set()) & set(row.unit_ids))

    rows = []
    for case_id in [*corpus.case_ids, None]:
        pa = a if case_id is None else a[a["case_id"] == case_id]
        pb = b if case_id is None else b[b["case_id"] == case_id]
        ma, mb = matched(pa, pb), matched(pb, pa)
        total = len(pa) + len(pb)
        rows.append(
            {
                "case_id": case_id or "all cases",
                "links_a": len(pa),
                "links_b": len(pb),
                "matched_a": ma,
                "matched_b": mb,
                "agreement": (ma + mb) / total if total else float("nan"),
            }
        )
    return pd.DataFrame(rows, columns=["case_id", "links_a", "links_b", "matched_a", "matched_b", "agreement"])
