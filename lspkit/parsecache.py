"""Parsed case studies cached on disk by content, so a large corpus is parsed once, not on every load.

This module owns reading a raw case-study file for the corpus loader: its bytes are read once,
decoded, parsed by :mod:`lspkit.caseformat` and returned as columns (one list per unit field, in
document order, plus each unit's word count) with the decoded text, and the result of a clean parse
is cached.

* **Where:** ``$LSPKIT_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/lspkit``, else
  ``~/.cache/lspkit``; never inside the data directory. ``LSPKIT_NO_CACHE=1`` turns it off.
* **Key:** the SHA-256 of the file's bytes and the case id, under a folder named by a hash of the
  parser's source (``caseformat.py`` and this module) and the Python version. Editing the text or
  the parser therefore never reuses an old parse; delete the folder to reclaim the space. The same
  text saved with other line breaks, or with a byte-order mark, is other bytes with other offsets,
  so it has its own entry.
* **Never different, only faster:** a text with problems is parsed every time, so its report is
  always fresh and complete; an entry that cannot be read, or does not have the expected shape, is
  ignored and rewritten; a cache that cannot be written is skipped silently. Entries are written
  atomically (a temporary file, then a rename), so concurrent kernels can share the cache.

Entries are :mod:`marshal` data (plain strings, numbers, lists and tuples; fast to load).

Example:
    >>> parsed = load_case("data/raw/bolton.txt", "bolton", cache=False)
    >>> parsed.title
    "'Bolton first, politics second' in Bolton Vision Partnership"
    >>> parsed.columns["unit_id"][7], parsed.columns["words"][7]
    ('bolton.p08', 65)
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import caseformat
from .errors import Problem

FORMAT = 1
ENV_DIR = "LSPKIT_CACHE_DIR"
ENV_OFF = "LSPKIT_NO_CACHE"
# The unit fields the parser writes (in this order), then the word count added here.
UNIT_FIELDS = (
    "unit_id",
    "case_id",
    "kind",
    "para",
    "number",
    "section",
    "heading",
    "dimension",
    "boilerplate",
    "speaker",
    "text",
    "start",
    "end",
    "line",
)
COLUMNS = UNIT_FIELDS + ("words",)


@dataclass
class CaseUnits:
    """One parsed case study: front matter, headings, its units as columns, and its raw text.

    ``text`` is the file decoded by :func:`lspkit.caseformat.decode_case_bytes`: a leading
    byte-order mark removed, every other character (``\\r\\n`` and ``\\r`` line breaks included)
    kept. The units' ``start`` and ``end`` index it; the corpus keeps it in ``Corpus.raw``.
    """

    case_id: str
    file: str
    title: str
    published: str
    headings: list[tuple[str, str, int]]
    columns: dict[str, list[Any]]
    text: str

    def __len__(self) -> int:
        return len(self.columns["unit_id"])


def cache_dir() -> Path | None:
    """The cache folder, or None when caching is switched off (``LSPKIT_NO_CACHE=1``).

    >>> cache_dir() is None or isinstance(cache_dir(), Path)
    True
    """
    if os.environ.get(ENV_OFF, "").strip() not in ("", "0"):
        return None
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lspkit"


@lru_cache(maxsize=1)
def parser_version() -> str:
    """A hash of everything a cached entry depends on besides the text: the parser, this module, Python."""
    digest = hashlib.sha256(f"{FORMAT}|{sys.version_info[:2]}|{marshal.version}".encode())
    for module in (caseformat, sys.modules[__name__]):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()[:16]


def _columns(parsed: caseformat.ParsedCase) -> dict[str, list[Any]]:
    units = parsed.units
    columns = {name: [u[name] for u in units] for name in UNIT_FIELDS}
    # The parser normalises white space, so words are exactly one more than the spaces.
    columns["words"] = [t.count(" ") + 1 if t else 0 for t in columns["text"]]
    return columns


def _entry_path(root: Path, data: bytes, case_id: str) -> Path:
    key = hashlib.sha256(hashlib.sha256(data).digest() + b"\0" + case_id.encode()).hexdigest()
    return root / f"parsed-{parser_version()}" / f"{key}.marshal"


def _read_entry(path: Path) -> tuple[str, str, list[tuple[str, str, int]], dict[str, list[Any]]] | None:
    try:
        entry = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not (isinstance(entry, tuple) and len(entry) == 5 and entry[0] == FORMAT):
        return None
    _, title, published, headings, columns = entry
    if not (
        isinstance(title, str)
        and isinstance(published, str)
        and isinstance(headings, list)
        and isinstance(columns, dict)
        and tuple(columns) == COLUMNS
    ):
        return None
    n = len(columns["unit_id"])
    if not all(isinstance(v, list) and len(v) == n for v in columns.values()):
        return None
    return title, published, [tuple(h) for h in headings], columns


def _write_entry(path: Path, parsed: caseformat.ParsedCase, columns: dict[str, list[Any]]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        blob = marshal.dumps((FORMAT, parsed.title, parsed.published, [tuple(h) for h in parsed.headings], columns))
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem[:12]}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
    except (OSError, ValueError):
        pass  # a cache we cannot write only costs time


def load_case(
    path: str | Path, case_id: str | None = None, problems: list[Problem] | None = None, cache: bool = True
) -> CaseUnits:
    """Read, decode and parse one raw case-study file, using the cache when it holds this text.

    Problems are appended to ``problems`` (or raised, without a list) exactly as
    :func:`lspkit.caseformat.read_case_file` reports them; a file that cannot be read or is not
    UTF-8 raises :class:`~lspkit.errors.LspkitError`. ``cache=False`` neither reads nor writes the
    cache.
    """
    path = Path(path)
    case_id = case_id or path.stem
    data = caseformat.read_case_bytes(path)
    text = caseformat.decode_case_bytes(data, path)
    root = cache_dir() if cache else None
    entry_path = _entry_path(root, data, case_id) if root is not None else None
    if entry_path is not None and (entry := _read_entry(entry_path)) is not None:
        title, published, headings, columns = entry
        return CaseUnits(case_id, str(path), title, published, headings, columns, text)
    found: list[Problem] = []
    try:
        parsed = caseformat.parse_case_text(text, case_id, str(path), found if problems is not None else None)
    finally:
        if problems is not None:
            problems.extend(found)
    columns = _columns(parsed)
    if entry_path is not None and not found:
        _write_entry(entry_path, parsed, columns)
    return CaseUnits(case_id, str(path), parsed.title, parsed.published, list(parsed.headings), columns, text)
