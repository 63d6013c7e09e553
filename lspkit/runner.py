"""Running notebooks: the batch run behind ``lspkit run`` and the nbval regression references.

This module owns executing the parameterised notebooks through papermill's Python API:

* :func:`run_batch` plans one job per notebook and case, skips a job whose inputs are unchanged
  (judged by content hash), runs the rest concurrently on warm kernels (:mod:`lspkit.kernels`),
  writes executed notebooks to ``outputs/notebooks/``, renders pages in-process to
  ``outputs/site/`` (:mod:`lspkit.site`) and keeps a failed run's notebook in ``outputs/failed/``
  without touching the last good page;
* :func:`refresh_references` re-executes ``notebooks/`` in place and one case profile per case
  into ``tests/references/`` for nbval.

Example (shell)::

    lspkit run                          # every notebook, every case; unchanged ones are skipped
    lspkit run --lsp bolton --force     # one LSP's profile (plus the cross-case pages), re-run
    lspkit references                   # refresh the nbval references from the current data
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import queue
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from .codings import atomic_write_bytes
from .corpus import CASE_ID_RE, data_files, data_version, default_data_dir, load_corpus
from .errors import LspkitError, ParameterError, Problem, RunError
from .parameters import check_parameters, injected_source
from .runlock import RunLock, scratch_dir, sweep_scratch
from .workbook import Workbook

PAGE_FIELDS = ("title", "description", "group")
VOLATILE_CELL_METADATA = ("execution", "papermill")
MANIFEST = "run-manifest.json"
PRELOAD = ["pandas", "matplotlib.pyplot", "lspkit.analysis", "lspkit.plots", "lspkit.display"]

# What each published notebook answers, for the site index. ``{partnership}`` is filled per case.


# --------------------------------------------------------------------------------------------
# Single notebooks and the regression references


def clean_notebook(nb: Any) -> Any:
    """Drop run timestamps, durations and widget model ids (random per run) so that the same inputs
    give the same notebook file; a widget's text stands in for it until the cell runs again."""
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        cell.pop("id", None)
        for output in cell.get("outputs", []):
            output.get("data", {}).pop("application/vnd.jupyter.widget-view+json", None)
    nb.nbformat_minor = 4  # cell ids (nbformat 4.5) are random per run; 4.4 has none
    return nb


def _write_atomic(path: Path, text: str) -> None:
    """Write text atomically with ``\\n`` line ends; the file gets the usual permissions (a
    published page must be readable by the web server), not a temp file's 0600."""
    atomic_write_bytes(path, text.encode("utf-8"))


def execute_notebook(source: Path, target: Path, parameters: dict[str, Any] | None = None,
                     kernel_name: str | None = None) -> Path:
    """Execute ``source`` with papermill into ``target`` (written atomically), cleaned of timestamps.

    Parameters are passed to papermill as data (it writes them as a cell of literals), never pasted
    into code by lspkit. Raises papermill's ``PapermillExecutionError`` if a cell fails; the target
    is then left as it was.
    """
    text, error, _ = execute_job(Path(source), parameters or {}, kernel_name=kernel_name)
    if error is not None:
        raise RunError([Problem(str(source), error.get("cell", ""), error["message"],
                                   "open the notebook and fix the failing cell")])
    _write_atomic(Path(target), text)
    return Path(target)


def reference_path(case_id: str, workbook: Workbook | None = None, notebook: str = "case_profile") -> Path:
    """Where the reference of a per-case notebook for one case lives; the id is checked first."""
    if not CASE_ID_RE.match(case_id):
        raise ParameterError([Problem("parameter lsp", "", f"{case_id!r} is not a case id")])
    return (workbook or Workbook.find()).references / f"{notebook}-{case_id}.ipynb"


