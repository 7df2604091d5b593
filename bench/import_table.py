"""Import and validate a large incident table from one JSON file: time and peak memory.

    python bench/import_table.py [DIR] [--records 15000] [--keep]

Generates (seeded) a JSON file shaped like a public data set of generative-AI incidents: records
under "incidents" with id, title, date (two in three with a month or a year only), severity, tags
and attack_vector lists, NIST AI RMF subcategories, primary_reference URL, a licence on one in
four, and descriptions that look like Markdown ("### Impact", `__proto__`, '*', "@scope/pkg").
Then, each in its own process (peak memory is that process's maximum resident set size):

1. `brief import incidents.json --remote genai` (pandas read, importer, staging, validation, swap);
2. `brief validate` (cold: no parse cache), and again (warm).

Prints one JSON object with the figures, and the warnings validate printed, grouped by kind.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORDS = "model prompt agent package npm user data output filter jailbreak injection leak code repository chatbot customer".split()
TAGS = ["prompt-injection", "data-leak", "jailbreak", "supply-chain", "hallucination", "deepfake"]
VECTORS = ["email", "web", "package registry", "api", "chat"]
RMF = ["GOVERN-1.1", "MAP-1.1", "MEASURE-2.7", "MANAGE-2.3", "MEASURE-2.11"]
SEVERITY = ["low", "medium", "high", "critical"]
LICENCES = ["CC BY-SA 4.0", "CC BY 4.0"]

TOML = """\
[project]
name = "genai-bench"
organisation = "Bench Unit"
citation_style = "chicago-notes-bibliography"

[[remote]]
name = "genai"
kind = "table"
path = "incidents.json"
records = "incidents"
id_prefix = "genai-"
title = "Generative AI incident data set"
max_bytes = 209715200
[remote.columns]
id = "id"
title = "title"
date = "date"
summary = "description"
url = "primary_reference"
severity = "severity"
tags = ["tags", "attack_vector"]
licence = "license"
"""


def generate(n: int, seed: int = 15) -> dict:
    rng = random.Random(seed)
    records = []
    for i in range(1, n + 1):
        year = rng.choice([2023, 2024, 2025])
        shape = rng.random()
        date = (
            f"{year}"
            if shape < 0.2
            else f"{year}-{rng.randint(1, 12):02d}"
            if shape < 0.66
            else f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        )
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 40)))
        description = f"An {words}."
        if i % 10 == 0:
            description = f"### Impact\n{description} Affected 1,200 users in 3 countries."
        if i % 7 == 0:
            description += " The payload set __proto__ and *admin* fields via @leanprover/lean-action."
        record = {
            "id": str(i),
            "title": f"Incident {i}: {rng.choice(WORDS)} {rng.choice(WORDS)} *exposed*",
            "date": date,
            "severity": rng.choice(SEVERITY),
            "tags": rng.sample(TAGS, rng.randint(0, 3)),
            "attack_vector": rng.choice(VECTORS),
            "nist_ai_rmf": rng.sample(RMF, 2),
            "primary_reference": f"https://news.example.org/{year}/{i}",
            "description": description,
        }
        if i % 4 == 0:
            record["license"] = rng.choice(LICENCES)
        records.append(record)
    return {"version": "1", "incidents": records}


def run(cmd: list[str], cwd: Path) -> dict:
    """Run a brief command in its own process; return seconds, peak RSS (MiB), exit code, stderr."""
    code = (
        "import resource, sys, time\n"
        "from brief.cli import _run\n"
        f"sys.argv = ['brief'] + {cmd!r}\n"
        "t = time.perf_counter(); rc = _run(); dt = time.perf_counter() - t\n"
        "print('BENCH', rc, dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    tail = [line for line in proc.stderr.splitlines() if line.startswith("BENCH ")][-1].split()
    return {
        "exit": int(tail[1]),
        "seconds": round(float(tail[2]), 2),
        "peak_mib": round(int(tail[3]) / 1024, 1),
        "stdout": proc.stdout,
        "stderr": "\n".join(line for line in proc.stderr.splitlines() if not line.startswith("BENCH ")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dir", nargs="?", type=Path)
    parser.add_argument("--records", type=int, default=15000)
    parser.add_argument("--keep", action="store_true", help="keep the generated project")
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="brief-import-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    (root / "brief.toml").write_text(TOML, encoding="utf-8")
    for folder in ("data", "briefs"):
        (root / folder).mkdir(exist_ok=True)
    (root / "data/sources.json").write_text("[]\n", encoding="utf-8")
    data = generate(args.records)
    (root / "incidents.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    size = (root / "incidents.json").stat().st_size
    out = {
        "records": args.records,
        "json_mib": round(size / 2**20, 1),
        "month_or_year_only": sum(1 for r in data["incidents"] if len(r["date"]) < 10),
    }
    imported = run(["import", "incidents.json", "--remote", "genai", "-C", str(root)], root)
    out["import"] = {k: imported[k] for k in ("exit", "seconds", "peak_mib")}
    out["import_output"] = (imported["stdout"] + "\n" + imported["stderr"]).strip().splitlines()[-3:]
    cold = run(["validate", "-C", str(root)], root)
    warm = run(["validate", "-C", str(root)], root)
    out["validate_cold"] = {k: cold[k] for k in ("exit", "seconds", "peak_mib")}
    out["validate_warm"] = {k: warm[k] for k in ("exit", "seconds", "peak_mib")}
    out["validate_output"] = (warm["stderr"] + "\n" + warm["stdout"]).strip().splitlines()
    print(json.dumps(out, indent=2, ensure_ascii=False))
    if not args.keep and args.dir is None:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
