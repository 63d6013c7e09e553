"""A table-driven catalogue of bad inputs: each gets a clear message and loses nothing.

The cases live in ``tests/badinputs/`` by area; see that package's docstring for what each is checked for.
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
import shutil
from pathlib import Path

import pytest

from lspkit.cli import main

from . import badinputs
from .badinputs import BadInput
from .conftest import DATA


def _catalogue() -> list[BadInput]:
    cases: list[BadInput] = []
    for info in sorted(pkgutil.iter_modules(badinputs.__path__), key=lambda m: m.name):
        cases += importlib.import_module(f"{badinputs.__name__}.{info.name}").CASES
    return cases


CATALOGUE = _catalogue()


def _snapshot(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir")
            for p in sorted(root.rglob("*"))}


def test_catalogue_is_large_and_ids_are_unique():
    ids = [c.id for c in CATALOGUE]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert len(ids) >= 80


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=c.marks) for c in CATALOGUE])
def test_bad_input(case: BadInput, tmp_path: Path, capsys, monkeypatch):
    data, scratch = tmp_path / "data", tmp_path / "scratch"
    shutil.copytree(DATA, data)
    scratch.mkdir()
    monkeypatch.chdir(scratch)
    if case.setup is not None:
        case.setup(data, scratch)
    before = _snapshot(data)
    if case.call is not None:
        with pytest.raises(case.raises) as info:
            case.call(data, scratch)
        out = f"{type(info.value).__name__}: {info.value}"
        printed = capsys.readouterr()
        out += printed.out + printed.err
    else:
        argv = [a.replace("{data}", str(data)).replace("{tmp}", str(scratch)) for a in case.argv]
        if case.data_option:
            argv = ["--data", str(data), *argv]
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code
        printed = capsys.readouterr()
        out = printed.out + printed.err
        assert code == case.exit_code, out
    assert "Traceback (most recent call last)" not in out, out
    for needle in case.expect:
        needle = needle.replace("{data}", str(data)).replace("{tmp}", str(scratch))
        assert needle in out, f"{needle!r} not in:\n{out}"
    assert _snapshot(data) == before, "the data folder changed"
