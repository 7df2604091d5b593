"""Every check over the loaded dataset. Returns all problems; never stops at the first."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from functools import partial
from typing import Callable, Iterable

from brief.assess import regulatory, risk
from brief.check import evidence, numbers, readability
from brief.core.errors import DataError, Location, Problem
from brief.core.words import suggest
from brief.load.config import AUDIENCES, Config
from brief.load.dataset import Dataset, load_dataset, paused_gc
from brief.load.markers import cite_keys
from brief.load.model import (
    ClaimStatus,
    Incident,
    Record,
    Reliability,
    Source,
    Verification,
    date_precision,
    prose_fields,
)
from brief.load.scope import incident_tags, scoped_incidents

UNCHECKED = (Verification.unverified, Verification.listed)  # no analyst has read these sources


@dataclass
class Report:
    """The outcome of validation: the dataset and every problem found."""

    dataset: Dataset
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    def raise_if_failed(self, strict: bool = False, briefs: list[str] | None = None) -> None:
        """Raise one DataError listing every problem when there are errors (or warnings under strict:
        with `briefs`, only the warnings about what those briefs rest on)."""
        warnings = scoped_warnings(self, briefs) if strict and briefs else self.warnings
        if self.errors or (strict and warnings):
            kept = {id(p) for p in warnings}
            problems = [p for p in self.problems if p.is_error or id(p) in kept]
            if strict:
                problems = [Problem(p.location, p.message, "error") if not p.is_error else p for p in problems]
            raise DataError(problems)


def _at(record: Record, field: str) -> Location:
    """Return the Location of `field` in `record`'s file."""
    return record.locate(field)


