"""The codebook: the 7S elements and the inductive themes, read from ``data/codebook.yml``.

This module owns reading and checking the codebook, the orders that every table and plot in
lspkit uses (the 7S element order and the dimension order, both taken from the codebook file), and
the syntax of a code's optional ``indicators``: the terms the machine baseline coder
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
    >>> bool(compile_indicator("recruit*").search("Recruitment of key staff"))
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .errors import ProblemLog

ELEMENT_FIELDS = ("id", "label", "dimension", "heading", "definition", "include", "exclude")
THEME_FIELDS = ("id", "label", "definition")
CODE_COLUMNS = ["code_id", "label", "kind", "element", "dimension", "parent", "definition", "include",
                "exclude", "indicators"]


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that remembers the line each mapping starts on, for error messages."""

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping


@dataclass
class Codebook:
    """The parsed codebook: a tidy ``codes`` frame plus the orders and the heading map."""

    codes: pd.DataFrame
    elements: list[str]
    dimensions: list[str]
    heading_to_element: dict[str, str]
    path: Path

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
        pattern = re.compile(r"(?<!\w)" + r"\s+".join(parts) + (r"" if text.endswith("*") else r"(?!\w)"),
                             re.IGNORECASE)
    if pattern.search(""):
        raise ValueError("matches the empty string, so it would code every unit")
    return pattern


def _indicators(value: Any, code_id: str, name: str, where: str, log: ProblemLog) -> tuple[str, ...]:
    """Check a code's optional ``indicators`` list; every bad entry is reported, the good ones kept."""
    if value is None:
        return ()
    if not isinstance(value, list):
        log.add(name, where, f"code {code_id!r}: 'indicators' must be a list of terms",
                "write one term per line, each starting with '- '")
        return ()
    good = []
    for i, item in enumerate(value, start=1):
        if not isinstance(item, (str, int, float)) or isinstance(item, bool):
            log.add(name, where, f"code {code_id!r}: indicator {i} is not a term", "quote it as a string")
            continue
        try:
            compile_indicator(str(item))
        except ValueError as exc:
            log.add(name, where, f"code {code_id!r}: indicator {i} {str(item)!r}: {exc}",
                    "a word or phrase (optionally ending in *), or a regular expression between slashes")
            continue
        good.append(str(item).strip())
    return tuple(good)


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def load_codebook(path: str | Path, log: ProblemLog | None = None) -> Codebook:
    """Read and check a codebook YAML file.

    Every problem (unparsable YAML, a missing required field, a duplicate id, an unknown dimension or
    parent, a cycle of parents) is added to ``log``; without a log they are raised at once as one
    :class:`~lspkit.errors.LspkitError`.
    """
    path = Path(path)
    own_log = log is None
    log = log if log is not None else ProblemLog()
    name = str(path)
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except FileNotFoundError:
        log.add(name, "", "codebook file not found", "create data/codebook.yml or point LSPKIT_DATA at a data directory")
        doc = None
    except UnicodeDecodeError as exc:
        log.add(name, f"byte {exc.start}", "cannot be decoded as UTF-8", "save the file as UTF-8 text")
        doc = None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        log.add(name, f"line {mark.line + 1}" if mark else "", f"not valid YAML: {getattr(exc, 'problem', exc)}")
        doc = None
    if doc is not None and not isinstance(doc, dict):
        log.add(name, "", "the codebook must be a mapping with 'dimensions', 'elements' and 'themes'")
        doc = None
    doc = doc or {}

    dimensions = [str(d) for d in doc.get("dimensions") or []]
    if doc and not dimensions:
        log.add(name, "", "missing 'dimensions' (the list super-ordinate, transformational, transactional)")
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
            where = f"line {line}" if line else f"{key} entry {i}"
            missing = [f for f in fields if not _text(entry.get(f))]
            if missing:
                log.add(name, where, f"{kind} {entry.get('id', '#' + str(i))!r} is missing required "
                        f"field(s): {', '.join(missing)}", f"every {kind} needs {', '.join(fields)}")
                if "id" in missing:
                    continue
            code_id = str(entry["id"])
            if code_id in seen:
                log.add(name, where, f"duplicate code id {code_id!r} (first at line {seen[code_id]})",
                        "code ids must be unique across elements and themes")
                continue
            seen[code_id] = line or 0
            dimension = _text(entry.get("dimension")) or None
            if kind == "element":
                if dimension not in dimensions:
                    log.add(name, where, f"element {code_id!r} has unknown dimension {dimension!r}",
                            f"use one of {dimensions}")
                heading = _text(entry.get("heading"))
                if heading:
                    heading_to_element[heading] = code_id
            indicators = _indicators(entry.get("indicators"), code_id, name, where, log)
            rows.append({
                "code_id": code_id,
                "label": _text(entry.get("label")),
                "kind": kind,
                "element": code_id if kind == "element" else None,
                "dimension": dimension if kind == "element" else None,
                "parent": _text(entry.get("parent")) or None,
                "definition": _text(entry.get("definition")),
                "include": _text(entry.get("include")),
                "exclude": _text(entry.get("exclude")),
                "indicators": indicators,
                "_where": where,
            })

    by_id = {r["code_id"]: r for r in rows}
    for row in rows:
        if row["kind"] == "element" and row["parent"]:
            log.add(name, row["_where"], f"element {row['code_id']!r} has a parent; only themes nest")
        parent = row["parent"]
        if parent and parent not in by_id:
            log.add(name, row["_where"], f"theme {row['code_id']!r} names unknown parent {parent!r}",
                    "a parent must be the id of an element or another theme")
            continue
        # Walk up to the element this theme sits under, guarding against cycles.
        seen_ids = {row["code_id"]}
        node = row
        while node["kind"] == "theme" and node["parent"] in by_id:
            node = by_id[node["parent"]]
            if node["code_id"] in seen_ids:
                log.add(name, row["_where"], f"theme {row['code_id']!r} is in a cycle of parents")
                node = None
                break
            seen_ids.add(node["code_id"])
        if node is not None and node["kind"] == "element" and row["kind"] == "theme":
            row["element"] = node["code_id"]
            row["dimension"] = node["dimension"]

    elements = [r["code_id"] for r in rows if r["kind"] == "element"]
    if own_log:
        log.raise_if_any()
    codes = pd.DataFrame([{k: v for k, v in r.items() if k != "_where"} for r in rows], columns=CODE_COLUMNS)
    codes["kind"] = pd.Categorical(codes["kind"], categories=["element", "theme"], ordered=True)
    codes["element"] = pd.Categorical(codes["element"], categories=elements, ordered=True)
    codes["dimension"] = pd.Categorical(codes["dimension"], categories=dimensions, ordered=True)
    return Codebook(codes, elements, dimensions, heading_to_element, path)
