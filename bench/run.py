"""Benchmarks of a large project (load, validate, build): print a table and write bench/results.json. Not tests.

    python bench/run.py [--runs 5] [--only help,build,pandoc,noop,validate,compendium,jobs] [--keep DIR]

Every figure is the median of --runs runs of a fresh process, and every target is a ratio taken
in the same run (both sides measured alternately), so the machine's speed cancels out:

1. help        `brief --help` against `python -c "import typer"` (target <= 1.5x)
2. build       `brief build --audience regulator --force` (HTML + PDF, a published edition: renders
               again and verifies) against WeasyPrint alone writing that same print HTML with the
               same print CSS and PDF variant to PDF in a fresh process (target <= 1.25x)
3. pandoc      the same brief made the way a user otherwise would: Markdown with the same text and
               citations, pandoc --citeproc to HTML, then WeasyPrint to PDF (target: brief not slower)
4. noop        a rebuild with nothing changed against the full build of 2 (target <= 0.1x)
5. validate    `brief validate` on a generated data set of 15,000 incidents, 60,000 sources and
               100,000 evaluation rows (target <= 5 s, <= 1 GB peak memory)
   compendium  a compendium brief (a page per incident) of 1,000 of those incidents to PDF
               (target <= 90 s, <= 2 GB peak memory)
6. jobs        every audience of three briefs with --jobs 2 against --jobs 1 (target >= 1.6x faster)

Everything runs in a temporary folder (copies of the project, the generated data), never in data/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DATE = "2026-11-26"
PY = sys.executable
BRIEF = [PY, "-m", "brief"]
WEASYPRINT = [PY, "-m", "weasyprint"]


def brief_cmd() -> list[str]:
    """Return the console script (what a user types), else `python -m brief`."""
    script = shutil.which("brief")
    return [script] if script else BRIEF


def _tree_rss(root: int) -> int:
    """Return the summed resident memory (bytes) of process `root` and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))  # fields[1]: the parent's pid
            rss[int(entry)] = int(fields[21]) * page  # fields[21]: resident pages
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def timed(cmd: list[str], cwd: Path | None = None, check: bool = True) -> tuple[float, int]:
    """Run `cmd` in a fresh process; return (wall seconds, peak resident memory in bytes).

    The peak is the larger of the process's own peak (getrusage; the largest descendant counts as
    well) and the process tree's summed resident memory, sampled every 0.1 s: a build that renders
    in worker processes is held to its whole tree's memory, not to its largest process."""
    import threading

    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    tree_peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            tree_peak[0] = max(tree_peak[0], _tree_rss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    if os.path.isdir("/proc"):
        sampler.start()
    stderr = proc.stderr.read() if proc.stderr else b""
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    done.set()
    code = os.waitstatus_to_exitcode(status)
    if check and code != 0:
        raise SystemExit(f"failed ({code}): {' '.join(cmd)}\n{stderr.decode(errors='replace')[-2000:]}")
    return elapsed, max(usage.ru_maxrss * 1024, tree_peak[0])


def medians(sides: dict[str, list[str] | object], runs: int, cwd: Path | None = None) -> dict[str, dict[str, float]]:
    """Run each side `runs` times, alternating sides; return median seconds and peak memory per side."""
    samples: dict[str, list[tuple[float, int]]] = {name: [] for name in sides}
    for _ in range(runs):
        for name, cmd in sides.items():
            samples[name].append(cmd() if callable(cmd) else timed(cmd, cwd))  # type: ignore[arg-type]
    return {
        name: {
            "median_s": statistics.median(s for s, _ in got),
            "runs_s": [round(s, 3) for s, _ in got],
            "peak_mb": max(m for _, m in got) / 2**20,
        }
        for name, got in samples.items()
    }


def project_copy(root: Path, name: str) -> Path:
    """Copy the repository's project (brief.toml, briefs, data, templates) into root/name."""
    dest = root / name
    dest.mkdir(parents=True)
    shutil.copy2(REPO / "brief.toml", dest / "brief.toml")
    for part in ("briefs", "data", "templates"):
        if (REPO / part).is_dir():
            shutil.copytree(REPO / part, dest / part)
    return dest


def weasyprint_alone(folder: Path, out: Path) -> list[str]:
    """Return the WeasyPrint command that writes folder/print.html with print.css as brief does."""
    meta = json.loads((folder / "pdf.json").read_text(encoding="utf-8"))
    cmd = [*WEASYPRINT, "--base-url", Path(meta["base"]).as_uri() + "/", "--stylesheet", str(folder / "print.css")]
    if meta.get("variant"):
        cmd += ["--pdf-variant", meta["variant"]]
    return cmd + [str(folder / "print.html"), str(out)]


def pdf_pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(path)).pages)


