"""The regulatory tables: vocabularies and rule tables read from data/, as records the engine reads.

Controlled vocabularies live in `data/vocab/*.yaml` (one per framework that tags incidents); flag
wording, clock periods, developer frameworks and duties in time in `data/regulatory/*.yaml`. Each
file is read with line marks and validated by a pydantic model (load/tables.py), so every problem
is reported as `file:line: field: message`; `read_tables` reads them once per file state (cached).
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from brief.core.errors import DataError, Location, Problem
from brief.core.paths import table_path
from brief.load.tables import field_path, read_lined, validate_table
from brief.load.yamlio import line_of

RULE_FILES = ("clocks.yaml", "flags.yaml", "frameworks.yaml", "application.yaml")


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
        """Name the file for messages: the project's path, or "packaged vocabulary X" for brief's own copy."""
        return f"packaged vocabulary {Path(self.path).name}" if Path(self.path).is_absolute() else self.path

    def find(self, tag: str) -> Term | None:
        """Return the term a tag names (its id, its label or both, any case), or None."""
        return _term_index(self.terms).get(fold(tag))

    def nearest(self, tag: str, n: int = 3) -> list[str]:
        """Return up to `n` valid tags closest to `tag` (matched on ids and labels), best first."""
        names: dict[str, str] = {}
        for term in self.terms:
            shown = term.label if self.prefix == "nist" else term.id  # the form the data writes
            names.setdefault(fold(term.id), shown)
            names.setdefault(fold(term.label), shown)
        out: list[str] = []
        for key in difflib.get_close_matches(fold(tag), list(names), n=n * 2, cutoff=0.4):
            if names[key] not in out:
                out.append(names[key])
        if not out:  # nothing close enough: still the most similar ones, never simply the first few
            ranked = sorted(names, key=lambda key: -difflib.SequenceMatcher(None, fold(tag), key).ratio())
            for key in ranked:
                if names[key] not in out:
                    out.append(names[key])
                if len(out) == n:
                    break
        return out[:n]


@dataclass(frozen=True)
class ClockRule:
    """The period of one harm type under one regime: days from awareness, and the provision."""

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
    """One report a regime requires (initial, intermediate, final, complete) and its rule."""

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
    """A threshold of a developer's framework and the rubric C rung it maps onto."""

    framework: str
    id: str
    label: str
    domain: str | None
    rung: int
    locator: str


@dataclass(frozen=True)
class Framework:
    """A developer's frontier-safety framework (frameworks.yaml) and its thresholds."""

    id: str
    name: str
    short: str
    source: str
    thresholds: tuple[Threshold, ...]
    note: str = ""
    developer: str = ""  # whose framework it is: a cross-walk shows a model only its developer's

    def find(self, name: str) -> Threshold | None:
        """Return the threshold named by id or label (any case), or None."""
        key = fold(name)
        return next((t for t in self.thresholds if key in (fold(t.id), fold(t.label))), None)


@dataclass(frozen=True)
class NistRule:
    """A NIST AI RMF subcategory and the rubric levels (or realised harm) that name it."""

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
    flags: Mapping[str, FlagEntry]  # flag code -> its wording and references (flags.yaml `flags`)
    nist_source: str
    nist: tuple[NistRule, ...]
    frameworks: Mapping[str, Framework]
    rungs: Mapping[int, Mapping[str, str]]
    cop_locators: Mapping[int, str]
    levels: Mapping[str, Mapping[str, str]]
    paths: tuple[str, ...]
    duties: Mapping[str, Duty] = field(default_factory=dict)
    unverified: tuple[Unverified, ...] = ()

    def refs(self, code: str) -> tuple[Ref, ...]:
        """Return the references a flag's table entry rests on (its `basis`)."""
        return tuple(r.ref() for r in self.flags[code].basis)

    def verdict(self, code: str, key: str, **values: Any) -> str:
        """Return a flag's verdict sentence with `{...}` fields filled in."""
        return _fill(self.flags[code].verdicts[key], values)


def anchor(code: str) -> str:
    """Return the HTML id of a flag family's provision: "EU.ART3_49" -> "prov-eu-art3-49"."""
    return "prov-" + re.sub(r"[^a-z0-9]+", "-", code.lower()).strip("-")


