"""The "Working better together?" case-study format: raw text in, units of analysis out.

This module owns the rules of the Audit Commission's 2009 case-study format and nothing else. It
knows the document's sections, how paragraphs, attributed quotations, learning points and questions
are written, and the artefacts PDF extraction left in the texts:

* paragraph numbers written ``- 6** ``, ``- 6 `` or ``6 ``;
* a stray ``-`` line between paragraphs;
* a paragraph split by a page break and continued, after a blank line, with a lower-case word;
* straight and curly quotation marks;
* attributed quotations standing between numbered paragraphs;
* learning points as bullets, possibly separated by blank lines;
* questions numbered ``1.`` or ``- 1 ``.

Every non-blank line of the body must be one of these; anything else is reported with its line
number rather than skipped, so no text is silently lost. So is a control character other than tab
and the line breaks (a NUL, a form feed, ...), with its line and column.

**The text and its offsets.** A raw file is decoded as UTF-8; a leading byte-order mark is removed
(it is not part of the text) and every other character is kept exactly, line breaks included, which
may be ``\\n``, ``\\r\\n`` or a lone ``\\r``. Character positions (``start``, ``end``) are offsets into
that text in code points (Python ``str`` indices, the positions REFI-QDA uses too), so
``text[start:end]`` is a unit's exact characters whatever the file's line breaks. Line numbers, and
each unit's ``text`` (its characters with white space normalised), are the same for every kind of
line break.

Example:
    >>> parsed = parse_case_text(open("data/raw/bolton.txt", encoding="utf-8").read(),
    ...                          case_id="bolton", file="data/raw/bolton.txt")
    >>> parsed.title
    "'Bolton first, politics second' in Bolton Vision Partnership"
    >>> parsed.units[7]["unit_id"], parsed.units[7]["text"][:28]
    ('bolton.p08', 'In 2007, the Council and Gre')
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate, count
from operator import add
from pathlib import Path
from typing import Any

from .errors import LspkitError, Problem
from .vocabulary import unit_id  # noqa: F401  (the parser names units with it)

SERIES_LINE = "working better together? case study"

# The document's top-level sections, in the order they must appear: (heading, dimension, unit kind).
SECTIONS: list[tuple[str, str | None, str]] = [
    ("Background", None, "paragraph"),
    ("Long-term objectives", "super-ordinate", "paragraph"),
    ("Transformational elements", "transformational", "paragraph"),
    ("Transactional elements", "transactional", "paragraph"),
    ("Learning Points", None, "learning_point"),
    ("Questions for LSPs and their partners to consider", None, "question"),
]
END_SECTION = "Further information"
BOILERPLATE_SECTION = "Background"  # paragraphs 1-3, identical in every case study
LEARNING_DIMENSIONS = ("transformational", "transactional")

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
DATE_RE = re.compile(rf"^\s*({_MONTHS})\s+(\d{{4}})\s*$")
PARA_RE = re.compile(r"^\s*(?:[-\u2013\u2022]\s+)?(\d{1,3})(?:\*\*)?\s+(?=\S)")
QUESTION_RE = re.compile(r"^\s*(?:[-\u2013\u2022]\s+)?(\d{1,2})[.)]?\s+(?=\S)")
BULLET_RE = re.compile(r"^\s*[-\u2013\u2022]\s+(?=\S)")
STRAY_DASH_RE = re.compile(r"^\s*[-\u2013\u2022]\s*$")
OPEN_QUOTES = "'\"\u2018\u201c"
CLOSE_QUOTES = "'\"\u2019\u201d"
QUOTE_RE = re.compile(
    rf"^\s*[{OPEN_QUOTES}](?P<body>.*\S)[{CLOSE_QUOTES}]\s+"
    rf"(?P<speaker>[^{OPEN_QUOTES}{CLOSE_QUOTES}]*?[^{OPEN_QUOTES}{CLOSE_QUOTES}\s.])\.?\s*$"
)

MONTH_NUMBERS = {m: i + 1 for i, m in enumerate(_MONTHS.split("|"))}

LINE_BREAK_RE = re.compile(r"\r\n?|\n")
BYTES_LINE_BREAK_RE = re.compile(rb"\r\n?|\n")
# C0 and C1 control characters, DEL included; tab, line feed and carriage return are allowed.
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])  # CONTROL_RE's C0 part and DEL
C1_UTF8_RE = re.compile(rb"\xc2[\x80-\x9f]")
CONTROL_NAMES = {
    0x00: "NUL",
    0x08: "backspace",
    0x0B: "vertical tab",
    0x0C: "form feed",
    0x1A: "substitute",
    0x1B: "escape",
    0x7F: "DEL",
    0x85: "next line",
}
CONTROL_REPORT_LIMIT = 10
BOM = "\ufeff"


def normalise_space(text: str) -> str:
    """Collapse every run of white space to one space and strip the ends.

    >>> normalise_space("what do we need to do\\n\\ndifferently?'")
    "what do we need to do differently?'"
    """
    return " ".join(text.split())  # str.split() and re's \s agree on what white space is


def _key(line: str) -> str:
    return normalise_space(line).casefold()


_SECTION_KEYS = {_key(name): i for i, (name, _, _) in enumerate(SECTIONS)}
_END_KEY = _key(END_SECTION)
# A line can only be a section heading if its first character starts one (casefolded): a cheap
# test that spares normalising every paragraph line.
_KEY_INITIALS = frozenset(k[0] for k in (*_SECTION_KEYS, _END_KEY))


@dataclass
class ParsedCase:
    """What one raw case-study text holds: its front matter and its units, in document order."""

    case_id: str
    file: str
    title: str
    published: str  # ISO year-month, e.g. "2009-04"
    units: list[dict[str, Any]] = field(default_factory=list)
    headings: list[tuple[str, str, int]] = field(default_factory=list)  # (section, heading, line)


@dataclass(slots=True)
class _Line:
    number: int  # 1-based
    start: int
    end: int  # exclusive, without the line break
    text: str


def _split_lines(text: str) -> tuple[list[str], list[int]]:
    """Each line's text (without its line break) and the offset where it starts.

    A line ends at ``\\n``, ``\\r\\n`` or a lone ``\\r``.

    >>> _split_lines("a\\r\\nbc\\rd\\n")
    (['a', 'bc', 'd', ''], [0, 3, 6, 8])
    """
    if "\r" not in text:
        contents = text.split("\n")
        # Line i starts after the i earlier lines and their i one-character line breaks.
        return contents, list(map(add, accumulate(map(len, contents), initial=0), count()))[: len(contents)]
    contents, starts, start = [], [], 0
    for brk in LINE_BREAK_RE.finditer(text):
        contents.append(text[start : brk.start()])
        starts.append(start)
        start = brk.end()
    contents.append(text[start:])
    starts.append(start)
    return contents, starts


def _line_number(starts: list[int], offset: int) -> int:
    """The 1-based number of the line holding ``offset``."""
    return bisect_right(starts, offset)


def control_character_problems(text: str, file: str = "<text>", limit: int = CONTROL_REPORT_LIMIT) -> list[Problem]:
    """A :class:`Problem` for each control character in ``text`` other than tab and the line breaks.

    Each names the line and the column (both from 1; the column counts characters). After ``limit``
    of them, one more problem gives the number of the rest.

    >>> [f"{p.where}: {p.message}" for p in control_character_problems("ok\\nab\\x00c\\x0c\\n", "x.txt")]
    ['line 2, column 3: control character U+0000 (NUL)', 'line 2, column 5: control character U+000C (form feed)']
    """
    if not _has_control(text):
        return []
    found = [m.start() for m in CONTROL_RE.finditer(text)]
    _, starts = _split_lines(text)
    problems = []
    for offset in found[:limit]:
        line = _line_number(starts, offset)
        code = ord(text[offset])
        name = CONTROL_NAMES.get(code)
        problems.append(
            Problem(
                file,
                f"line {line}, column {offset - starts[line - 1] + 1}",
                f"control character U+{code:04X}" + (f" ({name})" if name else ""),
                "delete it: a case study is plain text, where tab and line breaks are the only control characters",
            )
        )
    if len(found) > limit:
        problems.append(
            Problem(
                file, "", f"{len(found) - limit:,} more control character(s) after these {limit}", "delete them all"
            )
        )
    return problems


def _has_control(text: str) -> bool:
    """Whether ``text`` holds a character :data:`CONTROL_RE` matches; twice as fast as searching with it.

    In UTF-8 a C0 control or DEL is one byte of its own, and a C1 control is ``\\xc2`` and a byte
    from ``\\x80`` to ``\\x9f``.
    """
    data = text.encode("utf-8", "surrogatepass")
    return len(data.translate(None, CONTROL_BYTES)) != len(data) or C1_UTF8_RE.search(data) is not None


def utf16_problem(text: str, file: str = "<text>") -> Problem | None:
    """A :class:`Problem` when ``text`` is mostly NUL characters: UTF-16 text read as UTF-8.

    >>> print(utf16_problem("B\\x00a\\x00c\\x00k\\x00", "x.txt"))
    x.txt: holds 4 NUL characters in 8: it looks like UTF-16 text (save the file as UTF-8 text)
    >>> utf16_problem("Background", "x.txt") is None
    True
    """
    nuls = text.count("\0")
    if not nuls or nuls * 4 < len(text):
        return None
    return Problem(
        file,
        "",
        f"holds {nuls:,} NUL characters in {len(text):,}: it looks like UTF-16 text",
        "save the file as UTF-8 text",
    )


def _line(contents: list[str], starts: list[int], index: int) -> _Line:
    content = contents[index]
    return _Line(index + 1, starts[index], starts[index] + len(content), content)


def _is_heading_like(line: str) -> bool:
    s = line.strip()
    return 0 < len(s) <= 120 and s[0].isupper() and s[-1] not in ".!?;:," and not s[0].isdigit()


def parse_case_text(text: str, case_id: str, file: str = "<text>", problems: list[Problem] | None = None) -> ParsedCase:
    """Parse one case study's text into units of analysis.

    ``text`` is the decoded file (see :func:`decode_case_bytes`); its line breaks may be ``\\n``,
    ``\\r\\n`` or ``\\r``, and ``start``/``end`` index it exactly.

    Returns a :class:`ParsedCase`. Every line it cannot place, every gap in the paragraph or
    question numbering, every missing section heading and every control character (other than tab
    and the line breaks) is a :class:`Problem`: they are raised
    together as one :class:`LspkitError`, or, when a ``problems`` list is passed, appended to it
    and the best-effort parse is returned (so a validator can go on to check more).

    >>> parsed = parse_case_text(open("data/raw/hammersmith-and-fulham.txt", encoding="utf-8").read(),
    ...                          "hammersmith-and-fulham")
    >>> [u["unit_id"] for u in parsed.units if u["kind"] == "quote"]
    ['hammersmith-and-fulham.p19.quote1', 'hammersmith-and-fulham.p19.quote2']
    """
    strict = problems is None
    problems = [] if problems is None else problems
    found_before = len(problems)

    def problem(line: _Line | None, message: str, hint: str = "") -> None:
        problems.append(Problem(file, f"line {line.number}" if line else "", message, hint))

    if _has_control(text):
        if (utf16 := utf16_problem(text, file)) is not None:  # no text to parse: one problem, not hundreds
            if strict:
                raise LspkitError([utf16])
            problems.append(utf16)
            return ParsedCase(case_id, file, "", "")
        problems.extend(control_character_problems(text, file))
    contents, starts = _split_lines(text)
    title, published, body_start = _front_matter(contents, starts, problem)

    units: list[dict[str, Any]] = []
    headings: list[tuple[str, str, int]] = []
    section_index = -1
    heading: str | None = None
    lp_dimension: str | None = None
    current: dict[str, Any] | None = None
    last_para = 0
    last_question = 0
    quotes_after: dict[int, int] = {}
    learning_count = 0
    previous_blank = True

    def open_unit(kind: str, line: _Line, start: int, end: int, **extra: Any) -> dict[str, Any]:
        name, dimension, _ = SECTIONS[section_index]
        unit = {
            "kind": kind,
            "para": None,
            "number": None,
            "section": name,
            "heading": heading if heading is not None else name,
            "dimension": dimension,
            "boilerplate": name == BOILERPLATE_SECTION,
            "speaker": None,
            "line": line.number,
            "start": start,
            "end": end,
        }
        unit.update(extra)
        units.append(unit)
        return unit

    for index in range(body_start, len(contents)):
        stripped = contents[index].strip()
        if not stripped:
            previous_blank = True
            continue
        line = _line(contents, starts, index)
        key = _key(stripped) if stripped[0].casefold()[0] in _KEY_INITIALS else ""
        if key == _END_KEY:
            break
        if key in _SECTION_KEYS:
            index = _SECTION_KEYS[key]
            if index != section_index + 1:
                expected = SECTIONS[section_index + 1][0] if section_index + 1 < len(SECTIONS) else END_SECTION
                problem(
                    line,
                    f"section heading '{stripped}' out of order; expected '{expected}' next",
                    "the format's sections are: " + ", ".join(s for s, _, _ in SECTIONS),
                )
            section_index = index
            name = SECTIONS[index][0]
            heading = name if SECTIONS[index][1] == "super-ordinate" or index == 0 else None
            if SECTIONS[index][2] == "question":
                heading = name
            lp_dimension = None
            current = None
            previous_blank = True
            continue
        if section_index < 0:
            problem(line, "text before the 'Background' heading", "front matter ends at the title block and date")
            continue
        kind = SECTIONS[section_index][2]
        first_char = stripped[0]

        # A page break splits a unit: the rest follows a blank line and starts in lower case.
        if (
            current is not None
            and (not previous_blank or first_char.islower())
            and not (PARA_RE.match(line.text) or BULLET_RE.match(line.text) or QUESTION_RE.match(line.text))
        ):
            current["end"] = line.start + len(line.text.rstrip())
            previous_blank = False
            continue
        if first_char.islower():
            problem(
                line,
                "a line starting in lower case that continues no unit",
                "join it to the paragraph it belongs to, or check the extraction",
            )
            previous_blank = False
            continue

        if kind == "paragraph":
            if STRAY_DASH_RE.match(line.text):
                current = None
            elif m := PARA_RE.match(line.text):
                para = int(m.group(1))
                if para != last_para + 1:
                    problem(
                        line,
                        f"paragraph number {para} follows {last_para}: numbering has a gap or repeat",
                        "paragraphs must be numbered 1, 2, 3, ... through the document",
                    )
                last_para = para
                current = open_unit(
                    "paragraph",
                    line,
                    line.start + m.end(),
                    line.start + len(line.text.rstrip()),
                    para=para,
                    number=para,
                )
            elif first_char in OPEN_QUOTES:
                q = QUOTE_RE.match(line.text)
                if q is None:
                    problem(
                        line,
                        "quotation without an attribution after its closing quotation mark",
                        "attributed quotations end with the speaker, e.g. ' ...' LA Chief Executive.",
                    )
                    current = None
                elif last_para == 0:
                    problem(line, "quotation before any numbered paragraph")
                    current = None
                else:
                    quotes_after[last_para] = quotes_after.get(last_para, 0) + 1
                    open_unit(
                        "quote",
                        line,
                        line.start + q.start("body"),
                        line.start + q.end("body"),
                        para=last_para,
                        number=quotes_after[last_para],
                        speaker=normalise_space(q.group("speaker")),
                    )
                    current = None  # a quotation is one line
            elif previous_blank and _is_heading_like(stripped):
                heading = normalise_space(stripped)
                headings.append((SECTIONS[section_index][0], heading, line.number))
                current = None
            else:
                problem(
                    line,
                    f"unrecognised line in '{SECTIONS[section_index][0]}': {stripped[:60]!r}",
                    "expected a numbered paragraph, an attributed quotation or a heading",
                )
                current = None
        elif kind == "learning_point":
            if m := BULLET_RE.match(line.text):
                if lp_dimension is None:
                    problem(
                        line, "learning point before a 'Transformational learning' or 'Transactional learning' heading"
                    )
                learning_count += 1
                current = open_unit(
                    "learning_point",
                    line,
                    line.start + m.end(),
                    line.start + len(line.text.rstrip()),
                    number=learning_count,
                    dimension=lp_dimension,
                )
            elif previous_blank and _is_heading_like(stripped):
                word = (key or _key(stripped)).split()[0]
                if word not in LEARNING_DIMENSIONS:
                    problem(
                        line,
                        f"learning-point heading '{stripped}' names no dimension",
                        "expected 'Transformational learning' or 'Transactional learning'",
                    )
                lp_dimension = word if word in LEARNING_DIMENSIONS else None
                heading = normalise_space(stripped)
                headings.append((SECTIONS[section_index][0], heading, line.number))
                current = None
            else:
                problem(
                    line,
                    f"unrecognised line under learning points: {stripped[:60]!r}",
                    "learning points are bullets starting '- '",
                )
                current = None
        else:  # questions
            if m := QUESTION_RE.match(line.text):
                number = int(m.group(1))
                if number != last_question + 1:
                    problem(
                        line,
                        f"question number {number} follows {last_question}: numbering has a gap",
                        "questions must be numbered 1, 2, 3, ...",
                    )
                last_question = number
                current = open_unit(
                    "question", line, line.start + m.end(), line.start + len(line.text.rstrip()), number=number
                )
            else:
                problem(
                    line,
                    f"unrecognised line under questions: {stripped[:60]!r}",
                    "questions are numbered '1.' or '- 1 '",
                )
                current = None
        previous_blank = False

    for index, (name, _, kind) in enumerate(SECTIONS):
        if index > section_index:
            problem(
                None,
                f"missing section heading '{name}'",
                "a case study in this format has every section: " + ", ".join(s for s, _, _ in SECTIONS),
            )
        elif not any(u["section"] == name for u in units):
            problem(None, f"section '{name}' holds no {kind.replace('_', ' ')}s")
    if strict and len(problems) > found_before:
        raise LspkitError(problems)

    for unit in units:
        unit["text"] = normalise_space(text[unit["start"] : unit["end"]])
        unit["unit_id"] = unit_id(case_id, unit["kind"], unit["para"], unit["number"])
        unit["case_id"] = case_id
    return ParsedCase(case_id, file, title, published, units, headings)


def _front_matter(lines: list[str], starts: list[int], problem) -> tuple[str, str, int]:
    """Find the title block, the publication date and the line where the body starts."""
    series = next((i for i, text in enumerate(lines) if _key(text) == SERIES_LINE), None)
    body = next((i for i, text in enumerate(lines) if _key(text) == _key(SECTIONS[0][0])), None)
    title, published = "", ""
    if series is None:
        problem(
            None, "missing the series line 'Working better together? Case study'", "the title block follows that line"
        )
    else:
        block = []
        for text in lines[series + 1 :]:
            if text.strip():
                block.append(text)
            elif block:
                break
        title = normalise_space(" ".join(block))
        if not title:
            problem(_line(lines, starts, series), "no title after the series line")
    stop = body if body is not None else len(lines)
    for text in lines[:stop]:
        if m := DATE_RE.match(text):
            published = f"{int(m.group(2)):04d}-{MONTH_NUMBERS[m.group(1)]:02d}"
            break
    else:
        problem(None, "no publication date (a line such as 'April 2009') before 'Background'")
    return title, published, (body if body is not None else len(lines))


def read_case_file(path: Path, case_id: str | None = None, problems: list[Problem] | None = None) -> ParsedCase:
    """Read and parse one raw case-study file; the case id defaults to the file's stem.

    A file that cannot be read, or is not valid UTF-8, raises :class:`LspkitError` naming the file
    (and the line and byte).
    """
    path = Path(path)
    return parse_case_text(decode_case_bytes(read_case_bytes(path), path), case_id or path.stem, str(path), problems)


def read_case_bytes(path: str | Path) -> bytes:
    """A raw case-study file's bytes; a folder, or a file that cannot be read, raises :class:`LspkitError`.

    >>> read_case_bytes("data/raw")
    Traceback (most recent call last):
    ...
    lspkit.errors.LspkitError: data/raw: is a folder, not a file (a case study is a text file, raw/<case-id>.txt)
    """
    try:
        return Path(path).read_bytes()
    except IsADirectoryError:
        problem = Problem(str(path), "", "is a folder, not a file", "a case study is a text file, raw/<case-id>.txt")
    except PermissionError:
        problem = Problem(str(path), "", "cannot be read: permission denied", "make the file readable (chmod a+r)")
    except OSError as exc:
        problem = Problem(str(path), "", f"cannot be read: {exc.strerror or exc}")
    raise LspkitError([problem])


def decode_case_bytes(data: bytes, path: str | Path = "<bytes>") -> str:
    """A raw case-study file's bytes as text: UTF-8, a leading byte-order mark removed, nothing else changed.

    Bytes that are not UTF-8 raise :class:`LspkitError` naming the line (counting ``\\n``, ``\\r\\n``
    and ``\\r`` as line breaks) and the byte.

    >>> decode_case_bytes(b"Background\\n", "x.txt")
    'Background\\n'
    >>> decode_case_bytes(b"\\xef\\xbb\\xbfBackground\\r\\n", "x.txt")
    'Background\\r\\n'
    >>> decode_case_bytes(b"ok\\n\\xff", "x.txt")
    Traceback (most recent call last):
    ...
    lspkit.errors.LspkitError: x.txt, line 2: cannot be decoded as UTF-8 (byte 3: b'\\xff') ...
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = len(BYTES_LINE_BREAK_RE.findall(data, 0, exc.start)) + 1
        utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff") or data.count(b"\0") * 4 >= len(data)
        hint = ("it looks like UTF-16: " if utf16 else "") + "save the file as UTF-8 text"
        raise LspkitError(
            [
                Problem(
                    str(path),
                    f"line {line}",
                    f"cannot be decoded as UTF-8 (byte {exc.start}: {data[exc.start : exc.start + 1]!r})",
                    hint,
                )
            ]
        ) from None
    return text[1:] if text.startswith(BOM) else text
