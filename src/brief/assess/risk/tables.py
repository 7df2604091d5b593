"""The rubric's tables: the file `data/rubric/<version>.yaml` read into the records the engine applies.

The file is read with line marks and validated by the pydantic models below, which mirror its
shape (scales, default likelihood, matrix, amplifiers, evidence cap, floors, confidence, override
rules). Every problem is reported at once as `file:line: field: message`. The valid file becomes a
`Rubric`: plain frozen records, keyed the way the engine looks them up (matrix[L][S - 1]).
`load_rubric` caches one Rubric per file and reloads a file that changed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from brief.core.errors import DataError, Location, Problem
from brief.core.paths import packaged
from brief.core.words import suggest
from brief.load.config import Config
from brief.load.model import Int
from brief.load.tables import read_lined, validate_table
from brief.load.yamlio import line_of

__all__ = ["Clause", "LikelihoodBand", "Rubric", "Rule", "load_rubric", "norm_risk", "rubric_path"]

# The ordinal inputs and the range of each scale: S1-S5, E0-E4, L1-L5, C0-C3, B0-B2, R0-R2.
ORDINAL = {"S": (1, 5), "E": (0, 4), "L": (1, 5), "C": (0, 3), "B": (0, 2), "R": (0, 2)}
Safeguards = Literal["yes", "no", "unknown"]
SAFEGUARDS: tuple[Safeguards, ...] = ("yes", "no", "unknown")


# --- The records the engine reads ----------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    """One test of a rule's condition, e.g. `R >= 1` or `Cs != "yes"`.

    `subject` is an input code ("S", "E", "L", "C", "B", "R", "Cs"), "D" (the domain names a
    specified systemic risk) or "harm" (the grave-harm flag); `op` is "eq", "at_least", "at_most",
    "not" or "true" (D and harm, which take no value)."""

    subject: str
    op: str
    value: int | str = ""


@dataclass(frozen=True)
class Rule:
    """A named rule of the rubric (amplifier, cap or floor): an all-of condition and its effect."""

    code: str  # "A1", "cap", "F3"
    name: str  # "Breadth", "Evidence cap", "Floor F3"
    text: str  # the rubric's wording of the rule
    when: tuple[Clause, ...]
    level: str | None = None  # the cap's "at most" or the floor's "at least"


@dataclass(frozen=True)
class LikelihoodBand:
    """One likelihood step: its percentage band and ICD 203 words."""

    band: str  # "≤20%"
    words: str  # "very unlikely": the words the brief prints
    phrase: str  # "it very unlikely", read as "We judge <phrase> (<band>) that ..."
    icd203: tuple[str, ...]  # every ICD 203 term the band covers
    low: int
    high: int


@dataclass(frozen=True, eq=False)
class Rubric:
    """The rubric's tables, as loaded from `data/rubric/<version>.yaml`."""

    version: str
    source: str
    path: str
    levels: tuple[str, ...]
    matrix: Mapping[int, tuple[str, ...]]  # matrix[L][S - 1]
    labels: Mapping[str, Mapping[int | str, str]]  # labels["S"][3] == "Moderate"; labels["Cs"]["yes"]
    names: Mapping[str, str]  # names["S"] == "Severity"
    likelihood: Mapping[int, LikelihoodBand]
    specified_risks: tuple[str, ...]  # normalised (see norm_risk), in the file's order
    default_likelihood: Mapping[int, tuple[int, int]]  # evidence -> (lowest L, highest L)
    amplifiers: tuple[Rule, ...]
    amplifier_min: int
    amplifier_steps: int
    cap: Rule
    floors: tuple[Rule, ...]
    confidence: Mapping[tuple[str, str], str]  # (evidence, agreement) -> level
    review_by_days: int
    reviewer_more_than_steps: int
    reviewer_below_floor: bool
    horizon_months: int = 12

    def rank(self, level: str) -> int:
        """Return the position of a level in the order, lowest 0."""
        return self.levels.index(level)

    def label(self, code: str, value: int | str) -> str:
        """Return a coded value with its label, e.g. "S3 Moderate" or "Cs unknown (not verified)"."""
        if code == "Cs":
            return f"Cs {value} ({self.labels['Cs'][value]})"
        return f"{code}{value} {self.labels[code][value]}"


def norm_risk(name: str) -> str:
    """Return a CoP risk tag normalised: "cop:Loss-of-control" -> "loss_of_control"."""
    name = str(name).strip().lower()
    if name.startswith("cop:"):
        name = name[4:]
    return re.sub(r"[\s-]+", "_", name)


# --- Loading -------------------------------------------------------------------------------------


def rubric_path(config: Config, version: str) -> Path:
    """Return the rubric table file for a version: the project's data/rubric/, else the packaged one."""
    local = config.data_dir / "rubric" / f"{version}.yaml"
    return local if local.is_file() else packaged(f"data/rubric/{version}.yaml")


