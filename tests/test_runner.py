"""`lspkit run`: refusal of unsafe ids, failure isolation, escaping, skipping, warm kernels.

Each test runs the real notebooks through the real runner (papermill and a Jupyter kernel) into a
temporary outputs folder, usually with one case to keep it quick.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lspkit.cli import main
from lspkit.runner import MANIFEST, declared_parameters, load_parameters_file, plan
from lspkit.errors import LspkitError

from .conftest import CASES, ROOT

pytestmark = pytest.mark.kernel  # every test here runs notebooks on Jupyter kernels

NOTEBOOKS = ROOT / "notebooks"


def _run(tmp_path: Path, data: Path, *args: str) -> int:
    return main(["--data", str(data), "run", "--outputs", str(tmp_path / "out"), "--no-progress", *args])


def test_a_run_that_will_be_refused_starts_no_kernel(tmp_path, data_copy, capsys, monkeypatch):
    import lspkit.runner as runner
    from lspkit.runlock import RunLock

    started = []
    monkeypatch.setattr(runner, "_prestart", lambda *args: started.append(args))
    assert _run(tmp_path, data_copy, "--notebook", "case_profile", "--case", "nowhere") == 1
    assert _run(tmp_path, data_copy, "--notebook", "case_profile", "--case", "../../x") == 1
    assert main(["--data", str(tmp_path / "nodata"), "run", "--outputs", str(tmp_path / "out"), "--no-progress",
                 "--notebook", "case_profile", "--case", "bolton"]) != 0
    with RunLock(tmp_path / "out", say=lambda line: None):
        assert _run(tmp_path, data_copy, "--notebook", "case_profile", "--case", "bolton", "--no-wait") != 0
    said = capsys.readouterr()
    assert "unknown case id 'nowhere'" in said.out and "another lspkit run" in said.out + said.err
    assert started == []
    # the same checks pass a request that will run, which starts its kernels at once
    assert not runner._will_be_refused(data_copy.resolve(), ["bolton"], tmp_path / "out", wait=False)
    assert runner._will_be_refused(data_copy.resolve(), ["bolton", "nowhere"], tmp_path / "out", wait=True)


def test_path_traversal_case_id_is_refused_before_any_path(tmp_path, data_copy, capsys):
    code = _run(tmp_path, data_copy, "--notebook", "case_profile", "--case", "../../x", "--case", "bolton/../..")
    out = capsys.readouterr()
    assert code == 1
    assert "refused" in out.out and "unknown case id '../../x'" in out.out
    assert "valid ids: blackburn-with-darwen, bolton, hammersmith-and-fulham" in out.out
    written = [p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()]
    assert all(".." not in str(p) and "x.ipynb" not in str(p) for p in written)
    assert not (tmp_path / "x.ipynb").exists() and not (tmp_path.parent / "x.ipynb").exists()
    assert not list((tmp_path / "out").glob("notebooks/*.ipynb"))


def test_unknown_parameter_is_an_error_naming_it():
    with pytest.raises(LspkitError) as err:
        plan(CASES, {}, parameters={"all": {"codr": "structure"}}, notebooks=["case_profile"])
    assert "codr" in str(err.value)
    with pytest.raises(LspkitError, match="'case_id' is set per case by the runner .use --case"):
        plan(CASES, {}, parameters={"case_profile": {"case_id": "bolton"}})
    # the former name is an alias: it warns, then is refused like the new one
    with pytest.warns(FutureWarning, match="'lsp' is deprecated, use 'case_id'"):
        with pytest.raises(LspkitError, match="'case_id' is set per case by the runner"):
            plan(CASES, {}, parameters={"case_profile": {"lsp": "bolton"}})


def test_plan_passes_parameters_as_data_to_the_notebooks_that_declare_them():
    jobs, refused = plan(CASES, {"bolton": "Bolton Vision Partnership"}, cases=["bolton"],
                         parameters={"all": {"coder": "structure"}, "cross_case": {"cases": ["bolton"]}},
                         notebooks=["case_profile", "cross_case", "coding_overview"])
    by_name = {j.name: j for j in jobs}
    assert refused == []
    assert by_name["case_profile-bolton"].parameters == {"coder": "structure", "case_id": "bolton"}
    assert by_name["case_profile-bolton"].title == "Bolton Vision Partnership"
    assert by_name["cross_case"].parameters == {"coder": "structure", "cases": ["bolton"]}
    assert by_name["coding_overview"].parameters == {}  # it has coders, not coder
    assert declared_parameters(NOTEBOOKS / "cross_case.ipynb")[:2] == ["cases", "coder"]


def test_parameters_file(tmp_path):
    path = tmp_path / "run.yml"
    path.write_text("all:\n  coder: structure\ncross_case:\n  cases: [bolton]\n", encoding="utf-8")
    assert load_parameters_file(path) == {"all": {"coder": "structure"}, "cross_case": {"cases": ["bolton"]}}
    path.write_text("- not a mapping\n", encoding="utf-8")
    with pytest.raises(LspkitError, match="run.yml"):
        load_parameters_file(path)


def test_failing_notebook_keeps_old_page_and_others_publish(tmp_path, data_copy, capsys):
    args = ["--notebook", "case_profile", "--notebook", "coding_overview", "--case", "bolton"]
    assert _run(tmp_path, data_copy, *args) == 0
    site = tmp_path / "out" / "site"
    good = (site / "coding_overview.html").read_bytes()
    bolton_before = (site / "case_profile-bolton.html").stat().st_mtime_ns
    capsys.readouterr()

    # coders names no registered coder: the notebook stops in its first code cell
    code = _run(tmp_path, data_copy, *args, "--force", "-p", "coding_overview.coders", "[nobody, researcher]")
    out = capsys.readouterr().out
    assert code == 1
    assert (site / "coding_overview.html").read_bytes() == good  # the last good page stays
    assert (site / "case_profile-bolton.html").stat().st_mtime_ns > bolton_before  # the other one re-published
    failed = tmp_path / "out" / "failed" / "coding_overview.ipynb"
    assert failed.exists()
    assert "nobody" in failed.read_text(encoding="utf-8")
    row = next(line for line in out.splitlines() if line.startswith("coding_overview"))
    assert "failed" in row and "cell 4 (In [3])" in row and "nobody" in row
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "the latest run failed" in index and "coding_overview.html" in index

    # fixed: the next run publishes again and clears the failed copy
    assert _run(tmp_path, data_copy, *args) == 0
    assert not failed.exists()


def test_data_text_is_escaped_in_the_published_html(tmp_path, data_copy):
    path = data_copy / "codings" / "researcher.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("bolton.p20,standards,"))
    unit, code, coder, status, _ = lines[row].split(",", 4)
    lines[row] = f'{unit},{code},{coder},{status},"<script>alert(1)</script> & <b>bold</b>"'
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    umask = os.umask(0o022)  # the usual umask, whatever the test machine's
    try:
        assert _run(tmp_path, data_copy, "--notebook", "case_profile", "--case", "bolton") == 0
    finally:
        os.umask(umask)
    page_path = tmp_path / "out" / "site" / "case_profile-bolton.html"
    page = page_path.read_text(encoding="utf-8")
    for published in (page_path, tmp_path / "out" / "site" / "index.html"):
        assert published.stat().st_mode & 0o044 == 0o044  # a web server running as another user can read it
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "<script>alert(1)" not in page and "<b>bold</b>" not in page


def test_unchanged_inputs_skip_and_one_changed_coding_reruns(tmp_path, data_copy, capsys):
    args = ["--notebook", "case_profile", "--case", "bolton"]
    assert _run(tmp_path, data_copy, *args) == 0
    manifest = (tmp_path / "out" / MANIFEST).read_text(encoding="utf-8")
    executed = tmp_path / "out" / "notebooks" / "case_profile-bolton.ipynb"
    before = executed.read_text(encoding="utf-8")
    capsys.readouterr()
    assert _run(tmp_path, data_copy, *args) == 0
    assert "skipped" in capsys.readouterr().out
    assert (tmp_path / "out" / MANIFEST).read_text(encoding="utf-8") == manifest
    # a run with nothing to do reads the hashes and the manifest only: no pandas, papermill or nbformat
    argv = ["lspkit", "--data", str(data_copy), "run", "--outputs", str(tmp_path / "out"), "--no-progress", *args]
    probe = (f"import runpy, sys; sys.argv = {argv!r}\n"
             "try:\n    runpy.run_module('lspkit.cli', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "print('heavy:', sorted(m for m in ('pandas', 'papermill', 'nbformat') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert "skipped" in done.stdout and "heavy: []" in done.stdout, done.stdout + done.stderr

    path = data_copy / "codings" / "researcher.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("bolton.p08,staff_skills,", "bolton.p08,style,", 1), encoding="utf-8")
    assert _run(tmp_path, data_copy, *args) == 0
    assert "case_profile-bolton  ran" in capsys.readouterr().out
    assert executed.read_text(encoding="utf-8") != before  # the profile table changed with the coding
    assert _run(tmp_path, data_copy, *args, "--force") == 0
    assert "case_profile-bolton  ran" in capsys.readouterr().out


def test_warm_kernel_gives_the_same_notebook_as_a_fresh_one(tmp_path, data_copy):
    # one worker: cross_case runs second, on the kernel case_profile just used
    args = ["--notebook", "case_profile", "--notebook", "cross_case", "--case", "bolton", "-j", "1"]
    assert main(["--data", str(data_copy), "run", "--outputs", str(tmp_path / "warm"), "--no-progress", *args]) == 0
    assert main(["--data", str(data_copy), "run", "--outputs", str(tmp_path / "fresh"), "--no-progress",
                 "--fresh-kernels", *args]) == 0
    for name in ("case_profile-bolton", "cross_case"):
        warm = (tmp_path / "warm" / "notebooks" / f"{name}.ipynb").read_bytes()
        fresh = (tmp_path / "fresh" / "notebooks" / f"{name}.ipynb").read_bytes()
        assert warm == fresh, name
        cells = json.loads(warm)["cells"]
        counts = [c["execution_count"] for c in cells if c["cell_type"] == "code"]
        assert counts == list(range(1, len(counts) + 1))


class _MissingWakeups:
    """A channel whose long polls miss a message that is already waiting (as pyzmq's can when
    another task sends on the same socket); only a fresh, short poll sees it."""

    def __init__(self, has_message: bool = True) -> None:
        self.has_message = has_message
        self.polls: list[float | None] = []

    async def get_msg(self, timeout: float | None = None):
        from queue import Empty

        import asyncio

        self.polls.append(timeout)
        if self.has_message and len(self.polls) > 1:
            return {"msg_type": "execute_reply"}
        await asyncio.sleep(timeout or 0)  # the missed wake-up: the poll runs to its timeout
        raise Empty


def test_kernel_waits_poll_again_so_a_waiting_reply_is_found():
    import asyncio
    from queue import Empty

    from lspkit import kernels

    channel = _MissingWakeups()
    kernels._poll_in_slices(channel)
    assert asyncio.run(channel.get_msg(timeout=600))["msg_type"] == "execute_reply"
    assert channel.polls[0] <= kernels.POLL_SLICE and len(channel.polls) == 2

    empty = _MissingWakeups(has_message=False)
    kernels._poll_in_slices(empty)
    with pytest.raises(Empty):  # the overall timeout still holds
        asyncio.run(empty.get_msg(timeout=0.6))
    assert sum(empty.polls) == pytest.approx(0.6, abs=0.3)


def test_the_batch_client_installs_the_sliced_waits():
    from nbclient import NotebookClient

    from lspkit import kernels

    # nbclient's setup calls the synchronous wrapper, which must reach the override
    assert kernels._WarmClient.start_new_kernel_client is not NotebookClient.start_new_kernel_client


def test_the_former_option_and_parameter_names_still_work_with_a_warning(tmp_path, data_copy, capsys):
    # --lsp is the former name of --case; the runner injects the case as case_id, never as lsp
    assert _run(tmp_path, data_copy, "--notebook", "case_profile", "--lsp", "bolton") == 0
    assert "--lsp is deprecated, use --case" in capsys.readouterr().err
    nb = nbformat.read(tmp_path / "out" / "notebooks" / "case_profile-bolton.ipynb", as_version=4)
    injected = [c.source for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and 'case_id = "bolton"' in injected[0] and "lsp" not in injected[0]


def test_cross_case_under_the_structure_coder_says_what_its_own_tables_show(tmp_path, data_copy):
    """`lspkit run --notebook cross_case -p coder structure`: every sentence of the published findings
    is the one lspkit computes for that coder, and the extremes it names are those of its balance."""
    import lspkit
    from lspkit import analysis, findings

    assert _run(tmp_path, data_copy, "--notebook", "cross_case", "-p", "coder", "structure") == 0
    cells = json.loads((tmp_path / "out" / "notebooks" / "cross_case.ipynb").read_text(encoding="utf-8"))["cells"]

    def shown(source: str) -> str:
        cell = next(c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip() == source)
        return "".join("".join(o.get("data", {}).get("text/plain", "")) for o in cell["outputs"])

    corpus = lspkit.load_corpus(data_copy)
    names = dict(zip(corpus.cases["case_id"], corpus.cases["short_name"]))
    bal = analysis.balance(corpus, "structure")
    expected = findings.balance_findings(bal, names)["finding"].tolist()
    published = shown("findings.balance_findings(bal, names)")
    assert expected and all(sentence in published for sentence in expected), (expected, published)
    narrative = bal[bal["units_of"] == "narrative"]
    top = narrative.set_index("case_id")["balance_index"].astype(float).idxmax()
    assert f"In the narrative, {names[top]} is the most transformational" in published
    # the default coder's findings differ: the page cannot be showing the researcher's sentences
    assert findings.balance_findings(analysis.balance(corpus, "researcher"), names)["finding"].tolist() != expected
