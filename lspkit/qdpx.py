"""REFI-QDA interchange: the corpus to ``.qdpx`` and ``.qdc``, and other programs' codings and codes back in.

This module owns lspkit's side of the REFI-QDA exchange standard (QDA-XML 1.0, www.qdasoftware.org)
that NVivo, ATLAS.ti, MAXQDA and QualCoder read and write: writing a project (``.qdpx``) or a
codebook (``.qdc``), reading a project written by any of them, mapping its codings onto units, and
comparing a codebook exchange file with ``codebook.yml``.

**Export.** A ``.qdpx`` is a zip holding ``project.qde`` (the XML) and, under ``sources/`` (lower
case, as the standard's container and most programs write it), each case study as plain UTF-8 text
without a byte-order mark, exactly as ``corpus.raw`` holds it (``\\r\\n`` and ``\\r`` line ends kept),
named ``internal://<GUID>.txt``. The project holds every coder as a ``User``; the codebook with its
hierarchy (themes nested under their parent) and the definitions as descriptions; the case
attributes of ``cases.csv`` as ``Variables`` set on each ``Case``; and every coder's codings as one
``PlainTextSelection`` per unit and coder, on the unit's exact span, each code a ``Coding`` (memos
become ``Notes``). Positions follow the REFI-QDA rule: Unicode code points counted from 0 in the
plain text. GUIDs are UUID-5s of stable names (``code:goals``, ``user:researcher`` ...), and the zip
has sorted entries and fixed timestamps, so the same corpus always exports the same bytes. Every
file is validated against the REFI-QDA ``Project.xsd`` shipped in ``lspkit/schemas/`` (a ``.qdc``
against its ``CodeBookType``) before it is written, and it is written atomically: a path that is a
folder or cannot be written is an error naming it, and no half-written file is ever left.

**Reading safely.** Only the members the project references are read: the ``.qde`` and the plain
texts its text sources name. Each is streamed under a size limit (:data:`MAX_MEMBER_BYTES`, and
:data:`MAX_ARCHIVE_BYTES` for all of them together; both can be lowered or raised per call), so a
small archive holding a huge member costs nothing unless the project names it, and then it is
refused by name. Member names that point outside the archive (absolute, a drive, ``..``) and XML
that declares a DTD (where entity bombs and external entities live) are refused.

**Import conventions** (each either imported correctly or reported; nothing is dropped silently):

* the ``.qde`` may sit at the zip's root under any name ending ``.qde``; sources may be under
  ``sources/`` or ``Sources/`` (any case), or inline as ``PlainTextContent``;
* GUIDs are compared without braces and ignoring case (``{ABC...}`` matches ``abc...``);
* codes may be nested to any depth; each used code is matched to lspkit's codebook by GUID, else
  by name (its id or its label, ignoring case, spaces and underscores); a used code that matches
  neither is an error naming it; codes nobody used are ignored;
* a source is matched to a case by its text, ignoring a byte-order mark and whether line ends are
  ``\\r\\n``, ``\\r`` or ``\\n``; a source whose name or GUID names a case but whose text differs, and a
  source that is not in the corpus, are reported by name and file with the number of selections
  not imported;
* programs count positions differently: line ends as one or two characters, UTF-16 code units
  (a character outside the Basic Multilingual Plane counts 2), a byte-order mark counted at 0 or
  not. Each source's :class:`Convention` is detected from its selections (the convention under
  which they start and end on character and word boundaries; the REFI-QDA rule wins a tie) and
  reported; positions are then mapped onto the raw text;
* a selection codes every unit whose span it overlaps by at least one non-space character: inside
  a unit, or covering part of a paragraph, it codes that unit; crossing two units, it codes both;
  one that touches no unit (a heading, a paragraph number, the front matter), only boilerplate,
  or has impossible positions is reported; a selection without a coding codes nothing;
* a coding is attributed to ``Coding@creatingUser``, else the selection's, else the source's, else
  the project's creating user; with codings from more than one user, ``user`` picks one;
* codings of a whole source, and selections in picture, PDF, audio or video sources, are reported;
* a project without codings is refused, saying so; a project holding only a codebook is compared
  with ``codebook.yml`` instead (see :func:`import_qdc`).

The imported codings are written as ``codings/<coder>.csv`` and a new coder is registered in
``coders.csv`` with kind ``imported``, both in one transaction (both files or neither); a human
coder registered by hand may receive its first codings this way, but an import never overwrites a
human coder's codings, nor a machine or derived coder.

Example:
    >>> import tempfile, pathlib
    >>> from lspkit import load_corpus
    >>> out = export_qdpx(load_corpus(), pathlib.Path(tempfile.mkdtemp()) / "lsp.qdpx")
    >>> sorted({n.split("/")[0] for n in zipfile.ZipFile(out).namelist()})
    ['project.qde', 'sources']
    >>> project = read_qdpx(out)
    >>> sorted(project.users["name"])
    ['auto', 'researcher', 'second_reader', 'structure', 'third_reader']
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shutil
import tempfile
import unicodedata
import uuid
import xml.etree.ElementTree as ET
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable, Mapping
from xml.parsers import expat

import numpy as np
import pandas as pd
import yaml

from .codebook import load_codebook
from .codings import CODER_RE, CODING_COLUMNS, DERIVED_CODER, load_coders, register_coder, stage_bytes, write_codings
from .corpus import Corpus, default_data_dir, load_corpus
from .errors import LspkitError, Problem, ProblemLog
from .vocabulary import FIXED_DATE, excerpt

NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "Project.xsd"
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:lspkit:refi-qda")
PROJECT_NAME = "Working better together? LSP case studies (lspkit)"
INTEGER_TYPES = ("Int64", "int64", "int32")
SOURCES_DIR = "sources"

MiB = 2**20
MAX_MEMBER_BYTES = 256 * MiB  # one archive member (or .qdc file), uncompressed
MAX_ARCHIVE_BYTES = 1024 * MiB  # every member read from one archive, together
MAX_CODER_LENGTH = 40  # a coder id names codings/<coder>.csv
_CHUNK = MiB


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


def _q(tag: str, ns: str = NS) -> str:
    return f"{{{ns}}}{tag}"


def _size(n: int) -> str:
    """A byte count for a message.

    >>> _size(2 * 2**30), _size(256 * 2**20), _size(1536), _size(12)
    ('2.0 GiB', '256 MiB', '1.5 KiB', '12 bytes')
    """
    if n >= 2**30:
        return f"{n / 2**30:.1f} GiB"
    if n >= MiB:
        return f"{n / MiB:.0f} MiB"
    if n >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n} bytes"


# -- XML: parsing safely, schemas and validation ------------------------------------------------------


class _PrologRead(Exception):
    """Stops the scan of a document's prolog (at its DOCTYPE or at its root element)."""


def _declares_dtd(data: bytes) -> bool:
    """Whether the XML ``data`` declares a document type. Only the prolog is read: a DOCTYPE
    cannot follow the root element's start tag."""
    found: list[bool] = []

    def doctype(*_: object) -> None:
        found.append(True)
        raise _PrologRead

    def root(*_: object) -> None:
        raise _PrologRead

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = root
    try:
        parser.Parse(data, True)
    except (_PrologRead, expat.ExpatError):  # a malformed document is reported by the parser below
        pass
    return bool(found)


def parse_xml(data: bytes, where: str) -> ET.Element:
    """Parse one XML document of an exchange file, refusing a DTD; errors name ``where`` and the line.

    >>> parse_xml(b'<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>', "x.qde").get("name")
    'x'
    >>> parse_xml(b'<!DOCTYPE p [<!ENTITY a "b">]><p>&a;</p>', "x.qde")
    Traceback (most recent call last):
    ...
    lspkit.errors.LspkitError: x.qde: declares a DTD (<!DOCTYPE ...>): refused, ...
    """
    if _declares_dtd(data):
        raise LspkitError(
            [
                Problem(
                    where,
                    "",
                    "declares a DTD (<!DOCTYPE ...>): refused, because a DTD can define "
                    "entities that expand without end or read other files, and a REFI-QDA file "
                    "never needs one",
                    "export the project again from the QDA program",
                )
            ]
        )
    if not data or data.isspace():
        raise LspkitError([Problem(where, "", "is empty", "export the project again from the QDA program")])
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        line, column = exc.position
        raise LspkitError(
            [
                Problem(
                    where,
                    f"line {line}, column {column}",
                    f"not valid XML: {exc}",
                    "the file must be well-formed XML; export it again",
                )
            ]
        ) from None


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
    text = text.replace(
        '<xsd:element name="Project" type="ProjectType">', '<xsd:element name="CodeBook" type="CodeBookType">'
    )
    return xmlschema.XMLSchema(text)


_GUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_BRACED_GUID_RE = re.compile(r"\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}")
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")
_DATETIME_RE = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?"
    r"(?:Z|[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00))?"
)


def _surely_valid(type_name: str | None, value: str) -> bool:
    """Whether ``value`` is certainly valid for the schema's simple type ``type_name`` (False: not sure).

    >>> _surely_valid("{urn:QDA-XML:project:1.0}GUIDType", "{ABCDEF01-2345-6789-ABCD-EF0123456789}")
    True
    >>> _surely_valid("{urn:QDA-XML:project:1.0}GUIDType", "{ABCDEF01-2345-6789-ABCD-EF0123456789")
    False
    """
    if type_name == f"{{{XSD_NS}}}string":
        return True
    if type_name == f"{{{NS}}}GUIDType":
        return bool(_GUID_RE.fullmatch(value) or _BRACED_GUID_RE.fullmatch(value))
    if type_name == f"{{{XSD_NS}}}integer":
        return bool(_INTEGER_RE.fullmatch(value))
    if type_name == f"{{{XSD_NS}}}dateTime":
        match = _DATETIME_RE.fullmatch(value)
        try:
            if match is None:
                return False
            year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
            return bool(dt.datetime(year, month, day, hour, minute, second))
        except ValueError:
            return False
    return False


@lru_cache(maxsize=1)
def _selection_model() -> tuple[object, dict[str, dict[str, str]]] | None:
    """The schema's declaration of a text source's ``PlainTextSelection`` and, for each element that
    may occur inside one, its attributes' type names (``"#text"``: the type of a simple element's
    text). ``None`` if the schema has a shape the validation shortcut does not handle."""
    source_type = project_schema().types.get("TextSourceType")
    if source_type is None:
        return None
    decl = next((e for e in source_type.content.iter_elements() if e.name == _q("PlainTextSelection")), None)
    model: dict[str, dict[str, str]] = {}

    def visit(element) -> bool:
        xsd_type = element.type
        if xsd_type.is_simple():
            spec = {"#text": xsd_type.name or ""}
        elif xsd_type.mixed or xsd_type.has_simple_content():
            return False
        else:
            spec = {name: attribute.type.name or "" for name, attribute in xsd_type.attributes.items()}
            if not all(isinstance(name, str) for name in spec):  # an attribute wildcard
                return False
        if element.name in model:
            return model[element.name] == spec
        model[element.name] = spec
        return xsd_type.is_simple() or all(visit(child) for child in xsd_type.content.iter_elements())

    return (decl, model) if decl is not None and visit(decl) else None


