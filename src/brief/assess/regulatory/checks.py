"""Validation of the regulatory inputs: taxonomy tags, regulatory facts, suppressions and trigger tokens."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from brief.assess.regulatory.registry import REGISTRY, load_tables
from brief.assess.regulatory.tables import Tables, Term
from brief.core.errors import DataError, Location, Problem
from brief.core.words import suggest
from brief.load.markers import cite_keys
from brief.load.model import Incident, RegulatoryFacts, Tags

if TYPE_CHECKING:  # pragma: no cover
    from brief.load.dataset import Dataset

FACT_NAMES = tuple(
    name for name in RegulatoryFacts.model_fields if name not in ("framework_reports", "rationale", "status")
)
STATUS_VALUES = {
    "placed-on-market": ("YYYY-MM-DD", "not-established"),
    "cop-signatory": ("yes", "no", "not-established"),
    "systemic-risk-designation": ("designated", "notified", "presumed", "no", "not-established"),
    "deployment": ("deployed", "withdrawn", "not-established"),
    "pending-determination": ("pending", "determined", "not-established"),
}


def canonical_tags(tags: Tags, tables: Tables) -> set[str]:
    """Return an incident's vocabulary tags in every form a trigger may name them.

    `cop:loss_of_control`, `nist:data-privacy` and `nist:Data Privacy`, `mit:7.1` and its domain
    `mit:7`: a trigger matches whichever of the id or label it uses, and a domain matches its
    subdomains.
    """
    out: set[str] = set()
    for prefix, vocab in tables.vocabularies.items():
        for tag in getattr(tags, prefix, None) or []:
            out.add(f"{prefix}:{tag}")
            term = vocab.find(tag)
            if term is None:
                continue
            out |= {f"{prefix}:{term.id}", f"{prefix}:{term.label}"}
            if term.domain:
                out.add(f"{prefix}:{term.domain}")
    return out


def flag_tokens(tables: Tables) -> set[str]:
    """Return every flag token a recommendation trigger may name: the registered frameworks' grammar, spelled out."""
    tokens: set[str] = set()
    for spec in REGISTRY.values():
        if spec.tokens is not None:
            tokens |= spec.tokens(tables)
    return tokens


def _nearest_words(names: list[str]) -> str:
    """Return names as a message lists them: quoted, comma-separated."""
    return ", ".join(repr(n) for n in names)


