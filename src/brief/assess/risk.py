"""The risk-rubric engine (docs/risk-rubric.md): inputs -> level, confidence, derivation trace.

The rubric's tables live in data (`data/rubric/v0.1.yaml`); this module applies them in the
order the rubric fixes (section 3): base cell from the S x L matrix, amplifiers (+1 step when two
or more hold), the evidence cap, the floors (after the cap, so a floor wins), then the analyst
override. Every step that was considered is recorded in the trace, so a brief can print the
derivation and a reader can recompute the level by hand.

Everything here is pure except `load_rubric`, which reads one YAML file (cached per path).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from brief.core.errors import DataError, Location, Problem
from brief.core.paths import packaged
from brief.load.model import Override, RiskInputs, Tags

__all__ = [
    "Assessment",
    "Rubric",
    "Rule",
    "Step",
    "assess",
    "lint_override",
    "load_rubric",
    "robustness",
]

# Ordinal inputs (code -> RiskInputs attribute) and their scale ranges.
_ORDINAL = {"S": (1, 5), "E": (0, 4), "L": (1, 5), "C": (0, 3), "B": (0, 2), "R": (0, 2)}
_SAFEGUARDS = ("yes", "no", "unknown")
_CONFIDENCE_EVIDENCE = ("limited", "medium", "robust")
_CONFIDENCE_AGREEMENT = ("low", "medium", "high")
_HARM_WORDS = "death, critical-infrastructure disruption or widespread infringement"

# A pandoc citation: `[@key, p. 3]`, `[see @key]`, `[-@key]` or in-text `@key`; not an e-mail address.
_PANDOC_CITE = re.compile(r"(?<![\w.@])-?@\{?[A-Za-z0-9_][\w:.#$%&+?<>~/-]*")


# --- Rubric --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    """One test of a rule's condition, e.g. `R >= 1` or `Cs != "yes"`."""

    subject: str  # "S", "E", "L", "C", "B", "R", "Cs", "D", "harm"
    op: str  # "eq", "at_least", "at_most", "not", "true"
    value: Any = True


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
    labels: Mapping[str, Mapping[Any, str]]  # labels["S"][3] == "Moderate"; labels["Cs"]["yes"]
    names: Mapping[str, str]  # names["S"] == "Severity"
    likelihood: Mapping[int, LikelihoodBand]
    specified_risks: frozenset[str]
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

    def label(self, code: str, value: Any) -> str:
        """Return a coded value with its label, e.g. "S3 Moderate" or "Cs unknown (not verified)"."""
        if code == "Cs":
            return f"Cs {value} ({self.labels['Cs'][value]})"
        return f"{code}{value} {self.labels[code][value]}"


def load_rubric(path: str | Path) -> Rubric:
    """Load and check a rubric YAML file, cached per path (reloaded when the file changes)."""
    resolved = Path(path).resolve()
    try:
        stat = resolved.stat()
    except OSError as exc:
        raise DataError(
            [
                Problem(
                    Location(str(path)),
                    f"cannot read the rubric: {exc.strerror or exc} (expected a file such as data/rubric/v0.1.yaml)",
                )
            ]
        ) from None
    return _load_rubric(str(resolved), stat.st_mtime_ns, stat.st_size, str(path))


