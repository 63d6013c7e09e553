"""REFI-QDA interchange: the corpus to ``.qdpx`` and ``.qdc``, and other programs' codings back in.

This module owns lspkit's side of the REFI-QDA exchange standard (QDA-XML 1.0, www.qdasoftware.org)
that NVivo, ATLAS.ti, MAXQDA and QualCoder read and write: writing a project (``.qdpx``) or a
codebook (``.qdc``), reading a project written by any of them, and mapping its codings onto units.

**Export.** A ``.qdpx`` is a zip holding ``project.qde`` (the XML) and, under ``Sources/``, each case
study as plain UTF-8 text, named ``internal://<GUID>.txt``. The project holds every coder as a
``User``; the codebook with its hierarchy (themes nested under their parent) and the definitions
as descriptions; the case attributes of ``cases.csv`` as ``Variables`` set on each ``Case``; and
every coder's codings as one ``PlainTextSelection`` per unit and coder, on the unit's exact
character span, each code a ``Coding`` (memos become ``Notes``). Positions are character positions
(Unicode code points) in the plain text, which is the raw file itself. GUIDs are UUID-5s of stable
names (``code:goals``, ``user:researcher`` ...), and the zip has sorted entries and fixed
timestamps, so the same corpus always exports the same bytes. Every file written is first
validated against the REFI-QDA ``Project.xsd`` shipped in ``lspkit/schemas/`` (a ``.qdc`` against
its ``CodeBookType``, which the codebook standard shares).

**Import conventions** (each either imported correctly or reported; nothing is dropped silently):

* the ``.qde`` may sit at the zip's root under any name ending ``.qde``; sources may be under
  ``Sources/`` or ``sources/`` (any case), or inline as ``PlainTextContent``;
* GUIDs are compared without braces and ignoring case (``{ABC...}`` matches ``abc...``);
* codes may be nested to any depth; each used code is matched to lspkit's codebook by GUID, else
  by name (its id or its label, ignoring case, spaces and underscores); a used code that matches
  neither is an error naming it; codes nobody used are ignored;
* a source is matched to a case by its text (equal to ``data/raw/<case>.txt`` after removing a
  byte-order mark and turning CRLF or CR into LF, positions re-mapped accordingly); a source whose
  name or GUID names a case but whose text differs, and a source that is not in the corpus, are
  reported with the number of selections not imported;
* a selection codes every unit whose span it overlaps by at least one non-space character: inside
  a unit, or covering part of a paragraph, it codes that unit; crossing two units, it codes both;
  one that touches no unit (a heading, a paragraph number, the front matter), only boilerplate,
  or has impossible positions is reported; a selection without a coding codes nothing;
* a coding is attributed to ``Coding@creatingUser``, else the selection's, else the source's, else
  the project's creating user; with codings from more than one user, ``user`` picks one;
* codings of a whole source, and selections in picture, PDF, audio or video sources, are reported;
* not a zip, no ``.qde``, XML that does not parse and XML that breaks the schema are errors.

The imported codings are written as ``codings/<coder>.csv`` in the data directory and a new coder is
registered in ``coders.csv`` with kind ``imported``; a human coder registered by hand may receive its
first codings this way, but an import never overwrites a human coder's codings, nor a machine or
derived coder.

Example:
    >>> import tempfile, pathlib
    >>> from lspkit import load_corpus
    >>> out = export_qdpx(load_corpus(), pathlib.Path(tempfile.mkdtemp()) / "lsp.qdpx")
    >>> sorted(n.split("/")[0] for n in zipfile.ZipFile(out).namelist())[-1]
    'project.qde'
    >>> project = read_qdpx(out)
    >>> sorted(project.users["name"])
    ['auto', 'researcher', 'structure']
"""

from __future__ import annotations

import io
import re
import uuid
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Iterable

import pandas as pd

from .codings import (CODER_RE, CODING_COLUMNS, DERIVED_CODER, atomic_write_bytes, load_coders, register_coder,
                      write_codings)
from .corpus import Corpus, default_data_dir, load_corpus
from .errors import LspkitError, Problem

NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "Project.xsd"
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:lspkit:refi-qda")
ZIP_DATE = (2009, 4, 1, 0, 0, 0)  # the case studies' publication month: a fixed, honest timestamp
PROJECT_NAME = "Working better together? LSP case studies (lspkit)"
INTEGER_TYPES = ("Int64", "int64", "int32")


def guid(kind: str, *names: str) -> str:
    """The deterministic GUID of one thing: a UUID-5 of ``kind:name...``, upper case, no braces.

    >>> guid("code", "goals") == guid("code", "goals") != guid("code", "style")
    True
    >>> len(guid("user", "researcher"))
    36
    """
    return str(uuid.uuid5(GUID_NAMESPACE, ":".join((kind,) + names))).upper()


def normalise_guid(value: str | None) -> str:
    """A GUID as lspkit compares them: no braces, no spaces, lower case.

    >>> normalise_guid("{ABCDEF01-2345-6789-ABCD-EF0123456789}")
    'abcdef01-2345-6789-abcd-ef0123456789'
    """
    return (value or "").strip().strip("{}").strip().lower()


# -- schemas ---------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def project_schema():
    """The REFI-QDA Project schema (``xmlschema.XMLSchema``), loaded once."""
    import xmlschema

    return xmlschema.XMLSchema(str(SCHEMA_PATH))


@lru_cache(maxsize=1)
def codebook_schema():
    """A schema for ``.qdc`` files: the Project schema's types, root ``CodeBook`` of ``CodeBookType``,
    in the codebook namespace. The official ``Codebook.xsd`` is not shipped; the standard gives the
    codebook file the same ``Codes/Code`` structure as a project's ``CodeBook``."""
    import xmlschema

    text = SCHEMA_PATH.read_text(encoding="utf-8")
    text = text.replace(f'"{NS}"', f'"{CODEBOOK_NS}"')
    text = text.replace('<xsd:element name="Project" type="ProjectType">',
                        '<xsd:element name="CodeBook" type="CodeBookType">')
    return xmlschema.XMLSchema(text)


def schema_errors(xml: bytes, kind: str = "project") -> list[str]:
    """Every way ``xml`` breaks the REFI-QDA schema (``kind`` 'project' or 'codebook'); empty if valid.

    >>> schema_errors(b'<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>')
    []
    """
    schema = project_schema() if kind == "project" else codebook_schema()
    return [f"{err.path or '/'}: {err.reason}" for err in schema.iter_errors(io.BytesIO(xml))]


# -- export ----------------------------------------------------------------------------------------

def _el(parent: ET.Element | None, tag: str, attrs: dict[str, object] | None = None,
        text: str | None = None) -> ET.Element:
    attrib = {k: str(v) for k, v in (attrs or {}).items() if v is not None and v != ""}
    el = ET.Element(tag, attrib) if parent is None else ET.SubElement(parent, tag, attrib)
    if text is not None:
        el.text = text
    return el


def _code_description(code: pd.Series) -> str:
    parts = [code["definition"]]
    if code.get("include"):
        parts.append(f"Include: {code['include']}")
    if code.get("exclude"):
        parts.append(f"Exclude: {code['exclude']}")
    return "\n".join(p for p in parts if p)


def _codes_element(parent: ET.Element, corpus: Corpus) -> ET.Element:
    codes = corpus.codes.copy()
    codes["parent"] = codes["parent"].where(codes["parent"].isin(set(codes["code_id"])))
    children: dict[str | None, list[pd.Series]] = {}
    for _, code in codes.iterrows():
        key = code["parent"] if isinstance(code["parent"], str) else None
        children.setdefault(key, []).append(code)
    container = _el(parent, "Codes")

    def add(into: ET.Element, code: pd.Series) -> None:
        el = _el(into, "Code", {"guid": guid("code", code["code_id"]), "name": code["label"], "isCodable": "true"})
        _el(el, "Description", text=_code_description(code))
        for child in children.get(code["code_id"], []):
            add(el, child)

    for code in children.get(None, []):
        add(container, code)
    return container


def _serialise(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8",
                                                                   xml_declaration=False) + b"\n"


def codebook_xml(corpus: Corpus) -> bytes:
    """The codebook as a REFI-QDA ``.qdc`` document (root ``CodeBook``, codebook namespace)."""
    root = _el(None, "CodeBook", {"xmlns": CODEBOOK_NS})
    _codes_element(root, corpus)
    return _serialise(root)


