"""The codebook: the 7S elements and the inductive themes, read from ``data/codebook.yml``.

This module owns reading and checking the codebook, the orders that every table and plot in
lspkit uses (the 7S element order and the dimension order, both taken from the codebook file), the
table of the documents' headings and the element each maps to (``headings``), the examples of every
code (``examples``: a typical and a borderline unit, cited as the corpus cites it), the change log
(``changes``), and the syntax of a code's optional ``indicators``: the terms the machine baseline coder
(:mod:`lspkit.autocode`) looks for. An indicator is a word or phrase matched case-insensitively as
whole words, where a trailing ``*`` on a word matches any ending (``recruit*``), or a Python regular
expression between slashes (``/\bpart(?:y|ies)\b/``), also case-insensitive.

Example:
    >>> book = load_codebook("data/codebook.yml")
    >>> book.elements[:3]
    ['goals', 'staff_skills', 'style']
    >>> book.heading_to_element["Getting things done"]
    'steering'
    >>> book.codes.set_index("code_id").loc["joint_appointments", "element"]
    'staff_skills'
    >>> book.headings.dropna(subset=["element"])["element"].tolist()[:2]
    ['goals', 'staff_skills']
    >>> bool(compile_indicator("recruit*").search("Recruitment of key staff"))
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .codings import decode_data_file, read_data_file
from .errors import ProblemLog

ELEMENT_FIELDS = ("id", "label", "dimension", "definition", "include", "exclude")
THEME_FIELDS = ("id", "label", "definition")
RELATION_COLUMNS = ["id", "label", "definition"]
HEADING_COLUMNS = ["heading", "element", "reason"]
EXAMPLE_COLUMNS = ["code_id", "type", "cite", "note"]
EXAMPLE_TYPES = ("typical", "borderline")
CHANGE_COLUMNS = ["version", "date", "code_id", "change", "reason"]
CODE_COLUMNS = [
    "code_id",
    "label",
    "code_kind",
    "element",
    "dimension",
    "parent",
    "definition",
    "interpretation",
    "include",
    "exclude",
    "examples",
    "indicators",
]


def _construct_mapping_with_line(loader: Any, node: Any, deep: bool = False) -> dict:
    mapping = yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep=deep)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that remembers the line each mapping starts on, for error messages."""

    construct_mapping = _construct_mapping_with_line  # type: ignore[assignment]


# The same loader on libyaml's parser where PyYAML was built with it (ten times faster); a document it
# rejects is parsed again by _LineLoader, so an error reads the same whichever parser is installed.
_FastLineLoader: Any = (
    type("_FastLineLoader", (yaml.CSafeLoader,), {"construct_mapping": _construct_mapping_with_line})
    if getattr(yaml, "__with_libyaml__", False)
    else _LineLoader
)


@dataclass
class Codebook:
    """The parsed codebook: a tidy ``codes`` frame plus the orders and the heading map."""

    codes: pd.DataFrame
    elements: list[str]
    dimensions: list[str]
    heading_to_element: dict[str, str]
    path: Path
    relations: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=RELATION_COLUMNS))
    version: str = ""
    headings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=HEADING_COLUMNS))
    examples: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=EXAMPLE_COLUMNS))
    changes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CHANGE_COLUMNS))
    dimension_definitions: dict[str, str] = field(default_factory=dict)
    model: dict[str, str] = field(default_factory=dict)

    def element_dtype(self) -> pd.CategoricalDtype:
        """The ordered categorical of element ids, in 7S order."""
        return pd.CategoricalDtype(self.elements, ordered=True)

    def dimension_dtype(self) -> pd.CategoricalDtype:
        """The ordered categorical of dimensions: super-ordinate, transformational, transactional."""
        return pd.CategoricalDtype(self.dimensions, ordered=True)


