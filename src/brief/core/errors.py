"""The tool's own exceptions. Library code raises these; only cli.py turns them into exit codes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Location:
    """Where a value came from: file, line (1-based, 0 when unknown) and field path."""

    path: str
    line: int = 0
    field: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return where


@dataclass(frozen=True)
class Problem:
    """One validation finding, printed as `path:line: field: message`."""

    location: Location
    message: str
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        name = self.location.field
        name = name if name.isprintable() else repr(name)  # a key with a line break in it stays on one line
        field = f" {name}:" if name else ""
        prefix = "" if self.severity == "error" else "warning: "
        return f"{self.location}:{field} {prefix}{' '.join(self.message.splitlines())}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class BriefError(Exception):
    """Base of every error the tool reports to a user (exit code 1)."""

    exit_code = 1

    def lines(self) -> list[str]:
        """Return the one-line-per-problem report."""
        return [str(self)]


class UsageError(BriefError):
    """The command line asked for something that does not exist (exit code 2)."""

    exit_code = 2


class ConfigError(BriefError):
    """brief.toml or a brief spec is missing or invalid."""


class DataError(BriefError):
    """The data failed to load or validate; carries every problem found."""

    def __init__(self, problems: list[Problem], summary: str | None = None):
        self.problems = sorted(problems, key=lambda p: (p.location.path, p.location.line, p.location.field, p.message))
        errors = sum(1 for p in problems if p.is_error)
        warnings = len(problems) - errors
        self.summary = summary or _summary(errors, warnings)
        super().__init__(self.summary)

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems] + [self.summary]


class RenderError(BriefError):
    """A template or the PDF renderer failed."""


class SourceError(BriefError):
    """A remote could not be pulled (network, HTTP or content problem)."""


class HTTPStatusError(SourceError):
    """The server answered with an error status (a 4xx, or another non-retried status); `status` holds it."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class PullError(SourceError):
    """One or more remotes failed; each keeps its previous data."""

    def __init__(self, failures: list[tuple[str, BriefError]], total: int):
        self.failures = failures
        names = ", ".join(repr(name) for name, _ in failures)
        whose = "its" if len(failures) == 1 else "their"
        self.summary = (
            f"Aborted: pull failed for remote {names}; the previous data is unchanged."
            if total == 1
            else (
                f"Aborted: pull failed for {len(failures)} of {total} remotes ({names}); {whose} previous data "
                "is unchanged."
            )
        )
        super().__init__(self.summary)

    def lines(self) -> list[str]:
        out: list[str] = []
        for _name, exc in self.failures:
            out.extend(
                exc.lines() if not isinstance(exc, DataError) else [str(p) for p in exc.problems] + [exc.summary]
            )
        return out + [self.summary]


class EditionExistsError(BriefError):
    """A published edition would change: refused (issue a correction instead)."""


def _summary(errors: int, warnings: int) -> str:
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return "Aborted: " + (" and ".join(parts) if parts else "problems") + " in the data."
