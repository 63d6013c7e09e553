"""Planning a batch run: which notebooks run, for which cases, with which parameters, and whether
each is stale.

This module owns the first of the runner's three parts (plan, execute, publish): the jobs of a batch
(:class:`Job`, one per notebook, or per notebook and case for a notebook run once per case), read
from each notebook's own metadata (:func:`page_info`) and parameters cell
(:func:`declared_parameters`, through ``papermill.inspect_notebook``); the refused requests
(:class:`Outcome`); and the content hash that decides whether a job must run again (:func:`job_key`).

Example:
    >>> from lspkit.workbook import Workbook
    >>> jobs, refused = plan(["bolton"], {"bolton": "Bolton Vision Partnership"}, notebooks=["case_profile"],
    ...                      notebooks_dir=Workbook.find().notebooks)
    >>> [(j.name, j.parameters, j.title) for j in jobs]
    [('case_profile-bolton', {'case_id': 'bolton'}, 'Bolton Vision Partnership')]
"""

from __future__ import annotations

import ast
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from .datadir import data_files
from .errors import ParameterError, Problem
from .parameters import check_parameters
from .vocabulary import CASE_ID_RE
from .workbook import Workbook

PAGE_FIELDS = ("title", "description", "group")


@dataclass(frozen=True)
class Job:
    """One notebook run: ``name`` is the output stem (``case_profile-bolton``, ``cross_case``)."""

    name: str
    notebook: str
    parameters: dict[str, Any] = field(hash=False)
    title: str
    description: str
    group: str


@dataclass
class Outcome:
    """What happened to one job: status is ran, skipped, failed or refused."""

    name: str
    status: str
    seconds: float = 0.0
    output: str = ""
    detail: str = ""


def declared_parameters(path: Path) -> list[str]:
    """Names assigned in the notebook's cell tagged ``parameters``, in their order.

    A Python notebook's cell is read with :mod:`ast` (the names a top-level assignment binds, as
    papermill would find them) so that planning never imports papermill; a notebook in another
    language, or a cell that is not valid Python, is read by ``papermill.inspect_notebook``.

    >>> declared_parameters(Workbook.find().notebooks / "case_profile.ipynb")
    ['case_id', 'coder', 'data_dir', 'lsp']
    """
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    meta = nb.get("metadata", {})
    language = (meta.get("kernelspec") or {}).get("language") or (meta.get("language_info") or {}).get("name")
    if language in (None, "python"):
        for cell in nb.get("cells", []):
            if cell.get("cell_type") != "code" or "parameters" not in cell.get("metadata", {}).get("tags", []):
                continue
            source = cell.get("source", "")
            try:
                tree = ast.parse("".join(source) if isinstance(source, list) else str(source))
            except SyntaxError:
                break
            names: list[str] = []
            for node in tree.body:
                if isinstance(node, ast.Assign):
                    targets = node.targets
                elif isinstance(node, ast.AnnAssign):
                    targets = [node.target]
                else:
                    continue
                names += [t.id for t in targets if isinstance(t, ast.Name) and t.id not in names]
            return names
        else:
            return []
    import papermill

    return list(papermill.inspect_notebook(str(path)))


def workbook_notebooks(notebooks_dir: Path) -> list[str]:
    """The notebooks of a workbook that lspkit runs (those with an ``lspkit`` entry in their
    metadata), in their ``order``.

    >>> workbook_notebooks(Workbook.find().notebooks)
    ['case_profile', 'cross_case', 'coding_overview', 'reliability', 'explore']
    """
    found = []
    for path in sorted(Path(notebooks_dir).glob("*.ipynb")):
        try:
            meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("lspkit")
        except (OSError, ValueError):
            continue
        if isinstance(meta, dict):
            found.append((meta.get("order", 99), path.stem))
    return [name for _, name in sorted(found)]


