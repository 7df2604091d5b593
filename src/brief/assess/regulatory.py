"""Regulatory mapping (issue 6): per incident, the regulatory flags, reporting clocks and cross-walk.

For each incident the engine answers a regulator's questions: is it a serious incident under AI Act
Art. 3(49), and why; is the model a general-purpose AI model with systemic risk (Art. 51); which
reporting duty runs (Art. 55(1)(c) with the GPAI Code of Practice Measure 9.3 periods, or Art. 73
for high-risk AI systems), and when each report is due; which of the Code's specified systemic
risks, NIST AI RMF subcategories, developer framework thresholds and OECD classes apply. Every flag
names the article or measure it rests on (a source id and locator from data/sources.json) and the
inputs that set it, so a legal officer can check each line against the cited text.

The rule tables are data: controlled vocabularies in `data/vocab/*.yaml`, flag wording, clock
periods, frameworks and the cross-walk in `data/regulatory/*.yaml`. `load_tables` reads them once
(cached per file state); everything else here is pure. Dates come from the data (awareness and
resolution dates) and the edition date, never the wall clock; all of them are indicative.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from brief.core.dates import long_date
from brief.core.errors import DataError, Location, Problem
from brief.core.paths import table_path
from brief.load.markers import cite_keys
from brief.load.model import Incident, RegulatoryFacts, Tags

if TYPE_CHECKING:  # pragma: no cover
    from brief.assess.risk import Assessment
    from brief.load.dataset import Dataset

__all__ = [
    "Clock",
    "CrosswalkRow",
    "Flag",
    "Milestone",
    "PeriodRow",
    "Provision",
    "Ref",
    "RegulatoryView",
    "Tables",
    "InTime",
    "add_days",
    "canonical_tags",
    "contradictions",
    "in_time",
    "check",
    "counting_note",
    "flag_tokens",
    "load_tables",
    "periods",
    "provisions",
    "report_deadlines",
    "view",
]

VOCAB_FILES = {
    "mit": "mit.yaml",
    "cop": "cop-systemic-risks.yaml",
    "nist": "nist-600-1.yaml",
    "oecd": "oecd-harm-types.yaml",
    "rmf": "nist-ai-rmf-1.0.yaml",
}
RULE_FILES = ("clocks.yaml", "flags.yaml", "frameworks.yaml", "application.yaml")
FACT_NAMES = tuple(
    name for name in RegulatoryFacts.model_fields if name not in ("framework_reports", "rationale", "status")
)
REPORT_STATUSES = ("reached", "cannot-rule-out", "alert", "ruled-out")
STATE_LABELS = {"yes": "Applies", "no": "Does not apply", "conditional": "Conditional", "unknown": "Undetermined"}
_FLAG_STATES = {
    "EU.ART3_49": ("yes", "no"),
    "EU.GPAI_SR": ("designated", "presumed", "unknown", "no"),
    "EU.ART55_1c": ("yes", "conditional", "no"),
    "CoP.9_3": ("yes", "conditional", "no"),
    "EU.ART73": ("yes", "conditional", "no"),
}
_SEVERITY_SERIOUS = 4
STATUS_VALUES = {
    "placed-on-market": ("YYYY-MM-DD", "not-established"),
    "cop-signatory": ("yes", "no", "not-established"),
    "systemic-risk-designation": ("designated", "notified", "presumed", "no", "not-established"),
    "deployment": ("deployed", "withdrawn", "not-established"),
    "pending-determination": ("pending", "determined", "not-established"),
}  # rubric S4: the Art. 3(49) / OECD "serious" level


# --- Tables ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A reference a flag rests on: a source id, a locator and a short label ("AI Act Art. 3(49)")."""

    source: str
    locator: str | None
    text: str


@dataclass(frozen=True)
class Term:
    """One entry of a controlled vocabulary."""

    id: str
    label: str
    definition: str = ""
    locator: str | None = None
    domain: str | None = None  # MIT: the domain of a subdomain
    kind: str = "term"  # MIT: "domain" for a domain

    @property
    def display(self) -> str:
        """Return how a brief names the term: "7.1 AI pursuing ..." or "Loss of control"."""
        return f"{self.id} {self.label}" if re.fullmatch(r"[0-9.]+", self.id) else self.label


@dataclass(frozen=True)
class Vocabulary:
    """A controlled vocabulary (MIT, CoP, NIST AI 600-1, OECD harm types) and where it is kept."""

    prefix: str
    name: str
    source: str
    locator: str | None
    path: str
    terms: tuple[Term, ...]

    @property
    def where(self) -> str:
        """Name the file for messages: the project's path, or "packaged vocabulary X" for brief's own copy (issue 15)."""
        return f"packaged vocabulary {Path(self.path).name}" if Path(self.path).is_absolute() else self.path

    def find(self, tag: str) -> Term | None:
        """Return the term a tag names (its id, its label or both, any case), or None."""
        return _term_index(self.terms).get(_fold(tag))

    def nearest(self, tag: str, n: int = 3) -> list[str]:
        """Return up to `n` valid tags closest to `tag` (matched on ids and labels), best first."""
        names: dict[str, str] = {}
        for term in self.terms:
            shown = term.label if self.prefix == "nist" else term.id  # the form the data writes
            names.setdefault(_fold(term.id), shown)
            names.setdefault(_fold(term.label), shown)
        out: list[str] = []
        for key in difflib.get_close_matches(_fold(tag), list(names), n=n * 2, cutoff=0.4):
            if names[key] not in out:
                out.append(names[key])
        if not out:  # nothing close enough: still the most similar ones, never simply the first few (issue 15)
            ranked = sorted(names, key=lambda key: -difflib.SequenceMatcher(None, _fold(tag), key).ratio())
            for key in ranked:
                if names[key] not in out:
                    out.append(names[key])
                if len(out) == n:
                    break
        return out[:n]


@dataclass(frozen=True)
class ClockRule:
    days: int
    locator: str


@dataclass(frozen=True)
class HarmType:
    """A class of realised harm, its Art. 3(49) point and the reporting periods that cover it."""

    id: str
    label: str
    art3_49: str | None  # "(a)".."(d)", None when Art. 3(49) lists no such class
    clocks: Mapping[str, ClockRule]
    note: str = ""


@dataclass(frozen=True)
class MilestoneRule:
    kind: str  # initial, intermediate, final, complete
    label: str
    rule: str
    locator: str
    every_days: int | None = None
    days_after_resolution: int | None = None


@dataclass(frozen=True)
class Regime:
    """A reporting regime: CoP Measure 9.3 (Art. 55(1)(c)) or AI Act Art. 73."""

    id: str
    name: str
    short: str
    duty: str
    who: str
    to: str
    aware_of: str
    source: str  # the source of the periods (the Code, or the Act)
    basis: tuple[Ref, ...]
    applies_from: dt.date
    applies_from_basis: Ref
    milestones: tuple[MilestoneRule, ...]
    caveat: str = ""
    in_time: str | None = None  # the duty of application.yaml that says when it binds whom


@dataclass(frozen=True)
class Transitional:
    """A transitional rule: models placed on the market before a date are bound only from a later one."""

    placed_before: dt.date
    binds_from: dt.date
    rule: str
    basis: Ref


@dataclass(frozen=True)
class Duty:
    """A duty in time (application.yaml): from when it binds whom, and the provisions that say so."""

    id: str
    name: str
    short: str
    who: str
    applies_from: dt.date
    basis: Ref
    transitional: Transitional | None = None
    caveat: str = ""


@dataclass(frozen=True)
class Unverified:
    """A legal statement not checked against its source: never printed; validate lists it."""

    id: str
    duty: str | None
    statement: str
    check: str
    path: str


@dataclass(frozen=True)
class Threshold:
    framework: str
    id: str
    label: str
    domain: str | None
    rung: int
    locator: str


@dataclass(frozen=True)
class Framework:
    id: str
    name: str
    short: str
    source: str
    thresholds: tuple[Threshold, ...]
    note: str = ""
    developer: str = ""  # whose framework it is: a cross-walk shows a model only its developer's

    def find(self, name: str) -> Threshold | None:
        """Return the threshold named by id or label (any case), or None."""
        key = _fold(name)
        return next((t for t in self.thresholds if key in (_fold(t.id), _fold(t.label))), None)


@dataclass(frozen=True)
class NistRule:
    id: str
    locator: str
    text: str
    levels: tuple[str, ...]
    realised_harm: bool
    hook: str  # what it asks for, e.g. "prioritise treatment"
    hooks: Mapping[str, str] = field(default_factory=dict)  # per rubric level, where it differs

    def hook_at(self, level: str | None) -> str:
        """Return what the subcategory asks for at a rubric level."""
        return self.hooks.get(level or "", self.hook) or next(iter(self.hooks.values()), "")


@dataclass(frozen=True, eq=False)
class Tables:
    """Everything the engine reads from data/: vocabularies and rule tables."""

    vocabularies: Mapping[str, Vocabulary]
    harm_types: Mapping[str, HarmType]
    regimes: Mapping[str, Regime]
    working_days: bool
    roll_forward: bool
    flags: Mapping[str, Any]  # flag code -> its wording and references (flags.yaml `flags`)
    nist_source: str
    nist: tuple[NistRule, ...]
    frameworks: Mapping[str, Framework]
    rungs: Mapping[int, Mapping[str, str]]
    cop_locators: Mapping[int, str]
    levels: Mapping[str, Mapping[str, str]]
    paths: tuple[str, ...]
    duties: Mapping[str, Duty] = field(default_factory=dict)
    unverified: tuple[Unverified, ...] = ()

    def refs(self, code: str, key: str = "basis") -> tuple[Ref, ...]:
        """Return the references a flag's table entry lists under `key`."""
        return tuple(_ref(r) for r in self.flags[code].get(key) or ())

    def verdict(self, code: str, key: str, **values: Any) -> str:
        """Return a flag's verdict sentence with `{...}` fields filled in."""
        return _fill(self.flags[code]["verdicts"][key], values)


def anchor(code: str) -> str:
    """Return the HTML id of a flag family's provision: "EU.ART3_49" -> "prov-eu-art3-49"."""
    return "prov-" + re.sub(r"[^a-z0-9]+", "-", code.lower()).strip("-")


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).strip()).casefold()


@functools.lru_cache(maxsize=32)
def _term_index(terms: tuple[Term, ...]) -> dict[str, Term]:
    """Return each folded name of the terms (id, label, both) -> the first term it names."""
    index: dict[str, Term] = {}
    for term in terms:
        for name in (term.id, term.label, f"{term.id} {term.label}"):
            index.setdefault(_fold(name), term)
    return index


def _fill(template: str, values: Mapping[str, Any]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), str(template).strip())


def _ref(raw: Mapping[str, Any]) -> Ref:
    return Ref(str(raw["source"]), raw.get("locator"), str(raw.get("text") or raw.get("locator") or raw["source"]))


