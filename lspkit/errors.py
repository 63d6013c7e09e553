"""Errors lspkit raises about its inputs.

This module owns :class:`LspkitError`, the error lspkit raises about its inputs, with a subclass for
each kind: :class:`DataError` (a data directory), :class:`ParameterError` (a parameter, option or
argument; also a ``ValueError``) and :class:`RunError` (a failed notebook); and :class:`Problem`,
one located complaint inside it. A ``LspkitError`` may carry many
problems so that ``lspkit validate`` can report everything wrong with a data directory at once.

Example:
    >>> err = LspkitError([Problem("data/cases.csv", "row 3", "duplicate case_id 'bolton'")])
    >>> print(err)
    data/cases.csv, row 3: duplicate case_id 'bolton'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one place in one file.

    ``where`` is a human-readable location such as ``"line 12"`` or ``"row 4"``; ``hint`` says what
    to do about it.
    """

    file: str
    where: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        loc = f"{self.file}, {self.where}" if self.where else self.file
        text = f"{loc}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class LspkitError(Exception):
    """Raised for any input lspkit cannot accept; ``problems`` lists every located complaint."""

    def __init__(self, problems: Iterable[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem("", "", problems)]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class DataError(LspkitError):
    """A data directory, or a file in it, that lspkit cannot accept (``lspkit validate`` lists them)."""


class ParameterError(LspkitError, ValueError):
    """A parameter, option or argument that lspkit cannot use; also a :class:`ValueError`."""


class RunError(LspkitError):
    """A notebook run that failed: the problem names the notebook and the failing cell."""


class ProblemLog:
    """Collects problems while a loader keeps going, then raises them together.

    >>> log = ProblemLog()
    >>> log.add("codebook.yml", "entry 2", "missing field 'label'")
    >>> log.raise_if_any()
    Traceback (most recent call last):
    ...
    lspkit.errors.LspkitError: codebook.yml, entry 2: missing field 'label'
    """

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, file: str, where: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(str(file), where, message, hint))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self, error: type[LspkitError] = LspkitError) -> None:
        """Raise ``error`` (an :class:`LspkitError`) listing every problem, if there is any."""
        if self.problems:
            raise error(self.problems)
