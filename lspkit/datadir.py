"""Where a data directory is and which files it holds.

This module owns the data directory's layout as the runner sees it before anything is loaded: the
default location (``$LSPKIT_DATA`` or the workbook's ``data/``), the files the analyses depend on,
and their content hash. It imports only the standard library, so a run whose inputs are unchanged
can be recognised without loading pandas or the corpus.

Example:
    >>> [p.name for p in data_files(default_data_dir())][:3]
    ['cases.csv', 'codebook.yml', 'coders.csv']
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

ENV_VAR = "LSPKIT_DATA"


def default_data_dir() -> Path:
    """``$LSPKIT_DATA`` if set, else the ``data/`` folder of the workbook the current folder is in
    (:class:`lspkit.workbook.Workbook`); a :class:`~lspkit.errors.DataError` says how to make one."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    from .workbook import Workbook

    return Workbook.find().data


def data_files(data_dir: str | Path) -> list[Path]:
    """The files a data directory's analyses depend on, in a stable order (folders named like one left out)."""
    data_dir = Path(data_dir)
    files = [data_dir / "cases.csv", data_dir / "codebook.yml", data_dir / "coders.csv"]
    files += sorted((data_dir / "raw").glob("*.txt")) + sorted((data_dir / "codings").glob("*.csv"))
    files += sorted((data_dir / "links").glob("*.csv"))
    files += [data_dir / "restates.csv", data_dir / "decisions.csv"]
    return [f for f in files if f.is_file()]


def data_version(data_dir: str | Path | None = None) -> str:
    """A short content hash of the data directory: it changes when any input file changes.

    >>> len(data_version())
    12
    """
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    digest = hashlib.sha256()
    for path in data_files(data_dir):
        digest.update(path.relative_to(data_dir).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:12]
