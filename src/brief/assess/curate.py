"""`brief assess ID`: write the starter overlay of a pulled incident, or record its new upstream state.

The overlays themselves (merge, upstream fingerprints) are brief/overlays.py, which the loader reads.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from brief.assess.risk import rubric_path
from brief.core.errors import UsageError
from brief.core.words import suggest
from brief.load.dataset import load_dataset
from brief.load.overlays import UPSTREAM_KEY, fingerprint, overlay_path
from brief.load.yamlio import load_plain


def _scale_comment(rubric: dict[str, Any], code: str, prefix: str) -> str:
    scale = (rubric.get("scales") or {}).get(code) or {}
    values = scale.get("values") or {}
    parts = [
        f"{str(k).removeprefix(prefix)} {v.get('label', '')}".strip() for k, v in values.items() if isinstance(v, dict)
    ]
    return f"{scale.get('name', code)}: " + "; ".join(parts)


def starter(incident: Any, upstream_file: str, rubric: dict[str, Any], rubric_version: str) -> str:
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
        f"#   horizon_months: {rubric.get('horizon_months', 12)}",
        f"#   severity:       # 1-5  {_scale_comment(rubric, 'S', 'S')}",
        f"#   evidence:       # 0-4  {_scale_comment(rubric, 'E', 'E')}",
        f"#   likelihood:     # 1-5  {_scale_comment(rubric, 'L', 'L')}",
        "#   capability:",
        "#     domain:       # a CoP specified systemic risk, e.g. "
        + ", ".join(map(str, rubric.get("specified_risks") or [])),
        f"#     status: 0     # 0-3  {_scale_comment(rubric, 'C', 'C')}",
        "#     safeguards_verified: unknown   # yes | no | unknown",
        f"#   breadth:        # 0-2  {_scale_comment(rubric, 'B', 'B')}",
        f"#   reversibility:  # 0-2  {_scale_comment(rubric, 'R', 'R')}",
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


def accept_upstream(path: Path, incident: Any) -> None:
    """Record the pulled record's current state in an overlay (its other lines stay as they are)."""
    text = path.read_text(encoding="utf-8")
    block = "\n".join(upstream_block(fingerprint(incident))) + "\n"
    if _BLOCK.search(text):
        text = _BLOCK.sub(lambda _m: block, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text, encoding="utf-8")


def write_starter(config: Any, incident_id: str, accept: bool = False) -> Path:
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
            f"{config.relative(path)} already exists: edit it (or, after reviewing upstream changes, run `brief assess {incident_id} --accept-upstream`)"
        )

    version = "v0.1"
    try:
        rubric = load_plain(rubric_path(config, version).read_text(encoding="utf-8")) or {}
    except OSError:
        rubric = {}
    upstream = incident.origin.path if incident.origin else "?"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(starter(incident, upstream, rubric if isinstance(rubric, dict) else {}, version), encoding="utf-8")
    return path
