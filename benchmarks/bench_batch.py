"""The case-profile batch at national scale: ``lspkit run -j 2`` over N synthetic cases, against its floor.

It writes a synthetic corpus (:mod:`synth`, default 300 fictional cases), then measures, one after
another:

* ``batch``  ``lspkit --data DIR run -j J --notebook case_profile --force``: the wall time, and
  each notebook's own execution time as the run manifest records it;
* ``floor (lspkit run)``  the same command on an *empty* ``case_profile`` notebook (one cell
  holding the parameters): the same runner, warm kernels, ``-j J`` and page rendering, with no
  analysis in the notebook; the batch's wall time less this is what the notebooks' work costs;
* ``floor (kernel)``  ``papermill`` executing a one-cell notebook in a new ``lspkit`` kernel,
  the median of ``--floor-runs`` runs: what a notebook costs when every run starts a kernel.

Per-notebook wall time is the batch's wall time over N (with J notebooks running at once).

    .venv/bin/python benchmarks/bench_batch.py --cases 300 -j 2     # about 5-10 minutes on 2 cores
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "benchmarks"))

def _empty_profile() -> dict:
    """The case profile emptied of every cell but its parameters cell (see bench_run.parameters_only)."""
    from bench_run import parameters_only

    return parameters_only(json.loads((ROOT / "notebooks" / "case_profile.ipynb").read_text(encoding="utf-8")))


def _run(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        print(done.stdout[-3000:], file=sys.stderr)
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return seconds


def _job_seconds(outputs: Path) -> list[float]:
    pages = json.loads((outputs / "run-manifest.json").read_text(encoding="utf-8"))["pages"]
    return [p["seconds"] for name, p in pages.items() if name.startswith("case_profile-")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the case_profile batch against its floor.")
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--floor-runs", type=int, default=5)
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)

    from synth import write_corpus

    env = {k: v for k, v in os.environ.items() if k not in ("LSPKIT_DATA", "LSPKIT_NO_CACHE")}
    lspkit = str(BIN / "lspkit")
    with tempfile.TemporaryDirectory(prefix="lspkit-bench-batch-") as tmp:
        work = Path(tmp)
        env["LSPKIT_CACHE_DIR"] = str(work / "cache")
        data = write_corpus(work / "data", cases=args.cases, seed=args.seed)
        run = [lspkit, "--data", str(data), "run", "-j", str(args.jobs), "--notebook", "case_profile", "--force",
               "--no-progress"]

        print(f"batch: {args.cases} case profiles, -j {args.jobs} ...", file=sys.stderr, flush=True)
        batch = _run(run + ["--outputs", str(work / "out-batch")], env)
        jobs = _job_seconds(work / "out-batch")

        empty_dir = work / "empty-notebooks"
        empty_dir.mkdir()
        empty = _empty_profile()
        (empty_dir / "case_profile.ipynb").write_text(json.dumps(empty), encoding="utf-8")
        print("floor: the same batch of empty notebooks ...", file=sys.stderr, flush=True)
        floor_run = _run([sys.executable, "-c", _FLOOR_RUN, str(data), str(work / "out-floor"), str(empty_dir),
                          str(args.jobs)], env)
        floor_jobs = _job_seconds(work / "out-floor")

        print(f"floor: papermill, a one-cell notebook in a new kernel, x{args.floor_runs} ...", file=sys.stderr,
              flush=True)
        one = work / "one-cell.ipynb"
        one.write_text(json.dumps({**empty, "cells": [dict(empty["cells"][0], metadata={}, source="1")]}),
                       encoding="utf-8")
        kernel = [_run([str(BIN / "papermill"), str(one), str(work / f"one-{i}.ipynb"), "--no-progress-bar"], env)
                  for i in range(args.floor_runs)]

    n = args.cases
    figures = {
        "cases": n, "jobs": args.jobs, "cores": os.cpu_count(),
        "batch_wall_s": batch, "batch_per_notebook_wall_s": batch / n,
        "batch_job_median_s": statistics.median(jobs), "batch_job_max_s": max(jobs),
        "floor_run_wall_s": floor_run, "floor_run_per_notebook_wall_s": floor_run / n,
        "floor_run_job_median_s": statistics.median(floor_jobs),
        "floor_kernel_median_s": statistics.median(kernel),
    }
    print(f"case_profile batch, {n} synthetic cases, -j {args.jobs}, {os.cpu_count()} cores")
    print(f"{'':40}{'wall s':>9}{'per nb s':>10}{'job median s':>14}")
    print(f"{'lspkit run (case_profile)':40}{batch:>9.1f}{batch / n:>10.2f}{figures['batch_job_median_s']:>14.2f}")
    print(f"{'floor: lspkit run, empty notebook':40}{floor_run:>9.1f}{floor_run / n:>10.2f}"
          f"{figures['floor_run_job_median_s']:>14.2f}")
    print(f"{'floor: papermill, new kernel, 1 cell':40}{'':>9}{figures['floor_kernel_median_s']:>10.2f}")
    print(f"per notebook: {batch / n:.2f} s against a floor of {floor_run / n:.2f} s with the same runner "
          f"({batch / floor_run:.1f}x) and {figures['floor_kernel_median_s']:.2f} s for a fresh kernel")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return 0


# run_batch on a folder holding only an empty case_profile notebook (the CLI has no notebooks option).
_FLOOR_RUN = """
import sys
from lspkit.runner import run_batch
data, outputs, notebooks, jobs = sys.argv[1:]
result = run_batch(data_dir=data, outputs=outputs, notebooks=["case_profile"], notebooks_dir=notebooks,
                   jobs=int(jobs), force=True, progress=False)
sys.exit(0 if result.ok else 1)
"""


if __name__ == "__main__":
    sys.exit(main())
