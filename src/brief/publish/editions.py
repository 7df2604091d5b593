"""Editions: ids, snapshots of the data an edition was built from, manifests, and diffs.

A snapshot is the normalised data one brief's edition rests on (JSON, sorted keys). The diff of
two snapshots is the "What changed since the last edition" section and `brief diff A B`.
`publish_staged` and `add_files` write an edition's folder, only through an OutputRoot.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, cast

from brief.assess.risk import Assessment
from brief.core.errors import BriefError, UsageError
from brief.core.writer import OutputRoot
from brief.load.dataset import Dataset
from brief.load.markers import cite_keys
from brief.load.model import BriefSpec, Incident, Recommendation
from brief.render.context import Edition

SNAPSHOT = "snapshot.json"
MANIFEST = "manifest.json"
SNAPSHOT_FORMAT = 1


def sha256_bytes(data: bytes) -> str:
    """Return the hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def canonical_json(data: Any) -> bytes:
    """Return deterministic JSON bytes (sorted keys, UTF-8, trailing newline)."""
    return (json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False, default=str) + "\n").encode("utf-8")


# --- writing an edition's folder ----------------------------------------------------------------


def publish_staged(
    output: OutputRoot,
    folder: str,
    files: list[tuple[str, bytes]],
    snapshot: dict[str, Any],
    manifest: dict[str, Any],
) -> Path:
    """Publish a new edition (or correction) at `folder` inside `output`; return the published folder.

    The files, the snapshot and the manifest (last: it marks the edition complete) are written into
    a hidden staging folder beside `folder`, which is then renamed into place: a reader sees the
    whole edition or none of it."""
    target = output.folder(folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".staging-{target.name}-", dir=target.parent))
    try:
        os.chmod(staging, 0o755)
        stage = OutputRoot(staging)
        for name, data in files:
            stage.write_bytes(name, data)
        stage.write_bytes(SNAPSHOT, canonical_json(snapshot))
        stage.write_bytes(MANIFEST, canonical_json(manifest))
        try:
            os.rename(staging, target)
        except OSError as exc:
            raise BriefError(f"{target}: cannot publish ({exc.strerror}); nothing was changed") from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def add_files(edition: OutputRoot, files: list[tuple[str, bytes]], manifest: dict[str, Any]) -> list[Path]:
    """Add files to a published edition, then write its new manifest (last); return the paths written."""
    written = [edition.write_bytes(name, data) for name, data in files]
    edition.write_bytes(MANIFEST, canonical_json(manifest))
    return written


# --- snapshots ---------------------------------------------------------------------------------


def make_snapshot(
    ds: Dataset,
    spec: BriefSpec,
    incidents: list[Incident],
    assessments: Mapping[str, Assessment],
    recommendations: list[Recommendation],
    edition: Edition,
) -> dict[str, Any]:
    """Return the normalised data a brief's edition is built from."""
    cited: set[str] = set()

    inc_out: dict[str, Any] = {}
    eval_names: set[str] = set()
    for inc in incidents:
        data = inc.model_dump(mode="json", exclude_none=True)
        if getattr(inc, "reassess", None):  # the pulled record changed under its assessment overlay
            data["reassess"] = list(inc.reassess)
        a = assessments.get(inc.id)
        if a is not None:
            data["assessment"] = {"level": a.level, "computed_level": a.computed_level, "confidence": a.confidence}
        inc_out[inc.id] = data
        eval_names.update(inc.evaluations)
        cited.update(cite_keys(inc.summary))
        for claim in inc.claims:
            cited.update(ref.id for ref in claim.sources)
            cited.update(ref.id for ref in claim.reported_by)
            cited.update(cite_keys(claim.note or ""))
        if inc.risk:
            for text in inc.risk.rationale.values():
                cited.update(cite_keys(text))
    evaluations = {
        e.id: e.model_dump(mode="json", exclude_none=True) for e in ds.evaluations if e.evaluation in eval_names
    }
    cited.update(e["source"] for e in evaluations.values())
    recs = {r.id: r.model_dump(mode="json", exclude_none=True) for r in recommendations}
    for r in recommendations:
        cited.update(cite_keys(r.rationale))
    for text in [*(kj.text for kj in spec.key_judgements), spec.bottom_line or ""]:
        cited.update(cite_keys(text))
    sources = {k: ds.sources[k].model_dump(mode="json", exclude_none=True) for k in sorted(cited) if k in ds.sources}
    return {
        "format": SNAPSHOT_FORMAT,
        "brief": spec.model_dump(mode="json", exclude_none=True),
        "edition": {"id": edition.id, "date": edition.iso},
        "incidents": inc_out,
        "evaluations": evaluations,
        "recommendations": recs,
        "sources": sources,
    }


