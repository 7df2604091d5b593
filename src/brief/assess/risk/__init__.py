"""The risk rubric (docs/risk-rubric.md): its tables, the assessment they give, the override checks.

tables.py reads `data/rubric/<version>.yaml` into a `Rubric`; assessment.py applies it to one
incident's inputs (level, confidence, derivation trace, robustness); lint.py checks an analyst
override. Callers import the names below from `brief.assess.risk`.
"""

from brief.assess.risk.assessment import Assessment, Step, assess, robustness
from brief.assess.risk.lint import lint_override
from brief.assess.risk.tables import Clause, LikelihoodBand, Rubric, Rule, load_rubric, rubric_path

__all__ = [
    "Assessment",
    "Clause",
    "LikelihoodBand",
    "Rubric",
    "Rule",
    "Step",
    "assess",
    "lint_override",
    "load_rubric",
    "robustness",
    "rubric_path",
]