def load_tables(data_dir: Path | str) -> Tables:
    """Load the vocabularies and rule tables for a data folder (cached; reloaded when a file changes)."""
    paths = [table_path(data_dir, f"vocab/{name}") for name in VOCAB_FILES.values()]
    paths += [table_path(data_dir, f"regulatory/{name}") for name in RULE_FILES]
    stamps = []
    for path in paths:
        try:
            stat = path.stat()
        except OSError as exc:
            raise DataError(
                [
                    Problem(
                        Location(_shown(path, data_dir)),
                        f"cannot read the table: {exc.strerror or exc} (expected the file in data/vocab/ or data/regulatory/)",
                    )
                ]
            ) from None
        stamps.append((str(path.resolve()), stat.st_mtime_ns, stat.st_size, _shown(path, data_dir)))
    return _load_tables(tuple(stamps))


def _shown(path: Path, data_dir: Path | str) -> str:
    try:
        return str(Path(Path(data_dir).name) / path.resolve().relative_to(Path(data_dir).resolve()))
    except ValueError:
        return str(path)


@functools.lru_cache(maxsize=8)
def _load_tables(stamps: tuple[tuple[str, int, int, str], ...]) -> Tables:
    docs: dict[str, Any] = {}
    texts: dict[str, str] = {}
    problems: list[Problem] = []
    for resolved, _mtime, _size, shown in stamps:
        try:
            with open(resolved, encoding="utf-8") as handle:
                texts[Path(resolved).name] = handle.read()
            docs[Path(resolved).name] = (
                shown,
                yaml.load(texts[Path(resolved).name], Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)),
            )
        except (OSError, yaml.YAMLError) as exc:
            mark = getattr(exc, "problem_mark", None)
            problems.append(
                Problem(
                    Location(shown, mark.line + 1 if mark else 0),
                    f"cannot read the table: {getattr(exc, 'problem', None) or exc}",
                )
            )
    if problems:
        raise DataError(problems)
    return _TableParser(docs, texts).parse()


