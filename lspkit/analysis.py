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
from typing import Iterable, Literal, Sequence

import numpy as np
import pandas as pd

from .corpus import Corpus
from .errors import LspkitError, Problem
from .reliability import cohen_kappa  # noqa: F401  (moved to lspkit.reliability; kept importable here)

EVIDENCE_KINDS = ("paragraph", "quote", "learning_point")
NARRATIVE_KINDS = ("paragraph", "quote")
UNIT_SETS = {"narrative": NARRATIVE_KINDS, "learning points": ("learning_point",)}
TF, TC = "transformational", "transactional"


# -- helpers -----------------------------------------------------------------------------------

def _evidence_units(corpus: Corpus, kinds: Sequence[str]) -> pd.DataFrame:
    units = corpus.units
    return units[~units["boilerplate"] & units["kind"].isin(kinds)]


def _codings(corpus: Corpus, coder: str, code_kind: str | None = None) -> pd.DataFrame:
    """One coder's codings joined to the code's kind, element and dimension."""
    corpus.check_coder(coder)
    codings = corpus.codings[corpus.codings["coder"] == coder][["unit_id", "code_id", "memo"]]
    codes = corpus.codes[["code_id", "label", "kind", "element", "dimension"]]
    out = codings.merge(codes, on="code_id", how="inner")
    if code_kind is not None:
        out = out[out["kind"] == code_kind]
    return out


def _element_codings(corpus: Corpus, coder: str, kinds: Sequence[str]) -> pd.DataFrame:
    units = _evidence_units(corpus, kinds)[["unit_id", "case_id", "kind", "words", "dimension"]]
    codings = _codings(corpus, coder, "element")[["unit_id", "element", "dimension"]]
    return codings.rename(columns={"dimension": "code_dimension"}).merge(units, on="unit_id", how="inner")


def _case_categorical(corpus: Corpus, values: pd.Series) -> pd.Categorical:
    return pd.Categorical(values, categories=corpus.case_ids, ordered=True)


# -- profile and balance -----------------------------------------------------------------------

def element_profile(corpus: Corpus, coder: str = "researcher",
                    kinds: Sequence[str] = EVIDENCE_KINDS) -> pd.DataFrame:
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
    coded = _element_codings(corpus, coder, kinds)
    counts = (coded.groupby(["case_id", "element"], observed=False)
              .agg(units=("unit_id", "nunique"), words=("words", "sum")))
    grid = pd.MultiIndex.from_product([corpus.case_ids, corpus.elements], names=["case_id", "element"])
    out = counts.reindex(grid, fill_value=0).reset_index()
    per_case = coded.drop_duplicates("unit_id").groupby("case_id").agg(n=("unit_id", "size"), w=("words", "sum"))
    n = out["case_id"].map(per_case["n"]).fillna(0)
    w = out["case_id"].map(per_case["w"]).fillna(0)
    out["unit_share"] = np.where(n > 0, out["units"] / n.replace(0, 1), 0.0)
    out["word_share"] = np.where(w > 0, out["words"] / w.replace(0, 1), 0.0)
    dims = corpus.codes.set_index("code_id")["dimension"]
    out["element"] = pd.Categorical(out["element"], dtype=corpus.codebook.element_dtype())
    out["dimension"] = pd.Categorical(out["element"].astype(str).map(dims), dtype=corpus.codebook.dimension_dtype())
    out["case_id"] = _case_categorical(corpus, out["case_id"])
    out[["units", "words"]] = out[["units", "words"]].astype(int)
    return out[["case_id", "element", "dimension", "units", "unit_share", "words", "word_share"]]


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
    rows = []
    structure = corpus.coders.set_index("coder")["kind"].get(coder) == "derived"
    for units_of, kinds in UNIT_SETS.items():
        coded = _element_codings(corpus, coder, kinds)[["unit_id", "case_id", "code_dimension"]]
        coded = coded.rename(columns={"code_dimension": "dim"})
        if structure and units_of == "learning points":
            lp = _evidence_units(corpus, kinds)[["unit_id", "case_id", "dimension"]].rename(columns={"dimension": "dim"})
            coded = pd.concat([coded, lp], ignore_index=True)
        flags = (coded.assign(tf=coded["dim"].astype(str) == TF, tc=coded["dim"].astype(str) == TC)
                 .groupby(["case_id", "unit_id"])[["tf", "tc"]].any().reset_index())
        per_case = flags.groupby("case_id").agg(
            transformational=("tf", "sum"), transactional=("tc", "sum"),
            both=("tf", lambda s: int((s & flags.loc[s.index, "tc"]).sum())),
            total=("tf", lambda s: int((s | flags.loc[s.index, "tc"]).sum())))
        per_case = per_case.astype(int).reindex(corpus.case_ids).fillna(0).astype(int)
        per_case.index.name = "case_id"
        per_case = per_case.reset_index()
        per_case.insert(1, "units_of", units_of)
        rows.append(per_case)
    out = pd.concat(rows, ignore_index=True)
    for col in ("transformational", "transactional", "both", "total"):
        out[col] = out[col].astype(int)
    tf, tc, total = out["transformational"], out["transactional"], out["total"]
    out["transformational_share"] = (tf / total.where(total > 0)).astype(float)
    out["transactional_share"] = (tc / total.where(total > 0)).astype(float)
    out["balance_index"] = ((tf - tc) / (tf + tc).where((tf + tc) > 0)).astype(float)
    out["case_id"] = _case_categorical(corpus, out["case_id"])
    out["units_of"] = pd.Categorical(out["units_of"], categories=list(UNIT_SETS), ordered=True)
    return out.sort_values(["case_id", "units_of"]).reset_index(drop=True)


