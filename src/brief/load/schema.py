"""JSON Schemas of the data files, for editors (YAML language servers) and other tools."""

from __future__ import annotations

import json
from pathlib import Path

from brief.core.writer import atomic_write_text
from brief.load.model import BriefSpec, Evaluation, Incident, Recommendation, Record, Source

SCHEMAS: dict[str, tuple[type[Record], str]] = {
    "incident.schema.json": (Incident, "One incident (data/incidents/<id>.yaml)"),
    "sources.schema.json": (
        Source,
        "CSL-JSON items plus reliability, verification, checked, archived (data/sources.json)",
    ),
    "evaluation.schema.json": (Evaluation, "One evaluation row (data/evaluations/*.csv columns)"),
    "recommendations.schema.json": (Recommendation, "The recommendations library (data/recommendations.yaml)"),
    "brief.schema.json": (BriefSpec, "One brief (briefs/<id>.yaml)"),
}


def write_schemas(folder: Path) -> list[Path]:
    """Write one JSON Schema per data file kind into `folder`; return the paths."""
    written = []
    for name, (model, title) in SCHEMAS.items():
        schema = model.model_json_schema()
        schema["title"] = title
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        if name in ("sources.schema.json", "recommendations.schema.json"):
            schema = {"$schema": schema.pop("$schema"), "title": title, "type": "array", "items": schema}
        path = folder / name
        atomic_write_text(path, json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
        written.append(path)
    return written
