"""Regulatory mapping: per incident, the regulatory flags, reporting clocks and cross-walk.

For each incident the engine answers a regulator's questions: is it a serious incident under AI Act
Art. 3(49), and why; is the model a general-purpose AI model with systemic risk (Art. 51); which
reporting duty runs (Art. 55(1)(c) with the GPAI Code of Practice Measure 9.3 periods, or Art. 73
for high-risk AI systems), and when each report is due; which of the Code's specified systemic
risks, NIST AI RMF subcategories, developer framework thresholds and OECD classes apply. Every flag
names the article or measure it rests on (a source id and locator from data/sources.json) and the
inputs that set it, so a legal officer can check each line against the cited text.

The modules, by concept: `tables` (the rule tables and vocabularies of data/, read once per file
state), `clocks` (deadline arithmetic and duties in time), `flags` (the records a framework returns
and `FrameworkSpec`, a registry entry), one module per framework (`eu`, `cop`, `frontier`, `nist`,
`oecd`), `registry` (the frameworks, in order), `view` (one incident's flags and cross-walk),
`annex` (the annex's reference tables) and `checks` (validation). Everything but the loading is
pure. Dates come from the data and the edition date, never the wall clock; all are indicative.
"""

from __future__ import annotations

from brief.assess.regulatory.annex import PeriodRow, Provision, counting_note, periods, provisions
from brief.assess.regulatory.checks import canonical_tags, check, flag_tokens
from brief.assess.regulatory.clocks import (
    Clock,
    InTime,
    Milestone,
    add_days,
    in_time,
    placing,
    placings,
    report_deadlines,
)
from brief.assess.regulatory.flags import STATE_LABELS, CrosswalkRow, Findings, Flag, FrameworkSpec, Inputs
from brief.assess.regulatory.frontier import own_frameworks
from brief.assess.regulatory.registry import REGISTRY, load_tables
from brief.assess.regulatory.tables import Framework, Ref, Regime, Tables, Term, Vocabulary, anchor
from brief.assess.regulatory.view import RegulatoryView, contradictions, view

__all__ = [
    "REGISTRY",
    "STATE_LABELS",
    "Clock",
    "CrosswalkRow",
    "Findings",
    "Flag",
    "Framework",
    "FrameworkSpec",
    "InTime",
    "Inputs",
    "Milestone",
    "PeriodRow",
    "Provision",
    "Ref",
    "Regime",
    "RegulatoryView",
    "Tables",
    "Term",
    "Vocabulary",
    "add_days",
    "anchor",
    "canonical_tags",
    "check",
    "contradictions",
    "counting_note",
    "flag_tokens",
    "in_time",
    "load_tables",
    "own_frameworks",
    "periods",
    "placing",
    "placings",
    "provisions",
    "report_deadlines",
    "view",
]
