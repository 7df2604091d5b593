"""A new regulatory framework is one registry entry: its flags reach the regulator brief's matrix and annex.

The toy "Toy Accord" framework below is what docs/extending.md ("A new regulatory framework") walks
through: a `FrameworkSpec` with its rules in a small YAML file read by a pydantic model, registered
for the test only. Nothing in the view, the annex, the checks or the templates is edited for it.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from conftest import REPO
from pydantic import BaseModel, ConfigDict
from typer.testing import CliRunner

from brief.assess import regulatory
from brief.assess.regulatory import registry
from brief.assess.regulatory.flags import Findings, Flag, FrameworkSpec, Inputs, Provision, tokens
from brief.assess.regulatory.tables import Ref, Tables
from brief.cli import app
from brief.core.errors import DataError
from brief.load.config import load_config
from brief.load.dataset import load_dataset
from brief.load.tables import read_table

runner = CliRunner()
CODE = "TOY.ART7"
RULES = """\
name: Toy duty to notify (Toy Accord Art. 7)
rule: A provider notifies the Toy Office of any realised harm within 3 days.
verdicts:
  "yes": "Notify the Toy Office: harm was realised."
  "no": "No notice due: no harm was realised."
"""


class ToyRules(BaseModel):
    """The toy framework's data file."""

    model_config = ConfigDict(extra="forbid")
    name: str
    rule: str
    verdicts: dict[str, str]


def toy_spec(rules_file: Path) -> FrameworkSpec:
    """Return the toy framework: one flag per incident, set by realised harm."""
    rules = read_table(rules_file, ToyRules)
    basis = (Ref("toy-accord", "art. 7", "Toy Accord Art. 7"),)

    def flags(x: Inputs, tables: Tables) -> Findings:
        state = "yes" if x.realised else "no"
        flag = Flag(
            CODE,
            CODE,
            rules.name,
            state,
            rules.verdicts[state],
            (("Realised harm", x.realised_text),),
            rules.rule,
            basis,
            tokens=tokens(CODE, state, state),
        )
        return Findings((flag,))

    def provisions(tables: Tables) -> list[Provision]:
        return [Provision(CODE, rules.name, basis, rules.rule)]

    return FrameworkSpec(
        code="toy",
        label="Toy Accord",
        flags=flags,
        provisions=provisions,
        tokens=lambda tables: {CODE, f"{CODE}=yes", f"{CODE}=no"},
    )


def copy_default_project(root: Path) -> Path:
    """Return a copy of the default project (brief.toml, briefs/, data/) at `root`."""
    root.mkdir(parents=True)
    shutil.copy(REPO / "brief.toml", root / "brief.toml")
    for folder in ("briefs", "data"):
        shutil.copytree(REPO / folder, root / folder)
    return root


def test_a_registered_framework_shows_in_the_regulator_brief(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "toy.yaml").write_text(RULES)
    monkeypatch.setitem(registry.REGISTRY, "toy", toy_spec(tmp_path / "toy.yaml"))
    root = copy_default_project(tmp_path / "project")

    # The view of every incident carries the toy flag, and a trigger may name it.
    config = load_config(root)
    tables = regulatory.load_tables(config.data_dir)
    incidents = list(load_dataset(config)[0].incidents.values())
    views = [regulatory.view(inc, None, tables, dt.date(2026, 12, 7)) for inc in incidents]
    assert all(v.flag(CODE) is not None for v in views)
    assert {f"{CODE}=yes", f"{CODE}=no"} <= regulatory.flag_tokens(tables)
    assert CODE in {p.code for p in regulatory.provisions(tables)}

    result = runner.invoke(
        app, ["build", "--project", str(root), "--audience", "regulator", "--html-only", "--date", "2026-12-07"]
    )
    assert result.exit_code == 0, result.output
    html = next((root / "output").rglob("*-regulator.html")).read_text()
    # A column of the matrix, headed by the provision's reference, linked to its wording in the annex.
    assert '<th scope="col"><a href="#prov-toy-art7">Toy Accord Art. 7</a></th>' in html
    assert '<dt id="prov-toy-art7">Toy duty to notify (Toy Accord Art. 7)</dt>' in html
    assert "A provider notifies the Toy Office of any realised harm within 3 days." in html

    monkeypatch.undo()
    tables = regulatory.load_tables(config.data_dir)
    assert all(regulatory.view(inc, None, tables).flag(CODE) is None for inc in incidents)
    assert not any(token.startswith(CODE) for token in regulatory.flag_tokens(tables))
    assert CODE not in {p.code for p in regulatory.provisions(tables)}


def test_a_framework_s_vocabulary_is_read_and_listed_with_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_default_project(tmp_path / "project")
    (root / "data" / "vocab" / "toy.yaml").write_text(
        "vocabulary: toy\nname: Toy Accord harm classes\nsource: toy-accord\n"
        "terms:\n  - {id: T1, label: Toy harm}\n  - {id: T2, label: Toy hazard}\n"
    )
    monkeypatch.setitem(registry.REGISTRY, "toy", FrameworkSpec(code="toy", label="Toy", vocabulary="toy.yaml"))
    tables = regulatory.load_tables(root / "data")
    assert tables.vocabularies["toy"].find("toy hazard") is not None
    listed = {p.code: p for p in regulatory.provisions(tables)}["TAGS"]
    assert ("Toy Accord harm classes", "2 terms, kept in data/vocab/toy.yaml.") in [item[:2] for item in listed.items]

    (root / "data" / "vocab" / "toy.yaml").write_text("vocabulary: toy\nterms:\n  - {id: T1}\n")
    with pytest.raises(DataError) as caught:
        regulatory.load_tables(root / "data")
    assert "data/vocab/toy.yaml:3: terms[0].label: required field is missing" in [str(p) for p in caught.value.problems]