def fold(text: str) -> str:
    """Return a name as names are compared: spaces collapsed, any case."""
    return re.sub(r"\s+", " ", str(text).strip()).casefold()


def words(text: str | None) -> str:
    """Return a folded YAML paragraph on one line."""
    return " ".join(str(text or "").split())


@functools.lru_cache(maxsize=32)
def _term_index(terms: tuple[Term, ...]) -> dict[str, Term]:
    """Return each folded name of the terms (id, label, both) -> the first term it names."""
    index: dict[str, Term] = {}
    for term in terms:
        for name in (term.id, term.label, f"{term.id} {term.label}"):
            index.setdefault(fold(name), term)
    return index


def _fill(template: str, values: Mapping[str, Any]) -> str:
    """Return a template with each `{name}` replaced by its value (unknown names kept)."""
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), str(template).strip())


# --- The files as written: one pydantic model per table -------------------------------------------


def _as_text(value: Any) -> Any:
    """Return a number written without quotes ("7.1" read as 7.1) as text; anything else unchanged."""
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


Name = Annotated[str, BeforeValidator(_as_text)]


class _Table(BaseModel):
    """A table entry: unknown fields are mistakes, and the records are read-only."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RefIn(_Table):
    """A reference as the tables write it: {source, locator, text}."""

    source: str
    locator: str | None = None
    text: str | None = None

    def ref(self) -> Ref:
        """Return the reference, its text defaulting to the locator, then the source."""
        return Ref(self.source, self.locator, self.text or self.locator or self.source)


class TermIn(_Table):
    """A term of a vocabulary file."""

    id: Name
    label: str
    definition: str = ""
    locator: str | None = None
    domain: Name | None = None
    kind: str = "term"
    number: int | None = None  # the term's number in its source (NIST AI 600-1 numbers its risks)


class VocabularyFile(_Table):
    """A file of data/vocab/."""

    vocabulary: str
    name: str | None = None
    source: str = ""
    locator: str | None = None
    terms: list[TermIn]


class CountingIn(_Table):
    """How clocks.yaml counts periods."""

    working_days: bool = False
    roll_forward: bool = False


class MilestoneIn(_Table):
    """A report a regime requires, as clocks.yaml writes it."""

    label: str
    rule: str = ""
    locator: str = ""
    every_days: int | None = Field(default=None, ge=1)
    days_after_resolution: int | None = Field(default=None, ge=0)


class RegimeIn(_Table):
    """A reporting regime of clocks.yaml."""

    name: str | None = None
    short: str | None = None
    duty: str = ""
    who: str = ""
    to: str = ""
    aware_of: str = "the incident"
    basis: list[RefIn]
    applies_from: dt.date
    applies_from_basis: RefIn | None = None
    milestones: dict[Literal["initial", "intermediate", "final", "complete"], MilestoneIn]
    caveat: str = ""
    in_time: str | None = None


class ClockRuleIn(_Table):
    """The period of one harm type under one regime, as clocks.yaml writes it."""

    days: int = Field(ge=0)
    locator: str = ""


class HarmTypeIn(_Table):
    """A harm type of clocks.yaml and its periods per regime."""

    label: str | None = None
    art3_49: str | None = None
    clocks: dict[str, ClockRuleIn]
    note: str = ""


class ClocksFile(_Table):
    """data/regulatory/clocks.yaml: how periods count, the reporting regimes and the harm types."""

    counting: CountingIn
    regimes: dict[str, RegimeIn]
    harm_types: dict[str, HarmTypeIn]


class OecdClass(_Table):
    """A class of the OECD classification: its label, definition and where the paper defines it."""

    label: str
    definition: str
    locator: str | None = None


class Relevant(_Table):
    """A provision also relevant to a flag family, printed with its provision."""

    text: str = ""
    basis: list[RefIn] = []


class FlagEntry(_Table):
    """One flag family of flags.yaml: its name, verdict sentences, rule and references."""

    name: str
    verdicts: dict[str, str]
    rule: str = ""
    basis: list[RefIn] = []
    statuses: dict[str, str] = {}
    classes: dict[str, OecdClass] = {}
    relevant: Relevant | None = None


class NistRuleIn(_Table):
    """A NIST AI RMF subcategory of flags.yaml."""

    id: str
    locator: str | None = None
    text: str = ""
    levels: list[str] = []
    realised_harm: bool = False
    hook: str = ""
    hooks: dict[str, str] = {}


class NistIn(_Table):
    """The NIST AI RMF section of flags.yaml."""

    name: str = ""
    source: str = ""
    subcategories: list[NistRuleIn]


class FlagsFile(_Table):
    """data/regulatory/flags.yaml: the wording and references of every flag family."""

    flags: dict[str, FlagEntry]
    nist_ai_rmf: NistIn


class ThresholdIn(_Table):
    """A threshold of a developer framework, as frameworks.yaml writes it."""

    id: str
    label: str | None = None
    domain: str | None = None
    rung: int = Field(ge=0, le=3)
    locator: str = ""


class FrameworkIn(_Table):
    """A developer framework of frameworks.yaml."""

    name: str | None = None
    short: str | None = None
    developer: str = ""
    source: str = ""
    note: str = ""
    thresholds: list[ThresholdIn]


class FrameworksFile(_Table):
    """data/regulatory/frameworks.yaml: developer frameworks, capability rungs, rubric levels."""

    frameworks: dict[str, FrameworkIn]
    rungs: dict[int, dict[str, str]]
    levels: dict[str, dict[str, str]]
    cop_locators: dict[int, str] = {}

    @field_validator("rungs")
    @classmethod
    def _four_rungs(cls, rungs: dict[int, dict[str, str]]) -> dict[int, dict[str, str]]:
        """Return the rungs, which must be exactly C0 to C3."""
        if sorted(rungs) != [0, 1, 2, 3]:
            raise ValueError("must have one row for each of C0 to C3")
        return rungs


class TransitionalIn(_Table):
    """A transitional rule of application.yaml."""

    placed_before: dt.date
    binds_from: dt.date
    rule: str = ""
    basis: RefIn


class DutyIn(_Table):
    """A duty in time of application.yaml."""

    name: str | None = None
    short: str | None = None
    who: str = ""
    applies_from: dt.date
    basis: RefIn
    transitional: TransitionalIn | None = None
    caveat: str = ""


class UnverifiedIn(_Table):
    """A legal statement of application.yaml not yet checked against its source."""

    id: Name | None = None
    duty: str | None = None
    statement: str
    check: str = ""


class ApplicationFile(_Table):
    """data/regulatory/application.yaml: from when each duty binds whom; legal statements not checked."""

    duties: dict[str, DutyIn]
    unverified: list[UnverifiedIn] = []


# --- Reading ----------------------------------------------------------------------------------------


def read_tables(data_dir: Path | str, vocabularies: Mapping[str, str], flag_codes: tuple[str, ...] = ()) -> Tables:
    """Return the tables of a data folder (cached; read again when a file changes).

    `vocabularies` maps each vocabulary prefix to its file in data/vocab/; `flag_codes` are the flag
    families flags.yaml must word. A project's own file wins over the copy packaged with brief."""
    paths = [table_path(data_dir, f"vocab/{name}") for name in vocabularies.values()]
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
                        f"cannot read the table: {exc.strerror or exc} "
                        "(expected the file in data/vocab/ or data/regulatory/)",
                    )
                ]
            ) from None
        stamps.append((str(path.resolve()), stat.st_mtime_ns, stat.st_size, _shown(path, data_dir)))
    return _load_tables(tuple(stamps), tuple(vocabularies), flag_codes)


