"""Kernels for batch runs: a papermill engine that runs notebooks on a warm, reset kernel.

This module owns how a notebook's code reaches a kernel during ``lspkit run``. Starting a kernel
and importing pandas and matplotlib in it costs more than most of our notebooks' own work, so each
batch worker keeps one kernel and reuses it. Before every notebook the kernel is reset: the user
namespace is cleared (``%reset -f``), figures are closed, pandas and matplotlib settings go back to
their defaults and the execution counter restarts at 1, so a notebook sees the same state it would
see in a new kernel (a test compares the two). Kernels are shut down at once, without the graceful
shutdown request that makes jupyter_client wait for a reply.

The engine is registered with papermill as ``lspkit-warm`` through the ``papermill.engine`` entry
point (so ``papermill --engine lspkit-warm`` works too) and is used through papermill's own API:
``papermill.execute_notebook(..., engine_name="lspkit-warm", warm_kernel=kernel)``.

Example:
    >>> kernel = WarmKernel("python3")      # doctest: +SKIP
    >>> kernel.reset(); kernel.shutdown()   # doctest: +SKIP
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from queue import Empty
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

from .runlock import scratch_dir

ENGINE_NAME = "lspkit-warm"

# Runs silently (no history, no outputs) before each notebook on a reused kernel.
RESET_CODE = """\
import warnings as _w
with _w.catch_warnings():
    _w.simplefilter("ignore")
    try:
        import matplotlib as _mpl, matplotlib.pyplot as _plt
        _plt.close("all"); _mpl.rcdefaults()
    except ImportError:
        pass
    try:
        import pandas as _pd
        _pd.reset_option("all")
    except ImportError:
        pass
