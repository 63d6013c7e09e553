"""Write environment.yml, the conda environment, from pyproject.toml and constraints.txt.

The conda environment holds the same packages as `make setup` installs: the dependencies of
pyproject.toml and its `test` and `dask` extras, each at the exact version constraints.txt pins
(`name==version`). PyPI names are mapped to their conda-forge names (``dask[distributed]`` is
``dask`` and ``distributed``; ``playwright`` is ``playwright-python``); a package that conda-forge
does not have is installed by pip, with the same pin. The file ends with ``pip: -e .``, which
installs lspkit itself.

    make environment                          # after any change to pyproject.toml or constraints.txt
    python tools/environment.py               # the same: rewrites environment.yml
    python tools/environment.py --check       # exit 1, naming each difference, if environment.yml is stale
    python tools/environment.py --root DIR    # DIR/pyproject.toml + DIR/constraints.txt -> DIR/environment.yml

A dependency that is in no table below, or that constraints.txt does not pin, stops the script
with its name: decide where it comes from, then add it.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXTRAS = ("test", "dask")
ENV_NAME = "lspkit"
COMMAND = "make environment"

# conda-forge packages with the same name as on PyPI (normalised: lower case, "-" for "_" and ".").
SAME_NAME = {
    "ipykernel", "ipywidgets", "jupyterlab", "matplotlib", "nbconvert", "nbformat", "nbval", "openpyxl",
    "mypy", "pandas", "papermill", "pypdf", "pytest", "pytest-xdist", "pyyaml", "ruff", "tqdm", "xmlschema",
}
# PyPI requirement (normalised, with its extras) -> [(conda-forge name, PyPI name whose pin it takes)].
RENAMED = {
    "dask[distributed]": [("dask", "dask"), ("distributed", "distributed")],
    "jupyter-client": [("jupyter_client", "jupyter-client")],
    "playwright": [("playwright-python", "playwright")],
}
# Not on conda-forge: installed by pip inside the conda environment.
PIP_ONLY = {"krippendorff"}

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?\s*([^;]*)(?:;.*)?$")
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")
_ENTRY = re.compile(r"^\s*-\s+([A-Za-z0-9][A-Za-z0-9._-]*)\s*([^\s:]*)\s*$")


class SourceError(Exception):
    """A dependency the script cannot place or pin; the message names it."""


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_key(requirement: str) -> str:
    """``"dask[distributed]>=2024.1"`` -> ``"dask[distributed]"``; ``"PyYAML>=6"`` -> ``"pyyaml"``."""
    match = _REQUIREMENT.match(requirement)
    if not match:
        raise SourceError(f"cannot read the requirement {requirement!r} in pyproject.toml")
    name, extras = normalise(match.group(1)), match.group(2)
    if extras:
        return f"{name}[{','.join(sorted(normalise(e) for e in extras.split(',') if e.strip()))}]"
    return name


def read_requirements(pyproject: Path) -> tuple[list[str], list[str], str]:
    """The main dependencies, the extras' dependencies not already among them, and requires-python."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    main = list(dict.fromkeys(requirement_key(r) for r in project.get("dependencies", [])))
    optional = project.get("optional-dependencies", {})
    extra: list[str] = []
    for name in EXTRAS:
        if name not in optional:
            raise SourceError(f"pyproject.toml has no [project.optional-dependencies] {name}")
        for requirement in optional[name]:
            key = requirement_key(requirement)
            if key not in main and key not in extra:
                extra.append(key)
    return main, extra, project.get("requires-python", "")


def read_pins(constraints: Path) -> dict[str, str]:
    """``{normalised name: version}`` from the ``name==version`` lines of constraints.txt."""
    pins: dict[str, str] = {}
    for line in constraints.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line)
        if match:
            pins[normalise(match.group(1))] = match.group(2)
    return pins


def conda_packages(key: str) -> tuple[list[tuple[str, str]], bool]:
    """``([(package name, PyPI name of its pin)], from pip?)`` for one requirement."""
    if key in RENAMED:
        return RENAMED[key], False
    if key in SAME_NAME:
        return [(key, key)], False
    if key in PIP_ONLY:
        return [(key, key)], True
    raise SourceError(
        f"{key}: no conda-forge name known; add it to SAME_NAME, RENAMED or PIP_ONLY in tools/environment.py")


