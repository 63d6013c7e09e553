"""A pytest plugin that owns one thing: the test suite's processes defer ``rfc3987_syntax``.

``pyproject.toml`` loads it first (``-p lspkit.pytest_deferral`` in the pytest options), before the
nbval plugin imports nbformat, so that pytest and its xdist workers skip the slow import that
:mod:`lspkit.lazyimports` defers for the ``lspkit`` command (about 0.9 s in each process). Importing
this module is what installs the deferral; the kernels the suite starts are other processes and
import as usual.

Example:
    >>> import sys, lspkit.pytest_deferral
    >>> type(sys.modules["rfc3987_syntax"]).__name__ in ("_Deferred", "module")
    True
"""

from __future__ import annotations

from .lazyimports import defer_rfc3987_syntax

DEFERRED = defer_rfc3987_syntax()
