"""The default data is accurate: the invariants an analyst checks before trusting a brief."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import REPO

from brief.assess import risk
from brief.assess.risk import rubric_path
from brief.check.validate import validate
from brief.load.config import load_config
from brief.load.model import ClaimStatus, Reliability, Verification, prose_fields

FOCUS = "anthropic-claude-opus-4-blackmail-2025-05"


@pytest.fixture(scope="module")
def report():
    return validate(load_config(REPO), today=dt.date(2026, 11, 26))


def prose(ds):
    """Yield (where, text) for every prose field of the default data (model.prose_fields)."""
    for record in [*ds.incidents.values(), *ds.recommendations.values(), *ds.briefs.values()]:
        for field, text in prose_fields(record):
            yield f"{record.id}.{field}", text


def test_default_data_is_clean_under_strict(report) -> None:
    assert [str(p) for p in report.problems] == []


def test_worked_example_gives_moderate_with_moderate_confidence(report) -> None:
    inc = report.dataset.incidents[FOCUS]
    rubric = risk.load_rubric(rubric_path(load_config(REPO), inc.risk.rubric))
    a = risk.assess(inc.risk, inc.tags, rubric)
    assert (a.base_level, a.computed_level, a.level, a.confidence) == ("Low", "Moderate", "Moderate", "Moderate")
    assert (
        inc.risk.severity,
        inc.risk.evidence,
        inc.risk.likelihood,
        inc.risk.capability.status,
        inc.risk.breadth,
        inc.risk.reversibility,
    ) == (3, 1, 1, 0, 2, 1)


def test_84_percent_always_comes_with_its_condition(report) -> None:
    """'84% of cases' is the press error; our own prose says rollouts of one condition."""
    for where, text in prose(report.dataset):
        for sentence in re.split(r"(?<=[.;])\s+", text):
            if "84%" not in sentence:
                continue
            if re.search(r"84% of (cases|tests|trials)", sentence):
                assert re.search(r"[\"“']84% of (cases|tests|trials)", sentence) or "write" in sentence, (
                    f"{where}: {sentence}"
                )
                continue
            context = text[max(0, text.find(sentence) - 300) : text.find(sentence) + len(sentence) + 300]
            assert re.search(r"rollout|condition|share[sd]? (its|the model's) values", context), (
                f"{where}: 84% without its condition: {sentence}"
            )


def test_press_errors_are_recorded_with_their_corrections(report) -> None:
    ds = report.dataset
    press = [(inc.id, c) for inc in ds.incidents.values() for c in inc.claims if c.kind == "press"]
    statuses = {c.status for _, c in press}
    assert {ClaimStatus.partly_accurate, ClaimStatus.contradicted, ClaimStatus.unverified} <= statuses
    for inc_id, claim in press:
        if claim.status in (ClaimStatus.partly_accurate, ClaimStatus.contradicted):
            assert claim.note and "[@" in claim.note, f"{inc_id}/{claim.id}: the correction cites its primary source"
        if claim.status == ClaimStatus.unverified:
            assert claim.note and not claim.sources, (
                f"{inc_id}/{claim.id}: unverified claims say why and rest on nothing"
            )
    cases = [c for _, c in press if "84% of cases" in c.text]
    assert cases and all(c.status == ClaimStatus.partly_accurate for c in cases)
    assert all(c.reported_by for c in cases)  # who repeated it (Axios, Fox Business as attributed)
    asl3 = ds.incidents["anthropic-asl3-activation-2025-05"]
    blamed = [
        c for c in asl3.claims if "blackmail" in c.id
    ]  # "The shocking result led Anthropic to classify ... ASL-3"
    assert blamed and all(c.status == ClaimStatus.contradicted for c in blamed)


def test_unverified_and_press_sources_never_support_facts(report) -> None:
    ds = report.dataset
    assert ds.sources["foxbusiness-2025-opus4"].verification == Verification.unverified
    for inc in ds.incidents.values():
        for claim in inc.claims:
            for ref in claim.sources:
                src = ds.sources[ref.id]
                assert src.verification != Verification.unverified, f"{inc.id}/{claim.id} rests on unverified {ref.id}"
                if claim.status == ClaimStatus.confirmed:
                    assert src.reliability == Reliability.primary, f"{inc.id}/{claim.id} confirmed on {ref.id}"
                assert ref.locator, f"{inc.id}/{claim.id}: locator"
                assert ref.quote or re.search(r"fig|table", ref.locator.lower()), (
                    f"{inc.id}/{claim.id}: a quote, unless read from a figure or table"
                )
    for where, text in prose(ds):
        assert "foxbusiness-2025-opus4" not in text, where


def test_evaluation_rows_keep_n_and_conditions_honest(report) -> None:
    rows = report.dataset.evaluations
    blackmail = [e for e in rows if e.model.startswith("Claude Opus 4") and e.value == 84]
    assert len(blackmail) == 1
    row = blackmail[0]
    assert row.n is None and "not" in (row.n_note or "").lower()
    assert "share" in row.condition.lower() and "value" in row.condition.lower()
    am = [e for e in rows if e.value == 96 and e.model == "Claude Opus 4"]
    assert am and am[0].n == 100
    palisade = {(e.model, e.value, e.n) for e in rows if e.source.startswith("palisade") and e.unit == "count"}
    assert ("o3", 7, 100) in palisade and ("o3", 79, 100) in palisade
    for e in rows:
        assert e.verification in ("P", "P-fig")
