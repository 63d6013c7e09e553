"""The explorers: the static HTML fragment of the published page, and the widgets' render function."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

import lspkit
from lspkit import analysis, explore

from .conftest import CASES, DATA

XSS = "</script><script>alert(1)</script> & <b>bold</b>"
NODE = shutil.which("node")


def embedded(fragment: str) -> dict:
    """The data a fragment carries, parsed back from its JSON script."""
    found = re.findall(r'<script type="application/json" class="lsx-data">(.*?)</script>', fragment, re.S)
    assert len(found) == 1
    return json.loads(found[0])


def rows_of(data: dict, case: str, coder: str, code: str) -> list[tuple[str, str, str, str, str]]:
    """One selection's rows as (citation, unit_id, code_id, memo, text)."""
    return [(data["units"][u][0], u, c, m, data["units"][u][1])
            for u, c, m in data["rows"][case].get(coder, {}).get(code, [])]


def retrieved(corpus: lspkit.Corpus, case: str, coder: str, code: str) -> list[tuple[str, str, str, str, str]]:
    table = analysis.retrieve(corpus, code=code, case_id=case, coder=coder, kinds=analysis.EVIDENCE_KINDS)
    return list(table[["citation", "unit_id", "code_id", "memo", "text"]].itertuples(index=False, name=None))


@pytest.fixture(scope="module")
def fragment(corpus) -> str:
    return explore.static_explorer(corpus)


def test_the_fragment_is_deterministic(corpus, fragment):
    assert fragment == explore.static_explorer(lspkit.load_corpus(DATA))
    assert fragment == explore.static_explorer(corpus)


def test_the_fragment_is_one_self_contained_div(fragment):
    assert fragment.startswith('<div class="lsx"><style>') and fragment.endswith("</script></div>")
    assert fragment.count("<script") == 2 and fragment.count("</script>") == 2
    assert "<noscript><p>" in fragment
    assert not re.search(r"https?:|//cdn|\bsrc=|\bhref=|@import|\bfetch\(|XMLHttpRequest", fragment)
    script = fragment.rsplit("<script>", 1)[1]
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "eval(" not in script
    assert script.count("\n") < 200


def test_the_fragment_holds_every_case_and_code(corpus, fragment):
    data = embedded(fragment)
    assert [c[0] for c in data["cases"]] == corpus.case_ids == CASES
    assert [c[1] for c in data["cases"]] == corpus.cases["short_name"].tolist()
    assert set(data["rows"]) == set(data["profile"]) == set(CASES)
    codes = [c[0] for c in data["codes"]]
    assert codes[:7] == corpus.elements and sorted(codes) == sorted(corpus.codes["code_id"])
    assert {c[2] for c in data["codes"][:7]} == {"element"} and {c[2] for c in data["codes"][7:]} == {"theme"}
    labels = dict(zip(corpus.codes["code_id"], corpus.codes["label"]))
    assert all(label == labels[code] for code, label, _, _ in data["codes"])


def test_the_machine_baseline_is_offered_only_when_asked(corpus, fragment):
    assert [c[0] for c in embedded(fragment)["coders"]] == ["structure", "researcher", "second_reader", "third_reader"]
    asked = embedded(explore.static_explorer(corpus, coders=["researcher", "auto"]))
    assert [c[0] for c in asked["coders"]] == ["researcher", "auto"]
    assert "machine baseline" in asked["coders"][1][1] and "baseline" not in asked["coders"][0][1]
    assert "auto" in asked["rows"]["bolton"]
    with pytest.raises(lspkit.LspkitError, match="unknown coder"):
        explore.static_explorer(corpus, coders=["nobody"])
    with pytest.raises(ValueError, match="coders"):
        explore.static_explorer(corpus, coders=[])


def test_every_selection_holds_the_rows_of_retrieve(corpus, fragment):
    data = embedded(fragment)
    checked = 0
    for case in corpus.case_ids:
        for coder in ("structure", "researcher"):
            for code in corpus.codes["code_id"]:
                assert rows_of(data, case, coder, code) == retrieved(corpus, case, coder, code), (case, coder, code)
                checked += len(rows_of(data, case, coder, code))
    assert checked > 100
    pooled = rows_of(data, "bolton", "researcher", "pooled_resources")
    assert {r[2] for r in pooled} == {"pooled_resources"}
    assert pooled[0][0].startswith("Bolton ¶")


def test_the_profile_numbers_are_those_of_element_profile(corpus, fragment):
    data = embedded(fragment)
    assert data["elements"] == corpus.elements
    for case in corpus.case_ids:
        for coder in ("structure", "researcher"):
            profile = analysis.element_profile(corpus.case(case), coder)
            assert profile["element"].astype(str).tolist() == data["elements"]
            assert data["profile"][case][coder] == profile["units"].tolist(), (case, coder)


