"""Typed records of the data model (docs/data-model.md). No I/O here.

Every record loaded from a file carries `origin`, the Location it came from; loaders set it, and
validation messages name it. Prose fields (summaries, claim notes, rationales) are Markdown with
pandoc citation markers: `... in 84% of rollouts [@anthropic-2025-syscard, sec. 4.1.1.2].`
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from typing import Annotated, Any, Callable, ClassVar, Iterator, Literal, NoReturn, Self, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from brief.core import audiences
from brief.core.errors import Location
from brief.load.yamlio import line_of

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
MARKING_PATTERN = r"[A-Z0-9][A-Z0-9 /:-]{0,40}"
AUDIENCE_NAMES = audiences.NAMES
Id = Annotated[str, Field(pattern=ID_PATTERN, min_length=1, max_length=120)]
OutputFormat = Literal["html", "pdf", "docx"]  # the files a brief is built as


def _default_formats() -> list[OutputFormat]:
    """Return the formats of a brief that names none: HTML and PDF."""
    return ["html", "pdf"]


class SharedFieldsSet(set[str]):
    """The `model_fields_set` of many records loaded with the same fields (see Record.share_fields_set)."""


class Record(BaseModel):
    """Base of every curated record: unknown keys are errors; origin is set by the loader."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False)
    # The origin (a Location, or a callable the loader defers it to) and the parsed document (for
    # the line of any field) live in the instance dict under "_origin" and "_doc", not in pydantic
    # private attributes: those cost an extra initialisation per nested record, about half the
    # validation time of a large project. Neither is a field: dumps and equality ignore them.

    @property
    def origin(self) -> Location | None:
        origin = self.__dict__.get("_origin")
        if callable(origin):  # deferred by the loader: the line is looked up when first asked for
            origin = self.__dict__["_origin"] = origin()
        return origin

    def with_overlay(self, place: "Record", fields: frozenset[str]) -> "Record":
        """Say that `fields` of this record come from another file, located by `place` (an assessment overlay)."""
        place.__dict__["fields"] = fields
        self.__dict__["_overlay"] = place
        return self

    def with_origin(self, origin: Location | Callable[[], Location], doc: Any = None) -> Self:
        """Give this record its origin (or a callable that finds it) and its parsed document; return the record."""
        self.__dict__["_origin"] = origin
        self.__dict__["_doc"] = doc
        return self

    def share_fields_set(self, pool: dict[frozenset[str], SharedFieldsSet]) -> None:
        """Share this record's set of given field names with records of the same shape.

        pydantic keeps that set per instance: about 2 KB for a record with a dozen fields, a fifth
        of a large project's memory. Assigning a field gives the record its own set again."""
        own = self.__pydantic_fields_set__
        key = frozenset(own)
        shared = pool.get(key)
        if shared is None:
            shared = pool[key] = SharedFieldsSet(own)
        object.__setattr__(self, "__pydantic_fields_set__", shared)

    def __setattr__(self, name: str, value: Any) -> None:
        if type(self.__pydantic_fields_set__) is SharedFieldsSet:
            object.__setattr__(self, "__pydantic_fields_set__", set(self.__pydantic_fields_set__))
        super().__setattr__(name, value)

    def locate(self, field: str) -> Location:
        """Return the Location of a field path like `claims[1].sources[0].id` in this record's file."""
        overlay: Record | None = self.__dict__.get("_overlay")  # an assessment overlay's fields are in its own file
        if overlay is not None and field and re.split(r"[.\[]", field, maxsplit=1)[0] in overlay.__dict__["fields"]:
            return overlay.locate(field)
        base = self.origin or Location("?")
        line = base.line
        doc = self.__dict__.get("_doc")
        if callable(doc):  # deferred by the loader (load/dataset.py): parsed with line marks on demand
            doc = self.__dict__["_doc"] = doc()
        if doc is not None and field:
            parts: list[str | int] = []
            for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", field):
                parts.append(int(index) if index else name)
            line = line_of(doc, tuple(parts)) or line
        return Location(base.path, line, field)


class DateWithoutDay(ValueError):
    """Day arithmetic (a deadline, a review date) on a date known only to the month or year."""