def check(
    ds: Dataset, config: Config, today: dt.date | None = None, prose: numbers.ProseFacts | None = None
) -> list[Problem]:
    """Return every cross-record problem in a loaded dataset (`prose`: what was read from prose texts)."""
    today = today or dt.date.today()
    prose = prose or numbers.ProseFacts()
    problems: list[Problem] = []
    add = problems.append
    sources = ds.sources

    def missing(key: str, kind: str, known: Iterable[str]) -> bool:
        # A record that failed to load (or a file that could not be read) was reported once already.
        return key not in known and key not in ds.broken and kind not in ds.unreadable

    # `where` may be a Location or a function returning one: finding a field's line can mean
    # parsing the file again with line marks (load/dataset.py), so it is done for problems only.
    def located(where: Location | Callable[[], Location]) -> Location:
        return where() if callable(where) else where

    unread: dict[str, Source] = {}  # cited sources no analyst has read: one line for all

    def cited(text: str, where: Location | Callable[[], Location]) -> None:
        for key in prose.keys(text):
            if key not in sources:
                if missing(key, "sources", sources):
                    add(Problem(located(where), f"unknown citation key {key!r}{suggest(key, sources)}"))
            elif sources[key].verification in UNCHECKED:
                unread.setdefault(key, sources[key])

    def source_ref(key: str, where: Location | Callable[[], Location]) -> Source | None:
        if key not in sources:
            if missing(key, "sources", sources):
                add(Problem(located(where), f"unknown source {key!r}{suggest(key, sources)}"))
            return None
        return sources[key]

    # Incidents and their claims.
    eval_names = {e.evaluation for e in ds.evaluations}
    rubrics: dict[str, risk.Rubric] = {}
    for inc in ds.incidents.values():
        for field, text in prose_fields(inc):
            cited(text, partial(_at, inc, field))
        claim_ids: set[str] = set()
        for i, claim in enumerate(inc.claims):
            f = f"claims[{i}]"
            if claim.id in claim_ids:
                add(Problem(_at(inc, f + ".id"), f"duplicate claim id {claim.id!r} in this incident"))
            claim_ids.add(claim.id)
            if not claim.sources and claim.status != ClaimStatus.unverified:
                add(
                    Problem(
                        _at(inc, f + ".sources"),
                        (
                            f"claim {claim.id!r} has no source (a {claim.status.value} claim needs at least one "
                            "source with a locator)"
                        ),
                    )
                )
            if not claim.sources and not claim.reported_by:
                add(
                    Problem(
                        _at(inc, f + ".sources"),
                        f"claim {claim.id!r} has no source and no reported_by: say who made it",
                    )
                )
            if claim.status != ClaimStatus.confirmed and not claim.note:
                add(
                    Problem(
                        _at(inc, f + ".note"),
                        f"claim {claim.id!r} is {claim.status.value} but has no note saying what the evidence shows",
                    )
                )
            for j, ref in enumerate(claim.sources):
                src = source_ref(ref.id, partial(_at, inc, f"{f}.sources[{j}].id"))
                if src is None:
                    continue
                if not ref.locator:
                    add(
                        Problem(
                            _at(inc, f"{f}.sources[{j}].locator"),
                            f"no locator for {ref.id!r} (give a section, page or paragraph)",
                            "warning",
                        )
                    )
                if src.verification in UNCHECKED:
                    what = (
                        "is unverified"
                        if src.verification == Verification.unverified
                        else "is only listed by an imported data set (no analyst has read it)"
                    )
                    add(
                        Problem(
                            _at(inc, f"{f}.sources[{j}].id"),
                            f"{ref.id!r} {what} and cannot support a claim (move it to reported_by)",
                            "error" if claim.status == ClaimStatus.confirmed else "warning",
                        )
                    )
                elif claim.status == ClaimStatus.confirmed and src.reliability != Reliability.primary:
                    add(
                        Problem(
                            _at(inc, f"{f}.sources[{j}].id"),
                            (
                                f"confirmed claim {claim.id!r} rests on {src.reliability.value} source "
                                f"{ref.id!r} (cite the primary source)"
                            ),
                            "warning",
                        )
                    )
            for j, ref in enumerate(claim.reported_by):
                source_ref(ref.id, partial(_at, inc, f"{f}.reported_by[{j}].id"))
        for i, rec in enumerate(inc.recommendations):
            if missing(rec, "recommendations", ds.recommendations):
                add(
                    Problem(
                        _at(inc, f"recommendations[{i}]"),
                        f"unknown recommendation {rec!r}{suggest(rec, ds.recommendations)}",
                    )
                )
        for i, name in enumerate(inc.evaluations):
            if missing(name, "evaluations", eval_names):
                add(
                    Problem(
                        _at(inc, f"evaluations[{i}]"), f"no evaluation rows named {name!r}{suggest(name, eval_names)}"
                    )
                )
        for i, entry in enumerate(inc.timeline):
            if entry.source:
                source_ref(entry.source, partial(_at, inc, f"timeline[{i}].source"))
        for i, rel in enumerate(inc.related):
            if rel not in ds.incidents and rel not in ds.broken:
                add(Problem(_at(inc, f"related[{i}]"), f"unknown incident {rel!r}{suggest(rel, ds.incidents)}"))
        if inc.date > today:
            add(Problem(_at(inc, "date"), f"date {inc.date} is in the future", "warning"))
        facts = inc.regulatory
        if facts and facts.harm_types and facts.awareness_date is None and date_precision(inc.date) != "day":
            add(
                Problem(
                    _at(inc, "regulatory.harm_types"),
                    (
                        "reporting deadlines count days from the awareness date, and the incident date "
                        f"{inc.date} has no day: give regulatory.awareness_date (YYYY-MM-DD)"
                    ),
                )
            )
        if inc.status_source:
            source_ref(inc.status_source, partial(_at, inc, "status_source"))
        if inc.risk:
            problems.extend(_risk_problems(inc, config, today, rubrics))

    if unread:  # one line, not one warning per citing record
        first = next(iter(unread.values()))
        listed = sum(1 for src in unread.values() if src.verification == Verification.listed)
        kinds = ", ".join(
            part
            for part in (
                f"{listed} listed by an imported data set" if listed else "",
                f"{len(unread) - listed} marked unverified" if len(unread) > listed else "",
            )
            if part
        )
        origin = first.__dict__.get("_origin")  # the file only: finding the line would parse a large sources.json again
        add(
            Problem(
                Location(getattr(origin, "path", "?"), 0, "verification"),
                (
                    f"{len(unread)} cited source{'s' if len(unread) != 1 else ''} no analyst has checked "
                    f"({kinds}), e.g. {first.id!r}: read them and set verification to consulted, or cite "
                    "checked sources"
                ),
                "warning",
            )
        )

    # Evaluation rows.
    for ev in ds.evaluations:
        source_ref(ev.source, partial(_at, ev, "source"))
        if ev.interval_low is not None and ev.interval_high is not None:
            if ev.interval_low > ev.interval_high:
                add(
                    Problem(
                        _at(ev, "interval_low"), f"interval {ev.interval_low:g} to {ev.interval_high:g} is reversed"
                    )
                )
            elif ev.value is not None and not ev.interval_low <= ev.value <= ev.interval_high:
                add(
                    Problem(
                        _at(ev, "value"),
                        f"value {ev.value:g} lies outside its interval {ev.interval_low:g} to {ev.interval_high:g}",
                    )
                )
        if ev.n is None and not ev.n_note:
            add(Problem(_at(ev, "n"), "n is empty: give n, or n_note 'not disclosed'", "warning"))

    # Recommendations.
    for recommendation in ds.recommendations.values():
        for field, text in prose_fields(recommendation):
            cited(text, partial(_at, recommendation, field))

    # Sources.
    for src in sources.values():
        extra = src.model_extra or {}
        own = set(type(src).model_fields)
        for key in sorted(k for k in extra if k not in Source.CSL_VARIABLES):
            hint = (
                suggest(key, Source.CSL_VARIABLES | own)
                or f" (expected a CSL-JSON variable or one of brief's: {', '.join(sorted(own - Source.CSL_VARIABLES))})"
            )
            add(Problem(_at(src, key), f"unknown field {key!r}{hint}"))
        for key in ("URL", "archived"):
            url = getattr(src, key)
            if url and not url.strip().lower().startswith(("http://", "https://")):
                add(
                    Problem(
                        _at(src, key),
                        f"{url[:60]!r} is not a web address (expected http:// or https://; it is shown as text)",
                        "warning",
                    )
                )
        identified = src.URL or extra.get("DOI") or extra.get("number") or extra.get("ISBN")
        if (
            not identified
            and src.verification != Verification.unverified
            and src.type not in ("legislation", "personal_communication")
        ):
            add(
                Problem(
                    _at(src, "URL"),
                    f"source {src.id!r} has no URL, DOI or report number: a reader cannot find it",
                    "warning",
                )
            )

    # Briefs.
    known_tags = _all_tags(ds)
    for spec in ds.briefs.values():
        for i, key in enumerate(spec.scope.incidents):
            if key not in ds.incidents and key not in ds.broken:
                add(
                    Problem(_at(spec, f"scope.incidents[{i}]"), f"unknown incident {key!r}{suggest(key, ds.incidents)}")
                )
        for i, tag in enumerate(spec.scope.tags):
            if tag not in known_tags:
                add(
                    Problem(
                        _at(spec, f"scope.tags[{i}]"),
                        f"no incident has tag {tag!r}{suggest(tag, known_tags)}",
                        "warning",
                    )
                )
        if spec.focus and spec.focus in ds.broken:
            pass
        elif spec.focus and spec.focus not in ds.incidents:
            add(Problem(_at(spec, "focus"), f"unknown incident {spec.focus!r}{suggest(spec.focus, ds.incidents)}"))
        elif spec.focus and ds.incidents[spec.focus].risk is None:
            add(Problem(_at(spec, "focus"), f"focus incident {spec.focus!r} has no risk assessment"))
        for i, audience in enumerate(spec.audiences):
            if audience not in AUDIENCES:
                add(
                    Problem(
                        _at(spec, f"audiences[{i}]"),
                        f"unknown audience {audience!r} (expected one of {', '.join(AUDIENCES)})",
                    )
                )
        for field, text in prose_fields(spec):
            cited(text, partial(_at, spec, field))
        if not scoped_incidents(ds, spec.id) and not set(spec.scope.incidents) & ds.broken:
            add(Problem(_at(spec, "scope"), "the scope selects no incident"))
    problems.extend(regulatory.check(ds, config.data_dir))  # taxonomy tags, regulatory facts, triggers
    problems.extend(
        evidence.check(ds, config, prose)
    )  # quotes against captures, cited numbers in prose (evidence.py, numbers.py)
    problems.extend(
        readability.check(ds, config)
    )  # the public brief's plain wording and reading level (readability.py)
    return problems


