"""`brief assess ID`: write the starter overlay of a pulled incident, or record its new upstream state.

The overlays themselves (merge, upstream fingerprints) are load/overlays.py, which the loader reads.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from brief.assess.risk import Rubric, load_rubric, rubric_path
from brief.core.errors import UsageError
from brief.core.words import suggest
from brief.load.config import Config
from brief.load.dataset import load_dataset
from brief.load.model import Incident
from brief.load.overlays import UPSTREAM_KEY, fingerprint, overlay_path


def _scale_comment(rubric: Rubric, code: str) -> str:
    """Return a scale's values for a comment: "Severity: 1 Negligible; 2 Minor; ..."."""
    values = "; ".join(f"{value} {label}" for value, label in rubric.labels[code].items())
    return f"{rubric.names[code]}: {values}"


def starter(incident: Incident, upstream_file: str, rubric: Rubric, rubric_version: str) -> str:
    """Return the text of a starter overlay: the rubric inputs, commented out, with their allowed values."""
    fp = fingerprint(incident)
    lines = [
        f"# Assessment of {incident.id}: {incident.title}",
        f"# Merged over the pulled record ({upstream_file}) when the project loads; `brief pull` never",
        "# touches this file. Any incident field may be given (title, summary, kind, tags, claims,",
        "# timeline, regulatory, status ...): a field given here replaces the pulled one (tags and",
        "# regulatory merge key by key). Uncomment the risk block and fill in every input.",
        f"id: {incident.id}",
        f"# kind: {incident.kind.value}  # incident | hazard | research-finding",
        "# risk:",
        f"#   rubric: {rubric_version}",
        f"#   horizon_months: {rubric.horizon_months}",
        f"#   severity:       # 1-5  {_scale_comment(rubric, 'S')}",
        f"#   evidence:       # 0-4  {_scale_comment(rubric, 'E')}",
        f"#   likelihood:     # 1-5  {_scale_comment(rubric, 'L')}",
        "#   capability:",
        "#     domain:       # a CoP specified systemic risk, e.g. " + ", ".join(rubric.specified_risks),
        f"#     status: 0     # 0-3  {_scale_comment(rubric, 'C')}",
        "#     safeguards_verified: unknown   # yes | no | unknown",
        f"#   breadth:        # 0-2  {_scale_comment(rubric, 'B')}",
        f"#   reversibility:  # 0-2  {_scale_comment(rubric, 'R')}",
        "#   fatal_or_ci_or_widespread: false   # true: death, critical infrastructure, widespread infringement",
        "#   confidence:",
        "#     evidence:     # limited | medium | robust",
        "#     agreement:    # low | medium | high",
        "#     statement:    # one or two cited sentences: why",
        "#   rationale:      # input name -> one cited sentence, e.g.",
        "#     severity: ...",
        "# claims: []       # checkable statements with sources and locators (see data/incidents/)",
        "",
        *upstream_block(fp),
    ]
    return "\n".join(lines) + "\n"


def upstream_block(fp: dict[str, Any]) -> list[str]:
    """Return the `upstream:` block recording the pulled record's state (written by brief, not by hand)."""
    fields = ", ".join(
        f"{name}: '{value}'" for name, value in sorted(fp["fields"].items())
    )  # quoted: a hex digest may read as a number
    return [
        "# The pulled record as it was when this assessment was written or last reviewed (brief assess).",
        "# Do not edit: when the pulled record changes, validate names the fields that changed.",
        f"{UPSTREAM_KEY}:",
        f"  hash: '{fp['hash']}'",
        f"  fields: {{{fields}}}",
    ]


_BLOCK = re.compile(r"(?:^#[^\n]*\n)*^upstream:[^\n]*\n(?:^[ \t]+[^\n]*\n?)*", re.M)


def accept_upstream(path: Path, incident: Incident) -> None:
    """Record the pulled record's current state in an overlay (its other lines stay as they are)."""
    text = path.read_text(encoding="utf-8")
    block = "\n".join(upstream_block(fingerprint(incident))) + "\n"
    if _BLOCK.search(text):
        text = _BLOCK.sub(lambda _m: block, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text, encoding="utf-8")


def write_starter(config: Config, incident_id: str, accept: bool = False) -> Path:
    """`brief assess ID`: write data/assessments/<id>.yaml, or (accept) record the new upstream state."""
    ds, _problems = load_dataset(config, overlays=False)
    incident = ds.incidents.get(incident_id)
    if incident is None:
        raise UsageError(
            f"unknown incident {incident_id!r}{suggest(incident_id, ds.incidents)} (see `brief list incidents`)"
        )
    path = overlay_path(config.data_dir, incident_id)
    if accept:
        if not path.is_file():
            raise UsageError(
                f"{config.relative(path)}: no assessment to update (run `brief assess {incident_id}` first)"
            )
        accept_upstream(path, incident)
        return path
    if path.exists():
        raise UsageError(
            f"{config.relative(path)} already exists: edit it (or, after reviewing upstream changes, "
            f"run `brief assess {incident_id} --accept-upstream`)"
        )

    version = "v0.1"
    rubric = load_rubric(rubric_path(config, version))
    upstream = incident.origin.path if incident.origin else "?"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(starter(incident, upstream, rubric, version), encoding="utf-8")
    return path
