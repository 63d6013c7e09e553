"""`lspkit run` hardening: parameters stay data, one run per outputs folder, no temporary files left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import lspkit
from lspkit.cli import main
from lspkit.errors import LspkitError
from lspkit.parameters import check_parameters, injected_source
from lspkit.runlock import LOCK_NAME, RunLock, scratch_dir, sweep_scratch
from lspkit.runner import _remote_job, run_batch
from lspkit.site import index_html

from .badinputs.run import BINARY, PAYLOAD
from .conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"

NASTY = [PAYLOAD, '"""', "'''", "\\", '\\"; import os #', "a\nimport os\nb", "\r\n\x00\x1b", "\u2028\u2029",
         "é ¶ \U0001F600", "${x} {x} %s", "\"\"\"); __import__('os').system('x') #", "\\\n\"", ""]


@pytest.mark.parametrize("value", NASTY + [NASTY, {"k\"ey": NASTY, "": [None, True, 1, 2.5, -0.0]}])
def test_any_plain_value_is_injected_as_a_literal_equal_to_itself(value):
    source = injected_source({"coder": value, "cases": [value]})
    namespace: dict = {}
    exec(compile(source, "<parameters>", "exec"), {"__builtins__": {}}, namespace)  # no builtins: literals only
    assert namespace == {"coder": value, "cases": [value]}


def _deep(levels: int) -> list:
    value: list = ["deep"]
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize("value", [b"x", {1, 2}, (1, 2), float("nan"), object(), _deep(20)])
def test_anything_else_is_refused_naming_the_parameter(value):
    with pytest.raises(LspkitError, match="parameter 'coder'"):
        check_parameters({"all": {"coder": value}}, source="test")
    with pytest.raises(LspkitError):
        injected_source({"coder": value})


@pytest.mark.kernel
def test_a_payload_string_reaches_the_notebook_as_data(tmp_path, data_copy, capsys):
    pwned = [NOTEBOOKS / "pwned", tmp_path / "pwned", Path.cwd() / "pwned"]
    code = main(["--data", str(data_copy), "run", "--outputs", str(tmp_path / "out"), "--no-progress",
                 "--notebook", "case_profile", "--case", "bolton", "-p", "coder", PAYLOAD])
    out = capsys.readouterr().out
    assert code == 1 and "unknown coder" in out  # the notebook saw a (wrong) coder name, nothing more
    assert not any(p.exists() for p in pwned)
    failed = json.loads((tmp_path / "out" / "failed" / "case_profile-bolton.ipynb").read_text(encoding="utf-8"))
    injected = next(c for c in failed["cells"] if "injected-parameters" in c["metadata"].get("tags", []))
    namespace: dict = {}
    exec("".join(injected["source"]), {"__builtins__": {}}, namespace)
    assert namespace["coder"] == PAYLOAD


def test_the_python_api_and_a_dask_worker_refuse_non_plain_values(tmp_path, data_copy):
    with pytest.raises(LspkitError, match="binary data"):
        run_batch(data_dir=data_copy, outputs=tmp_path / "out", parameters={"all": {"coder": PAYLOAD.encode()}},
                  notebooks=["case_profile"], cases=["bolton"], progress=False)
    with pytest.raises(LspkitError, match="a set"):
        run_batch(data_dir=data_copy, outputs=tmp_path / "out", executor="dask",
                  parameters={"all": {"coder": {PAYLOAD}}}, notebooks=["case_profile"], progress=False)
    # the worker's own check: a value that slipped past the client never reaches a kernel
    text = (NOTEBOOKS / "case_profile.ipynb").read_text(encoding="utf-8")
    executed, error, _ = _remote_job(text, "case_profile", {"coder": PAYLOAD.encode()}, None, 60)
    assert executed is None and error["cell"] == "parameters" and "binary data" in error["message"]
    assert error["cell"] == "parameters"  # refused by the check, before any kernel
    assert not (NOTEBOOKS / "pwned").exists()


def test_binary_payload_from_the_command_line_never_runs(tmp_path, data_copy, capsys):
    code = main(["--data", str(data_copy), "run", "--outputs", str(tmp_path / "out"), "--no-progress",
                 "--notebook", "case_profile", "--case", "bolton", "-p", "coder", BINARY])
    assert code == 1 and "binary data" in capsys.readouterr().err
    assert not list((tmp_path / "out").glob("*/*.ipynb"))  # nothing ran, nothing failed


