"""Deferred imports: third-party modules whose import is slow and rarely used, loaded on first use.

This module owns one deferral. ``jsonschema`` (imported by ``nbformat``, so by every run, kernel and
test process) imports the optional ``rfc3987_syntax`` package when it is installed, only to offer
the ``iri`` and ``iri-reference`` format checks; ``rfc3987_syntax`` compiles its Lark grammars at
import, which costs about 0.85 s on a 2-core machine (jsonschema issue 1428). lspkit never checks
an IRI, but other code in the same process might, so :func:`defer_rfc3987_syntax` puts a stand-in
module in ``sys.modules`` before ``jsonschema`` is imported: it offers ``is_valid_syntax``, and the
real package is imported the first time that function (or any other attribute) is used, with the
same results. Nothing is vendored or patched on disk; the real package (Apache-2.0) stays installed.

Only the ``lspkit`` command's own process defers (:func:`lspkit.cli.main` calls it first), not
``import lspkit``: with the stand-in installed in a kernel that ran the ipywidgets explorer,
papermill waited for the kernel indefinitely, so kernels and other programs importing lspkit keep
the usual import.

Example:
    >>> import sys
    >>> _ = defer_rfc3987_syntax()  # done by the lspkit command, before anything imports nbformat
    >>> import jsonschema  # quick: the grammars are not compiled until an IRI is checked
    >>> sys.modules["rfc3987_syntax"].is_valid_syntax("iri", "https://example.org/ä")
    True
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

_NAME = "rfc3987_syntax"


class _Deferred(types.ModuleType):
    """A stand-in for a module that imports the real one on first use of any attribute."""

    def _real(self) -> types.ModuleType:
        real = self.__dict__.get("_lspkit_real")
        if real is None:
            if sys.modules.get(_NAME) is self:
                del sys.modules[_NAME]
            try:
                real = importlib.import_module(_NAME)
            except BaseException:
                sys.modules.setdefault(_NAME, self)
                raise
            self.__dict__["_lspkit_real"] = real
        return real

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return getattr(self._real(), name)


def _is_valid_syntax(*args: Any, **kwargs: Any) -> Any:
    stub = _STUBS[_NAME]
    return stub._real().is_valid_syntax(*args, **kwargs)


# Held in a dict, not as a module attribute: tools that look through a module's attributes (pytest
# collecting this module's doctest asks each one for its fixture marker) would otherwise ask the
# stand-in for a name and so import the real package.
_STUBS: dict[str, _Deferred] = {
    _NAME: _Deferred(_NAME, "deferred by lspkit.lazyimports: the real module is imported on first use")
}
_STUBS[_NAME].is_valid_syntax = _is_valid_syntax  # type: ignore[attr-defined]


def defer_rfc3987_syntax() -> bool:
    """Install the stand-in for ``rfc3987_syntax`` if the package is installed and not yet imported.

    Returns whether the stand-in is in place; doing nothing is always safe.
    """
    current = sys.modules.get(_NAME)
    stub = _STUBS[_NAME]
    if current is stub:
        return True
    if current is not None or "jsonschema._format" in sys.modules:
        return False
    if importlib.util.find_spec(_NAME) is None:
        return False
    sys.modules[_NAME] = stub
    return True
