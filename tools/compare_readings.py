"""Per-element agreement of two versions of a coder's codings with an independent reading.

Usage: python tools/compare_readings.py [--coder researcher] [--against second_reader] [--before REV]

Loads the corpus twice: with the coder's codings as they stand, and with the codings file as it was
at git revision REV (default: the last commit before codebook v2's recode). For each version it
prints Cohen's kappa per 7S element against the independent coder, over the evidence units both
cover (lspkit.reliability), so a recode can be checked not to read the texts less like an
independent reader than before.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lspkit  # noqa: E402
from lspkit import reliability  # noqa: E402

BEFORE = "8c04284"  # codebook v1 and the researcher's v1 codings


def _table(data: Path, coder: str, against: str) -> pd.DataFrame:
    corpus = lspkit.load_corpus(data)
    table = reliability.reliability(corpus, [coder, against], code_kind="element")
    return table.set_index("code_id")[["n_units", "percent_agreement", "kappa"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coder", default="researcher")
    parser.add_argument("--against", default="second_reader")
    parser.add_argument("--before", default=BEFORE, help="git revision of the earlier codings file")
    args = parser.parse_args(argv)
    now = _table(ROOT / "data", args.coder, args.against)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(ROOT / "data", data)
        old = subprocess.run(
            ["git", "show", f"{args.before}:data/codings/{args.coder}.csv"], cwd=ROOT, check=True, capture_output=True
        ).stdout
        (data / "codings" / f"{args.coder}.csv").write_bytes(old)
        before = _table(data, args.coder, args.against)
    out = pd.DataFrame({"kappa_before": before["kappa"], "kappa_now": now["kappa"],
                        "agreement_before": before["percent_agreement"], "agreement_now": now["percent_agreement"],
                        "units": now["n_units"]})
    print(f"{args.coder} (before: {args.before}; now: the working tree) against {args.against}, per element")
    print(out.round(3).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