# --- diffs -------------------------------------------------------------------------------------


@dataclass
class Change:
    """One line of a what-changed section."""

    # incident-added, incident-removed, risk-level, risk-input, claim-status, claim-added, evaluation-added, ...
    kind: str
    text: str
    ref: str = ""  # the record id it concerns

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "ref": self.ref, "text": self.text}


@dataclass
class Diff:
    """What changed from snapshot A (older) to snapshot B (newer)."""

    old: str
    new: str
    changes: list[Change] = field(default_factory=list)

    def by_kind(self, *kinds: str) -> list[Change]:
        return [c for c in self.changes if c.kind in kinds]

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.old, "to": self.new, "changes": [c.as_dict() for c in self.changes]}

    def lines(self) -> list[str]:
        """Return one plain-text line per change (for the terminal)."""
        if not self.changes:
            return [f"No changes from {self.old} to {self.new}."]
        return [f"{self.old} -> {self.new}:"] + [f"- {c.text}" for c in self.changes]


INPUT_NAMES = {
    "severity": "severity (S)",
    "evidence": "evidence (E)",
    "likelihood": "likelihood (L)",
    "breadth": "breadth (B)",
    "reversibility": "reversibility (R)",
    "fatal_or_ci_or_widespread": "harm class (F2)",
}
INPUT_ORDER = [
    *INPUT_NAMES,
    "capability",
    "safeguards_verified",
    "confidence evidence",
    "confidence agreement",
    "override",
]
INPUT_CODES = {"severity": "S", "evidence": "E", "likelihood": "L", "breadth": "B", "reversibility": "R"}


def _risk_inputs(risk: dict[str, Any] | None) -> dict[str, Any]:
    if not risk:
        return {}
    out = {k: risk.get(k) for k in INPUT_NAMES if k in risk}
    cap = risk.get("capability") or {}
    out["capability"] = cap.get("status")
    out["safeguards_verified"] = cap.get("safeguards_verified")
    conf = risk.get("confidence") or {}
    out["confidence evidence"] = conf.get("evidence")
    out["confidence agreement"] = conf.get("agreement")
    out["override"] = (risk.get("override") or {}).get("level")
    return out


def _fmt_input(name: str, value: object) -> str:
    code = INPUT_CODES.get(name)
    if code and isinstance(value, int):
        return f"{code}{value}"
    if name == "capability" and isinstance(value, int):
        return f"C{value}"
    return "none" if value is None else str(value)


