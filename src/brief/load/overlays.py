"""Assessment overlays: an analyst's work on a pulled incident, kept beside the pull.

`data/assessments/<incident-id>.yaml` holds any fields of an incident file, all optional except
`id` (risk inputs, claims, tags, notes, corrected fields). The loader (load/dataset.py) merges it
over the pulled record: a field given here replaces the pulled one (`tags` and `regulatory` merge
key by key). `brief pull` never writes there, so the assessment survives every pull.

The overlay records what the upstream record was when it was written (`upstream:` with a hash of
the whole record and of each field). When the pulled record changes, validate names the fields
that changed and the next edition's what-changed says the incident needs reassessment; `brief
assess ID --accept-upstream` records the new upstream state once the analyst has reviewed it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

FOLDER = "assessments"
UPSTREAM_KEY = "upstream"
MERGED_BY_KEY = ("tags", "regulatory")  # mappings merged key by key; every other field is replaced


def _digest(value: object, size: int) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:size]


def fingerprint(incident: BaseModel) -> dict[str, Any]:
    """Return the upstream state of an incident: the hash of the whole record (as pull's lock.json
    records it) and a short hash of each field, to name the fields that change."""
    data = incident.model_dump(mode="json")
    return {"hash": _digest(data, 16), "fields": {name: _digest(value, 12) for name, value in data.items()}}


def changed_fields(recorded: Any, current: dict[str, Any]) -> list[str] | None:
    """Return the fields whose hash differs between a recorded and the current fingerprint
    ([] when the same; None when the overlay recorded nothing usable)."""
    if not isinstance(recorded, dict) or not isinstance(recorded.get("hash"), str):
        return None
    if recorded["hash"] == current["hash"]:
        return []
    fields = recorded.get("fields")
    old: dict[str, Any] = fields if isinstance(fields, dict) else {}
    new = current["fields"]
    names = sorted(n for n in set(old) | set(new) if old.get(n) != new.get(n))
    return names or ["(record)"]


def merge(base: dict[str, Any], overlay: dict[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
    """Merge an overlay's fields over a record's; return the merged mapping and the fields the overlay gave."""
    merged = dict(base)
    given = set()
    for key, value in overlay.items():
        if key in ("id", UPSTREAM_KEY):
            continue
        given.add(key)
        if key in MERGED_BY_KEY and isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged, frozenset(given)


def overlay_path(data_dir: Path, incident_id: str) -> Path:
    return data_dir / FOLDER / f"{incident_id}.yaml"
