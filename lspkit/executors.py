"""Executing notebooks: one job in a kernel, and the executors that run a batch of jobs.

This module owns the second of the runner's three parts. :func:`execute_job` runs one notebook
through papermill on lspkit's warm-kernel engine and returns the executed notebook as text, cleaned
of what changes from run to run (:func:`clean_notebook`); only plain data goes in and out, so a
remote worker can run it. An executor runs a batch: it takes the jobs and yields ``(job, notebook
text, error, seconds)`` as each finishes (:class:`Executor`). ``local`` runs them on threads that
each keep one warm kernel; ``dask`` sends them to a Dask distributed cluster. :func:`register_executor`
adds another.

Example:
    >>> sorted(EXECUTORS)
    ['dask', 'local']
"""

from __future__ import annotations

import json
import os
import queue
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Protocol

from .errors import LspkitError, Problem
from .parameters import injected_source
from .plan import Job
from .runlock import scratch_dir

VOLATILE_CELL_METADATA = ("execution", "papermill")
# What a warm kernel imports before its first notebook: what most notebooks import, pandas' table
# styler (first used to show a table) and a first figure drawn to PNG (loads the font and the renderer).
PRELOAD = [
    "pandas",
    "pandas.io.formats.style",
    "matplotlib.pyplot",
    "lspkit.analysis",
    "lspkit.plots",
    "lspkit.display",
    "lspkit.findings",
    "lspkit.linkanalysis",
    "lspkit.reliability",
]
WARM_UP_CODE = (
    "import io as _io, matplotlib.pyplot as _plt\n"
    "_f = _plt.figure(figsize=(1, 1)); _f.text(0.5, 0.5, 'x'); _f.savefig(_io.BytesIO(), format='png'); _plt.close(_f)"
)

Finished = tuple[Job, "str | None", "dict | None", float]


class Executor(Protocol):
    """Runs ``jobs`` (notebooks in ``notebooks_dir``) on ``workers`` at once; yields each as it finishes."""

    def __call__(
        self,
        jobs: list[Job],
        *,
        notebooks_dir: Path,
        workers: int,
        kernel_name: str | None,
        fresh_kernels: bool,
        timeout: float | None,
        **options: Any,
    ) -> Iterator[Finished]: ...


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


def execute_job(
    source: Path,
    parameters: Mapping[str, Any],
    kernel_name: str | None = None,
    warm_kernel: Any = None,
    timeout: float | None = 600,
) -> tuple[str | None, dict | None, float]:
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
            pm.execute_notebook(
                str(source),
                tmp,
                parameters=dict(parameters),
                kernel_name=kernel_name,
                engine_name=kernels.ensure_registered(),
                warm_kernel=warm_kernel,
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
                execution_timeout=timeout,
            )
        except PapermillExecutionError as exc:
            error = {
                "cell": f"cell {exc.cell_index + 1} (In [{exc.exec_count}])",
                "message": f"{exc.ename}: {exc.evalue}".strip(),
            }
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


def notebook_kernel(path: Path) -> str:
    """The kernel a notebook names in its metadata (``python3`` if it names none)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return nb.get("metadata", {}).get("kernelspec", {}).get("name", "python3")


class LocalPool:
    """Worker threads that each start one warm kernel at once and then run the jobs they are given.

    The runner starts a pool before it loads the data and plans the batch, so the kernels start up
    and import pandas and matplotlib while this process does that work; :meth:`run` then hands the
    jobs to the threads. A kernel belongs to the thread that started it (nbclient's event loop is per
    thread), so each thread keeps its own. :meth:`close` stops threads that got no work.

    Example:
        >>> pool = LocalPool("python3", Path("."), workers=1)   # doctest: +SKIP
        >>> list(pool.run(jobs, timeout=600)); pool.close()      # doctest: +SKIP
    """

    def __init__(
        self,
        kernel_name: str,
        notebooks_dir: Path,
        workers: int,
        fresh_kernels: bool = False,
        job_kernel: str | None = None,
    ) -> None:
        self.kernel_name = kernel_name  # the warm kernels'
        self.job_kernel = job_kernel  # what each job is told (None: its notebook's own)
        self.notebooks_dir = Path(notebooks_dir)
        self.fresh_kernels = fresh_kernels
        self._todo: queue.Queue = queue.Queue()
        self._done: queue.Queue = queue.Queue()
        self._timeout: float | None = 600
        self._abandoned = threading.Event()  # closed before any job was given: skip the preload
        self._given = False
        self._threads = [
            threading.Thread(target=self._work, daemon=True, name=f"lspkit-run-{i}") for i in range(max(1, workers))
        ]
        for t in self._threads:
            t.start()

    def _work(self) -> None:
        warm = None
        try:
            if not self.fresh_kernels:
                from .kernels import WarmKernel

                warm = WarmKernel(self.kernel_name, cwd=self.notebooks_dir)
                if self._abandoned.is_set():
                    return
                try:  # overlaps the kernel's start-up and imports with this process's own work
                    warm.preload(PRELOAD, WARM_UP_CODE)
                except Exception:
                    pass  # the first job reports a kernel that cannot start
            while True:
                job = self._todo.get()
                if job is None:
                    return
                try:
                    text, error, seconds = execute_job(
                        self.notebooks_dir / f"{job.notebook}.ipynb",
                        job.parameters,
                        kernel_name=self.job_kernel,
                        warm_kernel=warm,
                        timeout=self._timeout,
                    )
                except Exception as exc:  # never lose a job silently
                    text, error, seconds = None, {"cell": "", "message": f"{type(exc).__name__}: {exc}"}, 0.0
                self._done.put((job, text, error, seconds))
        except BaseException as exc:  # the worker itself failed: every job it still takes is reported
            # (jobs may arrive after the failure when the pool was started before planning; the
            # thread serves them, as failures, until its stop sentinel, so none is ever waited for)
            message = f"the worker stopped: {type(exc).__name__}: {exc}"
            while True:
                job = self._todo.get()
                if job is None:
                    return
                self._done.put((job, None, {"cell": "", "message": message}, 0.0))
        finally:
            if warm is not None:
                try:
                    warm.shutdown()
                except Exception:
                    pass

    def run(self, jobs: list[Job], timeout: float | None) -> Iterator[Finished]:
        """Run ``jobs`` on the pool's threads; yield each as it finishes; then stop the threads."""
        self._timeout = timeout
        self._given = True
        for job in jobs:
            self._todo.put(job)
        self.close()
        for _ in jobs:
            yield self._done.get()
        for t in self._threads:
            t.join()

    def close(self, wait: bool = False) -> None:
        """Tell every thread to stop once the queued jobs are done (a thread with none stops at once,
        shutting its kernel down); with ``wait``, wait until they have."""
        if not self._given:
            self._abandoned.set()
        for _ in self._threads:
            self._todo.put(None)
        if wait:
            for t in self._threads:
                t.join(timeout=60)