def page_info(path: Path) -> dict[str, Any]:
    """What a notebook's page is, from its own metadata (``metadata.lspkit``): ``title`` (``{partnership}``
    stands for the case's partnership), ``description``, ``group``, ``order`` and, for a notebook run
    once per case, ``per_case``: the parameter that takes the case id.

    >>> page_info(Workbook.find().notebooks / "case_profile.ipynb")["per_case"]
    'case_id'
    """
    nb = json.loads(path.read_text(encoding="utf-8"))
    info = nb.get("metadata", {}).get("lspkit")
    missing = [f for f in PAGE_FIELDS if not isinstance(info, dict) or not isinstance(info.get(f), str)]
    if missing:
        raise ParameterError(
            [
                Problem(
                    str(path),
                    "metadata.lspkit",
                    f"missing {', '.join(missing)}",
                    "give the notebook's metadata an lspkit entry with " + ", ".join(PAGE_FIELDS),
                )
            ]
        )
    return dict(info)


def load_parameters_file(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read a YAML parameters file: ``{all: {...}, <notebook>: {...}}``.

    Example file::

        all:
          coder: researcher
        cross_case:
          cases: [bolton, hammersmith-and-fulham]
    """
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ParameterError(
            [
                Problem(
                    str(path),
                    "",
                    f"cannot read the parameters file: {exc}",
                    "write YAML mapping notebook names (or 'all') to parameters",
                )
            ]
        ) from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ParameterError(
            [
                Problem(
                    str(path),
                    "",
                    "must map 'all' or a notebook name to a mapping of parameters",
                    "e.g. 'all: {coder: researcher}'",
                )
            ]
        )
    return check_parameters(data, source=str(path))


def plan(
    case_ids: list[str],
    partnerships: Mapping[str, str],
    cases: Iterable[str] | None = None,
    parameters: Mapping[str, Mapping[str, Any]] | None = None,
    notebooks: Iterable[str] | None = None,
    notebooks_dir: Path | None = None,
    data_dir: Path | None = None,
) -> tuple[list[Job], list[Outcome]]:
    """The jobs of a batch, and the refused requests (unknown or unsafe case ids).

    Every requested case id is checked against the corpus before it becomes part of any path.
    ``parameters`` maps ``all`` or a notebook name to its parameters; a parameter no selected
    notebook declares is an error, so a typo cannot be silently ignored.
    """
    parameters = {k: dict(v) for k, v in (parameters or {}).items()}
    notebooks_dir = notebooks_dir if notebooks_dir is not None else Workbook.find().notebooks
    available = workbook_notebooks(notebooks_dir)
    if not available:
        raise ParameterError(
            [
                Problem(
                    str(notebooks_dir),
                    "",
                    "holds no lspkit notebook (one with an lspkit entry in its metadata)",
                    "run inside a workbook (lspkit init DIR), or pass --workbook DIR",
                )
            ]
        )
    selected = list(notebooks) if notebooks else available
    problems = [
        Problem("option --notebook", "", f"unknown notebook {n!r}", f"choose from {', '.join(available)}")
        for n in selected
        if n not in available
    ]
    problems += [
        Problem("parameters", "", f"unknown notebook {n!r}", f"use 'all' or one of {', '.join(available)}")
        for n in parameters
        if n != "all" and n not in available
    ]
    if problems:
        raise ParameterError(problems)
    declared = {n: declared_parameters(notebooks_dir / f"{n}.ipynb") for n in selected}
    pages = {n: page_info(notebooks_dir / f"{n}.ipynb") for n in selected}
    per_case = {n: p["per_case"] for n, p in pages.items() if p.get("per_case")}
    parameters = _apply_aliases(parameters, {n: p.get("aliases") or {} for n, p in pages.items()})
    for scope, values in parameters.items():
        for key in values:
            if key in (per_case.values() if scope == "all" else [per_case.get(scope)]):
                problems.append(
                    Problem(
                        "parameters",
                        scope,
                        f"{key!r} is set per case by the runner",
                        "use --case CASE (repeatable) instead",
                    )
                )
            elif scope == "all" and not any(key in d for d in declared.values()):
                problems.append(
                    Problem(
                        "parameters",
                        "all",
                        f"no selected notebook has a parameter {key!r}",
                        "check the spelling against the notebooks' parameters cells",
                    )
                )
            elif scope != "all" and scope in declared and key not in declared[scope]:
                problems.append(
                    Problem(
                        "parameters",
                        scope,
                        f"{scope}.ipynb has no parameter {key!r}",
                        f"its parameters are {', '.join(declared[scope])}",
                    )
                )
    if problems:
        raise ParameterError(problems)

    refused: list[Outcome] = []
    if cases:
        chosen = []
        for case in cases:
            if case in case_ids:
                if case not in chosen:
                    chosen.append(case)
            else:
                for name in [n for n in selected if n in per_case] or ["run"]:
                    refused.append(
                        Outcome(
                            f"{name}-{case}" if CASE_ID_RE.match(case) else name,
                            "refused",
                            detail=f"unknown case id {case!r}; valid ids: {', '.join(case_ids)}",
                        )
                    )
    else:
        chosen = list(case_ids)

    def params_for(name: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        values = {k: v for k, v in parameters.get("all", {}).items() if k in declared[name]}
        values.update(parameters.get(name, {}))
        if data_dir is not None and "data_dir" in declared[name]:
            values.setdefault("data_dir", str(data_dir))
        values.update(extra or {})
        return values

    jobs: list[Job] = []
    for name in selected:
        page = pages[name]
        if name in per_case:
            for case_id in chosen:
                jobs.append(
                    Job(
                        f"{name}-{case_id}",
                        name,
                        params_for(name, {per_case[name]: case_id}),
                        page["title"].replace("{partnership}", partnerships.get(case_id, case_id)),
                        page["description"],
                        page["group"],
                    )
                )
        else:
            jobs.append(Job(name, name, params_for(name), page["title"], page["description"], page["group"]))
    return jobs, refused


def _apply_aliases(
    parameters: Mapping[str, Mapping[str, Any]], aliases: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, Any]]:
    """Rename deprecated parameter names (a notebook's ``metadata.lspkit.aliases``: old -> new), with a
    ``FutureWarning`` for each, so a renamed parameter keeps working under its old name.

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     _apply_aliases({"all": {"lsp": "bolton"}}, {"case_profile": {"lsp": "case_id"}})
    {'all': {'case_id': 'bolton'}}
    """
    import warnings

    out: dict[str, dict[str, Any]] = {}
    for scope, values in parameters.items():
        table: dict[str, str] = {}
        for name, names in aliases.items():
            if scope in ("all", name):
                table.update(names)
        out[scope] = {}
        for key, value in values.items():
            if key in table:
                warnings.warn(
                    f"parameters {scope}: {key!r} is deprecated, use {table[key]!r}", FutureWarning, stacklevel=3
                )
            out[scope][table.get(key, key)] = value
    return out


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def code_version() -> str:
    """lspkit's version and a hash of its source and templates: a changed analysis re-runs."""
    from . import __version__

    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(list(package.rglob("*.py")) + list(package.rglob("*.j2")) + list(package.rglob("*.json"))):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"


def inputs_digest(data_dir: Path) -> str:
    """Content hash of every data file (names and bytes)."""
    digest = hashlib.sha256()
    for path in data_files(data_dir):
        digest.update(path.relative_to(data_dir).as_posix().encode() + b"\0" + _file_digest(path).encode())
    return digest.hexdigest()


def job_key(job: Job, notebooks_dir: Path, data_digest: str, code: str, kernel_name: str | None) -> str:
    """The content hash that decides whether a job must run: notebook, parameters, data, code."""
    payload = json.dumps(
        {
            "notebook": _file_digest(notebooks_dir / f"{job.notebook}.ipynb"),
            "parameters": job.parameters,
            "data": data_digest,
            "code": code,
            "kernel": kernel_name,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()