def compile_indicator(indicator: str) -> re.Pattern[str]:
    """The case-insensitive pattern for one indicator (see the module docstring for the syntax).

    Raises ``ValueError`` for an empty indicator, a ``*`` that does not end a word, an invalid
    regular expression, or one that matches the empty string.

    >>> print(compile_indicator("community strategy").pattern)
    (?<!\\w)community\\s+strategy(?!\\w)
    >>> [bool(compile_indicator("pool*").search(t)) for t in ("pooled budgets", "a swimming-pool", "spool")]
    [True, True, False]
    """
    text = indicator.strip()
    if not text:
        raise ValueError("empty indicator")
    if len(text) >= 2 and text.startswith("/") and text.endswith("/"):
        try:
            pattern = re.compile(text[1:-1], re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
    else:
        parts = []
        for word in text.split():
            if "*" in word[:-1]:
                raise ValueError("'*' may only end a word")
            parts.append(re.escape(word[:-1]) + r"\w*" if word.endswith("*") else re.escape(word))
        pattern = re.compile(
            r"(?<!\w)" + r"\s+".join(parts) + (r"" if text.endswith("*") else r"(?!\w)"), re.IGNORECASE
        )
    if pattern.search(""):
        raise ValueError("matches the empty string, so it would code every unit")
    return pattern


def _indicators(value: Any, code_id: str, name: str, where: str, log: ProblemLog) -> tuple[str, ...]:
    """Check a code's optional ``indicators`` list; every bad entry is reported, the good ones kept."""
    if value is None:
        return ()
    if not isinstance(value, list):
        log.add(
            name,
            where,
            f"code {code_id!r}: 'indicators' must be a list of terms",
            "write one term per line, each starting with '- '",
        )
        return ()
    good = []
    for i, item in enumerate(value, start=1):
        if not isinstance(item, (str, int, float)) or isinstance(item, bool):
            log.add(name, where, f"code {code_id!r}: indicator {i} is not a term", "quote it as a string")
            continue
        try:
            compile_indicator(str(item))
        except ValueError as exc:
            log.add(
                name,
                where,
                f"code {code_id!r}: indicator {i} {str(item)!r}: {exc}",
                "a word or phrase (optionally ending in *), or a regular expression between slashes",
            )
            continue
        good.append(str(item).strip())
    return tuple(good)


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _read_document(path: Path, log: ProblemLog) -> dict[str, Any]:
    """The codebook file as a YAML mapping; ``{}`` after reporting why there is none.

    A missing, unreadable, undecodable, invalid, empty or non-mapping file is one problem, so that
    what follows from it (no codes at all) is not reported code by code.
    """
    name = str(path)
    if not path.exists():
        log.add(
            name, "", "codebook file not found", "create data/codebook.yml or point LSPKIT_DATA at a data directory"
        )
        return {}
    data = read_data_file(path, log, "the codebook is a YAML file, codebook.yml")
    if data is None:
        return {}
    text = decode_data_file(data, name, log)
    if text is None:
        return {}
    try:
        doc = _load_yaml(text) if text and not text.isspace() else None
    except yaml.YAMLError as exc:
        log.add(name, _yaml_where(exc, text), f"not valid YAML: {_yaml_message(exc)}")
        return {}
    if doc is None:
        log.add(name, "", "the codebook is empty", f"write the lists 'dimensions', 'elements' and 'themes' {_SHAPE}")
        return {}
    if not isinstance(doc, dict):
        kind = "a list" if isinstance(doc, list) else f"a single value ({str(doc)[:40]!r})"
        log.add(
            name,
            "",
            f"the codebook is {kind}, not a mapping",
            f"it must be a mapping with 'dimensions', 'elements' and 'themes' {_SHAPE}",
        )
        return {}
    return doc


def _load_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_FastLineLoader)
    except yaml.YAMLError:
        return yaml.load(text, Loader=_LineLoader)  # raises, with the pure-Python parser's message


_SHAPE = "(the project's data/codebook.yml shows the form)"


def _yaml_where(exc: yaml.YAMLError, text: str) -> str:
    """The line (and column) a YAML error points at, or ``""``."""
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}"
    position = getattr(exc, "position", None)  # a character YAML does not accept
    if isinstance(position, int):
        before = text[:position]
        return f"line {before.count(chr(10)) + 1}, column {position - before.rfind(chr(10))}"
    return ""


