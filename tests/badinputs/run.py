"""Bad run options and parameters: each is refused before any notebook runs, naming what is wrong."""

from __future__ import annotations

import base64
import fcntl
import os
from pathlib import Path

from . import BadInput, write

OUT = ("--outputs", "{tmp}/out", "--no-progress")
ONE = ("--notebook", "case_profile", "--case", "bolton")
PAYLOAD = 'a"; import os; os.system("touch pwned"); "'
BINARY = "!!binary " + base64.b64encode(PAYLOAD.encode()).decode()


def _run(*args: str) -> tuple[str, ...]:
    return ("run", *OUT, *args)


def _file_at(relative: str):
    return write(relative, "not a folder\n")


_held: list[int] = []


def _hold_lock(data: Path, tmp: Path) -> None:
    """Another run holds the outputs folder's lock (this fd stays open for the test)."""
    out = tmp / "out"
    out.mkdir()
    fd = os.open(out / ".lspkit-run.lock", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, b'{"pid": 424242, "started": "2009-04-01T00:00:00+00:00"}')
    _held.append(fd)


CASES: list[BadInput] = [
    # parameters that are not plain data: refused before any notebook runs, naming the parameter and type
    BadInput("run-p-binary-payload", ("-p, parameter 'coder'", "binary data (!!binary)"), _run(*ONE, "-p", "coder", BINARY)),
    BadInput("run-p-set", ("-p, parameter 'coder'", "a set (!!set)"), _run(*ONE, "-p", "coder", "!!set {a, b}")),
    BadInput("run-p-date", ("-p, parameter 'coder'", "a date is not a plain value", "quote a value"),
             _run(*ONE, "-p", "coder", "2009-04-01")),
    BadInput("run-p-timestamp", ("parameter 'coder'", "a timestamp"), _run(*ONE, "-p", "coder", "2009-04-01 10:00:00")),
    BadInput("run-p-nan", ("parameter 'coder'", "nan is not a finite number"), _run(*ONE, "-p", "coder", ".nan")),
    BadInput("run-p-inf", ("parameter 'coder'", "inf is not a finite number"), _run(*ONE, "-p", "coder", ".inf")),
    BadInput("run-p-binary-in-list", ("parameter cross_case.cases", "item [1]", "binary data"),
             _run("--notebook", "cross_case", "-p", "cross_case.cases", f"[bolton, {BINARY}]")),
    BadInput("run-p-set-in-mapping", ("parameter 'coder'", "item ['x']", "a set"),
             _run(*ONE, "-p", "coder", "{x: !!set {a}}")),
    BadInput("run-p-non-string-key", ("parameter 'coder'", "mapping key 1", "not a string"),
             _run(*ONE, "-p", "coder", "{1: a}")),
    BadInput("run-p-python-object-tag", ("-p, parameter 'coder'", "cannot be read as plain data", "could not determine a constructor"),
             _run(*ONE, "-p", "coder", "!!python/object/apply:os.system [echo pwned]"), exit_code=1),
    BadInput("run-p-name-not-identifier", ("parameter 'co der'", "not a valid parameter name"),
             _run(*ONE, "-p", "co der", "x")),
    BadInput("run-p-name-code", ("not a valid parameter name",), _run(*ONE, "-p", "x=1;import os;y", "2")),
    BadInput("run-p-name-keyword", ("parameter 'import'", "not a valid parameter name"), _run(*ONE, "-p", "import", "x")),
    BadInput("run-p-unknown-parameter", ("no selected notebook has a parameter 'codr'",), _run(*ONE, "-p", "codr", "x")),
    BadInput("run-p-unknown-notebook-scope", ("unknown notebook 'cross_cas'",), _run(*ONE, "-p", "cross_cas.cases", "[bolton]")),
    BadInput("run-p-case-id-is-set-by-runner", ("'case_id' is set per case by the runner", "use --case"),
             _run(*ONE, "-p", "case_id", "bolton")),
    BadInput("run-p-lsp-deprecated-alias-is-set-by-runner",
             ("'lsp' is deprecated, use 'case_id'", "'case_id' is set per case by the runner", "use --case"),
             _run(*ONE, "-p", "lsp", "bolton")),
    BadInput("run-p-undeclared-for-notebook", ("case_profile.ipynb has no parameter 'cases'",),
             _run(*ONE, "-p", "case_profile.cases", "[bolton]")),
    # parameters files
    BadInput("run-file-missing", ("{tmp}/nope.yml", "cannot read the parameters file"),
             _run(*ONE, "--parameters-file", "{tmp}/nope.yml")),
    BadInput("run-file-not-yaml", ("{tmp}/run.yml", "cannot read the parameters file"),
             _run(*ONE, "--parameters-file", "{tmp}/run.yml"), setup=write("{tmp}/run.yml", "all: [unclosed\n")),
    BadInput("run-file-not-mapping", ("{tmp}/run.yml", "must map 'all' or a notebook name"),
             _run(*ONE, "--parameters-file", "{tmp}/run.yml"), setup=write("{tmp}/run.yml", "- coder\n")),
    BadInput("run-file-set-payload", ("{tmp}/run.yml", "parameter 'coder'", "a set (!!set)"),
             _run(*ONE, "--parameters-file", "{tmp}/run.yml"),
             setup=write("{tmp}/run.yml", f"all:\n  coder: !!set {{'{PAYLOAD}': null}}\n")),
    BadInput("run-file-binary-payload", ("{tmp}/run.yml", "parameter 'coder'", "binary data"),
             _run(*ONE, "--parameters-file", "{tmp}/run.yml"), setup=write("{tmp}/run.yml", f"all:\n  coder: {BINARY}\n")),
    BadInput("run-file-date", ("{tmp}/run.yml", "parameter case_profile.coder", "a date"),
             _run(*ONE, "--parameters-file", "{tmp}/run.yml"),
             setup=write("{tmp}/run.yml", "case_profile:\n  coder: 2009-04-01\n")),
    BadInput("run-file-not-utf8", ("{tmp}/run.yml", "cannot read the parameters file"),
             _run(*ONE, "--parameters-file", "{tmp}/run.yml"), setup=write("{tmp}/run.yml", b"all:\n  coder: \xff\xfe\n")),
    BadInput("run-file-is-a-folder", ("{tmp}", "cannot read the parameters file"),
             _run(*ONE, "--parameters-file", "{tmp}")),
    # run options
    BadInput("run-jobs-zero", ("-j/--jobs", "'0' is not a whole number of at least 1"), _run(*ONE, "-j", "0"), exit_code=2),
    BadInput("run-jobs-negative", ("-j/--jobs", "'-3' is not a whole number of at least 1"), _run(*ONE, "-j", "-3"),
             exit_code=2),
    BadInput("run-jobs-text", ("-j/--jobs", "'two'"), _run(*ONE, "-j", "two"), exit_code=2),
    BadInput("run-executor-unknown", ("--executor", "invalid choice: 'spark'"), _run(*ONE, "--executor", "spark"),
             exit_code=2),
    BadInput("run-outputs-is-a-file", ("{tmp}/afile", "is a file, not a folder"),
             ("run", "--outputs", "{tmp}/afile", "--no-progress", *ONE), setup=_file_at("{tmp}/afile")),
    BadInput("run-outputs-under-a-file", ("{tmp}/afile/out", "cannot create the outputs folder"),
             ("run", "--outputs", "{tmp}/afile/out", "--no-progress", *ONE), setup=_file_at("{tmp}/afile")),
    BadInput("run-outputs-site-is-a-file", ("{tmp}/out/site", "is a file, not a folder"), _run(*ONE),
             setup=_file_at("{tmp}/out/site")),
    BadInput("run-scheduler-without-dask", ("option --scheduler", "only used with --executor dask"),
             _run(*ONE, "--scheduler", "tcp://127.0.0.1:8786")),
    BadInput("run-scheduler-unreachable", ("option --scheduler", "no Dask scheduler answers at tcp://127.0.0.1:1"),
             _run(*ONE, "--executor", "dask", "--scheduler", "tcp://127.0.0.1:1")),
    BadInput("run-scheduler-not-an-address", ("option --scheduler", "is not a scheduler address"),
             _run(*ONE, "--executor", "dask", "--scheduler", "http://example")),
    BadInput("run-unknown-notebook", ("option --notebook", "unknown notebook 'case_profiles'"),
             _run("--notebook", "case_profiles")),
    BadInput("run-unknown-case", ("refused", "unknown case id 'boltn'", "valid ids: blackburn-with-darwen"),
             _run("--notebook", "case_profile", "--case", "boltn")),
    BadInput("run-lsp-path-traversal", ("refused", "unknown case id '../../etc'"),
             _run("--notebook", "case_profile", "--lsp", "../../etc")),
    BadInput("run-locked-no-wait", ("another lspkit run (pid 424242, started 2009-04-01T00:00:00+00:00)",
                                    "is writing to this outputs folder"),
             _run(*ONE, "--no-wait"), setup=_hold_lock),
    BadInput("run-data-missing", ("{tmp}/nodata",), ("--data", "{tmp}/nodata", "run", *OUT, *ONE), data_option=False),
]
