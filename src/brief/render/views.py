"""The records a brief's sections read: each incident in scope with what was computed for it, and
the rows of the evaluation results table."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TypedDict

from brief.assess import stats
from brief.assess.recommend import Fired
from brief.assess.risk import Assessment
from brief.load.model import Evaluation, Incident


@dataclass
class IncidentView:
    """An incident with its computed assessment and the rows the templates show."""

    incident: Incident
    assessment: Assessment | None
    robustness: list[tuple[str, str]]
    evaluations: list[Evaluation]
    recommendations: list[Fired]  # as they apply to this incident, with their deadlines

    @property
    def id(self) -> str:
        return self.incident.id


class EvaluationRow(TypedDict):
    """One evaluation result as the table prints it."""

    record: Evaluation
    value: str
    n: str
    interval: str
    bounds: tuple[float, float] | None  # the 95% Wilson interval, where n is known
    share: float | None


# Evaluation results grouped by evaluation, in the order the incidents list them.
Groups = OrderedDict[str, list[EvaluationRow]]


def evaluation_row(ev: Evaluation) -> EvaluationRow:
    """Return one evaluation row as the table prints it."""
    return {
        "record": ev,
        "value": stats.value_text(ev),
        "n": stats.n_text(ev),
        "interval": stats.interval_text(ev),
        "bounds": stats.wilson_bounds(ev),
        "share": ev.share,
    }