def _variable_type(series: pd.Series) -> str:
    return "Integer" if str(series.dtype) in INTEGER_TYPES else "Text"


def project_xml(corpus: Corpus, coders: Iterable[str] | None = None) -> tuple[bytes, dict[str, bytes]]:
    """The project document and its source files: ``(project.qde bytes, {zip path: text bytes})``.

    ``coders`` limits the codings (and users) exported; by default every registered coder. An empty
    list exports no codings at all: the project to give a second coder who must code blind.
    """
    coder_ids = corpus.coder_ids if coders is None else [corpus.check_coder(c) for c in dict.fromkeys(coders)]
    root = _el(None, "Project", {"xmlns": NS, "name": PROJECT_NAME, "origin": "lspkit"})
    if coder_ids:
        users = _el(root, "Users")
        for coder in coder_ids:
            _el(users, "User", {"guid": guid("user", coder), "name": coder, "id": coder})
    _codes_element(_el(root, "CodeBook"), corpus)

    attributes = [c for c in corpus.cases.columns if c != "case_id"]
    if attributes and len(corpus.cases):
        variables = _el(root, "Variables")
        for col in attributes:
            _el(variables, "Variable", {"guid": guid("variable", col), "name": col,
                                        "typeOfVariable": _variable_type(corpus.cases[col])})
    cases = _el(root, "Cases") if len(corpus.cases) else None
    for rec in corpus.cases.to_dict("records"):
        case = _el(cases, "Case", {"guid": guid("case", rec["case_id"]), "name": rec["case_id"]})
        _el(case, "Description", text=str(rec.get("partnership") or rec["case_id"]))
        for col in attributes:
            value = rec[col]
            if value is None or value is pd.NA or (isinstance(value, float) and value != value) or value == "":
                continue
            vv = _el(case, "VariableValue")
            _el(vv, "VariableRef", {"targetGUID": guid("variable", col)})
            if _variable_type(corpus.cases[col]) == "Integer":
                _el(vv, "IntegerValue", text=str(int(value)))
            else:
                _el(vv, "TextValue", text=str(value))
        if rec["case_id"] in corpus.raw:
            _el(case, "SourceRef", {"targetGUID": guid("source", rec["case_id"])})

    codings = corpus.codings[corpus.codings["coder"].isin(coder_ids)]
    units = corpus.units.set_index("unit_id")
    code_order = {c: i for i, c in enumerate(corpus.codes["code_id"])}
    coder_order = {c: i for i, c in enumerate(coder_ids)}
    files: dict[str, bytes] = {}
    notes: list[tuple[str, str, str, str]] = []  # (guid, name, coder, memo)
    sources = _el(root, "Sources") if corpus.raw else None
    for case_id in corpus.case_ids:
        if case_id not in corpus.raw:
            continue
        source_guid = guid("source", case_id)
        title = corpus.cases.set_index("case_id").loc[case_id].get("title", case_id)
        src = _el(sources, "TextSource", {"guid": source_guid, "name": case_id,
                                          "plainTextPath": f"internal://{source_guid}.txt"})
        _el(src, "Description", text=f"{title}. Audit Commission, 'Working better together?' case study "
                                     "(public sector information), reproduced verbatim.")
        files[f"Sources/{source_guid}.txt"] = corpus.raw[case_id].encode("utf-8")
        case_units = corpus.units.loc[corpus.units["case_id"] == case_id, "unit_id"]
        case_codings = codings[codings["unit_id"].isin(set(case_units))]
        order = {u: i for i, u in enumerate(case_units)}
        case_codings = case_codings.assign(_u=case_codings["unit_id"].map(order),
                                           _k=case_codings["coder"].map(coder_order),
                                           _c=case_codings["code_id"].map(code_order))
        case_codings = case_codings.sort_values(["_u", "_k", "_c"], kind="stable")
        for (unit_id, coder), part in case_codings.groupby(["unit_id", "coder"], sort=False):
            unit = units.loc[unit_id]
            user = guid("user", coder)
            sel = _el(src, "PlainTextSelection", {"guid": guid("selection", coder, unit_id), "name": unit_id,
                                                  "startPosition": int(unit["start"]),
                                                  "endPosition": int(unit["end"]), "creatingUser": user})
            _el(sel, "Description", text=str(unit["citation"]))
            for rec in part.itertuples(index=False):
                coding = _el(sel, "Coding", {"guid": guid("coding", coder, unit_id, rec.code_id),
                                             "creatingUser": user})
                _el(coding, "CodeRef", {"targetGUID": guid("code", rec.code_id)})
                if rec.memo:
                    note_guid = guid("note", coder, unit_id, rec.code_id)
                    _el(coding, "NoteRef", {"targetGUID": note_guid})
                    notes.append((note_guid, f"{coder}: {unit_id} {rec.code_id}", user, rec.memo))
    if notes:
        notes_el = _el(root, "Notes")
        for note_guid, name, user, memo in notes:
            note = _el(notes_el, "Note", {"guid": note_guid, "name": name, "creatingUser": user})
            _el(note, "PlainTextContent", text=memo)
    _el(root, "Description", text="Exported by lspkit: the 'Working better together?' case studies (Audit "
                                  "Commission 2009) with the public sector 7S codebook and every coder's codings, "
                                  "one selection per unit and coder on the unit's exact character span.")
    return _serialise(root), files


