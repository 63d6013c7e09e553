"""Benchmark `lspkit run` against the plain shell loop (papermill CLI + nbconvert CLI per notebook).

Times, each the median of --repeat runs (default 3), on the shipped corpus:

* naive   the loop a researcher would write: for every notebook `lspkit run` publishes,
          `papermill IN OUT [-p lsp CASE]` then `jupyter nbconvert --to html OUT`, one after another;
* force   `lspkit run --force` (every notebook executed and rendered);
* repeat  `lspkit run` straight after, with nothing changed (every notebook skipped);
* floor   `papermill` executing an empty notebook once per notebook, one after another: what
          starting a kernel costs, before any notebook does work.

It prints the figures and the ratios. It is a measurement, not a test: nothing fails on a number.

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
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, **kw)
    return time.perf_counter() - start


def _jobs() -> list[tuple[str, list[str]]]:
    """(notebook, papermill parameter args) for every page `lspkit run` publishes."""
    sys.path.insert(0, str(ROOT))
    from lspkit import load_corpus
    from lspkit.runner import MAIN_NOTEBOOKS, NOTEBOOKS

    jobs = []
    for name in MAIN_NOTEBOOKS:
        if not (NOTEBOOKS / f"{name}.ipynb").exists():
            continue
        if name == "case_profile":
            jobs += [(name, ["-p", "lsp", case]) for case in load_corpus().case_ids]
        else:
            jobs.append((name, []))
    return jobs


def naive_loop(jobs, work: Path) -> float:
    start = time.perf_counter()
    for i, (name, params) in enumerate(jobs):
        out = work / f"{name}-{i}.ipynb"
        subprocess.run([str(BIN / "papermill"), f"notebooks/{name}.ipynb", str(out), *params, "--no-progress-bar"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", str(out)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - start


def floor(n: int, work: Path) -> float:
    empty = work / "empty.ipynb"
    empty.write_text(json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": "1"}],
        "metadata": {"kernelspec": {"name": "lspkit", "display_name": "Python (lspkit)", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 4}), encoding="utf-8")
    start = time.perf_counter()
    for i in range(n):
        subprocess.run([str(BIN / "papermill"), str(empty), str(work / f"empty-{i}.ipynb"), "--no-progress-bar"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("-j", "--jobs", type=int, default=None, help="passed to lspkit run")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "LSPKIT_DATA"}
    jobs = _jobs()
    lspkit = [str(BIN / "lspkit"), "run", "--no-progress"] + (["-j", str(args.jobs)] if args.jobs else [])
    times: dict[str, list[float]] = {"naive": [], "force": [], "repeat": [], "floor": []}
    with tempfile.TemporaryDirectory(prefix="lspkit-bench-") as tmp:
        work = Path(tmp)
        outputs = work / "outputs"
        for r in range(args.repeat):
            shutil.rmtree(work / "naive", ignore_errors=True)
            (work / "naive").mkdir()
            times["naive"].append(naive_loop(jobs, work / "naive"))
            times["force"].append(_timed(lspkit + ["--outputs", str(outputs), "--force"], env=env))
            times["repeat"].append(_timed(lspkit + ["--outputs", str(outputs)], env=env))
            times["floor"].append(floor(len(jobs), work))
            print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()), file=sys.stderr)
    med = {k: statistics.median(v) for k, v in times.items()}
    n = len(jobs)
    print(f"notebooks per run: {n}  (cores: {os.cpu_count()}, median of {args.repeat})")
    print(f"{'measure':<34}{'total s':>9}{'per nb s':>10}")
    rows = [("naive loop (papermill + nbconvert CLI)", "naive"), ("lspkit run --force", "force"),
            ("lspkit run (repeat, unchanged)", "repeat"), ("floor: papermill, empty notebook", "floor")]
    for label, key in rows:
        print(f"{label:<34}{med[key]:>9.2f}{med[key] / n:>10.2f}")
    print(f"speed-up of lspkit run --force over the naive loop: {med['naive'] / med['force']:.1f}x")
    print(f"lspkit run --force against the sequential floor:    {med['force'] / med['floor']:.2f}x the floor")
    print(f"repeat run: {med['repeat']:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