def _shape(el: ET.Element, model: dict[str, dict[str, str]]) -> tuple:
    """What the schema's verdict on ``el`` depends on: its tags, attribute names, child order and text,
    with every value the schema certainly accepts replaced by ``None``."""
    spec = model.get(el.tag, {})
    attrs = tuple(
        sorted((name, None if _surely_valid(spec.get(name), value) else value) for name, value in el.attrib.items())
    )
    free_text = spec.get("#text") == f"{{{XSD_NS}}}string"
    text = None if free_text or not (el.text or "").strip() else el.text
    tail = None if not (el.tail or "").strip() else el.tail
    return el.tag, attrs, text, tuple(_shape(child, model) for child in el), tail


def _selection_hook() -> Callable | None:
    """A validation hook that lets the schema check one selection of each shape and skip the rest.

    Thousands of selections differ only in GUIDs, positions, dates and descriptions, which are checked
    here against the schema's types; the schema's validator then walks one of each shape, which is
    what makes validating a project of 20,000 selections take a tenth of a second, not two seconds.
    """
    found = _selection_model()
    if found is None:
        return None
    decl, model = found
    seen: set[tuple] = set()

    def hook(element: ET.Element, xsd_element: object) -> bool:
        if xsd_element is not decl:
            return False
        key = _shape(element, model)
        if key in seen:
            return True
        seen.add(key)
        return False

    return hook


def validation_errors(root: ET.Element, kind: str = "project") -> list[str]:
    """Every way a parsed document breaks the REFI-QDA schema (``kind`` 'project' or 'codebook').

    >>> validation_errors(ET.fromstring('<Project xmlns="urn:QDA-XML:project:1.0"/>'))
    ["/Project: missing required attribute 'name'"]
    """
    schema = project_schema() if kind == "project" else codebook_schema()
    names = {"": NS if kind == "project" else CODEBOOK_NS}
    hook = _selection_hook() if kind == "project" else None
    errors = list(schema.iter_errors(root, namespaces=names, validation_hook=hook))
    if errors and hook is not None:  # list every error, each selection on its own
        errors = list(schema.iter_errors(root, namespaces=names))
    return [f"{err.path or '/'}: {err.reason}" for err in errors]


def schema_errors(xml: bytes, kind: str = "project") -> list[str]:
    """Every way ``xml`` breaks the REFI-QDA schema (``kind`` 'project' or 'codebook'); empty if valid.

    >>> schema_errors(b'<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>')
    []
    """
    return validation_errors(parse_xml(xml, f"<{kind} XML>"), kind)


# -- export ----------------------------------------------------------------------------------------


def _el(
    parent: ET.Element | None, tag: str, attrs: Mapping[str, object] | None = None, text: str | None = None
) -> ET.Element:
    attrib = {k: str(v) for k, v in (attrs or {}).items() if v is not None and v != ""}
    el = ET.Element(tag, attrib) if parent is None else ET.SubElement(parent, tag, attrib)
    if text is not None:
        el.text = text
    return el


def _code_description(code: pd.Series) -> str:
    """A code's REFI-QDA description: its definition, the project's interpretation, the inclusion
    and exclusion criteria and the cited examples, one per line."""
    parts = [code["definition"]]
    for key, label in (("interpretation", "Interpretation"), ("include", "Include"), ("exclude", "Exclude")):
        if isinstance(code.get(key), str) and code.get(key):
            parts.append(f"{label}: {code[key]}")
    for kind, cite, note in code.get("examples") or ():
        parts.append(f"{kind.capitalize()} example: {cite}" + (f" ({note})" if note else ""))
    return "\n".join(p for p in parts if p)


def _codes_element(parent: ET.Element, codes: pd.DataFrame) -> ET.Element:
    codes = codes.copy()
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
    return (
        b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False) + b"\n"
    )


def codebook_xml(corpus: Corpus) -> bytes:
    """The codebook as a REFI-QDA ``.qdc`` document (root ``CodeBook``, codebook namespace).

    >>> from lspkit import load_corpus
    >>> codebook_xml(load_corpus()).splitlines()[1][:56]
    b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0">'
    """
    root = _el(None, "CodeBook", {"xmlns": CODEBOOK_NS})
    _codes_element(root, corpus.codes)
    return _serialise(root)


def _variable_type(series: pd.Series) -> str:
    return "Integer" if str(series.dtype) in INTEGER_TYPES else "Text"


def _cases_element(root: ET.Element, corpus: Corpus) -> None:
    attributes = [c for c in corpus.cases.columns if c != "case_id"]
    if attributes and len(corpus.cases):
        variables = _el(root, "Variables")
        for col in attributes:
            _el(
                variables,
                "Variable",
                {"guid": guid("variable", col), "name": col, "typeOfVariable": _variable_type(corpus.cases[col])},
            )
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


def project_xml(corpus: Corpus, coders: Iterable[str] | None = None) -> tuple[bytes, dict[str, bytes]]:
    """The project document and its source files: ``(project.qde bytes, {zip path: text bytes})``.

    ``coders`` limits the codings (and users) exported; by default every registered coder. An empty
    list exports no codings at all: the project to give a second coder who must code blind. Each
    source is ``corpus.raw`` as UTF-8 without a byte-order mark; positions index it in code points.

    >>> from lspkit import load_corpus
    >>> xml, files = project_xml(load_corpus(), coders=[])
    >>> sorted(files)[0].startswith("sources/"), b"PlainTextSelection" in xml
    (True, False)
    """
    coder_ids = corpus.coder_ids if coders is None else [corpus.check_coder(c) for c in dict.fromkeys(coders)]
    root = _el(None, "Project", {"xmlns": NS, "name": PROJECT_NAME, "origin": "lspkit"})
    if coder_ids:
        users = _el(root, "Users")
        for coder in coder_ids:
            _el(users, "User", {"guid": guid("user", coder), "name": coder, "id": coder})
    _codes_element(_el(root, "CodeBook"), corpus.codes)
    _cases_element(root, corpus)

    codings = corpus.codings[corpus.codings["coder"].isin(coder_ids)]
    links = corpus.links[corpus.links["coder"].isin(coder_ids)]
    labels = dict(zip(corpus.codes["code_id"], corpus.codes["label"]))
    unit_rows = corpus.units.set_index("unit_id")[["start", "end", "citation"]].to_dict("index")
    titles = corpus.cases.set_index("case_id")["title"] if "title" in corpus.cases else pd.Series(dtype=str)
    code_order = {c: i for i, c in enumerate(corpus.codes["code_id"])}
    coder_order = {c: i for i, c in enumerate(coder_ids)}
    files: dict[str, bytes] = {}
    notes: list[tuple[str, str, str, str]] = []  # (guid, name, coder, memo)
    sources = _el(root, "Sources") if corpus.raw else None
    for case_id in corpus.case_ids:
        if case_id not in corpus.raw:
            continue
        source_guid = guid("source", case_id)
        title = titles.get(case_id, case_id)
        src = _el(
            sources,
            "TextSource",
            {"guid": source_guid, "name": case_id, "plainTextPath": f"internal://{source_guid}.txt"},
        )
        _el(
            src,
            "Description",
            text=f"{title}. Audit Commission, 'Working better together?' case study "
            "(public sector information), reproduced verbatim.",
        )
        files[f"{SOURCES_DIR}/{source_guid}.txt"] = corpus.raw[case_id].encode("utf-8")
        case_units = corpus.units.loc[corpus.units["case_id"] == case_id, "unit_id"]
        case_codings = codings[codings["unit_id"].isin(set(case_units))]
        order = {u: i for i, u in enumerate(case_units)}
        case_codings = case_codings.assign(
            _u=case_codings["unit_id"].map(order),
            _k=case_codings["coder"].map(coder_order),
            _c=case_codings["code_id"].map(code_order),
        )
        case_codings = case_codings.sort_values(["_u", "_k", "_c"], kind="stable")
        by_selection: dict[tuple[str, str], list[Any]] = {}  # (unit, coder) -> its codings, in that order
        for rec in case_codings.itertuples(index=False):
            by_selection.setdefault((rec.unit_id, rec.coder), []).append(rec)
        # a link rests on units: each gets a selection of its coder, coded or not, for the Link to point at
        case_links = links[links["case_id"] == case_id]
        anchors = {(u, c) for ids, c in zip(case_links["unit_ids"], case_links["coder"]) for u in ids}
        keys = sorted(set(by_selection) | anchors, key=lambda k: (order[k[0]], coder_order[k[1]]))
        for unit_id, coder in keys:
            part = by_selection.get((unit_id, coder), [])
            unit = unit_rows[unit_id]
            user = guid("user", coder)
            sel = _el(
                src,
                "PlainTextSelection",
                {
                    "guid": guid("selection", coder, unit_id),
                    "name": unit_id,
                    "startPosition": int(unit["start"]),
                    "endPosition": int(unit["end"]),
                    "creatingUser": user,
                },
            )
            _el(sel, "Description", text=str(unit["citation"]))
            for rec in part:
                coding = _el(sel, "Coding", {"guid": guid("coding", coder, unit_id, rec.code_id), "creatingUser": user})
                _el(coding, "CodeRef", {"targetGUID": guid("code", rec.code_id)})
                if rec.memo or rec.status:
                    note_guid = guid("note", coder, unit_id, rec.code_id)
                    _el(coding, "NoteRef", {"targetGUID": note_guid})
                    notes.append(
                        (note_guid, f"{coder}: {unit_id} {rec.code_id}", user, coding_note(rec.memo, rec.status))
                    )
    link_elements = []
    for rec in links.itertuples(index=False):
        user = guid("user", rec.coder)
        note_guid = guid("note", rec.coder, "link", rec.link_id)
        notes.append((note_guid, f"{rec.coder}: link {rec.link_id}", user, link_note(rec)))
        origin, target = _link_anchors(rec, codings)
        link_elements.append(
            (
                {
                    "guid": guid("link", rec.coder, rec.link_id),
                    "name": f"{rec.link_id}: {labels.get(rec.source, rec.source)} {rec.relation.replace('_', ' ')} "
                    f"{labels.get(rec.target, rec.target)}",
                    "direction": "Bidirectional" if rec.direction == "mutual" else "OneWay",
                    "originGUID": guid("selection", rec.coder, origin),
                    "targetGUID": guid("selection", rec.coder, target),
                },
                note_guid,
            )
        )
    if notes:
        notes_el = _el(root, "Notes")
        for note_guid, name, user, memo in notes:
            note = _el(notes_el, "Note", {"guid": note_guid, "name": name, "creatingUser": user})
            _el(note, "PlainTextContent", text=memo)
    if link_elements:
        links_el = _el(root, "Links")
        for attrs, note_guid in link_elements:
            _el(_el(links_el, "Link", attrs), "NoteRef", {"targetGUID": note_guid})
    _el(
        root,
        "Description",
        text="Exported by lspkit: the 'Working better together?' case studies (Audit "
        "Commission 2009) with the public sector 7S codebook and every coder's codings, "
        "one selection per unit and coder on the unit's exact character span.",
    )
    return _serialise(root), files


LINK_RECORD = "lspkit-link: "
STATUS_RECORD = "lspkit-status: "
_STATUS_AT_END = re.compile(r"\s*" + re.escape(STATUS_RECORD) + r"(\S+)\s*$")


