"""lspkit: a Jupyter research workbook for cross-case qualitative analysis of Local Strategic Partnerships.

The package loads the "Working better together?" case studies, the 7S codebook and the codings as
tidy pandas tables, and provides the analyses, plots and runs that the notebooks show.

Example:
    >>> import lspkit
    >>> corpus = lspkit.load_corpus()
    >>> corpus.units.groupby("case_id", observed=True).size().to_dict()
    {'blackburn-with-darwen': 35, 'bolton': 36, 'hammersmith-and-fulham': 33}
"""

from .corpus import Corpus, data_version, default_data_dir, load_corpus, validate
from .errors import DataError, LspkitError, ParameterError, Problem, RunError
from .workbook import Workbook, init_workbook, load_example

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
