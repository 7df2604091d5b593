"""Paths: ids, brief, edition and remote names that try to leave their folder are refused,
and nothing is ever written outside output/ (a build) or data/remote/ (a pull).
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import BRIEF, EVALUATIONS, INCIDENT, RECOMMENDATIONS, SOURCES, write_project
from typer.testing import CliRunner

from brief.cli import app
from brief.core.errors import UsageError
from brief.core.writer import OutputRoot
from brief.publish import editions

runner = CliRunner()
BAD_NAMES = ["../../x", "..", "/etc/x", "a/b", "x\x00y", ".hidden", "C:\\x"]


def files(root: Path) -> dict[str, str]:
    """Every file and symlink under `root` with a hash of its content (what 'nothing written' means)."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            out[path.relative_to(root).as_posix()] = "-> " + str(path.readlink())
        elif path.is_file():
            out[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def run(root: Path, *args: str) -> Any:
    return runner.invoke(app, [args[0], "--project", str(root), *args[1:]])


@pytest.mark.parametrize("name", BAD_NAMES)
@pytest.mark.parametrize("option", ["--brief", "--edition"])
def test_brief_and_edition_names_that_leave_output_are_refused(tmp_path: Path, option: str, name: str) -> None:
    root = write_project(tmp_path / "p")
    before = files(tmp_path)
    result = run(root, "build", "--html-only", "--date", "2026-11-26", option, name)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert len(result.stderr.splitlines()) == 1
    assert changed(before, files(tmp_path)) == set()


def _json_id(text: str, old: str, new: str) -> str:
    return text.replace(f"id: {old}", f"id: {json.dumps(new)}", 1)


@pytest.mark.parametrize("name", ["../../x", "/etc/x", "a\x00b", "x/../../y"])
@pytest.mark.parametrize("kind", ["incident", "source", "recommendation", "brief", "evaluation"])
def test_ids_that_could_become_paths_are_refused(tmp_path: Path, kind: str, name: str) -> None:
    overrides = {
        "incident": {"data/incidents/example-finding.yaml": _json_id(INCIDENT, "example-finding", name)},
        "source": {"data/sources.json": json.dumps([dict(SOURCES[0], id=name), SOURCES[1]], indent=2)},
        "recommendation": {"data/recommendations.yaml": _json_id(RECOMMENDATIONS, "ask-protocol", name)},
        "brief": {"briefs/example.yaml": _json_id(BRIEF, "example", name)},
        "evaluation": {"data/evaluations/example.csv": EVALUATIONS.replace("\nex-1,", "\n" + name + ",", 1)},
    }[kind]
    root = write_project(tmp_path / "p", overrides)
    before = files(tmp_path)
    result = run(root, "build", "--html-only", "--date", "2026-11-26")
    assert result.exit_code == 1, result.output
    if kind == "evaluation" and "\x00" in name:  # a CSV cannot carry a NUL at all
        assert result.stderr.startswith("data/evaluations/example.csv:2: file contains a NUL character")
    else:
        assert f"{name!r} is not a valid id (expected lower-case letters" in result.stderr
    assert changed(before, files(tmp_path)) == set()


def test_a_build_writes_only_under_output(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p")
    (tmp_path / "elsewhere").mkdir()
    before = files(tmp_path)
    assert run(root, "validate").exit_code == 0
    assert changed(before, files(tmp_path)) == set()  # validate writes nothing at all
    assert run(root, "build", "--date", "2026-11-26").exit_code == 0
    touched = changed(before, files(tmp_path))
    assert touched and all(path.startswith("p/output/") for path in touched), sorted(touched)


def test_symlinks_in_output_do_not_lead_writes_outside(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p")
    outside = tmp_path / "elsewhere"
    (outside / ".staging-keep").mkdir(parents=True)
    (outside / "secret.txt").write_text("keep me")
    (root / "output").mkdir()
    (root / "output/index.html").symlink_to(outside / "secret.txt")
    (root / "output/example").symlink_to(outside, target_is_directory=True)
    before = files(outside)

    result = run(root, "build", "--html-only", "--date", "2026-11-26")

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"refusing to write outside {(root / 'output').resolve()}: {outside.resolve()}")
    assert files(outside) == before and (outside / ".staging-keep").is_dir()

    (root / "output/example").unlink()
    (root / "output/example").mkdir()
    (root / "output/example/2026-11").symlink_to(outside, target_is_directory=True)
    assert run(root, "build", "--html-only", "--date", "2026-11-26").exit_code == 2
    (root / "output/example/2026-11").unlink()
    assert run(root, "build", "--html-only", "--date", "2026-11-26").exit_code == 0
    assert files(outside) == before  # index.html was replaced as a file, not written through its link
    assert not (root / "output/index.html").is_symlink()


class _Static:
    """Serve a few files on loopback."""

    def __init__(self, routes: dict[str, bytes]) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                body = routes.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


ROWS = "id,evaluation,model,condition,metric,value,unit,n,date,source,locator\n{id},Opportunistic blackmail,M,C,share,12,percent,100,2025-06-20,dev-2025-card,sec. 5\n"


def test_a_pull_writes_only_under_data_remote_and_refuses_ids_that_are_paths(tmp_path: Path) -> None:
    server = _Static({"/good.csv": ROWS.format(id="pulled-1").encode(), "/bad.csv": ROWS.format(id="../../x").encode()})
    try:
        root = write_project(tmp_path / "p")
        with (root / "brief.toml").open("a") as handle:
            handle.write(f'\n[[remote]]\nname = "partner"\nkind = "csv"\nurl = "{server.url}/good.csv"\nretries = 0\n')
        before = files(tmp_path)
        result = run(root, "pull")
        assert result.exit_code == 0, result.output
        touched = changed(before, files(tmp_path))
        assert touched and all(path.startswith("p/data/remote/partner/") for path in touched), sorted(touched)

        text = (root / "brief.toml").read_text().replace("/good.csv", "/bad.csv")
        (root / "brief.toml").write_text(text)
        before = files(tmp_path)
        result = run(root, "pull")
        assert result.exit_code == 1
        assert "id: '../../x' is not a valid id" in result.output
        assert changed(before, files(tmp_path)) == set()
    finally:
        server.close()


@pytest.mark.parametrize("name", ["../../x", "/abs", "a\x00b", ".."])
def test_remote_names_that_are_paths_are_refused(tmp_path: Path, name: str) -> None:
    root = write_project(tmp_path / "p")
    with (root / "brief.toml").open("a") as handle:
        handle.write(f'\n[[remote]]\nname = {json.dumps(name)}\nkind = "csv"\npath = "rows.csv"\n')
    before = files(tmp_path)
    result = run(root, "pull")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith("brief.toml:") and "remote.0.name" in result.stderr
    assert changed(before, files(tmp_path)) == set()


# --- the writer of published output: OutputRoot refuses, by construction, any path leaving its folder


@pytest.mark.parametrize(
    "name",
    ["/etc/x", "../x", "a/../../x", "..", "a/..", "x\x00y", "", ".", "./"],
)
def test_the_output_writer_refuses_paths_that_leave_or_are_its_folder(tmp_path: Path, name: str) -> None:
    root = tmp_path / "out"
    root.mkdir()
    writer = OutputRoot(root)
    before = files(tmp_path)
    for attempt in (
        lambda: writer.write_bytes(name, b"x"),
        lambda: writer.write_text(name, "x"),
        lambda: writer.child(name).write_text("f.txt", "x"),
    ):
        with pytest.raises(UsageError, match="refusing to write"):
            attempt()
    assert changed(before, files(tmp_path)) == set()


def test_the_output_writer_refuses_a_folder_link_that_leads_outside(tmp_path: Path) -> None:
    root, outside = tmp_path / "out", tmp_path / "elsewhere"
    root.mkdir()
    outside.mkdir()
    (root / "brief").symlink_to(outside, target_is_directory=True)
    (root / "deep").mkdir()
    (root / "deep/edition").symlink_to(outside, target_is_directory=True)
    writer = OutputRoot(root)
    for name in ("brief/index.html", "deep/edition/index.html", "brief/new/folder/x.pdf"):
        with pytest.raises(UsageError, match=f"refusing to write outside {root.resolve()}: {outside.resolve()}"):
            writer.write_text(name, "x")
    with pytest.raises(UsageError, match="refusing to write outside"):
        writer.child("brief")
    with pytest.raises(UsageError, match="refusing to write outside"):
        writer.child("deep").child("edition")
    assert list(outside.iterdir()) == []


def test_the_output_writer_replaces_a_file_link_instead_of_writing_through_it(tmp_path: Path) -> None:
    root, secret = tmp_path / "out", tmp_path / "secret.txt"
    root.mkdir()
    secret.write_text("keep me")
    (root / "index.html").symlink_to(secret)
    written = OutputRoot(root).write_text("index.html", "<p>index</p>")
    assert written == root.resolve() / "index.html"
    assert secret.read_text() == "keep me"
    assert not (root / "index.html").is_symlink() and (root / "index.html").read_text() == "<p>index</p>"


def test_the_output_writer_writes_inside_its_folder_and_through_links_that_stay_inside(tmp_path: Path) -> None:
    root = tmp_path / "out"
    (root / "real").mkdir(parents=True)
    (root / "alias").symlink_to(root / "real", target_is_directory=True)
    writer = OutputRoot(root)
    assert (
        writer.write_bytes("example/2026-11/brief.html", b"<p>x</p>") == root.resolve() / "example/2026-11/brief.html"
    )
    assert (root / "example/2026-11/brief.html").read_bytes() == b"<p>x</p>"
    assert writer.child("alias").write_text("note.txt", "hi") == root.resolve() / "real/note.txt"
    assert writer.write_text("a/./c.txt", "ok") == root.resolve() / "a/c.txt"
    assert not list(root.rglob("*.tmp")), "no temporary file is left behind"


def test_an_edition_is_published_whole_through_the_writer_or_not_at_all(tmp_path: Path) -> None:
    output = OutputRoot(tmp_path / "output")
    folder = editions.publish_staged(
        output, "example/2026-11", [("brief.html", b"<p>x</p>")], {"format": 1}, {"edition": {"id": "2026-11"}}
    )
    assert folder == (tmp_path / "output/example/2026-11").resolve()
    assert sorted(p.name for p in folder.iterdir()) == ["brief.html", "manifest.json", "snapshot.json"]
    assert editions.read_manifest(folder) == {"edition": {"id": "2026-11"}}

    before = files(tmp_path)
    with pytest.raises(UsageError, match="refusing to write outside"):
        editions.publish_staged(output, "example/../../x", [("a.html", b"")], {}, {})
    with pytest.raises(UsageError, match="refusing to write outside"):
        editions.publish_staged(output, "example/2026-12", [("../../a.html", b"")], {}, {})
    with pytest.raises(UsageError, match="refusing to write outside"):
        editions.add_files(output.child("example/2026-11"), [("/etc/x", b"")], {})
    assert changed(before, files(tmp_path)) == set()
    assert not [p for p in (tmp_path / "output/example").iterdir() if p.name.startswith(".staging-")]

    editions.add_files(output.child("example/2026-11"), [("brief.pdf", b"%PDF")], {"files": ["brief.pdf"]})
    assert (folder / "brief.pdf").read_bytes() == b"%PDF"
    assert editions.read_manifest(folder) == {"files": ["brief.pdf"]}