def coding_note(memo: str, status: str) -> str:
    """A coding's note: its memo, then, where the coder recorded a status, one line
    ``lspkit-status: aim`` (REFI-QDA has no field for it), so the status survives a round trip.

    >>> coding_note("Aims to align budgets", "aim")
    'Aims to align budgets\\n\\nlspkit-status: aim'
    >>> split_status(" ".join(coding_note("Aims to align budgets", "aim").split()))
    ('Aims to align budgets', 'aim')
    """
    if not status:
        return memo
    return f"{memo}\n\n{STATUS_RECORD}{status}" if memo else f"{STATUS_RECORD}{status}"


def split_status(note: str) -> tuple[str, str]:
    """A coding note's memo and status (empty when the note records none); see :func:`coding_note`."""
    found = _STATUS_AT_END.search(note)
    if found is None:
        return note, ""
    return note[: found.start()].strip(), found.group(1)


def link_note(link: Any) -> str:
    """A link's note: its memo, then one line ``lspkit-link: {...}`` holding the whole link as JSON, so
    that an import restores it exactly (other programs show it as part of the note).

    >>> from lspkit import load_corpus
    >>> note = link_note(next(load_corpus().links.itertuples(index=False)))
    >>> note.splitlines()[-1].startswith(LINK_RECORD + '{"link_id": "blackburn-with-darwen.L01"')
    True
    """
    record = {
        "link_id": link.link_id,
        "unit_ids": list(link.unit_ids),
        "source": link.source,
        "target": link.target,
        "direction": link.direction,
        "relation": link.relation,
        "evidence": link.evidence,
        "status": link.status,
    }
    return f"{link.memo}\n\n{LINK_RECORD}{json.dumps(record, ensure_ascii=False)}"


def _link_anchors(link: Any, codings: pd.DataFrame) -> tuple[str, str]:
    """The units a Link points from and to: the first of its units that its coder coded with the source
    (else its first unit), and the first coded with the target (else its last unit)."""
    mine = codings[(codings["coder"] == link.coder) & codings["unit_id"].isin(set(link.unit_ids))]
    coded = set(zip(mine["unit_id"], mine["code_id"]))
    origin = next((u for u in link.unit_ids if (u, link.source) in coded), link.unit_ids[0])
    target = next((u for u in link.unit_ids if (u, link.target) in coded), link.unit_ids[-1])
    return origin, target


def _zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            archive.writestr(info, entries[name], compresslevel=9)
    return buffer.getvalue()


def _check_valid(xml: bytes, kind: str, target: Path) -> None:
    errors = schema_errors(xml, kind)
    if errors:  # pragma: no cover - a bug in the exporter, not in the user's data
        raise LspkitError([Problem(str(target), "", f"export breaks the REFI-QDA schema: {e}") for e in errors[:10]])


def _check_target(path: Path) -> None:
    """Refuse an export path that is a folder or lies under a file, before any work is written."""
    if path.is_dir():
        raise LspkitError(
            [
                Problem(
                    str(path), "", "is a folder, not a file name", f"give the file to write, e.g. {path / 'lsp.qdpx'}"
                )
            ]
        )
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if ancestor.exists() and not ancestor.is_dir():
        raise LspkitError(
            [
                Problem(
                    str(path), "", f"cannot be written: {ancestor} is a file, not a folder", "choose a path in a folder"
                )
            ]
        )