# --- 3. the pandoc pipeline ---------------------------------------------------------------------

NOTEREF = re.compile(r'<a class="noteref" href="#note-(\d+)"[^>]*><sup>\d+</sup></a>')
SRCREF = re.compile(r'<a class="src-ref" href="#ref-([^"]+)">[^<]*</a>(, [^<)]*)?')


def make_markdown(project: Path, folder: Path) -> tuple[Path, Path]:
    """Write brief.md (the brief's text, every note and in-text reference as a pandoc citation) and references.json."""
    from brief.check.validate import validate
    from brief.load.config import load_config

    citations = json.loads((folder / "citations.json").read_text(encoding="utf-8"))
    html = (folder / "screen.html").read_text(encoding="utf-8")
    html = re.sub(r'<section id="notes".*?</section>', "", html, flags=re.S)
    html = re.sub(r'<ul class="bibliography">.*?</ul>', "", html, flags=re.S)
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    html = NOTEREF.sub(lambda m: f" BRIEFNOTE{m.group(1)}Z", html)
    html = SRCREF.sub(lambda m: f" BRIEFREF{len(m.group(1))}Q{m.group(1)}Q{(m.group(2) or '')[2:]}QZ", html)
    pandoc = _pandoc()
    proc = subprocess.run(
        [
            pandoc,
            "-f",
            "html",
            "-t",
            "markdown-raw_html-native_divs-native_spans-fenced_divs-bracketed_spans-link_attributes-header_attributes",
            "--wrap=none",
        ],
        input=html,
        capture_output=True,
        text=True,
        check=True,
    )
    md = proc.stdout

    def note(m: re.Match[str]) -> str:
        items = citations[int(m.group(1)) - 1]
        return "[" + "; ".join(f"@{key}" + (f", {loc}" if loc else "") for key, loc in items) + "]"

    md = re.sub(r" ?BRIEFNOTE(\d+)Z", note, md)
    md = re.sub(
        r" ?BRIEFREF\d+Q([^Q]+)Q([^Q]*)QZ",
        lambda m: f" [@{m.group(1)}" + (f", {m.group(2)}" if m.group(2) else "") + "]",
        md,
    )
    config = load_config(project)
    ds = validate(config).dataset
    keys = sorted(set(re.findall(r"@([\w:.#$%&\-+?<>~/]+\w)", md)) & set(ds.sources))
    refs = [{**ds.sources[k].csl(), "id": k} for k in keys]
    (folder / "brief.md").write_text(
        "---\ntitle: Brief\nlang: en-GB\n---\n\n" + md + "\n\n# Sources\n\n::: {#refs}\n:::\n", encoding="utf-8"
    )
    (folder / "references.json").write_text(json.dumps(refs, ensure_ascii=False, indent=1), encoding="utf-8")
    return folder / "brief.md", folder / "references.json"


def _pandoc() -> str:
    from brief.render.citations import find_pandoc

    return str(find_pandoc())


def pandoc_pipeline(folder: Path, variant: str) -> tuple[float, int]:
    """Time pandoc --citeproc (Markdown -> HTML) then WeasyPrint (HTML -> PDF), two fresh processes."""
    from brief.load.styles import resolve_style

    csl = str(resolve_style("chicago-notes-bibliography"))
    a, ma = timed(
        [
            _pandoc(),
            str(folder / "brief.md"),
            "--citeproc",
            "--csl",
            csl,
            "--bibliography",
            str(folder / "references.json"),
            "-s",
            "-o",
            str(folder / "pandoc.html"),
        ]
    )
    b, mb = timed([*WEASYPRINT, "--pdf-variant", variant, str(folder / "pandoc.html"), str(folder / "pandoc.pdf")])
    return a + b, max(ma, mb)


