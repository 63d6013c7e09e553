"""Shared fixtures: the project's corpus, and a scratch copy of the data directory to break."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import lspkit

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
CASES = ["blackburn-with-darwen", "bolton", "hammersmith-and-fulham"]


@pytest.fixture(autouse=True)
def _no_env_data(monkeypatch):
    """Tests decide for themselves where data comes from."""
    monkeypatch.delenv("LSPKIT_DATA", raising=False)


@pytest.fixture(scope="session")
def corpus() -> lspkit.Corpus:
    return lspkit.load_corpus(DATA)


@pytest.fixture()
def data_copy(tmp_path) -> Path:
    """A writable copy of data/ that a test may break."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target
