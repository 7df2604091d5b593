"""Property-based tests over the loaders: whatever the input, only the tool's own errors.

Random bytes, text, YAML structures and CSV text go to the parsing functions directly and, through
a project on disk, to `validate` (which loads, validates, runs the rubric on every assessed
incident and the regulatory checks) and to an HTML build. Nothing may raise but a BriefError,
and every problem is one line. The rubric's monotonicity (the level never decreases when
severity, likelihood or any other input increases) is tests/test_risk.py's
test_raising_any_input_never_lowers_the_level; it is not repeated here.
"""

from __future__ import annotations

import csv
import io
import json
import math
import tempfile
from pathlib import Path
from typing import Any

import yaml
from conftest import EVALUATIONS, INCIDENT, RECOMMENDATIONS, write_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from brief.check.validate import validate
from brief.cli import app
from brief.core.errors import BriefError
from brief.load.config import load_config
from brief.load.dataset import EVALUATION_COLUMNS, _Collector, read_csv_rows
from brief.load.yamlio import YamlProblem, load_lined

runner = CliRunner()
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

INC = "data/incidents/example-finding.yaml"
TARGETS = [INC, "data/sources.json", "data/evaluations/example.csv", "data/recommendations.yaml", "briefs/example.yaml"]

# Scalars YAML can produce, including the awkward ones.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "2025-02-30",
            "0000-01-01",
            "yes",
            "~",
            "=1+1",
            "../../x",
            "@dev-2025-card",
            "[@nosuch]",
            "\ufeff",
            "regulator",
        ]
    ),
)
structures = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=20,
)

_PROJECT: Path | None = None


def project() -> Path:
    """One valid project for the whole module (each example rewrites one file, then restores it)."""
    global _PROJECT
    if _PROJECT is None:
        _PROJECT = write_project(Path(tempfile.mkdtemp(prefix="brief-prop-")) / "p")
    return _PROJECT


def check_only_own_errors(rel: str, content: bytes) -> list[str]:
    """Write `content` to one file of the project, validate, restore; return the problem lines."""
    root = project()
    path = root / rel
    original = path.read_bytes()
    path.write_bytes(content)
    try:
        try:
            report = validate(load_config(root))
        except BriefError as exc:  # brief.toml problems and the like
            return exc.lines()
        lines = [str(p) for p in report.problems]
    finally:
        path.write_bytes(original)
    for line in lines:
        assert "\n" not in line and line.strip(), repr(line)
    return lines


@FAST
@given(data=st.binary(max_size=400), rel=st.sampled_from(TARGETS))
def test_random_bytes_in_any_data_file(data: bytes, rel: str) -> None:
    check_only_own_errors(rel, data)


@FAST
@given(text=st.text(max_size=300), rel=st.sampled_from(TARGETS))
def test_random_text_in_any_data_file(text: str, rel: str) -> None:
    check_only_own_errors(rel, text.encode("utf-8", "surrogatepass"))


@FAST
@given(
    doc=structures, rel=st.sampled_from([INC, "data/sources.json", "data/recommendations.yaml", "briefs/example.yaml"])
)
def test_random_yaml_structures(doc: Any, rel: str) -> None:
    check_only_own_errors(rel, yaml.safe_dump(doc, allow_unicode=True).encode())


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, prefix + (index,))
    return out


BASE_INCIDENT = yaml.safe_load(INCIDENT)
INCIDENT_PATHS = _paths(BASE_INCIDENT)


def _replace(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = dict(node) if isinstance(node, dict) else list(node)
    copy[path[0]] = _replace(node[path[0]], path[1:], value)
    return copy


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(INCIDENT_PATHS), value=structures)
def test_one_field_of_a_valid_incident_replaced_by_anything(path: tuple[Any, ...], value: Any) -> None:
    """The sharpest fuzzer: a valid incident (rubric inputs included) with one value swapped."""
    doc = _replace(BASE_INCIDENT, path, value)
    check_only_own_errors(INC, yaml.safe_dump(doc, allow_unicode=True, default_flow_style=False).encode())


cells = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["", "nan", "inf", "-inf", "1e309", "-5", "140", "=1", "+1", "-1+1", "@x", "2025-13-01", '"', "\r", "0.5"]
    ),
)


@FAST
@given(rows=st.lists(st.lists(cells, min_size=0, max_size=21), max_size=5), header=st.booleans())
def test_random_csv_rows(rows: list[list[str]], header: bool) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(EVALUATIONS.splitlines()[0].split(","))
    writer.writerows(rows)
    check_only_own_errors("data/evaluations/example.csv", out.getvalue().encode())


@FAST
@given(text=st.text(max_size=400))
def test_the_yaml_parser_raises_only_its_own_error(text: str) -> None:
    try:
        load_lined(text)
    except YamlProblem as exc:
        assert isinstance(exc.line, int) and exc.line >= 0 and exc.message


@FAST
@given(text=st.text(max_size=400))
def test_the_csv_reader_never_raises(text: str) -> None:
    col = _Collector(load_config(project()))
    rows = read_csv_rows(col, project() / "x.csv", text, EVALUATION_COLUMNS, {"id"})
    for line, row in rows:
        assert line >= 2 and set(row) <= set(EVALUATION_COLUMNS)
        for name in ("value", "interval_low", "interval_high"):
            if row.get(name) is not None:
                try:
                    assert math.isfinite(float(row[name]))
                except ValueError:
                    pass


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(INCIDENT_PATHS), value=structures)
def test_a_build_of_anything_that_validates_renders_or_fails_cleanly(path: tuple[Any, ...], value: Any) -> None:
    doc = _replace(BASE_INCIDENT, path, value)
    root = project()
    target = root / INC
    original = target.read_bytes()
    target.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    try:
        result = runner.invoke(
            app,
            [
                "build",
                "--project",
                str(root),
                "--html-only",
                "--date",
                "2026-11-26",
                "--edition",
                "prop",
                "--force",
                "-q",
            ],
        )
    finally:
        target.write_bytes(original)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 1:
        assert result.stderr.strip(), "a failure says why"


def test_recommendations_and_briefs_roundtrip_through_json() -> None:
    """Sanity for the strategies: the unmodified files validate (so failures above come from the change)."""
    assert [p for p in validate(load_config(project())).problems if p.is_error] == []
    assert yaml.safe_load(RECOMMENDATIONS) and json.dumps(BASE_INCIDENT, default=str)
