"""One run at a time per outputs folder, and temporary files that never outlive their run.

This module owns two kinds of housekeeping for ``lspkit run``:

* :class:`RunLock`: an exclusive lock on ``<outputs>/.lspkit-run.lock`` held for the whole run,
  so that two runs never write pages of different data versions into one site. The file records
  the holder's pid and start time. A second run waits with a message (or refuses, with
  ``wait=False``). The lock is an ``flock`` on the file, so the operating system releases it when
  its holder dies, even by ``kill -9``; the next run then finds the dead holder's record and says
  that it took the lock over.
* :func:`scratch_dir`: this process's private temporary folder (``lspkit-<pid>-*`` in the system's
  temporary folder) for notebooks being executed and kernel sockets. It is removed at exit, and
  :func:`sweep_scratch` removes the folders of processes that no longer exist (after a ``kill -9``).

Example:
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp())
    >>> with RunLock(out) as lock:
    ...     holder = lock.holder()
    >>> holder["pid"] == os.getpid()
    True
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from .errors import LspkitError, Problem

LOCK_NAME = ".lspkit-run.lock"
SCRATCH_PREFIX = "lspkit-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _say(message: str) -> None:
    print(f"lspkit run: {message}", file=sys.stderr, flush=True)


class RunLock:
    """An exclusive, crash-safe lock on one outputs folder (see the module docstring)."""

    def __init__(self, outputs: str | Path, wait: bool = True, say: Callable[[str], None] = _say) -> None:
        self.outputs = Path(outputs)
        self.path = self.outputs / LOCK_NAME
        self.wait = wait
        self.say = say
        self._fd: int | None = None

    def holder(self) -> dict[str, Any]:
        """The record in the lock file: ``pid`` and ``started`` (empty if none)."""
        try:
            return json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}

    def _describe(self, record: dict[str, Any]) -> str:
        return f"pid {record.get('pid', '?')}, started {record.get('started', '?')}"

    def acquire(self) -> "RunLock":
        import fcntl

        try:
            self.outputs.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise LspkitError(
                [
                    Problem(
                        str(self.outputs),
                        "",
                        f"cannot use this as the outputs folder: {exc.strerror or exc}",
                        "give --outputs a folder you can write to",
                    )
                ]
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            record = self.holder()
            if not self.wait:
                os.close(fd)
                raise LspkitError(
                    [
                        Problem(
                            str(self.path),
                            "",
                            f"another lspkit run ({self._describe(record)}) is writing to this outputs folder",
                            "wait for it to finish, or run without --no-wait to wait for it",
                        )
                    ]
                ) from None
            self.say(f"waiting for another run ({self._describe(record)}) to finish with {self.outputs}")
            fcntl.flock(fd, fcntl.LOCK_EX)
        self._fd = fd
        stale = self.holder()
        if stale.get("pid") and stale.get("pid") != os.getpid():
            if not _alive(int(stale["pid"])):
                self.say(
                    f"took over the lock of an earlier run that ended without releasing it ({self._describe(stale)})"
                )
        os.ftruncate(fd, 0)
        os.pwrite(
            fd,
            json.dumps(
                {"pid": os.getpid(), "started": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            ).encode(),
            0,
        )
        return self

    def held_elsewhere(self) -> bool:
        """Whether the lock is held now, by any holder but this object (a hint: it may be taken or let
        go a moment later)."""
        import fcntl

        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        finally:
            os.close(fd)

    def release(self) -> None:
        import fcntl

        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


_scratch: Path | None = None
_scratch_lock = threading.Lock()


def scratch_dir() -> Path:
    """This process's private temporary folder, created on first use and removed at exit."""
    global _scratch
    with _scratch_lock:
        mine = f"{SCRATCH_PREFIX}{os.getpid()}-"
        if _scratch is None or not _scratch.name.startswith(mine) or not _scratch.exists():  # new, or forked
            _scratch = Path(tempfile.mkdtemp(prefix=mine))
            atexit.register(shutil.rmtree, _scratch, True)
        return _scratch


def sweep_scratch(temp_root: str | Path | None = None, min_age: float = 5.0) -> list[Path]:
    """Remove the scratch folders of lspkit processes that no longer exist; return what was removed.

    A folder's owner is the pid in its name. Folders younger than ``min_age`` seconds are left
    alone, so a process that has only just started is never swept.
    """
    root = Path(temp_root or tempfile.gettempdir())
    removed = []
    now = time.time()
    for path in root.glob(f"{SCRATCH_PREFIX}*-*"):
        pid_text = path.name[len(SCRATCH_PREFIX) :].split("-", 1)[0]
        if not path.is_dir() or not pid_text.isdigit() or int(pid_text) == os.getpid():
            continue
        try:
            young = now - path.stat().st_mtime < min_age
        except OSError:
            continue
        if not young and not _alive(int(pid_text)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