get_ipython().run_line_magic("reset", "-f")
get_ipython().execution_count = 1
"""


class WarmKernel:
    """One kernel process kept across notebooks, reset between them.

    It must be used from one thread: the thread that created it (nbclient's event loop is per
    thread, and the kernel's sockets belong to it).
    """

    def __init__(self, kernel_name: str, cwd: str | Path | None = None, startup_timeout: float = 60) -> None:
        self.kernel_name = kernel_name
        self.cwd = str(cwd) if cwd else None
        self.startup_timeout = startup_timeout
        self.km: AsyncKernelManager | None = None
        self.notebooks_run = 0
        self._sockets = ""

    def _start(self) -> None:
        # IPC sockets in a private temporary folder: no open TCP ports, and no warning about them.
        self._sockets = tempfile.mkdtemp(prefix="kernel-", dir=scratch_dir())
        self.km = AsyncKernelManager(
            kernel_name=self.kernel_name,
            transport="ipc",
            ip=os.path.join(self._sockets, "kernel"),
            connection_file=os.path.join(self._sockets, "kernel.json"),
        )
        # No IPython history database: the reset restarts the execution counter, and a line number
        # stored twice makes IPython print "Session/line number was not unique" into a cell's output.
        run_sync(self.km.start_kernel)(cwd=self.cwd, extra_arguments=["--HistoryManager.enabled=False"])

    def alive(self) -> bool:
        return self.km is not None and bool(run_sync(self.km.is_alive)())

    def reset(self) -> None:
        """Start the kernel if needed, else clear it to the state of a fresh kernel."""
        if not self.alive():
            self.shutdown()
            self._start()
            self.notebooks_run = 0
            return
        kc = self.km.client()  # type: ignore[union-attr]
        kc.start_channels()
        try:
            run_sync(kc.wait_for_ready)(timeout=self.startup_timeout)
            reply = run_sync(kc.execute_interactive)(
                RESET_CODE, silent=True, store_history=False, timeout=self.startup_timeout
            )
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"could not reset kernel: {reply['content'].get('evalue')}")
        finally:
            kc.stop_channels()

    def preload(self, modules: list[str], warm_up: str = "") -> None:
        """Start the kernel and import ``modules`` in it, then run ``warm_up`` (errors ignored), so the
        first notebook finds them loaded.

        Imports do not change what a notebook computes; :meth:`reset` still runs before it.
        """
        self.reset()
        code = "\n".join(f"try:\n    import {m}\nexcept ImportError:\n    pass" for m in modules)
        if warm_up:
            code += (
                "\ntry:\n" + "".join(f"    {line}\n" for line in warm_up.splitlines()) + "except Exception:\n    pass"
            )
        kc = self.km.client()  # type: ignore[union-attr]
        kc.start_channels()
        try:
            run_sync(kc.wait_for_ready)(timeout=self.startup_timeout)
            run_sync(kc.execute_interactive)(code, silent=True, store_history=False, timeout=self.startup_timeout)
        finally:
            kc.stop_channels()

    def shutdown(self) -> None:
        """Stop the kernel at once (no graceful-shutdown wait)."""
        if self.km is None:
            return
        km, self.km = self.km, None
        try:
            if run_sync(km.is_alive)():
                run_sync(km.shutdown_kernel)(now=True)
        finally:
            run_sync(km.cleanup_resources)()
            shutil.rmtree(self._sockets, ignore_errors=True)


POLL_SLICE = 0.25  # seconds: the longest a missed socket wake-up can delay a reply


def _poll_in_slices(channel: Any) -> None:
    """Make ``channel.get_msg(timeout)`` wait in short slices instead of one long poll.

    nbclient answers Output widgets by sending on the shell socket while it is waiting on that same
    socket for the cell's reply. With pyzmq's edge-triggered asyncio sockets the wait can then miss
    the reply's arrival and sleep until the cell's whole timeout has passed, although the reply is
    there (seen with the explorer's widgets: a 2-second notebook took the full timeout). Polling
    again every ``POLL_SLICE`` seconds finds the waiting message; the overall timeout is unchanged.
    """
    original = channel.get_msg

    async def get_msg(timeout: float | None = None) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            step = POLL_SLICE if deadline is None else min(POLL_SLICE, max(0.0, deadline - time.monotonic()))
            try:
                return await original(timeout=step)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    channel.get_msg = get_msg


class _WarmClient(PapermillNotebookClient):
    """Papermill's client on a kernel it does not own: it closes its own channels, nothing else.

    Its shell and IOPub waits poll in slices (:func:`_poll_in_slices`).
    """

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        _poll_in_slices(kc.shell_channel)
        _poll_in_slices(kc.iopub_channel)
        return kc

    # nbclient's synchronous setup calls this wrapper, bound to the base class's coroutine.
    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def execute(self, **kwargs: Any) -> Any:
        try:
            return super().execute(**kwargs)
        finally:
            kc: Any = getattr(self, "kc", None)
            if kc is not None:
                kc.stop_channels()
                self.kc = None


class WarmKernelEngine(NBClientEngine):
    """Papermill engine: executes on ``warm_kernel`` (a :class:`WarmKernel`), else on a new kernel
    of the same kind that is shut down immediately afterwards."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man,
        kernel_name,
        log_output=False,
        stdout_file=None,
        stderr_file=None,
        start_timeout=60,
        execution_timeout=None,
        **kwargs,
    ):
        warm: WarmKernel | None = kwargs.pop("warm_kernel", None)
        kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
        final = merge_kwargs(
            kwargs,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        if warm is None:
            once = WarmKernel(kernel_name, cwd=kwargs.get("cwd"), startup_timeout=start_timeout)
            try:
                once.reset()
                return _WarmClient(nb_man, km=once.km, **final).execute()
            finally:
                once.shutdown()
        warm.reset()
        client = _WarmClient(nb_man, km=warm.km, **final)
        try:
            return client.execute()
        finally:
            warm.notebooks_run += 1


def ensure_registered() -> str:
    """The engine's name, registered with papermill if its entry point has not done so (a source
    checkout that was never installed): the runner calls this before it executes a notebook."""
    if ENGINE_NAME not in papermill_engines._engines:
        papermill_engines.register(ENGINE_NAME, WarmKernelEngine)
    return ENGINE_NAME