class PartialDate(dt.date):
    """A date known to the month (`2023-04`) or the year (`2023`) only.

    It prints at its precision (`isoformat()` gives "2023-04"; render's long_date "April 2023"),
    sorts and compares by the start of its period (so it never counts as newer than a day within
    it), equals only a PartialDate of the same precision, and refuses day arithmetic: adding days
    to "April 2023" would invent a day."""

    __slots__ = ("precision",)
    precision: str  # "month" or "year"

    def __new__(cls, year: int, month: int | None = None) -> "PartialDate":
        self = super().__new__(cls, year, month or 1, 1)
        self.precision = "month" if month else "year"
        return self

    def isoformat(self) -> str:
        return f"{self.year:04d}-{self.month:02d}" if self.precision == "month" else f"{self.year:04d}"

    __str__ = isoformat

    def __repr__(self) -> str:
        return f"PartialDate({self.isoformat()!r})"

    def __reduce__(self) -> tuple[type[PartialDate], tuple[int, int | None]]:
        return (PartialDate, (self.year, self.month if self.precision == "month" else None))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, dt.date):
            return date_precision(other) == self.precision and dt.date.__eq__(self, other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        return hash((self.year, self.month if self.precision == "month" else 0, self.precision))

    def _no_days(self, other: object) -> NoReturn:
        raise DateWithoutDay(
            f"the date {self.isoformat()} has no day: counting days from it needs a full date (expected YYYY-MM-DD)"
        )

    __add__ = __radd__ = __sub__ = __rsub__ = _no_days


def date_precision(day: dt.date) -> str:
    """Return "day", "month" or "year": how much of a date is known."""
    return getattr(day, "precision", "day")


_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


def parse_partial(value: Any) -> Any:
    """Turn '2023' or '2023-04' (or YAML's 2023) into a PartialDate; anything else is returned as given."""
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
        return PartialDate(value)
    if isinstance(value, str):
        m = _PARTIAL_DATE.match(value.strip())
        if m:
            month = int(m.group(2)) if m.group(2) else None
            if month is not None and not 1 <= month <= 12:
                raise ValueError(
                    f"bad date {value!r} (month {month} does not exist; expected YYYY, YYYY-MM or YYYY-MM-DD)"
                )
            return PartialDate(int(m.group(1)), month)
    return value


def _date_not_number(value: Any) -> Any:
    # YAML hands over numbers where a date was meant; pydantic would read `date: 0` as 1970-01-01.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f"bad date {value!r} (expected YYYY-MM-DD, a real calendar date)")
    if isinstance(value, str) and _PARTIAL_DATE.match(value.strip()):
        raise ValueError(
            (
                f"the date {value!r} has no day: this date counts days (a deadline or review), so it needs a "
                "full date (expected YYYY-MM-DD)"
            )
        )
    return value


def _date_at_precision(value: Any) -> Any:
    # A year or a month is a date too: 10,203 of 15,666 records of one data set give no day.
    value = parse_partial(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f"bad date {value!r} (expected YYYY-MM-DD, a real calendar date)")
    return value


def _iso(day: dt.date) -> str:
    return day.isoformat()


def _number_not_bool(value: Any) -> Any:
    # ... and booleans where a count was meant: pydantic would read `severity: true` as 1.
    if isinstance(value, bool):
        raise ValueError("wrong type: true/false (expected a number)")
    return value


# Dates and numbers of curated records: refuse the silent coercions above, with the field's line.
# (Only these fields run Python during validation; everything else stays in pydantic-core.)
Date = Annotated[
    dt.date,
    BeforeValidator(_date_at_precision),
    PlainSerializer(_iso, return_type=str, when_used="json"),
    WithJsonSchema(
        {"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$", "description": "YYYY, YYYY-MM or YYYY-MM-DD"}
    ),
]
Day = Annotated[dt.date, BeforeValidator(_date_not_number)]  # a date days are counted from: a full date only
Int = Annotated[int, BeforeValidator(_number_not_bool)]
Float = Annotated[float, BeforeValidator(_number_not_bool)]


# --- Sources -----------------------------------------------------------------------------------


class Reliability(str, Enum):
    """How close a source is to the facts it reports."""

    primary = "primary"  # the developer's or evaluator's own publication; legislation
    secondary = "secondary"  # press, commentary, third-party summaries
    social = "social"  # posts on social media


class Verification(str, Enum):
    """How far a source itself was checked before curation."""

    consulted = "consulted"  # read (live or archived copy) by the curator
    corroborated = "corroborated"  # title/URL/date seen in several citations, not read
    listed = "listed"  # listed by an incident database or data set brief imported; no analyst has read it
    unverified = "unverified"  # could not be found or checked


class CaptureNote(Record):
    """Why a source has no capture under data/captures/ (`brief capture`): a reviewed decision."""

    status: Literal["unavailable"]
    reason: str = Field(min_length=1)  # e.g. "PDF not reachable from this workplace; quotes from ..."


class Source(Record):
    """A CSL-JSON item plus brief's own fields (reliability, archived, accessed, checked)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id: Id
    type: str
    title: str = Field(min_length=1)
    reliability: Reliability
    verification: Verification  # no default: leaving it out must not claim the source was read
    checked: str | None = None  # how it was checked, in words
    archived: str | None = None  # URL of an archived copy
    capture: CaptureNote | None = None  # why there is no capture to check quotes against (evidence.py)
    URL: str | None = None
    accessed: dict[str, Any] | None = None
    issued: dict[str, Any] | None = None
    licence: str | None = None  # the record's own content licence where it has one, e.g. "CC BY-SA 4.0"

    # CSL-JSON item types we accept (CSL 1.0.2).
    CSL_TYPES: ClassVar[frozenset[str]] = frozenset(
        """article article-journal article-magazine article-newspaper bill book broadcast chapter
        classic collection dataset document entry entry-dictionary entry-encyclopedia event figure
        graphic hearing interview legal_case legislation manuscript map motion_picture musical_score
        pamphlet paper-conference patent performance periodical personal_communication post
        post-weblog regulation report review review-book software song speech standard thesis
        treaty webpage""".split()
    )
    # CSL-JSON item variables (CSL 1.0.2 csl-data.json), the extra keys a source may carry.
    CSL_VARIABLES: ClassVar[frozenset[str]] = frozenset(
        """id type citation-key categories language journalAbbreviation shortTitle author chair
        collection-editor compiler composer container-author contributor curator director editor
        editorial-director executive-producer guest host interviewer illustrator narrator organizer
        original-author performer producer recipient reviewed-author script-writer series-creator
        translator accessed available-date event-date issued original-date submitted abstract annote
        archive archive_collection archive_location archive-place authority call-number chapter-number
        citation-number citation-label collection-number collection-title container-title
        container-title-short dimensions division DOI edition event event-title event-place
        first-reference-note-number genre ISBN ISSN issue jurisdiction keyword locator medium note
        number number-of-pages number-of-volumes original-publisher original-publisher-place
        original-title page page-first part part-title PMCID PMID printing publisher publisher-place
        references reviewed-genre reviewed-title scale section source status supplement title
        title-short URL version volume volume-title volume-title-short year-suffix custom""".split()
    )

    @field_validator("type")
    @classmethod
    def _csl_type(cls, value: str) -> str:
        if value not in cls.CSL_TYPES:
            raise ValueError(
                (
                    f"unknown CSL item type {value!r} (expected one of the CSL 1.0.2 types, e.g. report, "
                    "webpage, article-newspaper, legislation)"
                )
            )
        return value

    def csl(self) -> dict[str, Any]:
        """Return the plain CSL-JSON item (brief's own fields removed)."""
        data = self.model_dump(mode="json", exclude_none=True, by_alias=True)
        for own in ("reliability", "verification", "checked", "archived", "capture", "licence"):
            data.pop(own, None)
        return data

    @property
    def year(self) -> int | None:
        parts = (self.issued or {}).get("date-parts") or [[None]]
        return parts[0][0] if parts and parts[0] else None


# --- Incidents and claims ----------------------------------------------------------------------


class ClaimStatus(str, Enum):
    """Verification status of one checkable statement."""

    confirmed = "confirmed"
    partly_accurate = "partly-accurate"
    unverified = "unverified"
    contradicted = "contradicted"


class SourceRef(Record):
    """A pointer from a claim into a source: id, locator (pandoc syntax) and a short quote."""

    id: Id
    locator: str | None = None  # e.g. "sec. 4.1.1.2, p. 27"
    quote: str | None = None
    page: Annotated[int, Field(ge=1), BeforeValidator(_number_not_bool)] | None = (
        None  # page of the quote, when the locator names one
    )


class Claim(Record):
    """One checkable statement with its sources, status and (for press claims) the correction."""

    id: Id
    text: str = Field(min_length=1)  # the statement, as worded by whoever made it
    status: ClaimStatus
    note: str | None = None  # what the evidence says; the correction when not confirmed
    sources: list[SourceRef] = Field(default_factory=list)  # evidence (primary where possible)
    reported_by: list[SourceRef] = Field(default_factory=list)  # who made or repeated the claim
    kind: Literal["finding", "press"] = "finding"  # "press": a claim made in reporting
    # The public brief's correction of a press claim, in plain words (cited); the public brief lists
    # the press claims that have one.
    plain: str | None = None
    as_of: Date | None = None  # a claim that can go stale: the date its source says it held


class IncidentKind(str, Enum):
    incident = "incident"  # realised harm
    hazard = "hazard"  # could plausibly have led to harm
    research_finding = "research-finding"  # elicited in evaluation or research


class Capability(Record):
    """Rubric input C and Cs: capability status for a catastrophic-risk domain."""

    domain: str | None = None
    status: Int = Field(ge=0, le=3)
    safeguards_verified: Literal["yes", "no", "unknown"] = "unknown"

    @field_validator("safeguards_verified", mode="before")
    @classmethod
    def _yaml_bool(cls, value: Any) -> Any:
        # YAML 1.1 reads an unquoted yes/no as a boolean.
        return {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else value


class Confidence(Record):
    """Rubric confidence inputs (IPCC-style evidence and agreement)."""

    evidence: Literal["limited", "medium", "robust"]
    agreement: Literal["low", "medium", "high"]
    statement: str | None = None  # the reason, in one or two sentences (cited)


class Override(Record):
    """An analyst's override of the computed level (rubric section 7)."""

    level: Literal["Low", "Moderate", "High", "Critical"]
    justification: str = ""
    analyst: str = ""
    date: Day | None = None
    reviewer: str | None = None
    review_by: Day | None = None


class RiskInputs(Record):
    """Curated rubric inputs for one incident (rubric section 2)."""

    rubric: str = "v0.1"
    horizon_months: Int = Field(default=12, ge=1, le=120)
    severity: Int = Field(ge=1, le=5)
    evidence: Int = Field(ge=0, le=4)
    likelihood: Int = Field(ge=1, le=5)
    capability: Capability = Field(default_factory=lambda: Capability(status=0))
    breadth: Int = Field(ge=0, le=2)
    reversibility: Int = Field(ge=0, le=2)
    fatal_or_ci_or_widespread: bool = False  # F2: death, critical infrastructure, widespread infringement
    confidence: Confidence
    rationale: dict[str, str] = Field(default_factory=dict)  # input name -> cited sentence
    override: Override | None = None


class Tags(Record):
    """Taxonomy tags (controlled vocabularies) and free topic tags used for brief scope."""

    mit: list[str] = Field(default_factory=list)  # MIT AI Risk Repository subdomains, e.g. "7.1"
    cop: list[str] = Field(default_factory=list)  # GPAI CoP specified systemic risks
    nist: list[str] = Field(default_factory=list)  # NIST AI 600-1 risks
    oecd: list[str] = Field(default_factory=list)  # OECD harm types
    rmf: list[str] = Field(
        default_factory=list
    )  # NIST AI RMF 1.0 functions, categories, subcategories, e.g. "MEASURE-2.7"
    topics: list[str] = Field(default_factory=list)  # free tags, e.g. self-preservation


class TimelineEntry(Record):
    date: Date
    event: str
    source: Id | None = None


class FrameworkReport(Record):
    """What a developer reported under its own frontier-safety framework (flag FRONTIER)."""

    framework: str  # a framework id of data/regulatory/frameworks.yaml, e.g. anthropic-rsp
    threshold: str  # a threshold id or label of that framework, e.g. ASL-3
    status: Literal["reached", "cannot-rule-out", "alert", "ruled-out"]
    domain: str | None = None  # the CoP specified systemic risk it concerns, e.g. cbrn
    source: Id  # the developer's report
    locator: str | None = None
    note: str | None = None  # Markdown with citations
    as_of: Date | None = None  # the date of the developer's report: a status that can change


STATUS_FACTS = ("placed-on-market", "cop-signatory", "systemic-risk-designation", "deployment", "pending-determination")
# The values of a status fact that establish what a recommendation may presuppose.
ESTABLISHED_VALUES = frozenset({"yes", "designated", "notified", "presumed", "deployed", "pending"})


def _iso_value(value: Any) -> Any:
    # YAML reads an unquoted 2025-05-22 as a date: a placing-on-market value is kept as its ISO text.
    return value.isoformat() if isinstance(value, dt.date) else value


class StatusFact(Record):
    """A status fact that can go stale: what held as of a date, per its source.

    `text` says it in the present tense and `past` in the past tense; a brief prints `past` with its
    date once the fact is older than the brief's `stale_after_months` ("As of 22 May 2025, ...")."""

    fact: Literal[
        "placed-on-market", "cop-signatory", "systemic-risk-designation", "deployment", "pending-determination"
    ]
    # placed-on-market: the date (YYYY-MM-DD); cop-signatory: yes, no; systemic-risk-designation:
    # designated, notified, presumed, no; deployment: deployed, withdrawn; pending-determination:
    # pending, determined; any of them: not-established (no curated source settles it).
    value: Annotated[str, BeforeValidator(_iso_value)]
    model: str | None = None  # the model it concerns (default: the incident's first model)
    as_of: Date | None = None  # the date the source says it held; None only for not-established
    text: str = Field(min_length=1)  # Markdown with citations, present tense
    past: str | None = None  # the same in the past tense, for a stale fact
    source: Id | None = None
    locator: str | None = None

    @property
    def established(self) -> bool:
        return self.value in ESTABLISHED_VALUES or (self.fact == "placed-on-market" and self.value != "not-established")


class RegulatoryFacts(Record):
    """Curated inputs of the regulatory flags (regulatory.py); unset ones are derived or unknown."""

    realised_harm: bool | None = None  # None: derived from risk.evidence (E4) or kind
    harm_types: list[str] = Field(default_factory=list)  # realised harm, data/regulatory/clocks.yaml ids
    awareness_date: Day | None = None  # when the provider became aware (reporting clocks start)
    resolved_date: Day | None = None  # when the incident was resolved (final report)
    high_risk_system: bool | None = None  # a high-risk AI system under AI Act Art. 6 (Art. 73)
    gpai_systemic_risk: Literal["designated", "presumed", "unknown", "no"] | None = None  # AI Act Art. 51
    training_compute_disclosed: bool | None = None  # Art. 51(2) presumption: more than 10^25 FLOP
    cop_signatory: bool | None = None  # the provider signed the GPAI Code of Practice
    disaster: bool = False  # OECD "AI disaster": disrupts the functioning of a community or society
    framework_reports: list[FrameworkReport] = Field(default_factory=list)
    status: list[StatusFact] = Field(default_factory=list)  # dated, sourced status facts
    rationale: dict[str, str] = Field(default_factory=dict)  # fact name -> cited sentence


class SourceRating(Record):
    """A rating the source data set gives an incident (e.g. its "severity"): the source's word, never our risk level."""

    source: Id  # the source (data set row) that gives it
    name: str = Field(min_length=1)  # what the data set calls it, e.g. "severity"
    value: str = Field(min_length=1)  # the data set's value, as given


class Suppression(Record):
    """A library recommendation withheld from one incident, and why."""

    id: Id
    reason: str = Field(min_length=1)  # Markdown with citations


class PlainIncident(Record):
    """An incident in plain words, for the public brief (short sentences, everyday words, cited)."""

    title: str | None = None  # a plain heading; the incident's title when not given
    summary: str = Field(min_length=1)  # Markdown with citations; every number keeps its condition


class Incident(Record):
    """One incident, hazard or research finding, with its claims (one YAML file each)."""

    id: Id
    title: str = Field(min_length=1)
    short_title: str | None = None  # its name in tables ("Claude Opus 4: blackmail test")
    kind: IncidentKind
    date: Date  # when it happened or was first published
    developer: str | None = None
    deployer: str | None = None
    models: list[str] = Field(default_factory=list)
    summary: str = Field(min_length=1)  # Markdown with citations
    tags: Tags = Field(default_factory=Tags)
    claims: list[Claim] = Field(default_factory=list)
    risk: RiskInputs | None = None  # None: not yet assessed
    recommendations: list[Id] = Field(default_factory=list)
    evaluations: list[str] = Field(default_factory=list)  # evaluation names (the CSV's `evaluation` column)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    related: list[Id] = Field(default_factory=list)
    regulatory: RegulatoryFacts | None = None  # inputs of the regulatory flags and clocks
    suppress: list[Suppression] = Field(default_factory=list)  # library recommendations withheld
    plain: PlainIncident | None = None  # the public brief's wording; None: not yet written
    # Record status: a retracted record stays in the data but leaves briefs unless named.
    status: Literal["retracted", "disputed"] | None = None
    status_reason: str | None = None  # why (Markdown with citations); required with a status
    status_source: Id | None = None  # who retracted or disputes it
    licence: str | None = None  # the record's own content licence where it differs from the project's
    source_ratings: list[SourceRating] = Field(default_factory=list)  # the data set's own ratings (not our risk level)

    @model_validator(mode="after")
    def _status_explained(self) -> "Incident":
        if self.status is not None and not (self.status_reason or "").strip():
            raise ValueError(f"status_reason: a {self.status} record needs a reason (say who {self.status} it and why)")
        return self

    @property
    def assessed(self) -> bool:
        return self.risk is not None

    @property
    def reassess(self) -> list[str]:
        """The upstream fields that changed since this incident's assessment overlay was written."""
        return list(self.__dict__.get("_reassess", ()))

    @property
    def assessment_file(self) -> str | None:
        """The assessment overlay (data/assessments/<id>.yaml) merged over this record, if any."""
        overlay = self.__dict__.get("_overlay")
        return overlay.origin.path if overlay is not None and overlay.origin else None

    def field_origin(self, name: str) -> str | None:
        """Return the file a top-level field came from: the assessment overlay or the record's own file."""
        overlay = self.__dict__.get("_overlay")
        if overlay is not None and name in overlay.fields:
            return overlay.origin.path if overlay.origin else None
        return self.origin.path if self.origin else None


# --- Evaluations -------------------------------------------------------------------------------


class Evaluation(Record):
    """One evaluation result (one CSV row)."""

    id: Id
    evaluation: str = Field(min_length=1)
    model: str = Field(min_length=1)
    developer: str | None = None
    evaluator: str | None = None
    condition: str = Field(min_length=1)
    metric: str = Field(min_length=1)
    value: Float | None = None
    unit: Literal["percent", "proportion", "count", "ratio", "score"] = "percent"
    value_text: str | None = None  # the source's words where no number is given
    n: Annotated[int, Field(ge=0), BeforeValidator(_number_not_bool)] | None = None
    n_note: str | None = None  # e.g. "100 samples (Fig. 7 caption)"
    interval_low: Float | None = None
    interval_high: Float | None = None
    date: Date | None = None
    source: Id
    locator: str | None = None
    verification: Literal["P", "P-fig"] = "P"  # P: primary text; P-fig: primary figure, transcribed
    note: str | None = None

    @model_validator(mode="after")
    def _value_in_range(self) -> "Evaluation":
        if self.value is None and not self.value_text:
            raise ValueError("value: give a number, or value_text with the source's words")
        if self.value is not None:
            if self.value != self.value or self.value in (float("inf"), float("-inf")):
                raise ValueError("value: must be a finite number")
            if self.unit == "percent" and not 0 <= self.value <= 100:
                raise ValueError(f"value: {self.value:g} is out of range for a percentage (expected 0 to 100)")
            if self.unit == "proportion" and not 0 <= self.value <= 1:
                raise ValueError(f"value: {self.value:g} is out of range for a proportion (expected 0 to 1)")
            if self.unit == "count" and self.value < 0:
                raise ValueError(f"value: {self.value:g} is a negative count")
            if self.unit == "count" and self.n is not None and self.value > self.n:
                raise ValueError(f"value: count {self.value:g} is larger than n = {self.n}")
        for name in ("interval_low", "interval_high"):
            bound = getattr(self, name)
            if bound is not None and self.unit == "percent" and not 0 <= bound <= 100:
                raise ValueError(f"{name}: {bound:g} is out of range for a percentage (expected 0 to 100)")
            if bound is not None and self.unit == "proportion" and not 0 <= bound <= 1:
                raise ValueError(f"{name}: {bound:g} is out of range for a proportion (expected 0 to 1)")
        return self

    @property
    def share(self) -> float | None:
        """The value as a proportion 0..1, where it is one."""
        if self.value is None:
            return None
        if self.unit == "percent":
            return self.value / 100
        if self.unit == "proportion":
            return self.value
        if self.unit == "count" and self.n:
            return self.value / self.n
        return None


# --- Recommendations ---------------------------------------------------------------------------


class Addressee(str, Enum):
    regulator = "regulator"
    developer = "developer"
    deployer = "deployer"
    standards_body = "standards-body"
    evaluator = "evaluator"


class Triggers(Record):
    """When a library recommendation fires for an incident: any listed value of each given list, all lists."""

    levels: list[Literal["Low", "Moderate", "High", "Critical"]] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)  # any tag of any vocabulary, e.g. "cop:loss_of_control"
    kinds: list[IncidentKind] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)  # any regulatory flag token, e.g. "EU.ART3_49", "EU.GPAI_SR=unknown"
    evidence: list[Annotated[int, Field(ge=0, le=4)]] = Field(default_factory=list)  # any rubric evidence stage E0-E4


class Recommendation(Record):
    """A library recommendation: addressee, priority, text and cited rationale."""

    id: Id
    text: str = Field(min_length=1)
    addressee: Addressee
    priority: Int = Field(ge=1, le=3)  # 1 highest
    rationale: str = Field(min_length=1)  # Markdown with citations
    triggers: Triggers = Field(default_factory=Triggers)
    question: str | None = None  # the question to put to the provider, where one follows
    clock: Literal["initial", "intermediate", "final"] | None = (
        None  # its deadline: this report of the incident's clock
    )
    # The duties (data/regulatory/application.yaml ids) it rests on: while one does not yet
    # bind the provider at the edition date, the brief prints `request_text` (a request, never
    # enforcement) and no priority above 2.
    rests_on: list[str] = Field(default_factory=list)
    request_text: str | None = None
    # The status facts it presupposes (StatusFact.fact names): withheld while one is not established.
    presupposes: list[
        Literal["placed-on-market", "cop-signatory", "systemic-risk-designation", "deployment", "pending-determination"]
    ] = Field(default_factory=list)


# --- Briefs ------------------------------------------------------------------------------------


class Scope(Record):
    incidents: list[Id] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)