def load_rubric(path: str | Path) -> Rubric:
    """Return the checked rubric of a YAML file, cached per path (reloaded when the file changes)."""
    resolved = Path(path).resolve()
    try:
        stat = resolved.stat()
    except OSError as exc:
        reason = exc.strerror or exc
        message = f"cannot read the rubric: {reason} (expected a file such as data/rubric/v0.1.yaml)"
        raise DataError([Problem(Location(str(path)), message)]) from None
    return _load_rubric(str(resolved), stat.st_mtime_ns, stat.st_size, str(path))


@functools.lru_cache(maxsize=16)
def _load_rubric(resolved: str, mtime_ns: int, size: int, shown: str) -> Rubric:
    """Return the rubric of one file state (the stamp, mtime and size, is part of the cache key)."""
    doc = read_lined(Path(resolved), shown, what="rubric")
    table = validate_table(doc, RubricFile, shown, context={"levels": _given_levels(doc)})
    problems = [
        Problem(Location(shown, line_of(doc, ("matrix", f"L{lk}", s - 1)), f"matrix.L{lk}[S{s}]"), message)
        for lk, s, message in _non_monotone(table.matrix.rows(), tuple(table.levels))
    ]
    if problems:
        raise DataError(problems)
    return table.rubric(shown)


def _given_levels(doc: Any) -> tuple[str, ...]:
    """Return the file's levels if they are valid, else none (the `levels` field reports them)."""
    levels = doc.get("levels") if isinstance(doc, dict) else None
    if not isinstance(levels, list) or not all(isinstance(level, str) for level in levels):
        return ()
    return tuple(levels) if len(set(levels)) == len(levels) else ()


def _non_monotone(matrix: Mapping[int, tuple[str, ...]], levels: tuple[str, ...]) -> list[tuple[int, int, str]]:
    """Return (L, S, message) for each cell below its left or lower neighbour: the matrix must be monotone."""
    out = []
    for lk in range(1, 6):
        for s in range(1, 6):
            cell = matrix[lk][s - 1]
            here = levels.index(cell)
            left = matrix[lk][s - 2] if s > 1 else None
            if left is not None and here < levels.index(left):
                out.append((lk, s, f"{cell} is below S{s - 1}'s {left} (expected the matrix to be monotone in S)"))
            below = matrix[lk - 1][s - 1] if lk > 1 else None
            if below is not None and here < levels.index(below):
                out.append((lk, s, f"{cell} is below L{lk - 1}'s {below} (expected the matrix to be monotone in L)"))
    return out


# --- The file's shape ----------------------------------------------------------------------------


class _Table(BaseModel):
    """A mapping of the rubric file: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


def _code(scale: str) -> Callable[[Any], int]:
    """Return the parser of one scale's codes: "E3" -> 3, with the scale's range checked."""
    low, high = ORDINAL[scale]

    def parse(value: Any) -> int:
        match = re.fullmatch(rf"{scale}([0-9])", str(value))
        if not match or not low <= int(match.group(1)) <= high:
            raise ValueError(f"{value!r} is not a valid {scale} value (expected {scale}{low} to {scale}{high})")
        return int(match.group(1))

    return parse


SCode = Annotated[int, BeforeValidator(_code("S"))]
ECode = Annotated[int, BeforeValidator(_code("E"))]
LCode = Annotated[int, BeforeValidator(_code("L"))]
CCode = Annotated[int, BeforeValidator(_code("C"))]
BCode = Annotated[int, BeforeValidator(_code("B"))]
RCode = Annotated[int, BeforeValidator(_code("R"))]


def _known_level(value: str, info: ValidationInfo) -> str:
    """Return a level name the file's `levels` list holds (unchecked while that list is invalid)."""
    levels = (info.context or {}).get("levels") or ()
    if levels and value not in levels:
        raise ValueError(f"{value!r} is not a level (expected one of {', '.join(levels)})")
    return value


def _distinct(levels: list[str]) -> list[str]:
    """Return the levels if they are distinct."""
    if len(set(levels)) != len(levels):
        raise ValueError(f"{levels!r} must be distinct names, lowest first")
    return levels


def _five_cells(row: list[str]) -> list[str]:
    """Return a matrix row if it has one cell per severity."""
    if len(row) != 5:
        raise ValueError(f"{row!r} must list five levels, one per S1..S5")
    return row


def _range(pair: list[int]) -> list[int]:
    """Return a likelihood range if it has two ends."""
    if len(pair) != 2:
        raise ValueError(f"has {len(pair)} values (expected a range of two, [L<low>, L<high>])")
    return pair


