"""Generate a large, valid brief project for the scale benchmarks (deterministic, seeded).

    python bench/scale.py DIR [--incidents 15000] [--sources 60000] [--rows 100000] [--compendium 1000]

Writes brief.toml, briefs/, data/ (sources in files of 1,000 items, one YAML file per incident,
evaluation rows in CSV files of 1,000 rows) into DIR, never into the repository's data/. The
rubric, vocabularies and regulatory tables are brief's packaged ones; validation runs every
check it runs on the curated data. The records are shaped like the curated ones:
claims with sources, locators and quotes, cited summaries and rationales, risk inputs, tags,
timelines, evaluation rows with n and intervals.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORDS = (
    "model evaluation agent shutdown oversight goal scenario replacement email operator system prompt "
    "sandbox developer deployment capability threshold safeguard weights server instruction rollout "
    "condition sample classifier transcript monitoring policy reviewer report finding test setting"
).split()
DEVELOPERS = ["Anthropic", "OpenAI", "Google DeepMind", "Meta", "xAI", "Mistral", "DeepSeek"]
EVALUATORS = ["Apollo Research", "Palisade Research", "METR", "UK AISI", "US CAISI"]
TOPICS = ["self-preservation", "scheming", "blackmail", "shutdown-resistance", "deception", "sabotage", "exfiltration"]
MIT = ["7.1", "7.2", "7.3", "4.2", "2.2"]
COP = ["loss_of_control", "cbrn", "cyber_offence", "harmful_manipulation"]
SOURCE_TYPES = ["report", "webpage", "article-newspaper", "post-weblog", "article-journal"]
RELIABILITY = ["primary", "primary", "secondary", "secondary", "social"]
RECOMMENDATIONS = [
    ("request-evaluation-protocols", "regulator", 1),
    ("state-conditions", "developer", 2),
    ("independent-replication", "evaluator", 2),
    ("monitor-precursors", "regulator", 3),
]


def _sentence(rng: random.Random, n: int = 12) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    if n >= 12:  # as in curated prose, most long sentences state a number (and cite it)
        words.insert(rng.randrange(n), f"in {rng.randrange(1, 100)}% of {rng.choice([50, 100, 200])} runs")
    return " ".join(words).capitalize()


def generate(
    folder: Path,
    incidents: int = 15_000,
    sources: int = 60_000,
    rows: int = 100_000,
    compendium: int = 1_000,
    seed: int = 8,
) -> dict[str, int]:
    """Write a project of the given size into `folder` (created; must not hold a project)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / "brief.toml").exists():
        raise SystemExit(f"{folder} already holds a project")
    data = folder / "data"  # the rubric, vocabularies and regulatory tables: brief's packaged ones
    (folder / "briefs").mkdir()
    (folder / "brief.toml").write_text(
        '[project]\nname = "scale"\norganisation = "Benchmark Unit"\ndefault_audience = "regulator"\n'
        'citation_style = "chicago-notes-bibliography"\nlanguage = "en-GB"\noutput_dir = "output"\n',
        encoding="utf-8",
    )

    # Sources: CSL-JSON items with brief's fields, 1,000 to a file.
    src_ids = [f"src-{i:05d}" for i in range(sources)]
    (data / "sources").mkdir(parents=True)
    for start in range(0, sources, 1000):
        items = []
        for i in range(start, min(start + 1000, sources)):
            rel = RELIABILITY[i % len(RELIABILITY)]
            dev = DEVELOPERS[i % len(DEVELOPERS)]
            items.append(
                {
                    "id": src_ids[i],
                    "type": SOURCE_TYPES[i % len(SOURCE_TYPES)],
                    "title": f"{_sentence(rng, 6)}: report {i}",
                    "author": [{"literal": dev}]
                    if rel == "primary"
                    else [{"family": f"Writer{i % 97}", "given": "A."}],
                    "publisher": dev,
                    "issued": {"date-parts": [[2024 + i % 2, 1 + i % 12]]},
                    "URL": f"https://example.org/{dev.lower().replace(' ', '-')}/{i}",
                    "reliability": rel,
                    "verification": "consulted",
                    "accessed": {"date-parts": [[2025, 7, 1 + i % 28]]},
                    "capture": {"status": "unavailable", "reason": "Benchmark data: no capture is kept."},
                }
            )
        (data / "sources" / f"sources-{start // 1000:03d}.json").write_text(
            json.dumps(items, indent=1), encoding="utf-8"
        )

    # Evaluation rows: one evaluation name per 20 rows, 1,000 rows to a CSV file.
    columns = [
        "id",
        "evaluation",
        "model",
        "developer",
        "evaluator",
        "condition",
        "metric",
        "value",
        "unit",
        "value_text",
        "n",
        "n_note",
        "interval_low",
        "interval_high",
        "date",
        "source",
        "locator",
        "verification",
        "note",
    ]
    eval_names = [f"Evaluation {i:05d}" for i in range(max(1, rows // 20))]
    (data / "evaluations").mkdir(parents=True)
    for start in range(0, rows, 1000):
        with open(data / "evaluations" / f"rows-{start // 1000:03d}.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(columns)
            for i in range(start, min(start + 1000, rows)):
                n = rng.choice([None, 50, 100, 200])
                value = round(rng.uniform(0, 100), 1)
                w.writerow(
                    [
                        f"row-{i:06d}",
                        eval_names[i // 20],
                        f"model-{i % 40}",
                        DEVELOPERS[i % len(DEVELOPERS)],
                        EVALUATORS[i % len(EVALUATORS)],
                        f"condition {i % 5}: {_sentence(rng, 8).lower()}",
                        "share of samples with the behaviour",
                        value,
                        "percent",
                        "",
                        n or "",
                        "" if n else "not disclosed",
                        "",
                        "",
                        f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}",
                        src_ids[(i * 7) % sources],
                        f"sec. {1 + i % 9}.{i % 4}",
                        "P",
                        "",
                    ]
                )

    # Recommendations: a small library citing generated sources.
    recs = []
    for rid, addressee, priority in RECOMMENDATIONS:
        recs.append(
            f"- id: {rid}\n  text: {_sentence(rng, 10)}.\n  addressee: {addressee}\n  priority: {priority}\n"
            f"  rationale: >-\n    {_sentence(rng, 14)} [@{src_ids[0]}, sec. 1].\n"
        )
    (data / "recommendations.yaml").write_text("\n".join(recs), encoding="utf-8")

    # Incidents: one YAML file each.
    (data / "incidents").mkdir()
    inc_ids = [f"inc-{i:05d}" for i in range(incidents)]
    for i, inc_id in enumerate(inc_ids):
        s = [src_ids[(i * 4 + k) % sources] for k in range(4)]
        primary = src_ids[((i * 4) // 5 * 5) % sources]  # every fifth source from 0 is primary
        dev = DEVELOPERS[i % len(DEVELOPERS)]
        claims = []
        for c in range(4):
            status = "confirmed" if c < 3 else rng.choice(["partly-accurate", "contradicted"])
            note = f"\n    note: {_sentence(rng)} [@{s[c]}, p. {1 + c}]." if status != "confirmed" else ""
            claims.append(
                f"  - id: claim-{c}\n    kind: {'press' if c == 3 else 'finding'}\n    status: {status}\n"
                f"    text: {_sentence(rng, 16)}.{note}\n"
                f'    sources:\n      - id: {primary}\n        locator: "sec. {c + 1}, p. {c + 2}"\n'
                f'        quote: "{_sentence(rng, 9).lower()}"\n'
                + (f'    reported_by:\n      - id: {s[3]}\n        locator: "para. {c}"\n' if c == 3 else "")
            )
        evals = f"evaluations:\n  - {eval_names[i % len(eval_names)]}\n" if i % 3 == 0 else ""
        text = (
            f"id: {inc_id}\n"
            f'title: "{dev}: {_sentence(rng, 7).lower()} ({i})"\n'
            f"kind: {'research-finding' if i % 4 else 'hazard'}\n"
            f"date: 2025-{1 + i % 12:02d}-{1 + i % 28:02d}\n"
            f"developer: {dev}\n"
            f"models: [model-{i % 40}, model-{(i + 1) % 40}]\n"
            f"summary: >-\n  {_sentence(rng, 30)} [@{s[0]}, sec. 2]. {_sentence(rng, 25)} [@{s[1]}; @{s[2]}, p. 4].\n"
            f"  {_sentence(rng, 20)} [@{s[3]}].\n"
            f'tags:\n  mit: ["{MIT[i % len(MIT)]}"]\n  cop: [{COP[i % len(COP)]}]\n  topics: '
            f"[{TOPICS[i % len(TOPICS)]}]\n"
            "claims:\n" + "".join(claims) + "risk:\n  rubric: v0.1\n  horizon_months: 12\n"
            f"  severity: {1 + i % 4}\n  evidence: {i % 3}\n  likelihood: {1 + i % 3}\n"
            f"  capability: {{domain: {COP[i % len(COP)]}, status: 0, safeguards_verified: unknown}}\n"
            f"  breadth: {i % 3}\n  reversibility: {i % 2}\n"
            "  confidence:\n    evidence: limited\n    agreement: medium\n"
            f"    statement: {_sentence(rng, 14)} [@{s[0]}].\n"
            "  rationale:\n"
            f"    severity: {_sentence(rng, 12)} [@{s[0]}, p. 2].\n"
            f"    evidence: {_sentence(rng, 12)} [@{s[1]}].\n"
            f"recommendations:\n  - {RECOMMENDATIONS[i % len(RECOMMENDATIONS)][0]}\n"
            + evals
            + (
                f"timeline:\n  - date: 2025-{1 + i % 12:02d}-{1 + i % 28:02d}\n    event: "
                f"{_sentence(rng, 10)}.\n    source: {s[0]}\n"
            )
        )
        if i:
            text += f"related:\n  - {inc_ids[i - 1]}\n"
        (data / "incidents" / f"{inc_id}.yaml").write_text(text, encoding="utf-8")

    # Briefs: a compendium of the first `compendium` incidents (a page each) and a small brief.
    chosen = "\n".join(f"    - {x}" for x in inc_ids[:compendium])
    (folder / "briefs" / "compendium.yaml").write_text(
        f"id: compendium\ntitle: Compendium of {compendium} incidents\nlayout: compendium\n"
        f"scope:\n  incidents:\n{chosen}\naudiences: [regulator]\ncadence: monthly\nclassification: OFFICIAL\n"
        f"authors: [Benchmark Unit]\n",
        encoding="utf-8",
    )
    return {"incidents": incidents, "sources": sources, "rows": rows, "compendium": compendium}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--incidents", type=int, default=15_000)
    parser.add_argument("--sources", type=int, default=60_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--compendium", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    print(generate(args.folder, args.incidents, args.sources, args.rows, args.compendium, args.seed))


if __name__ == "__main__":
    main()
