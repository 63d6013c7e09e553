"""Publishing a batch run: executed notebooks, pages, the manifest and the site index.

This module owns the third of the runner's three parts. It keeps ``<outputs>/run-manifest.json``
(what each page was made from: the job's content hash, the data version, when, and whether its latest
run failed), decides whether a job's page is up to date (:func:`up_to_date`), writes an executed
notebook and its page (:func:`publish`; a failed run goes to ``outputs/failed/`` and the last good
page stays), and writes the index and the manifest at the end (:func:`finish`). Every file is written
atomically, with the usual permissions, so a published page is never half-written.

Example:
    >>> import tempfile
    >>> read_manifest(Path(tempfile.mkdtemp()))
    {'pages': {}}
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .atomic import atomic_write_bytes
from .plan import Job, Outcome

MANIFEST = "run-manifest.json"


def write_text(path: Path, text: str) -> None:
    """Write text atomically with ``\\n`` line ends; the file gets the usual permissions (a published
    page must be readable by the web server), not a temp file's 0600."""
    atomic_write_bytes(path, text.encode("utf-8"))


def read_manifest(outputs: Path) -> dict[str, Any]:
    """The outputs folder's manifest, or an empty one if there is none (or it cannot be read)."""
    try:
        manifest = json.loads((outputs / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    if not isinstance(manifest, dict) or not isinstance(manifest.get("pages"), dict):
        manifest = {"pages": {}}
    return manifest


def up_to_date(manifest: dict[str, Any], job: Job, key: str, outputs: Path) -> bool:
    """Whether ``job``'s last run had these inputs (``key``), succeeded, and left its files in place."""
    page = manifest["pages"].get(job.name, {})
    return (
        page.get("key") == key
        and page.get("status") == "ok"
        and (outputs / "site" / f"{job.name}.html").exists()
        and (outputs / "notebooks" / f"{job.name}.ipynb").exists()
    )


def publish(
    outputs: Path,
    manifest: dict[str, Any],
    job: Job,
    key: str,
    text: str | None,
    error: dict | None,
    seconds: float,
    data_version: str,
) -> Outcome:
    """Write one finished job: its executed notebook and page, or (when it failed, or its page cannot be
    rendered) the failed notebook in ``outputs/failed/``, keeping the last good page listed as stale."""
    pages = manifest["pages"]
    html_path = outputs / "site" / f"{job.name}.html"
    failed_path = outputs / "failed" / f"{job.name}.ipynb"
    if error is None:
        try:
            import nbformat

            from .site import render_html

            page_html = render_html(nbformat.reads(text, as_version=4), job.title)
        except Exception as exc:  # a page that cannot be rendered is a failed run, reported, never a crash
            error = {"cell": "", "message": f"rendering HTML failed: {type(exc).__name__}: {exc}"}
    if error is None:
        write_text(outputs / "notebooks" / f"{job.name}.ipynb", text or "")
        write_text(html_path, page_html)
        failed_path.unlink(missing_ok=True)
        pages[job.name] = {
            "key": key,
            "status": "ok",
            "data_version": data_version,
            "title": job.title,
            "group": job.group,
            "description": job.description,
            "html": f"{job.name}.html",
            "notebook": f"../notebooks/{job.name}.ipynb",
            "seconds": round(seconds, 2),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        return Outcome(job.name, "ran", seconds, str(html_path))
    if text is not None:
        write_text(failed_path, text)
    detail = " ".join(x for x in (error.get("cell"), error["message"]) if x)
    previous = pages.get(job.name)
    if previous:  # keep the last good page listed, marked as stale
        previous.update(status="failed", error=detail[:300])
    else:  # never published: listed with its failing cell, without a link
        pages[job.name] = {
            "key": "",
            "status": "failed",
            "html": "",
            "title": job.title,
            "group": job.group,
            "description": job.description,
            "error": detail[:300],
        }
    return Outcome(job.name, "failed", seconds, str(failed_path) if text else "", detail)


def finish(
    outputs: Path, manifest: dict[str, Any], *, ran: bool, data_version: str, code_version: str, codebook_version: str
) -> None:
    """After a batch: record the run (when anything ran) and write the index and the manifest (when
    anything ran, or there is no index yet)."""
    if ran:
        manifest.update(
            data_version=data_version,
            code_version=code_version,
            run_date=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        )
    index = outputs / "site" / "index.html"
    if not ran and index.exists():
        return
    from . import __version__
    from .site import index_html

    listed = [
        dict(p, name=n)
        for n, p in manifest["pages"].items()
        if not p.get("html") or (outputs / "site" / p["html"]).exists()
    ]
    write_text(
        index,
        index_html(
            listed,
            manifest.get("run_date", "not yet run"),
            manifest.get("data_version", data_version),
            __version__,
            codebook_version=codebook_version,
        ),
    )
    write_text(outputs / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