def check(ds: Dataset, data_dir: Path | str) -> list[Problem]:
    """Return every problem with taxonomy tags, regulatory facts, suppressions and triggers."""
    try:
        tables = load_tables(data_dir)
    except DataError as exc:
        return list(exc.problems)
    problems: list[Problem] = []
    add = problems.append

    def cited(text: str | None, where: Location) -> None:
        """Add a problem for each citation key of `text` that names no source."""
        for key in cite_keys(text or ""):
            if key not in ds.sources:
                add(Problem(where, f"unknown citation key {key!r}" + suggest(key, ds.sources)))

    for inc in ds.incidents.values():
        for prefix, vocab in tables.vocabularies.items():
            seen: dict[str, int] = {}
            for i, tag in enumerate(getattr(inc.tags, prefix, None) or []):
                term = vocab.find(str(tag))
                if term is None or term.id in seen:  # locate only for a problem: it may parse the file again
                    where = inc.locate(f"tags.{prefix}[{i}]")
                if term is None:
                    add(
                        Problem(
                            where,
                            f"unknown {vocab.name} tag {tag!r} (nearest valid: "
                            f"{_nearest_words(vocab.nearest(str(tag)))}; the vocabulary is {vocab.where})",
                        )
                    )
                elif term.id in seen:
                    add(Problem(where, f"{tag!r} repeats tags.{prefix}[{seen[term.id]}] ({term.display})", "warning"))
                else:
                    seen[term.id] = i
        problems.extend(_check_facts(inc, tables, ds, cited))
        listed = set(inc.recommendations)
        seen_ids: set[str] = set()
        for i, sup in enumerate(inc.suppress):
            where = inc.locate(f"suppress[{i}].id")
            if sup.id not in ds.recommendations:
                add(
                    Problem(
                        where, f"unknown recommendation {sup.id!r}" + suggest(sup.id, ds.recommendations, cutoff=0.5)
                    )
                )
            if sup.id in listed:
                add(Problem(where, f"{sup.id!r} is both listed in recommendations and suppressed (keep one)"))
            if sup.id in seen_ids:
                add(Problem(where, f"{sup.id!r} is suppressed twice", "warning"))
            seen_ids.add(sup.id)

    for shown, key in sorted(_table_sources(tables)):
        # Only the project's own tables: the packaged defaults cite sources a project may not curate,
        # and the annex then prints those provisions without a footnote.
        if key not in ds.sources and not Path(shown).is_absolute():
            hint = suggest(key, ds.sources) or " (add it to data/sources.json)"
            add(Problem(Location(shown), f"the table cites unknown source {key!r}{hint}"))

    known = flag_tokens(tables)
    for rec in ds.recommendations.values():
        for i, tag in enumerate(rec.triggers.tags):
            prefix, _, name = str(tag).partition(":")
            known_vocab = tables.vocabularies.get(prefix) if name else None
            if known_vocab is not None and known_vocab.find(name) is None:
                add(
                    Problem(
                        rec.locate(f"triggers.tags[{i}]"),
                        f"unknown {known_vocab.name} tag {name!r} (nearest valid: "
                        f"{_nearest_words([f'{prefix}:{n}' for n in known_vocab.nearest(name)])}; "
                        f"the vocabulary is {known_vocab.where})",
                    )
                )
        for i, token in enumerate(rec.triggers.flags):
            if token not in known:
                close = difflib.get_close_matches(token, sorted(known), n=3, cutoff=0.5)
                add(
                    Problem(
                        rec.locate(f"triggers.flags[{i}]"),
                        f"unknown flag {token!r} (nearest valid: {_nearest_words(close or sorted(_families(known)))})",
                    )
                )
        for i, duty in enumerate(rec.rests_on):
            if duty not in tables.duties:
                close = difflib.get_close_matches(duty, list(tables.duties), n=2, cutoff=0.4) or list(tables.duties)
                add(
                    Problem(
                        rec.locate(f"rests_on[{i}]"),
                        f"unknown duty {duty!r} (nearest valid: {_nearest_words(close)}; the list is in "
                        "data/regulatory/application.yaml)",
                    )
                )
        if rec.request_text and not rec.rests_on:
            add(
                Problem(
                    rec.locate("request_text"),
                    "given, but rests_on names no duty, so it is never printed (name the duty the recommendation "
                    "rests on)",
                    "warning",
                )
            )
        if not cite_keys(rec.rationale):
            add(
                Problem(
                    rec.locate("rationale"),
                    f"recommendation {rec.id!r} has a rationale that cites no source (expected at least one "
                    "[@source-id, locator])",
                    "warning",
                )
            )
    return problems


def _families(tokens: set[str]) -> set[str]:
    """Return the flag families among trigger tokens: those without a state or a qualifier."""
    return {t for t in tokens if "=" not in t and ":" not in t}


def _table_sources(tables: Tables) -> set[tuple[str, str]]:
    """Return (table file, source id) for every source the tables cite."""
    by_name = {Path(p).name: p for p in tables.paths}
    out = {(v.path, v.source) for v in tables.vocabularies.values() if v.source}
    for regime in tables.regimes.values():
        out |= {(by_name["clocks.yaml"], r.source) for r in (*regime.basis, regime.applies_from_basis) if r.source}
    for code, entry in tables.flags.items():
        out |= {(by_name["flags.yaml"], r.source) for r in tables.refs(code)}
        out |= {(by_name["flags.yaml"], r.source) for r in (entry.relevant.basis if entry.relevant else ())}
    if tables.nist_source:
        out.add((by_name["flags.yaml"], tables.nist_source))
    out |= {(by_name["frameworks.yaml"], fw.source) for fw in tables.frameworks.values() if fw.source}
    return out


