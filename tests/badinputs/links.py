"""Bad link files: each row problem is reported by `lspkit validate` with its file and row."""

from __future__ import annotations

from pathlib import Path

from . import BadInput, append, write

GOOD = "bolton.L90,bolton.p08,staff_skills,synergies,one-way,leads_to,explicit,achieved,researcher,a memo\n"
HEADER = "link_id,unit_ids,source,target,direction,relation,evidence,status,coder,memo\n"
# the first row after the links of links/researcher.csv and its header
ROW = len((Path(__file__).resolve().parents[2] / "data" / "links" / "researcher.csv").read_bytes().splitlines()) + 1


def _bad(field: int, value: str) -> str:
    parts = GOOD.rstrip("\n").split(",")
    parts[field] = value
    return ",".join(parts) + "\n"


def _case(case_id: str, line: str, *expect: str) -> BadInput:
    return BadInput(f"links-{case_id}", ("links/researcher.csv", f"row {ROW}", *expect), ("validate",),
                    setup=append("links/researcher.csv", line))


CASES: list[BadInput] = [
    _case("unknown-unit", _bad(1, "bolton.p99"), "unknown unit(s) 'bolton.p99'"),
    _case("two-cases", _bad(1, "bolton.p08 blackburn-with-darwen.p08"), "units from more than one case"),
    _case("boilerplate-unit", _bad(1, "bolton.p02"), "are boilerplate, never evidence"),
    _case("not-an-element", _bad(2, "joint_appointments"), "source 'joint_appointments' is not a 7S element"),
    _case("same-element", _bad(3, "staff_skills"), "source and target are both 'staff_skills'"),
    _case("bad-direction", _bad(4, "both"), "direction 'both' is not one of one-way, mutual"),
    _case("unknown-relation", _bad(5, "causes"), "relation 'causes' is not one of", "under 'relations'"),
    _case("bad-evidence", _bad(6, "strong"), "evidence 'strong' is not one of explicit, inferred"),
    _case("bad-status", _bad(7, "done"), "status 'done' is not one of achieved, in_progress, aim"),
    _case("other-coder", _bad(8, "auto"), "coder 'auto' in the file of coder 'researcher'"),
    _case("no-memo", GOOD.replace(",a memo", ","), "the memo is empty"),
    _case("bad-link-id", _bad(0, "L90"), "link id 'L90' is not of the form <case-id>.L<number>"),
    _case("duplicate-link-id", _bad(0, "bolton.L01"), "duplicate link id 'bolton.L01'"),
    _case("wrong-width", "bolton.L91,bolton.p08,style\n", "has 3 fields, the header has 10"),
    BadInput("links-unregistered-coder", ("links/ann.csv", "row 2", "unknown coder 'ann'"), ("validate",),
             setup=write("links/ann.csv", HEADER + GOOD.replace("researcher", "ann"))),
    BadInput("links-missing-column", ("links/ann.csv", "row 1", "missing column(s) memo"), ("validate",),
             setup=write("links/ann.csv", HEADER.replace(",memo", ""))),
    BadInput("links-folder-named-like-a-file", ("links/ann.csv", "is a folder, not a link file"), ("validate",),
             setup=write("links/ann.csv/x", "")),
]
