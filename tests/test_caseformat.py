"""The case-study parser against the three documents, counted by hand, and against broken texts."""

from __future__ import annotations

import re

import pytest

from lspkit.caseformat import parse_case_text, read_case_file
from lspkit.errors import LspkitError

from .conftest import CASES, DATA

# Counted by reading each document: numbered paragraphs, attributed quotations, learning points
# (transformational, transactional) and questions for LSPs.
HAND_COUNTS = {
    "blackburn-with-darwen": {"paragraph": 24, "quote": 2, "lp": (3, 3), "question": 3},
    "bolton": {"paragraph": 27, "quote": 0, "lp": (2, 4), "question": 3},
    "hammersmith-and-fulham": {"paragraph": 21, "quote": 2, "lp": (3, 3), "question": 4},
}


@pytest.fixture(scope="module")
def parsed():
    return {c: read_case_file(DATA / "raw" / f"{c}.txt") for c in CASES}


@pytest.mark.parametrize("case_id", CASES)
def test_unit_counts_match_the_documents(parsed, case_id):
    units = parsed[case_id].units
    want = HAND_COUNTS[case_id]
    kinds = [u["kind"] for u in units]
    assert kinds.count("paragraph") == want["paragraph"]
    assert kinds.count("quote") == want["quote"]
    assert kinds.count("question") == want["question"]
    lp_dims = [u["dimension"] for u in units if u["kind"] == "learning_point"]
    assert (lp_dims.count("transformational"), lp_dims.count("transactional")) == want["lp"]
    paras = [u["para"] for u in units if u["kind"] == "paragraph"]
    assert paras == list(range(1, want["paragraph"] + 1))


@pytest.mark.parametrize("case_id", CASES)
def test_every_span_holds_exactly_the_unit_text(parsed, case_id):
    raw = (DATA / "raw" / f"{case_id}.txt").read_text(encoding="utf-8")
    for u in parsed[case_id].units:
        assert " ".join(raw[u["start"]:u["end"]].split()) == u["text"], u["unit_id"]
        assert u["text"] and not u["text"][0].isspace()


@pytest.mark.parametrize("case_id", CASES)
def test_paragraphs_1_to_3_are_boilerplate_and_nothing_else_is(parsed, case_id):
    flagged = [u["unit_id"] for u in parsed[case_id].units if u["boilerplate"]]
    assert flagged == [f"{case_id}.p01", f"{case_id}.p02", f"{case_id}.p03"]


def test_page_break_continuations_join_their_paragraph(parsed):
    units = {u["unit_id"]: u for u in parsed["bolton"].units}
    assert "'what do we need to do differently?' are as important" in units["bolton.p09"]["text"]
    assert units["bolton.p09"]["text"].endswith("to instil these values.")
    assert "includes a new public library that was funded by the Council" in units["bolton.p14"]["text"]
    assert units["bolton.p14"]["text"].endswith("mental health services and a pharmacy.")


def test_number_artefacts_are_stripped_from_the_text(parsed):
    for case_id in CASES:
        for u in parsed[case_id].units:
            assert not re.match(r"^[-\d*]", u["text"]), u["unit_id"]
    units = {u["unit_id"]: u for u in parsed["blackburn-with-darwen"].units}
    # "- 21**" follows the stray "-" line; "12 Each" has no dash or asterisks.
    assert units["blackburn-with-darwen.p21"]["text"].startswith("An example of the Board's 'unblocking' role")
    assert units["blackburn-with-darwen.p12"]["text"].startswith("Each area partnership is chaired")


def test_quotes_keep_speaker_and_follow_their_paragraph(parsed):
    quotes = [u for u in parsed["hammersmith-and-fulham"].units if u["kind"] == "quote"]
    assert [(q["para"], q["number"], q["speaker"]) for q in quotes] == [
        (19, 1, "LA chief executive"), (19, 2, "LA finance manager")]
    assert quotes[0]["text"].startswith("We're involving the major partners")
    assert quotes[0]["text"].endswith("including the area based grant.")
    bwd = [u for u in parsed["blackburn-with-darwen"].units if u["kind"] == "quote"]
    assert [(q["para"], q["speaker"], q["heading"]) for q in bwd] == [
        (12, "LA Chief Executive", "Meetings and joint working"),
        (16, "LA Deputy Chief Executive", "Getting things done")]
    assert bwd[1]["text"].endswith("that's the prize.")  # an apostrophe inside the quotation