def render(root: Path = ROOT) -> str:
    """The text of environment.yml for the project in ``root``."""
    main, extra, python = read_requirements(root / "pyproject.toml")
    pins = read_pins(root / "constraints.txt")
    missing: list[str] = []

    def entries(keys: list[str], pip: list[str]) -> list[str]:
        lines = []
        for key in keys:
            packages, from_pip = conda_packages(key)
            for package, pypi in packages:
                if normalise(pypi) not in pins:
                    missing.append(pypi)
                    continue
                spec = f"{package}=={pins[normalise(pypi)]}"
                (pip if from_pip else lines).append(spec)
        return lines

    pip: list[str] = []
    main_lines = entries(main, pip)
    extra_lines = entries(extra, pip)
    if missing:
        raise SourceError("constraints.txt pins no version of " + ", ".join(sorted(set(missing)))
                          + "; add name==version lines for them")
    out = [
        "# Generated by tools/environment.py from pyproject.toml (the dependencies and the "
        + " and ".join(EXTRAS) + " extras)",
        "# and the exact pins in constraints.txt. Do not edit it: change those files, then run",
        f"# `{COMMAND}` (python tools/environment.py).",
        "#",
        "#   conda env create -f environment.yml",
        f"#   conda activate {ENV_NAME}",
        f"#   lspkit kernel install        # registers the Jupyter kernel '{ENV_NAME}' the notebooks use",
        f"name: {ENV_NAME}",
        "channels:",
        "  - conda-forge",
        "  - nodefaults",
        "dependencies:",
        f"  - python{python.replace(' ', '')}" if python else "  - python",
        "  - pip",
        "  # [project] dependencies",
        *(f"  - {line}" for line in main_lines),
        "  # extras: " + ", ".join(EXTRAS),
        *(f"  - {line}" for line in extra_lines),
        "  - pip:",
    ]
    if pip:
        out.append("      # not on conda-forge")
        out.extend(f"      - {line}" for line in pip)
    out.append("      - -e .")
    return "\n".join(out) + "\n"


def _entries(text: str) -> dict[str, str]:
    """``{package: spec}`` for every list entry of an environment.yml (conda and pip alike)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = _ENTRY.match(line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def differences(current: str, expected: str) -> list[str]:
    """Every way ``current`` (the file) differs from ``expected`` (the generated text), one line each."""
    if current == expected:
        return []
    have, want = _entries(current), _entries(expected)
    found = []
    for name in sorted(set(have) | set(want)):
        if name not in have:
            found.append(f"{name}: missing; expected {name}{want[name]}")
        elif name not in want:
            found.append(f"{name}: {name}{have[name]} is not a dependency of pyproject.toml")
        elif have[name] != want[name]:
            found.append(f"{name}: environment.yml has {name}{have[name]}, the pins give {name}{want[name]}")
    if not found:  # same packages and versions: comments, order or layout differ
        diff = difflib.unified_diff(current.splitlines(), expected.splitlines(), "environment.yml", "generated",
                                    lineterm="", n=0)
        found = [f"line differs: {line}" for line in diff if line[:1] in "+-" and line[:3] not in ("---", "+++")]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write environment.yml from pyproject.toml and constraints.txt.")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1, naming every difference, if environment.yml is not up to date")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="folder holding pyproject.toml, constraints.txt and environment.yml (default: the project)")
    args = parser.parse_args(argv)
    target = args.root / "environment.yml"
    try:
        expected = render(args.root)
    except SourceError as exc:
        print(f"tools/environment.py: {exc}", file=sys.stderr)
        return 2
    if args.check:
        found = differences(target.read_text(encoding="utf-8"), expected) if target.exists() else [
            f"{target} does not exist"]
        if found:
            print(f"{target} is not what pyproject.toml and constraints.txt give ({len(found)} difference(s)):",
                  file=sys.stderr)
            for line in found:
                print(f"- {line}", file=sys.stderr)
            print(f"run `{COMMAND}` to regenerate it", file=sys.stderr)
            return 1
        print(f"{target}: up to date")
        return 0
    if not target.exists() or target.read_text(encoding="utf-8") != expected:
        target.write_text(expected, encoding="utf-8")
        print(f"wrote {target}")
    else:
        print(f"{target}: unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
