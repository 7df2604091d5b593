"""A new importer is one `Importer` subclass plus one registry entry: a toy one, pulled end to end.

Copy this file to add an importer. `ToyJsonImporter` reads a JSON list of {id, title, date, url}
records; a real one lives in src/brief/load/importers/<name>.py and is listed once in
src/brief/load/importers/registry.py (here it is registered for the test only). The remote is a real
HTTP server on loopback (never the internet). docs/extending.md walks through it.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, write_project
from pydantic import BaseModel, ConfigDict
from typer.testing import CliRunner

from brief.cli import app
from brief.load.importers import Imported, Importer, RawFile, Stager, collect_files, csl_date, parse_day, slug
from brief.load.importers import registry as importers

# --- the toy importer --------------------------------------------------------------------------


class ToyOptions(BaseModel):
    """The settings a `kind = "toy-json"` [[remote]] takes beyond name, kind, url, urls, path..."""

    model_config = ConfigDict(extra="forbid")  # an unknown setting is an error with a "did you mean"

    id_prefix: str = "toy-"
    """Put before each record's id."""


class ToyJsonImporter(Importer[ToyOptions]):
    """`kind = "toy-json"`: a JSON list of {"id", "title", "date", "url"} records, one incident each."""

    kind = "toy-json"
    summary = "a JSON list of {id, title, date, url} records"
    options = ToyOptions

    def collect(self, stager: Stager, inputs: list[str]) -> list[RawFile]:
        """Stage each URL (a local folder stands for the .json files in it)."""
        return collect_files(stager, inputs, (".json",))

    def convert(self, remote: str, files: list[RawFile], options: ToyOptions) -> Imported:
        """Return one incident per record, citing one source: the record's URL, listed (not read)."""
        out = Imported()
        for raw in files:
            try:
                records = json.loads(raw.path.read_bytes())
            except ValueError as exc:
                out.problems.append(raw.problem(0, "", f"not JSON ({exc})"))
                continue
            for index, record in enumerate(records):
                day = parse_day(record.get("date"))
                if day is None:  # every problem names the file as the user knows it (its URL) and the field
                    out.problems.append(raw.problem(0, f"[{index}].date", f"bad date {record.get('date')!r}"))
                    continue
                ident = options.id_prefix + slug(str(record["id"]))
                source_id = f"{ident}-listing"
                out.sources.append(
                    {
                        "id": source_id,
                        "type": "dataset",
                        "title": record["title"],
                        "URL": record["url"],
                        "reliability": "secondary",
                        "verification": "listed",
                        "checked": f"Listed by {raw.source}; not read by an analyst.",
                        "issued": csl_date(day),
                        "accessed": csl_date(raw.retrieved),
                    }
                )
                out.incidents.append(
                    {
                        "id": ident,
                        "title": record["title"],
                        "kind": "incident",
                        "date": day.isoformat(),
                        "summary": f"Listed by the toy data set [@{source_id}].",
                        "tags": {"topics": [remote]},
                        "risk": None,  # not yet assessed
                    }
                )
        return out


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch) -> ToyJsonImporter:
    """Register the toy importer for this test only (monkeypatch removes it afterwards)."""
    importer = ToyJsonImporter()
    monkeypatch.setitem(importers.REGISTRY, importer.kind, importer)
    return importer


# --- a static file server on loopback ------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """Serve a folder over HTTP on 127.0.0.1; yield (the folder, its base URL)."""
    folder = tmp_path / "www"
    folder.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


RECORDS = [
    {"id": "A 1", "title": "Chatbot gives harmful advice", "date": "2025-03-04", "url": "https://example.org/a1"},
    {"id": "b2", "title": "Agent deletes a database", "date": "2025-07-19", "url": "https://example.org/b2"},
]