def write_export(path: str | Path, data: bytes) -> Path:
    """Write an exported file atomically (a temp file beside it, then a rename), creating its folder.

    A folder, a path under a file, or a folder that cannot be written raises
    :class:`~lspkit.errors.LspkitError` naming the path; no partial file is ever left.

    >>> import tempfile, pathlib
    >>> write_export(pathlib.Path(tempfile.mkdtemp()), b"x")
    Traceback (most recent call last):
    ...
    lspkit.errors.LspkitError: /...: is a folder, not a file name (give the file to write, e.g. /.../lsp.qdpx)
    """
    path = Path(path)
    _check_target(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LspkitError(
            [
                Problem(
                    str(path),
                    "",
                    f"cannot be written: its folder cannot be created ({exc.strerror or exc})",
                    "choose a folder you can write to",
                )
            ]
        ) from None
    commit_files([(path, data)])
    return path


def export_qdpx(corpus: Corpus | None, path: str | Path, coders: Iterable[str] | None = None) -> Path:
    """Write the corpus as a REFI-QDA project ``.qdpx`` (validated first), atomically; returns the path.

    ``corpus`` defaults to :func:`~lspkit.corpus.load_corpus` of the default data directory;
    ``coders`` as in :func:`project_xml` (``[]`` for a project without codings).

    >>> import tempfile, pathlib
    >>> export_qdpx(None, pathlib.Path(tempfile.mkdtemp()) / "lsp.qdpx").suffix
    '.qdpx'
    """
    corpus = corpus if corpus is not None else load_corpus()
    path = Path(path)
    _check_target(path)
    xml, files = project_xml(corpus, coders)
    _check_valid(xml, "project", path)
    return write_export(path, _zip_bytes({"project.qde": xml, **files}))


def export_qdc(corpus: Corpus | None, path: str | Path) -> Path:
    """Write the codebook alone as a REFI-QDA ``.qdc`` (validated first), atomically; returns the path.

    >>> import tempfile, pathlib
    >>> export_qdc(None, pathlib.Path(tempfile.mkdtemp()) / "codes.qdc").read_bytes()[:5]
    b'<?xml'
    """
    corpus = corpus if corpus is not None else load_corpus()
    path = Path(path)
    _check_target(path)
    xml = codebook_xml(corpus)
    _check_valid(xml, "codebook", path)
    return write_export(path, xml)


# -- reading archives ----------------------------------------------------------------------------------


def _escapes_archive(name: str) -> bool:
    """Whether a member name points outside the archive: absolute, a drive, or a ``..`` part.

    >>> [_escapes_archive(n) for n in ("sources/a.txt", "../a.txt", "/etc/passwd", "C:\\\\x", "a/../../b")]
    [False, True, True, True, True]
    """
    norm = name.replace("\\", "/")
    return norm.startswith("/") or bool(re.match(r"[A-Za-z]:", norm)) or ".." in norm.split("/")


@dataclass
class _MemberReader:
    """Reads members of one open archive, each streamed under the size limits."""

    path: Path
    archive: zipfile.ZipFile
    max_member: int
    max_total: int
    used: int = 0

    def _too_big(self, name: str, size: str, archive_wide: bool) -> LspkitError:
        if archive_wide:
            limit = (
                f"the limit of {_size(self.max_total)} for all the members read from one archive (MAX_ARCHIVE_BYTES)"
            )
        else:
            limit = f"the limit of {_size(self.max_member)} for one member (MAX_MEMBER_BYTES)"
        return LspkitError(
            [
                Problem(
                    f"{self.path}!{name}",
                    "",
                    f"member {name!r} holds {size} uncompressed, more than {limit}; not read",
                    "a .qdpx this large is damaged or not a coding project; "
                    "import_qdpx(..., max_member_bytes=..., max_archive_bytes=...) raises the limits",
                )
            ]
        )

    def read(self, name: str) -> bytes:
        info = self.archive.getinfo(name)
        left = self.max_total - self.used
        if info.file_size > self.max_member or info.file_size > left:
            raise self._too_big(name, _size(info.file_size), info.file_size <= self.max_member)
        chunks, size = [], 0
        try:
            with self.archive.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > self.max_member or size > left:
                        raise self._too_big(name, f"over {_size(size - len(chunk))}", size <= self.max_member)
                    chunks.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as exc:
            raise LspkitError(
                [
                    Problem(
                        f"{self.path}!{name}",
                        "",
                        f"member {name!r} cannot be read ({exc})",
                        "the archive is damaged, encrypted or compressed in a way zip readers do "
                        "not share; export the project again",
                    )
                ]
            ) from None
        self.used += size
        return b"".join(chunks)


@dataclass
class QdpxProject:
    """A parsed ``.qdpx``: its XML root, the members read (the ``.qde`` and its sources' plain texts), and
    indexes by GUID."""

    path: Path
    root: ET.Element
    entries: dict[str, bytes]
    qde_name: str
    users: pd.DataFrame  # guid (normalised), name
    codes: pd.DataFrame  # guid (normalised), name, path (names from the top, joined by ' / ')
    notes: dict[str, str] = field(default_factory=dict)
    source_members: dict[str, str] = field(default_factory=dict)  # source GUID (normalised) -> member read

    @property
    def name(self) -> str:
        return self.root.get("name", "")

    @property
    def origin(self) -> str:
        return self.root.get("origin", "")

    @property
    def where(self) -> str:
        return f"{self.path}!{self.qde_name}"


def _open_archive(path: Path) -> zipfile.ZipFile:
    name = str(path)
    if path.is_dir():
        raise LspkitError([Problem(name, "", "is a folder, not a .qdpx file", "give the path of a .qdpx file")])
    if not path.is_file():
        raise LspkitError([Problem(name, "", "file not found", "give the path of a .qdpx file")])
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        what = "an empty file, not a zip archive" if path.stat().st_size == 0 else f"not a zip archive ({exc})"
        raise LspkitError(
            [
                Problem(
                    name,
                    "",
                    what,
                    "a .qdpx is a zip holding project.qde; export the project "
                    "from your QDA program as a REFI-QDA project (.qdpx)",
                )
            ]
        ) from None


def _find_qde(path: Path, names: list[str]) -> str:
    escaping = [n for n in names if _escapes_archive(n)]
    if escaping:
        raise LspkitError(
            [
                Problem(
                    str(path),
                    f"member {n!r}",
                    "its name points outside the archive (absolute or with '..'); refused",
                    "a REFI-QDA archive holds project.qde and sources/ only; export the project again",
                )
                for n in escaping[:10]
            ]
        )
    qdes = sorted(n for n in names if n.lower().endswith(".qde"))
    at_root = [n for n in qdes if "/" not in n]
    if len(at_root) == 1:
        return at_root[0]
    if len(qdes) == 1:
        return qdes[0]
    if not qdes:
        raise LspkitError(
            [
                Problem(
                    str(path),
                    "",
                    "the archive holds no project.qde",
                    "a .qdpx holds project.qde at its root; is this a REFI-QDA project?",
                )
            ]
        )
    raise LspkitError(
        [
            Problem(
                str(path),
                "",
                f"the archive holds several .qde files: {', '.join(qdes)}",
                "keep one project.qde at the root",
            )
        ]
    )


def _member_for(target: str, by_name: dict[str, list[str]]) -> str | None:
    """The archive member a ``plainTextPath`` names: its file name at the root or under ``sources/``."""
    base = re.sub(r"^[a-z]+:(//)?/*", "", target, flags=re.IGNORECASE)
    wanted = PurePosixPath(base.replace("\\", "/")).name.casefold()
    candidates = [
        n
        for n in by_name.get(wanted, [])
        if len(PurePosixPath(n).parts) == 1 or PurePosixPath(n).parts[0].casefold() == SOURCES_DIR
    ]
    return sorted(candidates)[0] if candidates else None


def _project_indexes(root: ET.Element) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    users = [
        (normalise_guid(u.get("guid")), u.get("name") or u.get("id") or u.get("guid")) for u in root.iter(_q("User"))
    ]
    codes = [(c.guid, c.name, c.path) for c in _file_codes(root.find(f"{_q('CodeBook')}/{_q('Codes')}"), NS)]
    notes = {}
    notes_el = root.find(_q("Notes"))
    if notes_el is not None:
        for note in notes_el.findall(_q("Note")):
            content = note.find(_q("PlainTextContent"))
            notes[normalise_guid(note.get("guid"))] = (content.text or "") if content is not None else ""
    return (pd.DataFrame(users, columns=["guid", "name"]), pd.DataFrame(codes, columns=["guid", "name", "path"]), notes)


def read_qdpx(
    path: str | Path, *, max_member_bytes: int | None = None, max_archive_bytes: int | None = None
) -> QdpxProject:
    """Open a ``.qdpx``, parse its ``.qde``, validate it against the REFI-QDA schema and read the
    plain texts its text sources name (and nothing else), each under the size limits.

    Raises :class:`~lspkit.errors.LspkitError` when the file is missing, not a zip, has no ``.qde``, has
    a member whose name points outside the archive, a member over a limit (default
    :data:`MAX_MEMBER_BYTES` and :data:`MAX_ARCHIVE_BYTES`), or XML that declares a DTD, does not parse
    or breaks the schema.

    >>> import tempfile, pathlib
    >>> out = export_qdpx(None, pathlib.Path(tempfile.mkdtemp()) / "lsp.qdpx", coders=[])
    >>> len(read_qdpx(out).source_members)
    3
    """
    path = Path(path)
    with _open_archive(path) as archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        qde_name = _find_qde(path, [i.filename for i in infos])
        reader = _MemberReader(
            path,
            archive,
            MAX_MEMBER_BYTES if max_member_bytes is None else max_member_bytes,
            MAX_ARCHIVE_BYTES if max_archive_bytes is None else max_archive_bytes,
        )
        where = f"{path}!{qde_name}"
        xml = reader.read(qde_name)
        root = parse_xml(xml, where)
        errors = validation_errors(root, "project")
        if errors:
            problems = [
                Problem(where, "", f"breaks the REFI-QDA schema: {e}", "the file must follow QDA-XML 1.0 (Project.xsd)")
                for e in errors[:20]
            ]
            if len(errors) > 20:
                problems.append(Problem(where, "", f"... and {len(errors) - 20} more schema errors"))
            raise LspkitError(problems)
        by_name: dict[str, list[str]] = {}
        for info in infos:
            by_name.setdefault(PurePosixPath(info.filename.replace("\\", "/")).name.casefold(), []).append(
                info.filename
            )
        entries = {qde_name: xml}
        members = {}
        for src in root.iterfind(f"{_q('Sources')}/{_q('TextSource')}"):
            member = _member_for(src.get("plainTextPath") or "", by_name) if src.get("plainTextPath") else None
            if member is not None and member != qde_name:
                members[normalise_guid(src.get("guid"))] = member
                if member not in entries:
                    entries[member] = reader.read(member)
    users, codes, notes = _project_indexes(root)
    return QdpxProject(path, root, entries, qde_name, users, codes, notes, members)


# -- positions: how a program counted them ---------------------------------------------------------------

_LINE_END_RE = re.compile(r"\r\n|\r|\n")
_WHITESPACE = np.array([c for c in range(0x3001) if chr(c).isspace()], dtype=np.uint32)


def normalise_text(text: str) -> str:
    """A text as sources and cases are matched: no byte-order mark, every line end a ``\\n``.

    >>> normalise_text("\\ufeffa\\r\\nb\\rc\\n")
    'a\\nb\\nc\\n'
    """
    return _LINE_END_RE.sub("\n", text[1:] if text.startswith("\ufeff") else text)


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


@dataclass(frozen=True)
class _Tokens:
    """A text as a sequence of tokens: each character, except that a line end (CRLF, CR or LF) is one."""

    bom: bool  # the text starts with a byte-order mark (not a token)
    width: np.ndarray  # code points each token takes in the text: 2 for CRLF, else 1
    line_end: np.ndarray  # the token is a line end
    astral: np.ndarray  # the token lies outside the Basic Multilingual Plane (2 UTF-16 code units)
    line_ends: str  # 'LF', 'CRLF', 'CR', 'mixed' or 'none'

    @classmethod
    def of(cls, text: str) -> "_Tokens":
        bom = text.startswith("\ufeff")
        cps = _code_points(text[1:] if bom else text)
        cr, lf = cps == 13, cps == 10
        crlf = np.zeros(len(cps), dtype=bool)
        crlf[:-1] = cr[:-1] & lf[1:]
        keep = np.ones(len(cps), dtype=bool)
        keep[1:] = ~crlf[:-1]
        kinds = [
            k for k, n in (("CRLF", crlf.sum()), ("CR", cr.sum() - crlf.sum()), ("LF", lf.sum() - crlf.sum())) if n
        ]
        return cls(
            bom,
            1 + crlf[keep].astype(np.int64),
            (cr | lf)[keep],
            (cps > 0xFFFF)[keep],
            kinds[0] if len(kinds) == 1 else ("mixed" if kinds else "none"),
        )

    def __len__(self) -> int:
        return len(self.width)


@dataclass(frozen=True)
class Convention:
    """How a program counted a source's positions.

    ``bom``: a byte-order mark counted at position 0; ``line_end``: positions per line end (0: as in
    the project's own text, 1 or 2); ``utf16``: UTF-16 code units, so a character outside the Basic
    Multilingual Plane counts 2. The REFI-QDA rule is code points of the source's plain text.

    >>> Convention(line_end=2, utf16=True).describe()
    'UTF-16 code units, line ends counted as 2 (CRLF), no byte-order mark counted'
    """

    bom: bool = False
    line_end: int = 0
    utf16: bool = False

    def describe(self, line_ends: str = "none") -> str:
        unit = "UTF-16 code units" if self.utf16 else "Unicode code points"
        if self.line_end:
            ends = f"line ends counted as {self.line_end} ({'CRLF' if self.line_end == 2 else 'LF or CR'})"
        else:
            ends = f"line ends as in the project's text ({line_ends})"
        return f"{unit}, {ends}, {'a byte-order mark counted at 0' if self.bom else 'no byte-order mark counted'}"

    def offsets(self, tokens: _Tokens) -> np.ndarray:
        """The position of each token boundary under this convention (``len(tokens) + 1`` of them)."""
        width = tokens.width.copy() if not self.line_end else np.ones(len(tokens), dtype=np.int64)
        if self.line_end:
            width[tokens.line_end] = self.line_end
        if self.utf16:
            width[tokens.astral] += 1
        out = np.empty(len(tokens) + 1, dtype=np.int64)
        out[0] = 0
        np.cumsum(width, out=out[1:])
        return out + int(self.bom)


def _candidates(tokens: _Tokens) -> list[tuple[Convention, np.ndarray]]:
    """Every convention that gives this text distinct positions, the REFI-QDA rule first."""
    found: list[tuple[Convention, np.ndarray]] = []
    for utf16 in (False, True):
        for line_end in (0, 1, 2):
            for bom in (tokens.bom, not tokens.bom):
                convention = Convention(bom, line_end, utf16)
                offsets = convention.offsets(tokens)
                if not any(np.array_equal(offsets, seen) for _, seen in found):
                    found.append((convention, offsets))
    return found


def _boundaries(normal: str) -> np.ndarray:
    """Where a selection plausibly starts or ends: the text's ends, and the edges of words and spaces."""
    marks = np.zeros(len(normal) + 1, dtype=bool)
    marks[0] = marks[-1] = True
    for match in re.finditer(r"\w+|\s+", normal):
        marks[match.start()] = marks[match.end()] = True
    return marks


@dataclass
class _Placed:
    """Selections' positions under one convention, as token indexes, and how plausible they are."""

    start: np.ndarray  # the token each selection starts in
    end: np.ndarray  # the token boundary each selection ends at
    valid: np.ndarray  # 0 <= start < end <= the text's length under the convention
    score: int


def _place(
    offsets: np.ndarray, starts: np.ndarray, ends: np.ndarray, marks: np.ndarray, anchors: np.ndarray
) -> _Placed:
    """Place selections under one convention and score them: an end on a word edge counts 1 and on a
    unit's edge 3 more; an end inside a character (between CR and LF, inside a surrogate pair or a
    byte-order mark) or beyond the text counts -5, since the convention cannot have produced it."""
    n = len(offsets) - 1
    first = np.clip(np.searchsorted(offsets, starts, "right") - 1, 0, n)
    last = np.clip(np.searchsorted(offsets, ends, "left"), 0, n)
    valid = (starts >= 0) & (starts < ends) & (ends <= offsets[-1])
    score = 0
    for at, wanted in ((first, starts), (last, ends)):
        exact = valid & (offsets[at] == wanted)
        score += int((exact & marks[at]).sum() + 3 * (exact & anchors[at]).sum() - 5 * (~exact).sum())
    return _Placed(first, last, valid, score)


def detect_convention(
    text: str, starts: Iterable[int], ends: Iterable[int], anchors: Iterable[int] = ()
) -> tuple[Convention, _Placed]:
    """The convention the selections ``[start, end)`` of a source with plain text ``text`` follow, and
    the selections placed on its tokens.

    Each convention that gives the text distinct positions is scored by where the selections would
    start and end (see :func:`_place`; ``anchors`` are token indexes of unit edges). The REFI-QDA
    rule, code points of the text as it is, stands unless another convention scores at least 2 more.

    >>> text = "One line.\\r\\nTwo \\U0001F600 lines."
    >>> detect_convention(text, [11, 17], [14, 23])[0]      # "Two", "lines.": code points, CRLF as 2
    Convention(bom=False, line_end=0, utf16=False)
    >>> detect_convention(text, [10, 16], [13, 22])[0]      # the same from a program that counted CRLF as 1
    Convention(bom=False, line_end=1, utf16=False)
    >>> detect_convention(text, [11, 18], [14, 24])[0].utf16  # UTF-16 code units: the emoji counts 2
    True
    """
    tokens = _Tokens.of(text)
    marks = _boundaries(normalise_text(text))
    edges = np.zeros(len(tokens) + 1, dtype=bool)
    edges[np.clip(np.fromiter(anchors, dtype=np.int64), 0, len(tokens))] = True
    starts = np.fromiter((min(max(int(s), -1), 2**62) for s in starts), dtype=np.int64)
    ends = np.fromiter((min(max(int(e), -1), 2**62) for e in ends), dtype=np.int64)
    placed = [(convention, _place(offsets, starts, ends, marks, edges)) for convention, offsets in _candidates(tokens)]
    standard = placed[0]
    rival = max(placed[1:], key=lambda item: item[1].score, default=standard)
    return rival if rival[1].score >= standard[1].score + 2 else standard


# -- import ------------------------------------------------------------------------------------------


@dataclass
class SourceMatch:
    """One source of a project placed on a case: where its text is, and how its positions were counted."""

    source: str  # "source 'name' (file)"
    case_id: str
    convention: Convention
    description: str
    selections: int  # coded selections in the source

    def __str__(self) -> str:
        return (
            f"{self.source} is case {self.case_id!r}: {self.selections} coded selection(s), positions in "
            f"{self.description}"
        )


@dataclass
class QdpxImport:
    """What an import found: the codings mapped to units, and every item it could not import."""

    codings: pd.DataFrame  # unit_id, code_id, coder, memo
    problems: list[Problem]  # reported, not imported
    users: pd.DataFrame  # user, guid, codings (unit-code pairs found per user)
    coder: str
    user: str | None
    written: Path | None = None
    sources: list[SourceMatch] = field(default_factory=list)
    codebook: "CodebookComparison | None" = None  # for a project that holds only a codebook
    links: pd.DataFrame | None = None  # the chosen user's links, as corpus.links has them


def _name_key(text: str) -> str:
    return " ".join(str(text).replace("_", " ").casefold().split())


def _decode_source(data: bytes) -> str:
    """A source file's text; a byte-order mark is kept as U+FEFF (a program may have counted it)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "\ufeff" + data[2:].decode("utf-16-le" if data[:1] == b"\xff" else "utf-16-be")
    return data.decode("utf-8")


def _source_text(project: QdpxProject, src: ET.Element) -> tuple[str | None, str, str]:
    """A text source's plain text, where it was found (for messages), and why it is missing if it is."""
    content = src.find(_q("PlainTextContent"))
    if content is not None and content.text is not None:
        return content.text, f"PlainTextContent in {project.qde_name}", ""
    target = src.get("plainTextPath") or ""
    member = project.source_members.get(normalise_guid(src.get("guid")))
    if member is None:
        where = f"plainTextPath {target!r}" if target else "no plainTextPath and no PlainTextContent"
        return None, where, "its text is not in the archive"
    try:
        return _decode_source(project.entries[member]), member, ""
    except UnicodeDecodeError as exc:
        return None, member, f"its text is not UTF-8 (byte {exc.start})"


def _excerpt(text: str, start: int, end: int, words: int = 8) -> str:
    return excerpt(text[max(start, 0) : max(end, 0)], words)


def _first_difference(ours: str, theirs: str) -> str:
    """Where two normalised texts first differ, for a message."""
    at = len(os.path.commonprefix([ours, theirs]))
    word = max(ours.rfind(" ", 0, at), ours.rfind("\n", 0, at)) + 1
    line = ours.count("\n", 0, at) + 1
    return (
        f"first at line {line}: {_excerpt(theirs, word, word + 40, 5) or '(end of text)'!r} in the project, "
        f"{_excerpt(ours, word, word + 40, 5) or '(end of text)'!r} in data/raw"
    )


@dataclass
class _CaseText:
    """A case's raw text ready for mapping: token offsets, non-space counts, and its units by position."""

    text: str
    offsets: np.ndarray  # code-point offset in the raw text of each token boundary
    ink: np.ndarray  # non-space characters before each position of the raw text
    starts: np.ndarray
    ends: np.ndarray
    reach: np.ndarray  # running maximum of ends
    unit_ids: list[str]
    boilerplate: np.ndarray

    @classmethod
    def of(cls, corpus: Corpus, case_id: str) -> "_CaseText":
        text = corpus.raw[case_id]
        tokens = _Tokens.of(text)
        ink = np.zeros(len(text) + 1, dtype=np.int64)
        np.cumsum(~np.isin(_code_points(text), _WHITESPACE), out=ink[1:])
        units = corpus.units[corpus.units["case_id"] == case_id].sort_values("start", kind="stable")
        ends = units["end"].to_numpy(np.int64)
        return cls(
            text,
            Convention(bom=tokens.bom).offsets(tokens),
            ink,
            units["start"].to_numpy(np.int64),
            ends,
            np.maximum.accumulate(ends) if len(ends) else ends,
            units["unit_id"].tolist(),
            units["boilerplate"].to_numpy(bool),
        )

    def units_inked(self, start: int, end: int) -> list[int]:
        """Indexes of the units that ``[start, end)`` overlaps by at least one non-space character."""
        lo = int(np.searchsorted(self.reach, start, "right"))
        hi = int(np.searchsorted(self.starts, end, "left"))
        return [
            k
            for k in range(lo, hi)
            if self.ends[k] > start and self.ink[min(end, self.ends[k])] - self.ink[max(start, self.starts[k])] > 0
        ]


class _Mapper:
    """Maps a project's selections onto the units of a corpus, collecting rows and problems."""

    def __init__(self, project: QdpxProject, corpus: Corpus):
        self.project, self.corpus = project, corpus
        self.where = project.where
        self.problems: list[Problem] = []
        self.rows: list[tuple[str, str | None, str, str, str]] = []
        self.matches: list[SourceMatch] = []
        self.by_text = {normalise_text(text): cid for cid, text in corpus.raw.items()}
        self.by_guid = {normalise_guid(guid("source", c)): c for c in corpus.case_ids}
        self.by_name: dict[str, str] = {}
        for rec in corpus.cases.to_dict("records"):
            for key in (rec["case_id"], rec.get("short_name"), rec.get("partnership"), rec.get("title")):
                if key and isinstance(key, str):
                    self.by_name.setdefault(_name_key(key), rec["case_id"])
        self.cases: dict[str, _CaseText] = {}
        self.codes = self._code_index()
        self.project_user = normalise_guid(project.root.get("creatingUserGUID"))
        # selections that Links point at are placed too, coded or not: GUID -> (user, units, code ids)
        self.linked = {
            normalise_guid(link.get(end))
            for link in project.root.iter(_q("Link"))
            for end in ("originGUID", "targetGUID")
            if link.get(end)
        }
        self.selections: dict[str, tuple[str, list[str], list[str | None]]] = {}

    def _code_index(self) -> Callable[[str], tuple[str | None, str]]:
        ours = {normalise_guid(guid("code", c)): c for c in self.corpus.codes["code_id"]}
        by_name: dict[str, str] = {}
        for rec in self.corpus.codes.itertuples(index=False):
            by_name.setdefault(_name_key(rec.code_id), rec.code_id)
            by_name.setdefault(_name_key(rec.label), rec.code_id)
        theirs = {g: (n, p) for g, n, p in self.project.codes[["guid", "name", "path"]].itertuples(index=False)}
        cache: dict[str, tuple[str | None, str]] = {}

        def match(code_guid: str) -> tuple[str | None, str]:
            if code_guid not in cache:
                if code_guid in ours:
                    cache[code_guid] = (ours[code_guid], ours[code_guid])
                elif code_guid in theirs:
                    name, path = theirs[code_guid]
                    cache[code_guid] = (by_name.get(_name_key(name)), path)
                else:
                    cache[code_guid] = (None, code_guid)
            return cache[code_guid]

        return match

    def add(self, where: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.where, where, message, hint))

    def source(self, src: ET.Element) -> None:
        tag = src.tag.split("}")[-1]
        name = src.get("name") or src.get("guid")
        n_selections = sum(1 for el in src.iter() if el.tag.endswith("Selection"))
        if tag != "TextSource":
            if n_selections or src.find(_q("Coding")) is not None:
                self.add(
                    f"{tag} {name!r}",
                    f"{n_selections} selection(s) in a {tag} not imported",
                    "lspkit codes the plain-text case studies only",
                )
            return
        coded = [
            s
            for s in src.findall(_q("PlainTextSelection"))
            if s.find(_q("Coding")) is not None or normalise_guid(s.get("guid")) in self.linked
        ]
        whole = src.findall(_q("Coding"))
        if not coded and not whole:
            return
        text, file, missing = _source_text(self.project, src)
        label = f"source {name!r} ({file})"
        for _ in whole:
            self.add(
                label,
                "a coding of the whole source was not imported",
                "lspkit codes units; code the passages in your QDA program instead",
            )
        if not coded:
            return
        if text is None:
            self.add(
                label,
                f"{missing}; {len(coded)} coded selection(s) not imported",
                "export the project with its sources included",
            )
            return
        case_id = self._case_of(src, name or "", label, text, len(coded))
        if case_id is not None:
            self._selections(coded, label, text, case_id, normalise_guid(src.get("creatingUser")) or self.project_user)

    def _case_of(self, src: ET.Element, name: str, label: str, text: str, n_coded: int) -> str | None:
        normal = normalise_text(text)
        case_id = self.by_text.get(normal)
        if case_id is not None:
            return case_id
        named = self.by_guid.get(normalise_guid(src.get("guid"))) or self.by_name.get(
            _name_key(re.sub(r"\.(txt|docx?|rtf|pdf)$", "", name or "", flags=re.IGNORECASE))
        )
        if named:
            self.add(
                label,
                f"its text differs from the corpus's {named!r} text "
                f"({_first_difference(normalise_text(self.corpus.raw[named]), normal)}), so positions cannot be "
                f"mapped; {n_coded} coded selection(s) not imported",
                f"import data/raw/{named}.txt into the QDA program unchanged and code that",
            )
        else:
            self.add(
                label,
                f"not in the corpus; {n_coded} coded selection(s) not imported",
                "only the case studies in data/raw/ can be imported; code those in the QDA program",
            )
        return None

    def _selections(self, coded: list[ET.Element], label: str, text: str, case_id: str, source_user: str) -> None:
        if case_id not in self.cases:
            self.cases[case_id] = _CaseText.of(self.corpus, case_id)
        case = self.cases[case_id]
        starts = [int(s.get("startPosition") or 0) for s in coded]  # required by the schema, checked above
        ends = [int(s.get("endPosition") or 0) for s in coded]
        anchors = np.searchsorted(case.offsets, np.concatenate([case.starts, case.ends]))
        convention, placed = detect_convention(text, starts, ends, anchors)
        tokens = _Tokens.of(text)
        described = convention.describe(tokens.line_ends)
        if convention == Convention(bom=tokens.bom):
            described += " (the REFI-QDA rule)"
        ours = _Tokens.of(case.text)
        if (ours.line_ends, ours.bom) != (tokens.line_ends, tokens.bom):
            described += (
                f" (the project's text has {tokens.line_ends} line ends"
                f"{' and a byte-order mark' if tokens.bom else ''}; data/raw/{case_id}.txt has "
                f"{ours.line_ends}{' and a byte-order mark' if ours.bom else ''})"
            )
        self.matches.append(SourceMatch(label, case_id, convention, described, len(coded)))
        total = int(convention.offsets(tokens)[-1])
        for k, sel in enumerate(coded):
            here = f"{label}, selection {sel.get('guid')} [{starts[k]}:{ends[k]}]"
            if not placed.valid[k]:
                self.add(
                    here,
                    f"impossible positions (the text has {total} positions counted in "
                    f"{convention.describe(tokens.line_ends)}); not imported",
                )
                continue
            start, end = int(case.offsets[placed.start[k]]), int(case.offsets[placed.end[k]])
            self._selection(sel, here, case, start, end, source_user)

    def _selection(self, sel: ET.Element, here: str, case: _CaseText, start: int, end: int, source_user: str) -> None:
        hits = case.units_inked(start, end) if start < end else []
        boiler = [case.unit_ids[k] for k in hits if case.boilerplate[k]]
        units = [case.unit_ids[k] for k in hits if not case.boilerplate[k]]
        if boiler:
            self.add(
                here,
                f"covers boilerplate {', '.join(boiler)} ('{_excerpt(case.text, start, end)}'), which "
                "cannot be coded; that part not imported",
            )
        if not units:
            if not boiler:
                self.add(
                    here,
                    f"'{_excerpt(case.text, start, end)}' lies outside every unit (a heading, a paragraph "
                    "number or the front matter); not imported",
                    "code the paragraph's text itself",
                )
            return
        sel_user = normalise_guid(sel.get("creatingUser")) or source_user
        self.selections[normalise_guid(sel.get("guid"))] = (
            sel_user,
            units,
            [self.codes(normalise_guid(r.get("targetGUID")))[0] for r in sel.iter(_q("CodeRef"))],
        )
        notes = self.project.notes
        sel_notes = [notes.get(normalise_guid(r.get("targetGUID")), "") for r in sel.findall(_q("NoteRef"))]
        for coding in sel.findall(_q("Coding")):
            ref = coding.find(_q("CodeRef"))
            code_id, code_name = self.codes(normalise_guid(ref.get("targetGUID") if ref is not None else ""))
            user = normalise_guid(coding.get("creatingUser")) or sel_user
            memo = " ".join(
                " ".join(
                    [notes.get(normalise_guid(r.get("targetGUID")), "") for r in coding.findall(_q("NoteRef"))]
                    + sel_notes
                ).split()
            )
            self.rows.extend((unit_id, code_id, user, code_name, memo) for unit_id in units)


