"""The catalogue of bad inputs behind ``tests/test_bad_inputs.py``.

Each area (data files and raw texts, run options and parameters, REFI-QDA archives, the reliability
API) keeps its own list ``CASES`` of :class:`BadInput` in a module of this package. A case either runs
the ``lspkit`` command line in-process (``argv``) or calls the library (``call``). The harness gives
every case a fresh copy of ``data/`` and a scratch folder, lets ``setup`` break them, and then checks:

* the exit code (command line) or the exception type (library call);
* that the message names the file, row, parameter or path (every string in ``expect``);
* that no Python traceback is printed;
* that the data folder is byte-identical afterwards (nothing lost, nothing half-written).

In ``argv``, ``{data}`` and ``{tmp}`` are replaced by the data copy and the scratch folder; the
harness adds ``--data {data}`` in front unless the case sets ``data_option=False``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class BadInput:
    """One bad input and what a user must see for it."""

    id: str
    expect: tuple[str, ...]
    argv: tuple[str, ...] = ()
    setup: Callable[[Path, Path], None] | None = None
    exit_code: int = 1
    call: Callable[[Path, Path], object] | None = None
    raises: type[BaseException] | tuple[type[BaseException], ...] = Exception
    data_option: bool = True
    marks: tuple = field(default=())


def write(relative: str, text: str | bytes) -> Callable[[Path, Path], None]:
    """A setup that writes ``text`` to ``relative`` inside the data copy (``{tmp}/`` for the scratch folder)."""

    def setup(data: Path, tmp: Path) -> None:
        base, rel = (tmp, relative[len("{tmp}/"):]) if relative.startswith("{tmp}/") else (data, relative)
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_bytes(text.encode("utf-8"))

    return setup


def append(relative: str, text: str) -> Callable[[Path, Path], None]:
    """A setup that appends ``text`` to a file of the data copy."""

    def setup(data: Path, tmp: Path) -> None:
        with open(data / relative, "ab") as fh:
            fh.write(text.encode("utf-8"))

    return setup


def both(*setups: Callable[[Path, Path], None]) -> Callable[[Path, Path], None]:
    """Several setups in order."""

    def setup(data: Path, tmp: Path) -> None:
        for s in setups:
            s(data, tmp)

    return setup