def test_a_memo_cannot_break_out_of_the_page(data_copy):
    with open(data_copy / "codings" / "researcher.csv", "a", encoding="utf-8") as f:
        f.write('bolton.p13,mainstream_budgets,researcher,,"' + XSS.replace('"', '""') + '"\n')
    corpus = lspkit.load_corpus(data_copy)
    fragment = explore.static_explorer(corpus)
    assert "alert(1)</script>" not in fragment and "<b>bold" not in fragment
    assert fragment.count("</script>") == 2
    data = embedded(fragment)
    memos = [r[3] for r in rows_of(data, "bolton", "researcher", "mainstream_budgets")]
    assert XSS in memos
    assert rows_of(data, "bolton", "researcher", "pooled_resources") == retrieved(corpus, "bolton", "researcher",
                                                                                  "pooled_resources")


# -- the script itself, on a small DOM stand-in (needs node) ------------------------------------

DOM_STUB = r"""
function Node(tag) { this.tagName = tag; this.children = []; this.style = {}; this.attrs = {}; this.on = {};
                     this.own = ""; this.className = ""; }
Object.defineProperty(Node.prototype, "textContent", {
  get: function () { return this.own + this.children.map(function (c) { return c.textContent; }).join(""); },
  set: function (v) { this.own = String(v); this.children = []; }});
Node.prototype.appendChild = function (c) { this.children.push(c); c.parentNode = this; return c; };
Node.prototype.insertBefore = function (c, ref) {
  this.children.splice(this.children.indexOf(ref), 0, c); c.parentNode = this; return c; };
Node.prototype.setAttribute = function (k, v) { this.attrs[k] = v; };
Node.prototype.addEventListener = function (type, f) { this.on[type] = f; };
Node.prototype.all = function (test) {
  var out = test(this) ? [this] : [];
  this.children.forEach(function (c) { out = out.concat(c.all(test)); });
  return out; };
var root = new Node("div"), json = new Node("script");
json.textContent = DATA;
root.querySelector = function () { return json; };
var document = {currentScript: {parentNode: root},
                createElement: function (tag) { return new Node(tag); },
                createTextNode: function (text) { var n = new Node("#text"); n.own = String(text); return n; }};
"""

DRIVE = r"""
function byClass(cls) { return root.all(function (n) { return n.className === cls; }); }
var selects = root.all(function (n) { return n.tagName === "select"; }), out = [];
SELECTIONS.forEach(function (s) {
  selects[0].value = s[0]; selects[1].value = s[1]; selects[2].value = s[2]; selects[2].on.change();
  out.push({count: byClass("lsx-count")[0].textContent,
            cites: byClass("lsx-cite").map(function (n) { return n.own; }),
            memos: byClass("lsx-memo").map(function (n) { return n.textContent; }),
            texts: byClass("lsx-text").map(function (n) { return n.textContent; }),
            bars: byClass("lsx-num").map(function (n) { return Number(n.textContent); }),
            widths: byClass("lsx-bar").map(function (n) { return n.style.width; }),
            options: selects.map(function (s) {
              return s.all(function (n) { return n.tagName === "option"; }).length; })});
});
console.log(JSON.stringify(out));
"""


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_the_script_draws_the_rows_and_bars(corpus, fragment):
    data = embedded(fragment)
    script = fragment.rsplit("<script>", 1)[1].removesuffix("</script></div>")
    selections = [["bolton", "standards", "structure"], ["bolton", "pooled_resources", "researcher"],
                  ["hammersmith-and-fulham", "goals", "researcher"],
                  ["blackburn-with-darwen", "steering", "researcher"]]
    program = (f"var DATA = {json.dumps(json.dumps(data))};\nvar SELECTIONS = {json.dumps(selections)};\n"
               + DOM_STUB + script + DRIVE)
    result = subprocess.run([NODE, "-e", program], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    for (case, code, coder), view in zip(selections, shown):
        rows = retrieved(corpus, case, coder, code)
        units = list(dict.fromkeys(r[1] for r in rows))
        assert view["count"].startswith(f"{len(units)} units")
        assert view["cites"] == [data["units"][u][0] for u in units]
        assert view["texts"] == [data["units"][u][1] for u in units]
        assert [m.split(": ", 1)[1] for m in view["memos"]] == [r[3] for r in rows if r[3]]
        assert view["bars"] == analysis.element_profile(corpus.case(case), coder)["units"].tolist()
        assert all(w.endswith("%") for w in view["widths"])
        assert view["options"] == [len(corpus.case_ids), len(corpus.codes), len(data["coders"])]


def test_render_gives_the_retrieval_and_a_figure(corpus):
    import matplotlib.pyplot as plt

    table, fig = explore.render(corpus, "bolton", "standards", "structure")
    assert table["citation"].tolist() == ["Bolton ¶22", "Bolton ¶23", "Bolton ¶24", "Bolton ¶25"]
    assert list(table.columns) == ["citation", "code_id", "memo", "text"]
    plt.close(fig)
    options = explore.code_options(corpus)
    assert options[0] == (explore.ALL, explore.ALL) and len(options) == len(corpus.codes) + 1
