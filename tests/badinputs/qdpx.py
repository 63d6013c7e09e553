"""Bad REFI-QDA archives, codebooks, coder names and export paths: each is refused or reported by name.

The projects are built in the scratch folder by each case's ``setup``: from lspkit's own export of the
data copy where a real project is needed, by hand where the archive itself is broken. Size limits are
tried through the library with small limits (``call``), since the command line keeps the defaults.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from lspkit import load_corpus, qdpx
from lspkit.errors import LspkitError

from . import BadInput, write

NS = qdpx.NS
CB = qdpx.CODEBOOK_NS


def G(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, name)).upper()


def archive(name: str, members: dict[str, str | bytes]):
    """A setup that writes a zip ``{tmp}/<name>`` holding ``members``."""

    def setup(data: Path, tmp: Path) -> None:
        with zipfile.ZipFile(tmp / name, "w", zipfile.ZIP_DEFLATED) as z:
            for member, content in members.items():
                z.writestr(zipfile.ZipInfo(member), content)

    return setup


def exported(name: str = "lsp.qdpx", coders: list[str] | None = None):
    """A setup that exports the data copy as ``{tmp}/<name>``."""

    def setup(data: Path, tmp: Path) -> None:
        qdpx.export_qdpx(load_corpus(data), tmp / name, coders)

    return setup


def _project(sources: str, codes: str | None = None) -> str:
    codes = codes if codes is not None else f'<Code guid="{qdpx.guid("code", "style")}" name="Style" isCodable="true"/>'
    return (f'<Project xmlns="{NS}" name="hand"><Users><User guid="{G("ann")}" name="ann"/></Users>'
            f'<CodeBook><Codes>{codes}</Codes></CodeBook><Sources>{sources}</Sources></Project>')


def _source(name: str, start: int, end: int, code: str | None = None) -> str:
    code = code or qdpx.guid("code", "style")
    return (f'<TextSource guid="{G(name)}" name="{name}" plainTextPath="internal://{G(name)}.txt">'
            f'<PlainTextSelection guid="{G(name + "-sel")}" startPosition="{start}" endPosition="{end}" '
            f'creatingUser="{G("ann")}"><Coding guid="{G(name + "-coding")}"><CodeRef targetGUID="{code}"/>'
            f'</Coding></PlainTextSelection></TextSource>')


def one_source(name: str, source: str, text: bytes | None, start: int = 0, end: int = 5, code: str | None = None,
               codes: str | None = None):
    """A setup writing ``{tmp}/<name>``: one text source ``source`` with one coded selection; ``text``
    (bytes) is the source's file, ``None`` for Bolton's own text."""

    def setup(data: Path, tmp: Path) -> None:
        body = text if text is not None else (data / "raw" / "bolton.txt").read_bytes()
        with zipfile.ZipFile(tmp / name, "w") as z:
            z.writestr("project.qde", _project(_source(source, start, end, code), codes))
            z.writestr(f"sources/{G(source)}.txt", body)

    return setup


def bolton_p08(name: str, start: int | None = None, end: int | None = None, **kw):
    """A project coding Bolton's paragraph 8 (its span read from the data copy, unless given)."""

    def setup(data: Path, tmp: Path) -> None:
        units = load_corpus(data).units.set_index("unit_id")
        span = (start if start is not None else int(units.loc["bolton.p08", "start"]),
                end if end is not None else int(units.loc["bolton.p08", "end"]))
        one_source(name, "bolton", None, *span, **kw)(data, tmp)

    return setup


def with_zeros(name: str, member: str, mib: int):
    """A setup that adds a member of ``mib`` MiB of zeros to ``{tmp}/<name>``."""

    def setup(data: Path, tmp: Path) -> None:
        with zipfile.ZipFile(tmp / name, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            with z.open(member, "w", force_zip64=True) as fh:
                for _ in range(mib):
                    fh.write(bytes(2 ** 20))

    return setup


def chain(*setups):
    def setup(data: Path, tmp: Path) -> None:
        for s in setups:
            s(data, tmp)

    return setup


def edited_codebook(name: str = "theirs.qdc"):
    """A setup writing a ``.qdc`` of the data copy's codebook with 'Style' relabelled and a new code."""

    def setup(data: Path, tmp: Path) -> None:
        path = qdpx.export_qdc(load_corpus(data), tmp / name)
        ET.register_namespace("", CB)
        root = ET.parse(path).getroot()
        style = next(c for c in root.iter(f"{{{CB}}}Code") if c.get("name") == "Style")
        style.set("name", "Management style")
        ET.SubElement(style, f"{{{CB}}}Code", {"guid": G("trust"), "name": "Trust", "isCodable": "true"})
        ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)

    return setup