def _yaml_message(exc: yaml.YAMLError) -> str:
    """What is wrong, on one line, without the location (given separately)."""
    if isinstance(exc, yaml.reader.ReaderError):
        return f"character U+{exc.character:04X} is not allowed ({exc.reason})"
    return " ".join(str(getattr(exc, "problem", None) or exc).split())


def _dimensions(doc: dict[str, Any], name: str, log: ProblemLog) -> list[str]:
    """The codebook's dimensions, reporting a missing list or one that is not a list of names."""
    if not doc:
        return []
    value = doc.get("dimensions")
    if value is not None and not isinstance(value, list):
        log.add(name, "", "'dimensions' must be a list", "write one dimension per line, each starting with '- '")
        return []
    dimensions = [
        str(d["id"]) if isinstance(d, dict) and d.get("id") else str(d)
        for d in value or []
        if not isinstance(d, list) and (not isinstance(d, dict) or d.get("id"))
    ]
    if len(dimensions) != len(value or []):
        log.add(
            name, "", "'dimensions' must be a list of names", "write one dimension per line, each starting with '- '"
        )
    if not dimensions:
        log.add(name, "", "missing 'dimensions' (the list super-ordinate, transformational, transactional)")
    return dimensions


def load_codebook(path: str | Path, log: ProblemLog | None = None) -> Codebook:
    """Read and check a codebook YAML file.

    Every problem (a file that is missing, unreadable, empty or not a mapping, unparsable YAML, a
    missing required field, a duplicate id, an unknown dimension or parent, a cycle of parents) is
    added to ``log``; without a log they are raised at once as one :class:`~lspkit.errors.LspkitError`.
    A codebook that cannot be read at all is one problem and gives an empty ``codes`` frame.

    >>> import tempfile, pathlib
    >>> empty = pathlib.Path(tempfile.mkdtemp()) / "codebook.yml"
    >>> _ = empty.write_text("# only a comment\\n")
    >>> log = ProblemLog()
    >>> load_codebook(empty, log).codes.empty, [p.message for p in log.problems]
    (True, ['the codebook is empty'])
    """
    path = Path(path)
    own_log = log is None
    log = log if log is not None else ProblemLog()
    name = str(path)
    doc = _read_document(path, log)

    dimensions = _dimensions(doc, name, log)
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    heading_to_element: dict[str, str] = {}

    for kind, fields, key in (("element", ELEMENT_FIELDS, "elements"), ("theme", THEME_FIELDS, "themes")):
        entries = doc.get(key)
        if doc and not isinstance(entries, list):
            log.add(name, "", f"missing the list '{key}'")
            continue
        for i, entry in enumerate(entries or [], start=1):
            if not isinstance(entry, dict):
                log.add(name, f"{key} entry {i}", "each entry must be a mapping of fields")
                continue
            line = entry.get("__line__")
            where = _where(entry, key, i)
            missing = [f for f in fields if not _text(entry.get(f))]
            if missing:
                log.add(
                    name,
                    where,
                    f"{kind} {entry.get('id', '#' + str(i))!r} is missing required field(s): {', '.join(missing)}",
                    f"every {kind} needs {', '.join(fields)}",
                )
                if "id" in missing:
                    continue
            code_id = str(entry["id"])
            if code_id in seen:
                log.add(
                    name,
                    where,
                    f"duplicate code id {code_id!r} (first at line {seen[code_id]})",
                    "code ids must be unique across elements and themes",
                )
                continue
            seen[code_id] = line or 0
            dimension = _text(entry.get("dimension")) or None
            if kind == "element":
                if dimensions and dimension not in dimensions:  # without dimensions, that is reported once
                    log.add(
                        name,
                        where,
                        f"element {code_id!r} has unknown dimension {dimension!r}",
                        f"use one of {dimensions}",
                    )
                heading = _text(entry.get("heading"))  # the form before the codebook's headings table
                if heading:
                    heading_to_element[heading] = code_id
            indicators = _indicators(entry.get("indicators"), code_id, name, where, log)
            rows.append(
                {
                    "code_id": code_id,
                    "label": _text(entry.get("label")),
                    "code_kind": kind,
                    "element": code_id if kind == "element" else None,
                    "dimension": dimension if kind == "element" else None,
                    "parent": _text(entry.get("parent")) or None,
                    "definition": _text(entry.get("definition")),
                    "interpretation": _text(entry.get("interpretation")),
                    "include": _text(entry.get("include")),
                    "exclude": _text(entry.get("exclude")),
                    "examples": _examples(entry.get("examples"), code_id, name, where, log),
                    "indicators": indicators,
                    "_where": where,
                }
            )

    by_id = {r["code_id"]: r for r in rows}
    for row in rows:
        if row["code_kind"] == "element" and row["parent"]:
            log.add(name, row["_where"], f"element {row['code_id']!r} has a parent; only themes nest")
        parent = row["parent"]
        if parent and parent not in by_id:
            log.add(
                name,
                row["_where"],
                f"theme {row['code_id']!r} names unknown parent {parent!r}",
                "a parent must be the id of an element or another theme",
            )
            continue
        # Walk up to the element this theme sits under, guarding against cycles.
        seen_ids = {row["code_id"]}
        node: dict[str, Any] | None = row
        while node is not None and node["code_kind"] == "theme" and node["parent"] in by_id:
            node = by_id[node["parent"]]
            if node["code_id"] in seen_ids:
                log.add(name, row["_where"], f"theme {row['code_id']!r} is in a cycle of parents")
                node = None
                break
            seen_ids.add(node["code_id"])
        if node is not None and node["code_kind"] == "element" and row["code_kind"] == "theme":
            row["element"] = node["code_id"]
            row["dimension"] = node["dimension"]

    relations = _relations(doc, name, log)
    elements = [r["code_id"] for r in rows if r["code_kind"] == "element"]
    headings = _headings(doc, name, set(elements), log)
    for heading, element in zip(headings["heading"], headings["element"]):
        if isinstance(element, str) and element:
            heading_to_element[heading] = element
    examples = pd.DataFrame(
        [(r["code_id"], *example) for r in rows for example in r["examples"]], columns=EXAMPLE_COLUMNS
    )
    if doc and not rows:
        log.add(
            name,
            "",
            "the codebook defines no usable element or theme",
            "see the problems above, if any; "
            "every element needs " + ", ".join(ELEMENT_FIELDS) + " and every theme " + ", ".join(THEME_FIELDS),
        )
    if own_log:
        log.raise_if_any()
    codes = pd.DataFrame([{k: v for k, v in r.items() if k != "_where"} for r in rows], columns=CODE_COLUMNS)
    codes["code_kind"] = pd.Categorical(codes["code_kind"], categories=["element", "theme"], ordered=True)
    codes["element"] = pd.Categorical(codes["element"], categories=elements, ordered=True)
    known = codes["dimension"].isin(dimensions)  # an unknown one is reported above
    codes["dimension"] = pd.Categorical(codes["dimension"].where(known), categories=dimensions, ordered=True)
    return Codebook(
        codes,
        elements,
        dimensions,
        heading_to_element,
        path,
        relations,
        str(doc.get("version", "")) if doc else "",
        headings,
        examples,
        _changes(doc, name, log),
        {
            str(d["id"]): _text(d.get("definition"))
            for d in (doc.get("dimensions") or [] if doc else [])
            if isinstance(d, dict) and d.get("id")
        },
        {k: _text(v) for k, v in (doc.get("model") or {}).items() if k != "__line__"}
        if doc and isinstance(doc.get("model"), dict)
        else {},
    )


