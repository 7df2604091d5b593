"""Inspect AI evaluation logs (`.json` and `.eval` zip archives) -> evaluation rows and one source per log.

Each metric of each scorer becomes one row: task, model, metric, value, the scored sample count n,
the log's dates and id. Logs whose status is error, cancelled or started (unfinished) are reported
and skipped, never counted. The format is read as the inspect_ai package writes it (log format
version 2); the test fixtures are made with the real package (tests/fixtures/pull/make_inspect_logs.py).
"""

from __future__ import annotations

import io
import json
import math
import struct
import zipfile
from typing import Any

import zstandard

from brief.core.errors import SourceError
from brief.load.importers import (
    Imported,
    Importer,
    NoOptions,
    RawFile,
    Stager,
    collect_files,
    csl_date,
    parse_day,
    slug,
)

MAX_HEADER_BYTES = 32 * 2**20
"""Largest uncompressed header.json accepted from an .eval archive (a zip bomb stops here)."""
ZSTD = 93  # zip compression method id of Zstandard, which inspect_ai writes since 2025
_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
NOT_LOGS = ("logs.json", "eval-set.json", "listing.json")  # index files inspect writes into log folders


def import_logs(remote: str, files: list[RawFile]) -> Imported:
    """Turn Inspect logs into evaluation rows (one per scorer metric) and a source per log."""
    out = Imported()
    seen_logs: set[str] = set()
    for raw in files:
        if raw.name.rsplit("/", 1)[-1] in NOT_LOGS:
            out.skipped.append(f"{raw.source}: an Inspect log-folder index, not a log; skipped")
            continue
        log = read_log(remote, raw)
        spec = log.get("eval") or {}
        eval_id = str(spec.get("eval_id") or spec.get("run_id") or raw.sha256[:16])
        task = str(spec.get("task_display_name") or spec.get("task") or "unnamed task")
        model = str(spec.get("model") or "unknown model")
        status = log.get("status")
        what = f"{raw.source}: log {eval_id} (task {task}, model {model})"
        if status != "success":
            reason = _error_line(log)
            out.skipped.append(
                f"{what} has status {status or 'unknown'}{': ' + reason if reason else ''}; skipped, not counted"
            )
            continue
        if log.get("invalidated"):
            out.skipped.append(f"{what} is marked invalidated (its samples were edited); skipped, not counted")
            continue
        scores = (log.get("results") or {}).get("scores") or []
        if not scores:
            out.skipped.append(f"{what} has no scores; skipped")
            continue
        if eval_id.lower() in seen_logs:
            out.skipped.append(f"{what} is the same run as an earlier file; skipped")
            continue
        seen_logs.add(eval_id.lower())
        source_id = f"inspect-{slug(eval_id, 40)}"
        out.sources.append(_source(source_id, raw, spec, log, task, model, eval_id))
        out.evaluations.extend(_rows(source_id, raw, spec, log, task, model, eval_id))
    return out