def _safeguards(value: Any) -> Any:
    """Return "yes" or "no" for the booleans YAML 1.1 reads from an unquoted yes or no."""
    return {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else value


def _true(value: bool) -> bool:
    """Return a flag condition, which is only ever written as true."""
    if value is not True:
        raise ValueError(f"{value!r} must be true (leave the key out otherwise)")
    return value


Level = Annotated[str, AfterValidator(_known_level)]
Flag = Annotated[bool, Field(strict=True), AfterValidator(_true)]


class Value(_Table):
    """One value of a scale: its label and an optional note."""

    label: str
    note: str | None = None


class Band(Value):
    """One value of the likelihood scale: its band, the words the brief prints and the ICD 203 terms."""

    band: str
    words: str
    phrase: str
    icd203: list[str]
    low: Int
    high: Int


class SValues(_Table):
    S1: Value
    S2: Value
    S3: Value
    S4: Value
    S5: Value


class EValues(_Table):
    E0: Value
    E1: Value
    E2: Value
    E3: Value
    E4: Value


class LValues(_Table):
    L1: Band
    L2: Band
    L3: Band
    L4: Band
    L5: Band


class CValues(_Table):
    C0: Value
    C1: Value
    C2: Value
    C3: Value


class CsValues(_Table):
    yes: Value
    no: Value
    unknown: Value


class BValues(_Table):
    B0: Value
    B1: Value
    B2: Value


class RValues(_Table):
    R0: Value
    R1: Value
    R2: Value


V = TypeVar("V", bound=BaseModel)


class Scale(_Table, Generic[V]):
    """One input scale: its name, the question it answers and every value, each with its label."""

    name: str | None = None
    question: str | None = None
    values: V


class Scales(_Table):
    S: Scale[SValues]
    E: Scale[EValues]
    L: Scale[LValues]
    C: Scale[CValues]
    Cs: Scale[CsValues]
    B: Scale[BValues]
    R: Scale[RValues]

    def labels(self) -> dict[str, dict[int | str, str]]:
        """Return each scale's labels by value: {"S": {1: "Negligible", ...}, "Cs": {"yes": ...}}."""
        out: dict[str, dict[int | str, str]] = {}
        for code, scale in self:
            values = dict(scale.values)
            out[code] = {key if code == "Cs" else int(key[len(code) :]): value.label for key, value in values.items()}
        return out


class DefaultLikelihood(_Table):
    """The likelihood range the rubric expects for each evidence level."""

    E0: Annotated[list[LCode], AfterValidator(_range)]
    E1: Annotated[list[LCode], AfterValidator(_range)]
    E2: Annotated[list[LCode], AfterValidator(_range)]
    E3: Annotated[list[LCode], AfterValidator(_range)]
    E4: Annotated[list[LCode], AfterValidator(_range)]


Row = Annotated[list[Level], AfterValidator(_five_cells)]


class Matrix(_Table):
    """The base level of each likelihood (a row) and severity (a column, S1 to S5)."""

    L1: Row
    L2: Row
    L3: Row
    L4: Row
    L5: Row

    def rows(self) -> dict[int, tuple[str, ...]]:
        """Return the rows by likelihood: {1: (level at S1, ..., level at S5), ...}."""
        return {int(name[1:]): tuple(row) for name, row in self}


class When(_Table):
    """A rule's all-of condition: an input code for equality, `_at_least` / `_at_most` for a bound."""

    S: SCode | None = None
    S_at_least: SCode | None = None
    S_at_most: SCode | None = None
    E: ECode | None = None
    E_at_least: ECode | None = None
    E_at_most: ECode | None = None
    L: LCode | None = None
    L_at_least: LCode | None = None
    L_at_most: LCode | None = None
    C: CCode | None = None
    C_at_least: CCode | None = None
    C_at_most: CCode | None = None
    B: BCode | None = None
    B_at_least: BCode | None = None
    B_at_most: BCode | None = None
    R: RCode | None = None
    R_at_least: RCode | None = None
    R_at_most: RCode | None = None
    Cs_not: Annotated[Safeguards, BeforeValidator(_safeguards)] | None = None
    D_specified_risk: Flag | None = None  # the domain tags or C's domain name a CoP specified systemic risk
    fatal_or_ci_or_widespread: Flag | None = None  # the harm is a death, CI disruption or widespread infringement
    _order: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _known_keys_in_order(cls, data: Any, handler: ModelWrapValidatorHandler[When]) -> When:
        """Return the condition with the order of its keys, which the derivation trace follows.

        A key that is no condition is reported at its own place, with the conditions there are."""
        unknown = [key for key in data if key not in cls.model_fields] if isinstance(data, dict) else []
        if unknown:
            raise ValidationError.from_exception_data(
                cls.__name__,
                [
                    InitErrorDetails(
                        type=PydanticCustomError("value_error", "{message}", {"message": _unknown_condition(key)}),
                        loc=(key,),
                        input=data[key],
                    )
                    for key in unknown
                ],
            )
        when = handler(data)
        when._order = tuple(data) if isinstance(data, dict) else ()
        return when

    def clauses(self) -> tuple[Clause, ...]:
        """Return the condition's clauses in the order the file writes them."""
        out = []
        for key in self._order:
            value = getattr(self, key)
            if value is None:  # `S_at_least: null` sets no condition
                continue
            if key == "Cs_not":
                out.append(Clause("Cs", "not", value))
            elif key in ("D_specified_risk", "fatal_or_ci_or_widespread"):
                out.append(Clause("D" if key == "D_specified_risk" else "harm", "true"))
            else:
                code, _, bound = key.partition("_")
                out.append(Clause(code, bound or "eq", value))
        return tuple(out)


def _unknown_condition(key: Any) -> str:
    """Return the message for a key of `when:` that is no condition."""
    close = suggest(str(key), When.model_fields, n=1)
    expected = (
        " (expected S, E, L, C, B or R, optionally with _at_least or _at_most; "
        "Cs_not; D_specified_risk; fatal_or_ci_or_widespread)"
    )
    return f"unknown condition{close or expected}"


class AmplifierRule(_Table):
    name: str | None = None
    text: str = ""
    when: When

    def rule(self, code: str) -> Rule:
        """Return the amplifier as the engine reads it."""
        return Rule(code, self.name or code, self.text, self.when.clauses())


class CapRule(AmplifierRule):
    at_most: Level

    def rule(self, code: str) -> Rule:
        """Return the cap as the engine reads it."""
        return Rule(code, self.name or code, self.text, self.when.clauses(), self.at_most)


class FloorRule(AmplifierRule):
    at_least: Level

    def rule(self, code: str) -> Rule:
        """Return the floor as the engine reads it."""
        return Rule(code, self.name or f"Floor {code}", self.text, self.when.clauses(), self.at_least)


class Amplifiers(_Table):
    """The amplifier rules and how many must hold to raise the level, by how many steps."""

    min_holding: Int = Field(ge=1)
    raise_steps: Int = Field(ge=1)
    rules: dict[str, AmplifierRule]


class ConfidenceRow(_Table):
    low: Level
    medium: Level
    high: Level


class ConfidenceTable(_Table):
    """confidence[evidence][agreement]: the confidence level of each pair."""

    robust: ConfidenceRow
    medium: ConfidenceRow
    limited: ConfidenceRow


class ReviewerRequired(_Table):
    more_than_steps: Int = Field(ge=0)
    below_floor: bool


class OverrideRules(_Table):
    review_by_days: Int = Field(ge=1)
    reviewer_required: ReviewerRequired


class RubricFile(_Table):
    """The rubric file as written: `data/rubric/<version>.yaml`."""

    version: str
    source: str = ""
    levels: Annotated[list[str], Field(min_length=1), AfterValidator(_distinct)]
    horizon_months: Int = Field(default=12, ge=1)
    scales: Scales
    specified_risks: list[str]
    default_likelihood: DefaultLikelihood
    matrix: Matrix
    amplifiers: Amplifiers
    evidence_cap: CapRule
    floors: dict[str, FloorRule]
    confidence: ConfidenceTable
    override: OverrideRules

    def rubric(self, shown: str) -> Rubric:
        """Return the tables as the engine reads them; `shown` is the file as the user names it."""
        likelihood = self.scales.L.values
        return Rubric(
            version=self.version,
            source=self.source,
            path=shown,
            levels=tuple(self.levels),
            matrix=self.matrix.rows(),
            labels=self.scales.labels(),
            names={code: scale.name or code for code, scale in self.scales},
            likelihood={
                int(key[1:]): LikelihoodBand(b.band, b.words, b.phrase, tuple(b.icd203), b.low, b.high)
                for key, b in likelihood
            },
            specified_risks=tuple(dict.fromkeys(norm_risk(name) for name in self.specified_risks)),
            default_likelihood={int(key[1:]): (pair[0], pair[1]) for key, pair in self.default_likelihood},
            amplifiers=tuple(body.rule(code) for code, body in self.amplifiers.rules.items()),
            amplifier_min=self.amplifiers.min_holding,
            amplifier_steps=self.amplifiers.raise_steps,
            cap=self.evidence_cap.rule("cap"),
            floors=tuple(body.rule(code) for code, body in self.floors.items()),
            confidence={(evidence, agreement): level for evidence, row in self.confidence for agreement, level in row},
            review_by_days=self.override.review_by_days,
            reviewer_more_than_steps=self.override.reviewer_required.more_than_steps,
            reviewer_below_floor=self.override.reviewer_required.below_floor,
            horizon_months=self.horizon_months,
        )