def _risk_problems(
    inc: Incident, config: Config, today: dt.date, rubrics: dict[str, risk.Rubric] | None = None
) -> list[Problem]:
    inputs = inc.risk
    if inputs is None:  # not assessed: nothing to check
        return []
    rubrics = {} if rubrics is None else rubrics  # one check run finds and reads each rubric version once
    if inputs.rubric not in rubrics:
        rubrics[inputs.rubric] = risk.load_rubric(risk.rubric_path(config, inputs.rubric))
    rubric = rubrics[inputs.rubric]
    if inputs.override is None:  # lint_override checks an override only: no assessment needed
        return []
    assessment = risk.assess(inputs, inc.tags, rubric)
    return risk.lint_override(inputs, assessment, _at(inc, "risk"), today)


def _all_tags(ds: Dataset) -> set[str]:
    tags: set[str] = set()
    for inc in ds.incidents.values():
        tags.update(incident_tags(inc))
    return tags


def validate(config: Config, today: dt.date | None = None) -> Report:
    """Load everything and run every check; return the report (never raises for data problems)."""
    ds, problems = load_dataset(config)
    prose = numbers.ProseFacts(config.output_dir / ".cache")
    with paused_gc():  # the checks allocate much and free little too
        problems = problems + check(ds, config, today, prose)
    prose.save()
    return Report(ds, problems)


