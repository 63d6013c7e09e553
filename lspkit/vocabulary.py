"""The workbook's vocabulary: the facts every module shares, defined once.

This module owns the kinds of unit and which of them are evidence, the model's dimensions in their
order, the derived coder, how units are named and cited, how excerpts are cut, and the fixed date
that deterministic files carry. Every other module imports these rather than restating them.

Example:
    >>> unit_id("bolton", "quote", 12, 1), citation("Bolton", "quote", 12, 1)
    ('bolton.p12.quote1', 'Bolton ¶12, quote 1')
    >>> excerpt("one two three four", 2)
    'one two…'
"""

from __future__ import annotations

import re

# A case id: lower-case words joined by hyphens (it names files, pages and units).
CASE_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# The units the case-study parser finds, in the order the frames use.
UNIT_KINDS: tuple[str, ...] = ("paragraph", "quote", "learning_point", "question")
# Evidence: what an analysis counts. The closing questions are generic prompts to every LSP, not
# evidence about one, and the boilerplate paragraphs 1-3 are never counted.
EVIDENCE_KINDS: tuple[str, ...] = ("paragraph", "quote", "learning_point")
# The narrative: the units the documents' headings classify (and so the derived coder can code).
NARRATIVE_KINDS: tuple[str, ...] = ("paragraph", "quote")
UNIT_SETS: dict[str, tuple[str, ...]] = {"narrative": NARRATIVE_KINDS, "learning points": ("learning_point",)}

SUPER_ORDINATE, TRANSFORMATIONAL, TRANSACTIONAL = "super-ordinate", "transformational", "transactional"
DIMENSIONS: tuple[str, ...] = (SUPER_ORDINATE, TRANSFORMATIONAL, TRANSACTIONAL)

# The status of a coded practice (a coding, or a link): achieved (the text reports it in place or
# done), in progress (under way, being developed, piloted) or only an aim (an intention, a plan, a
# future challenge). Aims are coded but never counted as practice; an empty status (a coder who
# does not record one, such as the heading-derived coder) counts as practice.
STATUSES: tuple[str, ...] = ("achieved", "in_progress", "aim")
NOT_PRACTICE: tuple[str, ...] = ("aim",)

# The coder derived from the documents' headings on every load, never typed.
DERIVED_CODER = "structure"
CODER_KINDS: tuple[str, ...] = ("human", "derived", "machine", "imported")

# The timestamp written into deterministic files (zip members, workbooks): the case studies'
# publication month, so the same inputs give the same bytes.
FIXED_DATE: tuple[int, int, int, int, int, int] = (2009, 4, 1, 0, 0, 0)


def unit_id(case_id: str, kind: str, para: int | None, number: int | None) -> str:
    """The stable identifier of a unit: ``bolton.p08``, ``bolton.p12.quote1``, ``bolton.lp3``, ``bolton.question2``.

    >>> unit_id("bolton", "paragraph", 8, None)
    'bolton.p08'
    """
    if kind == "paragraph":
        return f"{case_id}.p{para:02d}"
    if kind == "quote":
        return f"{case_id}.p{para:02d}.quote{number}"
    if kind == "learning_point":
        return f"{case_id}.lp{number}"
    if kind == "question":
        return f"{case_id}.question{number}"
    raise ValueError(f"unknown unit kind {kind!r}")


def citation(short_name: str, kind: str, para: int | None, number: int | None) -> str:
    """How a unit is cited: ``Bolton ¶8``, ``Bolton ¶12, quote 1``, ``Bolton, learning point 3``.

    >>> citation("Bolton", "learning_point", None, 3)
    'Bolton, learning point 3'
    """
    if kind == "paragraph":
        return f"{short_name} ¶{para}"
    if kind == "quote":
        return f"{short_name} ¶{para}, quote {number}"
    if kind == "learning_point":
        return f"{short_name}, learning point {number}"
    return f"{short_name}, question {number}"


def excerpt(text: str, words: int) -> str:
    """The first ``words`` words of ``text``, with '…' when it was cut.

    >>> excerpt("a b c", 3), excerpt("a b c d", 3)
    ('a b c', 'a b c…')
    """
    parts = text.split(None, words)
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")