def codebook_project(name: str = "codes.qdpx", qdc: str = "theirs.qdc"):
    """A setup writing a project ``{tmp}/<name>`` that holds only the codebook of ``{tmp}/<qdc>``."""

    def setup(data: Path, tmp: Path) -> None:
        codes = ET.parse(tmp / qdc).getroot().find(f"{{{CB}}}Codes")
        for el in codes.iter():
            el.tag = el.tag.replace(CB, NS)
        project = ET.Element(f"{{{NS}}}Project", {"name": "codes"})
        ET.SubElement(project, f"{{{NS}}}CodeBook").append(codes)
        archive(name, {"project.qde": ET.tostring(project, encoding="unicode")})(data, tmp)

    return setup


def imports(path: str, *more: str) -> tuple[str, ...]:
    return ("import-qdpx", path, "--coder", "ann", *more)


def limited(id: str, setup, expect: tuple[str, ...], **limits) -> BadInput:
    """A library import of ``{tmp}/big.qdpx`` under small size limits."""
    return BadInput(id=id, setup=setup, raises=LspkitError, expect=expect,
                    call=lambda data, tmp: qdpx.import_qdpx(tmp / "big.qdpx", "ann", data_dir=data, **limits))


BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY a "aaaaaaaaaa">'
                  + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
                  + f']><Project xmlns="{NS}" name="&j;"/>')
