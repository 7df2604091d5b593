"""`brief export DIR`: write the curated data as a data package another brief project can pull.

The package is the curated files as they are (sources, incidents, evaluations; never what was
itself pulled from remotes) plus manifest.json listing each with its SHA-256 and size. Serve the
folder over https and point the other project's `[[remote]] kind = "brief"` at manifest.json.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import shutil
import tempfile
from pathlib import Path

from brief import __version__
from brief.check.validate import validate
from brief.core.errors import UsageError
from brief.core.writer import OutputRoot
from brief.load.config import Config
from brief.load.importers.package import MANIFEST_NAME, check_member_path, manifest_text

log = logging.getLogger(__name__)


def package_files(config: Config) -> list[tuple[str, Path]]:
    """Return (package path, file) for every curated data file a package carries."""
    data = config.data_dir
    candidates = [data / "sources.json", data / "sources.yaml"]
    candidates += sorted((data / "sources").glob("*.json")) + sorted((data / "sources").glob("*.yaml"))
    candidates += sorted((data / "incidents").glob("*.yaml")) + sorted((data / "incidents").glob("*.yml"))
    candidates += sorted((data / "evaluations").glob("*.csv"))
    return [(path.relative_to(data).as_posix(), path) for path in candidates if path.is_file()]


def export(config: Config, out: Path, today: dt.date | None = None) -> Path:
    """Validate the project, then write the data package into `out`; return the manifest's path."""
    report = validate(config)
    report.raise_if_failed()
    out = out if out.is_absolute() else Path.cwd() / out
    data = config.data_dir.resolve()
    if out.resolve() == data or data in out.resolve().parents:
        raise UsageError(f"export folder {out} is inside {config.relative(data)}/: choose a folder outside the data")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MANIFEST_NAME).is_file())):
        raise UsageError(
            f"{out} exists and is not an earlier export (no {MANIFEST_NAME}): choose an empty or new folder"
        )

    files = package_files(config)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.export-", dir=out.parent))
    package = OutputRoot(staging, sync=False)  # the staging folder is renamed into place once complete
    try:
        entries = []
        for rel, path in files:
            check_member_path("export", str(path), rel)
            body = path.read_bytes()
            package.write_bytes(rel, body)
            entries.append((rel, hashlib.sha256(body).hexdigest(), len(body)))
        day = today or _build_day()
        package.write_text(MANIFEST_NAME, manifest_text(config.settings.name, day.isoformat(), __version__, entries))
        os.chmod(staging, 0o755)
        # Swap: the earlier export stays whole until the new one is complete.
        if out.exists():
            parked = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.rename(out, parked / "old")
            os.rename(staging, out)
            shutil.rmtree(parked, ignore_errors=True)
        else:
            os.rename(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    log.info("exported %d files to %s", len(entries), out)
    return out / MANIFEST_NAME


def _build_day() -> dt.date:
    """Today, or the day of SOURCE_DATE_EPOCH (so the same data exports byte-identically)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.date.today()
