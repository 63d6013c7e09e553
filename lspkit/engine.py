"""The papermill engine entry point: ``papermill.engine`` names ``lspkit-warm`` to this object.

This module owns only the name papermill looks up. papermill loads its engines while its own engines
module is still being imported, and lspkit's engine class (:class:`lspkit.kernels.WarmKernelEngine`)
subclasses one of papermill's; so the entry point is a stand-in that imports nothing and hands every
attribute on to the real class when papermill first uses it.

Example:
    >>> from lspkit.kernels import WarmKernelEngine
    >>> WARM_ENGINE.execute_managed_notebook == WarmKernelEngine.execute_managed_notebook
    True
"""

from __future__ import annotations

from typing import Any


class _WarmEngine:
    """Hands attribute look-ups to :class:`lspkit.kernels.WarmKernelEngine`."""

    def __getattr__(self, name: str) -> Any:
        from .kernels import WarmKernelEngine

        return getattr(WarmKernelEngine, name)


WARM_ENGINE = _WarmEngine()