def toy_project(root: Path, url: str, **settings: str) -> Path:
    """The minimal test project with one toy-json remote."""
    root = write_project(root)
    table = ["", "[[remote]]", 'name = "toys"', 'kind = "toy-json"', f'url = "{url}"', "retries = 0"]
    table += [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    with (root / "brief.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n".join(table) + "\n")
    return root


def brief(root: Path, *args: str) -> Any:
    return CliRunner().invoke(app, [*args, "-C", str(root)])


# --- the tests -----------------------------------------------------------------------------------


def test_a_toy_importer_pulls_incidents_the_project_accepts(toy: ToyJsonImporter, served: tuple[Path, str]) -> None:
    folder, base = served
    (folder / "records.json").write_text(json.dumps(RECORDS), encoding="utf-8")
    root = toy_project(folder.parent / "proj", f"{base}/records.json", id_prefix="t-")

    result = brief(root, "pull")

    assert result.exit_code == 0, result.output
    assert "toys: 4 new, 0 changed, 0 unchanged, 0 removed (now 2 incidents, 2 sources;" in result.output
    assert (root / "data/remote/toys/current/incidents/t-a-1.yaml").is_file()
    assert brief(root, "validate").exit_code == 0
    listed = brief(root, "list", "incidents", "--json")
    incidents = {i["id"]: i for i in json.loads(listed.stdout)}
    assert incidents["t-b2"]["title"] == "Agent deletes a database"
    assert incidents["t-b2"]["origin"]["remote"] == "toys"
    lock = json.loads((root / "data/remote/toys/lock.json").read_text(encoding="utf-8"))
    assert lock["kind"] == "toy-json" and lock["settings"]["options"] == {"id_prefix": "t-"}
    assert "toys: unchanged" in brief(root, "pull").output  # the same bytes again: nothing to do


def test_a_bad_record_aborts_the_pull_and_names_the_url_and_field(
    toy: ToyJsonImporter, served: tuple[Path, str]
) -> None:
    folder, base = served
    (folder / "records.json").write_text(json.dumps([{**RECORDS[0], "date": "soon"}]), encoding="utf-8")
    root = toy_project(folder.parent / "proj", f"{base}/records.json")

    result = brief(root, "pull")

    assert result.exit_code == 1
    assert f"{base}/records.json: [0].date: bad date 'soon'" in result.output
    assert "Aborted: remote 'toys': 1 error in the pulled files; the previous data is unchanged." in result.output
    assert not (root / "data/remote").exists()


def test_an_unknown_kind_or_setting_is_a_brief_toml_error(toy: ToyJsonImporter, tmp_path: Path) -> None:
    root = toy_project(tmp_path / "a", "https://example.org/records.json")
    toml = (root / "brief.toml").read_text(encoding="utf-8")
    (root / "brief.toml").write_text(toml.replace('"toy-json"', '"toy-jsn"'), encoding="utf-8")
    line = toml.splitlines().index('kind = "toy-json"') + 1

    result = brief(root, "validate")

    assert result.exit_code == 1
    assert (
        f"brief.toml:{line}: remote.0.kind: unknown kind 'toy-jsn' (did you mean 'toy-json'?): "
        "expected one of brief, aiid, inspect, csv, table, toy-json"
    ) in result.output
    root = toy_project(tmp_path / "b", "https://example.org/records.json", id_prefx="x-")
    result = brief(root, "validate")
    assert result.exit_code == 1
    assert "remote.0.id_prefx: unknown setting 'id_prefx' (did you mean 'id_prefix'?)" in result.output


def test_without_the_registry_entry_the_kind_is_unknown(tmp_path: Path) -> None:
    root = toy_project(tmp_path / "proj", "https://example.org/records.json")
    result = brief(root, "validate")
    assert result.exit_code == 1
    assert "unknown kind 'toy-json': expected one of brief, aiid, inspect, csv, table" in result.output


def test_the_readme_lists_every_kind_the_registry_has() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    listed = re.search(r'^kind = "\w+" +# (.+)$', readme, re.M)
    assert listed is not None, "README.md: the [[remote]] example lists the kinds in a comment after kind ="
    assert listed.group(1).split(" | ") == list(importers.kinds())
    for kind in importers.kinds():
        assert f"- `{kind}`:" in readme or f'`kind = "{kind}"`' in readme, f"README.md does not describe {kind}"
