"""Notebook parameters as data: what a user may pass, and how it reaches a notebook.

This module owns the rule that nothing a user types becomes code. A parameter value, whether it
comes from ``-p NAME VALUE``, from ``--parameters-file`` or from Python, must be plain data: a
string, a whole number, a finite float, ``true``/``false``, ``null``, or a list or mapping of
those (mapping keys are strings). Anything else (YAML's ``!!binary`` bytes, ``!!set``, dates and
timestamps, non-finite floats) is refused before any notebook runs, naming the parameter and the
type. Parameter names must be Python identifiers.

Values reach the notebook through papermill, which writes them as a cell of assignments.
:func:`injected_source` writes that cell and proves, by parsing it, that it holds nothing but
assignments of literals equal to the values given, so no value can break out of it.

Example:
    >>> parse_value("[bolton, hammersmith-and-fulham]")
    ['bolton', 'hammersmith-and-fulham']
    >>> check_parameters({"all": {"coder": "structure"}}, source="-p")
    {'all': {'coder': 'structure'}}
    >>> check_parameters({"all": {"coder": parse_value("2009-04-01")}}, source="-p")
    Traceback (most recent call last):
    ...
    lspkit.errors.ParameterError: -p, parameter 'coder': a date is not a plain value ...
    >>> print(injected_source({"coder": 'x"; import os'}))
    # Parameters
    coder = "x\\"; import os"
    <BLANKLINE>
"""

from __future__ import annotations

import ast
import keyword
import math
from typing import Any, Mapping

from .errors import ParameterError, Problem

PLAIN_HINT = (
    "give a string, number, true/false, null, or a list or mapping of those; "
    "quote a value to pass it as a string, e.g. -p coder '\"2009-04-01\"'"
)
MAX_DEPTH = 16

_TYPE_NAMES = {
    "bytes": "binary data (!!binary)",
    "set": "a set (!!set)",
    "date": "a date",
    "datetime": "a timestamp",
    "tuple": "a tuple",
}


def parse_value(text: str, name: str = "") -> Any:
    """A ``-p`` value read as YAML with the safe loader; text that is not YAML stays a string.

    A YAML tag the safe loader does not know (``!!python/object``, say) is refused, naming ``name``.

    >>> parse_value("3"), parse_value("true"), parse_value("a: [")
    (3, True, 'a: [')
    """
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.constructor.ConstructorError as exc:
        raise ParameterError(
            [
                Problem(
                    "-p",
                    f"parameter {name!r}" if name else "",
                    f"cannot be read as plain data: {exc.problem}",
                    PLAIN_HINT,
                )
            ]
        ) from None
    except yaml.YAMLError:
        return text


def _type_name(value: Any) -> str:
    name = type(value).__name__
    return _TYPE_NAMES.get(name, f"a value of type {name}")


def value_problems(value: Any, path: str = "", depth: int = 0) -> list[str]:
    """Why ``value`` is not plain data (empty when it is); ``path`` locates a nested item.

    >>> value_problems({"a": [1, 2.5, None, "x"]})
    []
    >>> value_problems([1, float("nan")])
    ['item [1]: nan is not a finite number']
    """
    where = f"item {path}: " if path else ""
    if depth > MAX_DEPTH:
        return [f"{where}nested more than {MAX_DEPTH} levels deep"]
    if value is None or isinstance(value, (str, bool, int)):
        return []
    if isinstance(value, float):
        return [] if math.isfinite(value) else [f"{where}{value!r} is not a finite number"]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in value_problems(v, f"{path}[{i}]", depth + 1)]
    if isinstance(value, dict):
        problems = []
        for k, v in value.items():
            if not isinstance(k, str):
                problems.append(f"{where}mapping key {k!r} is {_type_name(k)}, not a string")
            else:
                problems += value_problems(v, f"{path}[{k!r}]", depth + 1)
        return problems
    return [f"{where}{_type_name(value)} is not a plain value"]


def check_parameters(parameters: Mapping[Any, Any], source: str) -> dict[str, dict[str, Any]]:
    """Check ``{scope: {name: value}}`` (scope ``all`` or a notebook name) and return it as plain dicts.

    Every problem is collected and raised together as one :class:`~lspkit.errors.ParameterError` naming ``source``
    (``-p``, the parameters file) and the parameter.
    """
    problems: list[Problem] = []
    checked: dict[str, dict[str, Any]] = {}
    for scope, values in parameters.items():
        if not isinstance(scope, str) or not isinstance(values, Mapping):
            problems.append(
                Problem(
                    source,
                    f"scope {scope!r}",
                    "must map 'all' or a notebook name to parameters",
                    "e.g. 'all: {coder: researcher}'",
                )
            )
            continue
        checked[scope] = {}
        for name, value in values.items():
            label = f"parameter {name!r}" if scope == "all" else f"parameter {scope}.{name}"
            if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
                problems.append(
                    Problem(
                        source, label, "is not a valid parameter name", "use a name from the notebook's parameters cell"
                    )
                )
                continue
            for message in value_problems(value):
                problems.append(Problem(source, label, message, PLAIN_HINT))
            checked[scope][name] = value
    if problems:
        raise ParameterError(problems)
    return checked


def injected_source(parameters: Mapping[str, Any]) -> str:
    """The parameters cell papermill will inject, checked to hold only assignments of these values.

    Raises :class:`~lspkit.errors.ParameterError` if a value is not plain data or if the cell would hold anything
    but ``name = <literal>`` lines whose literals equal the values given.
    """
    from papermill.translators import PythonTranslator

    check_parameters({"all": dict(parameters)}, source="notebook parameters")
    source = PythonTranslator.codify(dict(parameters))
    try:
        tree = ast.parse(source)
        assigned = {}
        for node in tree.body:
            if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
                raise ValueError("a statement that is not a plain assignment")
            assigned[node.targets[0].id] = ast.literal_eval(node.value)
    except (SyntaxError, ValueError) as exc:
        raise ParameterError(
            [Problem("notebook parameters", "", f"cannot be written as plain data ({exc})", PLAIN_HINT)]
        ) from None
    if assigned != dict(parameters) or list(assigned) != list(parameters):
        raise ParameterError([Problem("notebook parameters", "", "would not reach the notebook unchanged", PLAIN_HINT)])
    return source


def renamed(old_name: str, old_value: Any, new_name: str, new_value: Any) -> Any:
    """The value of a renamed notebook parameter: the new one's, unless the deprecated old name was
    given (not ``None``), in which case its value, with a ``FutureWarning`` naming both.

    >>> renamed("lsp", None, "case_id", "bolton")
    'bolton'
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     renamed("lsp", "hammersmith-and-fulham", "case_id", "bolton"), str(caught[0].message)
    ('hammersmith-and-fulham', "parameter 'lsp' is deprecated: use 'case_id' (it was given, so it is used)")
    """
    if old_value is None:
        return new_value
    import warnings

    warnings.warn(
        f"parameter {old_name!r} is deprecated: use {new_name!r} (it was given, so it is used)",
        FutureWarning,
        stacklevel=2,
    )
    return old_value