def map_codings(project: QdpxProject, corpus: Corpus) -> tuple[pd.DataFrame, list[Problem], list[SourceMatch]]:
    """Every coding in the project mapped to units: one row per selection, unit, code and user.

    Returns the rows (columns ``unit_id, code_id, user_guid, code_name, memo``; ``code_id`` is empty
    for a code the codebook lacks), the problems (every item not mapped, each with its source's name
    and file), and how each source was placed (its case and the position convention detected).

    >>> import tempfile, pathlib
    >>> from lspkit import load_corpus
    >>> corpus = load_corpus()
    >>> out = export_qdpx(corpus, pathlib.Path(tempfile.mkdtemp()) / "lsp.qdpx", coders=["researcher"])
    >>> rows, problems, sources = map_codings(read_qdpx(out), corpus)
    >>> len(rows) == int((corpus.codings["coder"] == "researcher").sum()), problems, sources[0].convention.utf16
    (True, [], False)
    """
    mapper = _map(project, corpus)
    frame = pd.DataFrame(mapper.rows, columns=["unit_id", "code_id", "user_guid", "code_name", "memo"])
    return frame, mapper.problems, mapper.matches


def _map(project: QdpxProject, corpus: Corpus) -> _Mapper:
    mapper = _Mapper(project, corpus)
    sources_el = project.root.find(_q("Sources"))
    for src in list(sources_el) if sources_el is not None else []:
        mapper.source(src)
    return mapper