def test_learning_points_across_blank_lines_and_both_question_styles(parsed):
    bolton = [u for u in parsed["bolton"].units if u["kind"] == "learning_point"]
    assert bolton[-1]["text"] == ("Partners have formally agreed on the most appropriate layer of the "
                                  "Partnership to lead on performance management.")
    assert bolton[-2]["text"].endswith("overall approach to performance management")
    hf_q = [u["text"] for u in parsed["hammersmith-and-fulham"].units if u["kind"] == "question"]
    bolton_q = [u["text"] for u in parsed["bolton"].units if u["kind"] == "question"]
    assert hf_q[2] == "How well does your LSP facilitate networking between partners?"
    assert bolton_q[2] == "How well does the long-term SCS fit with the short-term focus of the LAA?"


def test_front_matter(parsed):
    assert parsed["bolton"].title == "'Bolton first, politics second' in Bolton Vision Partnership"
    assert parsed["hammersmith-and-fulham"].published == "2009-04"


def test_headings_follow_the_7s_elements(parsed):
    headings = [h for _, h, _ in parsed["bolton"].headings]
    assert headings[:3] == ["Leadership and culture", "Meetings and joint working", "The benefits of joint working"]
    units = {u["unit_id"]: u for u in parsed["bolton"].units}
    assert units["bolton.p22"]["heading"] == "Common frameworks for collecting and sharing performance information"
    assert units["bolton.p22"]["dimension"] == "transactional"
    assert units["bolton.p05"]["dimension"] == "super-ordinate"


# -- broken texts ------------------------------------------------------------------------------

def _bolton() -> str:
    return (DATA / "raw" / "bolton.txt").read_text(encoding="utf-8")


def _problems(text: str) -> list[str]:
    with pytest.raises(LspkitError) as info:
        parse_case_text(text, "broken", "broken.txt")
    return [str(p) for p in info.value.problems]


def test_a_gap_in_paragraph_numbering_is_reported_with_its_line():
    text = _bolton().replace("\n- 7 The importance", "\n- 17 The importance")
    problems = _problems(text)
    assert any("broken.txt, line 35: paragraph number 17 follows 6" in p for p in problems), problems


def test_a_missing_section_heading_is_reported():
    problems = _problems(_bolton().replace("\nTransactional elements\n", "\n"))
    assert any("missing section heading 'Transactional elements'" in p or "out of order" in p for p in problems)


def test_an_unrecognised_line_is_reported_not_dropped():
    text = _bolton().replace("\n\n12 The style", "\n\nSome stray sentence that ends with a full stop.\n\n12 The style")
    problems = _problems(text)
    assert any("unrecognised line" in p and "Some stray sentence" in p for p in problems), problems


def test_a_quotation_without_attribution_is_reported():
    text = _bolton().replace("\n\n12 The style", "\n\n'An unattributed remark.'\n\n12 The style")
    assert any("quotation without an attribution" in p for p in _problems(text))


