"""The parse cache makes loading faster and never different."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

import lspkit
from lspkit import parsecache

from .conftest import DATA

FRAMES = ("cases", "units", "codes", "codings", "coders")


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(parsecache.ENV_DIR, str(folder))
    monkeypatch.delenv(parsecache.ENV_OFF, raising=False)
    return folder


def _same(a: lspkit.Corpus, b: lspkit.Corpus) -> None:
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert a.raw == b.raw


def test_cold_warm_and_uncached_loads_agree(cache, monkeypatch):
    cold = lspkit.load_corpus(DATA)
    entries = list(cache.rglob("*.marshal"))
    assert len(entries) == 3 and all(cache in e.parents for e in entries)
    warm = lspkit.load_corpus(DATA)
    monkeypatch.setenv(parsecache.ENV_OFF, "1")
    uncached = lspkit.load_corpus(DATA)
    _same(cold, warm)
    _same(cold, uncached)


def test_a_broken_entry_is_ignored_and_rewritten(cache):
    first = lspkit.load_corpus(DATA)
    for entry in cache.rglob("*.marshal"):
        entry.write_bytes(b"not marshal data")
    again = lspkit.load_corpus(DATA)
    _same(first, again)
    assert all(e.read_bytes() != b"not marshal data" for e in cache.rglob("*.marshal"))


def test_an_edited_text_is_parsed_again(cache, data_copy):
    lspkit.load_corpus(data_copy)
    path = data_copy / "raw" / "bolton.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("Strong officer leadership", "Strong leadership"),
                    encoding="utf-8")
    corpus = lspkit.load_corpus(data_copy)
    assert corpus.units.set_index("unit_id").loc["bolton.p06", "text"].startswith("Strong leadership")


def test_a_text_with_problems_is_reported_every_time_and_not_cached(cache, data_copy):
    path = data_copy / "raw" / "bolton.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("\n- 5** ", "\n- 7** "), encoding="utf-8")
    first = [p for p in lspkit.validate(data_copy) if "bolton.txt" in p.file]
    second = [p for p in lspkit.validate(data_copy) if "bolton.txt" in p.file]
    assert first and first == second
    assert len(list(cache.rglob("*.marshal"))) == 2  # the other two texts only


def test_the_cache_lives_outside_the_data_directory(monkeypatch, tmp_path):
    monkeypatch.delenv(parsecache.ENV_DIR, raising=False)
    monkeypatch.delenv(parsecache.ENV_OFF, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert parsecache.cache_dir() == tmp_path / "xdg" / "lspkit"
    monkeypatch.setenv(parsecache.ENV_OFF, "1")
    assert parsecache.cache_dir() is None


def test_an_unwritable_cache_only_costs_time(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv(parsecache.ENV_DIR, str(blocker))
    monkeypatch.delenv(parsecache.ENV_OFF, raising=False)
    monkeypatch.setenv(parsecache.ENV_OFF, "1")
    expected = lspkit.load_corpus(DATA)
    monkeypatch.delenv(parsecache.ENV_OFF)
    _same(lspkit.load_corpus(DATA), expected)


def test_copied_data_shares_entries(cache, tmp_path):
    lspkit.load_corpus(DATA)
    before = sorted(p.name for p in cache.rglob("*.marshal"))
    shutil.copytree(DATA, tmp_path / "copy")
    lspkit.load_corpus(tmp_path / "copy")
    assert sorted(p.name for p in cache.rglob("*.marshal")) == before  # keyed by content and case id
