"""The risk-rubric engine against docs/risk-rubric.md v0.1 (sections 2-4, 7 and the worked example)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brief.assess.risk import Assessment, Step, assess, lint_override, load_rubric, robustness
from brief.core.errors import DataError, Location
from brief.load.model import Capability, Confidence, Override, RiskInputs, Tags

RUBRIC_PATH = Path(__file__).resolve().parents[1] / "data" / "rubric" / "v0.1.yaml"
LEVELS = ["Low", "Moderate", "High", "Critical"]
WHERE = Location("data/incidents/example.yaml", 12, "risk")
TODAY = dt.date(2025, 7, 1)


@pytest.fixture(scope="module")
def rubric():
    return load_rubric(RUBRIC_PATH)


def inputs(
    S=3,
    E=1,
    L=1,
    C=0,
    Cs="unknown",
    B=2,
    R=1,
    domain="loss_of_control",
    harm=False,
    evidence="medium",
    agreement="high",
    statement=None,
    override=None,
    rationale=None,
    horizon=12,
) -> RiskInputs:
    """Build rubric inputs; the defaults are the worked example (Claude Opus 4 blackmail)."""
    return RiskInputs(
        severity=S,
        evidence=E,
        likelihood=L,
        capability=Capability(domain=domain, status=C, safeguards_verified=Cs),
        breadth=B,
        reversibility=R,
        fatal_or_ci_or_widespread=harm,
        confidence=Confidence(evidence=evidence, agreement=agreement, statement=statement),
        override=override,
        rationale=rationale or {},
        horizon_months=horizon,
    )


COP = Tags(cop=["loss_of_control"], mit=["7.1"])
NO_TAGS = Tags()


# --- The rubric as data --------------------------------------------------------------------------


def test_rubric_file_holds_the_tables_of_the_spec(rubric):
    assert rubric.version == "v0.1"
    assert rubric.source == "docs/risk-rubric.md v0.1"
    assert rubric.levels == ("Low", "Moderate", "High", "Critical")
    assert {lk: list(row) for lk, row in rubric.matrix.items()} == {
        5: ["Moderate", "Moderate", "High", "Critical", "Critical"],
        4: ["Low", "Moderate", "High", "High", "Critical"],
        3: ["Low", "Moderate", "Moderate", "High", "High"],
        2: ["Low", "Low", "Moderate", "Moderate", "High"],
        1: ["Low", "Low", "Low", "Moderate", "Moderate"],
    }
    assert rubric.specified_risks == ("cbrn", "loss_of_control", "cyber_offence", "harmful_manipulation")
    assert dict(rubric.default_likelihood) == {0: (1, 2), 1: (1, 2), 2: (2, 3), 3: (3, 4), 4: (4, 5)}
    assert [(f.code, f.level) for f in rubric.floors] == [
        ("F1", "High"),
        ("F2", "Critical"),
        ("F3", "High"),
        ("F4", "Critical"),
    ]
    assert [a.code for a in rubric.amplifiers] == ["A1", "A2", "A3"]
    assert (rubric.cap.level, rubric.amplifier_min, rubric.amplifier_steps) == ("Moderate", 2, 1)
    assert rubric.review_by_days == 90
    assert [rubric.label("S", n) for n in range(1, 6)] == [
        "S1 Negligible",
        "S2 Minor",
        "S3 Moderate",
        "S4 Serious",
        "S5 Critical",
    ]
    assert [(b.band, b.words) for b in rubric.likelihood.values()] == [
        ("≤20%", "very unlikely"),
        ("20–45%", "unlikely"),
        ("45–55%", "roughly even chance"),
        ("55–80%", "likely"),
        (">80%", "very likely"),
    ]
    assert RUBRIC_PATH.read_text(encoding="utf-8").startswith("# Risk rubric v0.1")


def test_load_rubric_is_cached_per_path_and_reloads_an_edited_file(tmp_path, rubric):
    assert load_rubric(RUBRIC_PATH) is rubric
    assert load_rubric(str(RUBRIC_PATH)) is rubric
    copy = tmp_path / "v0.1.yaml"
    shutil.copy(RUBRIC_PATH, copy)
    first = load_rubric(copy)
    assert first is not rubric and load_rubric(copy) is first
    copy.write_text(
        copy.read_text(encoding="utf-8").replace("review_by_days: 90", "review_by_days: 60"), encoding="utf-8"
    )
    assert load_rubric(copy).review_by_days == 60


def _broken(tmp_path, old: str, new: str) -> Path:
    text = RUBRIC_PATH.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "broken.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def _line(text: str) -> int:
    """The line of the rubric file that holds `text`."""
    whole = RUBRIC_PATH.read_text(encoding="utf-8")
    return whole[: whole.index(text)].count("\n") + 1


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "when: {B: B2}",
            "when: {B: B2, Q: Q1}",
            [
                "broken.yaml:{line}: amplifiers.rules.A1.when.Q: unknown condition (expected S, E, L, C, B or R, "
                "optionally with _at_least or _at_most; Cs_not; D_specified_risk; fatal_or_ci_or_widespread)"
            ],
        ),
        (
            "when: {R_at_least: R1}",
            "when: {R_at_lest: R1}",
            ["broken.yaml:{line}: amplifiers.rules.A2.when.R_at_lest: unknown condition (did you mean 'R_at_least'?)"],
        ),
        (
            "at_most: Moderate",
            "at_most: Medium",
            [
                "broken.yaml:{line}: evidence_cap.at_most: 'Medium' is not a level "
                "(expected one of Low, Moderate, High, Critical)"
            ],
        ),
        (
            "when: {E: E4, S_at_least: S4}",
            "when: {E: E5, S_at_least: S4}",
            ["broken.yaml:{line}: floors.F1.when.E: 'E5' is not a valid E value (expected E0 to E4)"],
        ),
        (
            "when: {D_specified_risk: true, C_at_least: C1}",
            "when: {D_specified_risk: false, C_at_least: C1}",
            [
                "broken.yaml:{line}: amplifiers.rules.A3.when.D_specified_risk: False must be true "
                "(leave the key out otherwise)"
            ],
        ),
        (
            'when: {C: C2, Cs_not: "yes"}',
            "when: {C: C2, Cs_not: maybe}",
            ["broken.yaml:{line}: floors.F3.when.Cs_not: unknown value 'maybe' (expected 'yes', 'no' or 'unknown')"],
        ),
        (
            "E2: [L2, L3]",
            "E2: [L2, L3, L4]",
            ["broken.yaml:{line}: default_likelihood.E2: has 3 values (expected a range of two, [L<low>, L<high>])"],
        ),
    ],
)
def test_a_broken_rubric_reports_the_problem_with_its_field_and_line(tmp_path, old, new, expected):
    path = _broken(tmp_path, old, new)
    with pytest.raises(DataError) as caught:
        load_rubric(path)
    shown = [line.replace(str(path), "broken.yaml") for line in caught.value.lines()[:-1]]
    assert shown == [e.replace("{line}", str(_line(old))) for e in expected]


def test_every_problem_of_a_rubric_is_reported_at_once(tmp_path):
    path = _broken(tmp_path, "at_most: Moderate", "at_most: Medium")
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("min_holding: 2", "min_holding: two").replace("S3: {label: Moderate}", "S6: {label: Moderate}"),
        encoding="utf-8",
    )
    with pytest.raises(DataError) as caught:
        load_rubric(path)
    assert [line.replace(str(path), "broken.yaml") for line in caught.value.lines()] == [
        f"broken.yaml:{_line('values:')}: scales.S.values.S3: required field is missing",
        f"broken.yaml:{_line('S3: {label: Moderate}')}: scales.S.values.S6: unknown field 'S6' "
        "(expected one of: S1, S2, S3, S4, S5)",
        f"broken.yaml:{_line('min_holding: 2')}: amplifiers.min_holding: 'two' is not a number "
        "(expected a whole number)",
        f"broken.yaml:{_line('at_most: Moderate')}: evidence_cap.at_most: 'Medium' is not a level "
        "(expected one of Low, Moderate, High, Critical)",
        "Aborted: 4 errors in the data.",
    ]


def test_a_rubric_that_is_not_yaml_is_refused_with_its_line(tmp_path):
    path = _broken(tmp_path, "  raise_steps: 1", "  raise_steps: 1\n  raise_steps: 2")
    with pytest.raises(DataError) as caught:
        load_rubric(path)
    assert caught.value.lines()[0] == f"{path}:{_line('  raise_steps: 1') + 1}: duplicate key 'raise_steps'"


def test_a_non_monotone_matrix_is_refused(tmp_path):
    row = "L3: [Low,      Moderate, Moderate, High,     High]"
    path = _broken(tmp_path, row, "L3: [Low,      Low,      Moderate, High,     Moderate]")
    with pytest.raises(DataError) as caught:
        load_rubric(path)
    assert [line.replace(str(path), "broken.yaml") for line in caught.value.lines()] == [
        f"broken.yaml:{_line(row)}: matrix.L3[S5]: Moderate is below L2's High "
        "(expected the matrix to be monotone in L)",
        f"broken.yaml:{_line(row)}: matrix.L3[S5]: Moderate is below S4's High "
        "(expected the matrix to be monotone in S)",
        "Aborted: 2 errors in the data.",
    ]


def test_a_matrix_row_names_its_levels_and_has_five(tmp_path):
    row = "L3: [Low,      Moderate, Moderate, High,     High]"
    path = _broken(tmp_path, row, "L3: [Low, Medium, Moderate, High]")
    with pytest.raises(DataError) as caught:
        load_rubric(path)
    assert [line.replace(str(path), "broken.yaml") for line in caught.value.lines()[:-1]] == [
        f"broken.yaml:{_line(row)}: matrix.L3[1]: 'Medium' is not a level "
        "(expected one of Low, Moderate, High, Critical)",
    ]
    path.write_text(path.read_text(encoding="utf-8").replace("Medium", "Moderate"), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_rubric(path)
    assert caught.value.lines()[0] == (
        f"{path}:{_line(row)}: matrix.L3: ['Low', 'Moderate', 'Moderate', 'High'] must list five levels, one per S1..S5"
    )


def test_a_missing_rubric_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError) as caught:
        load_rubric(tmp_path / "v9.yaml")
    assert caught.value.lines()[0].startswith(f"{tmp_path / 'v9.yaml'}: cannot read the rubric: ")


# --- The worked example (rubric section 9) -------------------------------------------------------


def test_worked_example_claude_opus_4_blackmail(rubric):
    a = assess(inputs(), COP, rubric)
    assert (a.level, a.computed_level, a.confidence, a.base_level) == ("Moderate", "Moderate", "Moderate", "Low")
    assert a.amplifiers == {"A1": True, "A2": True, "A3": False}
    assert a.amplified is True
    assert a.capped is True
    assert a.floors == [] and a.floor_level is None
    assert a.overridden is False and a.override is None
    assert a.matrix_cell == (3, 1)
    assert (a.rubric_version, a.horizon_months) == ("v0.1", 12)
    assert a.trace == [
        Step("base", "Base cell S3 × L1 = Low.", "Low"),
        Step("A1", "A1 Breadth holds (B2).", "Low"),
        Step("A2", "A2 Irreversibility holds (R1).", "Low"),
        Step("A3", "A3 Frontier signal does not hold (C0, needs C1 or higher).", "Low"),
        Step("amplifiers", "2 of 3 amplifiers hold (A1, A2): raise one step to Moderate.", "Moderate"),
        Step("cap", "Evidence cap applies (E1, C0): at most Moderate; the level stays Moderate.", "Moderate"),
        Step("floors", "No floor applies.", "Moderate"),
        Step("override", "No analyst override; the computed level Moderate is final.", "Moderate"),
    ]


def test_worked_example_sentences_and_inputs_table(rubric):
    statement = (
        "The evidence is the developer's own system card and a follow-up study by the same developer "
        "[@anthropic-2025-syscard]."
    )
    a = assess(
        inputs(statement=statement, rationale={"severity": "Coercion of an individual [@syscard]."}), COP, rubric
    )
    assert (a.likelihood_words, a.likelihood_band) == ("very unlikely", "≤20%")
    assert (
        a.likelihood_sentence
        == "We judge it very unlikely (≤20%) that this behaviour causes real-world harm within 12 months."
    )
    assert a.confidence_sentence == f"We hold this assessment with moderate confidence. {statement}"
    assert a.inputs_table == [
        ("S", "S3 Moderate", "Coercion of an individual [@syscard]."),
        ("E", "E1 Elicited in a contrived or controlled test", ""),
        ("L", "L1 ≤20% (very unlikely)", ""),
        ("C", "C0 Ruled out / not applicable (loss of control)", ""),
        ("Cs", "Cs unknown (not verified)", ""),
        ("B", "B2 Broad", ""),
        ("R", "R1 Hard to reverse", ""),
        ("D", "Code of Practice systemic risk: loss of control; MIT AI Risk Repository: 7.1", ""),
    ]


def test_worked_example_robustness_line(rubric):
    # "if L2 is chosen instead, Base = Moderate -> +1 = High -> cap -> Moderate"
    assert robustness(inputs(), COP, rubric) == [
        ("L2 instead of L1 (base Moderate → amplifiers High → cap Moderate)", "Moderate"),
        ("S4 instead of S3 (base Moderate → amplifiers High → cap Moderate)", "Moderate"),
    ]


def test_robustness_checks_both_likelihood_neighbours_and_ignores_the_override(rubric):
    override = Override(level="Critical", justification="x [@a].", analyst="A", date=TODAY)
    assert robustness(inputs(S=4, E=2, L=3, B=0, R=0, override=override), NO_TAGS, rubric) == [
        ("L4 instead of L3 (base High)", "High"),
        ("L2 instead of L3 (base Moderate)", "Moderate"),
        ("S5 instead of S4 (base High)", "High"),
    ]
    assert [d for d, _ in robustness(inputs(S=5, L=5, E=2), NO_TAGS, rubric)] == [
        "L4 instead of L5 (base Critical)",
    ]


def test_worked_example_with_s4_stays_moderate_because_of_the_cap(rubric):
    a = assess(inputs(S=4), COP, rubric)
    assert (a.base_level, a.computed_level) == ("Moderate", "Moderate")
    assert [s.level for s in a.trace[4:6]] == ["High", "Moderate"]
    assert a.trace[5].text == "Evidence cap applies (E1, C0): at most Moderate; lowers High to Moderate."


# --- Floors (step 4) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "floors", "expected"),
    [
        # F1: E4 and S >= S4 -> at least High.
        (dict(S=4, E=4, L=1, B=0, R=0), ["F1"], "High"),
        (dict(S=3, E=4, L=1, B=0, R=0), [], "Low"),
        (dict(S=4, E=3, L=1, B=0, R=0), [], "Moderate"),
        # F2: E4 and death / critical infrastructure / widespread infringement -> Critical.
        (dict(S=2, E=4, L=1, B=0, R=0, harm=True), ["F2"], "Critical"),
        (dict(S=2, E=3, L=1, B=0, R=0, harm=True), [], "Low"),
        (dict(S=2, E=4, L=1, B=0, R=0, harm=False), [], "Low"),
        # F3: C2 and Cs != yes -> at least High.
        (dict(S=1, E=1, L=1, C=2, Cs="unknown", B=0, R=0), ["F3"], "High"),
        (dict(S=1, E=1, L=1, C=2, Cs="no", B=0, R=0), ["F3"], "High"),
        (dict(S=1, E=1, L=1, C=2, Cs="yes", B=0, R=0), [], "Low"),
        (dict(S=1, E=1, L=1, C=1, Cs="no", B=0, R=0), [], "Low"),
        # F4: C3 and Cs != yes -> Critical.
        (dict(S=1, E=0, L=1, C=3, Cs="no", B=0, R=0), ["F4"], "Critical"),
        (dict(S=1, E=0, L=1, C=3, Cs="yes", B=0, R=0), [], "Low"),
        # Several floors: the highest wins.
        (dict(S=5, E=4, L=1, C=2, Cs="no", B=0, R=0, harm=True), ["F1", "F2", "F3"], "Critical"),
    ],
)
def test_floors(rubric, kw, floors, expected):
    a = assess(inputs(**kw), NO_TAGS, rubric)
    assert a.floors == floors
    assert a.computed_level == expected


def test_floor_trace_names_the_floor_and_what_it_changed(rubric):
    a = assess(inputs(S=1, E=1, L=1, C=2, Cs="unknown", B=0, R=0), NO_TAGS, rubric)
    assert a.trace[-2] == Step("F3", "Floor F3 applies (C2, Cs unknown): at least High; raises Low to High.", "High")
    a = assess(inputs(S=5, E=4, L=5, B=0, R=0), NO_TAGS, rubric)
    assert a.trace[-2] == Step("F1", "Floor F1 applies (E4, S5): at least High; the level stays Critical.", "Critical")
    a = assess(inputs(S=2, E=4, L=1, B=0, R=0, harm=True), NO_TAGS, rubric)
    assert a.trace[-2].text == (
        "Floor F2 applies (E4, death, critical-infrastructure disruption or widespread infringement): Critical; "
        "raises Low to Critical."
    )
    assert a.floor_levels == {"F2": "Critical"}


def test_a_floor_wins_over_the_cap(tmp_path):
    # In v0.1 the cap (E <= 1, C0) and the floors (E4 or C >= 2) never hold together, so the
    # order is tested on a rubric whose cap ignores C: the floor must be applied after the cap.
    path = _broken(tmp_path, "when: {E_at_most: E1, C: C0}", "when: {E_at_most: E1}")
    rubric = load_rubric(path)
    a = assess(inputs(S=5, E=1, L=5, C=2, Cs="no", B=0, R=0), NO_TAGS, rubric)
    assert [(s.rule, s.level) for s in a.trace] == [
        ("base", "Critical"),
        ("A1", "Critical"),
        ("A2", "Critical"),
        ("A3", "Critical"),
        ("amplifiers", "Critical"),
        ("cap", "Moderate"),
        ("F3", "High"),
        ("override", "High"),
    ]
    assert (a.capped, a.floors, a.computed_level) == (True, ["F3"], "High")


# --- Evidence cap (step 3) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "capped", "expected", "text"),
    [
        (
            dict(S=5, E=1, L=5, C=0),
            True,
            "Moderate",
            "Evidence cap applies (E1, C0): at most Moderate; lowers Critical to Moderate.",
        ),
        (
            dict(S=5, E=0, L=5, C=0),
            True,
            "Moderate",
            "Evidence cap applies (E0, C0): at most Moderate; lowers Critical to Moderate.",
        ),
        (
            dict(S=1, E=0, L=1, C=0, B=0, R=0),
            True,
            "Low",
            "Evidence cap applies (E0, C0): at most Moderate; the level stays Low.",
        ),
        (dict(S=5, E=2, L=5, C=0), False, "Critical", "Evidence cap does not apply (E2, needs E1 or lower)."),
        (dict(S=5, E=1, L=5, C=1), False, "Critical", "Evidence cap does not apply (C1, needs C0)."),
        (
            dict(S=4, E=3, L=4, C=1),
            False,
            "Critical",
            "Evidence cap does not apply (E3, needs E1 or lower; C1, needs C0).",
        ),
    ],
)
def test_evidence_cap(rubric, kw, capped, expected, text):
    a = assess(inputs(**kw), NO_TAGS, rubric)
    assert a.capped is capped
    assert a.computed_level == expected
    assert [s for s in a.trace if s.rule == "cap"][0].text == text


# --- Amplifiers (step 2) -------------------------------------------------------------------------


def test_three_amplifiers_raise_one_step_only(rubric):
    a = assess(inputs(S=3, E=2, L=1, C=1, B=2, R=2), COP, rubric)
    assert a.amplifiers == {"A1": True, "A2": True, "A3": True}
    assert (a.base_level, a.computed_level) == ("Low", "Moderate")
    assert a.trace[3].text == "A3 Frontier signal holds (loss_of_control, C1)."
    assert a.trace[4].text == "3 of 3 amplifiers hold (A1, A2, A3): raise one step to Moderate."


def test_amplifiers_never_raise_above_critical(rubric):
    a = assess(inputs(S=5, E=2, L=5, C=1, B=2, R=2), COP, rubric)
    assert (a.base_level, a.computed_level, a.amplified) == ("Critical", "Critical", True)
    assert (
        a.trace[4].text == "3 of 3 amplifiers hold (A1, A2, A3); the level is already Critical, so it stays Critical."
    )


@pytest.mark.parametrize(
    ("kw", "tags", "holding", "expected", "text"),
    [
        (
            dict(S=3, E=2, L=2, B=2, R=0),
            NO_TAGS,
            {"A1": True, "A2": False, "A3": False},
            "Moderate",
            "1 of 3 amplifiers holds (A1); 2 are needed to raise the level, so it stays Moderate.",
        ),
        (
            dict(S=3, E=2, L=2, B=1, R=0, C=0),
            NO_TAGS,
            {"A1": False, "A2": False, "A3": False},
            "Moderate",
            "No amplifier holds; the level stays Moderate.",
        ),
        (
            dict(S=3, E=2, L=2, B=1, R=1),
            NO_TAGS,
            {"A1": False, "A2": True, "A3": False},
            "Moderate",
            "1 of 3 amplifiers holds (A2); 2 are needed to raise the level, so it stays Moderate.",
        ),
        # A3 through the CoP tags alone.
        (
            dict(S=3, E=2, L=2, B=0, R=1, C=1, domain=None),
            Tags(cop=["cyber_offence"]),
            {"A1": False, "A2": True, "A3": True},
            "High",
            "2 of 3 amplifiers hold (A2, A3): raise one step to High.",
        ),
        # A3 through the capability domain alone, spelled loosely.
        (
            dict(S=3, E=2, L=2, B=0, R=1, C=1, domain="Loss-of-control"),
            NO_TAGS,
            {"A1": False, "A2": True, "A3": True},
            "High",
            "2 of 3 amplifiers hold (A2, A3): raise one step to High.",
        ),
        # A domain that is not a CoP specified systemic risk.
        (
            dict(S=3, E=2, L=2, B=2, R=0, C=1, domain="privacy"),
            NO_TAGS,
            {"A1": True, "A2": False, "A3": False},
            "Moderate",
            "1 of 3 amplifiers holds (A1); 2 are needed to raise the level, so it stays Moderate.",
        ),
    ],
)
def test_amplifiers(rubric, kw, tags, holding, expected, text):
    a = assess(inputs(**kw), tags, rubric)
    assert a.amplifiers == holding
    assert a.computed_level == expected
    assert a.trace[4].text == text


def test_a3_trace_says_why_it_does_not_hold(rubric):
    a = assess(inputs(E=2, C=1, domain="privacy"), NO_TAGS, rubric)
    assert a.trace[3].text == "A3 Frontier signal does not hold (no CoP specified systemic risk in the domain tags)."
    a = assess(inputs(E=2, C=0, domain=None), NO_TAGS, rubric)
    assert a.trace[3].text == (
        "A3 Frontier signal does not hold (no CoP specified systemic risk in the domain tags; C0, needs C1 or higher)."
    )
    a = assess(inputs(B=1, R=0), COP, rubric)
    assert [s.text for s in a.trace[1:3]] == [
        "A1 Breadth does not hold (B1, needs B2).",
        "A2 Irreversibility does not hold (R0, needs R1 or higher).",
    ]


def test_amplifiers_raise_by_at_most_one_step_over_every_input(rubric):
    for S, L, E, C, B, R in itertools.product(range(1, 6), range(1, 6), range(5), range(4), range(3), range(3)):
        a = assess(inputs(S=S, L=L, E=E, C=C, Cs="yes", B=B, R=R), COP, rubric)
        after = next(s.level for s in a.trace if s.rule == "amplifiers")
        assert 0 <= LEVELS.index(after) - LEVELS.index(a.base_level) <= 1


# --- Monotonicity ---------------------------------------------------------------------------------


@pytest.mark.parametrize("tags", [NO_TAGS, COP])
@pytest.mark.parametrize(
    "others",
    [
        dict(E=0, C=0, Cs="unknown", B=0, R=0),
        dict(E=1, C=0, Cs="unknown", B=2, R=1),
        dict(E=2, C=1, Cs="yes", B=2, R=2),
        dict(E=3, C=2, Cs="no", B=1, R=1),
        dict(E=4, C=0, Cs="unknown", B=2, R=2, harm=False),
        dict(E=4, C=3, Cs="yes", B=0, R=0, harm=True),
    ],
)
def test_level_never_decreases_when_severity_or_likelihood_increases(rubric, tags, others):
    grid = {
        (S, L): LEVELS.index(assess(inputs(S=S, L=L, **others), tags, rubric).computed_level)
        for S in range(1, 6)
        for L in range(1, 6)
    }
    for (S, L), rank in grid.items():
        if S < 5:
            assert grid[(S + 1, L)] >= rank, (S, L)
        if L < 5:
            assert grid[(S, L + 1)] >= rank, (S, L)


_ORDERED = {"S": (1, 5), "E": (0, 4), "L": (1, 5), "C": (0, 3), "B": (0, 2), "R": (0, 2)}
_CS_ORDER = ["yes", "unknown", "no"]  # from least to most worrying


@settings(max_examples=300, deadline=None)
@given(
    values=st.fixed_dictionaries({k: st.integers(lo, hi) for k, (lo, hi) in _ORDERED.items()}),
    Cs=st.sampled_from(_CS_ORDER),
    harm=st.booleans(),
    cop=st.sampled_from([[], ["loss_of_control"], ["privacy"]]),
    bump=st.sampled_from([*_ORDERED, "Cs", "harm"]),
)
def test_raising_any_input_never_lowers_the_level(values, Cs, harm, cop, bump):
    rubric = load_rubric(RUBRIC_PATH)
    tags = Tags(cop=cop)
    before = assess(inputs(**values, Cs=Cs, harm=harm, domain=None), tags, rubric).computed_level
    raised = dict(values, Cs=Cs, harm=harm)
    if bump == "Cs":
        raised["Cs"] = _CS_ORDER[min(_CS_ORDER.index(Cs) + 1, 2)]
    elif bump == "harm":
        raised["harm"] = True
    else:
        raised[bump] = min(values[bump] + 1, _ORDERED[bump][1])
    after = assess(inputs(**raised, domain=None), tags, rubric).computed_level
    assert LEVELS.index(after) >= LEVELS.index(before)


# --- Confidence (section 4) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("evidence", "agreement", "expected"),
    [
        ("robust", "low", "Moderate"),
        ("robust", "medium", "Moderate"),
        ("robust", "high", "High"),
        ("medium", "low", "Low"),
        ("medium", "medium", "Moderate"),
        ("medium", "high", "Moderate"),
        ("limited", "low", "Low"),
        ("limited", "medium", "Low"),
        ("limited", "high", "Low"),
    ],
)
def test_confidence_table(rubric, evidence, agreement, expected):
    a = assess(inputs(evidence=evidence, agreement=agreement), COP, rubric)
    assert a.confidence == expected
    assert a.confidence_sentence == f"We hold this assessment with {expected.lower()} confidence."


def test_confidence_does_not_change_the_level(rubric):
    assert {
        assess(inputs(evidence=e, agreement=g), COP, rubric).level
        for e in ("limited", "robust")
        for g in ("low", "high")
    } == {"Moderate"}


# --- The two sentences (ICD 203) -------------------------------------------------------------------

_ALL_LIKELIHOOD_WORDS = re.compile(
    r"\b(almost no chance|very unlikely|unlikely|roughly even chance|likely|very likely|almost certain)\b|%"
)


@pytest.mark.parametrize(
    ("L", "sentence"),
    [
        (1, "We judge it very unlikely (≤20%) that this behaviour causes real-world harm within 12 months."),
        (2, "We judge it unlikely (20–45%) that this behaviour causes real-world harm within 12 months."),
        (
            3,
            "We judge there is a roughly even chance (45–55%) that this behaviour causes real-world harm "
            "within 12 months.",
        ),
        (4, "We judge it likely (55–80%) that this behaviour causes real-world harm within 12 months."),
        (5, "We judge it very likely (>80%) that this behaviour causes real-world harm within 12 months."),
    ],
)
def test_likelihood_sentence_uses_the_icd203_words_of_the_band(rubric, L, sentence):
    a = assess(inputs(E=2, L=L, evidence="robust", agreement="high"), COP, rubric)
    assert a.likelihood_sentence == sentence
    assert f"{a.likelihood_words} ({a.likelihood_band})" in sentence
    assert a.likelihood_words in rubric.likelihood[L].icd203
    # Two sentences: the confidence sentence carries no likelihood word or percentage.
    assert a.confidence_sentence == "We hold this assessment with high confidence."
    assert not _ALL_LIKELIHOOD_WORDS.search(a.confidence_sentence)
    assert "confidence" not in a.likelihood_sentence


def test_sentences_follow_the_horizon_and_close_the_statement(rubric):
    a = assess(inputs(horizon=1, statement="Single self-reported source"), COP, rubric)
    assert (
        a.likelihood_sentence
        == "We judge it very unlikely (≤20%) that this behaviour causes real-world harm within 1 month."
    )
    assert a.confidence_sentence == "We hold this assessment with moderate confidence. Single self-reported source."
    assert assess(inputs(horizon=24), COP, rubric).likelihood_sentence.endswith("within 24 months.")


def test_likelihood_default_given_evidence(rubric):
    assert assess(inputs(E=1, L=1), COP, rubric).likelihood_deviates is False
    a = assess(inputs(E=1, L=4), COP, rubric)
    assert (a.likelihood_default, a.likelihood_deviates) == ((1, 2), True)
    assert assess(inputs(E=4, L=5, C=0), COP, rubric).likelihood_deviates is False


# --- Analyst override (section 7) -------------------------------------------------------------------


def _override(**kw) -> Override:
    base = dict(
        level="High",
        justification=(
            "Real deployments give the model the access the scenario needed [@anthropic-agentic-misalignment-2025-06]."
        ),
        analyst="J. Analyst",
        date=dt.date(2025, 6, 5),
    )
    return Override(**(base | kw))


def test_override_sets_the_final_level_and_keeps_the_computed_one(rubric):
    a = assess(inputs(override=_override()), COP, rubric)
    assert (a.level, a.computed_level, a.overridden) == ("High", "Moderate", True)
    assert a.override == _override()
    assert a.trace[-1] == Step("override", "Analyst override sets the level to High (computed: Moderate).", "High")
    assert a.review_by == dt.date(2025, 9, 3)  # 90 days after the override date
    assert assess(inputs(override=_override(review_by=dt.date(2025, 8, 1))), COP, rubric).review_by == dt.date(
        2025, 8, 1
    )


def _lint(rubric, override, kw=None, today=TODAY, **options):
    risk = inputs(override=override, **(kw or {}))
    return [(str(p), p.severity) for p in lint_override(risk, assess(risk, COP, rubric), WHERE, today, **options)]


def test_a_valid_override_has_no_problems(rubric):
    assert _lint(rubric, _override()) == []
    assert lint_override(inputs(), assess(inputs(), COP, rubric), WHERE, TODAY) == []


def test_override_without_justification_is_an_error(rubric):
    assert _lint(rubric, _override(justification="  ")) == [
        (
            "data/incidents/example.yaml:12: risk.override.justification: missing (expected at least one sentence "
            "that justifies the override and cites evidence, e.g. [@source-id])",
            "error",
        ),
    ]


def test_override_justification_must_cite_evidence(rubric):
    assert _lint(rubric, _override(justification="The analyst thinks it matters more; mail a@b.org.")) == [
        (
            "data/incidents/example.yaml:12: risk.override.justification: cites no evidence (expected at least one "
            "evidence id, e.g. [@source-id] or the id of one of the incident's sources)",
            "error",
        ),
    ]
    # A bare source id counts when the caller names the incident's evidence ids.
    bare = _override(justification="See claude-4-system-card-s4.1.1.2 on real deployments.")
    assert _lint(rubric, bare, evidence_ids={"claude-4-system-card-s4.1.1.2"}) == []
    assert _lint(rubric, bare, evidence_ids={"claude-4-system-card"}) != []
    assert _lint(rubric, _override(justification="As @syscard-2025 reports.")) == []
    assert _lint(rubric, _override(justification="Shown in [see @syscard, p. 3; @other].")) == []


def test_override_needs_analyst_and_date(rubric):
    assert _lint(rubric, _override(analyst="", date=None)) == [
        (
            "data/incidents/example.yaml:12: risk.override.analyst: missing (expected the name of the analyst who set "
            "the override)",
            "error",
        ),
        (
            "data/incidents/example.yaml:12: risk.override.date: missing (expected the date the override was set, as "
            "YYYY-MM-DD)",
            "error",
        ),
    ]


def test_override_of_more_than_one_step_needs_a_reviewer(rubric):
    assert _lint(rubric, _override(level="Critical")) == [
        (
            "data/incidents/example.yaml:12: risk.override.reviewer: missing: the override moves the level 2 steps, "
            "from Moderate to Critical (expected a reviewer for an override of more than one step)",
            "error",
        ),
    ]
    assert _lint(rubric, _override(level="Critical", reviewer="K. Reviewer")) == []
    assert _lint(rubric, _override(level="Low")) == []  # one step down, no floor


def test_override_below_a_floor_needs_a_reviewer(rubric):
    floor_case = dict(S=1, E=1, L=1, C=2, Cs="unknown", B=0, R=0)  # F3: computed High
    assert _lint(rubric, _override(level="Moderate"), floor_case) == [
        (
            "data/incidents/example.yaml:12: risk.override.reviewer: missing: the override sets Moderate, below the "
            "High that floor F3 requires (expected a reviewer for an override below a floor)",
            "error",
        ),
    ]
    assert _lint(rubric, _override(level="Moderate", reviewer="K. Reviewer"), floor_case) == []
    # Two steps down and below two floors: both rules are reported.
    both = dict(S=4, E=4, L=1, C=2, Cs="no", B=0, R=0)  # F1 and F3: computed High
    assert _lint(rubric, _override(level="Low"), both) == [
        (
            "data/incidents/example.yaml:12: risk.override.reviewer: missing: the override moves the level 2 steps, "
            "from High to Low (expected a reviewer for an override of more than one step)",
            "error",
        ),
        (
            "data/incidents/example.yaml:12: risk.override.reviewer: missing: the override sets Low, below the High "
            "that floors F1 and F3 require (expected a reviewer for an override below a floor)",
            "error",
        ),
    ]
    critical = dict(S=5, E=4, L=5, C=3, Cs="no", B=0, R=0)  # F1 and F4: computed Critical
    assert _lint(rubric, _override(level="Moderate"), critical) == [
        (
            "data/incidents/example.yaml:12: risk.override.reviewer: missing: the override moves the level 2 steps, "
            "from Critical to Moderate (expected a reviewer for an override of more than one step)",
            "error",
        ),
        (
            "data/incidents/example.yaml:12: risk.override.reviewer: missing: the override sets Moderate, below the "
            "Critical that floor F4 requires (expected a reviewer for an override below a floor)",
            "error",
        ),
    ]


def test_override_lint_accepts_a_computed_level_and_the_rubric(rubric):
    risk = inputs(S=1, E=1, L=1, C=2, Cs="unknown", B=0, R=0, override=_override(level="Moderate"))
    expected = [
        "data/incidents/example.yaml:12: risk.override.reviewer: missing: the override sets Moderate, below the High "
        "that floor F3 requires (expected a reviewer for an override below a floor)"
    ]
    assert [str(p) for p in lint_override(risk, "High", WHERE, TODAY, rubric=rubric)] == expected
    assert lint_override(risk, "High", WHERE, TODAY) == []  # without the rubric the floors are unknown


def test_expired_review_by_is_a_warning(rubric):
    assert _lint(rubric, _override(review_by=dt.date(2025, 6, 30))) == [
        (
            "data/incidents/example.yaml:12: risk.override.review_by: warning: expired on 2025-06-30 (expected a "
            "review by then: confirm or withdraw the override and set a new review_by)",
            "warning",
        ),
    ]
    assert _lint(rubric, _override(review_by=TODAY)) == []  # due today is not expired yet
    # Without review_by, the default is the override date + 90 days (2025-09-03).
    assert _lint(rubric, _override(), today=dt.date(2025, 9, 3)) == []
    assert _lint(rubric, _override(), today=dt.date(2025, 9, 4)) == [
        (
            "data/incidents/example.yaml:12: risk.override.review_by: warning: expired on 2025-09-03, 90 days after "
            "the override date (expected a review by then: confirm or withdraw the override and set review_by)",
            "warning",
        ),
    ]


def test_override_to_the_computed_level_is_a_warning(rubric):
    assert _lint(rubric, _override(level="Moderate")) == [
        (
            "data/incidents/example.yaml:12: risk.override.level: warning: Moderate is the computed level already "
            "(expected a different level, or no override)",
            "warning",
        ),
    ]


def test_override_field_paths_follow_the_location_field(rubric):
    risk = inputs(override=_override(analyst=""))
    problems = lint_override(risk, assess(risk, COP, rubric), Location("x.yaml", 3, "incidents[2].risk"), TODAY)
    assert [p.location for p in problems] == [Location("x.yaml", 3, "incidents[2].risk.override.analyst")]
    assert [p.location.field for p in lint_override(risk, "Moderate", Location("x.yaml"), TODAY)] == [
        "risk.override.analyst"
    ]


def test_assessment_is_immutable(rubric):
    a = assess(inputs(), COP, rubric)
    assert isinstance(a, Assessment)
    with pytest.raises(AttributeError):
        a.level = "High"  # type: ignore[misc]