def test_a_second_run_waits_for_the_first(tmp_path):
    messages: list[str] = []
    first = RunLock(tmp_path).acquire()
    got = threading.Event()

    def second() -> None:
        with RunLock(tmp_path, say=messages.append):
            got.set()

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.5)
    assert not got.is_set() and messages and f"pid {os.getpid()}" in messages[0]
    first.release()
    thread.join(10)
    assert got.is_set()
    with pytest.raises(LspkitError, match="another lspkit run"):
        with RunLock(tmp_path):
            RunLock(tmp_path, wait=False).acquire()


def test_a_lock_left_by_a_killed_run_is_taken_over_with_a_message(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from lspkit.runlock import RunLock; "
                               f"RunLock({str(tmp_path)!r}).acquire(); print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(LspkitError, match=f"pid {holder.pid}"):
        RunLock(tmp_path, wait=False).acquire()
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    messages: list[str] = []
    with RunLock(tmp_path, wait=False, say=messages.append) as lock:
        assert lock.holder()["pid"] == os.getpid()
    assert len(messages) == 1 and f"pid {holder.pid}" in messages[0] and "took over" in messages[0]
    assert (tmp_path / LOCK_NAME).read_text() == ""  # released: no holder recorded


def test_scratch_of_a_killed_process_is_swept(tmp_path):
    env = dict(os.environ, TMPDIR=str(tmp_path))
    child = subprocess.Popen([sys.executable, "-c", "import time; from lspkit.runlock import scratch_dir; "
                              "d = scratch_dir(); (d / 'job.ipynb').write_text('{}'); print(d, flush=True); "
                              "time.sleep(60)"], stdout=subprocess.PIPE, text=True, env=env)
    left = Path(child.stdout.readline().strip())
    assert left.parent == tmp_path and (left / "job.ipynb").exists()
    assert sweep_scratch(tmp_path, min_age=0) == []  # its owner is alive: kept
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert sweep_scratch(tmp_path, min_age=0) == [left]
    assert not left.exists()
    mine = scratch_dir()
    assert mine.exists() and mine.name.startswith(f"lspkit-{os.getpid()}-")


def test_a_normal_exit_and_sigterm_leave_no_scratch(tmp_path):
    env = dict(os.environ, TMPDIR=str(tmp_path))
    subprocess.run([sys.executable, "-c", "from lspkit.runlock import scratch_dir; scratch_dir()"], env=env, check=True)
    assert not list(tmp_path.glob("lspkit-*"))
    child = subprocess.Popen([sys.executable, "-c", "import signal, sys, time; from lspkit.runlock import scratch_dir; "
                              "from lspkit.cli import _exit_on_sigterm; signal.signal(signal.SIGTERM, _exit_on_sigterm); "
                              "print(scratch_dir(), flush=True); time.sleep(60)"],
                             stdout=subprocess.PIPE, text=True, env=env)
    Path(child.stdout.readline().strip())
    child.send_signal(signal.SIGTERM)
    assert child.wait(10) == 128 + signal.SIGTERM
    assert not list(tmp_path.glob("lspkit-*"))


@pytest.mark.kernel
def test_pages_carry_their_data_version_and_the_index_says_when_they_differ(tmp_path, data_copy):
    out = tmp_path / "out"
    assert main(["--data", str(data_copy), "run", "--outputs", str(out), "--no-progress",
                 "--notebook", "case_profile", "--case", "bolton"]) == 0
    first = lspkit.data_version(data_copy)
    manifest = json.loads((out / "run-manifest.json").read_text(encoding="utf-8"))
    assert manifest["data_version"] == first == manifest["pages"]["case_profile-bolton"]["data_version"]
    index = (out / "site" / "index.html").read_text(encoding="utf-8")
    assert first in index and "not this one" not in index

    pages = [dict(manifest["pages"]["case_profile-bolton"], name="case_profile-bolton")]
    mixed = index_html(pages, run_date="2009-04-01 00:00 UTC", data_version="0123456789ab", version="0")
    assert f"made from data version <code>{first}</code>, not this one" in mixed


def test_clean_notebook_drops_what_changes_from_run_to_run():
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from lspkit.runner import clean_notebook

    widget = {"application/vnd.jupyter.widget-view+json": {"model_id": "907cbb2c", "version_major": 2},
              "text/plain": "The explorer runs in JupyterLab."}
    nb = nbformat.from_dict(new_notebook(cells=[new_code_cell("w", outputs=[new_output("display_data", widget)],
                                                              metadata={"papermill": {"duration": 1.5}})]))
    nb.metadata["papermill"] = {"start_time": "2009-04-01"}
    cleaned = clean_notebook(nb)
    assert cleaned.cells[0].outputs[0]["data"] == {"text/plain": "The explorer runs in JupyterLab."}
    assert "papermill" not in cleaned.metadata and "papermill" not in cleaned.cells[0].metadata
    assert "id" not in cleaned.cells[0]


@pytest.mark.kernel
def test_errors_say_what_kind_of_input_was_wrong(tmp_path, data_copy):
    from lspkit.errors import DataError, ParameterError, RunError

    with pytest.raises(ParameterError) as bad_value:
        check_parameters({"all": {"coder": b"x"}}, source="-p")
    assert isinstance(bad_value.value, ValueError)  # also a ValueError, as for any bad argument
    (data_copy / "cases.csv").unlink()
    with pytest.raises(DataError, match="cases.csv"):
        lspkit.load_corpus(data_copy)
    from lspkit.runner import execute_notebook

    with pytest.raises(RunError, match="unknown coder"):
        execute_notebook(NOTEBOOKS / "coding_overview.ipynb", tmp_path / "out.ipynb", {"coders": ["nobody", "auto"]})
    assert not (tmp_path / "out.ipynb").exists()
    # the former parameter name still reaches the notebook (with a FutureWarning), and is checked there
    with pytest.raises(RunError, match="unknown coder 'nobody'"):
        execute_notebook(NOTEBOOKS / "coding_overview.ipynb", tmp_path / "out.ipynb", {"coder_a": "nobody"})
    assert not (tmp_path / "out.ipynb").exists()


def test_papermill_finds_the_warm_engine_through_its_entry_point():
    from importlib.metadata import entry_points

    from lspkit.kernels import WarmKernelEngine

    found = [e for e in entry_points(group="papermill.engine") if e.name == "lspkit-warm"]
    assert found and found[0].load().execute_notebook == WarmKernelEngine.execute_notebook


def test_a_worker_that_cannot_start_reports_every_job_instead_of_hanging(monkeypatch):
    from lspkit import executors
    from lspkit.plan import Job

    def broken(path):
        raise RuntimeError("no kernel here")

    monkeypatch.setattr(executors, "notebook_kernel", broken)
    jobs = [Job(f"j{i}", "explore", {}, "t", "d", "g") for i in range(5)]
    started = time.perf_counter()
    finished = list(executors._local_executor(jobs, notebooks_dir=NOTEBOOKS, workers=2, kernel_name=None,
                                              fresh_kernels=False, timeout=5))
    assert time.perf_counter() - started < 60  # finished at all (a broken worker used to hang the batch)
    assert sorted(j.name for j, *_ in finished) == [f"j{i}" for i in range(5)]
    assert all(text is None and "no kernel here" in error["message"] for _, text, error, _ in finished)


def test_a_pool_whose_workers_died_before_the_jobs_came_reports_every_job(monkeypatch):
    from lspkit import executors
    from lspkit.plan import Job

    import lspkit.kernels

    failed = []
    both_failed = threading.Event()

    class Broken:
        def __init__(self, *args, **kwargs):
            failed.append(1)
            if len(failed) == 2:
                both_failed.set()
            raise RuntimeError("kernel machinery missing")

    monkeypatch.setattr(lspkit.kernels, "WarmKernel", Broken)
    kernel = executors.notebook_kernel(NOTEBOOKS / "explore.ipynb")
    pool = executors.LocalPool(kernel, NOTEBOOKS, workers=2)  # started before any job is known
    assert both_failed.wait(timeout=30)
    jobs = [Job(f"j{i}", "explore", {}, "t", "d", "g") for i in range(3)]
    started = time.perf_counter()
    finished = list(executors._local_executor(jobs, notebooks_dir=NOTEBOOKS, workers=2, kernel_name=None,
                                              fresh_kernels=False, timeout=5, pool=pool))
    assert time.perf_counter() - started < 30  # reported, not waited for
    assert sorted(j.name for j, *_ in finished) == ["j0", "j1", "j2"]
    assert all("kernel machinery missing" in error["message"] for _, _, error, _ in finished)
