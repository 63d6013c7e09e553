"""Shared fixtures: the project's corpus, a scratch copy of the data directory to break, and small
hand-made corpora built from compact specs (``make_corpus``)."""

from __future__ import annotations

import re
import shutil
from itertools import cycle, islice
from pathlib import Path
from typing import Callable, Iterable, Mapping, Union

import pandas as pd
import pytest

import lspkit
from lspkit.codebook import load_codebook
from lspkit.corpus import UNIT_COLUMNS, Corpus
from lspkit.errors import ProblemLog
from lspkit.links import LINK_FILE_COLUMNS, check_links
from lspkit.restates import check_restates
from lspkit.vocabulary import DERIVED_CODER, UNIT_KINDS
from lspkit.vocabulary import citation as loader_citation

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
CASES = ["blackburn-with-darwen", "bolton", "hammersmith-and-fulham"]


def normalise_quotes(text: str) -> str:
    """Text compared for quotation: curly quotes and dashes straightened, white space collapsed, lower case."""
    text = text.translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"}))
    return re.sub(r"\s+", " ", text).strip().lower()


def quoted_parts(memo: str) -> list[str]:
    """The quotations of a memo (between double quotes), split at ellipses, trimmed of end punctuation."""
    parts = []
    for quoted in re.findall(r'"([^"]+)"', memo):
        parts += [part.strip(" .,;") for part in re.split(r"\s*(?:…|\.\.\.)\s*", quoted) if part.strip(" .,;")]
    return parts


@pytest.fixture(autouse=True)
def _no_env_data(monkeypatch):
    """Tests decide for themselves where data and the workbook come from."""
    monkeypatch.delenv("LSPKIT_DATA", raising=False)
    monkeypatch.delenv("LSPKIT_WORKBOOK", raising=False)


@pytest.fixture(scope="session")
def corpus() -> lspkit.Corpus:
    return lspkit.load_corpus(DATA)


