"""Benchmark ``lspkit import-qdpx`` on a large REFI-QDA project: 20,000 coded selections by default.

It exports the shipped corpus as a ``.qdpx`` with no codings, then fills each source with fresh
selections (new GUIDs) on the units' spans and on parts of them, each coded to one or two codes of
the codebook by one user, so that the project is what a busy second coder's QDA program would
write. The project is checked against the REFI-QDA schema, then imported into a scratch copy of the
data directory ``--repeat`` times (default 3); the median time is printed. It is a measurement, not a
test: nothing fails on a number.

``--zip-bomb GIB`` measures instead what a hostile archive costs: ``lspkit import-qdpx`` (in a child
process, time and peak memory) on a project carrying a member of GIB GiB of zeros that the project
never names (it must import as if the member were not there), and on one whose source text is that
member (it must be refused by name, unread).

    .venv/bin/python benchmarks/bench_import.py                     # 20,000 selections, median of 3
    .venv/bin/python benchmarks/bench_import.py --selections 5000 --repeat 5
    .venv/bin/python benchmarks/bench_import.py --zip-bomb 2        # 2 GiB of zeros, unreferenced and referenced
"""

from __future__ import annotations

import argparse
import io
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NS = "urn:QDA-XML:project:1.0"
USER = "bench"


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _spans(corpus, case_id: str, rng: random.Random) -> list[tuple[int, int]]:
    """Whole units and word-aligned parts of them, for one case (boilerplate left out)."""
    units = corpus.units[(corpus.units["case_id"] == case_id) & ~corpus.units["boilerplate"]]
    text = corpus.raw[case_id]
    spans = []
    for start, end in zip(units["start"], units["end"]):
        spans.append((int(start), int(end)))
        words = [i for i in range(start + 1, end) if text[i - 1] == " " and text[i] != " "]
        if len(words) >= 2:
            a, b = sorted(rng.sample(words, 2))
            spans.append((a, b - 1))
    return spans


