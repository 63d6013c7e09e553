"""The ``lspkit`` command line.

This module owns argument parsing and turning lspkit errors into messages and exit codes. Each
sub-command is a thin wrapper over a library function.

Example (shell)::

    lspkit list                 # cases with their unit counts
    lspkit validate             # every problem in the data directory, exit 1 if any
    lspkit --data path/to/data list
    lspkit references           # refresh the nbval regression references from the current data
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import LspkitError


def _cmd_list(args: argparse.Namespace) -> int:
    from .corpus import load_corpus

    corpus = load_corpus(args.data)
    counts = (corpus.units[~corpus.units["boilerplate"]]
              .groupby(["case_id", "kind"], observed=False).size().unstack(fill_value=0))
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lspkit", description="Cross-case analysis of LSP case studies.")
    parser.add_argument("--data", default=None, help="data directory (default: $LSPKIT_DATA or the project's data/)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the cases and their unit counts").set_defaults(func=_cmd_list)
    sub.add_parser("validate", help="check the data directory and report every problem").set_defaults(
        func=_cmd_validate)
    refs = sub.add_parser("references", help="re-execute notebooks/ and tests/references/ (the nbval references)")
    refs.add_argument("--kernel", default=None, help="Jupyter kernel to use (default: the notebooks' own, lspkit)")
    refs.set_defaults(func=_cmd_references)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 success, 1 a reported problem, 2 usage)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except LspkitError as exc:
        print(f"lspkit: {len(exc.problems)} problem(s):", file=sys.stderr)
        for p in exc.problems:
            print(f"- {p}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
