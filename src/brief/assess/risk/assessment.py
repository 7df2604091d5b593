"""The risk-rubric engine (docs/risk-rubric.md): inputs -> level, confidence, derivation trace.

The rubric's tables (tables.py) are applied in the order the rubric fixes (section 3): base cell
from the S x L matrix, amplifiers (+1 step when two or more hold), the evidence cap, the floors
(after the cap, so a floor wins), then the analyst override. Every step that was considered is
recorded in the trace, so a brief can print the derivation and a reader can recompute the level
by hand. Everything here is pure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from brief.assess.risk.tables import ORDINAL, Clause, Rubric, Rule, norm_risk
from brief.load.model import Override, RiskInputs, Tags

__all__ = ["Assessment", "Case", "Derivation", "Step", "assess", "case_of", "derive", "robustness"]

HARM_WORDS = "death, critical-infrastructure disruption or widespread infringement"


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
class Derivation:
    """The computed level of one case and how steps 1 to 4 reached it."""

    base: str
    trace: list[Step]
    amplifiers: dict[str, bool]
    amplified: bool
    capped: bool
    floors: list[str]
    floor_levels: dict[str, str]
    floor_level: str | None
    level: str


@dataclass(frozen=True)
class Case:
    """The inputs one derivation reads: the ordinal codes, Cs, the normalised domain names, the harm flag."""

    S: int
    E: int
    L: int
    C: int
    B: int
    R: int
    Cs: str
    domains: tuple[str, ...]
    harm: bool

    def ordinal(self, code: str) -> int:
        """Return the value of one ordinal input, by its code ("S", "E", "L", "C", "B" or "R")."""
        return {"S": self.S, "E": self.E, "L": self.L, "C": self.C, "B": self.B, "R": self.R}[code]


def case_of(inputs: RiskInputs, tags: Tags | None) -> Case:
    """Return the case of one incident's inputs; its CoP tags and C's domain name the domains."""
    domains = list(tags.cop) if tags is not None else []
    if inputs.capability.domain:
        domains.append(inputs.capability.domain)
    return Case(
        S=inputs.severity,
        E=inputs.evidence,
        L=inputs.likelihood,
        C=inputs.capability.status,
        B=inputs.breadth,
        R=inputs.reversibility,
        Cs=inputs.capability.safeguards_verified,
        domains=tuple(dict.fromkeys(norm_risk(d) for d in domains)),
        harm=inputs.fatal_or_ci_or_widespread,
    )


def _clause(clause: Clause, case: Case, rubric: Rubric) -> tuple[bool, str, str]:
    """Test one clause; return (holds, the actual value in words, what it needs)."""
    if clause.subject == "D":
        found = [d for d in case.domains if d in rubric.specified_risks]
        if found:
            return True, ", ".join(found), ""
        return False, "no CoP specified systemic risk in the domain tags", ""
    if clause.subject == "harm":
        if case.harm:
            return True, HARM_WORDS, ""
        return False, f"no {HARM_WORDS}", ""
    if clause.subject == "Cs":
        return case.Cs != clause.value, f"Cs {case.Cs}", f"needs Cs other than {clause.value}"
    code, actual, wanted = clause.subject, case.ordinal(clause.subject), int(clause.value)
    low, high = ORDINAL[code]
    if clause.op == "at_least":
        holds, need = actual >= wanted, f"needs {code}{wanted}" + (" or higher" if wanted < high else "")
    elif clause.op == "at_most":
        holds, need = actual <= wanted, f"needs {code}{wanted}" + (" or lower" if wanted > low else "")
    else:
        holds, need = actual == wanted, f"needs {code}{wanted}"
    return holds, f"{code}{actual}", need


def _check(rule: Rule, case: Case, rubric: Rubric) -> tuple[bool, str]:
    """Test a rule; return (holds, the detail for the trace)."""
    results = [_clause(c, case, rubric) for c in rule.when]
    if all(holds for holds, _, _ in results):
        return True, ", ".join(actual for _, actual, _ in results)
    failing = [f"{actual}, {need}" if need else actual for holds, actual, need in results if not holds]
    return False, "; ".join(failing)


def derive(case: Case, rubric: Rubric) -> Derivation:
    """Return the derivation of rubric section 3, steps 1 to 4 (no override), for one case."""
    levels, top = rubric.levels, len(rubric.levels) - 1
    s, lk = case.S, case.L
    trace: list[Step] = []

    # Step 1: base cell.
    base = rubric.matrix[lk][s - 1]
    rank = rubric.rank(base)
    trace.append(Step("base", f"Base cell S{s} × L{lk} = {base}.", base))

    # Step 2: amplifiers; +1 step at most, never above the top level.
    holding: dict[str, bool] = {}
    for rule in rubric.amplifiers:
        holds, detail = _check(rule, case, rubric)
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
            text = (
                f"{count} of {total} amplifiers hold ({', '.join(held)}); "
                f"the level is already {before}, so it stays {before}."
            )
        else:
            steps = "one step" if rubric.amplifier_steps == 1 else f"{rubric.amplifier_steps} steps"
            text = f"{count} of {total} amplifiers hold ({', '.join(held)}): raise {steps} to {levels[rank]}."
    elif count:
        verb = "holds" if count == 1 else "hold"
        text = (
            f"{count} of {total} amplifiers {verb} ({', '.join(held)}); "
            f"{rubric.amplifier_min} are needed to raise the level, so it stays {levels[rank]}."
        )
    else:
        text = f"No amplifier holds; the level stays {levels[rank]}."
    trace.append(Step("amplifiers", text, levels[rank]))

    # Step 3: evidence cap.
    capped, detail = _check(rubric.cap, case, rubric)
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
        holds, detail = _check(rule, case, rubric)
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

    return Derivation(
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
    derivation = derive(case_of(inputs, tags), rubric)
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
    """Return the analyst's rationale for one input (under its code or its name), or ""."""
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
        rows.append(("Harm", f"{HARM_WORDS}: {'yes' if inputs.fatal_or_ci_or_widespread else 'no'}"))
    return [(code, value, _rationale(inputs, code)) for code, value in rows]


def _review_by(override: Override | None, default_days: int) -> dt.date | None:
    """Return the date an override is due for review: its review_by, else its date + `default_days`."""
    if override is None:
        return None
    if override.review_by is not None:
        return override.review_by
    if override.date is not None:
        return override.date + dt.timedelta(days=default_days)
    return None


def robustness(inputs: RiskInputs, tags: Tags, rubric: Rubric) -> list[tuple[str, str]]:
    """Return (variant, computed level) with L one step up and down and S one step up."""
    case = case_of(inputs, tags)
    variants: list[Case] = []
    if case.L < 5:
        variants.append(replace(case, L=case.L + 1))
    if case.L > 1:
        variants.append(replace(case, L=case.L - 1))
    if case.S < 5:
        variants.append(replace(case, S=case.S + 1))
    results = []
    for variant in variants:
        code = "L" if variant.L != case.L else "S"
        derivation = derive(variant, rubric)
        path = [f"base {derivation.base}"]
        previous = derivation.base
        for step in derivation.trace[1:]:
            if step.level != previous:
                path.append(f"{step.rule} {step.level}")
                previous = step.level
        change = f"{code}{variant.ordinal(code)} instead of {code}{case.ordinal(code)}"
        results.append((f"{change} ({' → '.join(path)})", derivation.level))
    return results