# --- the benchmarks -----------------------------------------------------------------------------


def bench_help(runs: int) -> dict:
    got = medians({"brief --help": [*brief_cmd(), "--help"], "import typer": [PY, "-c", "import typer"]}, runs)
    ratio = got["brief --help"]["median_s"] / got["import typer"]["median_s"]
    return {"sides": got, "value": ratio, "target": "<= 1.5x", "pass": ratio <= 1.5, "unit": "x"}


def bench_build(root: Path, runs: int) -> dict:
    project = project_copy(root, "build")
    timed(
        [*brief_cmd(), "build", "--project", str(project), "--audience", "regulator", "--date", DATE, "-q"]
    )  # publish the edition
    folder = root / "build-print"
    export(project, "regulator", folder)
    pdf = next((project / "output").glob("*/*/*-regulator.pdf"))
    variant = json.loads((folder / "pdf.json").read_text())["variant"]
    make_markdown(project, folder)
    sides = {
        "brief build --force": [
            *brief_cmd(),
            "build",
            "--project",
            str(project),
            "--audience",
            "regulator",
            "--date",
            DATE,
            "--force",
            "-q",
        ],
        "weasyprint alone": weasyprint_alone(folder, root / "alone.pdf"),
        "pandoc + weasyprint": lambda: pandoc_pipeline(folder, variant),
        "no-op rebuild": [
            *brief_cmd(),
            "build",
            "--project",
            str(project),
            "--audience",
            "regulator",
            "--date",
            DATE,
            "-q",
        ],
    }
    got = medians(sides, runs)
    pages = {
        "brief": pdf_pages(pdf),
        "weasyprint alone": pdf_pages(root / "alone.pdf"),
        "pandoc": pdf_pages(folder / "pandoc.pdf"),
    }
    b = got["brief build --force"]["median_s"]
    return {
        "build": {
            "sides": {k: got[k] for k in ("brief build --force", "weasyprint alone")},
            "pages": pages,
            "value": b / got["weasyprint alone"]["median_s"],
            "target": "<= 1.25x",
            "unit": "x",
        },
        "pandoc": {
            "sides": {k: got[k] for k in ("brief build --force", "pandoc + weasyprint")},
            "pages": pages,
            "value": b / got["pandoc + weasyprint"]["median_s"],
            "target": "<= 1.0x (not slower)",
            "unit": "x",
        },
        "noop": {
            "sides": {k: got[k] for k in ("no-op rebuild", "brief build --force")},
            "value": got["no-op rebuild"]["median_s"] / b,
            "target": "<= 0.1x",
            "unit": "x",
        },
    }


