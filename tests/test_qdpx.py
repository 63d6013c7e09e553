"""REFI-QDA export and import: schema validity, determinism, the round trip, and real programs' conventions.

Conventions covered by the hand-built files below (each imported correctly or reported/refused):
upper- and lower-case GUIDs with and without braces; ``Sources/`` and ``sources/``; inline
``PlainTextContent``; CRLF line endings and a byte-order mark in a source; codes nested two deep and
matched by name (label or id) when their GUIDs are foreign; a selection inside a unit, covering part of a
paragraph, crossing two units, outside every unit, on boilerplate, with impossible positions; a source
not in the corpus and one whose text differs; codings of a whole source; several users; a file that
is not a zip, a zip without a .qde, a .qde that is not XML, one that breaks the schema, an unknown code.

Then the hardening: the export of CRLF / CR / BOM texts and safe writes; positions counted with line
ends as one or two characters, in UTF-16 code units, with or without a byte-order mark; archives with
huge, over-limit or escaping members and DTDs; the import as one transaction and coder id limits;
plain messages for empty projects and unknown sources; the validation shortcut; 20,000 selections;
codebook exchange files (.qdc) compared and their new codes added.
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
import shutil
import uuid
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
import xmlschema

import lspkit
from lspkit import qdpx
from lspkit.cli import main
from lspkit.errors import LspkitError

from .conftest import DATA, ROOT

FIXTURE = Path(__file__).parent / "fixtures" / "refi-qda" / "Project.xsd"
NS = "urn:QDA-XML:project:1.0"


@pytest.fixture(scope="module")
def fixture_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(FIXTURE))


@pytest.fixture(scope="module")
def fixture_codebook_schema() -> xmlschema.XMLSchema:
    # The Project schema's CodeBookType as the root of the codebook namespace (the .qdc structure).
    text = FIXTURE.read_text(encoding="utf-8").replace(f'"{NS}"', '"urn:QDA-XML:codebook:1.0"')
    text = text.replace('<xsd:element name="Project" type="ProjectType">',
                        '<xsd:element name="CodeBook" type="CodeBookType">')
    return xmlschema.XMLSchema(text)


@pytest.fixture(scope="module")
def exported(tmp_path_factory, corpus) -> Path:
    return qdpx.export_qdpx(corpus, tmp_path_factory.mktemp("export") / "lsp.qdpx")


def _qde(path: Path) -> ET.Element:
    with zipfile.ZipFile(path) as z:
        return ET.fromstring(z.read("project.qde"))


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


# -- export ------------------------------------------------------------------------------------------

def test_fixture_schema_keeps_its_licence_and_matches_the_shipped_copy():
    text = FIXTURE.read_text(encoding="utf-8")
    assert "This specification is licensed under the MIT license." in text
    assert "Copyright 2019 REFI www.qdasoftware.org." in text
    assert FIXTURE.read_bytes() == qdpx.SCHEMA_PATH.read_bytes()


def test_export_is_valid_against_the_schema(exported, fixture_schema, tmp_path, corpus, fixture_codebook_schema):
    with zipfile.ZipFile(exported) as z:
        fixture_schema.validate(io.BytesIO(z.read("project.qde")))
    qdc = qdpx.export_qdc(corpus, tmp_path / "codebook.qdc")
    fixture_codebook_schema.validate(str(qdc))
    assert ET.parse(qdc).getroot().tag == "{urn:QDA-XML:codebook:1.0}CodeBook"
    # one coder's export is valid too
    one = qdpx.export_qdpx(corpus, tmp_path / "one.qdpx", coders=["structure"])
    with zipfile.ZipFile(one) as z:
        fixture_schema.validate(io.BytesIO(z.read("project.qde")))


def test_export_is_byte_identical_and_the_zip_deterministic(exported, tmp_path):
    again = qdpx.export_qdpx(lspkit.load_corpus(DATA), tmp_path / "again.qdpx")
    assert again.read_bytes() == exported.read_bytes()
    with zipfile.ZipFile(exported) as z:
        infos = z.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names) and names[0] == "project.qde"
    assert all(n.startswith("sources/") and n.endswith(".txt") for n in names[1:])  # lower case, as qc needs
    assert {i.date_time for i in infos} == {(2009, 4, 1, 0, 0, 0)}
    qdc1 = qdpx.export_qdc(None, tmp_path / "a.qdc").read_bytes()
    assert qdc1 == qdpx.export_qdc(None, tmp_path / "b.qdc").read_bytes()


def test_export_holds_sources_spans_users_codes_and_cases(exported, corpus):
    root = _qde(exported)
    with zipfile.ZipFile(exported) as z:
        entries = {n: z.read(n) for n in z.namelist()}
    # sources: the raw texts, verbatim, at their internal paths
    sources = root.findall(f"{_q('Sources')}/{_q('TextSource')}")
    assert [s.get("name") for s in sources] == corpus.case_ids
    units = corpus.units.set_index("unit_id")
    for src in sources:
        case_id = src.get("name")
        path = "sources/" + src.get("plainTextPath").removeprefix("internal://")
        assert not entries[path].startswith(b"\xef\xbb\xbf")
        text = entries[path].decode("utf-8")
        assert text == (DATA / "raw" / f"{case_id}.txt").read_bytes().decode("utf-8") == corpus.raw[case_id]
        for sel in src.findall(_q("PlainTextSelection")):
            unit = units.loc[sel.get("name")]
            s, e = int(sel.get("startPosition")), int(sel.get("endPosition"))
            assert text[s:e] == corpus.raw_span(sel.get("name"))
            assert unit["case_id"] == case_id and (s, e) == (unit["start"], unit["end"])
    # a non-ASCII case: positions are characters, not bytes
    assert any(ord(c) > 127 for c in corpus.raw["bolton"][: int(units.loc["bolton.p08", "start"])])
    # users: every coder; one selection per unit and coder, one coding per code
    users = {u.get("guid"): u.get("name") for u in root.iter(_q("User"))}
    assert sorted(users.values()) == sorted(corpus.coder_ids)
    codes = {c.get("guid"): c for c in root.iter(_q("Code"))}
    exported_codings = set()
    for sel in root.iter(_q("PlainTextSelection")):
        for coding in sel.findall(_q("Coding")):
            code = codes[coding.find(_q("CodeRef")).get("targetGUID")]
            exported_codings.add((sel.get("name"), code.get("name"), users[coding.get("creatingUser")]))
    labels = corpus.codes.set_index("code_id")["label"]
    expected = {(u, labels[c], k) for u, c, k in corpus.codings[["unit_id", "code_id", "coder"]].itertuples(index=False)}
    assert exported_codings == expected
    # the hierarchy: themes under their parents; descriptions carry definition, criteria and examples
    steering = next(c for c in root.iter(_q("Code")) if c.get("name") == "Steering")
    assert {"Pooled, aligned or jointly funded resources", "Influencing mainstream budgets"} <= {
        c.get("name") for c in steering.findall(_q("Code"))}
    description = steering.find(_q("Description")).text.split("\n")
    assert description[0] == "using internal processes to drive change, for example through resource pooling"
    assert description[1].startswith("Interpretation: ") and description[2].startswith("Include: ")
    assert description[3].startswith("Exclude: ")
    assert {line.split(":")[0] for line in description[4:]} == {"Typical example", "Borderline example"}
    top = [c.get("name") for c in root.find(_q("CodeBook")).find(_q("Codes")).findall(_q("Code"))]
    assert top == [labels[e] for e in corpus.elements]  # every theme nests under an element
    # cases with their attributes as variables
    variables = {v.get("guid"): v for v in root.iter(_q("Variable"))}
    bolton = next(c for c in root.iter(_q("Case")) if c.get("name") == "bolton")
    values = {variables[vv.find(_q("VariableRef")).get("targetGUID")].get("name"): vv[1].text
              for vv in bolton.findall(_q("VariableValue"))}
    assert values["established"] == "1995" and values["partnership"] == "Bolton Vision Partnership"
    assert variables[next(g for g, v in variables.items() if v.get("name") == "established")].get(
        "typeOfVariable") == "Integer"


def test_round_trip_gives_the_same_codings(exported, data_copy, corpus):
    coders = [c for c in corpus.coder_ids if (corpus.codings["coder"] == c).any()]
    for coder in coders:
        result = qdpx.import_qdpx(exported, f"{coder}_copy", data_dir=data_copy, user=coder)
        assert all("by another user" in p.message for p in result.problems)
    back = lspkit.load_corpus(data_copy)
    for coder in coders:
        a = back.codings[back.codings["coder"] == coder][["unit_id", "code_id", "memo"]]
        b = back.codings[back.codings["coder"] == f"{coder}_copy"][["unit_id", "code_id", "memo"]]
        key = ["unit_id", "code_id"]
        assert a.sort_values(key).reset_index(drop=True).equals(b.sort_values(key).reset_index(drop=True)), coder
        assert back.coders.set_index("coder").loc[f"{coder}_copy", "kind"] == "imported"


def test_links_are_exported_as_link_elements_between_the_selections_they_rest_on(exported, corpus):
    root = _qde(exported)
    selections = {s.get("guid"): s for s in root.iter(_q("PlainTextSelection"))}
    notes = {n.get("guid"): n.find(_q("PlainTextContent")).text for n in root.iter(_q("Note"))}
    links = list(root.find(_q("Links")))
    assert len(links) == len(corpus.links)
    by_id = corpus.links.set_index("link_id")
    for link in links:
        link_id = link.get("name").split(":")[0]
        rec = by_id.loc[link_id]
        origin, target = selections[link.get("originGUID")], selections[link.get("targetGUID")]
        assert origin.get("name") in rec["unit_ids"] and target.get("name") in rec["unit_ids"]
        assert link.get("direction") == ("Bidirectional" if rec["direction"] == "mutual" else "OneWay")
        note = notes[link.find(_q("NoteRef")).get("targetGUID")]
        assert note.startswith(rec["memo"]) and qdpx.LINK_RECORD in note


def test_round_trip_keeps_every_link(exported, data_copy, corpus):
    result = qdpx.import_qdpx(exported, "linked", data_dir=data_copy, user="researcher")
    assert all("by another user" in p.message for p in result.problems)
    back = lspkit.load_corpus(data_copy)
    columns = ["link_id", "unit_ids", "source", "target", "direction", "relation", "evidence", "status", "memo"]
    ours = back.links[back.links["coder"] == "researcher"][columns].reset_index(drop=True)
    theirs = back.links[back.links["coder"] == "linked"][columns].reset_index(drop=True)
    assert len(ours) == len(corpus.links) and ours.equals(theirs)


def test_a_link_that_cannot_be_placed_is_reported_by_name(tmp_path, data_copy, corpus):
    xml, files = qdpx.project_xml(corpus, coders=["researcher"])
    root = ET.fromstring(xml)
    links = root.find(_q("Links"))
    first, second, third = list(links)[:3]
    for ref in first.findall(_q("NoteRef")):  # a link from another program: no lspkit record
        first.remove(ref)
    first.set("name", "Enables")
    second.set("originGUID", str(uuid.uuid4()))  # joins nothing
    second.findall(_q("NoteRef"))[0].set("targetGUID", str(uuid.uuid4()))
    note = next(n for n in root.iter(_q("Note")) if n.get("guid") == third.find(_q("NoteRef")).get("targetGUID"))
    text = note.find(_q("PlainTextContent"))
    text.text = text.text.replace(list(corpus.links["unit_ids"])[2][0], "bolton.p99")  # a unit that does not exist
    path = tmp_path / "edited.qdpx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.qde", ET.tostring(root, xml_declaration=True, encoding="utf-8"))
        for name, data in files.items():
            z.writestr(name, data)
    result = qdpx.import_qdpx(path, "partial", data_dir=data_copy)
    messages = [str(p) for p in result.problems]
    # a link without lspkit's record cannot be read back whole (its evidence and status are lspkit's) and is named
    assert any("link 'Enables'" in m and "not imported" in m for m in messages), messages
    assert any(f"link {second.get('name')!r}" in m and "could not be placed" in m for m in messages), messages
    assert any("unknown unit(s) 'bolton.p99'" in m and "not imported" in m for m in messages), messages
    assert len(result.links) == len(corpus.links) - 3
    assert len(lspkit.load_corpus(data_copy).links.query("coder == 'partial'")) == len(corpus.links) - 3


# -- hand-built projects for the import conventions ---------------------------------------------------

def G(name: str, style: str = "upper") -> str:
    value = str(uuid.uuid5(uuid.NAMESPACE_DNS, name))
    return {"upper": value.upper(), "lower": value, "braces": "{" + value.upper() + "}",
            "lower-braces": "{" + value + "}"}[style]


def build(tmp_path: Path, selections: list[dict], *, sources_dir: str = "Sources", text: str | None = None,
          inline: bool = False, source_name: str = "bolton", codes_xml: str | None = None,
          users: tuple[str, ...] = ("ann",), extra_sources: str = "", name: str = "hand.qdpx",
          source_extra: str = "") -> Path:
    """A minimal .qdpx with one text source (Bolton's text unless ``text``) and the given selections.

    A selection is ``{"start", "end", "codes": [code GUID...], "user": name, "guid_style": ...}``.
    """
    text = text if text is not None else (DATA / "raw" / "bolton.txt").read_text(encoding="utf-8")
    source_guid = G("source-" + source_name)
    sels = []
    for i, s in enumerate(selections):
        style = s.get("guid_style", "upper")
        codings = "".join(f'<Coding guid="{G(f"coding{i}-{j}", style)}" creatingUser="{G(s.get("user", users[0]), style)}">'
                          f'<CodeRef targetGUID="{c}"/></Coding>' for j, c in enumerate(s["codes"]))
        sels.append(f'<PlainTextSelection guid="{G(f"sel{i}", style)}" name="s{i}" startPosition="{s["start"]}" '
                    f'endPosition="{s["end"]}">{codings}</PlainTextSelection>')
    if codes_xml is None:
        codes_xml = (f'<Code guid="{G("steering", "lower-braces")}" name="Steering" isCodable="true">'
                     f'<Code guid="{G("pooled")}" name="Pooled, aligned or jointly funded resources" isCodable="true">'
                     f'<Code guid="{G("mainstream")}" name="mainstream_budgets" isCodable="true"/></Code></Code>'
                     f'<Code guid="{qdpx.guid("code", "staff_skills").lower()}" name="Renamed in NVivo" isCodable="true"/>'
                     f'<Code guid="{G("style")}" name="  STYLE " isCodable="true"/>')
    user_xml = "".join(f'<User guid="{G(u)}" name="{u}"/>' for u in users)
    content = f"<PlainTextContent>{escape(text)}</PlainTextContent>" if inline else ""
    path_attr = "" if inline else f' plainTextPath="internal://{source_guid}.txt"'
    qde = (f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="{NS}" name="hand" origin="hand-built test">'
           f'<Users>{user_xml}</Users><CodeBook><Codes>{codes_xml}</Codes></CodeBook>'
           f'<Sources><TextSource guid="{source_guid}" name="{source_name}"{path_attr}>{content}{"".join(sels)}'
           f'{source_extra}</TextSource>{extra_sources}</Sources></Project>')
    out = tmp_path / name
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("project.qde", qde)
        if not inline:
            z.writestr(f"{sources_dir}/{source_guid}.txt", text.encode("utf-8"))
    return out


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.fixture(scope="module")
def bolton(corpus):
    units = corpus.units.set_index("unit_id")
    return {u: (int(units.loc[u, "start"]), int(units.loc[u, "end"])) for u in units.index if u.startswith("bolton.")}


def _import(path, data_copy, coder="ann", **kw):
    return qdpx.import_qdpx(path, coder, data_dir=data_copy, **kw)


def test_guid_case_braces_nested_codes_and_lower_case_sources_dir(tmp_path, data_copy, bolton):
    s8, e8 = bolton["bolton.p08"]
    sel = [{"start": s8, "end": e8, "codes": [G("mainstream", "lower"), G("pooled", "braces"),
                                              G("steering", "upper")], "guid_style": "lower-braces"},
           {"start": s8, "end": e8, "codes": [qdpx.guid("code", "staff_skills")]},  # our GUID, foreign name
           {"start": s8, "end": e8, "codes": ["{" + G("style").lower() + "}"]}]    # name with odd case/spaces
    path = build(tmp_path, sel, sources_dir="sources")
    result = _import(path, data_copy)
    assert result.problems == []
    assert sorted(result.codings["code_id"]) == sorted(
        ["mainstream_budgets", "pooled_resources", "steering", "staff_skills", "style"])
    assert set(result.codings["unit_id"]) == {"bolton.p08"} and set(result.codings["coder"]) == {"ann"}
    back = lspkit.load_corpus(data_copy)
    assert len(back.codings[back.codings["coder"] == "ann"]) == 5
    assert "user 'ann'" in back.coders.set_index("coder").loc["ann", "description"]


def test_part_of_a_paragraph_crossing_two_units_and_outside_every_unit(tmp_path, data_copy, bolton, corpus):
    s6, e6 = bolton["bolton.p06"]
    s7, e7 = bolton["bolton.p07"]
    heading = corpus.raw["bolton"].index("Leadership and culture")
    sel = [{"start": s6 + 10, "end": s6 + 40, "codes": [G("style")]},          # part of a paragraph
           {"start": e6 - 15, "end": s7 + 12, "codes": [G("steering")]},        # crosses p06 and p07
           {"start": heading, "end": heading + 22, "codes": [G("steering")]},   # the heading: no unit
           {"start": e6, "end": s7, "codes": [G("style")]},                     # only the gap between units
           {"start": 5, "end": 99999, "codes": [G("style")]}]                   # impossible positions
    result = _import(build(tmp_path, sel), data_copy)
    assert result.codings[["unit_id", "code_id"]].values.tolist() == [
        ["bolton.p06", "style"], ["bolton.p06", "steering"], ["bolton.p07", "steering"]]
    messages = [p.message for p in result.problems]
    assert sum("lies outside every unit" in m for m in messages) == 2
    assert any("'Leadership and culture' lies outside every unit" in m for m in messages)
    assert any("impossible positions" in m for m in messages)
    assert all(str(result.problems[0].file).endswith("hand.qdpx!project.qde") for _ in messages)


def test_boilerplate_and_whole_source_codings_are_reported(tmp_path, data_copy, bolton):
    s2, e2 = bolton["bolton.p02"]
    s3, e3 = bolton["bolton.p03"]
    s4, e4 = bolton["bolton.p04"]
    whole = f'<Coding guid="{G("whole")}"><CodeRef targetGUID="{G("style")}"/></Coding>'
    sel = [{"start": s2, "end": e2, "codes": [G("style")]}, {"start": s3 + 5, "end": s4 + 5, "codes": [G("style")]}]
    result = _import(build(tmp_path, sel, source_extra=whole), data_copy)
    assert result.codings["unit_id"].tolist() == ["bolton.p04"]
    messages = " | ".join(p.message for p in result.problems)
    assert "covers boilerplate bolton.p02" in messages and "covers boilerplate bolton.p03" in messages
    assert "a coding of the whole source was not imported" in messages


def test_sources_not_in_the_corpus_or_with_different_text_are_reported(tmp_path, data_copy, bolton):
    s8, e8 = bolton["bolton.p08"]
    other = (f'<TextSource guid="{G("interview")}" name="interview-1" plainTextPath="internal://{G("interview")}.txt">'
             f'<PlainTextSelection guid="{G("x1")}" startPosition="0" endPosition="5">'
             f'<Coding guid="{G("x2")}" creatingUser="{G("ann")}"><CodeRef targetGUID="{G("style")}"/></Coding>'
             f'</PlainTextSelection></TextSource>'
             f'<PictureSource guid="{G("pic")}" name="photo"><PictureSelection guid="{G("p1")}" firstX="0" '
             f'firstY="0" secondX="1" secondY="1"><Coding guid="{G("p2")}"><CodeRef targetGUID="{G("style")}"/>'
             f'</Coding></PictureSelection></PictureSource>')
    path = build(tmp_path, [{"start": s8, "end": e8, "codes": [G("style")]}], extra_sources=other)
    with zipfile.ZipFile(path, "a") as z:
        z.writestr(f"Sources/{G('interview')}.txt", "Interviewer: hello")
    result = _import(path, data_copy)
    assert result.codings["unit_id"].tolist() == ["bolton.p08"]
    messages = " | ".join(p.message for p in result.problems)
    assert "not in the corpus; 1 coded selection(s) not imported" in messages
    assert "1 selection(s) in a PictureSource not imported" in messages
    # a Bolton source edited in the QDA program: its positions cannot be trusted
    edited = (DATA / "raw" / "bolton.txt").read_text(encoding="utf-8").replace("Bolton", "BOLTON!", 1)
    path = build(tmp_path, [{"start": s8, "end": e8, "codes": [G("style")]}], text=edited, name="edited.qdpx")
    with pytest.raises(LspkitError, match=r"none of the 1 coded selection\(s\) in the project could") as info:
        _import(path, data_copy, coder="bob")
    assert "its text differs from the corpus's 'bolton' text (first at line 5: " in str(info.value)
    assert "'BOLTON! first, politics second' in…" in str(info.value)


def test_crlf_text_with_a_bom_is_remapped_and_inline_content_read(tmp_path, data_copy, bolton):
    raw = (DATA / "raw" / "bolton.txt").read_text(encoding="utf-8")
    windows = "\ufeff" + raw.replace("\n", "\r\n")
    s8, e8 = bolton["bolton.p08"]
    s9, e9 = bolton["bolton.p09"]  # p09 spans a page break: blank lines inside the unit
    shift = lambda pos: 1 + pos + raw[:pos].count("\n")  # noqa: E731
    sel = [{"start": shift(s8), "end": shift(e8), "codes": [G("style")]},
           {"start": shift(s9), "end": shift(e9), "codes": [G("steering")]}]
    result = _import(build(tmp_path, sel, text=windows), data_copy)
    assert result.codings[["unit_id", "code_id"]].values.tolist() == [["bolton.p08", "style"],
                                                                      ["bolton.p09", "steering"]]
    assert result.problems == []
    sel = [{"start": s8, "end": e8, "codes": [G("style")]}]
    result = _import(build(tmp_path, sel, inline=True, name="inline.qdpx"), data_copy, coder="bob")
    assert result.codings["unit_id"].tolist() == ["bolton.p08"] and result.problems == []


def test_several_users_need_a_choice(tmp_path, data_copy, bolton):
    s8, e8 = bolton["bolton.p08"]
    s9, e9 = bolton["bolton.p09"]
    sel = [{"start": s8, "end": e8, "codes": [G("style")], "user": "ann"},
           {"start": s9, "end": e9, "codes": [G("steering")], "user": "bob", "guid_style": "lower"}]
    path = build(tmp_path, sel, users=("ann", "bob"))
    with pytest.raises(LspkitError, match=r"codings by 2 users .*ann \(1 codings\), bob \(1 codings\)"):
        _import(path, data_copy)
    result = _import(path, data_copy, coder="bob", user="BOB")
    assert result.codings.values.tolist() == [["bolton.p09", "steering", "bob", "", ""]]
    assert any("1 coding(s) by another user not imported" in p.message for p in result.problems)
    with pytest.raises(LspkitError, match="no codings by user 'cat'"):
        _import(path, data_copy, user="cat")


def test_unknown_code_is_an_error_naming_it(tmp_path, data_copy, bolton):
    s8, e8 = bolton["bolton.p08"]
    codes = f'<Code guid="{G("trust")}" name="Parent" isCodable="false"><Code guid="{G("t2")}" name="Trust" isCodable="true"/></Code>'
    path = build(tmp_path, [{"start": s8, "end": e8, "codes": [G("t2")]}], codes_xml=codes)
    with pytest.raises(LspkitError, match=r"code 'Parent / Trust': unknown code \(1 coding\(s\)\)"):
        _import(path, data_copy)
    assert not (data_copy / "codings" / "ann.csv").exists()


@pytest.mark.parametrize("maker, message", [
    (lambda p: p.write_text("just text"), "not a zip archive"),
    (lambda p: zipfile.ZipFile(p, "w").writestr("readme.txt", "x"), "holds no project.qde"),
    (lambda p: zipfile.ZipFile(p, "w").writestr("project.qde", "<Project><Users></Project>"),
     r"line 1, column \d+: not valid XML"),
    (lambda p: zipfile.ZipFile(p, "w").writestr(
        "project.qde", f'<Project xmlns="{NS}" name="x"><Users><User guid="not-a-guid"/></Users></Project>'),
     "breaks the REFI-QDA schema: /Project/Users/User: attribute guid='not-a-guid'"),
    (lambda p: zipfile.ZipFile(p, "w").writestr(
        "project.qde", f'<Project xmlns="{NS}"><Sources><TextSource guid="{G("s")}"><PlainTextSelection '
                       f'guid="{G("t")}" startPosition="0"/></TextSource></Sources></Project>'),
     "breaks the REFI-QDA schema"),
])
def test_bad_files_are_clear_errors(tmp_path, data_copy, maker, message):
    path = tmp_path / "bad.qdpx"
    maker(path)
    with pytest.raises(LspkitError, match=message) as info:
        _import(path, data_copy)
    assert "bad.qdpx" in str(info.value)
    assert not (data_copy / "codings" / "ann.csv").exists()


def test_an_import_never_replaces_another_kind_of_coder(exported, data_copy):
    for coder, message in (("researcher", "human coder whose codings are already in this file"),
                           ("auto", "registered as 'machine'"), ("structure", "is the derived coder"),
                           ("Not A Slug", "not a usable slug")):
        with pytest.raises(LspkitError, match=message):
            qdpx.import_qdpx(exported, coder, data_dir=data_copy, user="auto")
    # a human coder registered by hand, not yet coded: the import fills it and keeps the row
    with open(data_copy / "coders.csv", "a", encoding="utf-8") as fh:
        fh.write("anna,human,Independent second reading\n")
    qdpx.import_qdpx(exported, "anna", data_dir=data_copy, user="auto")
    assert lspkit.load_corpus(data_copy).coders.set_index("coder").loc["anna", "description"] == (
        "Independent second reading")
    with pytest.raises(LspkitError, match="never overwrites"):
        qdpx.import_qdpx(exported, "anna", data_dir=data_copy, user="auto")
    qdpx.import_qdpx(exported, "again", data_dir=data_copy, user="auto")
    qdpx.import_qdpx(exported, "again", data_dir=data_copy, user="structure")  # re-import: replaced
    back = lspkit.load_corpus(data_copy)
    assert len(back.codings[back.codings["coder"] == "again"]) == len(back.codings[back.codings["coder"] == "structure"])
    assert (data_copy / "coders.csv").read_text(encoding="utf-8").count("\nagain,") == 1


def test_cli_export_and_import(tmp_path, data_copy, capsys):
    target = tmp_path / "cli.qdpx"
    assert main(["--data", str(data_copy), "export-qdpx", str(target)]) == 0
    assert main(["--data", str(data_copy), "export-qdpx", str(tmp_path / "cli.qdc"), "--codebook-only"]) == 0
    out = capsys.readouterr().out
    assert "valid against the REFI-QDA schema" in out and (tmp_path / "cli.qdc").read_bytes().startswith(b"<?xml")
    assert main(["--data", str(data_copy), "import-qdpx", str(target), "--coder", "copy"]) == 1
    assert "--user" in capsys.readouterr().err
    assert main(["--data", str(data_copy), "import-qdpx", str(target), "--coder", "copy", "--user", "structure"]) == 0
    captured = capsys.readouterr()
    assert "as coder 'copy'" in captured.out and "not imported" in captured.err
    assert re.search(r"^copy,imported,", (data_copy / "coders.csv").read_text(encoding="utf-8"), re.M)
    assert lspkit.validate(data_copy) == []


def test_blank_and_single_coder_exports_for_a_second_coder(tmp_path, fixture_schema, data_copy):
    assert main(["--data", str(data_copy), "export-qdpx", str(tmp_path / "blank.qdpx"), "--no-codings"]) == 0
    root = _qde(tmp_path / "blank.qdpx")
    assert root.find(_q("Users")) is None and not list(root.iter(_q("PlainTextSelection")))
    assert len(root.findall(f"{_q('Sources')}/{_q('TextSource')}")) == 3
    with zipfile.ZipFile(tmp_path / "blank.qdpx") as z:
        fixture_schema.validate(io.BytesIO(z.read("project.qde")))
    assert main(["--data", str(data_copy), "export-qdpx", str(tmp_path / "s.qdpx"), "--coder", "structure"]) == 0
    assert [u.get("name") for u in _qde(tmp_path / "s.qdpx").iter(_q("User"))] == ["structure"]
    result = qdpx.import_qdpx(tmp_path / "s.qdpx", "headings", data_dir=data_copy)  # one user: no --user needed
    assert result.problems == [] and len(result.codings) == (lspkit.load_corpus(data_copy).codings["coder"]
                                                             == "structure").sum()


# -- export: the text as corpus.raw holds it, and safe writes ----------------------------------------------

def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture()
def crlf_data(tmp_path) -> Path:
    """A data copy whose Bolton text has CRLF line ends and a byte-order mark, and Hammersmith lone CRs."""
    target = tmp_path / "crlf"
    shutil.copytree(DATA, target)
    bolton = target / "raw" / "bolton.txt"
    bolton.write_bytes(b"\xef\xbb\xbf" + bolton.read_bytes().replace(b"\n", b"\r\n"))
    hf = target / "raw" / "hammersmith-and-fulham.txt"
    hf.write_bytes(hf.read_bytes().replace(b"\n", b"\r"))
    return target


def test_export_of_crlf_and_bom_texts_is_the_raw_text_and_round_trips(crlf_data, tmp_path):
    corpus = lspkit.load_corpus(crlf_data)
    assert "\r\n" in corpus.raw["bolton"] and not corpus.raw["bolton"].startswith("\ufeff")
    out = qdpx.export_qdpx(corpus, tmp_path / "crlf.qdpx")
    root = _qde(out)
    with zipfile.ZipFile(out) as z:
        for src in root.iter(_q("TextSource")):
            data = z.read("sources/" + src.get("plainTextPath").removeprefix("internal://"))
            assert not data.startswith(b"\xef\xbb\xbf")  # UTF-8, no BOM: exactly corpus.raw
            text = data.decode("utf-8")
            assert text == corpus.raw[src.get("name")]
            for sel in src.iter(_q("PlainTextSelection")):  # code points of that text, from 0
                s, e = int(sel.get("startPosition")), int(sel.get("endPosition"))
                assert text[s:e] == corpus.raw_span(sel.get("name"))
    result = qdpx.import_qdpx(out, "copy", data_dir=crlf_data, user="researcher")
    assert {m.convention for m in result.sources} == {qdpx.Convention()}
    mine = corpus.codings[corpus.codings["coder"] == "researcher"]
    assert sorted(map(tuple, result.codings[["unit_id", "code_id"]].values)) == sorted(
        map(tuple, mine[["unit_id", "code_id"]].values))
    # and a project exported from the LF corpus maps onto the CRLF / CR texts (matched ignoring line ends)
    lf = qdpx.export_qdpx(lspkit.load_corpus(DATA), tmp_path / "lf.qdpx", coders=["researcher"])
    again = qdpx.import_qdpx(lf, "from_lf", data_dir=crlf_data)
    assert again.problems == [] and len(again.codings) == len(result.codings)
    assert any("data/raw/bolton.txt has CRLF" in m.description for m in again.sources)


def test_export_to_a_folder_or_under_a_file_is_a_clear_error(tmp_path, data_copy, capsys, corpus):
    with pytest.raises(LspkitError, match="is a folder, not a file name"):
        qdpx.export_qdpx(corpus, tmp_path)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(LspkitError, match=r"afile/x.qdc: cannot be written: .*afile is a file, not a folder"):
        qdpx.export_qdc(corpus, tmp_path / "afile" / "x.qdc")
    assert main(["--data", str(data_copy), "export-qdpx", str(tmp_path / "afile" / "x.qdpx")]) == 1
    err = capsys.readouterr().err
    assert str(tmp_path / "afile" / "x.qdpx") in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "data"]


def test_a_failed_export_leaves_the_old_file_and_no_partial_one(tmp_path, corpus, monkeypatch):
    target = tmp_path / "lsp.qdpx"
    target.write_bytes(b"the previous export")

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(qdpx.os, "replace", refuse)
    with pytest.raises(LspkitError, match=r"lsp.qdpx: cannot be written \(No space left on device\); nothing"):
        qdpx.export_qdpx(corpus, target)
    assert target.read_bytes() == b"the previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["lsp.qdpx"]  # no temp file left behind


# -- import: position conventions ------------------------------------------------------------------------

def _paragraphs(bolton: dict, names=("p06", "p07", "p08", "p09", "p10", "p11", "p12")) -> list[tuple[int, int]]:
    return [bolton[f"bolton.{n}"] for n in names]


def test_a_program_that_normalised_line_ends_counts_them_as_one(tmp_path, data_copy, bolton):
    raw = (DATA / "raw" / "bolton.txt").read_text(encoding="utf-8")
    spans = _paragraphs(bolton)  # positions counted on the LF text, the file written with CRLF
    sel = [{"start": s, "end": e, "codes": [G("style")]} for s, e in spans]
    result = _import(build(tmp_path, sel, text=raw.replace("\n", "\r\n")), data_copy)
    assert result.problems == []
    assert result.codings["unit_id"].tolist() == [f"bolton.{n}" for n in ("p06", "p07", "p08", "p09", "p10",
                                                                           "p11", "p12")]
    assert result.sources[0].convention == qdpx.Convention(line_end=1)
    assert "line ends counted as 1" in result.sources[0].description


def test_line_ends_counted_as_two_on_an_lf_text(tmp_path, data_copy, bolton):
    raw = (DATA / "raw" / "bolton.txt").read_text(encoding="utf-8")
    crlf = lambda pos: pos + raw[:pos].count("\n")  # noqa: E731 - a Windows program's count
    sel = [{"start": crlf(s), "end": crlf(e), "codes": [G("style")]} for s, e in _paragraphs(bolton)]
    result = _import(build(tmp_path, sel, text=raw), data_copy)
    assert result.problems == [] and len(result.codings) == 7
    assert result.sources[0].convention == qdpx.Convention(line_end=2)


@pytest.mark.parametrize("file_bom, counted", [(True, True), (True, False), (False, True)])
def test_a_bom_counted_or_not_at_position_0(tmp_path, data_copy, bolton, file_bom, counted):
    raw = (DATA / "raw" / "bolton.txt").read_text(encoding="utf-8")
    sel = [{"start": s + counted, "end": e + counted, "codes": [G("style")]} for s, e in _paragraphs(bolton)]
    for inline in (False, True):
        path = build(tmp_path, sel, text=("\ufeff" if file_bom else "") + raw, inline=inline,
                     name=f"bom-{inline}.qdpx")
        result = _import(path, data_copy, coder=f"bom_{int(inline)}")
        assert result.problems == [] and len(result.codings) == 7, result.problems
        assert result.sources[0].convention.bom is counted


def test_utf16_positions_count_characters_outside_the_bmp_twice(tmp_path, data_copy):
    raw_path = data_copy / "raw" / "bolton.txt"
    raw = raw_path.read_text(encoding="utf-8").replace("In 2007, the Council", "In 2007 \U0001F4C8, the Council", 1)
    raw_path.write_text(raw, encoding="utf-8")
    corpus = lspkit.load_corpus(data_copy)
    units = corpus.units.set_index("unit_id")
    utf16 = lambda pos: pos + sum(ord(c) > 0xFFFF for c in raw[:pos])  # noqa: E731
    names = ["bolton.p06", "bolton.p07", "bolton.p08", "bolton.p09", "bolton.p10", "bolton.p11"]
    sel = [{"start": utf16(units.loc[u, "start"]), "end": utf16(units.loc[u, "end"]), "codes": [G("style")]}
           for u in names]
    result = _import(build(tmp_path, sel, text=raw), data_copy)
    assert result.codings["unit_id"].tolist() == names and result.problems == []
    assert result.sources[0].convention == qdpx.Convention(utf16=True)
    assert result.sources[0].description.startswith("UTF-16 code units")


def test_the_refi_qda_rule_wins_when_the_evidence_is_thin(tmp_path, data_copy, bolton):
    s8, e8 = bolton["bolton.p08"]  # one exact paragraph, one selection in mid-word
    sel = [{"start": s8, "end": e8, "codes": [G("style")]}, {"start": s8 + 3, "end": e8 - 4, "codes": [G("style")]}]
    result = _import(build(tmp_path, sel), data_copy)
    assert result.sources[0].convention == qdpx.Convention()
    assert result.codings["unit_id"].tolist() == ["bolton.p08"]


def test_the_cli_says_which_convention_it_detected(tmp_path, data_copy, bolton, capsys):
    raw = (DATA / "raw" / "bolton.txt").read_text(encoding="utf-8")
    sel = [{"start": s, "end": e, "codes": [G("style")]} for s, e in _paragraphs(bolton)]
    path = build(tmp_path, sel, text=raw.replace("\n", "\r\n"))
    assert main(["--data", str(data_copy), "import-qdpx", str(path), "--coder", "ann"]) == 0
    out = capsys.readouterr().out
    assert "source 'bolton' (Sources/" in out and "is case 'bolton': 7 coded selection(s)" in out
    assert "positions in Unicode code points, line ends counted as 1 (LF or CR)" in out


# -- reading archives safely -----------------------------------------------------------------------------

def _with_member(path: Path, name: str, mib: int) -> Path:
    """Add a member of ``mib`` MiB of zeros, written in chunks (deflate makes it a few hundred KB)."""
    zeros = bytes(2 ** 20)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        with z.open(name, "w", force_zip64=True) as fh:
            for _ in range(mib):
                fh.write(zeros)
    return path


def test_an_unreferenced_huge_member_is_never_read(tmp_path, data_copy, bolton, monkeypatch):
    s8, e8 = bolton["bolton.p08"]
    path = _with_member(build(tmp_path, [{"start": s8, "end": e8, "codes": [G("style")]}]), "sources/junk.bin", 200)
    assert path.stat().st_size < 2 * 2 ** 20
    opened = []
    real_open = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):
        opened.append(getattr(name, "filename", name))
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    result = _import(path, data_copy)
    assert result.codings["unit_id"].tolist() == ["bolton.p08"]
    assert "sources/junk.bin" not in opened and "project.qde" in opened
    assert len(opened) == 2  # project.qde and the one source it names


def test_a_referenced_member_over_a_limit_is_refused_by_name(tmp_path, data_copy, bolton):
    s8, e8 = bolton["bolton.p08"]
    path = build(tmp_path, [{"start": s8, "end": e8, "codes": [G("style")]}])
    source = f"Sources/{G('source-bolton')}.txt"
    with pytest.raises(LspkitError, match=rf"member '{source}' holds 12\.8 KiB uncompressed, more than the limit "
                                          r"of 10\.0 KiB for one member \(MAX_MEMBER_BYTES\); not read"):
        _import(path, data_copy, max_member_bytes=10 * 1024)
    with pytest.raises(LspkitError, match=r"more than the limit of 12\.0 KiB for all the members read from one "
                                          r"archive \(MAX_ARCHIVE_BYTES\)"):
        _import(path, data_copy, max_archive_bytes=12 * 1024)
    with pytest.raises(LspkitError, match="member 'project.qde' holds"):
        _import(path, data_copy, max_member_bytes=100)
    assert not (data_copy / "codings" / "ann.csv").exists()


def test_the_default_limits_are_module_constants(tmp_path, data_copy, bolton, monkeypatch):
    s8, e8 = bolton["bolton.p08"]
    path = build(tmp_path, [{"start": s8, "end": e8, "codes": [G("style")]}])
    monkeypatch.setattr(qdpx, "MAX_MEMBER_BYTES", 1000)
    with pytest.raises(LspkitError, match=r"the limit of 1000 bytes for one member"):
        _import(path, data_copy)
    assert len(_import(path, data_copy, max_member_bytes=2 ** 20).codings) == 1


@pytest.mark.parametrize("member", ["../outside.txt", "/etc/passwd", "sources/../../x.txt", "C:\\\\x.txt"])
def test_member_names_escaping_the_archive_are_refused(tmp_path, data_copy, bolton, member):
    s8, e8 = bolton["bolton.p08"]
    path = build(tmp_path, [{"start": s8, "end": e8, "codes": [G("style")]}])
    with zipfile.ZipFile(path, "a") as z:
        z.writestr(zipfile.ZipInfo(member), "x")
    with pytest.raises(LspkitError, match=r"its name points outside the archive"):
        _import(path, data_copy)


BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY a "aaaaaaaaaa">'
                  + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
                  + f']><Project xmlns="{NS}" name="&j;"/>')
XXE = (f'<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       f'<Project xmlns="{NS}" name="&x;"/>')


@pytest.mark.parametrize("xml", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_a_dtd_is_refused(tmp_path, data_copy, xml):
    path = tmp_path / "evil.qdpx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.qde", xml)
    with pytest.raises(LspkitError, match=r"evil.qdpx!project.qde: declares a DTD"):
        _import(path, data_copy)
    (tmp_path / "evil.qdc").write_text(xml.replace("Project", "CodeBook"))
    with pytest.raises(LspkitError, match=r"evil.qdc: declares a DTD"):
        qdpx.import_qdc(tmp_path / "evil.qdc", data_dir=data_copy)


# -- one transaction, coder ids ---------------------------------------------------------------------------

@pytest.mark.parametrize("failing_call", [1, 2])
def test_an_import_writes_both_files_or_neither(exported, data_copy, monkeypatch, failing_call):
    qdpx.import_qdpx(exported, "again", data_dir=data_copy, user="auto")  # an imported coder to replace
    before = _snapshot(data_copy)
    real_replace, calls = os.replace, []

    def flaky(src, dst):
        if Path(dst).parent not in (data_copy, data_copy / "codings"):
            return real_replace(src, dst)  # the scratch copies the new files are prepared in
        calls.append(dst)
        if len(calls) == failing_call:
            raise OSError(5, "Input/output error")
        return real_replace(src, dst)

    monkeypatch.setattr(qdpx.os, "replace", flaky)
    with pytest.raises(LspkitError, match=r"cannot be written \(Input/output error\); nothing was changed"):
        qdpx.import_qdpx(exported, "again", data_dir=data_copy, user="structure")
    assert _snapshot(data_copy) == before  # byte-identical, no temp files
    assert Path(calls[0]).name == "coders.csv" and failing_call == 1 or Path(calls[1]).name == "again.csv"


def test_a_new_coder_is_not_registered_when_its_codings_cannot_be_written(exported, data_copy, monkeypatch):
    before = _snapshot(data_copy)
    real_replace = os.replace

    def no_codings(src, dst):
        if Path(dst) == data_copy / "codings" / "fresh.csv":
            raise OSError(13, "Permission denied")
        return real_replace(src, dst)

    monkeypatch.setattr(qdpx.os, "replace", no_codings)
    with pytest.raises(LspkitError, match=r"fresh.csv: cannot be written \(Permission denied\)"):
        qdpx.import_qdpx(exported, "fresh", data_dir=data_copy, user="auto")
    assert _snapshot(data_copy) == before


@pytest.mark.parametrize("coder, message", [
    ("a" * 300, r"coder id 'a{57}\.\.\.' is 300 characters long, more than 40"),
    ("a" * 41, r"is 41 characters long, more than 40"),
    ("anna/../../x", r"is not a usable slug"),
])
def test_coder_ids_are_checked_before_anything_is_read_or_written(exported, data_copy, coder, message, capsys):
    before = _snapshot(data_copy)
    with pytest.raises(LspkitError, match=message):
        qdpx.import_qdpx(exported, coder, data_dir=data_copy, user="auto")
    assert main(["--data", str(data_copy), "import-qdpx", str(exported), "--coder", coder, "--user", "auto"]) == 1
    assert "Traceback" not in capsys.readouterr().err
    assert _snapshot(data_copy) == before
    qdpx.import_qdpx(exported, "a" * 40, data_dir=data_copy, user="auto")  # 40 is fine
    assert (data_copy / "codings" / ("a" * 40 + ".csv")).exists()


# -- messages ---------------------------------------------------------------------------------------------

def test_a_project_without_codings_or_a_blank_project_says_so(tmp_path, data_copy, corpus):
    blank = qdpx.export_qdpx(corpus, tmp_path / "blank.qdpx", coders=[])
    with pytest.raises(LspkitError) as info:
        _import(blank, data_copy)
    assert str(info.value).endswith("blank.qdpx!project.qde: the project holds no codings: its 3 source(s) have no "
                                    "coded selections, so there is nothing to import (code the sources in your QDA "
                                    "program, then export the project again)")
    empty = tmp_path / "empty.qdpx"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("project.qde", f'<Project xmlns="{NS}" name="nothing"/>')
    with pytest.raises(LspkitError, match="the project is empty: it holds no sources, no codes and no codings"):
        _import(empty, data_copy)
    assert "see the problems above" not in str(info.value)


def test_a_source_not_in_the_corpus_is_named_by_its_name_and_file(tmp_path, data_copy, bolton):
    other = (f'<TextSource guid="{G("interview")}" name="interview-1" plainTextPath="internal://{G("interview")}.txt">'
             f'<PlainTextSelection guid="{G("x1")}" startPosition="0" endPosition="5">'
             f'<Coding guid="{G("x2")}" creatingUser="{G("ann")}"><CodeRef targetGUID="{G("style")}"/></Coding>'
             f'</PlainTextSelection><Coding guid="{G("x3")}"><CodeRef targetGUID="{G("style")}"/></Coding>'
             f'</TextSource>'
             f'<TextSource guid="{G("memo")}" name="memo-2"><PlainTextContent>Our notes</PlainTextContent>'
             f'<PlainTextSelection guid="{G("y1")}" startPosition="0" endPosition="3">'
             f'<Coding guid="{G("y2")}"><CodeRef targetGUID="{G("style")}"/></Coding>'
             f'</PlainTextSelection></TextSource>'
             f'<TextSource guid="{G("gone")}" name="gone-3" plainTextPath="relative://gone.txt">'
             f'<PlainTextSelection guid="{G("z1")}" startPosition="0" endPosition="3">'
             f'<Coding guid="{G("z2")}"><CodeRef targetGUID="{G("style")}"/></Coding>'
             f'</PlainTextSelection></TextSource>')
    s8, e8 = bolton["bolton.p08"]
    path = build(tmp_path, [{"start": s8, "end": e8, "codes": [G("style")]}], extra_sources=other)
    with zipfile.ZipFile(path, "a") as z:
        z.writestr(f"sources/{G('interview')}.txt", "Interviewer: hello")
    result = _import(path, data_copy)
    where = [p.where for p in result.problems]
    assert where == [f"source 'interview-1' (sources/{G('interview')}.txt)"] * 2 + [
        "source 'memo-2' (PlainTextContent in project.qde)", "source 'gone-3' (plainTextPath 'relative://gone.txt')"]
    assert [p.message for p in result.problems][1:] == [
        "not in the corpus; 1 coded selection(s) not imported", "not in the corpus; 1 coded selection(s) not imported",
        "its text is not in the archive; 1 coded selection(s) not imported"]


# -- validation: one schema pass, selections of one shape checked once ---------------------------------------

def test_the_validation_shortcut_still_finds_an_error_in_any_selection(tmp_path, data_copy, bolton):
    s8, e8 = bolton["bolton.p08"]
    sel = [{"start": s8, "end": e8, "codes": [G("style")]} for _ in range(300)]
    path = build(tmp_path, sel)
    with zipfile.ZipFile(path) as z:
        qde = z.read("project.qde").decode("utf-8")
    # the 250th selection: a CodeRef GUID that breaks GUIDType, and a start that is not an integer
    marker = f'guid="{G("sel249")}" name="s249" startPosition="{s8}"'
    assert marker in qde
    opening = f'<PlainTextSelection guid="{G("sel249")}"'
    for bad, reason in ((qde.replace(marker, marker.replace(f'"{s8}"', '"12a"')), "startPosition='12a'"),
                        (qde.replace(opening, opening + ' creatingUser="{not-a-guid}"'),
                         "creatingUser='{not-a-guid}'")):
        assert qdpx.schema_errors(qde.encode()) == []
        errors = qdpx.schema_errors(bad.encode())
        assert len(errors) == 1 and reason in errors[0] and "PlainTextSelection" in errors[0]
    hook = qdpx._selection_hook()
    decl, _ = qdpx._selection_model()
    elements = ET.fromstring(qde.encode()).iter(_q("PlainTextSelection"))
    assert [hook(el, decl) for el in elements].count(False) == 1  # 300 selections of one shape: one walked


def test_the_import_benchmarks_project_of_twenty_thousand_selections_imports_whole(tmp_path, corpus):
    """The benchmark's project (benchmarks/bench_import.py times it; no timing is asserted here)."""
    spec = importlib.util.spec_from_file_location("bench_import", ROOT / "benchmarks" / "bench_import.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    project = bench.build_project(corpus, tmp_path / "big.qdpx", 20_000)
    with zipfile.ZipFile(project) as z:
        selections = z.read("project.qde").count(b"<PlainTextSelection ")
    assert selections == 20_000
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    result = qdpx.import_qdpx(project, "bench", data_dir=target, user=bench.USER, write=False)
    assert [p for p in result.problems if "by another user" not in p.message] == []
    assert len(result.codings) > 0


# -- codebook exchange: .qdc ------------------------------------------------------------------------------

def test_the_codebook_round_trips_in_sync(tmp_path, data_copy, capsys):
    qdc = qdpx.export_qdc(lspkit.load_corpus(data_copy), tmp_path / "codes.qdc")
    result = qdpx.import_qdc(qdc, data_dir=data_copy)
    assert result.in_sync and result.differences == [] and result.new == [] and len(result.same) == result.codes
    assert main(["--data", str(data_copy), "import-qdc", str(qdc)]) == 0
    assert "0 differ, 0 new" in capsys.readouterr().out


def _edited_qdc(tmp_path: Path, data: Path) -> Path:
    qdc = qdpx.export_qdc(lspkit.load_corpus(data), tmp_path / "theirs.qdc")
    cb = "{urn:QDA-XML:codebook:1.0}"
    ET.register_namespace("", "urn:QDA-XML:codebook:1.0")
    root = ET.parse(qdc).getroot()
    codes = {c.get("name"): c for c in root.iter(f"{cb}Code")}
    codes["Style"].set("name", "Management style")  # a label
    codes["Systems"].find(f"{cb}Description").text = "Procedures."  # a description
    parent = next(p for p in root.iter(f"{cb}Code") if codes["Community engagement"] in list(p))
    parent.remove(codes["Community engagement"])  # a parent: moved to the top level
    root.find(f"{cb}Codes").append(codes["Community engagement"])
    trust = ET.SubElement(codes["Management style"] if "Management style" in codes else codes["Style"], f"{cb}Code",
                          {"guid": G("trust"), "name": "Trust & reciprocity", "isCodable": "true"})
    ET.SubElement(trust, f"{cb}Description").text = "Partners rely on each other: 'trust'\n  built over years."
    ET.SubElement(trust, f"{cb}Code", {"guid": G("trust2"), "name": "Trust breaks", "isCodable": "true"})
    ET.ElementTree(root).write(qdc, encoding="utf-8", xml_declaration=True)
    return qdc


def test_a_codebook_with_other_codes_is_reported_and_changes_nothing(tmp_path, data_copy, capsys):
    qdc = _edited_qdc(tmp_path, data_copy)
    before = _snapshot(data_copy)
    result = qdpx.import_qdc(qdc, data_dir=data_copy)
    messages = [f"{p.where}: {p.message}" for p in result.differences]
    assert messages == [
        "code 'Management style' (ours: 'style'): label 'Management style' differs from 'Style' in codebook.yml",
        "code 'Systems' (ours: 'systems'): description 'Procedures.' differs from the definition 'performance, "
        "resource and accountability' in codebook.yml",
        "code 'Community engagement' (ours: 'community_engagement'): parent 'none (top level)' differs from "
        "'goals' in codebook.yml"]
    assert [(c.code_id, c.parent, c.definition) for c in result.new] == [
        ("trust_reciprocity", "style", "Partners rely on each other: 'trust' built over years."),
        ("trust_breaks", "trust_reciprocity", "Added from theirs.qdc, which gives this code no description.")]
    assert not result.in_sync
    assert main(["--data", str(data_copy), "import-qdc", str(qdc)]) == 1
    out = capsys.readouterr().out
    assert "- new code 'Management style / Trust & reciprocity': id 'trust_reciprocity', under 'style'" in out
    assert "2 new, not added (run again with --add-codes to add them as themes)" in out
    assert _snapshot(data_copy) == before


def test_add_codes_appends_themes_and_keeps_the_rest_of_the_file(tmp_path, data_copy, capsys):
    qdc = _edited_qdc(tmp_path, data_copy)
    old = (data_copy / "codebook.yml").read_text(encoding="utf-8")
    assert main(["--data", str(data_copy), "import-qdc", str(qdc), "--add-codes"]) == 1  # differences remain
    assert "2 new, added to" in capsys.readouterr().out
    new = (data_copy / "codebook.yml").read_text(encoding="utf-8")
    # one insertion, every other character as it was: the old text is a prefix and a suffix of the new
    start = len(os.path.commonprefix([old, new]))
    end = min(len(os.path.commonprefix([old[::-1], new[::-1]])), len(old) - start)
    assert start + end == len(old) and len(new) > len(old)
    inserted = new[start:len(new) - end]
    assert "  - id: trust_reciprocity\n    label: Trust & reciprocity\n    parent: style\n" in inserted
    assert old.find("\nthemes:\n") < start < (old.find("\nrelations:") % (len(old) + 1))
    codes = lspkit.load_corpus(data_copy).codes.set_index("code_id")
    assert codes.loc["trust_reciprocity", "parent"] == "style"
    assert codes.loc["trust_breaks", "parent"] == "trust_reciprocity"
    assert codes.loc["trust_breaks", "code_kind"] == "theme"
    assert codes.loc["trust_reciprocity", "definition"] == "Partners rely on each other: 'trust' built over years."
    assert lspkit.validate(data_copy) == []
    again = qdpx.import_qdc(qdc, data_dir=data_copy)  # now only the three differences are left
    assert again.new == [] and len(again.differences) == 3


def test_themes_are_appended_inside_the_themes_list_wherever_it_is():
    text = ("# codebook\r\nthemes:\r\n  - id: a\r\n    label: A\r\n    definition: x\r\n\r\n"
            "# the elements\r\nelements:\r\n  - id: e\r\n")
    out = qdpx.append_themes(text, [{"id": "b", "label": "B: yes", "definition": "y"}])
    assert out == ("# codebook\r\nthemes:\r\n  - id: a\r\n    label: A\r\n    definition: x\r\n\r\n"
                   "  - id: b\r\n    label: 'B: yes'\r\n    definition: y\r\n"
                   "\r\n# the elements\r\nelements:\r\n  - id: e\r\n")
    assert qdpx.append_themes("version: 1", [{"id": "b", "label": "B", "definition": "y"}]) == (
        "version: 1\nthemes:\n  - id: b\n    label: B\n    definition: y\n")
    with pytest.raises(LspkitError, match="not written one entry per line"):
        qdpx.append_themes("themes: []\n", [{"id": "b", "label": "B", "definition": "y"}])


def test_a_project_holding_only_a_codebook_is_compared(tmp_path, data_copy, capsys):
    qdc = _edited_qdc(tmp_path, data_copy)
    codes = ET.parse(qdc).getroot().find("{urn:QDA-XML:codebook:1.0}Codes")
    xml = ET.tostring(codes, encoding="unicode").replace("urn:QDA-XML:codebook:1.0", NS)
    project = tmp_path / "codebook-only.qdpx"
    with zipfile.ZipFile(project, "w") as z:
        z.writestr("project.qde", f'<Project xmlns="{NS}" name="codes"><CodeBook>{xml}</CodeBook></Project>')
    before = _snapshot(data_copy)
    result = qdpx.import_qdpx(project, "ann", data_dir=data_copy)
    assert result.written is None and len(result.codebook.new) == 2 and len(result.codebook.differences) == 3
    assert main(["--data", str(data_copy), "import-qdpx", str(project), "--coder", "ann"]) == 1
    out = capsys.readouterr().out
    assert "the project holds a codebook and no codings, so nothing was imported as coder 'ann'" in out
    assert _snapshot(data_copy) == before
    assert main(["--data", str(data_copy), "import-qdc", str(project), "--add-codes"]) == 1
    assert "trust_breaks" in lspkit.load_corpus(data_copy).codes["code_id"].tolist()
