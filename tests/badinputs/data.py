"""Bad data files and raw texts: each is reported by ``lspkit validate`` (or ``list``) naming the file
and the row, line or column, once, with nothing changed in the data folder."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

from ..conftest import DATA, ROOT
from . import BadInput, append, both, write

Setup = Callable[[Path, Path], None]
CODINGS_ROWS = len((DATA / "codings" / "researcher.csv").read_bytes().splitlines())
NEXT_ROW = CODINGS_ROWS + 1  # the row a line appended to researcher.csv gets
RESTATES_ROW = len((DATA / "restates.csv").read_bytes().splitlines()) + 1  # likewise for restates.csv
CASES_HEADER = (DATA / "cases.csv").read_text(encoding="utf-8").splitlines()[0]


def remove(relative: str) -> Setup:
    """A setup that deletes a file or folder of the data copy."""

    def setup(data: Path, tmp: Path) -> None:
        path = data / relative
        shutil.rmtree(path) if path.is_dir() else path.unlink()

    return setup


def folder(relative: str) -> Setup:
    """A setup that puts a folder where a file of the data copy is (or would be)."""

    def setup(data: Path, tmp: Path) -> None:
        path = data / relative
        if path.is_file():
            path.unlink()
        path.mkdir()

    return setup


def replace(relative: str, old: str | bytes, new: str | bytes, count: int = 1) -> Setup:
    """A setup that replaces the first ``count`` occurrences of ``old`` in a file of the data copy."""

    def setup(data: Path, tmp: Path) -> None:
        path = data / relative
        raw = path.read_bytes()
        old_b = old.encode("utf-8") if isinstance(old, str) else old
        new_b = new.encode("utf-8") if isinstance(new, str) else new
        assert old_b in raw, f"{old!r} not in {relative}"
        path.write_bytes(raw.replace(old_b, new_b, count))

    return setup


def copy(source: str, target: str) -> Setup:
    """A setup that copies a file of the data copy to another name."""

    def setup(data: Path, tmp: Path) -> None:
        shutil.copyfile(data / source, data / target)

    return setup


def utf16(relative: str) -> Setup:
    """A setup that saves an ASCII-only text as UTF-16 (little-endian, no byte-order mark)."""

    def setup(data: Path, tmp: Path) -> None:
        path = data / relative
        text = path.read_text(encoding="utf-8").encode("ascii", "replace").decode("ascii")
        path.write_bytes(text.encode("utf-16-le"))

    return setup


def validate(id: str, setup: Setup | None, *expect: str, argv: tuple[str, ...] = ("validate",)) -> BadInput:
    return BadInput(id=id, argv=argv, setup=setup, expect=expect)


CASES: list[BadInput] = [
    # -- the data folder itself -------------------------------------------------------------------
    BadInput(id="data-folder-is-not-a-data-folder", argv=("--data", "{tmp}", "validate"), data_option=False,
             setup=write("{tmp}/notes.txt", "nothing to see"),
             expect=("{tmp}: not an lspkit data directory: it holds none of raw/, cases.csv",
                     "a data directory holds raw/<case-id>.txt")),
    BadInput(id="data-folder-is-etc", argv=("--data", "/etc", "list"), data_option=False,
             expect=("/etc: not an lspkit data directory",)),
    BadInput(id="data-folder-is-the-project", argv=("--data", str(ROOT), "validate"), data_option=False,
             expect=(f"{ROOT}: not an lspkit data directory", f"did you mean {ROOT / 'data'}?")),
    BadInput(id="data-folder-is-the-raw-folder", argv=("--data", "{data}/raw", "validate"), data_option=False,
             expect=("{data}/raw: not an lspkit data directory", "this is the raw/ folder of {data}")),
    BadInput(id="data-folder-not-found", argv=("--data", "{tmp}/nowhere", "list"), data_option=False,
             expect=("{tmp}/nowhere: data directory not found",)),
    BadInput(id="data-folder-is-a-file", argv=("--data", "{data}/cases.csv", "validate"), data_option=False,
             expect=("{data}/cases.csv: is a file, not a data directory",)),

    # -- cases.csv ---------------------------------------------------------------------------------
    validate("data-cases-missing", remove("cases.csv"), "{data}/cases.csv: case attributes file not found"),
    validate("data-cases-missing-list", remove("cases.csv"), "{data}/cases.csv: case attributes file not found",
             argv=("list",)),
    validate("data-cases-empty", write("cases.csv", ""), "{data}/cases.csv: the file is empty"),
    validate("data-cases-whitespace-only", write("cases.csv", " \n\n"), "{data}/cases.csv: the file is empty"),
    validate("data-cases-missing-column", replace("cases.csv", ",published,", ",date,"),
             "{data}/cases.csv, row 1: missing column(s) published"),
    validate("data-cases-is-a-folder", folder("cases.csv"), "{data}/cases.csv: is a folder, not a file"),
    validate("data-cases-not-utf8", replace("cases.csv", "2007–2017", b"2007\x962017"),
             "{data}/cases.csv, row 3, byte", "cannot be decoded as UTF-8"),
    validate("data-cases-duplicate-id", append("cases.csv", "bolton,B,B,T,2009-04,,,,,\n"),
             "{data}/cases.csv, row 5: duplicate case_id 'bolton' (first at row 3)"),
    validate("data-cases-id-not-a-slug", append("cases.csv", "Wigan Town,W,W,T,2009-04,,,,,\n"),
             "{data}/cases.csv, row 5: case_id 'Wigan Town' is not a slug"),
    validate("data-cases-published-month-13", replace("cases.csv", ",2009-04,", ",2009-13,"),
             "{data}/cases.csv, row 2: published '2009-13' is not YYYY-MM"),
    validate("data-cases-established-not-ascii-digits", replace("cases.csv", ",1995,", ",\u00b9\u2079\u2079\u2075,"),
             "{data}/cases.csv, row 3: established '¹⁹⁹⁵' is not a whole number"),
    validate("data-cases-too-many-fields", append("cases.csv", "wigan,W,W,T,2009-04,,,,,,,\n"),
             "{data}/cases.csv, row 5: has 12 fields, the header has 10"),
    validate("data-cases-title-differs", replace("cases.csv", "Financial challenge in", "Financial troubles in"),
             "{data}/cases.csv, row 4: title 'Financial troubles in"),
    validate("data-cases-row-without-raw-text", append("cases.csv", "wigan,Wigan,Wigan,T,2009-04,,,,,\n"),
             "{data}/cases.csv, row 5: case 'wigan' has no raw text", "add {data}/raw/wigan.txt"),

    # -- coders.csv --------------------------------------------------------------------------------
    validate("data-coders-missing", remove("coders.csv"), "{data}/coders.csv: coder registry not found"),
    validate("data-coders-is-a-folder", folder("coders.csv"), "{data}/coders.csv: is a folder, not a file"),
    validate("data-coders-without-structure", write("coders.csv", "coder,kind,description\nresearcher,human,\n"
                                                    "auto,machine,\n"),
             "{data}/coders.csv: the registry lacks the derived coder 'structure'"),
    validate("data-coders-unknown-kind", append("coders.csv", "anna,student,x\n"),
             "{data}/coders.csv, row 7: coder 'anna' has unknown kind 'student'"),
    validate("data-coders-duplicate", append("coders.csv", "auto,machine,again\n"),
             "{data}/coders.csv, row 7: duplicate coder 'auto' (first at row 4)"),

    # -- codebook.yml ------------------------------------------------------------------------------
    validate("data-codebook-missing", remove("codebook.yml"), "{data}/codebook.yml: codebook file not found"),
    validate("data-codebook-empty", write("codebook.yml", ""), "{data}/codebook.yml: the codebook is empty"),
    validate("data-codebook-whitespace-only", write("codebook.yml", "  \n\t\n"),
             "{data}/codebook.yml: the codebook is empty"),
    validate("data-codebook-comments-only", write("codebook.yml", "# to do\n"),
             "{data}/codebook.yml: the codebook is empty"),
    validate("data-codebook-is-a-list", write("codebook.yml", "- goals\n- style\n"),
             "{data}/codebook.yml: the codebook is a list, not a mapping"),
    validate("data-codebook-is-a-scalar", write("codebook.yml", "7S\n"),
             "{data}/codebook.yml: the codebook is a single value ('7S'), not a mapping"),
    validate("data-codebook-not-yaml", write("codebook.yml", "elements: [unclosed\n"),
             "{data}/codebook.yml, line 2, column 1: not valid YAML"),
    validate("data-codebook-nul", replace("codebook.yml", "version: 2", "version: 2\x00"),
             "codebook.yml, line", "not valid YAML: character U+0000 is not allowed"),
    validate("data-codebook-not-utf8", replace("codebook.yml", "# The lspkit codebook", b"# The lspkit \xe9codebook"),
             "{data}/codebook.yml, line 1, byte 13: cannot be decoded as UTF-8"),
    validate("data-codebook-is-a-folder", folder("codebook.yml"), "{data}/codebook.yml: is a folder, not a file"),
    validate("data-codebook-dimensions-not-a-list", replace("codebook.yml", "dimensions:\n", "dimensions: three\nx:\n"),
             "{data}/codebook.yml: 'dimensions' must be a list"),
    validate("data-codebook-unknown-parent", replace("codebook.yml", "parent: staff_skills",
                                                     "parent: staf_skills"),
             "codebook.yml, line", "theme 'joint_appointments' names unknown parent 'staf_skills'"),
    validate("data-codebook-missing-label", replace("codebook.yml", "    label: Political consensus\n", ""),
             "codebook.yml, line", "theme 'political_consensus' is missing required field(s): label"),
    validate("data-codebook-bad-indicator", replace("codebook.yml", "      - leadership\n",
                                                    "      - leadership\n      - /[unclosed/\n"),
             "codebook.yml, line", "code 'staff_skills': indicator 2 '/[unclosed/': invalid regular expression"),

    # -- codings/*.csv -----------------------------------------------------------------------------
    validate("data-codings-file-is-a-folder", folder("codings/anna.csv"),
             "{data}/codings/anna.csv: is a folder, not a file"),
    validate("data-codings-folder-is-a-file", both(remove("codings"), write("codings", "not a folder")),
             "{data}/codings: is a file, not a folder"),
    validate("data-codings-line-over-field-limit",
             append("codings/researcher.csv", "bolton.p08,style,researcher,," + "x" * 140_000 + "\n"),
             f"{{data}}/codings/researcher.csv, row {NEXT_ROW}: a field is longer than 131,072 characters"),
    validate("data-codings-quoted-field-over-field-limit",
             append("codings/researcher.csv", 'bolton.p08,style,researcher,,"' + "x" * 140_000 + '"\n'),
             f"{{data}}/codings/researcher.csv, row {NEXT_ROW}: a field is longer than 131,072 characters"),
    validate("data-codings-unclosed-quote",
             append("codings/researcher.csv", 'bolton.p08,style,researcher,,"open\nbolton.p09,goals,researcher,,\n'),
             f"{{data}}/codings/researcher.csv, row {NEXT_ROW}: a quotation mark is never closed, "
             f"so rows {NEXT_ROW} to {NEXT_ROW + 1}"),
    validate("data-codings-missing-column", write("codings/anna.csv", "unit_id,code,coder,memo\n"),
             "{data}/codings/anna.csv, row 1: missing column(s) code_id"),
    validate("data-codings-empty-file", write("codings/anna.csv", ""), "{data}/codings/anna.csv: the file is empty"),
    validate("data-codings-not-utf8",
             write("codings/anna.csv", b"unit_id,code_id,coder,memo\nbolton.p08,style,researcher,caf\xe9\n"),
             "{data}/codings/anna.csv, row 2, byte 58: cannot be decoded as UTF-8"),
    validate("data-codings-wrong-field-count", append("codings/researcher.csv", "bolton.p08,style\n"),
             f"{{data}}/codings/researcher.csv, row {NEXT_ROW}: has 2 fields, the header has 5"),
    validate("data-codings-unknown-unit", append("codings/researcher.csv", "bolton.p99,style,researcher,,\n"),
             f"{{data}}/codings/researcher.csv, row {NEXT_ROW}: unknown unit 'bolton.p99'"),
    validate("data-codings-unknown-code", append("codings/researcher.csv", "bolton.p08,leadershp,researcher,,\n"),
             f"{{data}}/codings/researcher.csv, row {NEXT_ROW}: unknown code 'leadershp'"),
    validate("data-codings-unknown-coder", append("codings/researcher.csv", "bolton.p08,style,bob,,\n"),
             f"{{data}}/codings/researcher.csv, row {NEXT_ROW}: unknown coder 'bob'"),
    validate("data-codings-boilerplate", append("codings/researcher.csv", "bolton.p02,style,researcher,,\n"),
             f"{{data}}/codings/researcher.csv, row {NEXT_ROW}: unit 'bolton.p02' is boilerplate"),
    validate("data-codings-typed-structure", write("codings/structure.csv", "unit_id,code_id,coder,memo\n"
                                                   "bolton.p08,style,structure,\n"),
             "{data}/codings/structure.csv, row 2: coder 'structure' is derived from the headings"),
    validate("data-codings-duplicate", append("codings/researcher.csv", "bolton.p08,staff_skills,researcher,,\n"),
             f"{{data}}/codings/researcher.csv, row {NEXT_ROW}: duplicate coding", "(first at researcher.csv row"),
    validate("data-codings-unknown-status", append("codings/researcher.csv", "bolton.p08,style,researcher,done,\n"),
             f"{{data}}/codings/researcher.csv, row {NEXT_ROW}: unknown status 'done'",
             "use achieved, in_progress, aim, or leave it empty"),

    # -- restates.csv ------------------------------------------------------------------------------
    validate("data-restates-unknown-unit", append("restates.csv", "bolton.lp9,bolton.p08,second_reader,x\n"),
             f"{{data}}/restates.csv, row {RESTATES_ROW}: unknown unit 'bolton.lp9'"),
    validate("data-restates-a-paragraph-restating", append("restates.csv", "bolton.p09,bolton.p08,second_reader,x\n"),
             f"{{data}}/restates.csv, row {RESTATES_ROW}: 'bolton.p09' is not a learning point or quotation"),
    validate("data-restates-other-case", append("restates.csv", "hammersmith-and-fulham.p19.quote2,bolton.p08,second_reader,x\n"),
             f"{{data}}/restates.csv, row {RESTATES_ROW}: 'bolton.p08' is in another case than 'hammersmith-and-fulham.p19.quote2'"),
    validate("data-restates-no-memo", append("restates.csv", "blackburn-with-darwen.p12.quote1,blackburn-with-darwen.p12,second_reader,\n"),
             f"{{data}}/restates.csv, row {RESTATES_ROW}: no memo"),

    # -- decisions.csv -----------------------------------------------------------------------------
    validate("data-decisions-unknown-change", append("decisions.csv", "2026-12-03,researcher,bolton.p08,goals,moved,,,x\n"),
             "decisions.csv, row", "unknown change 'moved'"),

    # -- raw/*.txt ---------------------------------------------------------------------------------
    validate("data-raw-folder-named-like-a-text", folder("raw/wigan.txt"),
             "{data}/raw/wigan.txt: is a folder, not a file"),
    validate("data-raw-case-text-is-a-folder", folder("raw/bolton.txt"),
             "{data}/raw/bolton.txt: is a folder, not a file"),
    validate("data-raw-folder-is-a-file", both(remove("raw"), write("raw", "not a folder")),
             "{data}/raw: is a file, not a folder"),
    validate("data-raw-folder-missing", remove("raw"), "{data}/raw: no raw case-study texts (*.txt)"),
    validate("data-raw-text-without-cases-row", copy("raw/bolton.txt", "raw/wigan.txt"),
             "{data}/raw/wigan.txt: raw text has no row in cases.csv (case id 'wigan')"),
    validate("data-raw-nul", replace("raw/bolton.txt", "Bolton first", "Bolton\x00first"),
             "{data}/raw/bolton.txt, line 5, column 8: control character U+0000 (NUL)"),
    validate("data-raw-form-feed", replace("raw/bolton.txt", "\n- 7 The", "\n- 7 The\x0c"),
             "{data}/raw/bolton.txt, line 35, column 8: control character U+000C (form feed)"),
    validate("data-raw-escape-in-crlf-text",
             both(replace("raw/bolton.txt", "\n- 7 The", "\n- 7 \x1bThe"), replace("raw/bolton.txt", "\n", "\r\n", -1)),
             "{data}/raw/bolton.txt, line 35, column 5: control character U+001B (escape)"),
    validate("data-raw-not-utf8", replace("raw/bolton.txt", "Bolton's first".encode(), b"Bolton\x92s first"),
             "{data}/raw/bolton.txt, line 27: cannot be decoded as UTF-8"),
    validate("data-raw-utf16", utf16("raw/bolton.txt"), "{data}/raw/bolton.txt", "it looks like UTF-16"),
    validate("data-raw-empty", write("raw/bolton.txt", ""),
             "{data}/raw/bolton.txt: missing the series line 'Working better together? Case study'"),
    validate("data-raw-numbering-gap", replace("raw/bolton.txt", "\n- 7 The importance", "\n- 17 The importance"),
             "{data}/raw/bolton.txt, line 35: paragraph number 17 follows 6"),
    validate("data-raw-missing-section", replace("raw/bolton.txt", "\nTransactional elements\n", "\n"),
             "{data}/raw/bolton.txt", "'Transactional elements'"),
    validate("data-raw-unrecognised-line", replace("raw/bolton.txt", "\n\n12 The style",
                                                   "\n\nA stray sentence that ends with a full stop.\n\n12 The style"),
             "{data}/raw/bolton.txt, line", "unrecognised line", "A stray sentence"),
    validate("data-raw-heading-matches-no-element",
             replace("raw/hammersmith-and-fulham.txt", "Meetings and joint working\n", "Meeting and joint working\n"),
             "{data}/raw/hammersmith-and-fulham.txt, line 37: heading 'Meeting and joint working' matches no element"),
    validate("data-raw-bad-published-date", replace("raw/bolton.txt", "April 2009", "Spring 2009"),
             "{data}/raw/bolton.txt: no publication date"),

    # -- several at once ---------------------------------------------------------------------------
    validate("data-every-problem-at-once",
             both(remove("coders.csv"), folder("codings/x.csv"), write("codebook.yml", ""),
                  replace("raw/bolton.txt", "Bolton first", "Bolton\x00first")),
             "{data}/coders.csv: coder registry not found", "{data}/codings/x.csv: is a folder",
             "{data}/codebook.yml: the codebook is empty", "{data}/raw/bolton.txt, line 5, column 8",
             "4 problem(s)"),
]