# ICD 203's likelihood terms; the rubric's likelihood scale says which band each one prints with.
Likelihood = Literal[
    "almost no chance",
    "very unlikely",
    "unlikely",
    "roughly even chance",
    "likely",
    "very likely",
    "almost certain",
]
LIKELIHOOD_WORDS: tuple[str, ...] = get_args(Likelihood)


def _judgement_text(value: Any) -> Any:
    # A key judgement may be written as plain Markdown; it then carries no likelihood or confidence.
    return {"text": value} if isinstance(value, str) else value


class KeyJudgement(Record):
    """A key judgement (ICD 203): the statement, and where it is a judgement, its likelihood and confidence."""

    text: str = Field(min_length=1)  # Markdown with citations
    likelihood: Likelihood | None = None
    confidence: Literal["low", "moderate", "high"] | None = None


class Decision(Record):
    """A decision page 1 asks of its reader: a recommendation, whose it is and by when."""

    recommendation: Id
    owner: str | None = None  # default: the brief's owner for the recommendation's addressee
    by: Date | None = None  # default: from the recommendation's priority and the edition date


class PlainBrief(Record):
    """The public brief's own wording: plain words at US grade 8 or below, cited like all prose."""

    subtitle: str | None = None
    bottom_line: str | None = None  # Markdown with citations
    key_judgements: list[str] = Field(default_factory=list)  # Markdown with citations
    # What the findings mean for readers (members of the public), not what regulators should do.
    for_readers: list[str] = Field(default_factory=list)  # Markdown with citations


