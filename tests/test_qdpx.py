"""REFI-QDA export and import: schema validity, determinism, the round trip, and real programs' conventions.

Conventions covered by the hand-built files below (each imported correctly or reported/refused):
upper- and lower-case GUIDs with and without braces; ``Sources/`` and ``sources/``; inline
``PlainTextContent``; CRLF line endings and a byte-order mark in a source; codes nested two deep and
matched by name (label or id) when their GUIDs are foreign; a selection inside a unit, covering part of a
paragraph, crossing two units, outside every unit, on boilerplate, with impossible positions; a source
not in the corpus and one whose text differs; codings of a whole source; several users; a file that
is not a zip, a zip without a .qde, a .qde that is not XML, one that breaks the schema, an unknown code.
"""

from __future__ import annotations

import io
import re
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

from .conftest import DATA

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
    assert names == sorted(names) and names[-1] == "project.qde"
    assert all(n.startswith("Sources/") and n.endswith(".txt") for n in names[:-1])
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
        path = "Sources/" + src.get("plainTextPath").removeprefix("internal://")
        text = entries[path].decode("utf-8")
        assert text == (DATA / "raw" / f"{case_id}.txt").read_bytes().decode("utf-8")
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
    # the hierarchy: themes under their parents, two deep for mainstream budgets; descriptions kept
    steering = next(c for c in root.iter(_q("Code")) if c.get("name") == "Steering")
    pooled = next(c for c in steering.findall(_q("Code")) if c.get("name").startswith("Pooled"))
    assert [c.get("name") for c in pooled.findall(_q("Code"))] == ["Influencing mainstream budgets"]
    assert steering.find(_q("Description")).text.startswith("Internal processes the partnership uses")
    top = [c.get("name") for c in root.find(_q("CodeBook")).find(_q("Codes")).findall(_q("Code"))]
    assert top == [labels[e] for e in corpus.elements] + ["Transformational-transactional interdependence"]
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
    with pytest.raises(LspkitError, match="no coding in the file could be mapped") as info:
        _import(path, data_copy, coder="bob")
    assert "its text differs from the corpus's 'bolton' text" in str(info.value)


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
    assert result.codings.values.tolist() == [["bolton.p09", "steering", "bob", ""]]
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
                           ("auto", "registered as 'machine'"), ("structure", "not a usable slug"),
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