def map_links(
    project: QdpxProject, mapper: _Mapper, corpus: Corpus, coder: str, user_guid: str
) -> tuple[list[tuple[str, int, dict[str, str]]], list[Problem]]:
    """The project's ``Link`` elements by ``user_guid`` as link rows of ``coder`` (see :mod:`lspkit.links`).

    A Link whose note holds an ``lspkit-link:`` record (:func:`link_note`) is restored exactly. Any
    other Link is placed from the selections it joins: their units, the one 7S element coded on each
    and a relation named in the Link's name; as the REFI-QDA standard has no place for whether a
    link is stated or inferred, nor for its status, such a link is reported by name, not imported.
    """
    rows: list[tuple[str, int, dict[str, str]]] = []
    problems: list[Problem] = []
    elements = set(corpus.elements)
    relations = {_name_key(r): r for r in corpus.codebook.relations["id"]}
    relations.update(
        {_name_key(label): r for r, label in zip(corpus.codebook.relations["id"], corpus.codebook.relations["label"])}
    )
    for n, link in enumerate(project.root.iter(_q("Link")), start=1):
        name = link.get("name") or link.get("guid")
        where = f"link {name!r}"
        ends = [mapper.selections.get(normalise_guid(link.get(e) or "")) for e in ("originGUID", "targetGUID")]
        users = {e[0] for e in ends if e is not None}
        if users and user_guid not in users:
            continue  # another user's link: counted with that user's codings
        note = " ".join(project.notes.get(normalise_guid(r.get("targetGUID")), "") for r in link.findall(_q("NoteRef")))
        record = None
        if LINK_RECORD in note:
            memo, _, tail = note.rpartition(LINK_RECORD)
            try:
                record = json.loads(tail.strip())
            except ValueError:
                problems.append(
                    Problem(
                        project.where,
                        where,
                        "its lspkit-link record cannot be read; not imported",
                        "export the project again from lspkit, or fix the note's last line",
                    )
                )
                continue
            if not isinstance(record, dict) or not isinstance(record.get("unit_ids"), list):
                problems.append(Problem(project.where, where, "its lspkit-link record is not a link; not imported"))
                continue
            rec = {
                k: str(record.get(k, ""))
                for k in ("link_id", "source", "target", "direction", "relation", "evidence", "status")
            }
            rec.update(unit_ids=" ".join(map(str, record["unit_ids"])), coder=coder, memo=" ".join(memo.split()))
            rows.append((project.where, n, rec))
            continue
        if None in ends:
            problems.append(
                Problem(
                    project.where,
                    where,
                    "it joins a selection that could not be placed on a unit "
                    "(see the problems above) or no selection at all; not imported",
                )
            )
            continue
        found = [[c for c in e[2] if c in elements] for e in ends]  # type: ignore[index]
        relation = relations.get(_name_key(re.sub(r"^.*?:\s*", "", name or "")))
        if any(len(f) != 1 for f in found) or relation is None:
            problems.append(
                Problem(
                    project.where,
                    where,
                    "cannot be read as a link between two 7S elements: each "
                    "end must carry exactly one element and the name must be a relation of the "
                    "codebook; not imported",
                    "record it in data/links/<coder>.csv by hand",
                )
            )
            continue
        problems.append(
            Problem(
                project.where,
                where,
                f"a {found[0][0]} to {found[1][0]} link ({relation}) with no "
                "record of whether the text states it or of its status; not imported",
                "record it in data/links/<coder>.csv by hand, with evidence and status",
            )
        )
    return rows, problems


def _users_table(project: QdpxProject, mapped: pd.DataFrame) -> pd.DataFrame:
    names = dict(zip(project.users["guid"], project.users["name"]))
    counts = mapped.drop_duplicates(["unit_id", "code_name", "user_guid"]).groupby("user_guid", sort=False).size()
    rows = [
        {"user": names.get(g, "(unattributed)" if not g else g), "guid": g, "codings": int(n)}
        for g, n in counts.items()
    ]
    return pd.DataFrame(rows, columns=["user", "guid", "codings"])


def _check_coder(coder: str, data_dir: Path) -> tuple[str, Path]:
    """The kind ``coder`` will have and its codings file; refuses a bad id or a coder an import may not touch."""
    if (
        not isinstance(coder, str)
        or not CODER_RE.match(coder)
        or len(coder) > MAX_CODER_LENGTH
        or coder == DERIVED_CODER
    ):
        shown = coder if not isinstance(coder, str) or len(coder) <= 60 else coder[:57] + "..."
        why = (
            f"is {len(coder)} characters long, more than {MAX_CODER_LENGTH}"
            if isinstance(coder, str) and CODER_RE.match(coder) and len(coder) > MAX_CODER_LENGTH
            else "is the derived coder (the documents' headings), which an import never replaces"
            if coder == DERIVED_CODER
            else "is not a usable slug"
        )
        raise LspkitError(
            [
                Problem(
                    "parameter coder",
                    "",
                    f"coder id {shown!r} {why}",
                    f"use up to {MAX_CODER_LENGTH} lower-case letters, digits, '-' and '_', "
                    "e.g. 'nvivo_ann'; not 'structure'",
                )
            ]
        )
    existing = load_coders(data_dir / "coders.csv").set_index("coder")["kind"]
    target = data_dir / "codings" / f"{coder}.csv"
    kind = existing.get(coder, "imported")
    if kind == "human" and target.exists():
        raise LspkitError(
            [
                Problem(
                    str(target),
                    "",
                    f"coder {coder!r} is a human coder whose codings are already in "
                    "this file; an import never overwrites them",
                    "move the file away to import again, or import as another coder",
                )
            ]
        )
    if kind not in ("imported", "human"):
        raise LspkitError(
            [
                Problem(
                    str(data_dir / "coders.csv"),
                    "",
                    f"coder {coder!r} is registered as {kind!r}; an import never replaces it",
                    "choose another coder name",
                )
            ]
        )
    return kind, target


def _count_coded(root: ET.Element) -> tuple[int, int]:
    """(coded selections and whole-source codings in the project's sources, sources)."""
    sources = root.find(_q("Sources"))
    if sources is None:
        return 0, 0
    coded = sum(
        1 for src in sources for el in src.iter() if el.tag.endswith("Selection") and el.find(_q("Coding")) is not None
    )
    return coded + sum(len(src.findall(_q("Coding"))) for src in sources), len(sources)


def _nothing_to_import(project: QdpxProject, n_sources: int) -> LspkitError:
    if n_sources:
        return LspkitError(
            [
                Problem(
                    project.where,
                    "",
                    f"the project holds no codings: its {n_sources} source(s) "
                    "have no coded selections, so there is nothing to import",
                    "code the sources in your QDA program, then export the project again",
                )
            ]
        )
    return LspkitError(
        [
            Problem(
                project.where,
                "",
                "the project is empty: it holds no sources, no codes and no codings, so there is nothing to import",
                "export the coded project, with its sources, from your QDA program",
            )
        ]
    )


def _choose_user(users: pd.DataFrame, user: str | None, project: QdpxProject) -> str:
    if user is not None:
        key = user.casefold()
        chosen = users[(users["user"].str.casefold() == key) | (users["guid"] == normalise_guid(user))]
        if chosen.empty:
            raise LspkitError(
                [
                    Problem(
                        "parameter user",
                        "",
                        f"no codings by user {user!r} in {project.path.name}",
                        "users with codings: "
                        + ", ".join(f"{u} ({n})" for u, n in zip(users["user"], users["codings"])),
                    )
                ]
            )
        return chosen["guid"].iloc[0]
    if len(users) > 1:
        raise LspkitError(
            [
                Problem(
                    project.where,
                    "",
                    f"the file holds codings by {len(users)} users",
                    "pick one with --user; users: "
                    + ", ".join(f"{u} ({n} codings)" for u, n in zip(users["user"], users["codings"])),
                )
            ]
        )
    return users["guid"].iloc[0]


def _coder_codings(mine: pd.DataFrame, corpus: Corpus, coder: str) -> pd.DataFrame:
    """One row per unit and code, in corpus order, memos of repeated codings joined with ' | '."""
    order = {u: i for i, u in enumerate(corpus.units["unit_id"])}
    code_order = {c: i for i, c in enumerate(corpus.codes["code_id"])}
    memos: dict[tuple[str, str], dict[str, None]] = {}
    statuses: dict[tuple[str, str], str] = {}
    for unit_id, code_id, note in zip(mine["unit_id"], mine["code_id"], mine["memo"]):
        memo, status = split_status(note)
        found = memos.setdefault((unit_id, code_id), {})
        if memo:
            found[memo] = None
        if status and not statuses.get((unit_id, code_id)):
            statuses[(unit_id, code_id)] = status
    keys = sorted(memos, key=lambda k: (order[k[0]], code_order[k[1]]))
    return pd.DataFrame(
        [(u, c, coder, statuses.get((u, c), ""), " | ".join(memos[(u, c)])) for u, c in keys], columns=CODING_COLUMNS
    )