def _known_audiences(value: dict[str, Any]) -> dict[str, Any]:
    """Refuse a mapping keyed by an audience brief does not have."""
    for audience in value:
        if audience not in AUDIENCE_NAMES:
            raise ValueError(f"unknown audience {audience!r} (expected one of {', '.join(AUDIENCE_NAMES)})")
    return value


class BriefSpec(Record):
    """One brief (briefs/<id>.yaml): what it covers, for whom, how often."""

    id: Id
    title: str = Field(min_length=1)
    subtitle: str | None = None
    scope: Scope
    focus: Id | None = None  # the incident the brief centres on (its risk level is the headline)
    audiences: list[str] = Field(default_factory=lambda: ["regulator"])
    cadence: Literal["monthly", "quarterly"] = "monthly"
    classification: str = "OFFICIAL"
    authors: list[str] = Field(default_factory=list)
    key_judgements: list[Annotated[KeyJudgement, BeforeValidator(_judgement_text)]] = Field(default_factory=list)
    bottom_line: str | None = None
    citation_style: str | None = None  # overrides brief.toml
    # "compendium": one page per incident in scope (templates/compendium/), for large scopes; sources
    # are referenced in the text and listed at the end instead of footnoted.
    layout: Literal["standard", "compendium"] = "standard"
    # Marking printed on every page, per audience; by default the classification, and PUBLIC for
    # the public brief (which carries no internal marking). E.g. {executive: "OFFICIAL-SENSITIVE"}.
    markings: dict[str, str] = Field(default_factory=dict)
    # Who owns the decisions page 1 asks for, by addressee: {regulator: "AI Office, Model Evaluation Unit"}.
    owners: dict[str, str] = Field(default_factory=dict)
    # The decisions page 1 asks of the reader (at most three); by default the first recommendations
    # of the focus incident addressed to the reader, by priority.
    decisions: list[Decision] = Field(default_factory=list, max_length=3)
    # Page budget per audience, over the audience's default (`brief build` warns when a PDF exceeds it).
    pages: dict[str, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)
    plain: PlainBrief | None = None  # the public brief's wording (check/readability.py checks it)
    # A status fact older than this is printed in the past tense with its date.
    stale_after_months: Int = Field(default=6, ge=1, le=120)
    # The files of each audience (`brief build --format` overrides): HTML always, PDF, Word (.docx).
    formats: list[OutputFormat] = Field(default_factory=_default_formats, min_length=1)

    @field_validator("classification")
    @classmethod
    def _marking(cls, value: str) -> str:
        if not re.fullmatch(MARKING_PATTERN, value):
            raise ValueError(
                (
                    f"classification marking {value!r} must be upper case letters, digits, spaces, '/', ':' or "
                    "'-' (e.g. OFFICIAL)"
                )
            )
        return value

    @field_validator("pages")
    @classmethod
    def _page_audiences(cls, value: dict[str, int]) -> dict[str, int]:
        return _known_audiences(value)

    @field_validator("owners")
    @classmethod
    def _owner_addressees(cls, value: dict[str, str]) -> dict[str, str]:
        names = [a.value for a in Addressee]
        for addressee in value:
            if addressee not in names:
                raise ValueError(f"unknown addressee {addressee!r} (expected one of {', '.join(names)})")
        return value

    @field_validator("markings")
    @classmethod
    def _markings(cls, value: dict[str, str]) -> dict[str, str]:
        _known_audiences(value)
        for audience, marking in value.items():
            if not re.fullmatch(MARKING_PATTERN, marking):
                raise ValueError(
                    (
                        f"marking {marking!r} for {audience} must be upper case letters, digits, spaces, '/', "
                        "':' or '-' (e.g. PUBLIC)"
                    )
                )
        return value

    def marking(self, audience: str) -> str:
        """Return the marking printed on every page of this audience's brief."""
        if audience in self.markings:
            return self.markings[audience]
        return audiences.get(audience).marking or self.classification


