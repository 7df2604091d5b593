"""CI: audit brief's dependencies with pip-audit when its vulnerability database can be reached.

Audits exactly the distributions that `brief[test]` pulls in (not whatever else the machine has),
at their installed versions. Exits 1 on a known vulnerability. When the database cannot be reached
(a machine that reaches the package index but not the advisory service), it prints one line saying
so and exits 0: the only allowed skip, and not a test.
"""

from __future__ import annotations

import importlib.metadata as metadata
import json
import subprocess
import sys
import tempfile

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

SKIPPED = "pip-audit: could not reach the vulnerability database; skipped"


def closure(root: str = "brief", extras: tuple[str, ...] = ("test",)) -> dict[str, str]:
    """Return {name: installed version} of `root`'s dependencies (with `extras`), transitively."""
    found: dict[str, str] = {}
    todo: list[tuple[str, tuple[str, ...]]] = [(root, extras)]
    while todo:
        name, wanted = todo.pop()
        key = canonicalize_name(name)
        if key in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional dependency for another platform
        found[key] = dist.version
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker and not any(req.marker.evaluate({"extra": extra}) for extra in (*wanted, "")):
                continue
            todo.append((req.name, tuple(req.extras)))
    found.pop(canonicalize_name(root), None)  # brief itself is not on the index
    return found


def main() -> int:
    pins = closure()
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("".join(f"{name}=={version}\n" for name, version in sorted(pins.items())))
    proc = subprocess.run(
        [sys.executable, "-m", "pip_audit", "--disable-pip", "--no-deps", "-r", handle.name, "--format", "json", "--progress-spinner", "off"],
        capture_output=True,
        text=True,
    )
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        report = None
    if report is None:  # pip-audit could not even start its queries (no route to the service)
        if any(word in proc.stderr for word in ("Connection", "resolve", "Network", "timed out", "Max retries")):
            print(SKIPPED)
            return 0
        sys.stderr.write(proc.stderr)
        return 1
    deps = report.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    audited = [d for d in deps if "skip_reason" not in d]
    if vulnerable:
        for dep in vulnerable:
            for vuln in dep["vulns"]:
                fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
                print(f"pip-audit: {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
        print(f"pip-audit: {len(vulnerable)} of {len(audited)} audited packages have known vulnerabilities")
        return 1
    if not audited:
        print(SKIPPED)
        return 0
    skipped = sorted(d["name"] for d in deps if "skip_reason" in d)
    print(f"pip-audit: {len(audited)} packages audited, no known vulnerabilities" + (f" ({len(skipped)} not found on the index: {', '.join(skipped)})" if skipped else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