def import_qdpx(
    path: str | Path,
    coder: str,
    data_dir: str | Path | None = None,
    user: str | None = None,
    write: bool = True,
    *,
    max_member_bytes: int | None = None,
    max_archive_bytes: int | None = None,
) -> QdpxImport:
    """Import a REFI-QDA project's codings as coder ``coder`` of the data directory.

    ``user`` picks one user's codings (by name or GUID) when the file holds several users'. With
    ``write`` the codings go to ``codings/<coder>.csv`` and a new coder is registered in ``coders.csv``
    with kind ``imported``, both in one transaction (re-importing replaces an imported coder's
    codings). A coder registered by hand as ``human`` may receive one import while it has no codings
    file (its row is kept); an import never overwrites a human coder's codings, nor touches a machine
    or derived coder. The coder id is checked (a slug of at most :data:`MAX_CODER_LENGTH` characters)
    before anything is read. Items that cannot be imported are returned in ``problems`` (never
    dropped silently) and ``sources`` says how each source was placed; a used code the codebook
    lacks, an ambiguous user, or a project without codings raises
    :class:`~lspkit.errors.LspkitError`. A project holding only a codebook is compared with
    ``codebook.yml`` (``codebook`` of the result) and nothing is written. ``max_member_bytes`` and
    ``max_archive_bytes`` override the archive size limits.

    >>> import tempfile, pathlib, shutil
    >>> data = pathlib.Path(tempfile.mkdtemp()) / "data"
    >>> _ = shutil.copytree("data", data)
    >>> out = export_qdpx(None, data.parent / "lsp.qdpx", coders=["researcher"])
    >>> result = import_qdpx(out, "copy", data_dir=data)
    >>> result.written.name, result.problems
    ('copy.csv', [])
    """
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    kind, target = _check_coder(coder, data_dir)
    corpus = load_corpus(data_dir)
    project = read_qdpx(path, max_member_bytes=max_member_bytes, max_archive_bytes=max_archive_bytes)
    n_coded, n_sources = _count_coded(project.root)
    if not n_coded:
        if len(project.codes) and not n_sources:
            comparison = compare_codebook(
                _file_codes(project.root.find(f"{_q('CodeBook')}/{_q('Codes')}"), NS),
                corpus.codes,
                project.path,
                data_dir / "codebook.yml",
            )
            no_users = pd.DataFrame(columns=["user", "guid", "codings"])
            return QdpxImport(pd.DataFrame(columns=CODING_COLUMNS), [], no_users, coder, None, codebook=comparison)
        raise _nothing_to_import(project, n_sources)
    mapper = _map(project, corpus)
    mapped = pd.DataFrame(mapper.rows, columns=["unit_id", "code_id", "user_guid", "code_name", "memo"])
    problems, matches = mapper.problems, mapper.matches
    users = _users_table(project, mapped)
    if users.empty:
        raise LspkitError(
            problems
            + [
                Problem(
                    project.where,
                    "",
                    f"none of the {n_coded} coded selection(s) in the project could be mapped onto a unit",
                    "the problems above say why",
                )
            ]
        )
    chosen = _choose_user(users, user, project)
    user_name = users.loc[users["guid"] == chosen, "user"].iloc[0]
    mine = mapped[mapped["user_guid"] == chosen]
    for rec in users[users["guid"] != chosen].itertuples(index=False):
        problems.append(
            Problem(
                project.where,
                f"user {rec.user!r}",
                f"{rec.codings} coding(s) by another user not imported",
                "import them as another coder with --user",
            )
        )
    unknown = mine[mine["code_id"].isna()]
    if len(unknown):
        raise LspkitError(
            [
                Problem(
                    project.where,
                    f"code {name!r}",
                    f"unknown code ({n} coding(s)): matches no code of the codebook by GUID, id or label",
                    "rename it in the QDA program to a code id or label of data/codebook.yml, or add "
                    f"it with: lspkit import-qdc {project.path} --add-codes",
                )
                for name, n in unknown.groupby("code_name").size().items()
            ]
        )
    codings = _coder_codings(mine, corpus, coder)
    links = _import_links(project, mapper, corpus, coder, chosen, problems)
    result = QdpxImport(codings, problems, users, coder, user_name, sources=matches, links=links)
    if write:
        description = (
            f"Imported from {project.path.name}: REFI-QDA project {project.name!r}"
            + (f" written by {project.origin}" if project.origin else "")
            + f", codings of user {user_name!r}."
        )
        result.written = _write_import(
            codings, data_dir, target, coder, description if kind == "imported" else None, links
        )
    return result


def _import_links(
    project: QdpxProject, mapper: _Mapper, corpus: Corpus, coder: str, user_guid: str, problems: list[Problem]
) -> pd.DataFrame:
    """The chosen user's links, checked like a links file; every one that fails is added to ``problems``."""
    from .links import check_links

    rows, link_problems = map_links(project, mapper, corpus, coder, user_guid)
    problems.extend(link_problems)
    log = ProblemLog()
    coders = pd.concat(
        [corpus.coders, pd.DataFrame({"coder": [coder], "kind": ["imported"], "description": [""]})], ignore_index=True
    ).drop_duplicates("coder")
    relations = dict(zip(corpus.codebook.relations["id"], corpus.codebook.relations["definition"]))
    links = check_links(
        [(f"{project.where}/links/{coder}.csv", line, rec) for _, line, rec in rows],
        corpus.units,
        corpus.codes,
        coders,
        relations,
        dict(zip(corpus.cases["case_id"], corpus.cases["short_name"])),
        log,
    )
    problems.extend(
        Problem(project.where, f"link {p.where.replace('row', 'number')}", f"{p.message}; not imported", p.hint)
        for p in log.problems
    )
    return links


# -- writing several files as one ---------------------------------------------------------------------

_stage = stage_bytes


def _restore(path: Path, old: bytes | None) -> bool:
    """Put back what ``path`` held before a failed transaction; whether that worked."""
    try:
        if old is None:
            path.unlink(missing_ok=True)
        else:
            os.replace(_stage(path, old), path)
        return True
    except OSError:
        return False


def commit_files(files: list[tuple[Path, bytes]]) -> None:
    """Write several files as one transaction: every one of them, or none.

    Each file is first written to a temp file beside it; then the temp files are renamed over the
    targets in order. If a rename fails, the files already renamed get their old bytes back (or are
    removed if they are new) and the error names the file that failed.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> commit_files([(folder / "a.csv", b"a"), (folder / "b.csv", b"b")])
    >>> sorted(p.name for p in folder.iterdir())
    ['a.csv', 'b.csv']
    """
    originals = {path: (path.read_bytes() if path.is_file() else None) for path, _ in files}
    staged: list[tuple[Path, str]] = []
    try:
        for path, data in files:
            staged.append((path, _stage(path, data)))
    except OSError as exc:
        for _, tmp in staged:
            Path(tmp).unlink(missing_ok=True)
        raise LspkitError(
            [
                Problem(
                    str(path),
                    "",
                    f"cannot be written ({exc.strerror or exc}); nothing was changed",
                    "check that the folder exists and can be written",
                )
            ]
        ) from None
    done: list[Path] = []
    for path, tmp in staged:
        try:
            os.replace(tmp, path)
        except OSError as exc:
            for _, left in staged:
                Path(left).unlink(missing_ok=True)
            restored = all([_restore(p, originals[p]) for p in reversed(done)])
            state = (
                "nothing was changed"
                if restored
                else f"restoring {', '.join(str(p) for p in done)} failed too: check them"
            )
            raise LspkitError(
                [
                    Problem(
                        str(path),
                        "",
                        f"cannot be written ({exc.strerror or exc}); {state}",
                        "check that the folder can be written, then run the command again",
                    )
                ]
            ) from None
        done.append(path)


def _write_import(
    codings: pd.DataFrame,
    data_dir: Path,
    target: Path,
    coder: str,
    description: str | None,
    links: pd.DataFrame | None = None,
) -> Path:
    """Write ``codings/<coder>.csv``, (with a ``description``) the coder's row in ``coders.csv`` and (with
    ``links``) ``links/<coder>.csv``, as one: all of them or none."""
    from .links import write_links

    registry = data_dir / "coders.csv"
    with tempfile.TemporaryDirectory(prefix="lspkit-import-") as scratch:
        files = []
        if description is not None:
            copy = Path(scratch) / "coders.csv"
            shutil.copyfile(registry, copy)
            register_coder(copy, coder, "imported", description)
            files.append((registry, copy.read_bytes()))
        files.append((target, write_codings(codings, Path(scratch) / target.name).read_bytes()))
        links_file = data_dir / "links" / f"{coder}.csv"
        if links is not None and (len(links) or links_file.exists()):
            files.append((links_file, write_links(links, Path(scratch) / "links.csv").read_bytes()))
    for folder in {path.parent for path, _ in files}:
        if not folder.is_dir():
            try:
                folder.mkdir(parents=True)
            except OSError as exc:
                raise LspkitError(
                    [
                        Problem(
                            str(folder),
                            "",
                            f"cannot be created ({exc.strerror or exc})",
                            "check that the data folder can be written",
                        )
                    ]
                ) from None
    commit_files(files)
    return target


# -- codebook exchange: .qdc files ---------------------------------------------------------------------


@dataclass(frozen=True)
class FileCode:
    """One code of an exchange file: its GUID (normalised), name, description, parent's GUID and path."""

    guid: str
    name: str
    description: str | None
    parent: str | None
    path: str


def _file_codes(codes_el: ET.Element | None, ns: str) -> list[FileCode]:
    """Every code under a ``Codes`` element, parents before their children."""
    found: list[FileCode] = []

    def walk(el: ET.Element, parent: str | None, trail: tuple[str, ...]) -> None:
        for code in el.findall(_q("Code", ns)):
            here = trail + (code.get("name", ""),)
            description = code.find(_q("Description", ns))
            code_guid = normalise_guid(code.get("guid"))
            found.append(
                FileCode(
                    code_guid,
                    code.get("name", ""),
                    description.text if description is not None else None,
                    parent,
                    " / ".join(here),
                )
            )
            walk(code, code_guid, here)

    if codes_el is not None:
        walk(codes_el, None, ())
    return found


@dataclass(frozen=True)
class NewCode:
    """A code of an exchange file that the codebook lacks, as it would be added (a theme)."""

    code_id: str
    label: str
    definition: str
    parent: str | None
    path: str

    def entry(self) -> dict[str, str]:
        out = {"id": self.code_id, "label": self.label}
        if self.parent:
            out["parent"] = self.parent
        out["definition"] = self.definition
        return out


@dataclass
class CodebookComparison:
    """A codebook exchange file compared with the data directory's ``codebook.yml``.

    ``in_sync`` is true when no code differs and every new code was added.
    """

    path: Path
    codebook: Path
    codes: int  # codes in the file
    same: list[str]  # our ids of the codes identical in both
    differences: list[Problem]
    new: list[NewCode]
    added: bool = False
    written: Path | None = None

    @property
    def in_sync(self) -> bool:
        return not self.differences and (not self.new or self.added)

    def summary(self) -> str:
        state = (
            f"added to {self.codebook} as themes"
            if self.added
            else "not added (run again with --add-codes to add them as themes)"
        )
        return (
            f"{self.path}: {self.codes} code(s); {len(self.same)} identical to {self.codebook}, "
            f"{len(self.differences)} differ, {len(self.new)} new" + (f", {state}" if self.new else "")
        )

    def lines(self) -> list[str]:
        """The report, one line per difference and new code, then the summary."""
        out = [f"- differs: {p}" for p in self.differences]
        for code in self.new:
            under = f", under {code.parent!r}" if code.parent else ", at the top level"
            out.append(f"- new code {code.path!r}: id {code.code_id!r}{under}; definition {_brief(code.definition)!r}")
        return out + [self.summary()]