def build_project(corpus, out: Path, selections: int, seed: int = 1) -> Path:
    """A ``.qdpx`` of the corpus holding ``selections`` coded selections with fresh GUIDs."""
    from lspkit import qdpx

    rng = random.Random(seed)
    blank = qdpx.export_qdpx(corpus, out.with_name("blank.qdpx"), coders=[])
    with zipfile.ZipFile(blank) as z:
        entries = {n: z.read(n) for n in z.namelist()}
    root = ET.fromstring(entries["project.qde"])
    fresh = lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper()  # noqa: E731
    user_guid = fresh()
    users = ET.Element(_q("Users"))
    ET.SubElement(users, _q("User"), {"guid": user_guid, "name": USER})
    root.insert(0, users)
    code_guids = [qdpx.guid("code", c) for c in corpus.codes["code_id"]]
    sources = root.findall(f"{_q('Sources')}/{_q('TextSource')}")
    per_source = [selections // len(sources) + (i < selections % len(sources)) for i in range(len(sources))]
    for src, count in zip(sources, per_source):
        spans = _spans(corpus, src.get("name"), rng)
        for i in range(count):
            start, end = spans[i % len(spans)]
            sel = ET.SubElement(src, _q("PlainTextSelection"), {
                "guid": fresh(), "name": f"bench {i}", "startPosition": str(start), "endPosition": str(end),
                "creatingUser": user_guid})
            for code in rng.sample(code_guids, rng.choice((1, 1, 2))):
                coding = ET.SubElement(sel, _q("Coding"), {"guid": fresh(), "creatingUser": user_guid})
                ET.SubElement(coding, _q("CodeRef"), {"targetGUID": code})
    ET.register_namespace("", NS)
    xml = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)
    errors = qdpx.schema_errors(xml)
    if errors:
        raise SystemExit(f"the generated project breaks the schema: {errors[:3]}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, xml if name == "project.qde" else data)
    out.write_bytes(buffer.getvalue())
    return out


def time_import(project: Path, data: Path, work: Path) -> float:
    """Seconds for one import of ``project`` as coder ``bench`` into a fresh copy of ``data``."""
    from lspkit import qdpx

    target = work / "data"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(data, target)
    start = time.perf_counter()
    qdpx.import_qdpx(project, "bench", data_dir=target, user=USER)
    return time.perf_counter() - start


def _add_zeros(path: Path, member: str, gib: int) -> None:
    zeros = bytes(2 ** 20)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        with z.open(member, "w", force_zip64=True) as fh:
            for _ in range(gib * 1024):
                fh.write(zeros)


def bomb_projects(corpus, work: Path, gib: int) -> tuple[Path, Path]:
    """Two projects carrying ``gib`` GiB of zeros: one never names the member, one's source text is it."""
    from lspkit import qdpx

    unreferenced = qdpx.export_qdpx(corpus, work / "unreferenced.qdpx", coders=["researcher"])
    _add_zeros(unreferenced, "sources/unreferenced.bin", gib)
    referenced = work / "referenced.qdpx"
    source = str(uuid.uuid4()).upper()
    qde = (f'<Project xmlns="{NS}" name="bomb"><Users><User guid="{source}" name="{USER}"/></Users>'
           f'<CodeBook><Codes><Code guid="{qdpx.guid("code", "style")}" name="Style" isCodable="true"/></Codes>'
           f'</CodeBook><Sources><TextSource guid="{source}" name="bolton" plainTextPath="internal://{source}.txt">'
           f'<PlainTextSelection guid="{source}" startPosition="0" endPosition="5"><Coding guid="{source}">'
           f'<CodeRef targetGUID="{qdpx.guid("code", "style")}"/></Coding></PlainTextSelection></TextSource>'
           f'</Sources></Project>')
    with zipfile.ZipFile(referenced, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.qde", qde)
    _add_zeros(referenced, f"sources/{source}.txt", gib)
    return unreferenced, referenced


_CHILD = """
import json, resource, sys, time
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO
from lspkit.cli import main
out = StringIO()
start = time.perf_counter()
with redirect_stdout(out), redirect_stderr(out):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "seconds": time.perf_counter() - start, "output": out.getvalue(),
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def time_cli(args: list[str]) -> dict:
    """Run ``lspkit ARGS`` in a child process: its exit code, seconds, peak memory (MiB) and output."""
    done = subprocess.run([sys.executable, "-c", _CHILD, *args], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def zip_bomb(corpus, data: Path, gib: int) -> None:
    with tempfile.TemporaryDirectory(prefix="lspkit-bench-bomb-") as tmp:
        work = Path(tmp)
        shutil.copytree(data, work / "data")
        for label, project in zip(("unreferenced", "referenced"), bomb_projects(corpus, work, gib)):
            args = ["--data", str(work / "data"), "import-qdpx", str(project), "--coder", "bomb", "--user", USER]
            if label == "unreferenced":
                args[-1] = "researcher"
            got = time_cli(args)
            print(f"{label} {gib} GiB zero member ({project.stat().st_size:,} byte archive): exit {got['code']}, "
                  f"{got['seconds']:.2f} s, peak memory {got['peak_mib']:.0f} MiB")
            print("  " + got["output"].strip().splitlines()[-1][:300])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--selections", type=int, default=20_000, help="coded selections in the project")
    parser.add_argument("--repeat", type=int, default=3, help="imports to time; the median is printed")
    parser.add_argument("--data", type=Path, default=ROOT / "data", help="the data directory to export and import")
    parser.add_argument("--zip-bomb", type=int, metavar="GIB", default=0,
                        help="instead: time importing projects carrying GIB GiB of zeros (unreferenced, referenced)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from lspkit import load_corpus

    corpus = load_corpus(args.data)
    if args.zip_bomb:
        zip_bomb(corpus, args.data, args.zip_bomb)
        return 0
    with tempfile.TemporaryDirectory(prefix="lspkit-bench-import-") as tmp:
        work = Path(tmp)
        project = build_project(corpus, work / "bench.qdpx", args.selections)
        print(f"project: {args.selections:,} coded selections, {project.stat().st_size:,} bytes")
        times = [time_import(project, args.data, work) for _ in range(args.repeat)]
    print("import times (s): " + ", ".join(f"{t:.2f}" for t in times))
    print(f"median import of {args.selections:,} selections: {statistics.median(times):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
