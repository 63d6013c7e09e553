"""Writing a file so that no reader ever sees it half-written.

This module owns atomic writes: the bytes go to a temp file beside the target, which is then renamed
onto it, so a crash leaves either the old file or the new one, never a mix. It imports only the
standard library, so the runner's quick paths can use it.

Example:
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out" / "page.html"
    >>> atomic_write_bytes(target, b"<p>done</p>").read_bytes()
    b'<p>done</p>'
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path


def _file_mode(path: Path) -> int:
    """The mode a rewritten file keeps: the old file's, else what the umask gives a new file."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = 0o022  # read without os.umask(), which would briefly change it for every thread
        try:
            status = Path("/proc/self/status").read_text(encoding="ascii")
            found = re.search(r"^Umask:\s*([0-7]+)", status, re.M)
            if found:
                umask = int(found.group(1), 8)
        except (OSError, AttributeError, ValueError):
            pass
        return 0o666 & ~umask


def stage_bytes(path: str | Path, data: bytes) -> str:
    """``data`` in a temp file beside ``path``, with the mode ``path`` has or would get; returns its name.

    Renaming it onto ``path`` (``os.replace``) then writes ``path`` atomically.
    """
    path = Path(path)
    mode = _file_mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically: a temp file in the same folder, then a rename.

    The file keeps its permissions (a new one gets the usual ones, not the temp file's 0600).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = stage_bytes(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