def _local_executor(
    jobs: list[Job],
    notebooks_dir: Path,
    workers: int,
    kernel_name: str | None,
    fresh_kernels: bool,
    timeout: float | None,
    pool: LocalPool | None = None,
) -> Iterator[tuple[Job, str | None, dict | None, float]]:
    """Run jobs on ``workers`` threads; each thread keeps one warm kernel (or starts one per job).

    ``pool``: threads already started (:class:`LocalPool`), used when their kernel is the one these
    jobs need; otherwise they are stopped and a pool is started here.
    """
    try:
        name = kernel_name or notebook_kernel(notebooks_dir / f"{jobs[0].notebook}.ipynb")
    except Exception as exc:  # no worker can start: every job is reported, none is lost
        if pool is not None:
            pool.close()
        for job in jobs:
            yield job, None, {"cell": "", "message": f"the worker stopped: {type(exc).__name__}: {exc}"}, 0.0
        return
    if pool is not None and (
        pool.kernel_name != name
        or pool.job_kernel != kernel_name
        or pool.fresh_kernels != fresh_kernels
        or pool.notebooks_dir != Path(notebooks_dir)
    ):
        pool.close()
        pool = None
    if pool is None:
        pool = LocalPool(name, notebooks_dir, workers, fresh_kernels, job_kernel=kernel_name)
    yield from pool.run(jobs, timeout)


def _remote_job(
    notebook_text: str, name: str, parameters: Mapping[str, Any], kernel_name: str | None, timeout: float | None
) -> tuple[str | None, dict | None, float]:
    """What a Dask worker runs: the notebook arrives as text, the executed notebook leaves as text."""
    with tempfile.TemporaryDirectory(prefix="job-", dir=scratch_dir()) as tmp:
        source = Path(tmp) / f"{name}.ipynb"
        source.write_text(notebook_text, encoding="utf-8")
        return execute_job(source, parameters, kernel_name=kernel_name, timeout=timeout)


def _dask_executor(
    jobs: list[Job],
    notebooks_dir: Path,
    workers: int,
    kernel_name: str | None,
    fresh_kernels: bool,
    timeout: float | None,
    scheduler: str | None = None,
) -> Iterator[tuple[Job, str | None, dict | None, float]]:
    """Run jobs as tasks on a Dask distributed cluster (``scheduler``), or on a local one if None.

    Each task gets the notebook's text and its parameters, and returns the executed notebook's text;
    pages are rendered and written here, by the client. Workers need lspkit with its ``lspkit``
    kernel, and the data directory at the path the notebooks are given (``--data``) or in their
    ``LSPKIT_DATA``. A task runs on a fresh kernel, shut down immediately afterwards.
    """
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise LspkitError(
            [Problem("option --executor", "dask", "Dask is not installed", "pip install 'lspkit[dask]'")]
        ) from None
    cluster = None
    if scheduler:
        client = Client(scheduler, timeout="30s")
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None)
        client = Client(cluster)
    try:
        futures = {}
        for job in jobs:
            source_text = (notebooks_dir / f"{job.notebook}.ipynb").read_text(encoding="utf-8")
            future = client.submit(
                _remote_job,
                source_text,
                job.notebook,
                job.parameters,
                kernel_name,
                timeout,
                key=f"lspkit-run-{job.name}-{time.time_ns()}",
                pure=False,
            )
            futures[future] = job
        for future in as_completed(list(futures)):
            job = futures[future]
            try:
                text, error, seconds = future.result()
            except Exception as exc:  # the worker died or could not run the task
                text, error, seconds = (
                    None,
                    {"cell": "", "message": f"on the Dask worker: {type(exc).__name__}: {exc}"},
                    0.0,
                )
            yield job, text, error, seconds
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


EXECUTORS: dict[str, Callable[..., Iterator[Finished]]] = {"local": _local_executor, "dask": _dask_executor}


def register_executor(name: str, executor: Executor | Callable[..., Iterator[Finished]]) -> None:
    """Make ``executor`` available as ``lspkit run --executor NAME`` (and ``run_batch(executor=NAME)``)."""
    EXECUTORS[name] = executor