def _shown(path: Path, data_dir: Path | str) -> str:
    """Return a table file as the user knows it: data/... inside the project, else its full path."""
    try:
        return str(Path(Path(data_dir).name) / path.resolve().relative_to(Path(data_dir).resolve()))
    except ValueError:
        return str(path)


_Stamp = tuple[str, int, int, str]


@functools.lru_cache(maxsize=8)
def _load_tables(stamps: tuple[_Stamp, ...], prefixes: tuple[str, ...], flag_codes: tuple[str, ...]) -> Tables:
    """Return the tables the files of `stamps` hold: the vocabularies (in `prefixes` order), then the rules."""
    problems: list[Problem] = []
    docs: list[Any] = []
    models: list[BaseModel | None] = []
    kinds: list[type[BaseModel]] = [VocabularyFile] * len(prefixes)
    kinds += [ClocksFile, FlagsFile, FrameworksFile, ApplicationFile]
    for (resolved, _mtime, _size, shown), kind in zip(stamps, kinds, strict=True):
        doc, model = _read(Path(resolved), kind, shown, problems)
        docs.append(doc)
        models.append(model)
    if problems:
        raise DataError(problems)
    shown_paths = tuple(stamp[3] for stamp in stamps)
    build = _Builder(dict(zip(shown_paths, docs, strict=True)))
    vocabularies = {}
    for prefix, model, shown in zip(prefixes, models, shown_paths, strict=False):
        assert isinstance(model, VocabularyFile)
        vocabularies[prefix] = build.vocabulary(prefix, model, shown)
    clocks, flags, frameworks, application = models[len(prefixes) :]
    assert isinstance(clocks, ClocksFile) and isinstance(flags, FlagsFile)
    assert isinstance(frameworks, FrameworksFile) and isinstance(application, ApplicationFile)
    rules = dict(zip(RULE_FILES, shown_paths[len(prefixes) :], strict=True))
    tables = build.tables(vocabularies, rules, clocks, flags, frameworks, application, flag_codes)
    if build.problems:
        raise DataError(build.problems)
    return tables


