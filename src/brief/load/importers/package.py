"""brief data packages: a JSON manifest listing data files with their SHA-256 (written by `brief export`).

    {"format": "brief-data-package", "version": 1, "name": "...", "created": "2026-11-26",
     "brief_version": "0.1.0",
     "files": [{"path": "sources.json", "sha256": "...", "bytes": 1234}, ...]}

Paths are relative to the manifest and limited to what the loader reads from a remote:
sources.json / sources.yaml, sources/*.json|yaml, incidents/*.yaml, evaluations/*.csv. The files
are copied into data/remote/<name>/current/ byte for byte (so their hashes still match the
manifest), after every hash has been checked.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from brief.core.errors import ConfigError, SourceError
from brief.load.importers import Imported, Importer, NoOptions, RawFile, Stager, is_url

FORMAT = "brief-data-package"
VERSION = 1
MANIFEST_NAME = "manifest.json"
_MEMBER = re.compile(
    r"^(?:sources\.(?:json|yaml)"
    r"|sources/[A-Za-z0-9][A-Za-z0-9._-]*\.(?:json|yaml)"
    r"|incidents/[A-Za-z0-9][A-Za-z0-9._-]*\.ya?ml"
    r"|evaluations/[A-Za-z0-9][A-Za-z0-9._-]*\.csv)$"
)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Member:
    """One file listed in a manifest."""

    path: str
    sha256: str
    bytes: int | None


def check_member_path(remote: str, where: str, path: Any) -> str:
    """Return `path` when it is a safe, known file of a data package; raise SourceError otherwise."""

    def fail(cause: str) -> SourceError:
        return SourceError(f"remote {remote!r}: {where}: file path {str(path)[:100]!r} refused: {cause}")

    if not isinstance(path, str) or not path:
        raise fail("expected a non-empty relative path")
    if "\x00" in path:
        raise fail("it contains a NUL character")
    if "\\" in path:
        raise fail("it contains a backslash (use '/')")
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        raise fail("it is absolute (paths are relative to the manifest)")
    if any(part in ("..", ".", "") for part in path.split("/")):
        raise fail("it contains '..', '.' or an empty component")
    if not _MEMBER.fullmatch(path):
        raise fail(
            "not a file a data package may hold (sources.json, sources/*.json, incidents/*.yaml, evaluations/*.csv)"
        )
    return path


def parse_manifest(remote: str, where: str, data: bytes) -> list[Member]:
    """Parse and check a manifest; every problem is a SourceError naming the remote and URL."""

    def fail(cause: str) -> SourceError:
        return SourceError(f"remote {remote!r}: {where}: {cause}")

    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise fail(f"invalid JSON (not UTF-8: {exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise fail(f"invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise fail(
            f'not a brief data package manifest (expected "format": "{FORMAT}"; write one with `brief export DIR`)'
        )
    if doc.get("version") != VERSION:
        raise fail(f"manifest version {doc.get('version')!r} is not supported (expected {VERSION}; upgrade brief?)")
    files = doc.get("files")
    if not isinstance(files, list):
        raise fail('manifest has no "files" list')
    members: list[Member] = []
    seen: set[str] = set()
    for index, entry in enumerate(files):
        if not isinstance(entry, dict):
            raise fail(f"files[{index}] is not an object with path and sha256")
        path = check_member_path(remote, where, entry.get("path"))
        if path.lower() in seen:
            raise fail(f"file {path!r} is listed twice")
        seen.add(path.lower())
        digest = str(entry.get("sha256", "")).lower()
        if not _SHA256.fullmatch(digest):
            raise fail(f"file {path!r} has no valid sha256 (64 hex digits)")
        size = entry.get("bytes")
        if size is not None and (not isinstance(size, int) or size < 0):
            raise fail(f"file {path!r}: bytes must be a whole number")
        members.append(Member(path, digest, size))
    return members


def manifest_text(name: str, created: str, version: str, files: list[tuple[str, str, int]]) -> str:
    """Return the manifest JSON for (path, sha256, bytes) entries, sorted by path."""
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "name": name,
        "created": created,
        "brief_version": version,
        "files": [{"path": p, "sha256": h, "bytes": n} for p, h, n in sorted(files)],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


class PackageImporter(Importer[NoOptions]):
    """`kind = "brief"`: another project's data package, its files copied as they are once their hashes match."""

    kind = "brief"
    summary = "another project's data package, written by `brief export DIR` (url: its manifest.json)"
    options = NoOptions

    def check_inputs(self, remote: str, inputs: list[str]) -> None:
        """Refuse more than one URL: a package is read from its one manifest."""
        if len(inputs) != 1:
            raise ConfigError(
                f"brief.toml: remote {remote!r}: a brief data package has one manifest URL (got {len(inputs)})"
            )

    def collect(self, stager: Stager, inputs: list[str]) -> list[RawFile]:
        """Stage the manifest (a folder stands for its manifest.json), then every file it lists, hash checked."""
        location = inputs[0]
        if not is_url(location) and stager.local_path(location).is_dir():
            location = str(Path(location) / MANIFEST_NAME)
        manifest = stager.fetch(location, name=MANIFEST_NAME, fmt="json")
        members = parse_manifest(stager.name, manifest.source, manifest.path.read_bytes())
        out = [manifest]
        for member in members:
            where = urljoin(location, member.path) if is_url(location) else str(Path(location).parent / member.path)
            out.append(stager.fetch(where, name=f"files/{member.path}", sha256=member.sha256))
        return out

    def convert(self, remote: str, files: list[RawFile], options: NoOptions) -> Imported:
        """Return the package's files as they are, under their paths in the package."""
        out = Imported()
        for raw in files[1:]:  # the manifest comes first
            out.files[raw.name.removeprefix("files/")] = raw.path.read_bytes()
        return out