@pytest.fixture()
def data_copy(tmp_path) -> Path:
    """A writable copy of data/ that a test may break."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


# -- small corpora from compact specs ------------------------------------------------------------

# The unit ids lspkit.vocabulary.unit_id writes: case.p08, case.p12.quote1, case.lp3, case.question2.
UNIT_ID_RE = re.compile(r"^(?P<case>[^.]+)\.(?:p(?P<para>\d+)(?:\.quote(?P<quote>\d+))?|lp(?P<lp>\d+)"
                        r"|question(?P<question>\d+))$")

UnitSpec = Union[Iterable[str], Mapping[str, Union[int, Mapping[str, object]]]]
CodingSpec = Union[Iterable[tuple], Mapping[str, Iterable[tuple]]]


def _unit_row(uid: str, spec: Mapping[str, object], short_names: dict[str, str], text: str,
              cite: str | None) -> dict[str, object]:
    """One row of the units frame: the id's parts, the defaults, then the spec's own values."""
    m = UNIT_ID_RE.match(uid)
    if m is None:
        raise ValueError(f"unit id {uid!r} is not of the form case.p08, case.p12.quote1, case.lp3 or case.question2")
    case = m["case"]
    kind = ("quote" if m["quote"] else "paragraph") if m["para"] else "learning_point" if m["lp"] else "question"
    para = int(m["para"]) if m["para"] else None
    number = int(m["quote"] or m["para"] or m["lp"] or m["question"])
    short = short_names.setdefault(case, case.upper())
    fields = {"unit_id": uid, "case_id": case, "short_name": short}
    words = str(spec.get("text", text.format(**fields))).split()
    n_words = int(spec.get("words", len(words)))
    row = {"unit_id": uid, "case_id": case, "kind": kind, "para": para, "number": number, "section": "",
           "heading": "", "heading_element": None, "dimension": None,
           "boilerplate": kind == "paragraph" and para <= 3, "speaker": None,
           "citation": loader_citation(short, kind, para, number) if cite is None else cite.format(**fields),
           "text": " ".join(islice(cycle(words), n_words)), "words": n_words}
    unknown = set(spec) - set(UNIT_COLUMNS)
    if unknown:
        raise ValueError(f"unit {uid!r}: unknown column(s) {sorted(unknown)}; use any of {UNIT_COLUMNS}")
    row.update(spec)
    return row


def _codings(codings: CodingSpec) -> pd.DataFrame:
    """(unit, code, coder[, memo[, status]]) rows, or a mapping coder -> (unit, code[, memo[, status]]) rows."""
    if isinstance(codings, Mapping):
        records = [(rec[0], rec[1], coder, *rec[2:]) for coder, recs in codings.items() for rec in recs]
    else:
        records = [tuple(rec) for rec in codings]
    frame = pd.DataFrame([(*rec, "", "")[:5] for rec in records], columns=["unit_id", "code_id", "coder", "memo", "status"])
    return frame[["unit_id", "code_id", "coder", "status", "memo"]]


def build_corpus(units: UnitSpec, codings: CodingSpec = (), links: Iterable[tuple] = (),
                 coders: Mapping[str, str] | Iterable[str] | None = None, *, text: str = "{unit_id}",
                 citation: str | None = None, short_names: Mapping[str, str] | None = None,
                 parents: Mapping[str, str] | None = None, restates: Iterable[tuple] = ()) -> Corpus:
    """A small :class:`~lspkit.corpus.Corpus` with the project's codebook, from compact specs.

    ``units``: unit ids in document order (``a.p04``, ``a.p05.quote1``, ``a.lp1``, ``a.question1``),
    or a mapping from each id to its number of words or to its own column values (``{"words": 10,
    "heading_element": "goals", "dimension": "super-ordinate"}``, any of ``UNIT_COLUMNS``). The case,
    kind, paragraph and number come from the id, as the loader writes them; paragraphs 1-3 are
    boilerplate. A unit's text is ``text`` (fields ``unit_id``, ``case_id``, ``short_name``), its
    words repeated to ``words`` words (default: once). ``citation`` is a format of the same fields;
    by default units are cited as the loader cites them (``A ¶4``). Each case's raw text holds its
    units' texts, one a line, and the units' ``start``, ``end`` and ``line`` point into it. Cases are
    those of the units, in order; ``short_names`` maps case ids to short names (default: the id in
    capitals). ``parents`` re-parents themes (``{"mainstream_budgets": "pooled_resources"}`` nests one
    theme under another of the same element). ``restates``: ``(unit, "paragraph ids", coder)`` rows,
    checked as the loader checks ``restates.csv``.

    ``codings``: ``(unit, code, coder[, memo[, status]])`` rows, or a mapping coder -> ``(unit, code[, memo[,
    status]])``.
    ``links``: rows in ``LINK_FILE_COLUMNS`` order (the memo may be left off: ``memo <link id>``),
    checked against the codebook's relations as the loader checks them; a link the loader would
    reject raises ``ValueError``. ``coders``: a mapping coder -> kind, or coder ids (``structure`` is
    derived, any other human); by default the coders of the codings and links, in order.

    >>> tiny = build_corpus(["a.p01", "a.p04", "a.lp1"], {"ann": [("a.p04", "goals", "a memo")]})
    >>> tiny.units[["unit_id", "kind", "boilerplate", "citation"]].values.tolist()[1:]
    [['a.p04', 'paragraph', False, 'A ¶4'], ['a.lp1', 'learning_point', False, 'A, learning point 1']]
    >>> tiny.coders["coder"].tolist(), tiny.raw_span("a.p04")
    (['ann'], 'a.p04')
    """
    book = load_codebook(DATA / "codebook.yml")
    for theme, parent in (parents or {}).items():
        book.codes.loc[book.codes["code_id"] == theme, "parent"] = parent
    specs = dict(units) if isinstance(units, Mapping) else {uid: {} for uid in units}
    specs = {uid: {"words": spec} if isinstance(spec, int) else spec for uid, spec in specs.items()}
    names = dict(short_names or {})
    rows = [_unit_row(uid, spec, names, text, citation) for uid, spec in specs.items()]
    raw: dict[str, str] = {}
    for row in rows:
        case_text = raw.setdefault(str(row["case_id"]), "")
        row.setdefault("start", len(case_text))
        row.setdefault("end", row["start"] + len(str(row["text"])))
        row.setdefault("line", case_text.count("\n") + 1)
        raw[str(row["case_id"])] = case_text + str(row["text"]) + "\n"
    frame = pd.DataFrame(rows, columns=UNIT_COLUMNS)
    frame["kind"] = pd.Categorical(frame["kind"], categories=list(UNIT_KINDS))
    frame["heading_element"] = pd.Categorical(frame["heading_element"], dtype=book.element_dtype())
    frame["dimension"] = pd.Categorical(frame["dimension"], dtype=book.dimension_dtype())
    frame["boilerplate"] = frame["boilerplate"].astype(bool)
    for col in ("para", "number"):
        frame[col] = frame[col].astype("Int64")
    for col in ("words", "start", "end", "line"):
        frame[col] = frame[col].astype(int)

    coded = _codings(codings)
    links = [tuple(rec) for rec in links]
    if coders is None:
        coders = list(dict.fromkeys([*coded["coder"], *(rec[LINK_FILE_COLUMNS.index("coder")] for rec in links)]))
    kinds = dict(coders) if isinstance(coders, Mapping) else {
        c: "derived" if c == DERIVED_CODER else "human" for c in coders}
    registry = pd.DataFrame({"coder": list(kinds), "kind": list(kinds.values()), "description": ""})
    cases = pd.DataFrame({"case_id": list(raw), "short_name": [names[c] for c in raw]})

    link_rows = [(f"links/{rec[8]}.csv", i + 2, dict(zip(LINK_FILE_COLUMNS, (*rec, f"memo {rec[0]}")[:10])))
                 for i, rec in enumerate(links)]
    log = ProblemLog()
    link_frame = check_links(link_rows, frame, book.codes, registry,
                             dict(zip(book.relations["id"], book.relations["definition"])), names, log)
    if log:
        raise ValueError("the links of a hand-made corpus must be valid: " + "; ".join(map(str, log.problems)))
    restate_rows = [(i + 2, {"unit_id": r[0], "restates": r[1], "coder": r[2], "memo": "same practice"})
                    for i, r in enumerate(restates)]
    restate_frame = check_restates(restate_rows, "restates.csv", frame, registry, log)
    if log:
        raise ValueError("the restatements of a hand-made corpus must be valid: " + "; ".join(map(str, log.problems)))
    return Corpus(cases, frame, book.codes, coded, registry, book, Path("."), raw, links=link_frame,
                  restates=restate_frame)


@pytest.fixture(scope="session")
def make_corpus() -> Callable[..., Corpus]:
    """The factory :func:`build_corpus`: ``make_corpus(units, codings, links, coders)``."""
    return build_corpus
