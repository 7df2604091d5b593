"""The registry of regulatory frameworks: every framework the engine maps incidents to, in annex order.

The view (view.py), the annex (annex.py) and the checks (checks.py) iterate `REGISTRY`; a framework
adds itself here as one entry, a `FrameworkSpec` (flags.py), usually defined in its own module.
The order is the order of the flags in the view, of the provisions in the annex and of the
vocabularies in every list.
"""

from __future__ import annotations

from pathlib import Path

from brief.assess.regulatory import cop, eu, frontier, nist, oecd
from brief.assess.regulatory.flags import FrameworkSpec
from brief.assess.regulatory.tables import Tables, read_tables

MIT = FrameworkSpec(code="mit", label="MIT AI Risk Repository domain taxonomy", vocabulary="mit.yaml")
RMF = FrameworkSpec(code="rmf", label="NIST AI RMF 1.0", vocabulary="nist-ai-rmf-1.0.yaml", tags_in_crosswalk=False)

REGISTRY: dict[str, FrameworkSpec] = {
    spec.code: spec for spec in (MIT, eu.SPEC, cop.SPEC, frontier.SPEC, nist.SPEC, oecd.SPEC, RMF)
}


def vocabulary_files() -> dict[str, str]:
    """Return each registered vocabulary's prefix -> its file in data/vocab/, in registry order."""
    return {spec.code: spec.vocabulary for spec in REGISTRY.values() if spec.vocabulary}


def load_tables(data_dir: Path | str) -> Tables:
    """Return the vocabularies and rule tables of a data folder for the registered frameworks (cached)."""
    codes = tuple(code for spec in REGISTRY.values() for code in spec.flag_codes)
    return read_tables(data_dir, vocabulary_files(), codes)