def _check_facts(
    inc: Incident, tables: Tables, ds: Dataset, cited: Callable[[str | None, Location], None]
) -> list[Problem]:
    """Return the problems of one incident's `regulatory:` facts (harm types, status facts, framework reports)."""
    facts = inc.regulatory
    if facts is None:
        return []
    problems: list[Problem] = []
    add = problems.append
    at = inc.locate
    for i, h in enumerate(facts.harm_types):
        if h not in tables.harm_types:
            close = (
                difflib.get_close_matches(h, list(tables.harm_types), n=3, cutoff=0.3) or list(tables.harm_types)[:3]
            )
            add(
                Problem(
                    at(f"regulatory.harm_types[{i}]"),
                    f"unknown harm type {h!r} (nearest valid: {_nearest_words(close)}; the list is in "
                    "data/regulatory/clocks.yaml)",
                )
            )
    evidence = inc.risk.evidence if inc.risk else None
    if facts.harm_types and facts.realised_harm is False:
        add(
            Problem(
                at("regulatory.harm_types"),
                "harm types are recorded but realised_harm is false (harm types describe realised harm; remove them "
                "or set realised_harm: true)",
                "warning",
            )
        )
    if facts.realised_harm is True and evidence is not None and evidence < 4:
        add(
            Problem(
                at("regulatory.realised_harm"),
                f"true, but risk.evidence is E{evidence} (E4 is realised harm in real use; one of the two is wrong)",
                "warning",
            )
        )
    if facts.realised_harm is False and evidence == 4:
        add(
            Problem(
                at("regulatory.realised_harm"),
                "false, but risk.evidence is E4 (realised harm in real use; one of the two is wrong)",
                "warning",
            )
        )
    realised = (
        facts.realised_harm
        if facts.realised_harm is not None
        else (evidence == 4 if evidence is not None else inc.kind.value == "incident")
    )
    grave = {"death", "critical-infrastructure", "widespread-infringement"} & set(facts.harm_types)
    if realised and grave and inc.risk is not None and not inc.risk.fatal_or_ci_or_widespread:
        add(
            Problem(
                at("risk.fatal_or_ci_or_widespread"),
                f"false, but regulatory.harm_types records {', '.join(sorted(grave))} (set it to true so that rubric "
                "floor F2 applies)",
                "warning",
            )
        )
    serious = [h for h in facts.harm_types if h in tables.harm_types]
    if realised and serious and facts.awareness_date is None:
        add(
            Problem(
                at("regulatory"),
                "no awareness_date: reporting clocks count from the incident date instead (give the date the provider "
                "became aware, when known)",
                "warning",
            )
        )
    if facts.resolved_date and facts.awareness_date and facts.resolved_date < facts.awareness_date:
        add(
            Problem(
                at("regulatory.resolved_date"), f"{facts.resolved_date} is before awareness_date {facts.awareness_date}"
            )
        )
    if facts.gpai_systemic_risk == "presumed" and facts.training_compute_disclosed is False:
        add(
            Problem(
                at("regulatory.gpai_systemic_risk"),
                "presumed, but training compute is not disclosed (the Art. 51(2) presumption needs more than 10^25 "
                "FLOP; use 'unknown' unless the provider notified the Commission or was designated)",
                "warning",
            )
        )
    for name in facts.rationale:
        where = at(f"regulatory.rationale.{name}")
        if name not in FACT_NAMES:
            close = difflib.get_close_matches(name, FACT_NAMES, n=2, cutoff=0.5)
            add(
                Problem(
                    where,
                    f"unknown fact {name!r} (expected one of {', '.join(FACT_NAMES)})"
                    + (f"; did you mean {_nearest_words(close)}?" if close else ""),
                )
            )
        # Its citations are checked with every prose field's (model.prose_fields, validate.py).
    for i, fact in enumerate(facts.status):
        f = f"regulatory.status[{i}]"
        allowed = STATUS_VALUES[fact.fact]
        if fact.fact == "placed-on-market" and fact.value != "not-established":
            try:
                dt.date.fromisoformat(fact.value)
            except ValueError:
                add(
                    Problem(at(f"{f}.value"), f"{fact.value!r} is not a date (expected YYYY-MM-DD, or not-established)")
                )
        elif fact.value not in allowed:
            close = difflib.get_close_matches(fact.value, allowed, n=1, cutoff=0.5)
            add(
                Problem(
                    at(f"{f}.value"),
                    f"unknown value {fact.value!r} for {fact.fact} (expected one of {', '.join(allowed)})"
                    + (f"; did you mean {close[0]!r}?" if close else ""),
                )
            )
        if fact.value != "not-established":
            if fact.as_of is None:
                add(
                    Problem(
                        at(f"{f}.as_of"),
                        f"missing: a {fact.fact} fact can go stale; give the date its source says it held",
                    )
                )
            if not fact.source:
                add(
                    Problem(
                        at(f"{f}.source"),
                        f"missing: a {fact.fact} fact must name its source (or use value: not-established)",
                    )
                )
        if fact.source and fact.source not in ds.sources:
            add(Problem(at(f"{f}.source"), f"unknown source {fact.source!r}" + suggest(fact.source, ds.sources)))
        if fact.fact != "placed-on-market" and fact.value != "not-established" and not fact.past:
            add(
                Problem(
                    at(f"{f}.past"),
                    "missing: give the sentence in the past tense, printed once the fact is older than the brief's "
                    "stale_after_months",
                    "warning",
                )
            )
    cop = tables.vocabularies["cop"]
    for i, report in enumerate(facts.framework_reports):
        f = f"regulatory.framework_reports[{i}]"
        fw = tables.frameworks.get(report.framework)
        if fw is None:
            close = difflib.get_close_matches(report.framework, list(tables.frameworks), n=2, cutoff=0.3) or list(
                tables.frameworks
            )
            add(
                Problem(
                    at(f"{f}.framework"),
                    f"unknown framework {report.framework!r} (nearest valid: {_nearest_words(close)}; the list is in "
                    "data/regulatory/frameworks.yaml)",
                )
            )
        elif fw.find(report.threshold) is None:
            names = [t.id for t in fw.thresholds]
            close = difflib.get_close_matches(report.threshold, names, n=3, cutoff=0.3) or names[:3]
            add(
                Problem(
                    at(f"{f}.threshold"),
                    f"unknown {fw.short} threshold {report.threshold!r} (nearest valid: {_nearest_words(close)})",
                )
            )
        if report.domain and cop.find(report.domain) is None:
            add(
                Problem(
                    at(f"{f}.domain"),
                    f"unknown CoP specified systemic risk {report.domain!r} (nearest valid: "
                    f"{_nearest_words(cop.nearest(report.domain))})",
                )
            )
        if report.source not in ds.sources:
            add(Problem(at(f"{f}.source"), f"unknown source {report.source!r}" + suggest(report.source, ds.sources)))
        if not report.locator:
            add(
                Problem(
                    at(f"{f}.locator"),
                    f"no locator for {report.source!r} (give the section, page or paragraph where the developer "
                    "reports it)",
                    "warning",
                )
            )
        cited(report.note, at(f"{f}.note"))
        threshold = fw.find(report.threshold) if fw else None
        if fw is not None and threshold is not None and inc.risk is not None:
            domain = report.domain or threshold.domain
            implied = threshold.rung if report.status == "reached" else (1 if report.status != "ruled-out" else 0)
            cap = inc.risk.capability
            if (
                domain
                and cap.domain
                and (cop.find(cap.domain) or Term(cap.domain, cap.domain)).id
                == (cop.find(domain) or Term(domain, domain)).id
                and cap.status < implied
            ):
                add(
                    Problem(
                        at("risk.capability.status"),
                        f"C{cap.status}, but the developer reports {fw.short} {threshold.id} as {report.status} for "
                        f"{domain}, which the cross-walk reads as C{implied} (check the capability input)",
                        "warning",
                    )
                )
    return problems
