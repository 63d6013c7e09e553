"""lspkit: a Jupyter research workbook for cross-case qualitative analysis of Local Strategic Partnerships.

The package loads the "Working better together?" case studies, the 7S codebook and the codings as
tidy pandas tables, and provides the analyses, plots and runs that the notebooks show.

Example:
    >>> import lspkit
    >>> corpus = lspkit.load_corpus()
    >>> corpus.units.groupby("case_id", observed=True).size().to_dict()
    {'blackburn-with-darwen': 35, 'bolton': 36, 'hammersmith-and-fulham': 33}
"""

from typing import TYPE_CHECKING, Any

from .datadir import data_version, default_data_dir
from .errors import DataError, LspkitError, ParameterError, Problem, RunError
from .workbook import Workbook, init_workbook, load_example

if TYPE_CHECKING:
    from .corpus import Corpus, load_corpus, validate


def __getattr__(name: str) -> Any:
    """``lspkit.Corpus``, ``lspkit.load_corpus`` and ``lspkit.validate`` import pandas on first use, so
    that ``import lspkit`` (and a command that needs no table, such as a run with nothing to do) stays
    quick."""
    if name in ("Corpus", "load_corpus", "validate"):
        from . import corpus

        return getattr(corpus, name)
    raise AttributeError(f"module 'lspkit' has no attribute {name!r}")


__version__ = "0.1.0"

__all__ = [
    "Corpus",
    "DataError",
    "LspkitError",
    "ParameterError",
    "Problem",
    "RunError",
    "Workbook",
    "data_version",
    "default_data_dir",
    "init_workbook",
    "load_corpus",
    "load_example",
    "validate",
    "__version__",
]