def _read(path: Path, kind: type[BaseModel], shown: str, problems: list[Problem]) -> tuple[Any, BaseModel | None]:
    """Return a file's line-marked document and its model (None, adding to `problems`, when it is wrong)."""
    try:
        doc = read_lined(path, shown)
    except DataError as exc:
        problems.extend(exc.problems)
        return None, None
    try:
        return doc, validate_table(doc, kind, shown)
    except DataError as exc:
        problems.extend(exc.problems)
        return doc, None


class _Builder:
    """Turn the validated files into a Tables, with the checks that span entries or files."""

    def __init__(self, docs: Mapping[str, Any]):
        self.docs = docs
        self.problems: list[Problem] = []

    def fail(self, shown: str, loc: tuple[Any, ...], message: str) -> None:
        """Record a problem at the field path `loc` of a file."""
        where = field_path(loc)
        self.problems.append(Problem(Location(shown, line_of(self.docs[shown], loc), where), message))

    def vocabulary(self, prefix: str, raw: VocabularyFile, shown: str) -> Vocabulary:
        """Return a vocabulary file as a Vocabulary, checking its prefix and that no term repeats."""
        if raw.vocabulary != prefix:
            self.fail(shown, ("vocabulary",), f"{raw.vocabulary!r} must be {prefix!r}")
        seen: set[str] = set()
        for i, term in enumerate(raw.terms):
            if fold(term.id) in seen:
                self.fail(shown, ("terms", i, "id"), f"duplicate term {term.id!r}")
            seen.add(fold(term.id))
        terms = tuple(
            Term(t.id, t.label, t.definition.strip(), t.locator, t.domain, t.kind or "term") for t in raw.terms
        )
        return Vocabulary(prefix, raw.name or prefix, raw.source, raw.locator, shown, terms)

    def tables(
        self,
        vocabularies: dict[str, Vocabulary],
        shown: Mapping[str, str],
        clocks: ClocksFile,
        flags: FlagsFile,
        frameworks: FrameworksFile,
        application: ApplicationFile,
        flag_codes: tuple[str, ...],
    ) -> Tables:
        """Return the Tables of the validated files."""
        regimes = self.regimes(clocks, shown["clocks.yaml"])
        duties = {did: _duty(did, body) for did, body in application.duties.items()}
        for rid, regime in regimes.items():
            if regime.in_time and regime.in_time not in duties:
                self.fail(
                    shown["clocks.yaml"],
                    ("regimes", rid, "in_time"),
                    f"unknown duty {regime.in_time!r} (expected one of {', '.join(duties)}; "
                    "the list is in application.yaml)",
                )
        for code in flag_codes:
            if code not in flags.flags:
                self.fail(shown["flags.yaml"], ("flags",), f"no entry for flag {code!r} (required)")
        app = shown["application.yaml"]
        unverified = tuple(
            Unverified(
                str(item.id if item.id is not None else i),
                item.duty,
                words(item.statement),
                words(item.check),
                f"{app}:{line}" if (line := line_of(self.docs[app], ("unverified", i))) else app,
            )
            for i, item in enumerate(application.unverified)
        )
        nist = flags.nist_ai_rmf
        return Tables(
            vocabularies=vocabularies,
            harm_types=self.harm_types(clocks, regimes, shown["clocks.yaml"]),
            regimes=regimes,
            working_days=clocks.counting.working_days,
            roll_forward=clocks.counting.roll_forward,
            flags=flags.flags,
            nist_source=nist.source,
            nist=tuple(
                NistRule(
                    r.id, r.locator or r.id, words(r.text), tuple(r.levels), r.realised_harm, words(r.hook), r.hooks
                )
                for r in nist.subcategories
            ),
            frameworks={fid: _framework(fid, body) for fid, body in frameworks.frameworks.items()},
            rungs=frameworks.rungs,
            cop_locators=frameworks.cop_locators,
            levels=frameworks.levels,
            paths=tuple(self.docs),
            duties=duties,
            unverified=unverified,
        )

    def regimes(self, clocks: ClocksFile, shown: str) -> dict[str, Regime]:
        """Return the reporting regimes of clocks.yaml; each must set an initial report."""
        regimes = {}
        for rid, body in clocks.regimes.items():
            if "initial" not in body.milestones:
                self.fail(shown, ("regimes", rid, "milestones"), "no initial report (expected milestones.initial)")
            basis = tuple(r.ref() for r in body.basis)
            regimes[rid] = Regime(
                id=rid,
                name=body.name or rid,
                short=body.short or rid,
                duty=words(body.duty),
                who=body.who,
                to=body.to,
                aware_of=body.aware_of,
                source=basis[-1].source if basis else "",
                basis=basis,
                applies_from=body.applies_from,
                applies_from_basis=body.applies_from_basis.ref() if body.applies_from_basis else Ref("", None, ""),
                milestones=tuple(
                    MilestoneRule(kind, m.label, words(m.rule), m.locator, m.every_days, m.days_after_resolution)
                    for kind, m in body.milestones.items()
                ),
                caveat=words(body.caveat),
                in_time=body.in_time or None,
            )
        return regimes

    def harm_types(self, clocks: ClocksFile, regimes: Mapping[str, Regime], shown: str) -> dict[str, HarmType]:
        """Return the harm types of clocks.yaml; each period must name a known regime."""
        out = {}
        for hid, body in clocks.harm_types.items():
            for rid in body.clocks:
                if rid not in regimes:
                    self.fail(
                        shown,
                        ("harm_types", hid, "clocks", rid),
                        f"unknown regime (expected one of {', '.join(regimes)})",
                    )
            rules = {rid: ClockRule(r.days, r.locator) for rid, r in body.clocks.items() if rid in regimes}
            out[hid] = HarmType(hid, words(body.label or hid), body.art3_49, rules, words(body.note))
        return out


def _duty(did: str, body: DutyIn) -> Duty:
    """Return a duty of application.yaml as a record."""
    t = body.transitional
    return Duty(
        did,
        body.name or did,
        body.short or did,
        body.who,
        body.applies_from,
        body.basis.ref(),
        Transitional(t.placed_before, t.binds_from, words(t.rule), t.basis.ref()) if t else None,
        words(body.caveat),
    )


def _framework(fid: str, body: FrameworkIn) -> Framework:
    """Return a developer framework of frameworks.yaml as a record."""
    thresholds = tuple(Threshold(fid, t.id, t.label or t.id, t.domain, t.rung, t.locator) for t in body.thresholds)
    return Framework(fid, body.name or fid, body.short or fid, body.source, thresholds, body.note, body.developer)