def diff_snapshots(old: dict[str, Any], new: dict[str, Any]) -> Diff:
    """Return every change between two snapshots, in a stable order."""
    d = Diff(old["edition"]["id"], new["edition"]["id"])
    add = d.changes.append
    oi, ni = old.get("incidents", {}), new.get("incidents", {})
    for key in sorted(ni.keys() - oi.keys()):
        add(Change("incident-added", f"New incident: {ni[key]['title']} ({key}).", key))
    for key in sorted(oi.keys() - ni.keys()):
        add(Change("incident-removed", f"Removed incident: {oi[key]['title']} ({key}).", key))
    for key in sorted(ni):
        stale, before = ni[key].get("reassess"), oi.get(key, {}).get("reassess")
        if stale and stale != before:
            add(
                Change(
                    "reassessment",
                    (
                        f"{ni[key]['title']} ({key}) needs reassessment: its pulled record changed since it was "
                        f"assessed ({', '.join(stale)})."
                    ),
                    key,
                )
            )
        status, was = ni[key].get("status"), oi.get(key, {}).get("status")
        if status and status != was and key in oi:
            add(
                Change(
                    "incident-status",
                    f"{ni[key]['title']} ({key}) is now {status}: {ni[key].get('status_reason', '')}".rstrip(": "),
                    key,
                )
            )
    for key in sorted(oi.keys() & ni.keys()):
        a, b = oi[key], ni[key]
        la, lb = (a.get("assessment") or {}).get("level"), (b.get("assessment") or {}).get("level")
        ia, ib = _risk_inputs(a.get("risk")), _risk_inputs(b.get("risk"))
        moved = [
            f"{INPUT_NAMES.get(n, n)} {_fmt_input(n, ia.get(n))} → {_fmt_input(n, ib.get(n))}"
            for n in INPUT_ORDER
            if n in set(ia) | set(ib) and ia.get(n) != ib.get(n)
        ]
        if la != lb:
            why = f"; inputs that moved: {', '.join(moved)}" if moved else ""
            add(
                Change(
                    "risk-level",
                    f"Risk level of {b['title']} changed from {la or 'not assessed'} to {lb or 'not assessed'}{why}.",
                    key,
                )
            )
        elif moved:
            add(
                Change(
                    "risk-input",
                    f"Risk inputs of {b['title']} changed ({', '.join(moved)}); the level stays {lb}.",
                    key,
                )
            )
        ca = {c["id"]: c for c in a.get("claims", [])}
        cb = {c["id"]: c for c in b.get("claims", [])}
        for cid in sorted(cb.keys() - ca.keys()):
            add(
                Change(
                    "claim-added",
                    f"New claim on {b['title']}: “{cb[cid]['text']}” ({cb[cid]['status']}).",
                    f"{key}/{cid}",
                )
            )
        for cid in sorted(ca.keys() - cb.keys()):
            add(Change("claim-removed", f"Claim removed from {b['title']}: “{ca[cid]['text']}”.", f"{key}/{cid}"))
        for cid in sorted(ca.keys() & cb.keys()):
            if ca[cid]["status"] != cb[cid]["status"]:
                add(
                    Change(
                        "claim-status",
                        (
                            f"Claim “{cb[cid]['text']}” on {b['title']} changed from {ca[cid]['status']} to "
                            f"{cb[cid]['status']}."
                        ),
                        f"{key}/{cid}",
                    )
                )
    oe, ne = old.get("evaluations", {}), new.get("evaluations", {})
    for key in sorted(ne.keys() - oe.keys()):
        e = ne[key]
        add(
            Change(
                "evaluation-added",
                f"New evaluation result: {e['evaluation']}, {e['model']}, {e['condition']}: {e['metric']} {_value(e)}.",
                key,
            )
        )
    for key in sorted(oe.keys() - ne.keys()):
        e = oe[key]
        add(
            Change(
                "evaluation-removed",
                f"Evaluation result withdrawn: {e['evaluation']}, {e['model']}, {e['condition']}.",
                key,
            )
        )
    for key in sorted(oe.keys() & ne.keys()):
        a, b = oe[key], ne[key]
        if (a.get("value"), a.get("n"), a.get("value_text")) != (b.get("value"), b.get("n"), b.get("value_text")):
            add(
                Change(
                    "evaluation-changed",
                    f"Evaluation result changed: {b['evaluation']}, {b['model']}: {_value(a)} → {_value(b)}.",
                    key,
                )
            )
    os_, ns = old.get("sources", {}), new.get("sources", {})
    for key in sorted(ns.keys() - os_.keys()):
        add(Change("source-added", f"New source: {ns[key]['title']} ({key}).", key))
    orec, nrec = old.get("recommendations", {}), new.get("recommendations", {})
    for key in sorted(nrec.keys() - orec.keys()):
        add(Change("recommendation-added", f"New recommendation: {nrec[key]['text']}", key))
    for key in sorted(orec.keys() - nrec.keys()):
        add(Change("recommendation-removed", f"Recommendation withdrawn: {orec[key]['text']}", key))
    for key in sorted(orec.keys() & nrec.keys()):
        a, b = orec[key], nrec[key]
        fields = [f for f in ("text", "priority", "addressee", "rationale", "question") if a.get(f) != b.get(f)]
        if fields:
            add(Change("recommendation-changed", f"Recommendation changed ({', '.join(fields)}): {b['text']}", key))
    return d


