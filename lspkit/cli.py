"""The ``lspkit`` command line.

This module owns argument parsing and turning lspkit errors into messages and exit codes. Each
sub-command is a thin wrapper over a library function.

Example (shell)::

    lspkit list                 # cases with their unit counts
    lspkit validate             # every problem in the data directory, exit 1 if any
    lspkit --data path/to/data list
    lspkit references           # refresh the nbval regression references from the current data
    lspkit run                  # execute every notebook into outputs/ and publish outputs/site/
    lspkit run --case bolton -p coder structure --force
    lspkit export-qdpx lsp.qdpx # the corpus as a REFI-QDA project; --codebook-only writes a .qdc
    lspkit import-qdpx ann.qdpx --coder ann [--user NAME]   # another program's codings as a coder
    lspkit import-qdc codes.qdc [--add-codes]               # compare a codebook file with ours
    lspkit autocode             # regenerate data/codings/auto.csv, the machine baseline
    lspkit kernel install       # register the Jupyter kernel 'lspkit' the notebooks use
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import warnings
from pathlib import Path

from .errors import LspkitError
from .lazyimports import defer_rfc3987_syntax
from .workbook import WORKBOOK_ENV


def _cmd_list(args: argparse.Namespace) -> int:
    from .corpus import load_corpus

    corpus = load_corpus(args.data)
    counts = (
        corpus.units[~corpus.units["boilerplate"]]
        .groupby(["case_id", "kind"], observed=False)
        .size()
        .unstack(fill_value=0)
    )
    counts = counts.reindex(corpus.case_ids)
    table = corpus.cases[["case_id", "partnership"]].set_index("case_id").join(counts)
    table["boilerplate"] = corpus.units[corpus.units["boilerplate"]].groupby("case_id").size()
    table["boilerplate"] = table["boilerplate"].fillna(0).astype(int)
    print(table.to_string())
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from .corpus import default_data_dir, validate

    data = Path(args.data) if args.data else default_data_dir()
    problems = validate(data)
    if problems:
        print(f"{len(problems)} problem(s) in {data}:", file=sys.stderr)
        for p in problems:
            print(f"- {p}", file=sys.stderr)
        return 1
    print(f"{data}: OK")
    return 0


def _cmd_references(args: argparse.Namespace) -> int:
    from .runner import refresh_references

    for path in refresh_references(kernel_name=args.kernel):
        print(f"wrote {path}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from .errors import Problem
    from .parameters import check_parameters, parse_value
    from .runner import load_parameters_file, run_batch

    if args.scheduler and args.executor != "dask":
        raise LspkitError(
            [
                Problem(
                    "option --scheduler",
                    "",
                    "is only used with --executor dask",
                    "add --executor dask, or leave out --scheduler",
                )
            ]
        )
    parameters: dict[str, dict] = load_parameters_file(args.parameters_file) if args.parameters_file else {}
    given: dict[str, dict] = {}
    for name, value in args.parameter or []:
        scope, _, key = name.rpartition(".")
        given.setdefault(scope or "all", {})[key] = parse_value(value, name)
    for scope, values in check_parameters(given, source="-p").items():
        parameters.setdefault(scope, {}).update(values)
    executor_options = {"scheduler": args.scheduler} if args.executor == "dask" else {}
    # SIGTERM exits through Python, so temporary files, kernels and the run lock are cleaned up.
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm) if in_main else None
    try:
        result = run_batch(
            cases=args.case,
            data_dir=args.data,
            outputs=args.outputs,
            parameters=parameters,
            notebooks=args.notebook,
            jobs=args.jobs,
            force=args.force,
            kernel_name=args.kernel,
            fresh_kernels=args.fresh_kernels,
            executor=args.executor,
            executor_options=executor_options,
            progress=not args.no_progress,
            wait=not args.no_wait,
        )
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
    print(result.table())
    print(f"site: {result.outputs / 'site' / 'index.html'}")
    if not result.ok:
        bad = [o for o in result.outcomes if o.status in ("failed", "refused")]
        print(
            f"lspkit run: {len(bad)} notebook(s) failed or refused; failed runs are kept in "
            f"{result.outputs / 'failed'} and the last good pages stay published",
            file=sys.stderr,
        )
        return 1
    return 0


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def _cmd_init(args: argparse.Namespace) -> int:
    from .workbook import init_workbook

    wb = init_workbook(args.path, example=args.example)
    print(f"created the workbook {wb.root}" + (" with the example case studies" if args.example else ""))
    print(f"next: cd {args.path} && lspkit validate && lspkit run")
    return 0


def _cmd_export_qdpx(args: argparse.Namespace) -> int:
    from .corpus import load_corpus
    from .qdpx import export_qdc, export_qdpx

    corpus = load_corpus(args.data)
    coders = [] if args.no_codings else args.coder
    path = export_qdc(corpus, args.path) if args.codebook_only else export_qdpx(corpus, args.path, coders)
    print(f"wrote {path} ({path.stat().st_size} bytes, valid against the REFI-QDA schema)")
    return 0


def _cmd_import_qdpx(args: argparse.Namespace) -> int:
    from .qdpx import import_qdpx

    result = import_qdpx(args.path, args.coder, data_dir=args.data, user=args.user)
    if result.codebook is not None:  # a project holding only a codebook: compared, nothing imported
        print(
            f"{args.path}: the project holds a codebook and no codings, so nothing was imported as coder "
            f"{args.coder!r}; its codes compared with the codebook:"
        )
        print("\n".join(result.codebook.lines()))
        return 0 if result.codebook.in_sync else 1
    for match in result.sources:
        print(f"- {match}")
    for p in result.problems:
        print(f"- not imported: {p}", file=sys.stderr)
    n_links = 0 if result.links is None else len(result.links)
    print(
        f"wrote {result.written}: {len(result.codings)} codings"
        + (f" and {n_links} link(s)" if n_links else "")
        + f" by {result.user!r} as coder {result.coder!r}"
        + (f"; {len(result.problems)} item(s) not imported, listed above" if result.problems else "")
    )
    return 0


def _cmd_import_qdc(args: argparse.Namespace) -> int:
    from .qdpx import import_qdc

    result = import_qdc(args.path, data_dir=args.data, add_codes=args.add_codes)
    print("\n".join(result.lines()))
    return 0 if result.in_sync else 1


def _cmd_autocode(args: argparse.Namespace) -> int:
    from .autocode import write_auto_codings

    print(f"wrote {write_auto_codings(args.data)} (the machine baseline coder 'auto')")
    return 0


def _cmd_kernel(args: argparse.Namespace) -> int:
    from ipykernel.kernelspec import install

    if args.prefix:
        where = {"prefix": args.prefix}
    elif args.user or not (args.sys_prefix or _in_environment()):
        where = {"user": True}
    else:
        where = {"prefix": sys.prefix}
    path = install(kernel_name=args.name, display_name=f"Python ({args.name})", **where)
    print(f"installed kernel {args.name!r} for {sys.executable} in {path}")
    return 0


def _in_environment() -> bool:
    """True inside a virtualenv or a conda environment (whose kernels belong in its sys.prefix)."""
    return sys.prefix != sys.base_prefix or (Path(sys.prefix) / "conda-meta").is_dir()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lspkit", description="Cross-case analysis of LSP case studies.")
    parser.add_argument(
        "--workbook",
        default=None,
        metavar="DIR",
        help="the workbook to use (default: $LSPKIT_WORKBOOK, else the one the current folder is in)",
    )
    parser.add_argument(
        "--data", default=None, help="data directory (default: $LSPKIT_DATA, else the workbook's data/)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the cases and their unit counts").set_defaults(func=_cmd_list)
    init = sub.add_parser("init", help="create a new workbook: notebooks, a data skeleton and a README")
    init.add_argument("path", help="the folder to create (new or empty)")
    init.add_argument(
        "--example", action="store_true", help="start from the three example case studies and their codings"
    )
    init.set_defaults(func=_cmd_init)
    sub.add_parser("validate", help="check the data directory and report every problem").set_defaults(
        func=_cmd_validate
    )
    refs = sub.add_parser("references", help="re-execute notebooks/ and tests/references/ (the nbval references)")
    refs.add_argument("--kernel", default=None, help="Jupyter kernel to use (default: the notebooks' own, lspkit)")
    refs.set_defaults(func=_cmd_references)

    run = sub.add_parser(
        "run",
        help="execute the notebooks per LSP into outputs/ and publish outputs/site/",
        description="Execute case_profile for every case (or each --case), then the cross-case "
        "notebooks; skip runs whose inputs are unchanged; render the site.",
    )
    run.add_argument(
        "--case",
        "--lsp",  # the option's former name, kept as an alias
        dest="case",
        action="append",
        metavar="CASE",
        help="a case id to profile (repeatable; default all); --lsp is a deprecated alias",
    )
    run.add_argument(
        "--notebook",
        action="append",
        metavar="NAME",
        help="run only this notebook (repeatable): case_profile, cross_case, coding_overview, ...",
    )
    run.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="a notebook parameter, value read as YAML (repeatable); NOTEBOOK.NAME for one notebook",
    )
    run.add_argument("--parameters-file", metavar="YAML", help="parameters: {all: {...}, <notebook>: {...}}")
    run.add_argument(
        "-j",
        "--jobs",
        type=_positive_int,
        default=None,
        help="notebooks run at once, at least 1 (default: the core count)",
    )
    run.add_argument("--force", action="store_true", help="re-run even when the inputs are unchanged")
    run.add_argument("--outputs", default=None, help="output directory (default: the project's outputs/)")
    run.add_argument("--kernel", default=None, help="Jupyter kernel (default: the notebooks' own, lspkit)")
    run.add_argument("--fresh-kernels", action="store_true", help="start a new kernel for every notebook")
    run.add_argument(
        "--executor",
        choices=["local", "dask"],
        default="local",
        help="where notebooks run: local threads, or a Dask cluster (needs lspkit[dask])",
    )
    run.add_argument("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://host:8786")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument(
        "--no-wait",
        action="store_true",
        help="refuse, instead of waiting, when another run is writing to the same outputs folder",
    )
    run.set_defaults(func=_cmd_run)

    exp = sub.add_parser("export-qdpx", help="export the corpus as a REFI-QDA project (.qdpx) or codebook (.qdc)")
    exp.add_argument("path", help="file to write, e.g. lsp.qdpx (or lsp.qdc with --codebook-only)")
    exp.add_argument("--codebook-only", action="store_true", help="write only the codebook, as a .qdc")
    exp.add_argument("--coder", action="append", metavar="NAME", help="export only this coder's codings (repeatable)")
    exp.add_argument("--no-codings", action="store_true", help="export no codings: a blank project for a blind coder")
    exp.set_defaults(func=_cmd_export_qdpx)
    imp = sub.add_parser(
        "import-qdpx",
        help="import a REFI-QDA project's codings as a new coder",
        description="Import the codings of a REFI-QDA project (.qdpx) as a coder: codings/<coder>.csv "
        "and the coder's row in coders.csv are written together or not at all. Each "
        "source's position convention (line ends, UTF-16, byte-order mark) is detected "
        "and shown. A project that holds only a codebook is compared with codebook.yml "
        "instead, as import-qdc does (exit code 1 while they differ).",
    )
    imp.add_argument("path", help="the .qdpx written by NVivo, ATLAS.ti, MAXQDA, QualCoder ...")
    imp.add_argument(
        "--coder", required=True, help="coder id to import as, at most 40 characters (writes codings/<coder>.csv)"
    )
    imp.add_argument("--user", default=None, help="whose codings to import, when the file holds several users'")
    imp.set_defaults(func=_cmd_import_qdpx)
    qdc = sub.add_parser(
        "import-qdc",
        help="compare a REFI-QDA codebook (.qdc) with codebook.yml; add its new codes",
        description="Compare the codes of a REFI-QDA codebook file (.qdc), or of the codebook in a "
        "project (.qdpx), with codebook.yml. Codes whose label, description or parent "
        "differ are reported; codes the codebook lacks are listed, and with --add-codes "
        "appended to codebook.yml as themes (description as definition; the rest of the "
        "file is kept as it is). Exit code 0 when the codebooks agree (after adding), "
        "1 while a difference remains.",
    )
    qdc.add_argument("path", help="the .qdc (or .qdpx) written by NVivo, ATLAS.ti, MAXQDA, QualCoder ...")
    qdc.add_argument("--add-codes", action="store_true", help="append the new codes to codebook.yml as themes")
    qdc.set_defaults(func=_cmd_import_qdc)
    sub.add_parser("autocode", help="regenerate codings/auto.csv, the machine baseline coder").set_defaults(
        func=_cmd_autocode
    )
    kernel = sub.add_parser("kernel", help="the Jupyter kernel the notebooks run on").add_subparsers(
        dest="action", required=True
    )
    kin = kernel.add_parser(
        "install",
        help="register this Python as the notebooks' Jupyter kernel (lspkit)",
        description="Register the current Python as a Jupyter kernel. Default: in the "
        "virtualenv or conda environment (--sys-prefix) when run from one, "
        "else for the current user (--user).",
    )
    where = kin.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="for the current user (~/.local/share/jupyter)")
    where.add_argument("--sys-prefix", action="store_true", help="in this environment's sys.prefix")
    where.add_argument("--prefix", metavar="P", default=None, help="under P/share/jupyter/kernels")
    kin.add_argument("--name", default="lspkit", help="kernel name (default: lspkit, the notebooks' kernel)")
    kin.set_defaults(func=_cmd_kernel)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    print(f"lspkit: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 success, 1 a reported problem, 2 usage)."""
    defer_rfc3987_syntax()  # this process's nbformat import skips a slow, unused import: see lspkit.lazyimports
    argv = sys.argv[1:] if argv is None else argv
    if "--lsp" in argv or any(a.startswith("--lsp=") for a in argv):
        print("lspkit: warning: --lsp is deprecated, use --case", file=sys.stderr)
    args = build_parser().parse_args(argv)
    previous = os.environ.get(WORKBOOK_ENV)
    try:
        if args.workbook:  # resolved here, once: the library, the runner and the kernels all see it
            os.environ[WORKBOOK_ENV] = str(Path(args.workbook).resolve())
        with warnings.catch_warnings():
            warnings.simplefilter("always", FutureWarning)
            warnings.showwarning = _show_warning
            return args.func(args)
    except LspkitError as exc:
        print(f"lspkit: {len(exc.problems)} problem(s):", file=sys.stderr)
        for p in exc.problems:
            print(f"- {p}", file=sys.stderr)
        return 1
    finally:
        if args.workbook:
            if previous is None:
                os.environ.pop(WORKBOOK_ENV, None)
            else:
                os.environ[WORKBOOK_ENV] = previous


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
