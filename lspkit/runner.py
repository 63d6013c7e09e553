"""Running notebooks: the batch run behind ``lspkit run`` and the nbval regression references.

This module owns a batch run from start to end, in three parts: :mod:`lspkit.plan` (what runs, with
which parameters, and whether it is stale), :mod:`lspkit.executors` (running the notebooks, locally on
warm kernels or on a Dask cluster) and :mod:`lspkit.publish` (executed notebooks, pages, manifest and
index). Here:

* :func:`run_batch` checks everything that can be checked before a notebook runs (parameters, job
  count, outputs folder, data, scheduler), takes the outputs folder's lock, plans, runs the stale
  jobs concurrently and publishes each as it finishes; a failed run's notebook goes to
  ``outputs/failed/`` without touching the last good page;
* :func:`refresh_references` re-executes ``notebooks/`` in place and one case profile per case
  into ``tests/references/`` for nbval.

Example (shell)::

    lspkit run                          # every notebook, every case; unchanged ones are skipped
    lspkit run --case bolton --force    # one LSP's profile (plus the cross-case pages), re-run
    lspkit references                   # refresh the nbval references from the current data
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from .datadir import data_version, default_data_dir
from .errors import LspkitError, ParameterError, Problem, RunError
from .executors import (  # noqa: F401  (part of this API)
    EXECUTORS,
    LocalPool,
    _remote_job,
    clean_notebook,
    execute_job,
    notebook_kernel,
)
from .parameters import check_parameters
from .plan import (  # noqa: F401
    Job,
    Outcome,
    code_version,
    declared_parameters,
    inputs_digest,
    job_key,
    load_parameters_file,
    page_info,
    plan,
    workbook_notebooks,
)
from .publish import MANIFEST, finish, publish, read_manifest, up_to_date, write_text  # noqa: F401
from .runlock import RunLock, sweep_scratch
from .vocabulary import CASE_ID_RE
from .workbook import Workbook

# --------------------------------------------------------------------------------------------
# Single notebooks and the regression references


def execute_notebook(
    source: Path, target: Path, parameters: dict[str, Any] | None = None, kernel_name: str | None = None
) -> Path:
    """Execute ``source`` with papermill into ``target`` (written atomically), cleaned of timestamps.

    Parameters are passed to papermill as data (it writes them as a cell of literals), never pasted
    into code by lspkit. Raises papermill's ``PapermillExecutionError`` if a cell fails; the target
    is then left as it was.
    """
    text, error, _ = execute_job(Path(source), parameters or {}, kernel_name=kernel_name)
    if error is not None:
        raise RunError(
            [
                Problem(
                    str(source), error.get("cell", ""), error["message"], "open the notebook and fix the failing cell"
                )
            ]
        )
    write_text(Path(target), text or "")
    return Path(target)


def reference_path(case_id: str, workbook: Workbook | None = None, notebook: str = "case_profile") -> Path:
    """Where the reference of a per-case notebook for one case lives; the id is checked first."""
    if not CASE_ID_RE.match(case_id):
        raise ParameterError([Problem("parameter case_id", "", f"{case_id!r} is not a case id")])
    return (workbook or Workbook.find()).references / f"{notebook}-{case_id}.ipynb"


def refresh_references(kernel_name: str | None = None, workbook: Workbook | None = None) -> list[Path]:
    """Re-execute the notebooks in place (default parameters) and one case profile per case.

    Run it after a deliberate change to the data or the analyses, then review the diff: every
    changed number shows in it.
    """
    if os.environ.get("LSPKIT_DATA"):
        raise ParameterError(
            [
                Problem(
                    "environment LSPKIT_DATA",
                    "",
                    "references are made from the project's data/ only",
                    "unset LSPKIT_DATA and run again",
                )
            ]
        )
    wb = workbook or Workbook.find()
    written = []
    names = workbook_notebooks(wb.notebooks)
    for name in names:
        written.append(
            execute_notebook(wb.notebooks / f"{name}.ipynb", wb.notebooks / f"{name}.ipynb", kernel_name=kernel_name)
        )
    from .corpus import load_corpus

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
            written.append(
                execute_notebook(
                    wb.notebooks / f"{name}.ipynb",
                    reference_path(case_id, wb, name),
                    {per_case: case_id},
                    kernel_name=kernel_name,
                )
            )
    return written


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
            rows.append(
                (
                    o.name,
                    o.status,
                    f"{o.seconds:.1f}" if o.status in ("ran", "failed") else "-",
                    o.output if o.status in ("ran", "skipped") else o.detail + (f" -> {o.output}" if o.output else ""),
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        lines = ["  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3] for r in rows]
        return "\n".join(line.rstrip() for line in lines)


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="lspkit run", unit="nb", file=sys.stderr, dynamic_ncols=True)


def run_batch(
    cases: Iterable[str] | None = None,
    data_dir: str | Path | None = None,
    outputs: str | Path | None = None,
    parameters: Mapping[str, Mapping[str, Any]] | None = None,
    notebooks: Iterable[str] | None = None,
    jobs: int | None = None,
    force: bool = False,
    kernel_name: str | None = None,
    fresh_kernels: bool = False,
    executor: str = "local",
    executor_options: Mapping[str, Any] | None = None,
    notebooks_dir: str | Path | None = None,
    timeout: float | None = 600,
    progress: bool = True,
    wait: bool = True,
) -> RunResult:
    """Execute and publish the notebooks; see the module docstring and ``lspkit run --help``.

    Returns every job's outcome; a failed or refused job never stops the others. Everything that
    can be checked before a notebook runs is checked first: the parameters (plain data only), the
    job count, the outputs folder and the data. One run at a time writes to an outputs folder
    (:class:`lspkit.runlock.RunLock`; ``wait=False`` refuses instead of waiting).
    """
    parameters = check_parameters(parameters or {}, source="parameters")
    if cases is not None and not isinstance(cases, str):
        cases = list(cases)  # read more than once below
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ParameterError(
            [
                Problem(
                    "option -j/--jobs",
                    "",
                    f"{jobs!r} is not a whole number of at least 1",
                    "give how many notebooks may run at once, e.g. -j 2",
                )
            ]
        )
    if executor not in EXECUTORS:
        raise ParameterError(
            [Problem("option --executor", "", f"unknown executor {executor!r}", f"choose from {', '.join(EXECUTORS)}")]
        )
    explicit_data = data_dir is not None
    wb = Workbook.find(data=data_dir) if (outputs is None or notebooks_dir is None) else None
    outputs = Path(outputs) if outputs is not None else wb.outputs  # type: ignore[union-attr]
    _check_outputs(outputs)
    data_dir = Path(str(data_dir)).resolve() if explicit_data else default_data_dir().resolve()
    notebooks_dir = Path(notebooks_dir) if notebooks_dir is not None else wb.notebooks  # type: ignore[union-attr]
    inputs = recorded_inputs(data_dir, read_manifest(outputs))
    pool = None
    if executor == "local" and not fresh_kernels and (force or inputs is None):
        # notebooks will run: start the kernels now, to warm up while the data load and the plan is
        # made; a request the plan refuses whatever the data (a notebook or parameter that does not
        # exist) is refused first, at once, and one that will be refused for its data or its lock
        # starts no kernel
        plan([], {}, None, parameters, notebooks, notebooks_dir)
        if not _will_be_refused(data_dir, cases, outputs, wait):
            pool = _prestart(notebooks_dir, notebooks, cases, kernel_name, jobs)
    try:
        inputs = inputs or loaded_inputs(data_dir)
        if executor == "dask" and (executor_options or {}).get("scheduler"):
            _check_scheduler(str(dict(executor_options or {})["scheduler"]))
        with RunLock(outputs, wait=wait):
            sweep_scratch()
            return _run_locked(
                inputs,
                data_dir,
                explicit_data,
                outputs,
                notebooks_dir,
                cases,
                parameters,
                notebooks,
                jobs,
                force,
                kernel_name,
                fresh_kernels,
                executor,
                dict(executor_options or {}, pool=pool) if pool is not None else executor_options,
                timeout,
                progress,
            )
    finally:
        if pool is not None:  # after a batch its threads have stopped; after an error they stop by themselves
            pool.close()


def _will_be_refused(data_dir: Path, cases: Iterable[str] | None, outputs: Path, wait: bool) -> bool:
    """What a glance shows the run will refuse: a data folder without its texts, case list or
    codebook; a case id that is malformed or has no text; an outputs folder another run holds while
    this one may not wait. The run itself says what is wrong; this only keeps it from starting
    kernels first."""
    if not all((data_dir / name).exists() for name in ("raw", "cases.csv", "codebook.yml")):
        return True
    for case in cases or []:  # run_batch made it a list
        if not isinstance(case, str) or not CASE_ID_RE.match(case) or not (data_dir / "raw" / f"{case}.txt").is_file():
            return True
    return not wait and RunLock(outputs).held_elsewhere()


def _prestart(
    notebooks_dir: Path,
    notebooks: Iterable[str] | None,
    cases: Iterable[str] | None,
    kernel_name: str | None,
    jobs: int | None,
) -> LocalPool | None:
    """Worker threads with warm kernels for the batch about to be planned, or None when the request
    names no notebook of this workbook (planning then says what is wrong)."""
    try:
        selected = list(notebooks) if notebooks else workbook_notebooks(notebooks_dir)
        per_case = [bool(page_info(notebooks_dir / f"{n}.ipynb").get("per_case")) for n in selected]
        name = kernel_name or notebook_kernel(notebooks_dir / f"{selected[0]}.ipynb")
    except (OSError, ValueError, LspkitError, IndexError):
        return None
    most = (
        sum(len(set(cases)) if pc else 1 for pc in per_case)
        if cases is not None
        else (10**6 if any(per_case) else len(selected))
    )
    workers = max(1, min(jobs or os.cpu_count() or 1, most))
    return LocalPool(name, notebooks_dir, workers, job_kernel=kernel_name)


def _warm_up_renderer() -> None:
    try:
        from .site import warm_up

        warm_up()
    except Exception:  # a page that cannot be rendered is reported when it is published
        pass


def _check_outputs(outputs: Path) -> None:
    """The outputs folder and its sub-folders exist or can be made: checked before anything runs."""
    for path in (outputs, outputs / "site", outputs / "notebooks", outputs / "failed"):
        if path.exists() and not path.is_dir():
            raise ParameterError(
                [
                    Problem(
                        str(path), "", "is a file, not a folder", "give --outputs a folder (it is created if missing)"
                    )
                ]
            )
    try:
        for sub in ("site", "notebooks", "failed"):
            (outputs / sub).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ParameterError(
            [
                Problem(
                    str(outputs),
                    "",
                    f"cannot create the outputs folder: {exc.strerror or exc}",
                    "give --outputs a folder you can write to",
                )
            ]
        ) from None
    if not os.access(outputs, os.W_OK):
        raise ParameterError(
            [
                Problem(
                    str(outputs), "", "the outputs folder is not writable", "give --outputs a folder you can write to"
                )
            ]
        )


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
        raise ParameterError(
            [Problem("option --scheduler", "", f"no Dask scheduler answers at {address} ({exc.strerror or exc})", hint)]
        ) from None


@dataclass(frozen=True)
class Inputs:
    """What a run needs to know of its data: the content hash of the data files and of lspkit's code,
    and, from the corpus they load into, the case ids, partnerships and codebook version."""

    data_digest: str
    code: str
    case_ids: tuple[str, ...]
    partnerships: dict[str, str]
    codebook_version: str

    def record(self) -> dict[str, Any]:
        """As the manifest keeps it (``inputs``)."""
        return {
            "data": self.data_digest,
            "code": self.code,
            "case_ids": list(self.case_ids),
            "partnerships": dict(self.partnerships),
            "codebook_version": self.codebook_version,
        }


def recorded_inputs(data_dir: Path, manifest: Mapping[str, Any]) -> Inputs | None:
    """The inputs as an earlier run found them, if the manifest records that this same code loaded
    these same data files, byte for byte; else None. Reads hashes only: pandas is never imported.
    """
    data_digest, code = inputs_digest(data_dir), code_version()
    known = manifest.get("inputs")
    if isinstance(known, dict) and known.get("data") == data_digest and known.get("code") == code:
        try:
            return Inputs(
                data_digest,
                code,
                tuple(str(c) for c in known["case_ids"]),
                {str(k): str(v) for k, v in known["partnerships"].items()},
                str(known["codebook_version"]),
            )
        except (KeyError, AttributeError, TypeError):
            pass  # an unreadable record: load the data as if there were none
    return None


def loaded_inputs(data_dir: Path) -> Inputs:
    """The inputs from loading the data, which validates them: a
    :class:`~lspkit.errors.DataError` lists every problem before any notebook runs."""
    from .corpus import load_corpus

    # hashed before the load: if a file changes meanwhile, the record names bytes that were not
    # loaded, and the next run loads again
    data_digest, code = inputs_digest(data_dir), code_version()
    corpus = load_corpus(data_dir)
    return Inputs(
        data_digest,
        code,
        tuple(corpus.case_ids),
        dict(zip(corpus.cases["case_id"], corpus.cases["partnership"])),
        str(corpus.codebook.version),
    )


def checked_inputs(data_dir: Path, manifest: Mapping[str, Any]) -> Inputs:
    """The run's inputs, the data validated before any notebook runs: reused from the manifest's
    record of an earlier load of the same bytes by the same code (:func:`recorded_inputs`), else
    loaded (:func:`loaded_inputs`). A run with nothing to do thus takes a fraction of a second.
    """
    return recorded_inputs(data_dir, manifest) or loaded_inputs(data_dir)


def _run_locked(
    inputs: Inputs,
    data_dir: Path,
    explicit_data: bool,
    outputs: Path,
    notebooks_dir: Path,
    cases: Iterable[str] | None,
    parameters: Mapping[str, Mapping[str, Any]],
    notebooks: Iterable[str] | None,
    jobs: int | None,
    force: bool,
    kernel_name: str | None,
    fresh_kernels: bool,
    executor: str,
    executor_options: Mapping[str, Any] | None,
    timeout: float | None,
    progress: bool,
) -> RunResult:
    planned, refused = plan(
        list(inputs.case_ids),
        inputs.partnerships,
        cases,
        parameters,
        notebooks,
        notebooks_dir,
        data_dir if explicit_data else None,
    )

    manifest = read_manifest(outputs)
    code, version = inputs.code, data_version(data_dir)
    keys = {job.name: job_key(job, notebooks_dir, inputs.data_digest, code, kernel_name) for job in planned}
    outcomes: dict[str, Outcome] = {}
    to_run = []
    for job in planned:
        if not force and up_to_date(manifest, job, keys[job.name], outputs):
            outcomes[job.name] = Outcome(job.name, "skipped", output=str(outputs / "site" / f"{job.name}.html"))
        else:
            to_run.append(job)

    bar = _progress(len(planned), progress)
    failures = 0
    if bar is not None:
        bar.update(len(planned) - len(to_run))
    if to_run:
        workers = max(1, min(jobs or os.cpu_count() or 1, len(to_run)))
        run = EXECUTORS[executor](
            to_run,
            notebooks_dir=notebooks_dir,
            workers=workers,
            kernel_name=kernel_name,
            fresh_kernels=fresh_kernels,
            timeout=timeout,
            **dict(executor_options or {}),
        )
        renderer = threading.Thread(target=_warm_up_renderer, daemon=True, name="lspkit-warm-up")
        renderer.start()  # while the kernels start; joined before the first page is rendered
        for job, text, error, seconds in run:
            renderer.join()
            outcome = publish(outputs, manifest, job, keys[job.name], text, error, seconds, version)
            outcomes[job.name] = outcome
            failures += outcome.status == "failed"
            if bar is not None:
                bar.set_postfix(failed=failures, refresh=False)
                bar.update(1)
    if bar is not None:
        bar.close()
    manifest["inputs"] = inputs.record()
    finish(
        outputs,
        manifest,
        ran=bool(to_run),
        data_version=version,
        code_version=code,
        codebook_version=inputs.codebook_version,
    )
    ordered = refused + [outcomes[j.name] for j in planned]
    return RunResult(ordered, outputs)