# -- matrices ----------------------------------------------------------------------------------

Normalise = Literal["row", "column", "case_units"] | None


def case_code_matrix(corpus: Corpus, coder: str = "researcher", kind: Literal["element", "theme"] = "element",
                     normalise: Normalise = None, kinds: Sequence[str] = EVIDENCE_KINDS) -> pd.DataFrame:
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
    units = _evidence_units(corpus, kinds)[["unit_id", "case_id"]]
    coded = _codings(corpus, coder, kind)[["unit_id", "code_id"]].merge(units, on="unit_id")
    codes = corpus.codes.loc[corpus.codes["kind"] == kind, "code_id"].tolist()
    table = pd.crosstab(pd.Categorical(coded["case_id"], categories=corpus.case_ids),
                        pd.Categorical(coded["code_id"], categories=codes), dropna=False)
    table = table.reindex(index=corpus.case_ids, columns=codes, fill_value=0).astype(int)
    if normalise == "row":
        table = table.div(table.sum(axis=1).where(lambda s: s > 0), axis=0).fillna(0.0)
    elif normalise == "column":
        table = table.div(table.sum(axis=0).where(lambda s: s > 0), axis=1).fillna(0.0)
    elif normalise == "case_units":
        n = units.groupby("case_id").size().reindex(corpus.case_ids)
        table = table.div(n.where(n > 0), axis=0).fillna(0.0)
    elif normalise is not None:
        raise LspkitError([Problem("parameter normalise", "", f"unknown option {normalise!r}",
                                   "use None, 'row', 'column' or 'case_units'")])
    table.index.name, table.columns.name = "case_id", "code_id"
    return table


