"""Benchmark: how long `brief preview` takes to show an edit. Not a test.

    python bench/preview.py [--runs 5] [--audience regulator] [--json]

On a copy of the repository's project (never data/ itself), each run measures, alternately:

  build      a cold `brief build --audience A --html-only --force` in a fresh process (the edition
             exists, so the citation cache is warm, as for an author rebuilding to see a change)
  rerender   the preview re-rendering the draft after one edit of the brief's bottom_line
             (in the running preview process: validate, compute, render the HTML)
  plain      the same after an edit of the brief's plain-language bottom line (its reading level is scored)
  template   the same after an edit of a template (the Jinja environment is compiled again)
  first      the preview's first rendering as it starts (one figure, not a median)
  on-save    from writing the edited file to the server's /__version answering the new version
             (adds the watcher's polling delay, 0.25 s at most, and the HTTP round trip)

and prints medians and the ratio rerender / build. Target: rerender <= 1 s.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DATE = "2026-11-26"


def copy_project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "brief.toml", root / "brief.toml")
    for folder in ("data", "briefs", "templates"):
        shutil.copytree(REPO / folder, root / folder)
    return root


def cold_build(root: Path, audience: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "brief",
            "build",
            "--project",
            str(root),
            "--audience",
            audience,
            "--html-only",
            "--force",
            "--date",
            DATE,
            "--quiet",
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"brief build failed: {done.stderr.strip()}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--audience", default="regulator")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    import datetime as dt

    from brief.preview import Previewer, PreviewServer

    with tempfile.TemporaryDirectory(prefix="brief-bench-preview-") as tmp:
        root = copy_project(Path(tmp) / "project")
        cold_build(root, args.audience)  # the edition exists afterwards: later builds are --force rebuilds
        (brief_file,) = sorted((root / "briefs").glob("*.yaml"))[:1]
        template = root / "templates" / "base.html"
        original, original_template = brief_file.read_text(encoding="utf-8"), template.read_text(encoding="utf-8")
        previewer = Previewer(root, audience=args.audience, date=dt.date.fromisoformat(DATE))
        server = PreviewServer(previewer, port=0)
        server.start()
        assert previewer.draft.ok, previewer.draft.problems
        first = previewer.draft.seconds  # the first rendering, as `brief preview` starts (modules loaded on demand)
        server.stop_event.set()  # the watcher runs only for the on-save figure
        server._threads[0].join()
        figures: dict[str, list[float]] = {"build": [], "rerender": [], "plain": [], "template": [], "on-save": []}
        try:
            for run in range(args.runs):
                figures["build"].append(cold_build(root, args.audience))

                # One edit of the bottom line, rendered in this process (the watcher is stopped meanwhile).
                brief_file.write_text(
                    original.replace("bottom_line: >-\n", f"bottom_line: >-\n  Edit {run}.\n", 1), encoding="utf-8"
                )
                started = time.perf_counter()
                draft = previewer.refresh(previewer.changed_files())
                figures["rerender"].append(time.perf_counter() - started)
                assert draft.ok and f"Edit {run}." in draft.html, draft.problems

                # An edit of a plain-language text: scored again for its reading level (readability.py).
                at = re.search(r"\nplain:\n(?:.*\n)*?  bottom_line: >-\n", original).end()
                brief_file.write_text(original[:at] + f"    Plain edit {run}.\n" + original[at:], encoding="utf-8")
                started = time.perf_counter()
                draft = previewer.refresh(previewer.changed_files())
                figures["plain"].append(time.perf_counter() - started)
                assert draft.ok, draft.problems

                template.write_text(original_template + f"\n{{# edit {run} #}}\n", encoding="utf-8")
                started = time.perf_counter()
                draft = previewer.refresh(previewer.changed_files())
                figures["template"].append(time.perf_counter() - started)
                assert draft.ok, draft.problems

                # Through the server: the watcher notices the save, renders, and the long poll answers.
                server.stop_event.clear()
                watcher = threading.Thread(target=previewer.watch, args=(server.stop_event,), daemon=True)
                watcher.start()
                version = previewer.draft.version
                started = time.perf_counter()
                brief_file.write_text(
                    original.replace("bottom_line: >-\n", f"bottom_line: >-\n  Saved {run}.\n", 1), encoding="utf-8"
                )
                with urllib.request.urlopen(f"{server.url}__version?since={version}", timeout=60) as answer:
                    assert int(answer.read()) != version
                figures["on-save"].append(time.perf_counter() - started)
                server.stop_event.set()
                watcher.join()
                assert f"Saved {run}." in previewer.draft.html
                brief_file.write_text(
                    original, encoding="utf-8"
                )  # the published edition's inputs again, for the next build
                template.write_text(original_template, encoding="utf-8")
        finally:
            server.stop()

    med = {k: statistics.median(v) for k, v in figures.items()}
    result = {
        "runs": args.runs,
        "audience": args.audience,
        "first_render_s": round(first, 3),
        "median_s": {k: round(v, 3) for k, v in med.items()},
        "ratio_rerender_to_build": round(med["rerender"] / med["build"], 3),
        "target_rerender_s": 1.0,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"brief preview, {args.audience} brief, median of {args.runs} runs")
    print(f"  cold build --html-only --force   {med['build']:6.2f} s")
    print(f"  first render as preview starts   {first:6.2f} s")
    print(
        f"  re-render after a data edit      {med['rerender']:6.2f} s  ({result['ratio_rerender_to_build']:.2f}x the build; target <= 1 s)"
    )
    print(f"  re-render after a plain-text edit{med['plain']:6.2f} s")
    print(f"  re-render after a template edit  {med['template']:6.2f} s")
    print(f"  save to new version over HTTP    {med['on-save']:6.2f} s")


if __name__ == "__main__":
    main()