def _where(entry: dict, key: str, i: int) -> str:
    line = entry.get("__line__")
    return f"line {line}" if line else f"{key} entry {i}"


def _examples(value: Any, code_id: str, name: str, where: str, log: ProblemLog) -> tuple[tuple[str, str, str], ...]:
    """A code's optional ``examples``: a list of ``{cite, type, note}`` (type typical or borderline)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        log.add(name, where, f"code {code_id!r}: 'examples' must be a list", "each with cite, type and note")
        return ()
    good = []
    for i, item in enumerate(value, start=1):
        if not isinstance(item, dict) or not _text(item.get("cite")):
            log.add(name, where, f"code {code_id!r}: example {i} has no cite", "cite a unit: 'Bolton ¶12'")
            continue
        kind = _text(item.get("type"))
        if kind not in EXAMPLE_TYPES:
            log.add(
                name,
                _where(item, "examples", i),
                f"code {code_id!r}: example {i} has type {kind!r}",
                f"use {' or '.join(EXAMPLE_TYPES)}",
            )
            continue
        good.append((kind, _text(item.get("cite")), _text(item.get("note"))))
    return tuple(good)


def _optional_list(doc: dict, key: str, name: str, log: ProblemLog, problem: str, fix: str) -> list:
    """The entries of an optional list section: ``[]`` when it is absent, and also (after adding
    ``problem`` to ``log``) when it is not a list."""
    entries = doc.get(key) if doc else None
    if entries is None:
        return []
    if not isinstance(entries, list):
        log.add(name, "", problem, fix)
        return []
    return entries


def _headings(doc: dict, name: str, elements: set[str], log: ProblemLog) -> pd.DataFrame:
    """The optional ``headings`` table: each heading of the documents, its element (or none), why."""
    entries = _optional_list(
        doc, "headings", name, log, "'headings' must be a list", "each with heading, element (or null) and reason"
    )
    rows: list[tuple[str, str | None, str]] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not _text(entry.get("heading")):
            log.add(name, f"headings entry {i}", "each heading needs 'heading', 'element' (or null) and 'reason'")
            continue
        where = _where(entry, "headings", i)
        heading, element, reason = (
            _text(entry["heading"]),
            _text(entry.get("element")) or None,
            _text(entry.get("reason")),
        )
        if heading in seen:
            log.add(name, where, f"heading {heading!r} is listed twice", "list each heading once")
            continue
        seen.add(heading)
        if element is not None and elements and element not in elements:
            log.add(
                name, where, f"heading {heading!r} maps to unknown element {element!r}", "use an element id or null"
            )
            continue
        if not reason:
            log.add(name, where, f"heading {heading!r} has no reason", "say why it maps to that element, or to none")
        rows.append((heading, element, reason))
    return pd.DataFrame(rows, columns=HEADING_COLUMNS)


def _changes(doc: dict, name: str, log: ProblemLog) -> pd.DataFrame:
    """The optional change log ``changes``: version, date, code_id (may be empty), change, reason."""
    entries = _optional_list(
        doc, "changes", name, log, "'changes' must be a list", "each with version, date, code_id, change and reason"
    )
    rows: list[tuple[str, str, str, str, str]] = []
    for i, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not _text(entry.get("change")) or not _text(entry.get("reason")):
            log.add(name, f"changes entry {i}", "each change needs 'change' and 'reason'", "say what and why")
            continue
        rows.append(
            (
                _text(entry.get("version")),
                _text(entry.get("date")),
                _text(entry.get("code_id")),
                _text(entry["change"]),
                _text(entry["reason"]),
            )
        )
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


def _relations(doc: dict, name: str, log: ProblemLog) -> pd.DataFrame:
    """The link relation vocabulary (optional ``relations`` list of id, label, definition)."""
    entries = _optional_list(
        doc, "relations", name, log, "'relations' must be a list of relations", "each with id, label and definition"
    )
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries, start=1):
        where = (
            f"line {entry.get('__line__')}"
            if isinstance(entry, dict) and entry.get("__line__")
            else f"relations entry {i}"
        )
        if not isinstance(entry, dict):
            log.add(name, where, "each relation must be a mapping of fields")
            continue
        missing = [f for f in RELATION_COLUMNS if not _text(entry.get(f))]
        if missing:
            log.add(
                name,
                where,
                f"relation {entry.get('id', '#' + str(i))!r} is missing required field(s): {', '.join(missing)}",
                "every relation needs " + ", ".join(RELATION_COLUMNS),
            )
            continue
        rid = _text(entry["id"])
        if rid in seen:
            log.add(name, where, f"duplicate relation id {rid!r}")
            continue
        seen.add(rid)
        rows.append({c: _text(entry[c]) for c in RELATION_COLUMNS})
    return pd.DataFrame(rows, columns=RELATION_COLUMNS)
