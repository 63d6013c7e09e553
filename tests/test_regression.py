"""The nbval regression suite really guards the numbers: a changed coding makes it fail.

The suite itself (every notebook in notebooks/ and every reference in tests/references/) is
collected by ``pytest --nbval`` through the project's pytest settings. This module checks the
guard from outside: the same nbval run, pointed with LSPKIT_DATA at a copy of the data, passes on
an exact copy and fails once one coding in the copy is changed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import lspkit

from lspkit.runner import workbook_notebooks

from .conftest import CASES, ROOT

pytestmark = pytest.mark.kernel  # every test here runs notebooks on Jupyter kernels

REFERENCES = ROOT / "tests" / "references"


def _nbval(notebooks: list[str], data_dir) -> subprocess.CompletedProcess:
    env = dict(os.environ, LSPKIT_DATA=str(data_dir))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "--nbval",
         "--nbval-current-env", "--nbval-sanitize-with", "tests/nbval-sanitize.cfg", *notebooks],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_references_exist_for_every_case_and_notebook():
    assert sorted(p.name for p in REFERENCES.glob("case_profile-*.ipynb")) == [
        f"case_profile-{c}.ipynb" for c in CASES]
    for name in workbook_notebooks(ROOT / "notebooks"):
        nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert any(c["outputs"] for c in code), f"{name}.ipynb has no stored outputs to compare"
        assert sum("parameters" in c["metadata"].get("tags", []) for c in code) == 1


def test_reference_holds_its_case():
    nb = json.loads((REFERENCES / "case_profile-hammersmith-and-fulham.ipynb").read_text(encoding="utf-8"))
    text = json.dumps(nb["cells"])
    assert "case_id = \\\"hammersmith-and-fulham\\\"" in text  # the papermill-injected parameter
    assert "Hammersmith and Fulham Borough Partnership" in text


@pytest.mark.slow
def test_changing_one_coding_makes_nbval_fail(data_copy):
    targets = ["tests/references/case_profile-bolton.ipynb"]
    control = _nbval(targets, data_copy)
    assert control.returncode == 0, control.stdout[-3000:]

    path = data_copy / "codings" / "researcher.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("bolton.p08,staff_skills,"))
    assert not any(line.startswith("bolton.p08,steering,") for line in lines)
    lines[row] = lines[row].replace("bolton.p08,staff_skills,", "bolton.p08,steering,", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert lspkit.validate(data_copy) == []  # still valid data: the suite must catch a changed number

    mutated = _nbval(targets, data_copy)
    assert mutated.returncode != 0
    assert "failed" in mutated.stdout and "mismatch" in mutated.stdout.lower()