def refresh_references(kernel_name: str | None = None, workbook: Workbook | None = None) -> list[Path]:
    """Re-execute the notebooks in place (default parameters) and one case profile per case.

    Run it after a deliberate change to the data or the analyses, then review the diff: every
    changed number shows in it.
    """
    if os.environ.get("LSPKIT_DATA"):
        raise ParameterError([Problem("environment LSPKIT_DATA", "", "references are made from the project's data/ only",
                                   "unset LSPKIT_DATA and run again")])
    wb = workbook or Workbook.find()
    written = []
    names = workbook_notebooks(wb.notebooks)
    for name in names:
        written.append(execute_notebook(wb.notebooks / f"{name}.ipynb", wb.notebooks / f"{name}.ipynb",
                                        kernel_name=kernel_name))
    corpus = load_corpus(wb.data)
    wb.references.mkdir(parents=True, exist_ok=True)
    for name in names:
        per_case = page_info(wb.notebooks / f"{name}.ipynb").get("per_case")
        if not per_case:
            continue
        for stale in wb.references.glob(f"{name}-*.ipynb"):
            if stale.stem.removeprefix(f"{name}-") not in corpus.case_ids:
                stale.unlink()
        for case_id in corpus.case_ids:
            written.append(execute_notebook(wb.notebooks / f"{name}.ipynb", reference_path(case_id, wb, name),
                                            {per_case: case_id}, kernel_name=kernel_name))
    return written


# --------------------------------------------------------------------------------------------
# Executing one job (the unit of work a local thread or a Dask worker performs)


def execute_job(source: Path, parameters: Mapping[str, Any], kernel_name: str | None = None,
                warm_kernel: Any = None, timeout: float | None = 600) -> tuple[str | None, dict | None, float]:
    """Execute one notebook; return (executed notebook as JSON text, error or None, seconds).

    The notebook text is cleaned of timestamps (:func:`clean_notebook`) when the run succeeded and
    keeps papermill's error highlighting when it failed. ``error`` is a dict with ``cell`` (which
    cell failed, e.g. ``"cell 4 (In [3])"``) and ``message``. Only plain data goes in and out, so a
    remote worker can run it.
    """
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from . import kernels

    start = time.perf_counter()
    try:  # the last check before a kernel sees the values, on a Dask worker too
        injected_source(parameters)
    except LspkitError as exc:
        return None, {"cell": "parameters", "message": str(exc)}, time.perf_counter() - start
    fd, tmp = tempfile.mkstemp(prefix=f".{Path(source).stem}.", suffix=".ipynb", dir=scratch_dir())
    os.close(fd)
    error = None
    try:
        try:
            pm.execute_notebook(str(source), tmp, parameters=dict(parameters), kernel_name=kernel_name,
                                engine_name=kernels.ensure_registered(), warm_kernel=warm_kernel,
                                progress_bar=False, log_output=False, request_save_on_cell_execute=False,
                                execution_timeout=timeout)
        except PapermillExecutionError as exc:
            error = {"cell": f"cell {exc.cell_index + 1} (In [{exc.exec_count}])",
                     "message": f"{exc.ename}: {exc.evalue}".strip()}
        except Exception as exc:  # kernel died, timed out, notebook unreadable: report, don't crash the batch
            error = {"cell": "", "message": f"{type(exc).__name__}: {exc}".strip()}
        try:
            nb = nbformat.read(tmp, as_version=4)
        except Exception:
            return None, error, time.perf_counter() - start
        if error is None:
            nb = clean_notebook(nb)
        return nbformat.writes(nb) + "\n", error, time.perf_counter() - start
    finally:
        Path(tmp).unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------