def _norm(text: str | None) -> str:
    return " ".join((text or "").split())


def _brief(text: str | None) -> str:
    return _excerpt(text or "", 0, len(text or ""), 12)


def _new_code_id(name: str, taken: set[str]) -> str:
    """A code id for a new code: its name as a lower-case slug of at most 40 characters, made unique.

    >>> _new_code_id("Trust & reciprocity", {"trust_reciprocity"})
    'trust_reciprocity_2'
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_name).strip("_")[:MAX_CODER_LENGTH].strip("_") or "code"
    candidate, n = base, 2
    while candidate in taken:
        suffix = f"_{n}"
        candidate, n = base[: MAX_CODER_LENGTH - len(suffix)] + suffix, n + 1
    return candidate


def _differences(code: FileCode, ours: pd.Series, parent: str | None, where: str, codebook: Path) -> list[Problem]:
    """How one matched code of the file differs from ours: label, description, parent."""
    here = f"code {code.path!r} (ours: {ours['code_id']!r})"
    found = []
    if _norm(code.name) != _norm(ours["label"]):
        found.append(Problem(where, here, f"label {code.name!r} differs from {ours['label']!r} in {codebook.name}"))
    if _norm(code.description) not in ("", _norm(_code_description(ours)), _norm(ours["definition"])):
        found.append(
            Problem(
                where,
                here,
                f"description {_brief(code.description)!r} differs from the definition "
                f"{_brief(ours['definition'])!r} "
                f"in {codebook.name}",
            )
        )
    our_parent = ours["parent"] if isinstance(ours["parent"], str) and ours["parent"] else None
    if parent != our_parent:
        found.append(
            Problem(
                where,
                here,
                f"parent {parent or 'none (top level)'!r} differs from "
                f"{our_parent or 'none (top level)'!r} in {codebook.name}",
            )
        )
    return found


def compare_codebook(codes: list[FileCode], ours: pd.DataFrame, path: Path, codebook: Path) -> CodebookComparison:
    """Compare an exchange file's codes with lspkit's codebook (``ours``, as ``Corpus.codes``).

    Each code is matched by GUID, else by id or label (ignoring case, spaces and underscores); a
    matched code whose label, description or parent differs is reported; one that matches nothing is
    new, with the id, definition and parent it would be added with.

    >>> from lspkit import load_corpus
    >>> codes = load_corpus().codes
    >>> mine = [FileCode("1" * 32, "Style", "How leaders behave", None, "Style"),
    ...         FileCode("2" * 32, "Trust", "Partners rely on each other", "1" * 32, "Style / Trust")]
    >>> result = compare_codebook(mine, codes, Path("x.qdc"), Path("codebook.yml"))
    >>> [p.message.split(" differs")[0] for p in result.differences]
    ["description 'How leaders behave'"]
    >>> result.new[0].entry()
    {'id': 'trust', 'label': 'Trust', 'parent': 'style', 'definition': 'Partners rely on each other'}
    """
    by_guid = {normalise_guid(guid("code", c)): c for c in ours["code_id"]}
    by_name: dict[str, str] = {}
    for rec in ours.itertuples(index=False):
        by_name.setdefault(_name_key(rec.code_id), rec.code_id)
        by_name.setdefault(_name_key(rec.label), rec.code_id)
    rows = ours.set_index("code_id", drop=False)
    ids: dict[str, str] = {}  # file GUID -> our id (matched or new)
    taken = set(ours["code_id"])
    same, differences, new = [], [], []
    for code in codes:
        match = by_guid.get(code.guid) or by_name.get(_name_key(code.name))
        parent = ids.get(code.parent) if code.parent else None
        if match is not None and match not in ids.values():
            ids[code.guid] = match
            found = _differences(code, rows.loc[match], parent, str(path), codebook)
            differences += found
            if not found:
                same.append(match)
            continue
        code_id = _new_code_id(code.name, taken)
        taken.add(code_id)
        ids[code.guid] = code_id
        definition = _norm(code.description) or f"Added from {path.name}, which gives this code no description."
        new.append(NewCode(code_id, _norm(code.name) or code_id, definition, parent, code.path))
    return CodebookComparison(path, codebook, len(codes), same, differences, new)


def _render_entries(entries: list[dict[str, str]], indent: str, newline: str) -> str:
    blocks = []
    for entry in entries:
        dumped = yaml.safe_dump([entry], sort_keys=False, allow_unicode=True, default_flow_style=False, width=96)
        blocks.append("".join(indent + line + newline for line in dumped.splitlines()))
    return newline.join(blocks)


def append_themes(text: str, entries: list[dict[str, str]]) -> str:
    """``text``, a codebook YAML file, with ``entries`` appended to its ``themes`` list; every other
    character of the file is kept as it was.

    >>> print(append_themes("themes:\\n  - id: a\\n    label: A\\n    definition: x\\n",
    ...                     [{"id": "b", "label": "B", "definition": "y"}]), end="")
    themes:
      - id: a
        label: A
        definition: x
    <BLANKLINE>
      - id: b
        label: B
        definition: y
    """
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    head = next((i for i, line in enumerate(lines) if re.fullmatch(r"themes:[ \t]*(#.*)?\s*", line)), None)
    if head is None:
        if re.search(r"^themes\s*:", text, re.M):
            raise LspkitError(
                [
                    Problem(
                        "codebook.yml",
                        "",
                        "its 'themes' list is not written one entry per line "
                        "('themes:' then '  - id: ...'), so new codes cannot be appended",
                        "add the new codes by hand",
                    )
                ]
            )
        prefix = text if not text or text.endswith(("\n", "\r")) else text + newline
        return prefix + "themes:" + newline + _render_entries(entries, "  ", newline)
    end = next((j for j in range(head + 1, len(lines)) if re.match(r"[^\s#]", lines[j])), len(lines))
    last = max(
        (j for j in range(head + 1, end) if lines[j].strip() and not lines[j].lstrip().startswith("#")), default=head
    )
    indent = next((m.group(1) for line in lines[head + 1 : end] if (m := re.match(r"([ \t]*)- ", line))), "  ")
    before, after = "".join(lines[: last + 1]), "".join(lines[last + 1 :])
    if not before.endswith(("\n", "\r")):
        before += newline
    gap = newline if last > head else ""
    return before + gap + _render_entries(entries, indent, newline) + after


def _add_codes(comparison: CodebookComparison) -> Path:
    """Append the comparison's new codes to ``codebook.yml`` as themes, checked, atomically."""
    path = comparison.codebook
    text = path.read_bytes().decode("utf-8")
    updated = append_themes(text, [code.entry() for code in comparison.new])
    with tempfile.TemporaryDirectory(prefix="lspkit-codebook-") as scratch:
        trial = Path(scratch) / "codebook.yml"
        trial.write_bytes(updated.encode("utf-8"))
        try:
            codes = load_codebook(trial).codes
        except LspkitError as exc:
            raise LspkitError(
                [
                    Problem(str(path), "", f"adding the new codes would break it: {p.message}", "add them by hand")
                    for p in exc.problems
                ]
            ) from None
    missing = {c.code_id for c in comparison.new} - set(codes["code_id"])
    if missing:  # pragma: no cover - append_themes writes into the themes list
        raise LspkitError(
            [Problem(str(path), "", f"the new codes {sorted(missing)} did not land in 'themes'", "add them by hand")]
        )
    commit_files([(path, updated.encode("utf-8"))])
    return path


def _read_codebook_file(
    path: Path, max_member_bytes: int | None, max_archive_bytes: int | None
) -> tuple[list[FileCode], str]:
    """The codes of a ``.qdc`` (or of the codebook of a ``.qdpx`` / ``.qde``), and where they were read."""
    if path.is_file() and zipfile.is_zipfile(path):
        project = read_qdpx(path, max_member_bytes=max_member_bytes, max_archive_bytes=max_archive_bytes)
        codes_el = project.root.find(f"{_q('CodeBook')}/{_q('Codes')}")
        if codes_el is None:
            raise LspkitError(
                [
                    Problem(
                        project.where,
                        "",
                        "the project holds no codebook",
                        "export the codebook (or the project with its codes) from the QDA program",
                    )
                ]
            )
        return _file_codes(codes_el, NS), project.where
    if path.is_dir():
        raise LspkitError([Problem(str(path), "", "is a folder, not a .qdc file", "give the path of a .qdc file")])
    if not path.is_file():
        raise LspkitError([Problem(str(path), "", "file not found", "give the path of a .qdc file")])
    limit = MAX_MEMBER_BYTES if max_member_bytes is None else max_member_bytes
    if path.stat().st_size > limit:
        raise LspkitError(
            [
                Problem(
                    str(path),
                    "",
                    f"holds {_size(path.stat().st_size)}, more than the limit of "
                    f"{_size(limit)} for one file (MAX_MEMBER_BYTES); not read",
                    "a codebook this large is not a REFI-QDA codebook",
                )
            ]
        )
    root = parse_xml(path.read_bytes(), str(path))
    kinds = {_q("CodeBook", CODEBOOK_NS): ("codebook", CODEBOOK_NS), _q("Project"): ("project", NS)}
    if root.tag not in kinds:
        raise LspkitError(
            [
                Problem(
                    str(path),
                    "",
                    f"not a REFI-QDA codebook: its root element is {root.tag!r}",
                    f"a .qdc has the root CodeBook in the namespace {CODEBOOK_NS}",
                )
            ]
        )
    kind, ns = kinds[root.tag]
    errors = validation_errors(root, kind)
    if errors:
        raise LspkitError(
            [
                Problem(str(path), "", f"breaks the REFI-QDA schema: {e}", "the file must follow QDA-XML 1.0")
                for e in errors[:20]
            ]
        )
    codes_el = root.find(_q("Codes", ns)) if kind == "codebook" else root.find(f"{_q('CodeBook')}/{_q('Codes')}")
    return _file_codes(codes_el, ns), str(path)


def import_qdc(
    path: str | Path,
    data_dir: str | Path | None = None,
    add_codes: bool = False,
    *,
    max_member_bytes: int | None = None,
    max_archive_bytes: int | None = None,
) -> CodebookComparison:
    """Compare a REFI-QDA codebook (a ``.qdc``, or the codebook of a ``.qdpx``) with ``codebook.yml``.

    Codes that differ from ours (label, description, parent) are reported in ``differences``; codes
    ours lacks are listed in ``new`` and, with ``add_codes``, appended to ``codebook.yml`` as themes
    (their description as definition, under their parent where it is known), keeping the rest of
    the file's text as it was; the file is checked and written atomically. Nothing else is changed.

    >>> import tempfile, pathlib
    >>> qdc = export_qdc(None, pathlib.Path(tempfile.mkdtemp()) / "codes.qdc")
    >>> result = import_qdc(qdc)
    >>> result.in_sync, len(result.same) == result.codes
    (True, True)
    """
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    codebook = data_dir / "codebook.yml"
    ours = load_codebook(codebook).codes
    codes, where = _read_codebook_file(Path(path), max_member_bytes, max_archive_bytes)
    comparison = compare_codebook(codes, ours, Path(path), codebook)
    if add_codes and comparison.new:
        comparison.written = _add_codes(comparison)
        comparison.added = True
    return comparison