def _zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            archive.writestr(info, entries[name], compresslevel=9)
    return buffer.getvalue()


def _check_valid(xml: bytes, kind: str, target: Path) -> None:
    errors = schema_errors(xml, kind)
    if errors:  # pragma: no cover - a bug in the exporter, not in the user's data
        raise LspkitError([Problem(str(target), "", f"export breaks the REFI-QDA schema: {e}") for e in errors[:10]])


def export_qdpx(corpus: Corpus | None, path: str | Path, coders: Iterable[str] | None = None) -> Path:
    """Write the corpus as a REFI-QDA project ``.qdpx`` (validated first), atomically; returns the path.

    ``corpus`` defaults to :func:`~lspkit.corpus.load_corpus` of the default data directory;
    ``coders`` as in :func:`project_xml` (``[]`` for a project without codings).
    """
    corpus = corpus if corpus is not None else load_corpus()
    path = Path(path)
    xml, files = project_xml(corpus, coders)
    _check_valid(xml, "project", path)
    return atomic_write_bytes(path, _zip_bytes({"project.qde": xml, **files}))


def export_qdc(corpus: Corpus | None, path: str | Path) -> Path:
    """Write the codebook alone as a REFI-QDA ``.qdc`` (validated first), atomically; returns the path."""
    corpus = corpus if corpus is not None else load_corpus()
    path = Path(path)
    xml = codebook_xml(corpus)
    _check_valid(xml, "codebook", path)
    return atomic_write_bytes(path, xml)


# -- reading -----------------------------------------------------------------------------------------

def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


@dataclass
class QdpxProject:
    """A parsed ``.qdpx``: its XML root, the texts of its sources by zip path, and indexes by GUID."""

    path: Path
    root: ET.Element
    entries: dict[str, bytes]
    qde_name: str
    users: pd.DataFrame  # guid (normalised), name
    codes: pd.DataFrame  # guid (normalised), name, path (names from the top, joined by ' / ')
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.root.get("name", "")

    @property
    def origin(self) -> str:
        return self.root.get("origin", "")


