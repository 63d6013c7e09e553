"""Settings for every test the suite collects: unit tests, the package's doctests and the nbval notebooks."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_parse_cache(tmp_path_factory):
    """No test reads or fills the user's parse cache (lspkit.parsecache): not the unit tests, not the
    doctests, not the notebooks' kernels, which start after this and inherit the setting."""
    patch = pytest.MonkeyPatch()
    patch.setenv("LSPKIT_CACHE_DIR", str(tmp_path_factory.mktemp("parse-cache")))
    yield
    patch.undo()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every nbval item starts or uses a Jupyter kernel: mark it, as the unit tests that do are marked."""
    for item in items:
        if str(item.path).endswith(".ipynb"):
            item.add_marker(pytest.mark.kernel)
