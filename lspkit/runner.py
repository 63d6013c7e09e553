"""Running notebooks: execute one with parameters, clean its metadata, refresh the references.

This module owns executing the parameterised notebooks through papermill's Python API and the
regression references nbval checks: the notebooks in ``notebooks/`` (run with their default
parameters) and one case-profile run per case under ``tests/references/``.

Example (shell)::

    lspkit references        # re-execute notebooks/ and tests/references/ from the current data
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import nbformat

from .corpus import CASE_ID_RE, load_corpus
from .errors import LspkitError, Problem

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
REFERENCES = ROOT / "tests" / "references"
MAIN_NOTEBOOKS = ("case_profile", "cross_case", "coding_overview", "explore")
VOLATILE_CELL_METADATA = ("execution", "papermill")


def clean_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop run timestamps and durations so that the same inputs give the same notebook file."""
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        cell.pop("id", None)
    nb.nbformat_minor = max(nb.get("nbformat_minor", 4), 4)
    return nb


def execute_notebook(source: Path, target: Path, parameters: dict[str, Any] | None = None,
                     kernel_name: str | None = None) -> Path:
    """Execute ``source`` with papermill into ``target`` (written atomically), cleaned of timestamps.

    Parameters are passed to papermill as data (it writes them as a cell of literals), never pasted
    into code by lspkit. Raises papermill's ``PapermillExecutionError`` if a cell fails; the target
    is then left as it was.
    """
    import papermill as pm

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".ipynb", dir=target.parent)
    os.close(fd)
    try:
        pm.execute_notebook(str(source), tmp, parameters=parameters or {}, kernel_name=kernel_name,
                            cwd=str(Path(source).parent), progress_bar=False, log_output=False)
        nb = clean_notebook(nbformat.read(tmp, as_version=4))
        nbformat.write(nb, tmp)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target


def reference_path(case_id: str) -> Path:
    """Where the case-profile reference of one case lives; the id is checked first."""
    if not CASE_ID_RE.match(case_id):
        raise LspkitError([Problem("parameter lsp", "", f"{case_id!r} is not a case id")])
    return REFERENCES / f"case_profile-{case_id}.ipynb"


def refresh_references(kernel_name: str | None = None) -> list[Path]:
    """Re-execute the notebooks in place (default parameters) and one case profile per case.

    Run it after a deliberate change to the data or the analyses, then review the diff: every
    changed number shows in it.
    """
    if os.environ.get("LSPKIT_DATA"):
        raise LspkitError([Problem("environment LSPKIT_DATA", "", "references are made from the project's data/ only",
                                   "unset LSPKIT_DATA and run again")])
    written = []
    for name in MAIN_NOTEBOOKS:
        path = NOTEBOOKS / f"{name}.ipynb"
        written.append(execute_notebook(path, path, kernel_name=kernel_name))
    corpus = load_corpus()
    REFERENCES.mkdir(parents=True, exist_ok=True)
    for stale in REFERENCES.glob("case_profile-*.ipynb"):
        if stale.stem.removeprefix("case_profile-") not in corpus.case_ids:
            stale.unlink()
    for case_id in corpus.case_ids:
        written.append(execute_notebook(NOTEBOOKS / "case_profile.ipynb", reference_path(case_id),
                                        {"lsp": case_id}, kernel_name=kernel_name))
    return written