def evidence(corpus: Corpus, coder: str = "researcher", excerpt_words: int = 12,
             kinds: Sequence[str] = EVIDENCE_KINDS, kind: Literal["element", "theme"] = "element") -> pd.DataFrame:
    """Every coded evidence unit with its citation and a short excerpt, in document order.

    One row per unit and code: ``case_id, code_id, unit_id, citation, excerpt`` where the excerpt is
    the unit's first ``excerpt_words`` words (with '…' when cut).

    >>> from lspkit import load_corpus
    >>> evidence(load_corpus().case("bolton"), coder="structure", excerpt_words=3).iloc[0].tolist()
    ['bolton', 'goals', 'bolton.p04', 'Bolton ¶4', 'Bolton was one…']
    """
    units = _evidence_units(corpus, kinds)
    coded = _codings(corpus, coder, kind)[["unit_id", "code_id"]].merge(
        units[["unit_id", "case_id", "citation", "text"]], on="unit_id")
    order = {u: i for i, u in enumerate(units["unit_id"])}
    code_order = {c: i for i, c in enumerate(corpus.codes["code_id"])}
    coded = coded.assign(_o=coded["unit_id"].map(order), _c=coded["code_id"].map(code_order))
    coded = coded.sort_values(["_o", "_c"], kind="stable")
    words = coded["text"].str.split()
    excerpt = words.str[:excerpt_words].str.join(" ")
    coded["excerpt"] = excerpt.where(words.str.len() <= excerpt_words, excerpt + "…")
    return coded[["case_id", "code_id", "unit_id", "citation", "excerpt"]].reset_index(drop=True)