def test_undecodable_text_names_file_and_line(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(_bolton().encode("utf-8").replace("Bolton's first".encode(), b"Bolton\x92s first"))
    with pytest.raises(LspkitError) as info:
        read_case_file(path)
    message = str(info.value)
    assert "latin1.txt, line 27" in message and "UTF-8" in message


def test_crlf_line_endings_keep_exact_spans():
    text = _bolton().replace("\n", "\r\n")
    parsed = parse_case_text(text, "crlf")
    for u in parsed.units:
        assert " ".join(text[u["start"]:u["end"]].split()) == u["text"]
    assert len(parsed.units) == 36


# -- line breaks, byte-order marks and control characters -----------------------------------------

def test_a_bom_is_removed_and_nothing_else_changes():
    from lspkit.caseformat import decode_case_bytes

    raw = (DATA / "raw" / "bolton.txt").read_bytes()
    assert decode_case_bytes(b"\xef\xbb\xbf" + raw) == raw.decode("utf-8")
    crlf = raw.replace(b"\n", b"\r\n")
    assert decode_case_bytes(b"\xef\xbb\xbf" + crlf) == crlf.decode("utf-8")  # "\r\n" kept
    assert decode_case_bytes(b"\xef\xbb\xbf\xef\xbb\xbfx") == "\ufeffx"  # only the leading mark goes


def test_lone_carriage_returns_are_line_breaks_with_exact_spans():
    text = _bolton().replace("\n", "\r")
    parsed = parse_case_text(text, "cr")
    expected = parse_case_text(_bolton(), "cr")
    assert [(u["unit_id"], u["line"], u["start"], u["end"]) for u in parsed.units] == [
        (u["unit_id"], u["line"], u["start"], u["end"]) for u in expected.units]
    assert text[parsed.units[13]["start"]:parsed.units[13]["end"]].count("\r") == 2  # bolton.p14's page break


def test_undecodable_bytes_in_a_crlf_or_cr_file_name_their_line():
    from lspkit.caseformat import decode_case_bytes

    for brk in (b"\n", b"\r\n", b"\r"):
        with pytest.raises(LspkitError, match=r"x.txt, line 3: cannot be decoded as UTF-8"):
            decode_case_bytes(brk.join([b"one", b"two", b"thr\xffee"]), "x.txt")


def test_a_nul_is_reported_with_its_line_and_column():
    lines = _bolton().split("\n")
    lines[26] = lines[26][:6] + "\0" + lines[26][6:]
    problems = _problems("\n".join(lines))
    assert "broken.txt, line 27, column 7: control character U+0000 (NUL)" in problems[0], problems


@pytest.mark.parametrize("char, name", [("\x0c", "U+000C (form feed)"), ("\x1b", "U+001B (escape)"),
                                        ("\x7f", "U+007F (DEL)"), ("\x85", "U+0085 (next line)"), ("\x01", "U+0001")])
def test_other_control_characters_are_reported_and_tab_is_not(char, name):
    text = _bolton().replace("Partnership has", "Partnership\thas", 1)
    text = text.replace("\n- 7 The", f"\n- 7 The{char}", 1)
    problems = _problems(text)
    assert [p for p in problems if "control character" in p] == [
        f"broken.txt, line 35, column 8: control character {name} (delete it: a case study is plain text, "
        "where tab and line breaks are the only control characters)"]


def test_a_crlf_text_reports_control_characters_at_the_same_line_and_column():
    text = _bolton().replace("\n- 7 The", "\n- 7 The\0", 1).replace("\n", "\r\n")
    assert any("line 35, column 8: control character U+0000" in p for p in _problems(text))


def test_many_control_characters_are_counted_after_the_first_ten():
    text = _bolton().replace("Bolton", "Bolton\x01")
    found = [p for p in _problems(text) if "control character" in p]
    assert len(found) == 11 and found[-1].startswith("broken.txt: ")
    assert re.search(r"\d+ more control character\(s\) after these 10", found[-1])


def test_utf16_text_is_one_problem_not_hundreds():
    text = _bolton()[:2000].encode("utf-16-le").decode("utf-8")  # ASCII text saved as UTF-16, read as UTF-8
    problems = _problems(text)
    assert len(problems) == 1 and "it looks like UTF-16 text (save the file as UTF-8 text)" in problems[0]
    found = []
    assert parse_case_text(text, "x", "x.txt", found).units == [] and len(found) == 1


def test_a_folder_or_an_unreadable_file_is_an_lspkit_error(tmp_path, monkeypatch):
    (tmp_path / "wigan.txt").mkdir()
    with pytest.raises(LspkitError, match=r"wigan.txt: is a folder, not a file \(a case study is a text file"):
        read_case_file(tmp_path / "wigan.txt")
    path = tmp_path / "locked.txt"
    path.write_text("text")

    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(type(path), "read_bytes", denied)
    with pytest.raises(LspkitError, match=r"locked.txt: cannot be read: permission denied \(make the file readable"):
        read_case_file(path)