def _value(e: dict[str, Any]) -> str:
    if e.get("value") is None:
        return e.get("value_text") or "no value"
    unit = e.get("unit")
    value = e["value"]
    text = (
        f"{value:g}%"
        if unit == "percent"
        else f"{value * 100:g}%"
        if unit == "proportion"
        else f"{value:g}/{e['n']}"
        if unit == "count" and e.get("n")
        else f"{value:g}"
    )
    return text + (f" (n = {e['n']})" if e.get("n") and unit != "count" else "")


# --- reading published editions ----------------------------------------------------------------


@dataclass
class Published:
    """A published edition (or correction) found on disk."""

    brief: str
    edition: str
    folder: Path
    manifest: dict[str, Any]

    @property
    def date(self) -> dt.date:
        return dt.date.fromisoformat(self.manifest["edition"]["date"])

    @property
    def revision(self) -> int:
        return int(self.manifest.get("revision", 0))

    def snapshot(self) -> dict[str, Any]:
        """Return the snapshot of the data this edition was built from."""
        return _json_object(self.folder / SNAPSHOT)


def _json_object(path: Path) -> dict[str, Any]:
    """Return the JSON object a file of ours holds (a manifest or a snapshot: written by canonical_json)."""
    return cast(dict[str, Any], json.loads(path.read_text(encoding="utf-8")))


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """Return a folder's manifest, or None when it holds no complete edition."""
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        return _json_object(path)
    except (OSError, ValueError):
        return None


def published(output_dir: Path, brief: str) -> list[Published]:
    """Return a brief's published editions and corrections, oldest first (by date, then id, then revision)."""
    root = output_dir / brief
    found: list[Published] = []
    if not root.is_dir():
        return found
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        manifest = read_manifest(folder)
        if manifest:
            found.append(Published(brief, manifest["edition"]["id"], folder, manifest))
        for corr in sorted(folder.glob("correction-*")):
            m = read_manifest(corr)
            if m:
                found.append(Published(brief, m["edition"]["id"], corr, m))
    return sorted(found, key=lambda p: (p.date, p.edition, p.revision))


def latest_revision(output_dir: Path, brief: str, edition: str) -> Published | None:
    """Return the newest revision (original or correction) of one edition."""
    revs = [p for p in published(output_dir, brief) if p.edition == edition]
    return revs[-1] if revs else None


def find_revision(output_dir: Path, brief: str, edition: str, revision: int) -> Published | None:
    """Return one revision of one edition, or None."""
    return next((p for p in published(output_dir, brief) if p.edition == edition and p.revision == revision), None)


def previous_edition(output_dir: Path, brief: str, edition: str, day: dt.date) -> Published | None:
    """Return the latest revision of the newest edition before `edition` (by date)."""
    editions: dict[str, Published] = {}
    for p in published(output_dir, brief):
        if p.edition != edition and (p.date, p.edition) < (day, edition):
            editions[p.edition] = p  # later revisions overwrite earlier ones
    if not editions:
        return None
    return max(editions.values(), key=lambda p: (p.date, p.edition))


def resolve_snapshot(output_dir: Path, brief: str | None, ref: str) -> dict[str, Any]:
    """Return the snapshot named by `ref`: a path to snapshot.json, or an edition id of `brief`."""
    path = Path(ref)
    if path.suffix == ".json" and path.is_file():
        return _json_object(path)
    if brief is None:
        raise UsageError(f"{ref!r} is not a snapshot file; give --brief ID to name an edition")
    pub = latest_revision(output_dir, brief, ref)
    if pub is None:
        known = sorted({p.edition for p in published(output_dir, brief)})
        raise UsageError(f"no published edition {ref!r} of brief {brief!r} (known: {', '.join(known) or 'none'})")
    try:
        return pub.snapshot()
    except (OSError, ValueError) as exc:
        raise BriefError(f"{pub.folder / SNAPSHOT}: cannot read ({exc})") from None
