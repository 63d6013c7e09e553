"""Settings for every test the suite collects: unit tests, the package's doctests and the nbval notebooks."""

from __future__ import annotations

import pytest

# With ``make test`` (pytest-xdist, ``--dist loadscope``) each of these modules runs whole on one
# worker, because its tests share a costly module fixture: a browser, a Dask cluster, a schema.
WHOLE_MODULES = ("tests/test_site_check.py", "tests/test_dask.py", "tests/test_qdpx.py")


@pytest.fixture(autouse=True, scope="session")
def _private_parse_cache(tmp_path_factory):
    """No test reads or fills the user's parse cache (lspkit.parsecache): not the unit tests, not the
    doctests, not the notebooks' kernels, which start after this and inherit the setting."""
    patch = pytest.MonkeyPatch()
    patch.setenv("LSPKIT_CACHE_DIR", str(tmp_path_factory.mktemp("parse-cache")))
    yield
    patch.undo()


def _heavy(item: pytest.Item) -> bool:
    return item.get_closest_marker("kernel") is not None or item.get_closest_marker("slow") is not None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every nbval item starts or uses a Jupyter kernel: mark it, as the unit tests that do are marked.

    The tests that start kernels or run whole notebooks come first, each kind in its usual order, so
    that under ``make test`` the quick tests fill the end of the run instead of a slow one.
    """
    for item in items:
        if str(item.path).endswith(".ipynb"):
            item.add_marker(pytest.mark.kernel)
    items.sort(key=lambda item: not _heavy(item))  # stable: the order within each kind is kept


def scope_of(nodeid: str) -> str:
    """The unit of work ``make test`` hands to one worker: a notebook's cells together (nbval runs
    them in order in one kernel), a module of :data:`WHOLE_MODULES` together, any other test alone.

    >>> scope_of("notebooks/explore.ipynb::Cell 3"), scope_of("tests/test_plots.py::test_x[a]")
    ('notebooks/explore.ipynb', 'tests/test_plots.py::test_x[a]')
    """
    path = nodeid.split("::", 1)[0]
    return path if path.endswith(".ipynb") or path in WHOLE_MODULES else nodeid


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadscope`` with the scopes of :func:`scope_of` instead of whole modules: the slow
    modules no longer hold one worker while the other idles. (``--dist loadgroup`` with xdist_group
    marks would say the same, but pytest-xdist 3.8 does not group under pytest 9.2: its nodeid
    suffix is lost, pytest-dev/pytest-xdist#1386.) As with loadscope, the largest scopes go first."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SuiteScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return scope_of(nodeid)

    return SuiteScheduling(config, log)