# --- Prose -------------------------------------------------------------------------------------


def prose_fields(record: Record, sourced_events: bool = True) -> Iterator[tuple[str, str]]:
    """Yield (field path, Markdown) for every prose field a brief prints from `record`
    (`sourced_events=False`: not the timeline events that carry a `source`, which cites them).

    The one list of them: the citation check (validate.py) and the numbers check (numbers.py) read
    exactly these. Incidents: summary, claim notes, risk rationales, confidence statement, override
    justification, timeline events, regulatory rationales, suppression reasons; recommendations:
    text, rationale, question; briefs: key judgements, bottom line. (Claim texts and table rows
    carry their sources as fields, not as markers.)"""
    if isinstance(record, Incident):
        yield "summary", record.summary
        for i, claim in enumerate(record.claims):
            if claim.note:
                yield f"claims[{i}].note", claim.note
        if record.risk:
            for name, text in record.risk.rationale.items():
                yield f"risk.rationale.{name}", text
            if record.risk.confidence.statement:
                yield "risk.confidence.statement", record.risk.confidence.statement
            if record.risk.override and record.risk.override.justification:
                yield "risk.override.justification", record.risk.override.justification
        for i, entry in enumerate(record.timeline):
            if sourced_events or not entry.source:
                yield f"timeline[{i}].event", entry.event
        for name, text in (record.regulatory.rationale if record.regulatory else {}).items():
            yield f"regulatory.rationale.{name}", text
        for i, fact in enumerate(record.regulatory.status if record.regulatory else ()):
            yield f"regulatory.status[{i}].text", fact.text
            if fact.past:
                yield f"regulatory.status[{i}].past", fact.past
        for i, sup in enumerate(record.suppress):
            yield f"suppress[{i}].reason", sup.reason
        if record.plain:
            yield "plain.summary", record.plain.summary
        for i, claim in enumerate(record.claims):
            if claim.plain:
                yield f"claims[{i}].plain", claim.plain
    elif isinstance(record, Recommendation):
        yield "text", record.text
        if record.request_text:
            yield "request_text", record.request_text
        yield "rationale", record.rationale
        if record.question:
            yield "question", record.question
    elif isinstance(record, BriefSpec):
        for i, kj in enumerate(record.key_judgements):
            yield f"key_judgements[{i}].text", kj.text
        if record.bottom_line:
            yield "bottom_line", record.bottom_line
        if record.plain:
            yield from plain_fields(record)


def plain_fields(spec: BriefSpec) -> Iterator[tuple[str, str]]:
    """Yield (field path, Markdown) for the public wording of a brief (its `plain:` block)."""
    plain = spec.plain
    if plain is None:
        return
    if plain.bottom_line:
        yield "plain.bottom_line", plain.bottom_line
    for i, text in enumerate(plain.key_judgements):
        yield f"plain.key_judgements[{i}]", text
    for i, text in enumerate(plain.for_readers):
        yield f"plain.for_readers[{i}]", text


class GlossaryTerm(Record):
    """One entry of the public brief's glossary (data/glossary.yaml): shown when the text uses it."""

    term: str = Field(min_length=1)
    definition: str = Field(min_length=1)  # plain words; may use other terms of the glossary
    aliases: list[str] = Field(default_factory=list)  # other forms that count as a use: plurals, spellings