# Planning a batch


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
    """Names assigned in the notebook's cell tagged ``parameters`` (read by ``papermill.inspect_notebook``).

    >>> declared_parameters(Workbook.find().notebooks / "case_profile.ipynb")
    ['lsp', 'coder', 'data_dir']
    """
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
    'lsp'
    """
    nb = json.loads(path.read_text(encoding="utf-8"))
    info = nb.get("metadata", {}).get("lspkit")
    missing = [f for f in PAGE_FIELDS if not isinstance(info, dict) or not isinstance(info.get(f), str)]
    if missing:
        raise ParameterError([Problem(str(path), "metadata.lspkit", f"missing {', '.join(missing)}",
                                      "give the notebook's metadata an lspkit entry with " + ", ".join(PAGE_FIELDS))])
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
        raise ParameterError([Problem(str(path), "", f"cannot read the parameters file: {exc}",
                                   "write YAML mapping notebook names (or 'all') to parameters")]) from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ParameterError([Problem(str(path), "", "must map 'all' or a notebook name to a mapping of parameters",
                                   "e.g. 'all: {coder: researcher}'")])
    return check_parameters(data, source=str(path))


def plan(case_ids: list[str], partnerships: Mapping[str, str], lsps: Iterable[str] | None = None,
         parameters: Mapping[str, Mapping[str, Any]] | None = None, notebooks: Iterable[str] | None = None,
         notebooks_dir: Path | None = None, data_dir: Path | None = None) -> tuple[list[Job], list[Outcome]]:
    """The jobs of a batch, and the refused requests (unknown or unsafe case ids).

    Every requested case id is checked against the corpus before it becomes part of any path.
    ``parameters`` maps ``all`` or a notebook name to its parameters; a parameter no selected
    notebook declares is an error, so a typo cannot be silently ignored.
    """
    parameters = {k: dict(v) for k, v in (parameters or {}).items()}
    notebooks_dir = notebooks_dir if notebooks_dir is not None else Workbook.find().notebooks
    available = workbook_notebooks(notebooks_dir)
    if not available:
        raise ParameterError([Problem(str(notebooks_dir), "", "holds no lspkit notebook (one with an lspkit entry "
                                      "in its metadata)", "run inside a workbook (lspkit init DIR), or pass "
                                      "--workbook DIR")])
    selected = list(notebooks) if notebooks else available
    problems = [Problem("option --notebook", "", f"unknown notebook {n!r}", f"choose from {', '.join(available)}")
                for n in selected if n not in available]
    problems += [Problem("parameters", "", f"unknown notebook {n!r}", f"use 'all' or one of {', '.join(available)}")
                 for n in parameters if n != "all" and n not in available]
    if problems:
        raise ParameterError(problems)
    declared = {n: declared_parameters(notebooks_dir / f"{n}.ipynb") for n in selected}
    pages = {n: page_info(notebooks_dir / f"{n}.ipynb") for n in selected}
    per_case = {n: p["per_case"] for n, p in pages.items() if p.get("per_case")}
    for scope, values in parameters.items():
        for key in values:
            if key in (per_case.values() if scope == "all" else [per_case.get(scope)]):
                problems.append(Problem("parameters", scope, f"{key!r} is set per case by the runner",
                                        "use --lsp CASE (repeatable) instead"))
            elif scope == "all" and not any(key in d for d in declared.values()):
                problems.append(Problem("parameters", "all", f"no selected notebook has a parameter {key!r}",
                                        "check the spelling against the notebooks' parameters cells"))
            elif scope != "all" and scope in declared and key not in declared[scope]:
                problems.append(Problem("parameters", scope, f"{scope}.ipynb has no parameter {key!r}",
                                        f"its parameters are {', '.join(declared[scope])}"))
    if problems:
        raise ParameterError(problems)

    refused: list[Outcome] = []
    if lsps:
        chosen = []
        for lsp in lsps:
            if lsp in case_ids:
                if lsp not in chosen:
                    chosen.append(lsp)
            else:
                for name in [n for n in selected if n in per_case] or ["run"]:
                    refused.append(Outcome(f"{name}-{lsp}" if CASE_ID_RE.match(lsp) else name, "refused",
                                           detail=f"unknown case id {lsp!r}; valid ids: {', '.join(case_ids)}"))
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
                jobs.append(Job(f"{name}-{case_id}", name, params_for(name, {per_case[name]: case_id}),
                                page["title"].replace("{partnership}", partnerships.get(case_id, case_id)),
                                page["description"], page["group"]))
        else:
            jobs.append(Job(name, name, params_for(name), page["title"], page["description"], page["group"]))
    return jobs, refused


# --------------------------------------------------------------------------------------------
# Skipping unchanged runs


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
    payload = json.dumps({"notebook": _file_digest(notebooks_dir / f"{job.notebook}.ipynb"),
                          "parameters": job.parameters, "data": data_digest, "code": code,
                          "kernel": kernel_name}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


# --------------------------------------------------------------------------------------------
# Executors: each yields (job, notebook text, error, seconds) as jobs finish


def _kernel_of(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return nb.get("metadata", {}).get("kernelspec", {}).get("name", "python3")


def _local_executor(jobs: list[Job], notebooks_dir: Path, workers: int, kernel_name: str | None,
                    fresh_kernels: bool, timeout: float | None) -> Iterator[tuple[Job, str | None, dict | None, float]]:
    """Run jobs on ``workers`` threads; each thread keeps one warm kernel (or starts one per job)."""
    from .kernels import WarmKernel

    todo: queue.Queue = queue.Queue()
    for job in jobs:
        todo.put(job)
    done: queue.Queue = queue.Queue()

    def work() -> None:
        warm = None if fresh_kernels else WarmKernel(kernel_name or _kernel_of(notebooks_dir / f"{jobs[0].notebook}.ipynb"),
                                                     cwd=notebooks_dir)
        try:
            if warm is not None:
                try:  # overlaps the kernel's start-up and imports with this process's own
                    warm.preload(PRELOAD)
                except Exception:
                    pass  # the first job reports a kernel that cannot start
            while True:
                try:
                    job = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    text, error, seconds = execute_job(notebooks_dir / f"{job.notebook}.ipynb", job.parameters,
                                                       kernel_name=kernel_name, warm_kernel=warm, timeout=timeout)
                except Exception as exc:  # never lose a job silently
                    text, error, seconds = None, {"cell": "", "message": f"{type(exc).__name__}: {exc}"}, 0.0
                done.put((job, text, error, seconds))
        finally:
            if warm is not None:
                try:
                    warm.shutdown()
                except Exception:
                    pass

    threads = [threading.Thread(target=work, daemon=True, name=f"lspkit-run-{i}") for i in range(workers)]
    for t in threads:
        t.start()
    for _ in jobs:
        yield done.get()
    for t in threads:
        t.join()


def _remote_job(notebook_text: str, name: str, parameters: Mapping[str, Any], kernel_name: str | None,
                timeout: float | None) -> tuple[str | None, dict | None, float]:
    """What a Dask worker runs: the notebook arrives as text, the executed notebook leaves as text."""
    with tempfile.TemporaryDirectory(prefix="job-", dir=scratch_dir()) as tmp:
        source = Path(tmp) / f"{name}.ipynb"
        source.write_text(notebook_text, encoding="utf-8")
        return execute_job(source, parameters, kernel_name=kernel_name, timeout=timeout)


def _dask_executor(jobs: list[Job], notebooks_dir: Path, workers: int, kernel_name: str | None,
                   fresh_kernels: bool, timeout: float | None,
                   scheduler: str | None = None) -> Iterator[tuple[Job, str | None, dict | None, float]]:
    """Run jobs as tasks on a Dask distributed cluster (``scheduler``), or on a local one if None.

    Each task gets the notebook's text and its parameters, and returns the executed notebook's text;
    pages are rendered and written here, by the client. Workers need lspkit with its ``lspkit``
    kernel, and the data directory at the path the notebooks are given (``--data``) or in their
    ``LSPKIT_DATA``. A task runs on a fresh kernel, shut down immediately afterwards.
    """
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise LspkitError([Problem("option --executor", "dask", "Dask is not installed",
                                   "pip install 'lspkit[dask]'")]) from None
    cluster = None
    if scheduler:
        client = Client(scheduler, timeout="30s")
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None)
        client = Client(cluster)
    try:
        futures = {}
        for job in jobs:
            text = (notebooks_dir / f"{job.notebook}.ipynb").read_text(encoding="utf-8")
            future = client.submit(_remote_job, text, job.notebook, job.parameters, kernel_name, timeout,
                                   key=f"lspkit-run-{job.name}-{time.time_ns()}", pure=False)
            futures[future] = job
        for future in as_completed(list(futures)):
            job = futures[future]
            try:
                text, error, seconds = future.result()
            except Exception as exc:  # the worker died or could not run the task
                text, error, seconds = None, {"cell": "", "message": f"on the Dask worker: {type(exc).__name__}: {exc}"}, 0.0
            yield job, text, error, seconds
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


EXECUTORS: dict[str, Callable[..., Iterator]] = {"local": _local_executor, "dask": _dask_executor}


# --------------------------------------------------------------------------------------------
# The batch


@dataclass
class RunResult:
    """The outcomes of a batch, in plan order, and where it wrote."""

    outcomes: list[Outcome]
    outputs: Path

    @property
    def ok(self) -> bool:
        return all(o.status in ("ran", "skipped") for o in self.outcomes)

    def table(self) -> str:
        """The summary: notebook, status, seconds and output path (or what went wrong)."""
        rows = [("notebook", "status", "seconds", "output / problem")]
        for o in self.outcomes:
            rows.append((o.name, o.status, f"{o.seconds:.1f}" if o.status in ("ran", "failed") else "-",
                         o.output if o.status in ("ran", "skipped") else o.detail + (f" -> {o.output}" if o.output else "")))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        lines = ["  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3] for r in rows]
        return "\n".join(line.rstrip() for line in lines)


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="lspkit run", unit="nb", file=sys.stderr, dynamic_ncols=True)


def run_batch(lsps: Iterable[str] | None = None, data_dir: str | Path | None = None,
              outputs: str | Path | None = None, parameters: Mapping[str, Mapping[str, Any]] | None = None,
              notebooks: Iterable[str] | None = None, jobs: int | None = None, force: bool = False,
              kernel_name: str | None = None, fresh_kernels: bool = False, executor: str = "local",
              executor_options: Mapping[str, Any] | None = None, notebooks_dir: str | Path | None = None,
              timeout: float | None = 600, progress: bool = True, wait: bool = True) -> RunResult:
    """Execute and publish the notebooks; see the module docstring and ``lspkit run --help``.

    Returns every job's outcome; a failed or refused job never stops the others. Everything that
    can be checked before a notebook runs is checked first: the parameters (plain data only), the
    job count, the outputs folder and the data. One run at a time writes to an outputs folder
    (:class:`lspkit.runlock.RunLock`; ``wait=False`` refuses instead of waiting).
    """
    parameters = check_parameters(parameters or {}, source="parameters")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ParameterError([Problem("option -j/--jobs", "", f"{jobs!r} is not a whole number of at least 1",
                                   "give how many notebooks may run at once, e.g. -j 2")])
    if executor not in EXECUTORS:
        raise ParameterError([Problem("option --executor", "", f"unknown executor {executor!r}",
                                   f"choose from {', '.join(EXECUTORS)}")])
    explicit_data = data_dir is not None
    wb = Workbook.find(data=data_dir) if (outputs is None or notebooks_dir is None) else None
    outputs = Path(outputs) if outputs is not None else wb.outputs  # type: ignore[union-attr]
    _check_outputs(outputs)
    data_dir = Path(data_dir).resolve() if explicit_data else default_data_dir().resolve()
    notebooks_dir = Path(notebooks_dir) if notebooks_dir is not None else wb.notebooks  # type: ignore[union-attr]
    corpus = load_corpus(data_dir)
    if executor == "dask" and (executor_options or {}).get("scheduler"):
        _check_scheduler(str(dict(executor_options or {})["scheduler"]))
    with RunLock(outputs, wait=wait):
        sweep_scratch()
        return _run_locked(corpus, data_dir, explicit_data, outputs, notebooks_dir, lsps, parameters, notebooks,
                           jobs, force, kernel_name, fresh_kernels, executor, executor_options, timeout, progress)


def _check_outputs(outputs: Path) -> None:
    """The outputs folder and its sub-folders exist or can be made: checked before anything runs."""
    for path in (outputs, outputs / "site", outputs / "notebooks", outputs / "failed"):
        if path.exists() and not path.is_dir():
            raise ParameterError([Problem(str(path), "", "is a file, not a folder",
                                       "give --outputs a folder (it is created if missing)")])
    try:
        for sub in ("site", "notebooks", "failed"):
            (outputs / sub).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ParameterError([Problem(str(outputs), "", f"cannot create the outputs folder: {exc.strerror or exc}",
                                   "give --outputs a folder you can write to")]) from None
    if not os.access(outputs, os.W_OK):
        raise ParameterError([Problem(str(outputs), "", "the outputs folder is not writable",
                                   "give --outputs a folder you can write to")])


def _check_scheduler(address: str, timeout: float = 5.0) -> None:
    """A Dask scheduler address that answers, checked before any notebook is sent (a TCP connect)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    hint = "start the scheduler (dask scheduler) or give its address as tcp://HOST:PORT"
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if parts.scheme not in ("tcp", "tls") or not host or not port:
        raise ParameterError([Problem("option --scheduler", "", f"{address!r} is not a scheduler address", hint)])
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise ParameterError([Problem("option --scheduler", "", f"no Dask scheduler answers at {address} "
                                   f"({exc.strerror or exc})", hint)]) from None


