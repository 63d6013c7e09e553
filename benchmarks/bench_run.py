"""Benchmark `lspkit run` against the plain shell loop and against its own floor, in one run.

Times, each the median of --repeat runs (default 3), on the workbook's own notebooks and data:

* naive   the loop a researcher would write: for every page `lspkit run` publishes,
          `papermill IN OUT -y PARAMS` then `jupyter nbconvert --to html OUT`, one after another;
* floor   `lspkit run --force` with the same kernels and settings on the same notebooks emptied of
          every cell but their parameters cell: what the runner costs before any notebook does work
          (kernel starts, injection, saving, rendering, the site);
* force   `lspkit run --force` (every notebook executed and rendered);
* repeat  `lspkit run` straight after, with nothing changed (every notebook skipped).

It prints the figures and the ratios (force against the floor, naive against force). It is a
measurement, not a test: nothing fails on a number.

    make bench-run            # or: .venv/bin/python benchmarks/bench_run.py --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _timed(cmd: list[str], **kw) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    return time.perf_counter() - start


def _jobs(notebooks: Path) -> list[tuple[str, dict]]:
    """(notebook, parameters) for every page `lspkit run` publishes, as the runner plans them."""
    sys.path.insert(0, str(ROOT))
    from lspkit import load_corpus
    from lspkit.plan import plan

    corpus = load_corpus(ROOT / "data")
    jobs, _ = plan(corpus.case_ids, dict(zip(corpus.cases["case_id"], corpus.cases["partnership"])),
                   notebooks_dir=notebooks)
    return [(job.notebook, dict(job.parameters)) for job in jobs]


def parameters_only(nb: dict) -> dict:
    """A notebook emptied of every cell but its parameters cell (unexecuted), its metadata kept so the
    runner plans the same pages: the floor's notebook."""
    cells = [dict(c, outputs=[], execution_count=None) for c in nb["cells"]
             if "parameters" in c.get("metadata", {}).get("tags", [])]
    return {**nb, "cells": cells}


def _workbook(into: Path, *, emptied: bool) -> Path:
    """A copy of the workbook (data and notebooks); with ``emptied`` every cell but the parameters cell
    is removed from each notebook (its metadata kept, so the runner plans the same pages)."""
    shutil.copytree(ROOT / "data", into / "data")
    shutil.copytree(ROOT / "notebooks", into / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    if emptied:
        for path in (into / "notebooks").glob("*.ipynb"):
            nb = parameters_only(json.loads(path.read_text(encoding="utf-8")))
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return into


HUNG: list[str] = []  # naive-loop attempts that hung and were retried (their time is not counted)


def naive_loop(jobs: list[tuple[str, dict]], workbook: Path, work: Path, limit: float = 90.0) -> float:
    """The plain loop's time. The papermill CLI sometimes waits forever on a kernel that has finished
    the explorer notebook (its ipywidgets output); such an attempt is stopped after ``limit`` seconds,
    left out of the time, recorded in ``HUNG`` and retried."""
    total = 0.0
    for i, (name, params) in enumerate(jobs):
        out = work / f"{name}-{i}.ipynb"
        for _ in range(3):
            start = time.perf_counter()
            try:
                subprocess.run([str(BIN / "papermill"), str(workbook / "notebooks" / f"{name}.ipynb"), str(out),
                                "-y", json.dumps(params), "--no-progress-bar"], check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workbook, timeout=limit)
            except subprocess.TimeoutExpired:
                HUNG.append(name)
                continue
            total += time.perf_counter() - start
            break
        start = time.perf_counter()
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", str(out)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workbook)
        total += time.perf_counter() - start
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("-j", "--jobs", type=int, default=None, help="passed to lspkit run")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in ("LSPKIT_DATA", "LSPKIT_WORKBOOK")}
    times: dict[str, list[float]] = {"naive": [], "floor": [], "force": [], "repeat": []}
    with tempfile.TemporaryDirectory(prefix="lspkit-bench-") as tmp:
        work = Path(tmp)
        full = _workbook(work / "full", emptied=False)
        empty = _workbook(work / "empty", emptied=True)
        jobs = _jobs(full / "notebooks")

        def run(workbook: Path, *extra: str) -> list[str]:
            return [str(BIN / "lspkit"), "--workbook", str(workbook), "run", "--no-progress",
                    "--outputs", str(workbook / "outputs"), *(["-j", str(args.jobs)] if args.jobs else []), *extra]

        for r in range(args.repeat):
            shutil.rmtree(work / "naive", ignore_errors=True)
            (work / "naive").mkdir()
            times["naive"].append(naive_loop(jobs, full, work / "naive"))
            times["floor"].append(_timed(run(empty, "--force"), env=env, cwd=empty))
            times["force"].append(_timed(run(full, "--force"), env=env, cwd=full))
            times["repeat"].append(_timed(run(full), env=env, cwd=full))
            print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()), file=sys.stderr)
    med = {k: statistics.median(v) for k, v in times.items()}
    n = len(jobs)
    print(f"pages per run: {n}  (cores: {os.cpu_count()}, median of {args.repeat})")
    print(f"{'measure':<46}{'total s':>9}{'per page s':>12}")
    rows = [("naive loop (papermill + nbconvert CLI)", "naive"),
            ("floor: lspkit run --force, parameters cells only", "floor"),
            ("lspkit run --force", "force"), ("lspkit run (repeat, unchanged)", "repeat")]
    for label, key in rows:
        print(f"{label:<46}{med[key]:>9.2f}{med[key] / n:>12.2f}")
    print(f"lspkit run --force against its floor:            {med['force'] / med['floor']:.2f}x the floor")
    print(f"speed-up of lspkit run --force over the naive loop: {med['naive'] / med['force']:.1f}x")
    print(f"repeat run: {med['repeat']:.2f} s")
    if HUNG:
        print(f"naive loop: {len(HUNG)} papermill attempt(s) hung and were retried, not counted: {', '.join(HUNG)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
