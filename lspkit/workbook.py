"""The workbook: where a study's data, notebooks, outputs and regression references live.

This module owns the boundary between lspkit and the folder it works in. A workbook is a folder
holding ``data/`` (the raw texts, codebook, coders, codings and links) and ``notebooks/`` (the
analyses), with ``outputs/`` (what ``lspkit run`` publishes) and ``tests/references/`` (the nbval
references) beside them. It is resolved once, at the edge (the command line, a notebook's set-up),
from ``--workbook``, else from ``$LSPKIT_WORKBOOK``, else from the current folder or the nearest
folder above it that is a workbook; ``$LSPKIT_DATA`` (or ``--data``) may point the data elsewhere.
Nothing below this module works out a path from where the package is installed.

The three "Working better together?" case studies, their codebook and codings ship with the
package as an example (:func:`example_dir`, :func:`load_example`), and :func:`init_workbook`
(``lspkit init DIR``) creates a new workbook from it.

Example:
    >>> wb = Workbook.find()
    >>> (wb.data / "codebook.yml").exists(), wb.notebooks.name
    (True, 'notebooks')
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import DataError, Problem

WORKBOOK_ENV = "LSPKIT_WORKBOOK"
DATA_ENV = "LSPKIT_DATA"


def _is_workbook(folder: Path) -> bool:
    return (folder / "data" / "codebook.yml").is_file() and (folder / "notebooks").is_dir()


@dataclass(frozen=True)
class Workbook:
    """A workbook's folders (see the module docstring)."""

    root: Path
    data: Path
    notebooks: Path
    outputs: Path
    references: Path

    @classmethod
    def at(cls, root: str | Path, data: str | Path | None = None) -> "Workbook":
        """The workbook in ``root`` (its data in ``data``, else ``$LSPKIT_DATA``, else ``root/data``)."""
        root = Path(root).resolve()
        data = data if data is not None else os.environ.get(DATA_ENV) or root / "data"
        return cls(root, Path(data).resolve(), root / "notebooks", root / "outputs", root / "tests" / "references")

    @classmethod
    def find(cls, start: str | Path | None = None, data: str | Path | None = None) -> "Workbook":
        """The workbook named by ``$LSPKIT_WORKBOOK``, else the one ``start`` (default: the current
        folder) is in. Without one, a workbook made of ``$LSPKIT_DATA`` alone when that is set;
        otherwise a :class:`~lspkit.errors.DataError` saying how to make one."""
        named = os.environ.get(WORKBOOK_ENV)
        if named:
            return cls.at(named, data)
        here = Path(start if start is not None else Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if _is_workbook(folder):
                return cls.at(folder, data)
        chosen = data if data is not None else os.environ.get(DATA_ENV)
        if chosen:  # a data folder alone: the package's own notebooks, outputs in the current folder
            return cls(
                here,
                Path(chosen).resolve(),
                example_dir() / "notebooks",
                here / "outputs",
                here / "tests" / "references",
            )
        raise DataError(
            [
                Problem(
                    str(here),
                    "",
                    "is not in an lspkit workbook (a folder with data/codebook.yml and "
                    "notebooks/), and neither --data nor $LSPKIT_DATA names a data folder",
                    "create one with `lspkit init DIR --example`, work inside it, or pass --workbook DIR",
                )
            ]
        )


def example_dir() -> Path:
    """The folder holding the example workbook's ``data/`` and ``notebooks/``: inside the installed
    package, or the source checkout's own folders when lspkit runs from one."""
    packaged = Path(str(resources.files("lspkit"))) / "example"
    if _is_workbook(packaged):
        return packaged
    checkout = Path(str(resources.files("lspkit"))).parent
    if _is_workbook(checkout):
        return checkout
    raise DataError(
        [
            Problem(
                str(packaged),
                "",
                "the example case studies are missing from this installation",
                "reinstall lspkit from its wheel or source",
            )
        ]
    )


def load_example():
    """The three 'Working better together?' case studies with their codebook, codings and links, as
    :func:`lspkit.load_corpus` gives them (in the manner of ``seaborn.load_dataset``).

    >>> load_example().case_ids
    ['blackburn-with-darwen', 'bolton', 'hammersmith-and-fulham']
    """
    from .corpus import load_corpus

    return load_corpus(example_dir() / "data")


SKELETON = {
    "cases.csv": "case_id,partnership,short_name,title,published\n",
    "coders.csv": (
        "coder,kind,description\n"
        'structure,derived,"Each paragraph and quotation coded to the 7S element its heading names: this '
        "project's mapping of the document headings to elements, derived from the raw text on every load.\"\n"
        'researcher,human,"Close reading of every non-boilerplate unit against the codebook definitions, '
        "with memos where the reading departs from the document's heading.\"\n"
    ),
}
README_STUB = """# {name}

An lspkit workbook: case studies in the "Working better together?" format, coded against the public
sector 7S model.

- `data/raw/<case-id>.txt`: the case studies, verbatim; `data/cases.csv`: one row per case.
- `data/codebook.yml`: the codebook; `data/coders.csv`: the coders; `data/codings/`, `data/links/`:
  the codings and links, one file per coder.
- `notebooks/`: the analyses. `lspkit validate` checks the data; `lspkit run` executes the notebooks
  and publishes `outputs/site/`.
"""


def init_workbook(target: str | Path, *, example: bool = False) -> Workbook:
    """Create a workbook in ``target`` (a new or empty folder): the notebooks, a data skeleton (the
    codebook, a coder registry, empty cases and raw/, codings/, links/ folders) and a README; with
    ``example`` the three example case studies with their codings and links instead of the skeleton.

    >>> import tempfile
    >>> wb = init_workbook(Path(tempfile.mkdtemp()) / "study", example=True)
    >>> sorted(p.name for p in wb.root.iterdir())
    ['README.md', 'data', 'notebooks', 'outputs']
    """
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise DataError(
            [
                Problem(
                    str(target),
                    "",
                    "exists and is not an empty folder",
                    "choose a new folder name; lspkit init never overwrites anything",
                )
            ]
        )
    source = example_dir()
    try:
        target.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source / "notebooks", target / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        if example:
            shutil.copytree(source / "data", target / "data")
        else:
            data = target / "data"
            for sub in ("raw", "codings", "links"):
                (data / sub).mkdir(parents=True)
            shutil.copyfile(source / "data" / "codebook.yml", data / "codebook.yml")
            for name, text in SKELETON.items():
                (data / name).write_text(text, encoding="utf-8")
        (target / "outputs").mkdir()
        (target / "README.md").write_text(README_STUB.format(name=target.name), encoding="utf-8")
    except OSError as exc:
        raise DataError(
            [Problem(str(target), "", f"cannot be created: {exc.strerror or exc}", "choose a folder you can write to")]
        ) from None
    return Workbook.at(target, target / "data")