def read_log(remote: str, raw: RawFile) -> dict[str, Any]:
    """Return the log header (status, eval, results, stats, error) of a .json or .eval log."""
    data = raw.path.read_bytes()
    if data[:4] == b"PK\x03\x04":
        return _read_eval_archive(remote, raw, data)
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"remote {remote!r}: {raw.source}: not an Inspect log (neither a zip archive nor UTF-8 JSON: {exc.reason})"
        ) from None
    except json.JSONDecodeError as exc:
        raise SourceError(
            f"remote {remote!r}: {raw.source}: invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("eval"), dict) or "status" not in doc:
        raise SourceError(
            f"remote {remote!r}: {raw.source}: not an Inspect log (expected a JSON object with 'eval' and 'status')"
        )
    return doc


def _read_eval_archive(remote: str, raw: RawFile, data: bytes) -> dict[str, Any]:
    def fail(cause: str) -> SourceError:
        return SourceError(f"remote {remote!r}: {raw.source}: {cause}")

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise fail(f"not a valid .eval archive ({exc})") from None
    if "header.json" in names:
        header = _json_member(archive, data, "header.json", fail)
    elif "_journal/start.json" in names:  # written at the start; header.json only at the end
        header = _json_member(archive, data, "_journal/start.json", fail)
        header["status"] = "started"
    else:
        raise fail("not an Inspect .eval archive (no header.json)")
    if not isinstance(header, dict) or not isinstance(header.get("eval"), dict):
        raise fail("not an Inspect log (header.json has no 'eval')")
    return header


def _json_member(archive: zipfile.ZipFile, data: bytes, name: str, fail: Any) -> Any:
    info = archive.getinfo(name)
    if info.file_size > MAX_HEADER_BYTES:
        raise fail(f"{name} is {info.file_size} bytes uncompressed, over the {MAX_HEADER_BYTES} byte limit")
    try:
        if info.compress_type == ZSTD:
            text = _zstd(_raw_member(data, info), info.file_size)
        else:
            with archive.open(info) as handle:
                text = handle.read(MAX_HEADER_BYTES + 1)
        return json.loads(text.decode("utf-8"))
    except (ValueError, zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as exc:
        raise fail(f"cannot read {name} ({exc})") from None


def _raw_member(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """Return the compressed bytes of one member (zipfile cannot decompress zstd before Python 3.14)."""
    offset = info.header_offset
    fields = _LOCAL_HEADER.unpack_from(data, offset)
    if fields[0] != 0x04034B50:
        raise ValueError("bad local file header")
    start = offset + _LOCAL_HEADER.size + fields[9] + fields[10]
    return data[start : start + info.compress_size]


def _zstd(compressed: bytes, expected: int) -> bytes:
    """Return a Zstandard member decompressed, refused past MAX_HEADER_BYTES."""
    limit = min(expected, MAX_HEADER_BYTES) + 1
    with zstandard.ZstdDecompressor().stream_reader(compressed, read_across_frames=True) as reader:
        out: bytes = reader.read(limit)
    if len(out) > MAX_HEADER_BYTES:
        raise ValueError("decompressed member is over the size limit")
    return out


def _error_line(log: dict[str, Any]) -> str:
    error = log.get("error")
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"]).strip().splitlines()[0][:200]
    return ""


def _source(
    source_id: str, raw: RawFile, spec: dict[str, Any], log: dict[str, Any], task: str, model: str, eval_id: str
) -> dict[str, Any]:
    stats = log.get("stats") or {}
    done = parse_day(stats.get("completed_at")) or parse_day(spec.get("created"))
    item: dict[str, Any] = {
        "id": source_id,
        "type": "dataset",
        "title": f"Inspect AI evaluation log: task {task}, model {model} (log {eval_id})",
        "medium": "Inspect AI evaluation log",
        "reliability": "primary",
        "verification": "consulted",
        "checked": (
            f"Read by brief pull from the log file {raw.source} on {raw.retrieved.isoformat()}; values copied from "
            "its results."
        ),
    }
    if done:
        item["issued"] = csl_date(done)
    if raw.is_url:
        item["URL"] = raw.source
    item["accessed"] = csl_date(raw.retrieved)
    return item


def _rows(
    source_id: str, raw: RawFile, spec: dict[str, Any], log: dict[str, Any], task: str, model: str, eval_id: str
) -> list[dict[str, Any]]:
    stats = log.get("stats") or {}
    results = log.get("results") or {}
    started, completed = stats.get("started_at"), stats.get("completed_at")
    day = parse_day(completed) or parse_day(spec.get("created"))
    args = spec.get("task_args") or {}
    epochs = (spec.get("config") or {}).get("epochs")
    rows: list[dict[str, Any]] = []
    used: set[str] = set()
    for score in results.get("scores") or []:
        scorer = str(score.get("name") or score.get("scorer") or "score")
        reducer = score.get("reducer")
        n = score.get("scored_samples")
        if n is None:
            n = results.get("completed_samples")
        condition = [f"scorer {scorer}"]
        if reducer:
            condition.append(f"reducer {reducer}")
        if epochs and epochs != 1:
            condition.append(f"{epochs} epochs")
        condition += [f"{k}={_arg(v)}" for k, v in sorted(args.items())]
        for key, metric in (score.get("metrics") or {}).items():
            name = str(metric.get("name") or key)
            if metric.get("group"):
                name = f"{metric['group']}: {name}"
            value = metric.get("value")
            number = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
            finite = number is not None and math.isfinite(number)
            number = number if finite else None
            base = f"inspect-{slug(eval_id, 40)}-{slug(scorer, 30)}-{slug(name, 30)}"
            row_id, k = base, 2
            while row_id in used:
                row_id, k = f"{base}-{k}", k + 1
            used.add(row_id)
            rows.append(
                {
                    "id": row_id,
                    "evaluation": task,
                    "model": model,
                    "condition": "; ".join(condition),
                    "metric": name,
                    "value": number,
                    "unit": "proportion" if name == "accuracy" and number is not None and 0 <= number <= 1 else "score",
                    "value_text": None if finite else f"{value} (not a finite number in the log)",
                    "n": n if isinstance(n, int) and n >= 0 else None,
                    "n_note": None if isinstance(n, int) else "sample count not in the log",
                    "date": day.isoformat() if day else None,
                    "source": source_id,
                    "locator": f"log {eval_id}, scorer {scorer}, metric {name}",
                    "verification": "P",
                    "note": f"Inspect log {eval_id}"
                    + (f"; started {started}" if started else "")
                    + (f", completed {completed}" if completed else ""),
                }
            )
    return rows


def _arg(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


class InspectImporter(Importer[NoOptions]):
    """`kind = "inspect"`: Inspect AI logs, one evaluation row per scorer metric and one source per log."""

    kind = "inspect"
    summary = "Inspect AI logs (.eval and .json): one evaluation row per scorer metric, one source per log"
    options = NoOptions

    def collect(self, stager: Stager, inputs: list[str]) -> list[RawFile]:
        """Stage each log (a folder stands for the .json and .eval files in it)."""
        return collect_files(stager, inputs, (".json", ".eval"))

    def convert(self, remote: str, files: list[RawFile], options: NoOptions) -> Imported:
        """Return the evaluation rows and sources of the logs."""
        return import_logs(remote, files)