# --- what a command prints ----------------------------------------------------------------------

GROUP_AFTER = 20  # more warnings than this are printed grouped by kind, one example each


def warning_kind(message: str) -> str:
    """Return a warning's kind: its message with quoted values and numbers taken out."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"|“[^”]*”", "…", message)
    text = re.sub(r"\d[\d,.]*", "N", text)
    return text.split(" (", 1)[0].split(":", 1)[0].strip()


def summarise(problems: list[Problem]) -> list[str]:
    """Return one line per kind of problem: how many, and one example."""
    groups: dict[str, list[Problem]] = {}
    for problem in problems:
        groups.setdefault(warning_kind(problem.message), []).append(problem)
    lines = []
    for items in sorted(groups.values(), key=len, reverse=True):
        lines.append(f"{len(items):,} x {items[0]}" if len(items) > 1 else str(items[0]))
    return lines


def warning_lines(warnings: list[Problem], quiet: bool = False) -> list[str]:
    """Return what a command prints for its warnings: each (a few), grouped by kind (many), or one count (quiet)."""
    if not warnings:
        return []
    if quiet:
        return [
            f"{len(warnings):,} warning{'s' if len(warnings) != 1 else ''} (hidden by -q; run without -q to see them)"
        ]
    if len(warnings) <= GROUP_AFTER:
        return [str(p) for p in warnings]
    return [f"{len(warnings):,} warnings, grouped by kind (one example each):"] + summarise(warnings)


def log_warnings(warnings: list[Problem], log: logging.Logger) -> None:
    """Log a command's warnings (quiet when the logger does not print INFO: `-q`)."""
    for line in warning_lines(warnings, quiet=not log.isEnabledFor(logging.INFO)):
        log.warning("%s", line)


def touched_paths(ds: Dataset, brief_ids: list[str]) -> tuple[set[str], set[str]]:
    """Return the files and the source ids the named briefs rest on (their warnings are the ones shown)."""
    paths: set[str] = set()
    keys: set[str] = set()
    for brief_id in brief_ids:
        spec = ds.briefs.get(brief_id)
        if spec is None:
            continue
        if spec.origin:
            paths.add(spec.origin.path)
        for inc in scoped_incidents(ds, brief_id):
            if inc.origin:
                paths.add(inc.origin.path)
            if inc.assessment_file:
                paths.add(inc.assessment_file)
            for _field, text in prose_fields(inc):
                keys.update(cite_keys(text))
            for claim in inc.claims:
                keys.update(ref.id for ref in claim.sources + claim.reported_by)
            for ev in ds.evaluations_named(inc.evaluations):
                if ev.origin:
                    paths.add(ev.origin.path)
                keys.add(ev.source)
            for rec in inc.recommendations:
                origin = ds.recommendations[rec].origin if rec in ds.recommendations else None
                if origin:
                    paths.add(origin.path)
    return paths, keys


def scoped_warnings(report: "Report", brief_ids: list[str] | None) -> list[Problem]:
    """Return the warnings about what the named briefs rest on (all of them when no brief is named)."""
    if not brief_ids:
        return report.warnings
    paths, keys = touched_paths(report.dataset, brief_ids)
    sources = report.dataset.sources
    source_files = {src.origin.path for key in keys if key in sources and (src := sources[key]).origin}
    out = []
    for problem in report.warnings:
        where = problem.location.path
        if where in paths:
            out.append(problem)
        elif where in source_files and any(
            repr(key) in problem.message or f"{key}" == problem.location.field for key in keys
        ):
            out.append(problem)
    return out