def export(project: Path, audience: str, folder: Path, brief: str = "frontier-self-preservation") -> None:
    """Write the print HTML/CSS brief lays out, and the citations of its notes (bench/export_print.py)."""
    subprocess.run(
        [PY, str(BENCH / "export_print.py"), str(project), brief, audience, str(folder), "--date", DATE],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def bench_scale(root: Path, runs: int, what: set[str]) -> dict:
    sys.path.insert(0, str(BENCH))
    from scale import generate

    project = root / "scale"
    generate(project)
    out: dict = {}
    if "validate" in what:
        timed([*brief_cmd(), "validate", "--project", str(project), "-q"])  # first run: writes the parse cache
        cold: list[tuple[float, int]] = []
        for _ in range(min(runs, 3)):
            shutil.rmtree(project / "output" / ".cache", ignore_errors=True)
            cold.append(timed([*brief_cmd(), "validate", "--project", str(project), "-q"]))
        got = medians({"brief validate": [*brief_cmd(), "validate", "--project", str(project), "-q"]}, runs)[
            "brief validate"
        ]
        got["cold_median_s"] = statistics.median(s for s, _ in cold)
        got["cold_peak_mb"] = max(m for _, m in cold) / 2**20
        out["validate"] = {
            "sides": {"brief validate": got},
            "value": got["median_s"],
            "peak_mb": max(got["peak_mb"], got["cold_peak_mb"]),
            "target": "<= 5 s, <= 1024 MB",
            "unit": "s",
        }
    if "compendium" in what:
        cmd = [*brief_cmd(), "build", "--project", str(project), "--brief", "compendium", "--date", DATE, "-q"]
        first = timed(cmd)
        got = medians({"compendium --force": cmd + ["--force"]}, runs)["compendium --force"]
        pdf = next((project / "output").glob("compendium/*/*.pdf"))
        got["first_build_s"], got["first_build_peak_mb"] = first[0], first[1] / 2**20
        out["compendium"] = {
            "sides": {"compendium --force": got},
            "value": got["median_s"],
            "peak_mb": max(got["peak_mb"], got["first_build_peak_mb"]),
            "pages": pdf_pages(pdf),
            "target": "<= 90 s, <= 2048 MB",
            "unit": "s",
        }
    return out


def bench_jobs(root: Path, runs: int) -> dict:
    project = project_copy(root, "jobs")
    spec = (project / "briefs" / "frontier-self-preservation.yaml").read_text(encoding="utf-8")
    for n in (2, 3):  # three briefs over the same data
        (project / "briefs" / f"brief-{n}.yaml").write_text(
            spec.replace("id: frontier-self-preservation", f"id: brief-{n}").replace(
                "title: ", f"title: Brief {n}, ", 1
            ),
            encoding="utf-8",
        )
    base = [*brief_cmd(), "build", "--project", str(project), "--audience", "all", "--date", DATE, "-q"]
    timed(base)
    got = medians({"--jobs 1": base + ["--force", "--jobs", "1"], "--jobs 2": base + ["--force", "--jobs", "2"]}, runs)
    speedup = got["--jobs 1"]["median_s"] / got["--jobs 2"]["median_s"]
    return {"sides": got, "value": speedup, "target": ">= 1.6x faster", "unit": "x"}


def passed(name: str, r: dict) -> bool:
    v = r["value"]
    if name == "help":
        return v <= 1.5
    if name == "build":
        return v <= 1.25
    if name == "pandoc":
        return v <= 1.0
    if name == "noop":
        return v <= 0.1
    if name == "validate":
        return v <= 5 and r["peak_mb"] <= 1024
    if name == "compendium":
        return v <= 90 and r["peak_mb"] <= 2048
    if name == "jobs":
        return v >= 1.6
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (the median is reported)")
    parser.add_argument("--only", default="help,build,pandoc,noop,validate,compendium,jobs")
    parser.add_argument(
        "--keep", type=Path, help="work in this folder and keep it (default: a temporary folder, removed)"
    )
    parser.add_argument("--out", type=Path, default=BENCH / "results.json")
    args = parser.parse_args()
    what = set(args.only.split(","))
    root = args.keep or Path(tempfile.mkdtemp(prefix="brief-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    steps = [
        ("help", lambda: {"help": bench_help(args.runs)}),
        ("build,pandoc,noop", lambda: {k: v for k, v in bench_build(root, args.runs).items() if k in what}),
        ("jobs", lambda: {"jobs": bench_jobs(root, args.runs)}),
        ("validate,compendium", lambda: bench_scale(root, args.runs, what)),
    ]
    try:
        for names, step in steps:
            if what & set(names.split(",")):
                try:
                    results.update(step())
                except (SystemExit, Exception) as exc:  # one failing benchmark does not lose the others
                    results[names.split(",")[0]] = {"error": str(exc)[-2000:]}
                write(args, results)  # after each step: a long run that is stopped keeps what it measured
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print(table(results))


def write(args: argparse.Namespace, results: dict) -> None:
    for name, r in results.items():
        if "value" in r:
            r["pass"] = passed(name, r)
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "runs": args.runs,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "results": results,
    }
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


def table(results: dict) -> str:
    rows = [("benchmark", "measured", "target", "result", "detail")]
    for name, r in results.items():
        if "value" not in r:
            rows.append((name, "error", "", "FAIL", r.get("error", "")[:200].replace("\n", " ")))
            continue
        unit = r["unit"]
        measured = f"{r['value']:.2f}{unit}" + (f", {r['peak_mb']:.0f} MB" if "peak_mb" in r else "")
        detail = "; ".join(f"{k} {v['median_s']:.2f} s" for k, v in r["sides"].items())
        rows.append((name, measured, r["target"], "pass" if r["pass"] else "FAIL", detail))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths)) + "  " + row[4] for row in rows)


if __name__ == "__main__":
    main()