@functools.lru_cache(maxsize=16)
def _load_rubric(resolved: str, mtime_ns: int, size: int, shown: str) -> Rubric:
    try:
        with open(resolved, encoding="utf-8") as handle:
            raw = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as exc:
        raise DataError([Problem(Location(shown), f"cannot read the rubric: {exc.strerror or exc}")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        reason = getattr(exc, "problem", None) or str(exc)
        raise DataError([Problem(Location(shown, line), f"invalid YAML: {reason}")]) from None
    return _RubricParser(shown).parse(raw)


class _RubricParser:
    """Turn the rubric's YAML into a Rubric, collecting every problem before failing once."""

    def __init__(self, path: str):
        self.path = path
        self.problems: list[Problem] = []

    def fail(self, fieldpath: str, message: str) -> None:
        self.problems.append(Problem(Location(self.path, 0, fieldpath), message))

    def get(self, data: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
        if not isinstance(data, dict) or key not in data:
            self.fail(f"{where}{key}", "missing")
            return None
        value = data[key]
        if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.fail(f"{where}{key}", f"{value!r} has the wrong type (expected {names})")
            return None
        return value

    def code(self, text: Any, code: str, fieldpath: str) -> int | None:
        low, high = _ORDINAL[code]
        match = re.fullmatch(rf"{code}([0-9])", str(text))
        if not match or not low <= int(match.group(1)) <= high:
            self.fail(fieldpath, f"{text!r} is not a valid {code} value (expected {code}{low} to {code}{high})")
            return None
        return int(match.group(1))

    def level(self, text: Any, levels: tuple[str, ...], fieldpath: str) -> str | None:
        if text not in levels:
            self.fail(fieldpath, f"{text!r} is not a level (expected one of {', '.join(levels)})")
            return None
        return text

    def parse(self, raw: Any) -> Rubric:
        if not isinstance(raw, dict):
            raise DataError(
                [
                    Problem(
                        Location(self.path), "the rubric must be a mapping (expected keys version, levels, matrix, ...)"
                    )
                ]
            )
        version = self.get(raw, "version", str, "")
        levels = tuple(self.get(raw, "levels", list, "") or ())
        if levels and (len(set(levels)) != len(levels) or not all(isinstance(x, str) for x in levels)):
            self.fail("levels", f"{list(levels)!r} must be distinct names, lowest first")
            levels = ()
        scales = self.get(raw, "scales", dict, "") or {}
        labels: dict[str, dict[Any, str]] = {}
        names: dict[str, str] = {}
        likelihood: dict[int, LikelihoodBand] = {}
        for code in (*_ORDINAL, "Cs"):
            scale = self.get(scales, code, dict, "scales.")
            if scale is None:
                continue
            names[code] = scale.get("name", code)
            values = self.get(scale, "values", dict, f"scales.{code}.") or {}
            wanted = (
                list(_SAFEGUARDS)
                if code == "Cs"
                else [f"{code}{n}" for n in range(_ORDINAL[code][0], _ORDINAL[code][1] + 1)]
            )
            if sorted(map(str, values)) != sorted(wanted):
                self.fail(
                    f"scales.{code}.values", f"has {', '.join(map(str, values))} (expected exactly {', '.join(wanted)})"
                )
                continue
            labels[code] = {}
            for key in wanted:
                where = f"scales.{code}.values.{key}."
                entry = values[key]
                allowed = {"label", "note"} | (
                    {"band", "words", "phrase", "icd203", "low", "high"} if code == "L" else set()
                )
                if isinstance(entry, dict) and set(entry) - allowed:
                    self.fail(
                        where.rstrip("."),
                        f"unknown key(s) {', '.join(sorted(map(str, set(entry) - allowed)))} (expected {', '.join(sorted(allowed))})",
                    )
                label = self.get(entry, "label", str, where)
                number: Any = key if code == "Cs" else int(key[len(code) :])
                labels[code][number] = label or key
                if code == "L" and isinstance(entry, dict):
                    icd = self.get(entry, "icd203", list, where) or []
                    likelihood[number] = LikelihoodBand(
                        band=self.get(entry, "band", str, where) or "",
                        words=self.get(entry, "words", str, where) or "",
                        phrase=self.get(entry, "phrase", str, where) or "",
                        icd203=tuple(map(str, icd)),
                        low=self.get(entry, "low", int, where) or 0,
                        high=self.get(entry, "high", int, where) or 0,
                    )

        specified = frozenset(_norm_risk(x) for x in (self.get(raw, "specified_risks", list, "") or ()))

        default_likelihood: dict[int, tuple[int, int]] = {}
        for key, value in (self.get(raw, "default_likelihood", dict, "") or {}).items():
            e = self.code(key, "E", f"default_likelihood.{key}")
            if not (isinstance(value, list) and len(value) == 2):
                self.fail(f"default_likelihood.{key}", f"{value!r} must be a range [L<low>, L<high>]")
                continue
            low, high = (self.code(v, "L", f"default_likelihood.{key}") for v in value)
            if e is not None and low is not None and high is not None:
                default_likelihood[e] = (low, high)
        if len(default_likelihood) != 5 and not self.problems:
            self.fail("default_likelihood", "must give a range for each of E0 to E4")

        matrix: dict[int, tuple[str, ...]] = {}
        raw_matrix = self.get(raw, "matrix", dict, "") or {}
        for key, row in raw_matrix.items():
            lk = self.code(key, "L", f"matrix.{key}")
            if not (isinstance(row, list) and len(row) == 5):
                self.fail(f"matrix.{key}", f"{row!r} must list five levels, one per S1..S5")
                continue
            cells = tuple(self.level(cell, levels, f"matrix.{key}[S{i + 1}]") for i, cell in enumerate(row))
            if lk is not None and None not in cells:
                matrix[lk] = cells  # type: ignore[assignment]
        if len(matrix) == 5:
            for lk in range(1, 6):
                for s in range(1, 6):
                    here = levels.index(matrix[lk][s - 1])
                    if s > 1 and here < levels.index(matrix[lk][s - 2]):
                        self.fail(
                            f"matrix.L{lk}[S{s}]",
                            f"{matrix[lk][s - 1]} is below S{s - 1}'s {matrix[lk][s - 2]} (expected the matrix to be monotone in S)",
                        )
                    if lk > 1 and here < levels.index(matrix[lk - 1][s - 1]):
                        self.fail(
                            f"matrix.L{lk}[S{s}]",
                            f"{matrix[lk][s - 1]} is below L{lk - 1}'s {matrix[lk - 1][s - 1]} (expected the matrix to be monotone in L)",
                        )
        elif raw_matrix and not self.problems:
            self.fail("matrix", "must have one row for each of L1 to L5")

        amp = self.get(raw, "amplifiers", dict, "") or {}
        amplifier_min = self.get(amp, "min_holding", int, "amplifiers.") or 2
        amplifier_steps = self.get(amp, "raise_steps", int, "amplifiers.") or 1
        amplifiers = tuple(
            self.rule(code, body, f"amplifiers.rules.{code}", levels, bound=None)
            for code, body in (self.get(amp, "rules", dict, "amplifiers.") or {}).items()
        )
        cap_raw = self.get(raw, "evidence_cap", dict, "") or {}
        cap = self.rule("cap", cap_raw, "evidence_cap", levels, bound="at_most")
        floors = tuple(
            self.rule(code, body, f"floors.{code}", levels, bound="at_least")
            for code, body in (self.get(raw, "floors", dict, "") or {}).items()
        )

        confidence: dict[tuple[str, str], str] = {}
        table = self.get(raw, "confidence", dict, "") or {}
        for evidence in _CONFIDENCE_EVIDENCE:
            row = self.get(table, evidence, dict, "confidence.") or {}
            for agreement in _CONFIDENCE_AGREEMENT:
                cell = self.get(row, agreement, str, f"confidence.{evidence}.")
                if cell is not None and self.level(cell, levels, f"confidence.{evidence}.{agreement}"):
                    confidence[(evidence, agreement)] = cell

        override = self.get(raw, "override", dict, "") or {}
        review_days = self.get(override, "review_by_days", int, "override.") or 90
        required = self.get(override, "reviewer_required", dict, "override.") or {}
        more_than = self.get(required, "more_than_steps", int, "override.reviewer_required.")
        below_floor = self.get(required, "below_floor", bool, "override.reviewer_required.")
        horizon = raw.get("horizon_months", 12)

        if self.problems:
            raise DataError(self.problems)
        return Rubric(
            version=version,
            source=str(raw.get("source", "")),
            path=self.path,
            levels=levels,
            matrix=matrix,
            labels=labels,
            names=names,
            likelihood=likelihood,
            specified_risks=specified,
            default_likelihood=default_likelihood,
            amplifiers=amplifiers,
            amplifier_min=amplifier_min,
            amplifier_steps=amplifier_steps,
            cap=cap,
            floors=floors,
            confidence=confidence,
            review_by_days=review_days,
            reviewer_more_than_steps=more_than if more_than is not None else 1,
            reviewer_below_floor=bool(below_floor),
            horizon_months=horizon if isinstance(horizon, int) else 12,
        )

    def rule(self, code: str, body: Any, where: str, levels: tuple[str, ...], bound: str | None) -> Rule:
        if not isinstance(body, dict):
            self.fail(where, f"{body!r} must be a mapping with text and when")
            return Rule(code, code, "", ())
        allowed = {"name", "text", "when"} | ({bound} if bound else set())
        if set(body) - allowed:
            self.fail(
                where,
                f"unknown key(s) {', '.join(sorted(map(str, set(body) - allowed)))} (expected {', '.join(sorted(allowed))})",
            )
        clauses = []
        for key, value in (self.get(body, "when", dict, f"{where}.") or {}).items():
            clause = self.clause(str(key), value, f"{where}.when.{key}")
            if clause:
                clauses.append(clause)
        level = None
        if bound:
            level = self.level(self.get(body, bound, str, f"{where}."), levels, f"{where}.{bound}")
        default_name = f"Floor {code}" if bound == "at_least" else code
        return Rule(code, str(body.get("name", default_name)), str(body.get("text", "")), tuple(clauses), level)

    def clause(self, key: str, value: Any, where: str) -> Clause | None:
        if key == "Cs_not":
            value = "yes" if value is True else "no" if value is False else value  # YAML 1.1 reads yes as True
            if value not in _SAFEGUARDS:
                self.fail(where, f"{value!r} is not a safeguards value (expected one of {', '.join(_SAFEGUARDS)})")
                return None
            return Clause("Cs", "not", value)
        if key in ("D_specified_risk", "fatal_or_ci_or_widespread"):
            if value is not True:
                self.fail(where, f"{value!r} must be true (leave the key out otherwise)")
                return None
            return Clause("D" if key == "D_specified_risk" else "harm", "true")
        match = re.fullmatch(r"(S|E|L|C|B|R)(?:_(at_least|at_most))?", key)
        if not match:
            self.fail(
                where,
                "unknown condition (expected S, E, L, C, B or R, optionally with _at_least or _at_most; Cs_not; D_specified_risk; fatal_or_ci_or_widespread)",
            )
            return None
        number = self.code(value, match.group(1), where)
        return Clause(match.group(1), match.group(2) or "eq", number) if number is not None else None


def _norm_risk(name: str) -> str:
    """Normalise a CoP risk tag: "cop:Loss-of-control" -> "loss_of_control"."""
    name = str(name).strip().lower()
    if name.startswith("cop:"):
        name = name[4:]
    return re.sub(r"[\s-]+", "_", name)


# --- Assessment ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of the derivation: the rule considered, one plain sentence, the level after it."""

    rule: str  # "base", "A1", "A2", "A3", "amplifiers", "cap", "floors", "F1".."F4", "override"
    text: str
    level: str


@dataclass(frozen=True)
class Assessment:
    """The rubric's result for one incident: level, confidence, the derivation and its inputs.

    `amplified`, `capped` and `floors` report which rules *held*: a held rule may leave the
    level unchanged (the cap on a level already at most Moderate; a floor below the level).
    """

    level: str  # final: the override's level if there is one, else computed_level
    computed_level: str
    confidence: str  # Low / Moderate / High
    likelihood_words: str  # "very unlikely"
    likelihood_band: str  # "≤20%"
    base_level: str
    amplifiers: dict[str, bool]
    amplified: bool  # two or more amplifiers hold
    capped: bool  # the evidence cap's condition holds
    floors: list[str]  # the floors whose condition holds, e.g. ["F3"]
    overridden: bool
    override: Override | None
    trace: list[Step]
    inputs_table: list[tuple[str, str, str]]  # (input code, value label, rationale)
    rubric_version: str
    horizon_months: int
    matrix_cell: tuple[int, int]  # (severity, likelihood)
    likelihood_sentence: str
    confidence_sentence: str
    floor_level: str | None = None  # the highest level a holding floor requires
    floor_levels: dict[str, str] = field(default_factory=dict)  # holding floor -> its level, {"F3": "High"}
    likelihood_default: tuple[int, int] = (1, 5)  # the rubric's default L range for this E
    review_by: dt.date | None = None  # the override's review date (default: date + 90 days)

    @property
    def likelihood_deviates(self) -> bool:
        """Return whether L lies outside the rubric's default range for the evidence."""
        low, high = self.likelihood_default
        return not low <= self.matrix_cell[1] <= high


@dataclass
class _Derivation:
    base: str
    trace: list[Step]
    amplifiers: dict[str, bool]
    amplified: bool
    capped: bool
    floors: list[str]
    floor_levels: dict[str, str]
    floor_level: str | None
    level: str


def _context(inputs: RiskInputs, tags: Tags | None) -> dict[str, Any]:
    domains = list(tags.cop) if tags is not None else []
    if inputs.capability.domain:
        domains.append(inputs.capability.domain)
    return {
        "S": inputs.severity,
        "E": inputs.evidence,
        "L": inputs.likelihood,
        "C": inputs.capability.status,
        "B": inputs.breadth,
        "R": inputs.reversibility,
        "Cs": inputs.capability.safeguards_verified,
        "domains": tuple(dict.fromkeys(_norm_risk(d) for d in domains)),
        "harm": inputs.fatal_or_ci_or_widespread,
    }


def _clause(clause: Clause, ctx: Mapping[str, Any], rubric: Rubric) -> tuple[bool, str, str]:
    """Test one clause; return (holds, the actual value in words, what it needs)."""
    if clause.subject == "D":
        found = [d for d in ctx["domains"] if d in rubric.specified_risks]
        if found:
            return True, ", ".join(found), ""
        return False, "no CoP specified systemic risk in the domain tags", ""
    if clause.subject == "harm":
        if ctx["harm"]:
            return True, _HARM_WORDS, ""
        return False, f"no {_HARM_WORDS}", ""
    if clause.subject == "Cs":
        actual = ctx["Cs"]
        return actual != clause.value, f"Cs {actual}", f"needs Cs other than {clause.value}"
    code, actual, wanted = clause.subject, ctx[clause.subject], clause.value
    low, high = _ORDINAL[code]
    if clause.op == "at_least":
        holds, need = actual >= wanted, f"needs {code}{wanted}" + (" or higher" if wanted < high else "")
    elif clause.op == "at_most":
        holds, need = actual <= wanted, f"needs {code}{wanted}" + (" or lower" if wanted > low else "")
    else:
        holds, need = actual == wanted, f"needs {code}{wanted}"
    return holds, f"{code}{actual}", need


def _check(rule: Rule, ctx: Mapping[str, Any], rubric: Rubric) -> tuple[bool, str]:
    """Test a rule; return (holds, the detail for the trace)."""
    results = [_clause(c, ctx, rubric) for c in rule.when]
    if all(holds for holds, _, _ in results):
        return True, ", ".join(actual for _, actual, _ in results)
    failing = [f"{actual}, {need}" if need else actual for holds, actual, need in results if not holds]
    return False, "; ".join(failing)


def _derive(ctx: Mapping[str, Any], rubric: Rubric) -> _Derivation:
    """Apply rubric section 3, steps 1 to 4, to one set of inputs."""
    levels, top = rubric.levels, len(rubric.levels) - 1
    s, lk = ctx["S"], ctx["L"]
    trace: list[Step] = []

    # Step 1: base cell.
    base = rubric.matrix[lk][s - 1]
    rank = rubric.rank(base)
    trace.append(Step("base", f"Base cell S{s} × L{lk} = {base}.", base))

    # Step 2: amplifiers; +1 step at most, never above the top level.
    holding: dict[str, bool] = {}
    for rule in rubric.amplifiers:
        holds, detail = _check(rule, ctx, rubric)
        holding[rule.code] = holds
        verdict = "holds" if holds else "does not hold"
        trace.append(Step(rule.code, f"{rule.code} {rule.name} {verdict} ({detail}).", levels[rank]))
    held = [code for code, holds in holding.items() if holds]
    count, total = len(held), len(holding)
    amplified = count >= rubric.amplifier_min
    if amplified:
        before = levels[rank]
        rank = min(rank + rubric.amplifier_steps, top)
        if levels[rank] == before:
            text = f"{count} of {total} amplifiers hold ({', '.join(held)}); the level is already {before}, so it stays {before}."
        else:
            steps = "one step" if rubric.amplifier_steps == 1 else f"{rubric.amplifier_steps} steps"
            text = f"{count} of {total} amplifiers hold ({', '.join(held)}): raise {steps} to {levels[rank]}."
    elif count:
        verb = "holds" if count == 1 else "hold"
        text = f"{count} of {total} amplifiers {verb} ({', '.join(held)}); {rubric.amplifier_min} are needed to raise the level, so it stays {levels[rank]}."
    else:
        text = f"No amplifier holds; the level stays {levels[rank]}."
    trace.append(Step("amplifiers", text, levels[rank]))

    # Step 3: evidence cap.
    capped, detail = _check(rubric.cap, ctx, rubric)
    if capped:
        assert rubric.cap.level is not None
        limit = rubric.rank(rubric.cap.level)
        if rank > limit:
            change = f"lowers {levels[rank]} to {levels[limit]}"
            rank = limit
        else:
            change = f"the level stays {levels[rank]}"
        trace.append(
            Step("cap", f"{rubric.cap.name} applies ({detail}): at most {rubric.cap.level}; {change}.", levels[rank])
        )
    else:
        trace.append(Step("cap", f"{rubric.cap.name} does not apply ({detail}).", levels[rank]))

    # Step 4: floors, after the cap, so that a floor wins over it.
    floors: list[str] = []
    floor_levels: dict[str, str] = {}
    floor_rank = -1
    for rule in rubric.floors:
        holds, detail = _check(rule, ctx, rubric)
        if not holds:
            continue
        assert rule.level is not None
        floors.append(rule.code)
        floor_levels[rule.code] = rule.level
        need = rubric.rank(rule.level)
        floor_rank = max(floor_rank, need)
        bound = rule.level if need == top else f"at least {rule.level}"
        if rank < need:
            change = f"raises {levels[rank]} to {rule.level}"
            rank = need
        else:
            change = f"the level stays {levels[rank]}"
        trace.append(Step(rule.code, f"{rule.name} applies ({detail}): {bound}; {change}.", levels[rank]))
    if not floors:
        trace.append(Step("floors", "No floor applies.", levels[rank]))

    return _Derivation(
        base=base,
        trace=trace,
        amplifiers=holding,
        amplified=amplified,
        capped=capped,
        floors=floors,
        floor_levels=floor_levels,
        floor_level=levels[floor_rank] if floor_rank >= 0 else None,
        level=levels[rank],
    )


def assess(inputs: RiskInputs, tags: Tags, rubric: Rubric) -> Assessment:
    """Assess one incident's rubric inputs: level, confidence, sentences and derivation trace."""
    derivation = _derive(_context(inputs, tags), rubric)
    trace = list(derivation.trace)
    override = inputs.override
    computed = derivation.level
    if override is None:
        level = computed
        trace.append(Step("override", f"No analyst override; the computed level {computed} is final.", computed))
    else:
        level = override.level
        if level == computed:
            text = f"Analyst override keeps the level at {level} (computed: {computed})."
        else:
            text = f"Analyst override sets the level to {level} (computed: {computed})."
        trace.append(Step("override", text, level))

    band = rubric.likelihood[inputs.likelihood]
    confidence = rubric.confidence[(inputs.confidence.evidence, inputs.confidence.agreement)]
    horizon = inputs.horizon_months
    horizon_words = "1 month" if horizon == 1 else f"{horizon} months"
    likelihood_sentence = (
        f"We judge {band.phrase} ({band.band}) that this behaviour causes real-world harm within {horizon_words}."
    )
    # ICD 203: the confidence sentence never carries a likelihood word; it stands on its own.
    confidence_sentence = f"We hold this assessment with {confidence.lower()} confidence"
    statement = (inputs.confidence.statement or "").strip()
    if statement:
        # Two sentences: the confidence, then its reason (which may start with a capital and carry citations).
        confidence_sentence += ". " + statement + ("" if statement[-1] in ".!?" else ".")
    else:
        confidence_sentence += "."

    return Assessment(
        level=level,
        computed_level=computed,
        confidence=confidence,
        likelihood_words=band.words,
        likelihood_band=band.band,
        base_level=derivation.base,
        amplifiers=derivation.amplifiers,
        amplified=derivation.amplified,
        capped=derivation.capped,
        floors=derivation.floors,
        overridden=override is not None,
        override=override,
        trace=trace,
        inputs_table=_inputs_table(inputs, tags, rubric),
        rubric_version=rubric.version,
        horizon_months=horizon,
        matrix_cell=(inputs.severity, inputs.likelihood),
        likelihood_sentence=likelihood_sentence,
        confidence_sentence=confidence_sentence,
        floor_level=derivation.floor_level,
        floor_levels=derivation.floor_levels,
        likelihood_default=rubric.default_likelihood[inputs.evidence],
        review_by=_review_by(override, rubric.review_by_days),
    )


_RATIONALE_KEYS = {
    "S": ("S", "severity"),
    "E": ("E", "evidence"),
    "L": ("L", "likelihood"),
    "C": ("C", "capability", "capability_status"),
    "Cs": ("Cs", "safeguards_verified", "safeguards"),
    "B": ("B", "breadth"),
    "R": ("R", "reversibility"),
    "D": ("D", "domains", "domain"),
    "Harm": ("Harm", "fatal_or_ci_or_widespread", "harm"),
}


def _rationale(inputs: RiskInputs, code: str) -> str:
    for key in _RATIONALE_KEYS[code]:
        for variant in (key, key.lower()):
            if inputs.rationale.get(variant):
                return inputs.rationale[variant]
    return ""


def _inputs_table(inputs: RiskInputs, tags: Tags | None, rubric: Rubric) -> list[tuple[str, str, str]]:
    """Return the rows (code, value label, rationale) the derivation appendix prints."""
    band = rubric.likelihood[inputs.likelihood]
    capability = rubric.label("C", inputs.capability.status)
    if inputs.capability.domain:
        capability += f" ({inputs.capability.domain.replace('_', ' ')})"
    rows = [
        ("S", rubric.label("S", inputs.severity)),
        ("E", rubric.label("E", inputs.evidence)),
        ("L", f"L{inputs.likelihood} {band.band} ({band.words})"),
        ("C", capability),
        ("Cs", rubric.label("Cs", inputs.capability.safeguards_verified)),
        ("B", rubric.label("B", inputs.breadth)),
        ("R", rubric.label("R", inputs.reversibility)),
    ]
    if tags is not None:
        vocabularies = (
            ("Code of Practice systemic risk", tags.cop),
            ("MIT AI Risk Repository", tags.mit),
            ("NIST AI 600-1", tags.nist),
            ("OECD harm", tags.oecd),
        )
        domains = "; ".join(
            f"{name}: {', '.join(v.replace('_', ' ') for v in values)}" for name, values in vocabularies if values
        )
        rows.append(("D", domains or "none"))
    if inputs.evidence == 4 or inputs.fatal_or_ci_or_widespread:
        rows.append(("Harm", f"{_HARM_WORDS}: {'yes' if inputs.fatal_or_ci_or_widespread else 'no'}"))
    return [(code, value, _rationale(inputs, code)) for code, value in rows]


def _review_by(override: Override | None, default_days: int) -> dt.date | None:
    if override is None:
        return None
    if override.review_by is not None:
        return override.review_by
    if override.date is not None:
        return override.date + dt.timedelta(days=default_days)
    return None


def robustness(inputs: RiskInputs, tags: Tags, rubric: Rubric) -> list[tuple[str, str]]:
    """Recompute the computed level with L one step up and down and S one step up."""
    ctx = _context(inputs, tags)
    variants = []
    if ctx["L"] < 5:
        variants.append(("L", ctx["L"] + 1))
    if ctx["L"] > 1:
        variants.append(("L", ctx["L"] - 1))
    if ctx["S"] < 5:
        variants.append(("S", ctx["S"] + 1))
    results = []
    for code, value in variants:
        derivation = _derive({**ctx, code: value}, rubric)
        path = [f"base {derivation.base}"]
        previous = derivation.base
        for step in derivation.trace[1:]:
            if step.level != previous:
                path.append(f"{'amplifiers' if step.rule == 'amplifiers' else step.rule} {step.level}")
                previous = step.level
        results.append((f"{code}{value} instead of {code}{ctx[code]} ({' → '.join(path)})", derivation.level))
    return results


# --- Lint ----------------------------------------------------------------------------------------


def lint_override(
    inputs: RiskInputs,
    assessment_or_computed: Assessment | str,
    where: Location,
    today: dt.date,
    *,
    rubric: Rubric | None = None,
    evidence_ids: Collection[str] = (),
) -> list[Problem]:
    """Check an analyst override against rubric section 7 and return every problem found.

    `where` locates the incident's `risk` block; its field (default "risk") prefixes the
    field paths. `evidence_ids` are the ids (sources, claims) a justification may cite bare.
    Given only a computed level, the floor check needs `rubric`; without it, it is skipped.
    """
    override = inputs.override
    if override is None:
        return []
    prefix = f"{where.field or 'risk'}.override"

    def problem(name: str, message: str, severity: str = "error") -> Problem:
        return Problem(Location(where.path, where.line, f"{prefix}.{name}"), message, severity)

    if isinstance(assessment_or_computed, Assessment):
        computed = assessment_or_computed.computed_level
        floor_levels = assessment_or_computed.floor_levels
    else:
        computed = assessment_or_computed
        floor_levels = {}
        if rubric is not None:  # floors depend on S, E, C, Cs and the harm flag only, not on tags
            floor_levels = _derive(_context(inputs, None), rubric).floor_levels
    levels = rubric.levels if rubric is not None else ("Low", "Moderate", "High", "Critical")
    review_days = rubric.review_by_days if rubric is not None else 90
    more_than = rubric.reviewer_more_than_steps if rubric is not None else 1
    check_floor = rubric.reviewer_below_floor if rubric is not None else True

    problems: list[Problem] = []
    justification = override.justification.strip()
    if not justification:
        problems.append(
            problem(
                "justification",
                "missing (expected at least one sentence that justifies the override and cites evidence, e.g. [@source-id])",
            )
        )
    elif not _cites_evidence(justification, evidence_ids):
        problems.append(
            problem(
                "justification",
                "cites no evidence (expected at least one evidence id, e.g. [@source-id] or the id of one of the incident's sources)",
            )
        )
    if not override.analyst.strip():
        problems.append(problem("analyst", "missing (expected the name of the analyst who set the override)"))
    if override.date is None:
        problems.append(problem("date", "missing (expected the date the override was set, as YYYY-MM-DD)"))

    if override.level == computed:
        problems.append(
            problem(
                "level",
                f"{override.level} is the computed level already (expected a different level, or no override)",
                "warning",
            )
        )
    has_reviewer = bool((override.reviewer or "").strip())
    steps = abs(levels.index(override.level) - levels.index(computed))
    if steps > more_than and not has_reviewer:
        problems.append(
            problem(
                "reviewer",
                f"missing: the override moves the level {steps} steps, from {computed} to {override.level} (expected a reviewer for an override of more than {_steps_words(more_than)})",
            )
        )
    below = {code: lvl for code, lvl in floor_levels.items() if levels.index(override.level) < levels.index(lvl)}
    if check_floor and below and not has_reviewer:
        floor_level = max(below.values(), key=levels.index)
        codes = [code for code, lvl in below.items() if lvl == floor_level]
        which = (
            f"floor {codes[0]} requires"
            if len(codes) == 1
            else f"floors {', '.join(codes[:-1])} and {codes[-1]} require"
        )
        problems.append(
            problem(
                "reviewer",
                f"missing: the override sets {override.level}, below the {floor_level} that {which} (expected a reviewer for an override below a floor)",
            )
        )

    if override.review_by is not None:
        if override.review_by < today:
            problems.append(
                problem(
                    "review_by",
                    f"expired on {override.review_by.isoformat()} (expected a review by then: confirm or withdraw the override and set a new review_by)",
                    "warning",
                )
            )
    elif override.date is not None:
        due = override.date + dt.timedelta(days=review_days)
        if due < today:
            problems.append(
                problem(
                    "review_by",
                    f"expired on {due.isoformat()}, {review_days} days after the override date (expected a review by then: confirm or withdraw the override and set review_by)",
                    "warning",
                )
            )
    return problems


def _steps_words(n: int) -> str:
    return "one step" if n == 1 else f"{n} steps"


def _cites_evidence(text: str, evidence_ids: Collection[str]) -> bool:
    """Return whether the text cites evidence: a pandoc citation or a known id, bare."""
    if _PANDOC_CITE.search(text):
        return True
    return any(re.search(rf"(?<![\w.-]){re.escape(i)}(?![\w-])", text) for i in evidence_ids if i)


def rubric_path(config: Any, version: str) -> Path:
    """Return the rubric table file for a version: the project's data/rubric/, else the packaged one."""
    local = config.data_dir / "rubric" / f"{version}.yaml"
    return local if local.is_file() else packaged(f"data/rubric/{version}.yaml")
