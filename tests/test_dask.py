"""`lspkit run --executor dask`: per-LSP notebooks on a Dask distributed cluster the test starts."""

from __future__ import annotations

import pytest
import yaml

from lspkit.cli import main
from .conftest import ROOT

pytestmark = pytest.mark.kernel  # every test here runs notebooks on Jupyter kernels

NOTEBOOKS = ROOT / "notebooks"

from .badinputs.run import PAYLOAD

distributed = pytest.importorskip("distributed")  # part of the test extras; CI installs it


@pytest.fixture(scope="module")
def cluster():
    """One local cluster for the module's runs (each run connects as a new client): one worker process, in
    which two notebooks can run at once, as on one 2-core machine."""
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                                  dashboard_address=None) as cluster:
        yield cluster


def test_dask_executor_runs_on_a_local_cluster_and_matches_a_local_run(tmp_path, data_copy, capsys, cluster):
    args = ["--notebook", "case_profile", "--case", "bolton", "--case", "hammersmith-and-fulham", "--no-progress"]
    code = main(["--data", str(data_copy), "run", "--outputs", str(tmp_path / "dask"), "--executor", "dask",
                 "--scheduler", cluster.scheduler_address, *args])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count(" ran ") == 2
    assert main(["--data", str(data_copy), "run", "--outputs", str(tmp_path / "local"), *args]) == 0
    for case in ("bolton", "hammersmith-and-fulham"):
        name = f"case_profile-{case}"
        assert (tmp_path / "dask" / "site" / f"{name}.html").exists()
        # the notebooks came back from the workers as data, byte-identical to a local run
        assert ((tmp_path / "dask" / "notebooks" / f"{name}.ipynb").read_bytes()
                == (tmp_path / "local" / "notebooks" / f"{name}.ipynb").read_bytes())


def test_dask_failure_is_isolated(tmp_path, data_copy, capsys, cluster):
    # the failing value is a code-injection payload from a parameters file: it must arrive as a string
    params = tmp_path / "run.yml"
    params.write_text(yaml.safe_dump({"coding_overview": {"coder_b": PAYLOAD}}), encoding="utf-8")
    code = main(["--data", str(data_copy), "run", "--outputs", str(tmp_path / "out"), "--executor", "dask",
                 "--scheduler", cluster.scheduler_address, "--no-progress", "--notebook", "case_profile",
                 "--notebook", "coding_overview", "--case", "bolton", "--parameters-file", str(params)])
    out = capsys.readouterr().out
    assert code == 1
    assert "case_profile-bolton  ran" in out
    assert "coding_overview      failed" in out and "unknown coder 'a\"; import os" in out
    assert not (NOTEBOOKS / "pwned").exists() and not (tmp_path / "pwned").exists()
    assert (tmp_path / "out" / "failed" / "coding_overview.ipynb").exists()