def framework_matrix(corpus: Corpus, coder: str = "researcher", excerpt_words: int = 12,
                     kinds: Sequence[str] = EVIDENCE_KINDS) -> pd.DataFrame:
    """Framework matrix (Ritchie & Spencer): cases × 7S elements, each cell the cited evidence.

    Each cell lists the units coded to the element, one per line, as ``citation: excerpt…`` where
    the excerpt is the unit's first ``excerpt_words`` words. Empty cells are empty strings.

    >>> from lspkit import load_corpus
    >>> fm = framework_matrix(load_corpus(), coder="structure", excerpt_words=4)
    >>> fm.loc["bolton", "staff_skills"].splitlines()[2]
    'Bolton ¶8: In 2007, the Council…'
    """
    rows = evidence(corpus, coder, excerpt_words, kinds)
    rows = rows.assign(entry=rows["citation"] + ": " + rows["excerpt"])
    cells = rows.groupby(["case_id", "code_id"], sort=False)["entry"].agg("\n".join)
    table = cells.unstack("code_id").reindex(index=corpus.case_ids, columns=corpus.elements).astype(object)
    table = table.where(table.notna(), "")
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
    fixed = datetime.datetime(2009, 4, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "lspkit"
    wb.save(path)
    # openpyxl stamps zip entries with the current time; rewrite them with a fixed one.
    with zipfile.ZipFile(path) as zin:
        entries = [(i.filename, zin.read(i.filename)) for i in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in entries:
            zout.writestr(zipfile.ZipInfo(name, date_time=(2009, 4, 1, 0, 0, 0)), data,
                          compress_type=zipfile.ZIP_DEFLATED)


# -- themes ------------------------------------------------------------------------------------

def theme_presence(corpus: Corpus, coder: str = "researcher", kinds: Sequence[str] = EVIDENCE_KINDS) -> pd.DataFrame:
    """Long table of themes × cases: ``theme_id, label, case_id, units, present``, every pair listed."""
    m = case_code_matrix(corpus, coder, "theme", kinds=kinds)
    long = m.T.stack().rename("units").reset_index().rename(columns={"code_id": "theme_id"})
    labels = corpus.codes.set_index("code_id")["label"]
    long.insert(1, "label", long["theme_id"].map(labels))
    long["present"] = long["units"] > 0
    long["theme_id"] = pd.Categorical(long["theme_id"], categories=corpus.themes, ordered=True)
    long["case_id"] = _case_categorical(corpus, long["case_id"])
    return long[["theme_id", "label", "case_id", "units", "present"]]


def theme_meta_matrix(corpus: Corpus, coder: str = "researcher", kinds: Sequence[str] = EVIDENCE_KINDS) -> pd.DataFrame:
    """Cross-case theme meta-matrix: one row per theme, one column per case (unit counts), then
    ``n_cases``, ``total_units`` and ``pattern``: 'all cases', 'only <case>', 'some cases' or 'none'.

    Sorted by number of cases, then total units, then codebook order: the most shared themes first.
    """
    presence = theme_presence(corpus, coder, kinds)
    wide = presence.pivot(index="theme_id", columns="case_id", values="units")
    wide.columns = [str(c) for c in wide.columns]
    wide.columns.name = None
    n_cases = (wide > 0).sum(axis=1)
    out = wide.copy()
    out.insert(0, "label", corpus.codes.set_index("code_id")["label"].reindex(wide.index.astype(str)).to_numpy())
    out["n_cases"] = n_cases.astype(int)
    out["total_units"] = wide.sum(axis=1).astype(int)
    k = len(corpus.case_ids)
    only = (wide > 0).idxmax(axis=1)
    out["pattern"] = np.select([n_cases == k, n_cases == 1, n_cases == 0],
                               ["all cases", "only " + only.astype(str), "none"], "some cases")
    out["_o"] = range(len(out))
    out = out.sort_values(["n_cases", "total_units", "_o"], ascending=[False, False, True]).drop(columns="_o")
    out.index = out.index.astype(str)
    out.index.name = "theme_id"
    return out


# -- co-occurrence and interdependence ---------------------------------------------------------

def cooccurrence(corpus: Corpus, coder: str = "researcher", kind: Literal["element", "theme", "all"] = "element",
                 kinds: Sequence[str] = EVIDENCE_KINDS) -> pd.DataFrame:
    """Pairs of codes given to the same unit, with how many units share them.

    One row per unordered pair that co-occurs at least once (``code_a`` before ``code_b`` in
    codebook order): ``code_a, code_b, units, dimension_a, dimension_b, link``. ``link`` names a
    pair of elements across the two dimensions 'transformational-transactional', otherwise
    'within transformational', 'within transactional', 'with super-ordinate' or 'theme'.
    """
    units = _evidence_units(corpus, kinds)[["unit_id"]]
    coded = _codings(corpus, coder, None if kind == "all" else kind).merge(units, on="unit_id")
    order = {c: i for i, c in enumerate(corpus.codes["code_id"])}
    coded = coded.assign(o=coded["code_id"].map(order))[["unit_id", "code_id", "o", "kind", "dimension"]]
    pairs = coded.merge(coded, on="unit_id", suffixes=("_a", "_b"))
    pairs = pairs[pairs["o_a"] < pairs["o_b"]]
    out = (pairs.groupby(["o_a", "o_b", "code_id_a", "code_id_b"], observed=True)
           .agg(units=("unit_id", "nunique"), dimension_a=("dimension_a", "first"), dimension_b=("dimension_b", "first"),
                kind_a=("kind_a", "first"), kind_b=("kind_b", "first"))
           .reset_index().sort_values(["o_a", "o_b"]))
    both_elements = (out["kind_a"].astype(str) == "element") & (out["kind_b"].astype(str) == "element")
    da, db = out["dimension_a"].astype(str), out["dimension_b"].astype(str)
    out["link"] = np.select(
        [both_elements & (da != db) & da.isin([TF, TC]) & db.isin([TF, TC]),
         both_elements & (da == db) & (da == TF), both_elements & (da == db) & (da == TC), both_elements],
        ["transformational-transactional", "within transformational", "within transactional", "with super-ordinate"],
        "theme")
    out = out.rename(columns={"code_id_a": "code_a", "code_id_b": "code_b"})
    out["units"] = out["units"].astype(int)
    return out[["code_a", "code_b", "units", "dimension_a", "dimension_b", "link"]].reset_index(drop=True)


def interdependence(corpus: Corpus, coder: str = "researcher", kinds: Sequence[str] = EVIDENCE_KINDS) -> pd.DataFrame:
    """The units that link the two dimensions: coded to at least one transformational and one
    transactional element. One row per unit: ``case_id, unit_id, citation, transformational,
    transactional, text`` (the elements joined by '+'), in document order.
    """
    coded = _element_codings(corpus, coder, kinds)
    coded = coded[coded["code_dimension"].astype(str).isin([TF, TC])]
    order = {e: i for i, e in enumerate(corpus.elements)}
    coded = coded.assign(o=coded["element"].astype(str).map(order)).sort_values("o")
    grouped = coded.groupby(["unit_id", "code_dimension"], observed=True)["element"].agg(
        lambda s: "+".join(s.astype(str))).unstack("code_dimension")
    for col in (TF, TC):
        if col not in grouped:
            grouped[col] = np.nan
    grouped = grouped.dropna(subset=[TF, TC])
    units = _evidence_units(corpus, kinds).set_index("unit_id")
    out = pd.DataFrame({"case_id": units.loc[grouped.index, "case_id"].to_numpy(),
                        "unit_id": grouped.index,
                        "citation": units.loc[grouped.index, "citation"].to_numpy(),
                        "transformational": grouped[TF].to_numpy(),
                        "transactional": grouped[TC].to_numpy(),
                        "text": units.loc[grouped.index, "text"].to_numpy()})
    position = {u: i for i, u in enumerate(corpus.units["unit_id"])}
    out = out.iloc[np.argsort(out["unit_id"].map(position).to_numpy(), kind="stable")]
    return out.reset_index(drop=True)


def interdependence_summary(corpus: Corpus, coder: str = "researcher",
                            kinds: Sequence[str] = EVIDENCE_KINDS) -> pd.DataFrame:
    """Per case: evidence units coded to any element, how many link the two dimensions, and the share."""
    coded = _element_codings(corpus, coder, kinds)
    n = coded.groupby("case_id")["unit_id"].nunique().reindex(corpus.case_ids, fill_value=0)
    links = interdependence(corpus, coder, kinds).groupby("case_id").size().reindex(corpus.case_ids, fill_value=0)
    out = pd.DataFrame({"case_id": corpus.case_ids, "coded_units": n.to_numpy().astype(int),
                        "linking_units": links.to_numpy().astype(int)})
    out["linking_share"] = (out["linking_units"] / out["coded_units"].where(out["coded_units"] > 0)).astype(float)
    return out


# -- retrieval ---------------------------------------------------------------------------------

def retrieve(corpus: Corpus, code: str | None = None, case: str | None = None, coder: str | None = None,
             include_subthemes: bool = True, kinds: Iterable[str] | None = None) -> pd.DataFrame:
    """The coded units for any code, case and coder, with citations, in document order.

    ``code`` may be an element or a theme; with ``include_subthemes`` a theme's nested themes are
    retrieved too. Columns: ``citation, case_id, unit_id, kind, code_id, coder, memo, text``.

    >>> from lspkit import load_corpus
    >>> retrieve(load_corpus(), code="standards", case="bolton", coder="structure")["citation"].tolist()
    ['Bolton ¶22', 'Bolton ¶23', 'Bolton ¶24', 'Bolton ¶25']
    """
    sub = corpus
    if case is not None:
        sub = sub.case(case)
    if coder is not None:
        sub = sub.coder(coder)
    coded = sub.coded_units()
    coded = coded[~coded["boilerplate"]]
    if kinds is not None:
        coded = coded[coded["kind"].isin(list(kinds))]
    if code is not None:
        if code not in set(corpus.codes["code_id"]):
            raise LspkitError([Problem("parameter code", "", f"unknown code {code!r}",
                                       "valid codes: " + ", ".join(corpus.codes["code_id"]))])
        wanted = {code}
        if include_subthemes:
            parents = corpus.codes.set_index("code_id")["parent"].dropna()
            grew = True
            while grew:
                more = set(parents[parents.isin(wanted)].index) - wanted
                wanted |= more
                grew = bool(more)
        coded = coded[coded["code_id"].isin(wanted)]
    cols = ["citation", "case_id", "unit_id", "kind", "code_id", "coder", "memo", "text"]
    return coded[cols].reset_index(drop=True)


# -- agreement ---------------------------------------------------------------------------------

def agreement(corpus: Corpus, coder_a: str = "structure", coder_b: str = "researcher") -> pd.DataFrame:
    """Agreement between two coders per 7S element, at the unit level.

    The units compared are the evidence units both coders gave at least one element. For each
    element, each coder either applied it to a unit or did not; the table gives ``n_units``,
    ``both``, ``only_a``, ``only_b``, ``neither``, ``percent_agreement`` (0-100) and ``kappa``
    (Cohen's, NaN where undefined), plus an ``all elements`` row pooling every unit-element decision;
    ``decisions`` is the number of yes/no decisions each figure rests on. Kappa comes from
    :func:`lspkit.reliability.cohen_kappa`; :func:`lspkit.reliability.reliability` adds
    Krippendorff's alpha, themes and more than two coders, over a unit universe that also counts the
    units a coder read and left without an element.
    """
    a = _element_codings(corpus, coder_a, EVIDENCE_KINDS)
    b = _element_codings(corpus, coder_b, EVIDENCE_KINDS)
    shared = sorted(set(a["unit_id"]) & set(b["unit_id"]))
    rows = []
    pooled_a, pooled_b = [], []
    for element in corpus.elements:
        in_a = pd.Series(shared).isin(set(a.loc[a["element"] == element, "unit_id"])).to_numpy()
        in_b = pd.Series(shared).isin(set(b.loc[b["element"] == element, "unit_id"])).to_numpy()
        pooled_a.append(in_a)
        pooled_b.append(in_b)
        rows.append(_agreement_row(element, in_a, in_b, len(shared)))
    all_a = np.concatenate(pooled_a) if pooled_a else np.array([], bool)
    all_b = np.concatenate(pooled_b) if pooled_b else np.array([], bool)
    rows.append(_agreement_row("all elements", all_a, all_b, len(shared)))
    out = pd.DataFrame(rows)
    out.insert(1, "coder_a", coder_a)
    out.insert(2, "coder_b", coder_b)
    return out


def _agreement_row(element: str, a: np.ndarray, b: np.ndarray, n_units: int) -> dict:
    n = int(a.size)
    return {"element": element, "n_units": n_units, "decisions": n, "both": int((a & b).sum()), "only_a": int((a & ~b).sum()),
            "only_b": int((~a & b).sum()), "neither": int((~a & ~b).sum()),
            "percent_agreement": float(100 * np.mean(a == b)) if n else float("nan"),
            "kappa": cohen_kappa(a, b)}


def departures(corpus: Corpus, coder: str = "researcher") -> pd.DataFrame:
    """Where a coder's reading departs from the document's headings.

    For paragraphs and quotations: units whose elements do not include the heading's element.
    For learning points: units given an element of the other dimension than the document's.
    Columns: ``citation, unit_id, case_id, filed_under, coded_as, memo, text``.
    """
    units = _evidence_units(corpus, EVIDENCE_KINDS)
    coded = _codings(corpus, coder, "element").merge(units[["unit_id"]], on="unit_id")
    dims = corpus.codes.set_index("code_id")["dimension"].astype(str)
    order = {e: i for i, e in enumerate(corpus.elements)}
    coded = coded.assign(o=coded["code_id"].map(order)).sort_values("o")
    elements = coded.groupby("unit_id")["code_id"].agg(list)
    memos = coded.groupby("unit_id")["memo"].agg(lambda s: " ".join(m for m in s if m))
    rows = []
    for u in units.itertuples(index=False):
        if u.unit_id not in elements.index:
            continue
        got = elements[u.unit_id]
        if u.kind == "learning_point":
            filed = str(u.dimension)
            departs = any(dims[e] not in (filed, "super-ordinate") for e in got)
        else:
            filed = str(u.heading_element)
            departs = filed not in got
        if departs:
            rows.append({"citation": u.citation, "unit_id": u.unit_id, "case_id": u.case_id, "filed_under": filed,
                         "coded_as": ", ".join(got), "memo": memos.get(u.unit_id, ""), "text": u.text})
    return pd.DataFrame(rows, columns=["citation", "unit_id", "case_id", "filed_under", "coded_as", "memo", "text"])


# -- descriptive tables for the notebooks ------------------------------------------------------

def unit_counts(corpus: Corpus) -> pd.DataFrame:
    """Units per case by kind (boilerplate counted apart), one row per case.

    >>> from lspkit import load_corpus
    >>> unit_counts(load_corpus()).loc["bolton"].tolist()
    [24, 0, 6, 3, 3, 36]
    """
    units = corpus.units
    counts = (units[~units["boilerplate"]].groupby(["case_id", "kind"], observed=False).size()
              .unstack("kind", fill_value=0).reindex(index=corpus.case_ids, fill_value=0))
    counts = counts.reindex(columns=list(units["kind"].cat.categories), fill_value=0)
    counts["boilerplate"] = units[units["boilerplate"]].groupby("case_id").size().reindex(corpus.case_ids).fillna(0)
    counts["total"] = units.groupby("case_id").size().reindex(corpus.case_ids).fillna(0)
    counts.columns.name = None
    counts.index.name = "case_id"
    return counts.astype(int)


def section_units(corpus: Corpus, section: str | None = None, kind: str | None = None) -> pd.DataFrame:
    """The document's own units of one section or kind, with citations: ``citation, heading, text``.

    >>> from lspkit import load_corpus
    >>> section_units(load_corpus().case("bolton"), kind="question")["citation"].tolist()
    ['Bolton, question 1', 'Bolton, question 2', 'Bolton, question 3']
    """
    units = corpus.units[~corpus.units["boilerplate"]]
    if section is not None:
        units = units[units["section"] == section]
    if kind is not None:
        units = units[units["kind"] == kind]
    return units[["citation", "case_id", "unit_id", "heading", "text"]].reset_index(drop=True)


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
    long = long.assign(entry=long["text"] + " (" + long["citation"] + ")",
                       dim=long["dimension"].astype(str))
    long["position"] = long.groupby(["case_id", "dim"]).cumcount() + 1
    table = long.pivot(index=["case_id", "position"], columns="dim", values="entry")
    table = table.reindex(columns=[TF, TC]).astype(object)
    table = table.where(table.notna(), "")
    table.columns.name = None
    return table


def code_summary(corpus: Corpus, coder: str = "researcher", kind: Literal["element", "theme"] = "theme",
                 kinds: Sequence[str] = EVIDENCE_KINDS) -> pd.DataFrame:
    """Per case, the codes present with their unit count and citations, in codebook order.

    Columns: ``case_id, code_id, label, units, citations`` (citations joined by '; ').
    """
    rows = evidence(corpus, coder, 0, kinds, kind=kind)
    labels = corpus.codes.set_index("code_id")["label"]
    out = (rows.groupby(["case_id", "code_id"], sort=False)
           .agg(units=("unit_id", "nunique"), citations=("citation", "; ".join)).reset_index())
    out.insert(2, "label", out["code_id"].map(labels))
    case_order = {c: i for i, c in enumerate(corpus.case_ids)}
    code_order = {c: i for i, c in enumerate(corpus.codes["code_id"])}
    out = out.assign(_a=out["case_id"].map(case_order), _b=out["code_id"].map(code_order))
    return out.sort_values(["_a", "_b"]).drop(columns=["_a", "_b"]).reset_index(drop=True)


def coverage(corpus: Corpus, coder: str = "researcher") -> pd.DataFrame:
    """How much of each case a coder has coded, by unit kind (boilerplate excluded).

    Columns: ``case_id, kind, units, with_element, with_theme, uncoded, element_coverage``.
    """
    corpus.check_coder(coder)
    units = corpus.units[~corpus.units["boilerplate"]][["unit_id", "case_id", "kind"]]
    c = _codings(corpus, coder)
    with_element = set(c.loc[c["kind"] == "element", "unit_id"])
    with_theme = set(c.loc[c["kind"] == "theme", "unit_id"])
    any_code = set(c["unit_id"])
    units = units.assign(e=units["unit_id"].isin(with_element), t=units["unit_id"].isin(with_theme),
                         u=~units["unit_id"].isin(any_code))
    out = (units.groupby(["case_id", "kind"], observed=True)
           .agg(units=("unit_id", "size"), with_element=("e", "sum"), with_theme=("t", "sum"), uncoded=("u", "sum"))
           .reset_index())
    out["element_coverage"] = out["with_element"] / out["units"]
    out["case_id"] = _case_categorical(corpus, out["case_id"])
    out = out.sort_values(["case_id", "kind"]).reset_index(drop=True)
    for col in ("units", "with_element", "with_theme", "uncoded"):
        out[col] = out[col].astype(int)
    return out


def codebook_usage(corpus: Corpus, kinds: Sequence[str] = EVIDENCE_KINDS + ("question",)) -> pd.DataFrame:
    """The codebook with, for every coder, how many units carry each code.

    Columns: ``code_id, label, kind, parent, dimension, definition`` and one count column per coder.
    """
    units = corpus.units[~corpus.units["boilerplate"] & corpus.units["kind"].isin(kinds)][["unit_id"]]
    coded = corpus.codings.merge(units, on="unit_id")
    counts = coded.groupby(["code_id", "coder"]).size().unstack("coder", fill_value=0)
    counts = counts.reindex(index=corpus.codes["code_id"], columns=corpus.coder_ids, fill_value=0)
    out = corpus.codes[["code_id", "label", "kind", "parent", "dimension", "definition"]].set_index("code_id")
    out = out.join(counts.astype(int))
    out["parent"] = out["parent"].fillna("")
    return out.reset_index()


def synthesis(corpus: Corpus, coder: str = "researcher") -> pd.DataFrame:
    """Findings stated from the results, so the prose can never drift from the numbers.

    One row per finding: ``finding`` (a sentence) and ``basis`` (the table it comes from).
    """
    meta = theme_meta_matrix(corpus, coder)
    bal = balance(corpus, coder)
    links = interdependence_summary(corpus, coder)
    k = len(corpus.case_ids)
    name = dict(zip(corpus.cases["case_id"], corpus.cases["short_name"]))
    out = []
    shared = meta[meta["n_cases"] == k]
    if k > 1:
        out.append((f"{len(shared)} of {len(meta)} themes recur in all {k} cases: "
                    + (", ".join(shared["label"]) if len(shared) else "none") + ".", "theme meta-matrix"))
        singles = meta[meta["n_cases"] == 1]
        for case_id in corpus.case_ids:
            own = singles[singles["pattern"] == f"only {case_id}"]["label"].tolist()
            if own:
                out.append((f"Only {name[case_id]} shows: {', '.join(own)}.", "theme meta-matrix"))
    for units_of in UNIT_SETS:
        part = bal[bal["units_of"] == units_of].dropna(subset=["balance_index"])
        if len(part) > 1:
            hi = part.loc[part["balance_index"].idxmax()]
            lo = part.loc[part["balance_index"].idxmin()]
            out.append((f"In the {units_of}, the balance index runs from {lo['balance_index']:+.2f} "
                        f"({name[str(lo['case_id'])]}) to {hi['balance_index']:+.2f} ({name[str(hi['case_id'])]}).",
                        "balance"))
        for row in part.itertuples(index=False):
            if len(part) == 1:
                lean = ("transformational" if row.balance_index > 0 else
                        "transactional" if row.balance_index < 0 else "neither way")
                out.append((f"In the {units_of}, {name[str(row.case_id)]} leans {lean} "
                            f"(index {row.balance_index:+.2f}: {row.transformational} transformational, "
                            f"{row.transactional} transactional units).", "balance"))
    for row in links.itertuples(index=False):
        out.append((f"{name[row.case_id]}: {row.linking_units} of {row.coded_units} coded units link a "
                    f"transformational with a transactional element.", "interdependence"))
    return pd.DataFrame(out, columns=["finding", "basis"])
