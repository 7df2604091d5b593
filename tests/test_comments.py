"""Comments explain the code: none cites a tracker number or a document outside the repository."""

from __future__ import annotations

import re

from conftest import REPO

# What code comments must not point to: a tracker's numbers, or documents a reader of the repository
# does not have (the design notes and reference files kept outside it). Spelled in pieces so that this
# file does not match itself.
OUTSIDE = re.compile(
    r"\b[Ii]ssues? #?\d+\b|\b(?:[Tt]ask|[Tt]icket) #?\d+\b|"
    + "|".join(
        re.escape(name)
        for name in (
            "DESIGN" + ".md",
            "../" + "shared",
            "fact-" + "dossier",
            "brief-" + "anatomy",
            "risk-" + "frameworks.md",
            "report-" + "tools.md",
            "/style" + ".md",
        )
    )
)
# These two test the rule itself (the docs must not link outside the repository; this file).
EXEMPT = {"tests/test_docs.py", "tests/test_comments.py"}


def test_code_comments_cite_no_tracker_numbers_and_no_documents_outside_the_repository() -> None:
    found = []
    for folder, pattern in (
        ("src", "*.py"),
        ("tests", "*.py"),
        ("bench", "*.py"),
        ("templates", "*.html"),
        ("templates", "*.css"),
        (".ci", "*"),
    ):
        for path in sorted((REPO / folder).rglob(pattern)):
            if not path.is_file() or "node_modules" in path.parts or path.relative_to(REPO).as_posix() in EXEMPT:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                if OUTSIDE.search(line):
                    found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()[:100]}")
    assert not found, "comments that point outside the repository:\n" + "\n".join(found)
