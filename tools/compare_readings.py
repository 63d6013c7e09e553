"""Per-element agreement of versions of a coder's codings with independent readings.

Usage: python tools/compare_readings.py [--coder researcher] [--against second_reader third_reader]
                                        [--before REV [REV ...]] [--bootstrap N] [--seed S]

Loads the corpus once per version: the coder's codings file as it was at each git revision REV
(default: the last commit before codebook v2's recode), and as it stands now. For each version and
each independent coder it prints Cohen's kappa per 7S element over the evidence units both cover
(lspkit.reliability), so a recode can be checked not to read the texts less like an independent
reader than before. The independent coders are also compared with each other, which shows how far
two independent readings of the model's words agree. Last, for each independent coder, a paired
bootstrap over units (N resamples, default 2,000) gives the 95% interval of each element's change in
kappa from the first revision to now: with 85 units, one or two decisions move kappa by several
hundredths.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lspkit  # noqa: E402
from lspkit import reliability  # noqa: E402

BEFORE = ["8c04284"]  # codebook v1 and the researcher's v1 codings


def _ratings(data: Path, coders: list[str]) -> pd.DataFrame:
    """unit_id x (code_id, coder) of 0/1 decisions over the evidence units every coder covers."""
    corpus = lspkit.load_corpus(data)
    long = reliability.decisions(corpus, coders, code_kind="element")
    wide = long.pivot_table(index="unit_id", columns=["code_id", "coder"], values="value")
    return wide.dropna()


def _bootstrap(before: pd.DataFrame, now: pd.DataFrame, coder: str, other: str, n: int, seed: int) -> pd.DataFrame:
    """The 95% percentile interval of kappa(now) - kappa(before) per element, units resampled in pairs."""
    units = before.index.intersection(now.index)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(units), size=(n, len(units)))
    rows = []
    for code in dict.fromkeys(c for c, _ in now.columns):
        a0 = before.loc[units, (code, coder)].to_numpy()
        a1 = now.loc[units, (code, coder)].to_numpy()
        b = now.loc[units, (code, other)].to_numpy()
        diffs = np.array([reliability.cohen_kappa(a1[i], b[i]) - reliability.cohen_kappa(a0[i], b[i]) for i in draws])
        diffs = diffs[~np.isnan(diffs)]
        rows.append({"code_id": code, "change": reliability.cohen_kappa(a1, b) - reliability.cohen_kappa(a0, b),
                     "low": np.percentile(diffs, 2.5), "high": np.percentile(diffs, 97.5)})
    return pd.DataFrame(rows).set_index("code_id")


def _kappas(data: Path, coder: str, against: str) -> pd.Series:
    corpus = lspkit.load_corpus(data)
    table = reliability.reliability(corpus, [coder, against], code_kind="element")
    return table.set_index("code_id")["kappa"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coder", default="researcher")
    parser.add_argument("--against", nargs="+", default=["second_reader", "third_reader"])
    parser.add_argument("--before", nargs="+", default=BEFORE, help="git revisions of the earlier codings file")
    parser.add_argument("--bootstrap", type=int, default=2000, help="resamples for the intervals (0: none)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    columns: dict[str, pd.Series] = {}
    ratings: dict[str, pd.DataFrame] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(ROOT / "data", data)
        target = data / "codings" / f"{args.coder}.csv"
        for rev in [*args.before, None]:
            if rev is None:
                shutil.copyfile(ROOT / "data" / "codings" / f"{args.coder}.csv", target)
            else:
                old = subprocess.run(
                    ["git", "show", f"{rev}:data/codings/{args.coder}.csv"], cwd=ROOT, check=True, capture_output=True
                ).stdout
                target.write_bytes(old)
            for other in args.against:
                columns[f"{rev or 'now'} vs {other}"] = _kappas(data, args.coder, other)
            if args.bootstrap and rev in (args.before[0], None):
                ratings[rev or "now"] = _ratings(data, [args.coder, *args.against])
    for i, a in enumerate(args.against):
        for b in args.against[i + 1 :]:
            columns[f"{a} vs {b}"] = _kappas(ROOT / "data", a, b)
    out = pd.DataFrame(columns)
    print(f"Cohen's kappa per element: {args.coder} at each revision ('now': the working tree) against each")
    print("independent reading, over the evidence units both cover; last, the independent readings against each other")
    print(out.round(3).to_string())
    for other in args.against if args.bootstrap else []:
        table = _bootstrap(ratings[args.before[0]], ratings["now"], args.coder, other, args.bootstrap, args.seed)
        print(f"\nchange in kappa against {other}, {args.before[0]} to now, with its 95% interval "
              f"({args.bootstrap} paired resamples of units, seed {args.seed})")
        print(table.round(3).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