def _run_locked(corpus: Any, data_dir: Path, explicit_data: bool, outputs: Path, notebooks_dir: Path,
                lsps: Iterable[str] | None, parameters: Mapping[str, Mapping[str, Any]],
                notebooks: Iterable[str] | None, jobs: int | None, force: bool, kernel_name: str | None,
                fresh_kernels: bool, executor: str, executor_options: Mapping[str, Any] | None,
                timeout: float | None, progress: bool) -> RunResult:
    partnerships = dict(zip(corpus.cases["case_id"], corpus.cases["partnership"]))
    planned, refused = plan(corpus.case_ids, partnerships, lsps, parameters, notebooks, notebooks_dir,
                            data_dir if explicit_data else None)

    manifest_path = outputs / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {"pages": {}}
    pages: dict[str, dict] = manifest.setdefault("pages", {})

    data_digest, code, version = inputs_digest(data_dir), code_version(), data_version(data_dir)
    keys = {job.name: job_key(job, notebooks_dir, data_digest, code, kernel_name) for job in planned}
    outcomes: dict[str, Outcome] = {}
    to_run = []
    for job in planned:
        page = pages.get(job.name, {})
        html, executed = outputs / "site" / f"{job.name}.html", outputs / "notebooks" / f"{job.name}.ipynb"
        if (not force and page.get("key") == keys[job.name] and page.get("status") == "ok"
                and html.exists() and executed.exists()):
            outcomes[job.name] = Outcome(job.name, "skipped", output=str(html))
        else:
            to_run.append(job)

    bar = _progress(len(planned), progress)
    failures = 0
    if bar is not None:
        bar.update(len(planned) - len(to_run))
    if to_run:
        import nbformat

        from .site import render_html

        workers = max(1, min(jobs or os.cpu_count() or 1, len(to_run)))
        run = EXECUTORS[executor](to_run, notebooks_dir=notebooks_dir, workers=workers, kernel_name=kernel_name,
                                  fresh_kernels=fresh_kernels, timeout=timeout, **dict(executor_options or {}))
        for job, text, error, seconds in run:
            html_path = outputs / "site" / f"{job.name}.html"
            failed_path = outputs / "failed" / f"{job.name}.ipynb"
            if error is None:
                try:
                    nb = nbformat.reads(text, as_version=4)
                    page_html = render_html(nb, job.title)
                except Exception as exc:
                    error = {"cell": "", "message": f"rendering HTML failed: {type(exc).__name__}: {exc}"}
            if error is None:
                _write_atomic(outputs / "notebooks" / f"{job.name}.ipynb", text)
                _write_atomic(html_path, page_html)
                failed_path.unlink(missing_ok=True)
                pages[job.name] = {"key": keys[job.name], "status": "ok", "data_version": version,
                                   "title": job.title, "group": job.group,
                                   "description": job.description, "html": f"{job.name}.html",
                                   "notebook": f"../notebooks/{job.name}.ipynb", "seconds": round(seconds, 2),
                                   "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")}
                outcomes[job.name] = Outcome(job.name, "ran", seconds, str(html_path))
            else:
                failures += 1
                if text is not None:
                    _write_atomic(failed_path, text)
                detail = " ".join(x for x in (error.get("cell"), error["message"]) if x)
                previous = pages.get(job.name)
                if previous:  # keep the last good page listed, marked as stale
                    previous.update(status="failed", error=detail[:300])
                else:  # never published: listed with its failing cell, without a link
                    pages[job.name] = {"key": "", "status": "failed", "html": "", "title": job.title,
                                       "group": job.group, "description": job.description, "error": detail[:300]}
                outcomes[job.name] = Outcome(job.name, "failed", seconds, str(failed_path) if text else "", detail)
            if bar is not None:
                bar.set_postfix(failed=failures, refresh=False)
                bar.update(1)
        manifest["data_version"] = version
        manifest["code_version"] = code
        manifest["run_date"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if bar is not None:
        bar.close()

    index = outputs / "site" / "index.html"
    if to_run or not index.exists():
        from . import __version__
        from .site import index_html

        listed = [dict(p, name=n) for n, p in pages.items()
                  if not p.get("html") or (outputs / "site" / p["html"]).exists()]
        _write_atomic(index, index_html(listed, manifest.get("run_date", "not yet run"),
                                        manifest.get("data_version", version), __version__,
                                        codebook_version=str(corpus.codebook.version)))
        _write_atomic(manifest_path, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    ordered = refused + [outcomes[j.name] for j in planned]
    return RunResult(ordered, outputs)