XXE = (f'<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       f'<Project xmlns="{NS}" name="&x;"/>')
LONG_CODER = "a" * 300

CASES: list[BadInput] = [
    # -- the file itself
    BadInput(id="qdpx-not-a-zip", setup=write("{tmp}/notes.qdpx", "just text"), argv=imports("{tmp}/notes.qdpx"),
             expect=("{tmp}/notes.qdpx: not a zip archive", "export the project from your QDA program")),
    BadInput(id="qdpx-empty-file", setup=write("{tmp}/empty.qdpx", b""), argv=imports("{tmp}/empty.qdpx"),
             expect=("{tmp}/empty.qdpx: an empty file, not a zip archive",)),
    BadInput(id="qdpx-missing-file", argv=imports("{tmp}/missing.qdpx"),
             expect=("{tmp}/missing.qdpx: file not found", "give the path of a .qdpx file")),
    BadInput(id="qdpx-a-folder", argv=imports("{tmp}"), expect=("{tmp}: is a folder, not a .qdpx file",)),
    BadInput(id="qdpx-zip-without-project", setup=archive("x.qdpx", {"readme.txt": "hello"}),
             argv=imports("{tmp}/x.qdpx"),
             expect=("{tmp}/x.qdpx: the archive holds no project.qde",)),
    BadInput(id="qdpx-several-projects", setup=archive("x.qdpx", {"a.qde": "<x/>", "b.qde": "<x/>"}),
             argv=imports("{tmp}/x.qdpx"), expect=("the archive holds several .qde files: a.qde, b.qde",)),
    BadInput(id="qdpx-malformed-xml", setup=archive("x.qdpx", {"project.qde": "<Project><Users></Project>"}),
             argv=imports("{tmp}/x.qdpx"), expect=("{tmp}/x.qdpx!project.qde, line 1, column", "not valid XML")),
    BadInput(id="qdpx-billion-laughs", setup=archive("x.qdpx", {"project.qde": BILLION_LAUGHS}),
             argv=imports("{tmp}/x.qdpx"), expect=("{tmp}/x.qdpx!project.qde: declares a DTD", "refused")),
    BadInput(id="qdpx-xxe", setup=archive("x.qdpx", {"project.qde": XXE}), argv=imports("{tmp}/x.qdpx"),
             expect=("{tmp}/x.qdpx!project.qde: declares a DTD",)),
    BadInput(id="qdpx-schema-invalid",
             setup=archive("x.qdpx", {"project.qde": f'<Project xmlns="{NS}" name="x"><Users><User guid="no"/>'
                                                     "</Users></Project>"}),
             argv=imports("{tmp}/x.qdpx"),
             expect=("{tmp}/x.qdpx!project.qde: breaks the REFI-QDA schema: /Project/Users/User: "
                     "attribute guid='no'",)),
    BadInput(id="qdpx-member-escaping", setup=archive("y.qdpx", {
        "project.qde": f'<Project xmlns="{NS}" name="x"/>', "../../etc/cron.d/evil": "x"}),
             argv=imports("{tmp}/y.qdpx"),
             expect=("{tmp}/y.qdpx, member '../../etc/cron.d/evil': its name points outside the archive",)),
    BadInput(id="qdpx-member-absolute", setup=archive("x.qdpx", {"project.qde": f'<Project xmlns="{NS}" name="x"/>',
                                                                 "/tmp/evil.txt": "x"}),
             argv=imports("{tmp}/x.qdpx"), expect=("member '/tmp/evil.txt': its name points outside the archive",)),
    limited("qdpx-oversize-referenced-member",
            chain(bolton_p08("big.qdpx"), with_zeros("big.qdpx", "sources/z.txt", 1)),
            ("member 'sources/" + G("bolton") + ".txt' holds 12.8 KiB uncompressed, more than the limit of 4.0 KiB "
             "for one member (MAX_MEMBER_BYTES); not read",), max_member_bytes=4096),
    limited("qdpx-oversize-project-member", bolton_p08("big.qdpx"),
            ("big.qdpx!project.qde: member 'project.qde' holds", "the limit of 100 bytes for one member"),
            max_member_bytes=100),
    limited("qdpx-archive-limit", bolton_p08("big.qdpx"),
            ("more than the limit of 8.0 KiB for all the members read from one archive (MAX_ARCHIVE_BYTES)",),
            max_archive_bytes=8192),
    # -- users and coder names
    BadInput(id="qdpx-unknown-user", setup=exported(), argv=imports("{tmp}/lsp.qdpx", "--user", "cat"),
             expect=("parameter user: no codings by user 'cat' in lsp.qdpx", "users with codings:", "researcher (")),
    BadInput(id="qdpx-several-users", setup=exported(), argv=imports("{tmp}/lsp.qdpx"),
             expect=("the file holds codings by 5 users", "pick one with --user")),
    BadInput(id="qdpx-coder-existing-human", setup=exported(),
             argv=("import-qdpx", "{tmp}/lsp.qdpx", "--coder", "researcher", "--user", "auto"),
             expect=("{data}/codings/researcher.csv: coder 'researcher' is a human coder", "never overwrites")),
    BadInput(id="qdpx-coder-structure", setup=exported(),
             argv=("import-qdpx", "{tmp}/lsp.qdpx", "--coder", "structure", "--user", "auto"),
             expect=("coder id 'structure' is the derived coder",)),
    BadInput(id="qdpx-coder-auto", setup=exported(),
             argv=("import-qdpx", "{tmp}/lsp.qdpx", "--coder", "auto", "--user", "auto"),
             expect=("{data}/coders.csv: coder 'auto' is registered as 'machine'", "choose another coder name")),
    BadInput(id="qdpx-coder-too-long", setup=exported(),
             argv=("import-qdpx", "{tmp}/lsp.qdpx", "--coder", LONG_CODER, "--user", "auto"),
             expect=("is 300 characters long, more than 40", "use up to 40 lower-case letters")),
    BadInput(id="qdpx-coder-not-a-slug", setup=exported(),
             argv=("import-qdpx", "{tmp}/lsp.qdpx", "--coder", "../anna", "--user", "auto"),
             expect=("parameter coder: coder id '../anna' is not a usable slug",)),
    # -- what the project holds
    BadInput(id="qdpx-source-not-in-corpus", setup=one_source("x.qdpx", "interview-1", b"Interviewer: hello"),
             argv=imports("{tmp}/x.qdpx"),
             expect=(f"source 'interview-1' (sources/{G('interview-1')}.txt): not in the corpus; 1 coded selection(s) "
                     "not imported", "none of the 1 coded selection(s) in the project could be mapped onto a unit")),
    BadInput(id="qdpx-source-text-differs",
             setup=one_source("x.qdpx", "bolton", "Bolton, edited in the QDA program".encode()),
             argv=imports("{tmp}/x.qdpx"),
             expect=("source 'bolton' (sources/", "its text differs from the corpus's 'bolton' text (first at line 1")),
    BadInput(id="qdpx-source-not-utf8", setup=one_source("x.qdpx", "bolton", b"Bolton \xff\xfe text"),
             argv=imports("{tmp}/x.qdpx"), expect=("its text is not UTF-8 (byte 7)",)),
    BadInput(id="qdpx-impossible-positions", setup=bolton_p08("x.qdpx", start=5, end=10 ** 9),
             argv=imports("{tmp}/x.qdpx"), expect=("[5:1000000000]: impossible positions",)),
    BadInput(id="qdpx-unknown-code", setup=bolton_p08("x.qdpx", code=G("trust"), codes=(
        f'<Code guid="{G("trust")}" name="Trust" isCodable="true"/>')), argv=imports("{tmp}/x.qdpx"),
             expect=("code 'Trust': unknown code (1 coding(s))", "lspkit import-qdc {tmp}/x.qdpx --add-codes")),
    BadInput(id="qdpx-no-codings", setup=exported("blank.qdpx", []), argv=imports("{tmp}/blank.qdpx"),
             expect=("{tmp}/blank.qdpx!project.qde: the project holds no codings: its 3 source(s) have no coded "
                     "selections",)),
    BadInput(id="qdpx-blank-project", setup=archive("x.qdpx", {"project.qde": f'<Project xmlns="{NS}" name="x"/>'}),
             argv=imports("{tmp}/x.qdpx"),
             expect=("the project is empty: it holds no sources, no codes and no codings",)),
    # -- codebooks
    BadInput(id="qdpx-qdc-differing-codes-without-add-codes", setup=edited_codebook(),
             argv=("import-qdc", "{tmp}/theirs.qdc"),
             expect=("- differs: {tmp}/theirs.qdc, code 'Management style' (ours: 'style'): label 'Management style' "
                     "differs from 'Style' in codebook.yml", "- new code 'Management style / Trust': id 'trust'",
                     "1 differ, 1 new, not added (run again with --add-codes to add them as themes)")),
    BadInput(id="qdpx-qdc-codebook-only-project-differs", setup=chain(edited_codebook(), codebook_project()),
             argv=imports("{tmp}/codes.qdpx"),
             expect=("the project holds a codebook and no codings, so nothing was imported as coder 'ann'",
                     "1 differ, 1 new")),
    BadInput(id="qdpx-qdc-missing-file", argv=("import-qdc", "{tmp}/none.qdc"),
             expect=("{tmp}/none.qdc: file not found",)),
    BadInput(id="qdpx-qdc-not-a-codebook", setup=write("{tmp}/x.qdc", "<Codes/>"), argv=("import-qdc", "{tmp}/x.qdc"),
             expect=("{tmp}/x.qdc: not a REFI-QDA codebook: its root element is 'Codes'",)),
    BadInput(id="qdpx-qdc-schema-invalid", setup=write("{tmp}/x.qdc", f'<CodeBook xmlns="{CB}"><Codes><Code name="x"/>'
                                                                  "</Codes></CodeBook>"),
             argv=("import-qdc", "{tmp}/x.qdc"), expect=("{tmp}/x.qdc: breaks the REFI-QDA schema",)),
    BadInput(id="qdpx-qdc-dtd", setup=write("{tmp}/x.qdc", XXE.replace("Project", "CodeBook")),
             argv=("import-qdc", "{tmp}/x.qdc", "--add-codes"), expect=("{tmp}/x.qdc: declares a DTD",)),
    # -- export paths
    BadInput(id="qdpx-export-to-a-folder", argv=("export-qdpx", "{tmp}"),
             expect=("{tmp}: is a folder, not a file name", "e.g. {tmp}/lsp.qdpx")),
    BadInput(id="qdpx-export-under-a-file", setup=write("{tmp}/afile", "x"), argv=("export-qdpx", "{tmp}/afile/x.qdpx"),
             expect=("{tmp}/afile/x.qdpx: cannot be written: {tmp}/afile is a file, not a folder",)),
    BadInput(id="qdpx-qdc-export-under-a-file", setup=write("{tmp}/afile", "x"),
             argv=("export-qdpx", "--codebook-only", "{tmp}/afile/sub/x.qdc"),
             expect=("{tmp}/afile/sub/x.qdc: cannot be written: {tmp}/afile is a file, not a folder",)),
    BadInput(id="qdpx-export-unknown-coder", argv=("export-qdpx", "{tmp}/x.qdpx", "--coder", "nobody"),
             expect=("parameter coder: unknown coder 'nobody'", "registered coders: structure")),
]
