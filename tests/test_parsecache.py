"""The parse cache makes loading faster and never different."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

import lspkit
from lspkit import corpus as corpus_module
from lspkit import parsecache

from .conftest import DATA

FRAMES = ("cases", "units", "codes", "codings", "coders")


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(parsecache.ENV_DIR, str(folder))
    monkeypatch.delenv(parsecache.ENV_OFF, raising=False)
    # these tests are about the parse cache itself: every load reads the files, below the memo of a
    # process's last load (lspkit.corpus.load_corpus), which has tests of its own in test_corpus.py
    monkeypatch.setattr(corpus_module, "_fingerprint", lambda data_dir: None)
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


def test_an_entry_holds_the_exact_text_and_offsets_of_its_bytes(cache, tmp_path):
    """The key is the file's bytes: the same text with CRLF line breaks or a BOM is another entry."""
    plain = (DATA / "raw" / "bolton.txt").read_bytes()
    variants = {"lf": plain, "crlf": plain.replace(b"\n", b"\r\n"), "bom": b"\xef\xbb\xbf" + plain}
    loaded = {}
    for name, data in variants.items():
        path = tmp_path / name / "bolton.txt"
        path.parent.mkdir()
        path.write_bytes(data)
        loaded[name] = (parsecache.load_case(path), parsecache.load_case(path))  # cold, then warm
    assert len(list(cache.rglob("*.marshal"))) == 3
    for name, (cold, warm) in loaded.items():
        text = variants[name].decode("utf-8").removeprefix("\ufeff")
        assert cold.text == warm.text == text
        assert cold.columns == warm.columns
        spans = [text[s:e] for s, e in zip(warm.columns["start"], warm.columns["end"])]
        assert [" ".join(s.split()) for s in spans] == warm.columns["text"]
    assert loaded["crlf"][1].columns["start"] != loaded["lf"][1].columns["start"]
    assert loaded["bom"][1].columns["start"] == loaded["lf"][1].columns["start"]  # the BOM is not text


def test_a_text_with_a_control_character_is_never_cached(cache, data_copy):
    path = data_copy / "raw" / "bolton.txt"
    path.write_bytes(path.read_bytes().replace(b"Bolton first", b"Bolton\x0cfirst", 1))
    problems = []
    parsecache.load_case(path, "bolton", problems)
    assert any("control character U+000C (form feed)" in p.message for p in problems)
    assert not list(cache.rglob("*.marshal"))


def test_a_folder_named_like_a_text_is_an_lspkit_error(tmp_path):
    from lspkit.errors import LspkitError

    (tmp_path / "bolton.txt").mkdir()
    with pytest.raises(LspkitError, match="bolton.txt: is a folder, not a file"):
        parsecache.load_case(tmp_path / "bolton.txt")


def test_the_suite_never_touches_the_users_cache(tmp_path):
    """Doctests (and notebooks) get the private cache too: the fixture lives in the root conftest.py."""
    import os
    import subprocess
    import sys

    from .conftest import ROOT

    env = dict(os.environ, HOME=str(tmp_path), XDG_CACHE_HOME=str(tmp_path / ".cache"))
    env.pop("LSPKIT_CACHE_DIR", None)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=--doctest-modules",
                           "lspkit/corpus.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    assert not (tmp_path / ".cache" / "lspkit").exists()