def read_qdpx(path: str | Path) -> QdpxProject:
    """Open a ``.qdpx``, parse its ``.qde`` and validate it against the REFI-QDA schema.

    Raises :class:`~lspkit.errors.LspkitError` when the file is missing, not a zip, has no ``.qde``,
    or holds XML that does not parse or breaks the schema.
    """
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise LspkitError([Problem(name, "", "file not found", "give the path of a .qdpx file")])
    try:
        with zipfile.ZipFile(path) as archive:
            entries = {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise LspkitError([Problem(name, "", f"not a zip archive ({exc})",
                                   "a .qdpx is a zip holding project.qde; export the project from your QDA "
                                   "program as a REFI-QDA project (.qdpx)")]) from None
    qdes = sorted(n for n in entries if n.lower().endswith(".qde"))
    at_root = [n for n in qdes if "/" not in n]
    if len(at_root) == 1 or (len(qdes) == 1):
        qde_name = at_root[0] if len(at_root) == 1 else qdes[0]
    elif not qdes:
        raise LspkitError([Problem(name, "", "the archive holds no project.qde",
                                   "a .qdpx holds project.qde at its root; is this a REFI-QDA project?")])
    else:
        raise LspkitError([Problem(name, "", f"the archive holds several .qde files: {', '.join(qdes)}",
                                   "keep one project.qde at the root")])
    xml = entries[qde_name]
    where = f"{name}!{qde_name}"
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        line, column = exc.position
        raise LspkitError([Problem(where, f"line {line}, column {column}", f"not valid XML: {exc}",
                                   "the .qde must be well-formed XML; re-export the project")]) from None
    errors = schema_errors(xml, "project")
    if errors:
        problems = [Problem(where, "", f"breaks the REFI-QDA schema: {e}",
                            "the file must follow QDA-XML 1.0 (Project.xsd)") for e in errors[:20]]
        if len(errors) > 20:
            problems.append(Problem(where, "", f"... and {len(errors) - 20} more schema errors"))
        raise LspkitError(problems)

    users = [(normalise_guid(u.get("guid")), u.get("name") or u.get("id") or u.get("guid"))
             for u in root.iter(_q("User"))]
    codes = []

    def walk(el: ET.Element, trail: tuple[str, ...]) -> None:
        for code in el.findall(_q("Code")):
            here = trail + (code.get("name", ""),)
            codes.append((normalise_guid(code.get("guid")), code.get("name", ""), " / ".join(here)))
            walk(code, here)

    codes_el = root.find(f"{_q('CodeBook')}/{_q('Codes')}")
    if codes_el is not None:
        walk(codes_el, ())
    notes = {}
    notes_el = root.find(_q("Notes"))
    if notes_el is not None:
        for note in notes_el.findall(_q("Note")):
            content = note.find(_q("PlainTextContent"))
            notes[normalise_guid(note.get("guid"))] = (content.text or "") if content is not None else ""
    return QdpxProject(path, root, entries, qde_name, pd.DataFrame(users, columns=["guid", "name"]),
                       pd.DataFrame(codes, columns=["guid", "name", "path"]), notes)


# -- import ------------------------------------------------------------------------------------------

@dataclass
class QdpxImport:
    """What an import found: the codings mapped to units, and every item it could not import."""

    codings: pd.DataFrame  # unit_id, code_id, coder, memo
    problems: list[Problem]  # reported, not imported
    users: pd.DataFrame  # user, guid, codings (unit-code pairs found per user)
    coder: str
    user: str | None
    written: Path | None = None


def _name_key(text: str) -> str:
    return " ".join(str(text).replace("_", " ").casefold().split())


def _normalise_text(text: str) -> tuple[str, list[int]]:
    """Text without a BOM and with CRLF/CR as LF, plus the map from each old position to the new one."""
    out: list[str] = []
    pos: list[int] = []
    i = 0
    if text.startswith("\ufeff"):
        pos.append(0)
        i = 1
    while i < len(text):
        ch = text[i]
        pos.append(len(out))
        if ch == "\r":
            if i + 1 < len(text) and text[i + 1] == "\n":
                pos.append(len(out))
                i += 1
            out.append("\n")
        else:
            out.append(ch)
        i += 1
    pos.append(len(out))
    return "".join(out), pos


def _source_text(project: QdpxProject, src: ET.Element) -> str | None:
    content = src.find(_q("PlainTextContent"))
    if content is not None and content.text is not None:
        return content.text
    target = src.get("plainTextPath") or ""
    if not target:
        return None
    base = re.sub(r"^[a-z]+:(//)?/*", "", target, flags=re.IGNORECASE)
    wanted = PurePosixPath(base.replace("\\", "/")).name.casefold()
    candidates = [n for n in project.entries
                  if PurePosixPath(n).name.casefold() == wanted
                  and (len(PurePosixPath(n).parts) == 1 or PurePosixPath(n).parts[0].casefold() == "sources")]
    if not candidates:
        return None
    data = project.entries[sorted(candidates)[0]]
    try:
        return data.decode("utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _excerpt(text: str, start: int, end: int, words: int = 8) -> str:
    part = " ".join(text[max(start, 0):max(end, 0)].split())
    cut = part.split()
    return " ".join(cut[:words]) + ("…" if len(cut) > words else "")


def _match_code(code_guid: str, project: QdpxProject, corpus: Corpus) -> tuple[str | None, str]:
    """lspkit's code id for a code GUID of the file (by GUID, else by name), and the file's name for it."""
    ours = {normalise_guid(guid("code", c)): c for c in corpus.codes["code_id"]}
    if code_guid in ours:
        return ours[code_guid], ours[code_guid]
    row = project.codes[project.codes["guid"] == code_guid]
    if row.empty:
        return None, code_guid
    name = row["name"].iloc[0]
    by_name = {}
    for rec in corpus.codes.itertuples(index=False):
        by_name.setdefault(_name_key(rec.code_id), rec.code_id)
        by_name.setdefault(_name_key(rec.label), rec.code_id)
    return by_name.get(_name_key(name)), row["path"].iloc[0]


def map_codings(project: QdpxProject, corpus: Corpus) -> tuple[pd.DataFrame, list[Problem]]:
    """Every coding in the project mapped to units: one row per selection, unit, code and user.

    Columns ``unit_id, code_id, user_guid, code_name, memo`` (``code_id`` is empty for a code the
    codebook lacks). The problems list every item not mapped, each with where it is in the file.
    """
    where_file = f"{project.path}!{project.qde_name}"
    problems: list[Problem] = []
    rows: list[tuple[str, str | None, str, str, str]] = []
    units = corpus.units
    project_user = normalise_guid(project.root.get("creatingUserGUID"))
    case_names = {}
    for rec in corpus.cases.to_dict("records"):
        for key in (rec["case_id"], rec.get("short_name"), rec.get("partnership"), rec.get("title")):
            if key:
                case_names.setdefault(_name_key(key), rec["case_id"])
    source_guids = {normalise_guid(guid("source", c)): c for c in corpus.case_ids}
    raw_by_text = {text: cid for cid, text in corpus.raw.items()}
    code_cache: dict[str, tuple[str | None, str]] = {}

    sources_el = project.root.find(_q("Sources"))
    for src in (list(sources_el) if sources_el is not None else []):
        tag = src.tag.split("}")[-1]
        label = src.get("name") or src.get("guid")
        n_selections = sum(1 for el in src.iter() if el.tag.endswith("Selection"))
        if tag != "TextSource":
            if n_selections or src.find(_q("Coding")) is not None:
                problems.append(Problem(where_file, f"{tag} {label!r}", f"{n_selections} selection(s) in a "
                                        f"{tag} not imported", "lspkit codes the plain-text case studies only"))
            continue
        selections = src.findall(_q("PlainTextSelection"))
        coded = [s for s in selections if s.find(_q("Coding")) is not None]
        for whole in src.findall(_q("Coding")):
            problems.append(Problem(where_file, f"source {label!r}", "a coding of the whole source was not imported",
                                    "lspkit codes units; code the passages in your QDA program instead"))
        if not coded:
            continue
        text = _source_text(project, src)
        named = source_guids.get(normalise_guid(src.get("guid"))) or case_names.get(
            _name_key(re.sub(r"\.(txt|docx?|rtf|pdf)$", "", label or "", flags=re.IGNORECASE)))
        if text is None:
            problems.append(Problem(where_file, f"source {label!r}", f"its text is not in the archive "
                                    f"(plainTextPath {src.get('plainTextPath')!r}); {len(coded)} coded selection(s) "
                                    "not imported", "export the project with its sources included"))
            continue
        normal, position = _normalise_text(text)
        case_id = raw_by_text.get(normal)
        if case_id is None:
            if named:
                problems.append(Problem(where_file, f"source {label!r}", f"its text differs from the corpus's "
                                        f"{named!r} text, so positions cannot be mapped; {len(coded)} coded "
                                        "selection(s) not imported",
                                        f"import data/raw/{named}.txt into the QDA program unchanged and code that"))
            else:
                problems.append(Problem(where_file, f"source {label!r}", f"not in the corpus; {len(coded)} coded "
                                        "selection(s) not imported",
                                        "only the case studies in data/raw/ can be imported"))
            continue
        case_units = units[units["case_id"] == case_id]
        source_user = normalise_guid(src.get("creatingUser")) or project_user
        for sel in coded:
            sel_name = f"source {label!r}, selection {sel.get('guid')}"
            try:
                start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            except (TypeError, ValueError):  # pragma: no cover - the schema guarantees integers
                start, end = -1, -1
            n = len(position) - 1
            if not (0 <= start < end <= n):
                problems.append(Problem(where_file, f"{sel_name} [{start}:{end}]",
                                        f"impossible positions (the text has {n} characters); not imported"))
                continue
            s, e = position[start], position[end]
            hit = case_units[(case_units["start"] < e) & (case_units["end"] > s)]
            inked = [bool(normal[max(s, u.start):min(e, u.end)].strip()) for u in hit.itertuples(index=False)]
            hit = hit.loc[pd.Series(inked, index=hit.index, dtype=bool)]
            boiler = hit[hit["boilerplate"]]
            hit = hit[~hit["boilerplate"]]
            excerpt = _excerpt(normal, s, e)
            if len(boiler):
                problems.append(Problem(where_file, f"{sel_name} [{start}:{end}]",
                                        f"covers boilerplate {', '.join(boiler['unit_id'])} ('{excerpt}'), which "
                                        "cannot be coded; that part not imported"))
            if hit.empty:
                if boiler.empty:
                    problems.append(Problem(where_file, f"{sel_name} [{start}:{end}]",
                                            f"'{excerpt}' lies outside every unit (a heading, a paragraph number or "
                                            "the front matter); not imported", "code the paragraph's text itself"))
                continue
            sel_user = normalise_guid(sel.get("creatingUser")) or source_user
            sel_notes = [project.notes.get(normalise_guid(r.get("targetGUID")), "")
                         for r in sel.findall(_q("NoteRef"))]
            for coding in sel.findall(_q("Coding")):
                ref = coding.find(_q("CodeRef"))
                code_guid = normalise_guid(ref.get("targetGUID") if ref is not None else "")
                if code_guid not in code_cache:
                    code_cache[code_guid] = _match_code(code_guid, project, corpus)
                code_id, code_name = code_cache[code_guid]
                user = normalise_guid(coding.get("creatingUser")) or sel_user
                memo = " ".join(" ".join([project.notes.get(normalise_guid(r.get("targetGUID")), "")
                                          for r in coding.findall(_q("NoteRef"))] + sel_notes).split())
                for unit_id in hit["unit_id"]:
                    rows.append((unit_id, code_id, user, code_name, memo))
    frame = pd.DataFrame(rows, columns=["unit_id", "code_id", "user_guid", "code_name", "memo"])
    return frame, problems


def _users_table(project: QdpxProject, mapped: pd.DataFrame) -> pd.DataFrame:
    names = dict(zip(project.users["guid"], project.users["name"]))
    counts = mapped.drop_duplicates(["unit_id", "code_name", "user_guid"]).groupby("user_guid", sort=False).size()
    rows = [{"user": names.get(g, "(unattributed)" if not g else g), "guid": g, "codings": int(n)}
            for g, n in counts.items()]
    return pd.DataFrame(rows, columns=["user", "guid", "codings"])


def import_qdpx(path: str | Path, coder: str, data_dir: str | Path | None = None, user: str | None = None,
                write: bool = True) -> QdpxImport:
    """Import a REFI-QDA project's codings as coder ``coder`` of the data directory.

    ``user`` picks one user's codings (by name or GUID) when the file holds several users'. With
    ``write`` the codings go to ``codings/<coder>.csv`` (atomically, via
    :func:`~lspkit.codings.write_codings`) and a new coder is registered in ``coders.csv`` with kind
    ``imported`` (re-importing replaces an imported coder's codings). A coder registered by hand as
    ``human`` may receive one import while it has no codings file (its row is kept); an import never
    overwrites a human coder's codings, nor touches a machine or derived coder. Items that cannot be
    imported are returned in ``problems`` (never dropped silently); a used code the codebook lacks,
    or an ambiguous user, raises :class:`~lspkit.errors.LspkitError`.
    """
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    if not CODER_RE.match(coder or "") or coder == DERIVED_CODER:
        raise LspkitError([Problem("parameter coder", "", f"coder id {coder!r} is not a usable slug",
                                   "use lower-case letters, digits, '-' and '_', e.g. 'nvivo_ann'; not 'structure'")])
    existing = load_coders(data_dir / "coders.csv").set_index("coder")["kind"]
    target = data_dir / "codings" / f"{coder}.csv"
    kind = existing.get(coder, "imported")
    if kind == "human" and target.exists():
        raise LspkitError([Problem(str(target), "", f"coder {coder!r} is a human coder whose codings are already in "
                                   "this file; an import never overwrites them",
                                   "move the file away to import again, or import as another coder")])
    if kind not in ("imported", "human"):
        raise LspkitError([Problem(str(data_dir / "coders.csv"), "", f"coder {coder!r} is registered as {kind!r}; "
                                   "an import never replaces it", "choose another coder name")])
    corpus = load_corpus(data_dir)
    project = read_qdpx(path)
    mapped, problems = map_codings(project, corpus)
    users = _users_table(project, mapped)
    where_file = f"{project.path}!{project.qde_name}"
    if users.empty:
        raise LspkitError(problems + [Problem(where_file, "", "no coding in the file could be mapped onto a unit",
                                              "see the problems above")])
    if user is not None:
        key = user.casefold()
        chosen = users[(users["user"].str.casefold() == key) | (users["guid"] == normalise_guid(user))]
        if chosen.empty:
            raise LspkitError([Problem("parameter user", "", f"no codings by user {user!r} in {project.path.name}",
                                       "users with codings: " + ", ".join(f"{u} ({n})" for u, n in
                                                                           zip(users["user"], users["codings"])))])
        chosen_guid = chosen["guid"].iloc[0]
    elif len(users) > 1:
        raise LspkitError([Problem(where_file, "", f"the file holds codings by {len(users)} users",
                                   "pick one with --user; users: " + ", ".join(f"{u} ({n} codings)" for u, n in
                                                                               zip(users["user"], users["codings"])))])
    else:
        chosen_guid = users["guid"].iloc[0]
    user_name = users.loc[users["guid"] == chosen_guid, "user"].iloc[0]
    mine = mapped[mapped["user_guid"] == chosen_guid]
    others = users[users["guid"] != chosen_guid]
    for rec in others.itertuples(index=False):
        problems.append(Problem(where_file, f"user {rec.user!r}", f"{rec.codings} coding(s) by another user not "
                                "imported", "import them as another coder with --user"))
    unknown = mine[mine["code_id"].isna()]
    if len(unknown):
        counts = unknown.groupby("code_name").size()
        raise LspkitError([Problem(where_file, f"code {name!r}", f"unknown code ({n} coding(s)): matches no code "
                                   "of the codebook by GUID, id or label",
                                   "rename it in the QDA program to a code id or label of data/codebook.yml, or add "
                                   "it to the codebook") for name, n in counts.items()])
    order = {u: i for i, u in enumerate(corpus.units["unit_id"])}
    code_order = {c: i for i, c in enumerate(corpus.codes["code_id"])}
    memos = (mine.groupby(["unit_id", "code_id"], sort=False)["memo"]
             .agg(lambda s: " | ".join(dict.fromkeys(m for m in s if m))).reset_index())
    memos["coder"] = coder
    memos = memos.assign(_u=memos["unit_id"].map(order), _c=memos["code_id"].map(code_order))
    codings = memos.sort_values(["_u", "_c"], kind="stable")[CODING_COLUMNS].reset_index(drop=True)
    result = QdpxImport(codings, problems, users, coder, user_name)
    if write:
        if kind == "imported":  # a human coder registered by hand keeps its row
            description = (f"Imported from {project.path.name}: REFI-QDA project {project.name!r}"
                           + (f" written by {project.origin}" if project.origin else "")
                           + f", codings of user {user_name!r}.")
            register_coder(data_dir / "coders.csv", coder, "imported", description)
        result.written = write_codings(codings, target)
    return result