class _TableParser:
    """Turn the YAML tables into a Tables, collecting every problem before failing once."""

    def __init__(self, docs: Mapping[str, tuple[str, Any]], texts: Mapping[str, str] | None = None):
        self.docs = docs
        self.texts = texts or {}
        self.problems: list[Problem] = []

    def fail(self, shown: str, field_: str, message: str) -> None:
        self.problems.append(Problem(Location(shown, 0, field_), message))

    def need(self, shown: str, data: Any, key: str, kind: type | tuple[type, ...], where: str = "") -> Any:
        if not isinstance(data, dict) or key not in data or data[key] is None:
            self.fail(shown, f"{where}{key}", "missing")
            return None
        value = data[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            self.fail(shown, f"{where}{key}", f"{value!r} has the wrong type")
            return None
        return value

    def vocabulary(self, prefix: str, filename: str) -> Vocabulary | None:
        shown, raw = self.docs[filename]
        if self.need(shown, raw, "vocabulary", str) != prefix:
            if isinstance(raw, dict) and raw.get("vocabulary") is not None:
                self.fail(shown, "vocabulary", f"{raw.get('vocabulary')!r} must be {prefix!r}")
            return None
        terms = []
        seen: set[str] = set()
        for i, item in enumerate(self.need(shown, raw, "terms", list) or []):
            where = f"terms[{i}]."
            term_id = self.need(shown, item, "id", (str, int, float), where)
            label = self.need(shown, item, "label", str, where)
            if term_id is None or label is None:
                continue
            if _fold(str(term_id)) in seen:
                self.fail(shown, f"{where}id", f"duplicate term {term_id!r}")
            seen.add(_fold(str(term_id)))
            terms.append(
                Term(
                    str(term_id),
                    label,
                    str(item.get("definition") or "").strip(),
                    item.get("locator"),
                    str(item["domain"]) if item.get("domain") is not None else None,
                    str(item.get("kind") or "term"),
                )
            )
        return Vocabulary(
            prefix,
            str(raw.get("name") or prefix),
            str(raw.get("source") or ""),
            raw.get("locator"),
            shown,
            tuple(terms),
        )

    def parse(self) -> Tables:
        vocabularies = {}
        for prefix, filename in VOCAB_FILES.items():
            vocab = self.vocabulary(prefix, filename)
            if vocab is not None:
                vocabularies[prefix] = vocab

        shown, clocks = self.docs["clocks.yaml"]
        counting = self.need(shown, clocks, "counting", dict) or {}
        regimes: dict[str, Regime] = {}
        for rid, body in (self.need(shown, clocks, "regimes", dict) or {}).items():
            where = f"regimes.{rid}."
            milestones = []
            for kind, m in (self.need(shown, body, "milestones", dict, where) or {}).items():
                mwhere = f"{where}milestones.{kind}."
                if kind not in ("initial", "intermediate", "final", "complete"):
                    self.fail(
                        shown,
                        mwhere.rstrip("."),
                        "unknown milestone (expected initial, intermediate, final or complete)",
                    )
                    continue
                milestones.append(
                    MilestoneRule(
                        kind,
                        self.need(shown, m, "label", str, mwhere) or kind,
                        " ".join(str(m.get("rule") or "").split()),
                        str(m.get("locator") or ""),
                        m.get("every_days"),
                        m.get("days_after_resolution"),
                    )
                )
            if not any(m.kind == "initial" for m in milestones):
                self.fail(shown, f"{where}milestones.initial", "missing")
            applies = self.need(shown, body, "applies_from", (dt.date, str), where)
            basis = [_ref(r) for r in (self.need(shown, body, "basis", list, where) or [])]
            regimes[rid] = Regime(
                id=rid,
                name=str(body.get("name") or rid),
                short=str(body.get("short") or rid),
                duty=" ".join(str(body.get("duty") or "").split()),
                who=str(body.get("who") or ""),
                to=str(body.get("to") or ""),
                aware_of=str(body.get("aware_of") or "the incident"),
                source=basis[-1].source if basis else "",
                basis=tuple(basis),
                applies_from=dt.date.fromisoformat(str(applies)) if applies else dt.date.min,
                applies_from_basis=_ref(body.get("applies_from_basis") or {"source": "", "text": ""}),
                milestones=tuple(milestones),
                caveat=" ".join(str(body.get("caveat") or "").split()),
                in_time=str(body["in_time"]) if body.get("in_time") else None,
            )
        harm_types: dict[str, HarmType] = {}
        for hid, body in (self.need(shown, clocks, "harm_types", dict) or {}).items():
            where = f"harm_types.{hid}."
            rules = {}
            for rid, rule in (self.need(shown, body, "clocks", dict, where) or {}).items():
                if rid not in regimes:
                    self.fail(shown, f"{where}clocks.{rid}", f"unknown regime (expected one of {', '.join(regimes)})")
                    continue
                days = self.need(shown, rule, "days", int, f"{where}clocks.{rid}.")
                if days is not None and days < 0:
                    self.fail(shown, f"{where}clocks.{rid}.days", f"{days} must not be negative")
                rules[rid] = ClockRule(days or 0, str(rule.get("locator") or ""))
            harm_types[hid] = HarmType(
                hid,
                " ".join(str(body.get("label") or hid).split()),
                body.get("art3_49"),
                rules,
                " ".join(str(body.get("note") or "").split()),
            )

        shown, flags_doc = self.docs["flags.yaml"]
        flags = self.need(shown, flags_doc, "flags", dict) or {}
        for code in (
            "EU.ART3_49",
            "EU.GPAI_SR",
            "EU.ART55_1c",
            "CoP.9_3",
            "EU.ART73",
            "CoP.APP1_4",
            "FRONTIER",
            "OECD",
        ):
            body = self.need(shown, flags, code, dict, "flags.")
            if body is not None:
                self.need(shown, body, "name", str, f"flags.{code}.")
                self.need(shown, body, "verdicts", dict, f"flags.{code}.")
        nist_raw = self.need(shown, flags_doc, "nist_ai_rmf", dict) or {}
        nist = tuple(
            NistRule(
                str(r.get("id")),
                str(r.get("locator") or r.get("id")),
                " ".join(str(r.get("text") or "").split()),
                tuple(r.get("levels") or ()),
                bool(r.get("realised_harm")),
                " ".join(str(r.get("hook") or "").split()),
                {str(k): str(v) for k, v in (r.get("hooks") or {}).items()},
            )
            for r in (self.need(shown, nist_raw, "subcategories", list, "nist_ai_rmf.") or [])
        )

        shown, fw_doc = self.docs["frameworks.yaml"]
        frameworks = {}
        for fid, body in (self.need(shown, fw_doc, "frameworks", dict) or {}).items():
            thresholds = []
            for i, t in enumerate(self.need(shown, body, "thresholds", list, f"frameworks.{fid}.") or []):
                where = f"frameworks.{fid}.thresholds[{i}]."
                rung = self.need(shown, t, "rung", int, where)
                tid = self.need(shown, t, "id", str, where)
                if tid is None:
                    continue
                thresholds.append(
                    Threshold(
                        fid,
                        tid,
                        str(t.get("label") or tid),
                        t.get("domain"),
                        rung if rung is not None else 0,
                        str(t.get("locator") or ""),
                    )
                )
            frameworks[fid] = Framework(
                fid,
                str(body.get("name") or fid),
                str(body.get("short") or fid),
                str(body.get("source") or ""),
                tuple(thresholds),
                str(body.get("note") or ""),
                str(body.get("developer") or ""),
            )
        rungs = {int(k): dict(v) for k, v in (self.need(shown, fw_doc, "rungs", dict) or {}).items()}
        if sorted(rungs) != [0, 1, 2, 3] and "rungs" in (fw_doc or {}):
            self.fail(shown, "rungs", "must have one row for each of C0 to C3")
        levels = {str(k): dict(v) for k, v in (self.need(shown, fw_doc, "levels", dict) or {}).items()}
        cop_locators = {int(k): str(v) for k, v in ((fw_doc or {}).get("cop_locators") or {}).items()}

        duties, unverified = self.application(regimes)

        if self.problems:
            raise DataError(self.problems)
        return Tables(
            vocabularies=vocabularies,
            harm_types=harm_types,
            regimes=regimes,
            working_days=bool(counting.get("working_days", False)),
            roll_forward=bool(counting.get("roll_forward", False)),
            flags=flags,
            nist_source=str(nist_raw.get("source") or ""),
            nist=nist,
            frameworks=frameworks,
            rungs=rungs,
            cop_locators=cop_locators,
            levels=levels,
            paths=tuple(shown for shown, _ in self.docs.values()),
            duties=duties,
            unverified=unverified,
        )

    def date(self, shown: str, data: Any, key: str, where: str) -> dt.date | None:
        value = self.need(shown, data, key, (dt.date, str), where)
        if value is None:
            return None
        try:
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
        except ValueError:
            self.fail(shown, f"{where}{key}", f"{value!r} is not a date (expected YYYY-MM-DD)")
            return None

    def application(self, regimes: Mapping[str, Regime]) -> tuple[dict[str, Duty], tuple[Unverified, ...]]:
        """Parse application.yaml: each duty's application date and transitional rule; unverified law."""
        shown, doc = self.docs["application.yaml"]
        duties: dict[str, Duty] = {}
        for did, body in (self.need(shown, doc, "duties", dict) or {}).items():
            where = f"duties.{did}."
            applies = self.date(shown, body, "applies_from", where)
            basis = self.need(shown, body, "basis", dict, where)
            transitional = None
            raw = body.get("transitional") if isinstance(body, dict) else None
            if raw is not None:
                twhere = f"{where}transitional."
                before, binds = (
                    self.date(shown, raw, "placed_before", twhere),
                    self.date(shown, raw, "binds_from", twhere),
                )
                tbasis = self.need(shown, raw, "basis", dict, twhere)
                if before and binds and tbasis:
                    transitional = Transitional(
                        before, binds, " ".join(str(raw.get("rule") or "").split()), _ref(tbasis)
                    )
            if applies is None or basis is None:
                continue
            duties[did] = Duty(
                did,
                str(body.get("name") or did),
                str(body.get("short") or did),
                str(body.get("who") or ""),
                applies,
                _ref(basis),
                transitional,
                " ".join(str(body.get("caveat") or "").split()),
            )
        for rid, regime in regimes.items():
            if regime.in_time and regime.in_time not in duties:
                self.fail(
                    self.docs["clocks.yaml"][0],
                    f"regimes.{rid}.in_time",
                    f"unknown duty {regime.in_time!r} (expected one of {', '.join(duties)}; the list is in application.yaml)",
                )
        unverified = []
        for i, item in enumerate((doc or {}).get("unverified") or []):
            statement = self.need(shown, item, "statement", str, f"unverified[{i}].")
            if statement is None:
                continue
            uid = str(item.get("id") or i)
            line = next(
                (
                    n
                    for n, text in enumerate(self.texts.get("application.yaml", "").splitlines(), 1)
                    if re.match(rf"\s*-\s*id:\s*{re.escape(uid)}\s*$", text)
                ),
                0,
            )
            unverified.append(
                Unverified(
                    uid,
                    item.get("duty"),
                    " ".join(statement.split()),
                    " ".join(str(item.get("check") or "").split()),
                    f"{shown}:{line}" if line else shown,
                )
            )
        return duties, tuple(unverified)


# --- Deadline arithmetic --------------------------------------------------------------------------


def add_days(start: dt.date, days: int, *, working_days: bool = False, roll_forward: bool = False) -> dt.date:
    """Return the date `days` days after `start` (day 0), as a reporting period counts them.

    Calendar days by default: month ends and leap years come from the calendar, and weekends are
    not skipped. `working_days` counts Monday to Friday only; `roll_forward` moves a result that
    falls on a Saturday or Sunday to the following Monday. Public holidays are never known here.
    """
    if days < 0:
        raise ValueError(f"a reporting period cannot be negative ({days} days)")
    if working_days:
        day, left = start, days
        while left:
            day += dt.timedelta(days=1)
            if day.weekday() < 5:
                left -= 1
    else:
        day = start + dt.timedelta(days=days)
    if roll_forward and day.weekday() >= 5:
        day += dt.timedelta(days=7 - day.weekday())
    return day


# --- Duties in time (issue 16) --------------------------------------------------------------------


@dataclass(frozen=True)
class InTime:
    """Whether a duty binds the provider of a model on a date, and why (application.yaml)."""

    duty: str
    name: str
    model: str | None
    on: dt.date
    binds: bool | None  # None: undetermined (the placing-on-market date is needed and not recorded)
    binds_from: dt.date | None  # None: undetermined
    transitional: bool  # the transitional rule (Art. 111(3)) sets the date
    text: str  # one sentence, plain text; its references are `refs`
    refs: tuple[Ref, ...]
    caveat: str = ""

    @property
    def state(self) -> str:
        return "unknown" if self.binds is None else ("yes" if self.binds else "no")


def placings(incidents: Iterable[Incident]) -> dict[str, Any]:
    """Return each model's established placing-on-market fact, from whichever incident records it."""
    out: dict[str, Any] = {}
    for inc in incidents:
        for fact in inc.regulatory.status if inc.regulatory else ():
            if fact.fact == "placed-on-market" and fact.established:
                out.setdefault(fact.model or (inc.models[0] if inc.models else ""), fact)
    return out


def placing(inc: Incident, known: Mapping[str, Any] | None = None) -> tuple[dt.date | None, Any]:
    """Return an incident's model's placing-on-market date and the status fact it comes from (None, None: not recorded).

    The incident's own fact first; else the fact another incident records for its first model (`known`, from placings())."""
    facts = inc.regulatory.status if inc.regulatory else ()
    fact = next((f for f in facts if f.fact == "placed-on-market"), None)
    if fact is None and known and inc.models and inc.models[0] in known:
        fact = known[inc.models[0]]
    if fact is None or not fact.established:
        return None, fact
    try:
        return dt.date.fromisoformat(fact.value), fact
    except ValueError:  # reported by check()
        return None, fact


def in_time(
    tables: Tables,
    duty_id: str,
    on: dt.date,
    placed: dt.date | None,
    model: str | None = None,
    placed_ref: Ref | None = None,
) -> InTime:
    """Return whether a duty binds the provider of `model` on `on`, given the placing-on-market date.

    A model placed on the market before a transitional rule's date is bound only from its later date
    (AI Act Art. 111(3)); without a placing date the answer is undetermined wherever it matters."""
    duty = tables.duties[duty_id]
    t = duty.transitional
    who = model or "the model"
    law = (duty.basis,)
    placed_refs = (placed_ref,) if placed_ref is not None else ()
    if t is None:
        binds_from: dt.date | None = duty.applies_from
        text = f"{duty.short} applies from {long_date(duty.applies_from)}"
        refs = law
        transitional = False
    elif placed is None:
        binds_from = None
        text = (
            f"Undetermined for {who}: its placing-on-market date is not recorded. {duty.short} binds providers from "
            f"{long_date(duty.applies_from)}, or from {long_date(t.binds_from)} for a model placed on the market before {long_date(t.placed_before)}"
        )
        refs = (duty.basis, t.basis)
        transitional = False
    elif placed < t.placed_before:
        binds_from = t.binds_from
        text = (
            f"Art. 111(3) binds {who} from {long_date(t.binds_from)}: it was placed on the market on {long_date(placed)}, before "
            f"{long_date(t.placed_before)}, so {duty.short} binds its provider from {long_date(t.binds_from)}, not from {long_date(duty.applies_from)}"
        )
        refs = placed_refs + (t.basis, duty.basis)
        transitional = True
    else:
        binds_from = duty.applies_from
        text = (
            f"{duty.short} binds the provider of {who} from {long_date(duty.applies_from)}: it was placed on the market on "
            f"{long_date(placed)}, on or after {long_date(t.placed_before)}, so the transitional period of Art. 111(3) does not apply"
        )
        refs = placed_refs + (duty.basis, t.basis)
        transitional = False
    if binds_from is not None:
        binds: bool | None = on >= binds_from
    elif on < duty.applies_from:
        binds = False
    elif t is not None and on >= t.binds_from:
        binds = True
    else:
        binds = None
    when = long_date(on)
    verb = "bind" if t is not None else "apply"
    if binds is True:
        text += f"; on {when} it {'binds' if t is not None else 'applies'}"
    elif binds is False:
        text += f"; on {when} it does not yet {verb}"
    else:
        text += f"; on {when} whether it binds is undetermined"
    return InTime(
        duty_id,
        duty.name,
        model,
        on,
        binds,
        binds_from,
        transitional,
        text + ".",
        refs,
        duty.caveat if t is not None else "",
    )


@dataclass(frozen=True)
class Milestone:
    """One report a clock requires: when it is due and the rule that says so."""

    kind: str  # initial, intermediate, final, complete
    label: str
    due: dt.date | None  # None: no fixed date (unresolved incident, or no period set)
    due_text: str
    rule: str
    ref: Ref
    passed: bool | None = None  # the due date lies before the edition date
    dates: tuple[dt.date, ...] = ()  # intermediate reports: the dates listed


@dataclass(frozen=True)
class Clock:
    """The reports one regime requires for one harm type, from one awareness date (indicative)."""

    regime: str
    regime_name: str
    harm_type: str
    harm_label: str
    days: int
    ref: Ref  # the provision that sets the period
    awareness: dt.date
    awareness_text: str
    milestones: tuple[Milestone, ...]
    to: str = ""
    state: str = "yes"  # "yes", or "conditional" when a precondition is unsettled
    condition: str = ""  # what the conditional clock depends on
    caveat: str = ""
    binding: bool = True  # the earliest initial report among the clocks of its regime
    indicative: bool = True

    @property
    def initial(self) -> Milestone:
        return self.milestones[0]


def report_deadlines(
    tables: Tables,
    regime_id: str,
    harm_type: str,
    aware: dt.date,
    *,
    resolved: dt.date | None = None,
    as_of: dt.date | None = None,
    awareness_text: str | None = None,
) -> Clock:
    """Return the due dates of the initial, intermediate and final reports for one harm type.

    `aware` is the day the provider became aware (day 0); `resolved` the day the incident was
    resolved, if it has been; `as_of` (the edition date) marks dates that have passed and picks
    the next intermediate report. Raises KeyError for a regime that does not cover the harm type.
    """
    regime = tables.regimes[regime_id]
    harm = tables.harm_types[harm_type]
    rule = harm.clocks[regime_id]
    count = functools.partial(add_days, working_days=tables.working_days, roll_forward=tables.roll_forward)
    initial_due = count(aware, rule.days)
    unit = "working days" if tables.working_days else "days"
    milestones = []
    for m in regime.milestones:
        ref = Ref(regime.source, m.locator, m.locator)
        if m.kind == "initial":
            ref = Ref(regime.source, rule.locator, rule.locator)
            text = long_date(initial_due)
            milestones.append(
                Milestone(
                    "initial",
                    m.label,
                    initial_due,
                    text,
                    f"Within {rule.days} {unit} of awareness ({rule.locator}). {m.rule}",
                    ref,
                    _passed(initial_due, as_of),
                )
            )
        elif m.kind == "intermediate" and m.every_days:
            milestones.append(_intermediate(m, ref, initial_due, resolved, as_of, count))
        elif m.kind == "final" and m.days_after_resolution is not None:
            if resolved is None:
                milestones.append(
                    Milestone(
                        "final",
                        m.label,
                        None,
                        f"{m.days_after_resolution} days after resolution; no resolution date recorded",
                        m.rule,
                        ref,
                    )
                )
            else:
                due = count(resolved, m.days_after_resolution)
                milestones.append(
                    Milestone(
                        "final",
                        m.label,
                        due,
                        f"{long_date(due)} ({m.days_after_resolution} days after resolution on {long_date(resolved)})",
                        m.rule,
                        ref,
                        _passed(due, as_of),
                    )
                )
        elif m.kind == "complete":
            milestones.append(Milestone("complete", m.label, None, "No period set", m.rule, ref))
    return Clock(
        regime=regime_id,
        regime_name=regime.short,
        harm_type=harm_type,
        harm_label=harm.label,
        days=rule.days,
        ref=Ref(regime.source, rule.locator, rule.locator),
        awareness=aware,
        awareness_text=awareness_text or long_date(aware),
        milestones=tuple(milestones),
        to=regime.to,
        caveat=regime.caveat,
    )


def _passed(due: dt.date, as_of: dt.date | None) -> bool | None:
    return None if as_of is None else due < as_of


def _intermediate(
    m: MilestoneRule, ref: Ref, initial_due: dt.date, resolved: dt.date | None, as_of: dt.date | None, count: Any
) -> Milestone:
    step = m.every_days or 28
    first = count(initial_due, step)
    if resolved is not None and resolved <= first:
        return Milestone(
            "intermediate",
            m.label,
            None,
            f"None: resolved on {long_date(resolved)}, before the first would fall due",
            m.rule,
            ref,
        )
    dates = [first]
    stop = resolved if resolved is not None else as_of
    if stop is not None:
        while count(dates[-1], step) < stop and len(dates) < 1000:
            dates.append(count(dates[-1], step))
    text = f"Every {step} days from {long_date(first)}"
    if resolved is not None:
        text += f"; last due {long_date(dates[-1])}, before resolution on {long_date(resolved)}"
        return Milestone("intermediate", m.label, first, text, m.rule, ref, _passed(dates[-1], as_of), tuple(dates))
    if as_of is not None and dates[-1] < as_of:
        upcoming = count(dates[-1], step)
        dates.append(upcoming)
        text += f"; next due after the edition date: {long_date(upcoming)}"
    return Milestone("intermediate", m.label, first, text, m.rule, ref, _passed(first, as_of), tuple(dates))


# --- Flags ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    """One regulatory hook: its verdict, the inputs that set it and the provisions it rests on."""

    code: str  # rubric section 6 code, e.g. "EU.ART3_49", "CoP.9_3(15 days)", "CoP.APP1_4:loss_of_control"
    family: str  # the code without its qualifier: "CoP.9_3", "CoP.APP1_4", "FRONTIER", "NIST.AI_RMF"
    name: str
    state: str  # "yes", "no", "conditional", "unknown"
    verdict: str
    inputs: tuple[tuple[str, str], ...]
    rule: str  # what the provision requires, in the table's words
    basis: tuple[Ref, ...]
    rationale: tuple[str, ...] = ()  # curated Markdown with citations (incident `regulatory.rationale`)
    notes: tuple[str, ...] = ()
    tokens: frozenset[str] = frozenset()  # what recommendation triggers can match
    evidence: tuple[Ref, ...] = ()  # the incident's own sources for it (e.g. the developer's report)

    @property
    def holds(self) -> bool:
        return self.state == "yes"

    @property
    def anchor(self) -> str:
        """Return the id of the provision this flag rests on in the annex's table of provisions."""
        return anchor(self.family)

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


@dataclass(frozen=True)
class CrosswalkRow:
    """One framework's reading of the incident: where it sits, and the references."""

    framework: str
    position: str
    basis: tuple[Ref, ...] = ()
    framework_id: str = ""  # a developer framework of frameworks.yaml, for the contradiction check
    asserts: tuple[tuple[str, str], ...] = ()  # (threshold id, "applies" | "ruled-out") the row states


@dataclass(frozen=True)
class RegulatoryView:
    """Everything the regulatory annex shows for one incident."""

    incident: str
    flags: tuple[Flag, ...]
    clocks: tuple[Clock, ...]
    clock_note: str  # why no clock runs, or what the clocks count from
    crosswalk: tuple[CrosswalkRow, ...]
    recommendations: Any = None  # recommend.Selection, set by recommend.annex()
    in_time: tuple[InTime, ...] = ()  # every duty of application.yaml at the edition date, for this model
    as_of: dt.date | None = None  # the edition date the view was computed at

    def binding(self, duty: str) -> InTime | None:
        """Return whether a duty binds the provider at the edition date (None: not computed)."""
        return next((t for t in self.in_time if t.duty == duty), None)

    @property
    def tokens(self) -> frozenset[str]:
        """Return every flag token of the incident (what recommendation triggers match)."""
        out: set[str] = set()
        for f in self.flags:
            out |= f.tokens
        return frozenset(out)

    @property
    def applying(self) -> list[Flag]:
        return [f for f in self.flags if f.state == "yes"]

    def flag(self, family: str) -> Flag | None:
        """Return the first flag of a family ("EU.ART3_49", "CoP.9_3" ...), or None."""
        return next((f for f in self.flags if f.family == family), None)


@dataclass(frozen=True)
class _Inputs:
    """The derived inputs every rule reads, with the words the brief prints for them."""

    inc: Incident
    facts: RegulatoryFacts
    evidence: int | None
    evidence_text: str
    evidence_why: str  # the rubric's cited reason for E, when realised harm is derived from it
    level: str | None
    realised: bool
    realised_text: str
    harm_types: tuple[str, ...]
    serious: tuple[str, ...]  # harm types in an Art. 3(49) class
    awareness: dt.date
    awareness_text: str
    as_of: dt.date | None
    placed: dt.date | None = None  # the model's placing on the market (status fact), None: not recorded
    placed_ref: Ref | None = None
    model: str | None = None


def _yesno(value: bool | None) -> str:
    return "not recorded" if value is None else ("yes" if value else "no")


def _inputs(
    inc: Incident,
    assessment: Assessment | None,
    tables: Tables,
    as_of: dt.date | None,
    placed_by_model: Mapping[str, Any] | None = None,
) -> _Inputs:
    facts = inc.regulatory or RegulatoryFacts()
    evidence = inc.risk.evidence if inc.risk else None
    e_text = e_why = ""
    if assessment is not None:
        e_text, e_why = next(((value, why) for code, value, why in assessment.inputs_table if code == "E"), ("", ""))
    elif evidence is not None:
        e_text = f"E{evidence}"
    kind = inc.kind.value.replace("-", " ")
    if facts.realised_harm is not None:
        realised = facts.realised_harm
        realised_text = f"{_yesno(realised)} (recorded)"
    elif evidence is not None:
        realised = evidence == 4
        realised_text = f"{_yesno(realised)} (derived from rubric evidence E{evidence})"
    else:
        realised = inc.kind.value == "incident"
        realised_text = f"{_yesno(realised)} (from the record's kind: {kind})"
    known = tuple(h for h in facts.harm_types if h in tables.harm_types)
    serious = tuple(h for h in known if tables.harm_types[h].art3_49)
    placed, fact = placing(inc, placed_by_model)
    if facts.awareness_date is not None:
        awareness, awareness_text = facts.awareness_date, long_date(facts.awareness_date)
    else:
        awareness = inc.date
        awareness_text = (
            f"{long_date(inc.date)} (assumed: the incident date; the provider's awareness date is not recorded)"
        )
    return _Inputs(
        inc=inc,
        facts=facts,
        evidence=evidence,
        evidence_text=e_text or "not assessed",
        evidence_why=e_why if facts.realised_harm is None else "",
        level=assessment.level if assessment is not None else None,
        realised=realised,
        realised_text=realised_text,
        harm_types=known,
        serious=serious,
        awareness=awareness,
        awareness_text=awareness_text,
        as_of=as_of,
        placed=placed,
        placed_ref=Ref(fact.source, fact.locator, "placing on the market")
        if fact is not None and fact.source and placed
        else None,
        model=(fact.model if fact is not None and fact.model else None) or (inc.models[0] if inc.models else None),
    )


def _rationale(x: _Inputs, *names: str) -> tuple[str, ...]:
    return tuple(x.facts.rationale[n] for n in names if x.facts.rationale.get(n))


def _harm_words(x: _Inputs, tables: Tables, types: Iterable[str] | None = None) -> str:
    chosen = list(x.harm_types if types is None else types)
    return (
        "; ".join(tables.harm_types[h].label.lower() if i else tables.harm_types[h].label for i, h in enumerate(chosen))
        or "none recorded"
    )


def _art3_49(x: _Inputs, tables: Tables) -> Flag:
    code = "EU.ART3_49"
    inputs = [("Realised harm", x.realised_text), ("Evidence", x.evidence_text), ("Harm types", _harm_words(x, tables))]
    if x.realised and x.serious:
        points = ", ".join(dict.fromkeys(str(tables.harm_types[h].art3_49) for h in x.serious))
        state, verdict = (
            "yes",
            tables.verdict(code, "yes", points=points, harms=_harm_words(x, tables, x.serious).lower()),
        )
    elif x.realised:
        state, verdict = "no", tables.verdict(code, "not_listed")
    else:
        state, verdict = "no", tables.verdict(code, "no_harm")
    why = _rationale(x, "realised_harm", "harm_types") or ((x.evidence_why,) if x.evidence_why else ())
    return Flag(
        code,
        code,
        tables.flags[code]["name"],
        state,
        verdict,
        tuple(inputs),
        _rule(tables, code),
        tables.refs(code),
        why,
        tokens=_tokens(code, state, "yes" if state == "yes" else "no"),
    )


def _gpai(x: _Inputs, tables: Tables) -> tuple[Flag, str]:
    """Return the EU.GPAI_SR flag and its status (designated, presumed, unknown, no)."""
    code = "EU.GPAI_SR"
    recorded = x.facts.gpai_systemic_risk
    status = recorded or "unknown"
    undisclosed = x.facts.training_compute_disclosed is False
    if status == "unknown":
        key = "unknown_undisclosed" if undisclosed else "unknown"
        state = "unknown"
    else:
        key, state = status, ("no" if status == "no" else "yes")
    inputs = (
        ("Recorded status", recorded or "not recorded"),
        ("Training compute disclosed", _yesno(x.facts.training_compute_disclosed)),
        ("Models", ", ".join(x.inc.models) or "not recorded"),
    )
    flag = Flag(
        code,
        code,
        tables.flags[code]["name"],
        state,
        tables.verdict(code, key),
        inputs,
        _rule(tables, code),
        tables.refs(code),
        _rationale(x, "gpai_systemic_risk", "training_compute_disclosed"),
        tokens=_tokens(code, state, status),
    )
    return flag, status


def _applicable(regime: Regime, x: _Inputs, tables: Tables | None = None) -> bool | None:
    """Return whether a regime's duty bound the provider on the awareness date (None: undetermined)."""
    timing = _timing(regime, x, tables)
    return timing.binds if timing is not None else x.awareness >= regime.applies_from


def _timing(regime: Regime, x: _Inputs, tables: Tables | None) -> InTime | None:
    if tables is None or not regime.in_time or regime.in_time not in tables.duties:
        return None
    return in_time(tables, regime.in_time, x.awareness, x.placed, x.model, x.placed_ref)


def _clock_set(x: _Inputs, tables: Tables, regime_id: str, state: str, condition: str) -> list[Clock]:
    regime = tables.regimes[regime_id]
    clocks = []
    for h in x.harm_types:
        if regime_id not in tables.harm_types[h].clocks:
            continue
        clock = report_deadlines(
            tables,
            regime_id,
            h,
            x.awareness,
            resolved=x.facts.resolved_date,
            as_of=x.as_of,
            awareness_text=x.awareness_text,
        )
        clocks.append(_replace(clock, state=state, condition=condition, caveat=regime.caveat))
    if clocks:
        first = min(clocks, key=lambda c: (c.initial.due or dt.date.max, c.harm_type))
        # One incident has one schedule of updates: the intermediate reports count from the binding
        # (earliest) initial report, whichever harm type a row shows (issue 16: one deadline per duty).
        later = {m.kind: m for m in first.milestones if m.kind != "initial"}
        clocks = [
            _replace(
                c,
                binding=c is first,
                milestones=tuple(later.get(m.kind, m) if m.kind != "initial" else m for m in c.milestones),
            )
            for c in clocks
        ]
    return clocks


def _replace(obj: Any, **changes: Any) -> Any:
    return dataclasses.replace(obj, **changes)


def _reporting(x: _Inputs, tables: Tables, gpai_status: str, art3: Flag) -> tuple[list[Flag], list[Clock]]:
    """Return the Art. 55(1)(c), CoP 9.3 and Art. 73 flags and the clocks that run."""
    flags: list[Flag] = []
    clocks: list[Clock] = []
    serious = art3.state == "yes"
    cyber = x.realised and "cybersecurity-breach" in x.harm_types
    gpai_state = {"designated": "yes", "presumed": "yes", "no": "no"}.get(gpai_status, "unknown")
    awareness = ("Awareness date", x.awareness_text)

    # Art. 55(1)(c) and the Code's clock (GPAI models with systemic risk).
    regime = tables.regimes["cop-9.3"]
    code = "EU.ART55_1c"
    inputs = [
        ("Serious incident (EU.ART3_49)", STATE_LABELS[art3.state].lower()),
        ("GPAI model with systemic risk (EU.GPAI_SR)", gpai_status),
    ]
    notes: list[str] = []
    timing = _timing(regime, x, tables)
    binds = _applicable(regime, x, tables)
    if gpai_state == "no":
        state, key = "no", "not_gpai_sr"
    elif not serious and cyber:
        state, key = "conditional", "cyber_only"
    elif not serious:
        state, key = "no", "no_incident"
    elif binds is False:
        state, key = "no", ("not_yet_transitional" if timing is not None and timing.transitional else "not_yet")
    else:
        state = "yes" if gpai_state == "yes" and binds else "conditional"
        key = ("yes" if binds else "conditional_placing") if gpai_state == "yes" else "conditional"
    if serious or cyber:
        inputs.append(awareness)
        inputs.append(("Placed on the market", long_date(x.placed) if x.placed else "not recorded"))
    verdict = tables.verdict(
        code,
        key,
        applies_from=long_date(regime.applies_from),
        placed=long_date(x.placed) if x.placed else "",
        binds_from=long_date(timing.binds_from) if timing and timing.binds_from else "",
    )
    if timing is not None and (serious or cyber):
        if binds is None:
            notes.append(_undetermined_note(timing))
        elif timing.transitional and key != "not_yet_transitional":
            notes.append(timing.text)
    basis = (
        tables.refs(code)
        + ((regime.applies_from_basis,) if key == "not_yet" else ())
        + (
            tuple(r for r in timing.refs if r.text != "placing on the market")
            if timing is not None and (key == "not_yet_transitional" or binds is None)
            else ()
        )
    )
    flags.append(
        Flag(
            code,
            code,
            tables.flags[code]["name"],
            state,
            verdict,
            tuple(inputs),
            _rule(tables, code),
            basis,
            _rationale(x, "awareness_date"),
            tuple(notes),
            _tokens(code, state, state),
        )
    )

    code = "CoP.9_3"
    runs = (serious or cyber) and gpai_state != "no" and binds is not False
    cop_state = "no"
    if runs:
        cop_state = "yes" if gpai_state == "yes" and binds else "conditional"
        conditions = ([] if gpai_state == "yes" else ["the model is a GPAI model with systemic risk"]) + (
            [] if binds else [_placed_condition(regime, tables)]
        )
        condition = " and ".join(conditions)
        clocks += _clock_set(x, tables, "cop-9.3", cop_state, condition)
        if not clocks:
            cop_state = "no"
    inputs = [
        ("Harm types", _harm_words(x, tables)),
        ("GPAI model with systemic risk (EU.GPAI_SR)", gpai_status),
        ("Code signatory", _yesno(x.facts.cop_signatory)),
    ]
    notes = []
    if cop_state != "no":
        binding = next(c for c in clocks if c.regime == "cop-9.3" and c.binding)
        inputs.insert(1, awareness)
        verdict = tables.verdict(
            code, cop_state, days=binding.days, locator=binding.ref.locator, due=long_date(binding.initial.due)
        )
        shown = f"{code}({binding.days} days)"
        if x.facts.cop_signatory is False:
            notes.append(
                "The provider has not signed the Code, so Measure 9.3 does not bind it; Art. 55(1)(c) “without undue delay” still applies and the Code's periods are shown for reference."
            )
            if cop_state == "yes":
                cop_state = "conditional"
    else:
        verdict, shown = tables.verdict(code, "no"), code
    flags.append(
        Flag(
            shown,
            code,
            tables.flags[code]["name"],
            cop_state,
            verdict,
            tuple(inputs),
            _rule(tables, code),
            tables.refs(code),
            _rationale(x, "harm_types", "awareness_date", "resolved_date", "cop_signatory"),
            tuple(notes),
            _tokens(code, cop_state, cop_state),
        )
    )

    # Art. 73 (high-risk AI systems).
    code = "EU.ART73"
    regime = tables.regimes["art-73"]
    high_risk = x.facts.high_risk_system
    inputs = [
        ("High-risk AI system (Art. 6)", _yesno(high_risk)),
        ("Serious incident (EU.ART3_49)", STATE_LABELS[art3.state].lower()),
    ]
    shown, dated = code, False
    if high_risk is False:
        state, verdict = "no", tables.verdict(code, "not_high_risk")
    elif not serious:
        state, verdict = "no", tables.verdict(code, "no_incident")
        if high_risk is None:
            verdict = tables.verdict(code, "unknown_high_risk") + " " + verdict
    elif _applicable(regime, x, tables) is False:
        state, verdict, dated = "no", tables.verdict(code, "not_yet", applies_from=long_date(regime.applies_from)), True
        inputs.append(awareness)
    else:
        state = "yes" if high_risk else "conditional"
        condition = "" if high_risk else "the system is a high-risk AI system (Art. 6)"
        new = _clock_set(x, tables, "art-73", state, condition)
        clocks += new
        inputs.append(awareness)
        binding = next(c for c in new if c.binding)
        verdict = tables.verdict(
            code, state, days=binding.days, locator=binding.ref.locator, due=long_date(binding.initial.due)
        )
        shown, dated = f"{code}({binding.days} days)", True
    notes = (regime.caveat,) if regime.caveat and (dated or high_risk) else ()
    basis = tables.refs(code) + ((regime.applies_from_basis,) if dated else ())
    flags.append(
        Flag(
            shown,
            code,
            tables.flags[code]["name"],
            state,
            verdict,
            tuple(inputs),
            _rule(tables, code),
            basis,
            _rationale(x, "high_risk_system"),
            notes,
            _tokens(code, state, state),
        )
    )
    return flags, clocks


def _placed_condition(regime: Regime, tables: Tables) -> str:
    duty = tables.duties.get(regime.in_time or "")
    t = duty.transitional if duty else None
    return (
        f"the model was placed on the market on or after {long_date(t.placed_before)} (its placing date is not recorded; Art. 111(3))"
        if t
        else "the duty applies"
    )


def _undetermined_note(timing: InTime) -> str:
    return timing.text


def _cop_risks(x: _Inputs, tables: Tables) -> list[Flag]:
    code = "CoP.APP1_4"
    vocab = tables.vocabularies["cop"]
    entry = tables.flags[code]
    flags = []
    for tag in dict.fromkeys(x.inc.tags.cop):
        term = vocab.find(tag)
        if term is None:
            continue
        basis = (
            Ref(
                vocab.source,
                term.locator or vocab.locator,
                f"CoP {term.locator or vocab.locator}".replace("app.", "Appendix"),
            ),
        )
        flags.append(
            Flag(
                f"{code}:{term.id}",
                code,
                f"{entry['name']}: {term.label}",
                "yes",
                tables.verdict(
                    code,
                    "yes",
                    label=term.label,
                    locator=f"Appendix {(term.locator or '').removeprefix('app. ')}".strip(),
                ),
                (("Tag (tags.cop)", term.id),),
                f"“{term.definition}”",
                basis,
                tokens=frozenset({code, f"{code}:{term.id}", f"{code}=yes"}),
            )
        )
    if not flags:
        flags.append(
            Flag(
                code,
                code,
                entry["name"],
                "no",
                tables.verdict(code, "no"),
                (("Tags (tags.cop)", "none"),),
                _rule(tables, code),
                tables.refs(code),
                tokens=frozenset({f"{code}=no"}),
            )
        )
    return flags


def _frontier(x: _Inputs, tables: Tables) -> list[Flag]:
    code = "FRONTIER"
    entry = tables.flags[code]
    statuses = entry.get("statuses") or {}
    cop = tables.vocabularies["cop"]
    flags = []
    for report in x.facts.framework_reports:
        fw = tables.frameworks.get(report.framework)
        threshold = fw.find(report.threshold) if fw else None
        if fw is None or threshold is None:
            continue  # reported by check()
        holds = report.status != "ruled-out"
        domain = report.domain or threshold.domain
        rung = threshold.rung if report.status == "reached" else (1 if holds else 0)
        status_words = statuses.get(report.status, report.status)
        inputs = [("Framework", fw.name), ("Threshold", threshold.label), ("Status", status_words)]
        if domain:
            term = cop.find(domain)
            inputs.append(("Risk domain", term.label if term else domain))
        inputs.append(("Cross-walk rung", f"C{rung} {tables.rungs.get(rung, {}).get('label', '')}".strip()))
        notes = []
        if domain and domain not in {(_t.id if (_t := cop.find(t)) else t) for t in x.inc.tags.cop}:
            term = cop.find(domain)
            notes.append(
                f"The threshold concerns {term.label if term else domain}, a risk this record is not tagged with: it is reported for context, not as the trigger of this finding."
            )
        basis = (Ref(fw.source, threshold.locator or None, f"{fw.short}: {threshold.id}"),)
        evidence = (Ref(report.source, report.locator, "the developer's report"),)
        verdict = tables.verdict(
            code, "yes" if holds else "no", status=status_words, threshold=threshold.label, framework=fw.short
        )
        if report.as_of is not None:  # a developer's determination can change: say when it was reported
            verdict = f"As of {long_date(report.as_of)}: {verdict[0].lower()}{verdict[1:]}"
        tokens = {f"{code}:{fw.id}:{threshold.id}", f"{code}={'yes' if holds else 'no'}"}
        if holds:
            tokens |= {code, f"{code}:{fw.id}"}
        flags.append(
            Flag(
                f"{code}:{fw.id}:{threshold.id}",
                code,
                f"{entry['name']}: {fw.short} {threshold.id}",
                "yes" if holds else "no",
                verdict,
                tuple(inputs),
                " ".join(str(entry.get("rule") or "").split()),
                basis,
                (report.note,) if report.note else (),
                tuple(notes),
                frozenset(tokens),
                evidence,
            )
        )
    if not flags:
        flags.append(
            Flag(
                code,
                code,
                entry["name"],
                "no",
                tables.verdict(code, "none"),
                (("Framework reports", "none recorded"),),
                " ".join(str(entry.get("rule") or "").split()),
                (),
                tokens=frozenset({f"{code}=no"}),
            )
        )
    return flags


def _nist(x: _Inputs, tables: Tables) -> list[Flag]:
    """Return one flag naming the NIST AI RMF subcategories the rubric level (or realised harm) selects."""
    chosen = [
        r for r in tables.nist if (x.level is not None and x.level in r.levels) or (r.realised_harm and x.realised)
    ]
    if not chosen:
        return []
    inputs = [("Risk level", x.level or "not assessed")]
    if any(r.realised_harm for r in chosen):
        inputs.append(("Realised harm", x.realised_text))
    ids = ", ".join(r.id for r in chosen)
    where = f"At rubric level {x.level}" if x.level else "With realised harm"
    verdict = f"{where}: " + "; ".join(f"{r.id} ({r.hook_at(x.level)})" for r in chosen) + "."
    return [
        Flag(
            f"NIST.AI_RMF:{ids}",
            "NIST.AI_RMF",
            "NIST AI RMF subcategories",
            "yes",
            verdict,
            tuple(inputs),
            " ".join(f"{r.id}: “{r.text}”" for r in chosen),
            tuple(Ref(tables.nist_source, r.locator, f"NIST AI RMF {r.id}") for r in chosen),
            tokens=frozenset({"NIST.AI_RMF", *(f"NIST.AI_RMF:{r.id}" for r in chosen)}),
        )
    ]


def _oecd(x: _Inputs, tables: Tables) -> Flag:
    code = "OECD"
    entry = tables.flags[code]
    severity = x.inc.risk.severity if x.inc.risk else None
    if x.realised:
        if x.facts.disaster and x.serious:
            cls, key = "disaster", "disaster"
        elif x.serious:
            cls, key = "serious-incident", "serious-incident"
        else:
            cls, key = "incident", "incident"
    elif severity is None:
        cls, key = "hazard", "hazard_unassessed"
    elif severity >= _SEVERITY_SERIOUS:
        cls, key = "serious-hazard", "serious-hazard"
    else:
        cls, key = "hazard", "hazard"
    definition = entry["classes"][cls]
    inputs = [("Realised harm", x.realised_text)]
    if x.realised:
        inputs.append(("Harm types", _harm_words(x, tables)))
        if x.facts.disaster:
            inputs.append(("Disaster (analyst judgement)", "yes"))
    else:
        inputs.append(("Worst credible outcome", f"S{severity}" if severity else "not assessed"))
    basis = tuple(Ref(r.source, definition.get("locator"), r.text) for r in tables.refs(code))
    verdict = tables.verdict(code, key, severity=severity, harms=_harm_words(x, tables, x.serious).lower())
    return Flag(
        f"{code}:{cls}",
        code,
        f"{entry['name']}: {definition['label']}",
        "yes",
        verdict,
        tuple(inputs),
        f"{definition['label']}: “{' '.join(str(definition['definition']).split())}”",
        basis,
        _rationale(x, "realised_harm", "disaster"),
        tokens=frozenset({code, f"{code}:{cls}"}),
    )


def _rule(tables: Tables, code: str) -> str:
    return " ".join(str(tables.flags[code].get("rule") or "").split())


def _tokens(code: str, state: str, status: str) -> frozenset[str]:
    tokens = {f"{code}={status}"}
    if state == "yes":
        tokens |= {code, f"{code}=yes"}
    return frozenset(tokens)


def _crosswalk(x: _Inputs, tables: Tables, flags: list[Flag]) -> tuple[CrosswalkRow, ...]:
    """Return where the incident sits in each framework: by rubric level, capability rung and tags."""
    rows: list[CrosswalkRow] = []
    level = x.level
    mapping = tables.levels.get(level or "", {})
    if mapping:
        rows.append(CrosswalkRow(f"EU AI Act / Code of Practice, at rubric level {level}", mapping.get("eu", "")))
        rows.append(CrosswalkRow(f"NIST AI RMF, at rubric level {level}", mapping.get("nist", "")))
        oecd = next((f for f in flags if f.family == "OECD"), None)
        this = f" This record: {oecd.name.split(': ', 1)[-1]} (flag OECD)." if oecd else ""
        rows.append(CrosswalkRow(f"OECD / CSET, at rubric level {level}", mapping.get("oecd", "") + this))
    rows.extend(_developer_rows(x, tables, flags))
    tags = []
    for prefix, values in (
        ("mit", x.inc.tags.mit),
        ("cop", x.inc.tags.cop),
        ("nist", x.inc.tags.nist),
        ("oecd", x.inc.tags.oecd),
    ):
        vocab = tables.vocabularies.get(prefix)
        if vocab is None or not values:
            continue
        names = [(term.display if (term := vocab.find(v)) else v) for v in values]
        tags.append(f"{vocab.name}: {', '.join(names)}")
    rows.append(CrosswalkRow("Taxonomy tags", "; ".join(tags) + "." if tags else "No taxonomy tag."))
    return tuple(rows)


def own_frameworks(inc: Incident, tables: Tables) -> list[Framework]:
    """Return the frameworks of the incident's developer (none when it names no single developer with one)."""
    developer = _fold(inc.developer or "")
    return [fw for fw in tables.frameworks.values() if fw.developer and _fold(fw.developer) == developer]


def _developer_rows(x: _Inputs, tables: Tables, flags: list[Flag]) -> list[CrosswalkRow]:
    """Return the cross-walk rows of the developer's own framework: only what the developer reported."""
    rows: list[CrosswalkRow] = []
    cop = tables.vocabularies.get("cop")
    if x.inc.risk is not None:
        c = x.inc.risk.capability.status
        rung = tables.rungs.get(c, {})
        domain = x.inc.risk.capability.domain
        term = cop.find(domain) if cop is not None and domain else None
        where = f" ({term.label if term else domain})" if domain else ""
        text = f"The rubric rates capability C{c}{where}: {rung.get('label', '').lower() or 'not labelled'}."
        if rung.get("cop"):
            text += f" Code of Practice tiers: {rung['cop']}."
        rows.append(CrosswalkRow(f"Capability, rubric C{c}", text))
    own = own_frameworks(x.inc, tables)
    if not own:
        who = x.inc.developer or "not recorded"
        rows.append(
            CrosswalkRow(
                "Developer framework",
                f"None shown: the record's developer ({who}) has no framework in data/regulatory/frameworks.yaml, and another developer's framework says nothing about this model.",
            )
        )
    for fw in own:
        reports = [f for f in flags if f.family == "FRONTIER" and f.code.startswith(f"FRONTIER:{fw.id}:")]
        if not reports:
            rows.append(
                CrosswalkRow(
                    f"{fw.short} (the developer's own framework)",
                    f"No {fw.short} threshold is reported for this record.",
                    (Ref(fw.source, None, fw.short),) if fw.source else (),
                    fw.id,
                )
            )
            continue
        asserts = tuple((f.code.split(":", 2)[2], "applies" if f.holds else "ruled-out") for f in reports)
        text = (
            "As the developer reported: "
            + "; ".join(f.verdict.rstrip(".") for f in reports)
            + ". The developer's thresholds are its own and are not calibrated to other developers'."
        )
        rows.append(
            CrosswalkRow(
                f"{fw.short} (the developer's own framework)",
                text,
                tuple(e for f in reports for e in f.evidence),
                fw.id,
                asserts,
            )
        )
    return rows


def contradictions(view: RegulatoryView, inc: Incident, tables: Tables) -> list[str]:
    """Return the contradictions between the rows of one incident's view (issue 16); none expected.

    A threshold both applied and ruled out; a cross-walk row stating the opposite of a FRONTIER flag;
    a cross-walk row of another developer's framework; the cross-walk's "below threshold" wording of
    a framework (rung C0) printed while one of its thresholds applies."""
    out: list[str] = []
    states: dict[str, set[str]] = {}
    for f in view.flags:
        if f.family == "FRONTIER" and f.code.count(":") == 2:
            states.setdefault(f.code.split(":", 1)[1], set()).add("applies" if f.holds else "ruled-out")
    for key, seen in states.items():
        if len(seen) > 1:
            out.append(f"{key}: both applied and ruled out by the FRONTIER flags")
    own = {fw.id for fw in own_frameworks(inc, tables)}
    applied_fw = {key.split(":", 1)[0] for key, seen in states.items() if "applies" in seen}
    for row in view.crosswalk:
        if row.framework_id and row.framework_id not in own:
            out.append(
                f"{row.framework}: another developer's framework in the cross-walk of a {inc.developer or 'unrecorded developer'} model"
            )
        for threshold, said in row.asserts:
            flagged = states.get(f"{row.framework_id}:{threshold}", set())
            if flagged and said not in flagged:
                out.append(
                    f"{row.framework}: says {threshold} {said}, the FRONTIER flag says {', '.join(sorted(flagged))}"
                )
        for fid in applied_fw:
            below = (tables.rungs.get(0) or {}).get(fid)
            fw = tables.frameworks.get(fid)
            if below and (below in row.position or (fw and f"{fw.short}: {below}" in row.position)):
                out.append(f"{row.framework}: prints {below!r} while a {fw.short if fw else fid} threshold applies")
    return out


@dataclass(frozen=True)
class Provision:
    """A provision the flags rest on, cited once in the annex: what it requires, and its parts."""

    code: str
    name: str
    refs: tuple[Ref, ...]
    rule: str
    items: tuple[tuple[str, str, tuple[Ref, ...]], ...] = ()  # (label, text, references)

    @property
    def anchor(self) -> str:
        return anchor(self.code)


def provisions(tables: Tables) -> tuple[Provision, ...]:
    """Return the provisions every flag rests on, with their wording, for the annex's reference table."""
    out = []
    for code in ("EU.ART3_49", "EU.GPAI_SR", "EU.ART55_1c", "CoP.9_3", "EU.ART73"):
        items: list[tuple[str, str, tuple[Ref, ...]]] = []
        refs = tables.refs(code)
        if code == "EU.ART55_1c" and refs:
            items.append(
                (
                    "Also relevant",
                    tables.verdict(code, "relevant_ab"),
                    (Ref(refs[0].source, "art. 55(1)(a)–(b)", "AI Act Art. 55(1)(a)–(b)"),),
                )
            )
        out.append(Provision(code, tables.flags[code]["name"], refs, _rule(tables, code), tuple(items)))

    entry = tables.flags["CoP.APP1_4"]
    cop = tables.vocabularies.get("cop")
    items = (
        [(t.label, f"“{t.definition}”", (Ref(cop.source, t.locator, t.locator or ""),)) for t in cop.terms]
        if cop
        else []
    )
    relevant = entry.get("relevant") or {}
    if relevant.get("text"):
        items.append(
            (
                "Also relevant",
                " ".join(str(relevant["text"]).split()),
                tuple(_ref(r) for r in relevant.get("basis") or ()),
            )
        )
    out.append(
        Provision("CoP.APP1_4", entry["name"], tables.refs("CoP.APP1_4"), _rule(tables, "CoP.APP1_4"), tuple(items))
    )

    entry = tables.flags["FRONTIER"]
    items = [
        (
            fw.name,
            "Thresholds: " + ", ".join(t.id for t in fw.thresholds) + "." + (f" {fw.note}" if fw.note else ""),
            (Ref(fw.source, None, fw.short),),
        )
        for fw in tables.frameworks.values()
    ]
    out.append(Provision("FRONTIER", entry["name"], (), " ".join(str(entry.get("rule") or "").split()), tuple(items)))

    items = [
        (
            r.id,
            f"“{r.text}” Named at rubric level {', '.join(r.levels)}{', or where harm was realised' if r.realised_harm else ''}.",
            (Ref(tables.nist_source, r.locator, r.locator),),
        )
        for r in tables.nist
    ]
    out.append(
        Provision(
            "NIST.AI_RMF",
            "NIST AI RMF subcategories",
            (),
            "The rubric level names the subcategories a provider's and a regulator's risk management should address; the AI RMF is voluntary guidance, not an obligation.",
            tuple(items),
        )
    )

    entry = tables.flags["OECD"]
    refs = tables.refs("OECD")
    source = refs[0].source if refs else ""
    items = [
        (
            c["label"],
            "“" + " ".join(str(c["definition"]).split()) + "”",
            (Ref(source, c.get("locator"), c.get("locator") or ""),),
        )
        for c in entry["classes"].values()
    ]
    out.append(
        Provision(
            "OECD",
            entry["name"],
            (),
            "Realised harm makes an AI incident (a serious AI incident when the harm is of an Art. 3(49) class; an AI disaster only on the analyst's recorded judgement); without realised harm, an AI hazard, serious when the worst credible outcome is S4 or above.",
            tuple(items),
        )
    )

    items = [
        (
            v.name,
            f"{len(v.terms)} terms, kept in {v.path}.",
            (Ref(v.source, v.locator, v.locator or ""),) if v.source else (),
        )
        for v in tables.vocabularies.values()
    ]
    out.append(
        Provision(
            "TAGS",
            "Taxonomy vocabularies",
            (),
            "Every incident tag must name a term of these controlled vocabularies; validation rejects any other.",
            tuple(items),
        )
    )
    return tuple(out)


def view(
    inc: Incident,
    assessment: Assessment | None,
    tables: Tables,
    as_of: dt.date | None = None,
    known: Mapping[str, Any] | None = None,
) -> RegulatoryView:
    """Compute an incident's regulatory flags, reporting clocks and cross-walk.

    `assessment` is the incident's rubric assessment (None when it has no risk inputs); `as_of` is
    the edition date, which marks due dates that have passed and at which each duty's binding is
    evaluated; `known`: placing-on-market facts by model (placings()) for a record without its own. Inputs the record does not give are
    derived (realised harm from evidence E4) or reported as unknown, never guessed.
    """
    x = _inputs(inc, assessment, tables, as_of, known)
    art3 = _art3_49(x, tables)
    gpai, status = _gpai(x, tables)
    reporting, clocks = _reporting(x, tables, status, art3)
    flags = [art3, gpai, *reporting, *_cop_risks(x, tables), *_frontier(x, tables), *_nist(x, tables), _oecd(x, tables)]
    if clocks:
        note = (
            counting_note(tables)
            + " Awareness date: "
            + x.awareness_text
            + ". Indicative only: confirm every date against the legal text."
        )
    elif art3.state == "yes":
        note = "No reporting clock runs: neither the GPAI systemic-risk track nor the high-risk track applies on the recorded inputs."
    else:
        note = "No reporting clock runs: " + art3.verdict[0].lower() + art3.verdict[1:]
    timings = (
        tuple(in_time(tables, d, as_of, x.placed, x.model, x.placed_ref) for d in tables.duties)
        if as_of is not None
        else ()
    )
    return RegulatoryView(
        inc.id, tuple(flags), tuple(clocks), note, _crosswalk(x, tables, flags), in_time=timings, as_of=as_of
    )


@dataclass(frozen=True)
class PeriodRow:
    """One harm type in the table of reporting periods: its Art. 3(49) point and days per regime."""

    harm_type: str
    label: str
    art3_49: str  # "(a)" .. "(d)", or "—"
    periods: tuple[tuple[str, Ref | None], ...]  # per regime: ("15 days", the provision) or ("—", None)
    note: str = ""


def periods(tables: Tables) -> tuple[PeriodRow, ...]:
    """Return the reporting periods by harm type, one column per regime (the annex's reference table)."""
    rows = []
    for harm in tables.harm_types.values():
        cells = []
        for rid, regime in tables.regimes.items():
            rule = harm.clocks.get(rid)
            cells.append((f"{rule.days} days", Ref(regime.source, rule.locator, rule.locator)) if rule else ("—", None))
        rows.append(PeriodRow(harm.id, harm.label, harm.art3_49 or "—", tuple(cells), harm.note))
    return tuple(rows)


def counting_note(tables: Tables) -> str:
    """Return how the clocks count, in one sentence for the brief."""
    if tables.working_days:
        how = "in working days (Monday to Friday)"
    else:
        how = "in calendar days; weekends are not skipped"
    roll = (
        "a date that falls on a Saturday or Sunday moves to the next Monday"
        if tables.roll_forward
        else "a date that falls on a Saturday or Sunday stays there"
    )
    return f"Periods count from the day the provider becomes aware (day 0), {how}, and {roll}; public holidays are not taken into account."


# --- Tags and trigger tokens ----------------------------------------------------------------------


def canonical_tags(tags: Tags, tables: Tables) -> set[str]:
    """Return an incident's vocabulary tags in every form a trigger may name them.

    `cop:loss_of_control`, `nist:data-privacy` and `nist:Data Privacy`, `mit:7.1` and its domain
    `mit:7`: a trigger matches whichever of the id or label it uses, and a domain matches its
    subdomains.
    """
    out: set[str] = set()
    for prefix in VOCAB_FILES:
        vocab = tables.vocabularies.get(prefix)
        for tag in getattr(tags, prefix):
            out.add(f"{prefix}:{tag}")
            term = vocab.find(tag) if vocab else None
            if term is None:
                continue
            out |= {f"{prefix}:{term.id}", f"{prefix}:{term.label}"}
            if term.domain:
                out.add(f"{prefix}:{term.domain}")
    return out


def flag_tokens(tables: Tables) -> set[str]:
    """Return every flag token a recommendation trigger may name (its grammar, spelled out)."""
    tokens: set[str] = set()
    for code, states in _FLAG_STATES.items():
        tokens |= {code, f"{code}=yes"}
        tokens |= {f"{code}={s}" for s in states}
    tokens |= {"CoP.APP1_4", "CoP.APP1_4=yes", "CoP.APP1_4=no"}
    tokens |= (
        {f"CoP.APP1_4:{t.id}" for t in tables.vocabularies["cop"].terms} if "cop" in tables.vocabularies else set()
    )
    tokens |= {"FRONTIER", "FRONTIER=yes", "FRONTIER=no"}
    for fw in tables.frameworks.values():
        tokens.add(f"FRONTIER:{fw.id}")
        tokens |= {f"FRONTIER:{fw.id}:{t.id}" for t in fw.thresholds}
    tokens.add("NIST.AI_RMF")
    tokens |= {f"NIST.AI_RMF:{r.id}" for r in tables.nist}
    tokens.add("OECD")
    tokens |= {f"OECD:{cls}" for cls in tables.flags.get("OECD", {}).get("classes", {})}
    return tokens


# --- Validation -----------------------------------------------------------------------------------


def _nearest_words(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names)


def check(ds: Dataset, data_dir: Path | str) -> list[Problem]:
    """Return every problem with taxonomy tags, regulatory facts, suppressions and triggers."""
    try:
        tables = load_tables(data_dir)
    except DataError as exc:
        return list(exc.problems)
    problems: list[Problem] = []
    add = problems.append

    def cited(text: str | None, where: Location) -> None:
        for key in cite_keys(text or ""):
            if key not in ds.sources:
                close = difflib.get_close_matches(key, list(ds.sources), n=2, cutoff=0.6)
                add(
                    Problem(
                        where,
                        f"unknown citation key {key!r}"
                        + (f" (did you mean {_nearest_words(close)}?)" if close else ""),
                    )
                )

    for inc in ds.incidents.values():
        for prefix in VOCAB_FILES:
            vocab = tables.vocabularies[prefix]
            seen: dict[str, int] = {}
            for i, tag in enumerate(getattr(inc.tags, prefix)):
                term = vocab.find(str(tag))
                if term is None or term.id in seen:  # locate only for a problem: it may parse the file again
                    where = inc.locate(f"tags.{prefix}[{i}]")
                if term is None:
                    add(
                        Problem(
                            where,
                            f"unknown {vocab.name} tag {tag!r} (nearest valid: {_nearest_words(vocab.nearest(str(tag)))}; the vocabulary is {vocab.where})",
                        )
                    )
                elif term.id in seen:
                    add(Problem(where, f"{tag!r} repeats tags.{prefix}[{seen[term.id]}] ({term.display})", "warning"))
                else:
                    seen[term.id] = i
        problems.extend(_check_facts(inc, tables, ds, cited))
        listed = set(inc.recommendations)
        seen_ids: set[str] = set()
        for i, sup in enumerate(inc.suppress):
            where = inc.locate(f"suppress[{i}].id")
            if sup.id not in ds.recommendations:
                close = difflib.get_close_matches(sup.id, list(ds.recommendations), n=2, cutoff=0.5)
                add(
                    Problem(
                        where,
                        f"unknown recommendation {sup.id!r}"
                        + (f" (did you mean {_nearest_words(close)}?)" if close else ""),
                    )
                )
            if sup.id in listed:
                add(Problem(where, f"{sup.id!r} is both listed in recommendations and suppressed (keep one)"))
            if sup.id in seen_ids:
                add(Problem(where, f"{sup.id!r} is suppressed twice", "warning"))
            seen_ids.add(sup.id)

    for shown, key in sorted(_table_sources(tables)):
        # Only the project's own tables: the packaged defaults cite sources a project may not curate,
        # and the annex then prints those provisions without a footnote.
        if key not in ds.sources and not Path(shown).is_absolute():
            close = difflib.get_close_matches(key, list(ds.sources), n=2, cutoff=0.6)
            add(
                Problem(
                    Location(shown),
                    f"the table cites unknown source {key!r}"
                    + (f" (did you mean {_nearest_words(close)}?)" if close else " (add it to data/sources.json)"),
                )
            )

    known = flag_tokens(tables)
    for rec in ds.recommendations.values():
        for i, tag in enumerate(rec.triggers.tags):
            prefix, _, name = str(tag).partition(":")
            vocab = tables.vocabularies.get(prefix) if name else None
            if vocab is not None and vocab.find(name) is None:
                add(
                    Problem(
                        rec.locate(f"triggers.tags[{i}]"),
                        f"unknown {vocab.name} tag {name!r} (nearest valid: {_nearest_words([f'{prefix}:{n}' for n in vocab.nearest(name)])}; the vocabulary is {vocab.where})",
                    )
                )
        for i, token in enumerate(rec.triggers.flags):
            if token not in known:
                close = difflib.get_close_matches(token, sorted(known), n=3, cutoff=0.5)
                add(
                    Problem(
                        rec.locate(f"triggers.flags[{i}]"),
                        f"unknown flag {token!r} (nearest valid: {_nearest_words(close or sorted(_FLAG_STATES))})",
                    )
                )
        for i, duty in enumerate(rec.rests_on):
            if duty not in tables.duties:
                close = difflib.get_close_matches(duty, list(tables.duties), n=2, cutoff=0.4) or list(tables.duties)
                add(
                    Problem(
                        rec.locate(f"rests_on[{i}]"),
                        f"unknown duty {duty!r} (nearest valid: {_nearest_words(close)}; the list is in data/regulatory/application.yaml)",
                    )
                )
        if rec.request_text and not rec.rests_on:
            add(
                Problem(
                    rec.locate("request_text"),
                    "given, but rests_on names no duty, so it is never printed (name the duty the recommendation rests on)",
                    "warning",
                )
            )
        if not cite_keys(rec.rationale):
            add(
                Problem(
                    rec.locate("rationale"),
                    f"recommendation {rec.id!r} has a rationale that cites no source (expected at least one [@source-id, locator])",
                    "warning",
                )
            )
    return problems


def _table_sources(tables: Tables) -> set[tuple[str, str]]:
    """Return (table file, source id) for every source the tables cite."""
    by_name = {Path(p).name: p for p in tables.paths}
    out = {(v.path, v.source) for v in tables.vocabularies.values() if v.source}
    for regime in tables.regimes.values():
        out |= {(by_name["clocks.yaml"], r.source) for r in (*regime.basis, regime.applies_from_basis) if r.source}
    for code in tables.flags:
        for key in ("basis",):
            out |= {(by_name["flags.yaml"], r.source) for r in tables.refs(code, key)}
        out |= {
            (by_name["flags.yaml"], str(r["source"]))
            for r in (tables.flags[code].get("relevant") or {}).get("basis") or ()
        }
    if tables.nist_source:
        out.add((by_name["flags.yaml"], tables.nist_source))
    out |= {(by_name["frameworks.yaml"], fw.source) for fw in tables.frameworks.values() if fw.source}
    return out


def _check_facts(inc: Incident, tables: Tables, ds: Dataset, cited: Any) -> list[Problem]:
    facts = inc.regulatory
    if facts is None:
        return []
    problems: list[Problem] = []
    add = problems.append
    at = inc.locate
    for i, h in enumerate(facts.harm_types):
        if h not in tables.harm_types:
            close = (
                difflib.get_close_matches(h, list(tables.harm_types), n=3, cutoff=0.3) or list(tables.harm_types)[:3]
            )
            add(
                Problem(
                    at(f"regulatory.harm_types[{i}]"),
                    f"unknown harm type {h!r} (nearest valid: {_nearest_words(close)}; the list is in data/regulatory/clocks.yaml)",
                )
            )
    evidence = inc.risk.evidence if inc.risk else None
    if facts.harm_types and facts.realised_harm is False:
        add(
            Problem(
                at("regulatory.harm_types"),
                "harm types are recorded but realised_harm is false (harm types describe realised harm; remove them or set realised_harm: true)",
                "warning",
            )
        )
    if facts.realised_harm is True and evidence is not None and evidence < 4:
        add(
            Problem(
                at("regulatory.realised_harm"),
                f"true, but risk.evidence is E{evidence} (E4 is realised harm in real use; one of the two is wrong)",
                "warning",
            )
        )
    if facts.realised_harm is False and evidence == 4:
        add(
            Problem(
                at("regulatory.realised_harm"),
                "false, but risk.evidence is E4 (realised harm in real use; one of the two is wrong)",
                "warning",
            )
        )
    realised = (
        facts.realised_harm
        if facts.realised_harm is not None
        else (evidence == 4 if evidence is not None else inc.kind.value == "incident")
    )
    grave = {"death", "critical-infrastructure", "widespread-infringement"} & set(facts.harm_types)
    if realised and grave and inc.risk is not None and not inc.risk.fatal_or_ci_or_widespread:
        add(
            Problem(
                at("risk.fatal_or_ci_or_widespread"),
                f"false, but regulatory.harm_types records {', '.join(sorted(grave))} (set it to true so that rubric floor F2 applies)",
                "warning",
            )
        )
    serious = [h for h in facts.harm_types if h in tables.harm_types]
    if realised and serious and facts.awareness_date is None:
        add(
            Problem(
                at("regulatory"),
                "no awareness_date: reporting clocks count from the incident date instead (give the date the provider became aware, when known)",
                "warning",
            )
        )
    if facts.resolved_date and facts.awareness_date and facts.resolved_date < facts.awareness_date:
        add(
            Problem(
                at("regulatory.resolved_date"), f"{facts.resolved_date} is before awareness_date {facts.awareness_date}"
            )
        )
    if facts.gpai_systemic_risk == "presumed" and facts.training_compute_disclosed is False:
        add(
            Problem(
                at("regulatory.gpai_systemic_risk"),
                "presumed, but training compute is not disclosed (the Art. 51(2) presumption needs more than 10^25 FLOP; use 'unknown' unless the provider notified the Commission or was designated)",
                "warning",
            )
        )
    for name in facts.rationale:
        where = at(f"regulatory.rationale.{name}")
        if name not in FACT_NAMES:
            close = difflib.get_close_matches(name, FACT_NAMES, n=2, cutoff=0.5)
            add(
                Problem(
                    where,
                    f"unknown fact {name!r} (expected one of {', '.join(FACT_NAMES)})"
                    + (f"; did you mean {_nearest_words(close)}?" if close else ""),
                )
            )
        # Its citations are checked with every prose field's (model.prose_fields, validate.py).
    for i, fact in enumerate(facts.status):
        f = f"regulatory.status[{i}]"
        allowed = STATUS_VALUES[fact.fact]
        if fact.fact == "placed-on-market" and fact.value != "not-established":
            try:
                dt.date.fromisoformat(fact.value)
            except ValueError:
                add(
                    Problem(at(f"{f}.value"), f"{fact.value!r} is not a date (expected YYYY-MM-DD, or not-established)")
                )
        elif fact.value not in allowed:
            close = difflib.get_close_matches(fact.value, allowed, n=1, cutoff=0.5)
            add(
                Problem(
                    at(f"{f}.value"),
                    f"unknown value {fact.value!r} for {fact.fact} (expected one of {', '.join(allowed)})"
                    + (f"; did you mean {close[0]!r}?" if close else ""),
                )
            )
        if fact.value != "not-established":
            if fact.as_of is None:
                add(
                    Problem(
                        at(f"{f}.as_of"),
                        f"missing: a {fact.fact} fact can go stale; give the date its source says it held",
                    )
                )
            if not fact.source:
                add(
                    Problem(
                        at(f"{f}.source"),
                        f"missing: a {fact.fact} fact must name its source (or use value: not-established)",
                    )
                )
        if fact.source and fact.source not in ds.sources:
            close = difflib.get_close_matches(fact.source, list(ds.sources), n=2, cutoff=0.6)
            add(
                Problem(
                    at(f"{f}.source"),
                    f"unknown source {fact.source!r}" + (f" (did you mean {_nearest_words(close)}?)" if close else ""),
                )
            )
        if fact.fact != "placed-on-market" and fact.value != "not-established" and not fact.past:
            add(
                Problem(
                    at(f"{f}.past"),
                    "missing: give the sentence in the past tense, printed once the fact is older than the brief's stale_after_months",
                    "warning",
                )
            )
    cop = tables.vocabularies["cop"]
    for i, report in enumerate(facts.framework_reports):
        f = f"regulatory.framework_reports[{i}]"
        fw = tables.frameworks.get(report.framework)
        if fw is None:
            close = difflib.get_close_matches(report.framework, list(tables.frameworks), n=2, cutoff=0.3) or list(
                tables.frameworks
            )
            add(
                Problem(
                    at(f"{f}.framework"),
                    f"unknown framework {report.framework!r} (nearest valid: {_nearest_words(close)}; the list is in data/regulatory/frameworks.yaml)",
                )
            )
        elif fw.find(report.threshold) is None:
            names = [t.id for t in fw.thresholds]
            close = difflib.get_close_matches(report.threshold, names, n=3, cutoff=0.3) or names[:3]
            add(
                Problem(
                    at(f"{f}.threshold"),
                    f"unknown {fw.short} threshold {report.threshold!r} (nearest valid: {_nearest_words(close)})",
                )
            )
        if report.domain and cop.find(report.domain) is None:
            add(
                Problem(
                    at(f"{f}.domain"),
                    f"unknown CoP specified systemic risk {report.domain!r} (nearest valid: {_nearest_words(cop.nearest(report.domain))})",
                )
            )
        if report.source not in ds.sources:
            close = difflib.get_close_matches(report.source, list(ds.sources), n=2, cutoff=0.6)
            add(
                Problem(
                    at(f"{f}.source"),
                    f"unknown source {report.source!r}"
                    + (f" (did you mean {_nearest_words(close)}?)" if close else ""),
                )
            )
        if not report.locator:
            add(
                Problem(
                    at(f"{f}.locator"),
                    f"no locator for {report.source!r} (give the section, page or paragraph where the developer reports it)",
                    "warning",
                )
            )
        cited(report.note, at(f"{f}.note"))
        threshold = fw.find(report.threshold) if fw else None
        if threshold is not None and inc.risk is not None:
            domain = report.domain or threshold.domain
            implied = threshold.rung if report.status == "reached" else (1 if report.status != "ruled-out" else 0)
            cap = inc.risk.capability
            if (
                domain
                and cap.domain
                and (cop.find(cap.domain) or Term(cap.domain, cap.domain)).id
                == (cop.find(domain) or Term(domain, domain)).id
                and cap.status < implied
            ):
                add(
                    Problem(
                        at("risk.capability.status"),
                        f"C{cap.status}, but the developer reports {fw.short} {threshold.id} as {report.status} for {domain}, which the cross-walk reads as C{implied} (check the capability input)",
                        "warning",
                    )
                )
    return problems
