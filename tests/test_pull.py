"""`brief pull` and `brief export` against a real HTTP server on loopback (never the internet).

Every fault test pulls good data first, then makes the remote misbehave and checks: a clear
message naming the remote, the URL and the cause; a non-zero exit; data/ byte-identical.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import write_project
from typer.testing import CliRunner

from brief.cli import app

FIXTURES = Path(__file__).parent / "fixtures" / "pull"
INSPECT = FIXTURES / "inspect"
TIMEOUT = 0.4  # seconds; the hang test waits past it

INCIDENTS_CSV = (
    "_id,incident_id,date,reports,Alleged deployer of AI system,Alleged developer of AI system,"
    "Alleged harmed or nearly harmed parties,description,title,editor_notes\n"
    'ObjectId(5d34b8c29ced494f010ed45a),1,2018-03-18,"[1,2]","[""uber""]","[""uber""]",'
    '"[""elaine-herzberg""]","An Uber test vehicle struck and killed a pedestrian in Tempe,'
    ' Arizona. <script>alert(1)</script> [@dev-2025-card]",Uber AV Killed Pedestrian in Arizona,x\n'
    'ObjectId(5d34b8c29ced494f010ed45b),2,2016-03-24,[3],"[""microsoft""]","[""microsoft""]",[],'
    "Microsoft's Tay chatbot posted offensive tweets within a day of launch.,TayBot,\n"
    'ObjectId(5d34b8c29ced494f010ed45c),3,2025-05-22,[],"[""examplelab""]","[""examplelab""]",[],'
    "A model threatened an engineer in a test.,Model threatens engineer,\n"
)
REPORTS_CSV = (
    "_id,authors,date_downloaded,date_published,report_number,source_domain,submitters,text,title,url,"
    "tags\n"
    'a,"[""Daisuke Wakabayashi""]",2019-01-01,2018-03-19,1,nytimes.com,[],"A long article text,'
    ' with commas.",Self-Driving Uber Car Kills Pedestrian in Arizona,'
    "https://www.nytimes.com/2018/03/19/technology/uber-driverless-fatality.html,[]\n"
    "b,[],2019-01-01,2018-03-20,2,bbc.co.uk,[],Text.,Uber halts self-driving tests after death,"
    "https://www.bbc.co.uk/news/business-43459156,[]\n"
    "c,[],2019-01-01,2016-03-24,3,theverge.com,[],Text.,"
    "Twitter taught Microsoft's AI chatbot to be a racist,"
    "https://www.theverge.com/2016/3/24/11297050/tay-microsoft-chatbot-racist,[]\n"
)
MIT_CSV = """\
Namespace,Incident ID,Publish,Risk Domain,Risk Subdomain,Entity,Timing,Intent
MIT,1,true,7. AI System Safety,7.3. Lack of capability or robustness,AI,Post-deployment,Unintentional
MIT,2,true,1. Discrimination & Toxicity,1.2. Exposure to toxic content,AI,Post-deployment,Unintentional
"""
EVAL_ROWS = (
    "id,evaluation,model,condition,metric,value,unit,n,date,source,locator\n"
    "ext-1,Agentic misalignment,Model X,Replacement threat,share of rollouts with blackmail,12,percent,"
    "100,2025-06-20,dev-2025-card,sec. 5\n"
)


# --- a programmable HTTP server on loopback ---------------------------------------------------


@dataclass
class Reply:
    """One scripted answer: status, body, headers, or a fault ("hang", "cut")."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    fault: str | None = None


class Server:
    """Serve files and scripted replies; ETag/If-None-Match handled like a static file server."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        self.scripts: dict[str, list[Reply]] = {}
        self.log: list[tuple[str, dict[str, str], int]] = []
        self.stop = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                server.answer(self)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def put(self, path: str, body: bytes | str, ctype: str = "application/octet-stream") -> None:
        self.files[path] = (body.encode() if isinstance(body, str) else body, ctype)

    def script(self, path: str, *replies: Reply) -> None:
        """Answer `path` with these replies in turn; after the last, serve the file as usual."""
        self.scripts[path] = list(replies)

    def requests_to(self, path: str) -> list[tuple[str, dict[str, str], int]]:
        return [entry for entry in self.log if entry[0] == path]

    def answer(self, h: http.server.BaseHTTPRequestHandler) -> int:
        queue = self.scripts.get(h.path)
        if queue:
            reply = queue.pop(0)
        elif h.path in self.files:
            body, ctype = self.files[h.path]
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if h.headers.get("If-None-Match") == etag:
                reply = Reply(status=304, headers={"ETag": etag})
            else:
                reply = Reply(body, headers={"Content-Type": ctype, "ETag": etag})
        else:
            reply = Reply(b"not found", status=404, headers={"Content-Type": "text/plain"})
        # Logged before the reply is sent: a client that has its answer finds its request in the log.
        self.log.append((h.path, dict(h.headers), 0 if reply.fault == "hang" else reply.status))
        if reply.fault == "hang":
            self.stop.wait(TIMEOUT * 4)
            return 0
        h.send_response(reply.status)
        for key, value in reply.headers.items():
            h.send_header(key, value)
        if reply.fault == "cut":  # promise more than is sent, then close
            h.send_header("Content-Length", str(len(reply.body) * 2))
            h.end_headers()
            h.wfile.write(reply.body)
            h.wfile.flush()
            h.close_connection = True
            return reply.status
        if reply.fault == "chunked":  # no Content-Length: the size cap must count the bytes
            h.send_header("Transfer-Encoding", "chunked")
            h.end_headers()
            for start in range(0, len(reply.body), 4096):
                piece = reply.body[start : start + 4096]
                h.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            h.wfile.write(b"0\r\n\r\n")
            return reply.status
        h.send_header("Content-Length", str(len(reply.body)))
        h.end_headers()
        h.wfile.write(reply.body)
        return reply.status

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = Server()
    yield srv
    srv.close()


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("brief.load.remote.BACKOFF_SECONDS", 0.01)


# --- helpers -------------------------------------------------------------------------------------


def remote_table(name: str, kind: str, **keys: Any) -> str:
    lines = ["", "[[remote]]", f'name = "{name}"', f'kind = "{kind}"']
    for key, value in {"timeout": TIMEOUT, "retries": 1, **keys}.items():
        lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def make_project(tmp_path: Path, *tables: str) -> Path:
    root = write_project(tmp_path / "proj")
    with (root / "brief.toml").open("a", encoding="utf-8") as handle:
        handle.write("".join(tables))
    return root


def brief(root: Path, *args: str) -> Any:
    return CliRunner().invoke(app, [*args, "-C", str(root)])


def tree_hash(folder: Path) -> str:
    """Hash every path and byte under `folder` (what "data/ unchanged" means)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def listed(root: Path, kind: str) -> list[dict[str, Any]]:
    result = brief(root, "list", kind, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def serve_aiid(server: Server) -> list[str]:
    server.put("/aiid/incidents.csv", INCIDENTS_CSV, "text/csv")
    server.put("/aiid/reports.csv", REPORTS_CSV, "text/csv")
    server.put("/aiid/classifications_MIT.csv", MIT_CSV, "text/csv")
    return [server.url(f"/aiid/{n}") for n in ("incidents.csv", "reports.csv", "classifications_MIT.csv")]


# --- the kinds -----------------------------------------------------------------------------------


def test_inspect_logs_in_both_formats(tmp_path: Path, server: Server) -> None:
    for path in INSPECT.iterdir():
        server.put(
            f"/logs/{path.name}", path.read_bytes(), "application/json" if path.suffix == ".json" else "application/zip"
        )
    urls = [
        server.url(f"/logs/{n}") for n in ("arithmetic.eval", "arithmetic.json", "broken-error.json", "cancelled.eval")
    ]
    root = make_project(tmp_path, remote_table("evals", "inspect", urls=urls))

    result = brief(root, "pull")

    assert result.exit_code == 0, result.output
    assert "has status error: RuntimeError('tool sandbox unavailable'); skipped, not counted" in result.output
    assert "cancelled.eval: log" in result.output and "has status cancelled; skipped, not counted" in result.output
    assert "evals: 6 new, 0 changed, 0 unchanged, 0 removed (now 2 sources, 4 evaluations; 4 requests" in result.output
    rows = [r for r in listed(root, "evaluations") if r["origin"].get("remote") == "evals"]
    assert sorted((r["metric"], r["unit"], r["n"]) for r in rows) == [
        ("accuracy", "proportion", 4),
        ("accuracy", "proportion", 4),
        ("stderr", "score", 4),
        ("stderr", "score", 4),
    ]
    accuracy = next(r for r in rows if r["metric"] == "accuracy")
    assert accuracy["value"] == 0.5 and accuracy["evaluation"] == "arithmetic" and accuracy["model"] == "mockllm/model"
    assert accuracy["condition"] == "scorer match" and accuracy["date"] and "Inspect log" in accuracy["note"]
    assert accuracy["origin"]["file"] == "data/remote/evals/current/evaluations/evals.csv"
    sources = {s["id"]: s for s in listed(root, "sources") if s["origin"].get("remote") == "evals"}
    source = sources[accuracy["source"]]
    assert source["type"] == "dataset" and source["reliability"] == "primary"
    assert source["URL"].startswith(server.base + "/logs/arithmetic.")
    assert source["accessed"]["date-parts"][0][0] >= 2025
    lock = json.loads((root / "data/remote/evals/lock.json").read_text())
    entry = lock["files"][0]
    assert entry["url"] == urls[0] and entry["etag"] and entry["bytes"] == (INSPECT / "arithmetic.eval").stat().st_size
    assert entry["sha256"] == hashlib.sha256((INSPECT / "arithmetic.eval").read_bytes()).hexdigest()
    assert (root / "data/remote/evals/raw/arithmetic.eval").read_bytes() == (INSPECT / "arithmetic.eval").read_bytes()
    assert brief(root, "validate").exit_code == 0


def test_unchanged_remote_costs_one_304_and_changes_nothing(tmp_path: Path, server: Server) -> None:
    server.put("/run.eval", (INSPECT / "arithmetic.eval").read_bytes())
    root = make_project(tmp_path, remote_table("evals", "inspect", url=server.url("/run.eval")))
    assert brief(root, "pull").exit_code == 0
    before = tree_hash(root / "data")
    server.log.clear()

    result = brief(root, "pull")

    assert result.exit_code == 0, result.output
    assert [status for _path, _headers, status in server.log] == [304]
    assert server.log[0][1].get("If-None-Match")
    assert "evals: unchanged (1 sources, 2 evaluations; 1 request," in result.output
    assert tree_hash(root / "data") == before


def test_changed_remote_reports_new_changed_removed(tmp_path: Path, server: Server) -> None:
    urls = serve_aiid(server)
    root = make_project(tmp_path, remote_table("aiid", "aiid", urls=urls))
    assert brief(root, "pull").exit_code == 0
    server.put(
        "/aiid/incidents.csv",
        INCIDENTS_CSV.replace("TayBot", "TayBot posts offensive tweets").replace(
            "ObjectId(5d34b8c29ced494f010ed45c),3", "x,4"
        ),
        "text/csv",
    )

    result = brief(root, "pull")

    assert result.exit_code == 0, result.output
    # incident 2 changed (title) with its AIID page source; incident 4 and its page are new; 3's are gone.
    assert "aiid: 2 new, 2 changed, 5 unchanged, 2 removed" in result.output


def test_aiid_snapshot(tmp_path: Path, server: Server) -> None:
    urls = serve_aiid(server)
    root = make_project(tmp_path, remote_table("aiid", "aiid", urls=urls, until="2024-12-31"))

    result = brief(root, "pull")

    assert result.exit_code == 0, result.output
    incidents = {i["id"]: i for i in listed(root, "incidents")}
    assert "aiid-3" not in incidents  # after `until`
    uber = incidents["aiid-1"]
    assert (
        uber["title"] == "Uber AV Killed Pedestrian in Arizona"
        and uber["kind"] == "incident"
        and uber["date"] == "2018-03-18"
    )
    assert uber["developer"] == "uber" and uber["assessed"] is False
    assert uber["tags"]["mit"] == ["7.3"] and uber["tags"]["topics"] == ["aiid"]
    assert uber["origin"]["remote"] == "aiid" and uber["origin"]["pulled_at"]
    text = (root / "data/remote/aiid/current/incidents/aiid-1.yaml").read_text()
    assert "risk: null" in text
    summary = yaml.safe_load(text)["summary"]
    assert summary == (  # pulled text is plain text: Markdown and citation characters escaped
        "An Uber test vehicle struck and killed a pedestrian in Tempe, Arizona. \\<script\\>alert(1)\\</script\\> "
        "\\[\\@dev-2025-card\\] [@aiid-incident-1]\n\n"
        "Alleged harmed or nearly harmed parties: elaine-herzberg [@aiid-incident-1].\n\n"
        "Reports: [@aiid-report-1; @aiid-report-2]."
    )
    sources = {s["id"]: s for s in listed(root, "sources")}
    report = sources["aiid-report-1"]
    assert report["reliability"] == "secondary" and report["author"] == [{"literal": "Daisuke Wakabayashi"}]
    assert report["URL"].startswith("https://www.nytimes.com/") and report["issued"] == {"date-parts": [[2018, 3, 19]]}
    assert report["accessed"]["date-parts"] and "retrieved 20" in report["checked"]
    assert "aiid-report-3" in sources and sources["aiid-incident-1"]["URL"] == "https://incidentdatabase.ai/cite/1"
    assert brief(root, "validate").exit_code == 0


def test_aiid_filter_by_ids_and_from_a_local_folder(tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot" / "mongodump_full_snapshot"
    snapshot.mkdir(parents=True)
    (snapshot / "incidents.csv").write_text(INCIDENTS_CSV, encoding="utf-8")
    root = make_project(tmp_path, remote_table("aiid", "aiid", path=str(snapshot.parent), incidents=[2, 99]))

    result = brief(root, "pull")

    assert result.exit_code == 0, result.output
    assert "incident id(s) 99 listed in this remote's table but not imported" in result.output
    assert [i["id"] for i in listed(root, "incidents") if i["id"].startswith("aiid-")] == ["aiid-2"]
    text = (root / "data/remote/aiid/current/incidents/aiid-2.yaml").read_text()
    assert (
        "lists further reports on this incident (reports.csv was not pulled) [@aiid-incident-2]" in text
    )  # no count of reports the summary does not cite


def test_aiid_missing_column_is_a_clear_error(tmp_path: Path, server: Server) -> None:
    urls = serve_aiid(server)
    root = make_project(tmp_path, remote_table("aiid", "aiid", urls=urls))
    assert brief(root, "pull").exit_code == 0
    before = tree_hash(root / "data")
    server.put("/aiid/incidents.csv", INCIDENTS_CSV.replace(",description,", ",summary,"), "text/csv")

    result = brief(root, "pull")

    assert result.exit_code == 1
    assert (
        f"remote 'aiid': {urls[0]}: required column 'description' missing (the header has: _id, incident_id"
        in result.output
    )
    assert tree_hash(root / "data") == before


def test_aiid_bad_cells_name_file_line_and_field(tmp_path: Path, server: Server) -> None:
    urls = serve_aiid(server)
    server.put(
        "/aiid/incidents.csv",
        INCIDENTS_CSV.replace("2016-03-24,[3]", "24/03/2016,[3]").replace(
            '"[""uber""]","[""uber""]"', '"[uber]","[""uber""]"'
        ),
        "text/csv",
    )
    root = make_project(tmp_path, remote_table("aiid", "aiid", urls=urls))

    result = brief(root, "pull")

    assert result.exit_code == 1
    assert f"{urls[0]}:2: Alleged deployer of AI system: '[uber]' is not a JSON list" in result.output
    assert f"{urls[0]}:3: date: bad date '24/03/2016' (expected YYYY-MM-DD)" in result.output
    assert not (root / "data/remote/aiid").exists()


def test_csv_rows_and_id_collisions(tmp_path: Path, server: Server) -> None:
    server.put("/rows.csv", EVAL_ROWS, "text/csv")
    root = make_project(tmp_path, remote_table("partner", "csv", url=server.url("/rows.csv")))
    assert brief(root, "pull").exit_code == 0
    row = next(r for r in listed(root, "evaluations") if r["id"] == "ext-1")
    assert (
        row["value"] == 12
        and row["n"] == 100
        and row["origin"]
        == {
            "file": "data/remote/partner/current/evaluations/rows.csv",
            "line": 2,
            "remote": "partner",
            "pulled_at": row["origin"]["pulled_at"],
        }
    )
    before = tree_hash(root / "data")

    server.put("/rows.csv", EVAL_ROWS + "ex-1,Clash,Model Y,c,m,5,percent,10,2025-06-20,nowhere-source,p\n", "text/csv")
    result = brief(root, "pull")

    assert result.exit_code == 1
    assert (
        "data/remote/partner/current/evaluations/rows.csv:3: id: evaluation id 'ex-1' is already used at "
        "data/evaluations/example.csv:2 (ids pulled from a remote must not collide with the project's)"
    ) in result.output
    assert "rows.csv:3: source: unknown source 'nowhere-source'" in result.output
    assert "Aborted: pull failed for remote 'partner'; the previous data is unchanged." in result.output
    assert tree_hash(root / "data") == before


def test_data_package_export_and_pull(tmp_path: Path, server: Server) -> None:
    other = write_project(tmp_path / "other")
    (other / "data/incidents/example-finding.yaml").rename(other / "data/incidents/shared-finding.yaml")
    text = (
        (other / "data/incidents/shared-finding.yaml").read_text().replace("id: example-finding", "id: shared-finding")
    )
    (other / "data/incidents/shared-finding.yaml").write_text(text)
    (other / "briefs/example.yaml").write_text(
        (other / "briefs/example.yaml").read_text().replace("example-finding", "shared-finding")
    )
    for name in ("sources.json", "evaluations/example.csv"):  # the other unit has its own ids
        path = other / "data" / name
        path.write_text(
            path.read_text()
            .replace("dev-2025-card", "other-card")
            .replace("press-2025", "other-press")
            .replace("ex-", "other-")
        )
    for path in (
        other / "data/incidents/shared-finding.yaml",
        other / "data/recommendations.yaml",
        other / "briefs/example.yaml",
    ):
        path.write_text(path.read_text().replace("dev-2025-card", "other-card").replace("press-2025", "other-press"))
    out = tmp_path / "published"
    exported = brief(other, "export", str(out))
    assert exported.exit_code == 0, exported.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == "brief-data-package" and manifest["version"] == 1
    assert [f["path"] for f in manifest["files"]] == [
        "evaluations/example.csv",
        "incidents/shared-finding.yaml",
        "sources.json",
    ]
    for entry in manifest["files"]:
        server.put(f"/pkg/{entry['path']}", (out / entry["path"]).read_bytes())
    server.put("/pkg/manifest.json", (out / "manifest.json").read_bytes(), "application/json")
    root = make_project(tmp_path, remote_table("unit-b", "brief", url=server.url("/pkg/manifest.json")))

    result = brief(root, "pull")

    assert result.exit_code == 0, result.output
    finding = next(i for i in listed(root, "incidents") if i["id"] == "shared-finding")
    assert (
        finding["origin"]["file"] == "data/remote/unit-b/current/incidents/shared-finding.yaml"
        and finding["assessed"] is True
    )
    assert (root / "data/remote/unit-b/current/sources.json").read_bytes() == (out / "sources.json").read_bytes()
    # Unchanged: one 304 for the manifest, no request for the files.
    server.log.clear()
    assert "unit-b: unchanged" in brief(root, "pull").output
    assert [(p, s) for p, _h, s in server.log] == [("/pkg/manifest.json", 304)]

    # A file that does not match its manifest hash.
    before = tree_hash(root / "data")
    manifest["files"][0]["sha256"] = "0" * 64
    server.put("/pkg/manifest.json", json.dumps(manifest), "application/json")
    result = brief(root, "pull")
    assert result.exit_code == 1
    assert f"remote 'unit-b': {server.url('/pkg/evaluations/example.csv')}: SHA-256" in result.output
    assert "does not match the manifest's 0000000000000000..." in result.output
    assert tree_hash(root / "data") == before


@pytest.mark.parametrize(
    ("path", "cause"),
    [
        ("../../brief.toml", "it contains '..', '.' or an empty component"),
        ("/etc/passwd", "it is absolute (paths are relative to the manifest)"),
        ("incidents/x\u0000.yaml", "it contains a NUL character"),
        ("templates/base.html", "not a file a data package may hold"),
    ],
)
def test_manifest_paths_are_confined(tmp_path: Path, server: Server, path: str, cause: str) -> None:
    body = json.dumps({"format": "brief-data-package", "version": 1, "files": [{"path": path, "sha256": "0" * 64}]})
    server.put("/pkg/manifest.json", body, "application/json")
    root = make_project(tmp_path, remote_table("unit-b", "brief", url=server.url("/pkg/manifest.json")))
    before = tree_hash(root)

    result = brief(root, "pull")

    assert result.exit_code == 1
    assert f"remote 'unit-b': {server.url('/pkg/manifest.json')}: file path" in result.output and cause in result.output
    assert tree_hash(root) == before  # nothing written anywhere in the project
    assert len(server.log) == 1


# --- faults: clear message, non-zero exit, data/ unchanged ---------------------------------------


def _good_then(server: Server, tmp_path: Path, **table: Any) -> tuple[Path, str]:
    server.put("/run.eval", (INSPECT / "arithmetic.eval").read_bytes())
    root = make_project(tmp_path, remote_table("evals", "inspect", url=server.url("/run.eval"), **table))
    first = brief(root, "pull")
    assert first.exit_code == 0, first.output
    return root, tree_hash(root / "data")


FAULTS = [
    ("always 500", [Reply(b"oops", 500)] * 3, {}, "HTTP 500 Internal Server Error (after 2 attempts)"),
    ("hang past the timeout", [Reply(fault="hang")] * 2, {}, f"timed out after {TIMEOUT:g} s (after 2 attempts)"),
    (
        "body cut short",
        [Reply(b"PK\x03\x04" + b"x" * 5000, headers={"Content-Type": "application/zip"}, fault="cut")] * 2,
        {},
        "the body was cut short",
    ),
    (
        "wrong content type",
        [Reply(b"<html>Sign in</html>", headers={"Content-Type": "text/html; charset=utf-8"})],
        {},
        "unexpected content type 'text/html' (expected ZIP; is this a login or error page?)",
    ),
    (
        "invalid log",
        [Reply(b"{not json", headers={"Content-Type": "application/zip"})],
        {},
        "invalid JSON (Expecting property name enclosed in double quotes at line 1 column 2)",
    ),
    (
        "oversize, declared",
        [Reply(b"x" * 20000)],
        {"max_bytes": 10000},
        "response is 19.5 KiB, larger than the 9.8 KiB limit (raise max_bytes in this remote's table)",
    ),
    (
        "oversize, chunked",
        [Reply(b"x" * 20000, fault="chunked")],
        {"max_bytes": 10000},
        "response is larger than the 9.8 KiB limit",
    ),
    (
        "redirect to file://",
        [Reply(status=302, headers={"Location": "file:///etc/passwd"})],
        {},
        "redirected to another scheme (file:///etc/passwd); refused",
    ),
    (
        "redirect to https",
        [Reply(status=301, headers={"Location": "https://127.0.0.1:1/run.eval"})],
        {},
        "redirected to another scheme",
    ),
    ("not found", [Reply(b"gone", 404)], {}, "HTTP 404 Not Found"),
]


@pytest.mark.parametrize(("replies", "table", "message"), [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS])
def test_fault_keeps_last_good_data(
    tmp_path: Path, server: Server, replies: list[Reply], table: dict[str, Any], message: str
) -> None:
    root, before = _good_then(server, tmp_path, **table)
    server.script("/run.eval", *replies)

    result = brief(root, "pull")

    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines[-2].startswith(f"remote 'evals': {server.url('/run.eval')}: "), lines
    assert message in lines[-2]
    assert lines[-1] == "Aborted: pull failed for remote 'evals'; the previous data is unchanged."
    assert tree_hash(root / "data") == before
    assert not list((root / "data/remote").glob("*.staging-*"))


def test_500_then_success_retries(tmp_path: Path, server: Server) -> None:
    server.put("/run.eval", (INSPECT / "arithmetic.eval").read_bytes())
    server.script("/run.eval", Reply(b"busy", 503), Reply(b"oops", 500))
    root = make_project(tmp_path, remote_table("evals", "inspect", url=server.url("/run.eval"), retries=2))

    result = brief(root, "pull")

    assert result.exit_code == 0, result.output
    assert [s for _p, _h, s in server.log] == [503, 500, 200]
    assert "HTTP 503 Service Unavailable; retrying in" in result.output
    assert "evals: 3 new" in result.output


def test_plain_http_only_to_loopback(tmp_path: Path) -> None:
    root = make_project(tmp_path, remote_table("evals", "inspect", url="http://evals.example.org/run.eval"))
    result = brief(root, "pull")
    assert result.exit_code == 1
    assert (
        "remote 'evals': http://evals.example.org/run.eval: plain http is refused "
        "(use https, or set insecure = true in this remote's table)"
    ) in result.output


def test_dry_run_and_remote_selection(tmp_path: Path, server: Server) -> None:
    server.put("/run.eval", (INSPECT / "arithmetic.eval").read_bytes())
    urls = serve_aiid(server)
    root = make_project(
        tmp_path, remote_table("evals", "inspect", url=server.url("/run.eval")), remote_table("aiid", "aiid", urls=urls)
    )
    before = tree_hash(root)

    result = brief(root, "pull", "--dry-run", "--remote", "aiid")

    assert result.exit_code == 0, result.output
    assert "aiid: 9 new, 0 changed, 0 unchanged, 0 removed (would be 3 incidents, 6 sources;" in result.output
    assert "[dry run: nothing written]" in result.output and "evals" not in result.output
    assert tree_hash(root) == before and not (root / "data/remote").exists()

    assert brief(root, "pull", "-r", "evals", "-q").output == ""
    assert [p.name for p in (root / "data/remote").iterdir()] == ["evals"]

    unknown = brief(root, "pull", "--remote", "nope")
    assert unknown.exit_code == 2
    assert "unknown remote 'nope': expected one of aiid, evals" in unknown.output


def test_one_failing_remote_does_not_stop_the_others(tmp_path: Path, server: Server) -> None:
    server.put("/run.eval", (INSPECT / "arithmetic.eval").read_bytes())
    root = make_project(
        tmp_path,
        remote_table("broken", "csv", url=server.url("/missing.csv")),
        remote_table("evals", "inspect", url=server.url("/run.eval")),
    )
    result = brief(root, "pull")
    assert result.exit_code == 1
    assert "evals: 3 new" in result.output
    assert f"remote 'broken': {server.url('/missing.csv')}: HTTP 404 Not Found" in result.output
    assert result.output.strip().endswith(
        "Aborted: pull failed for 1 of 2 remotes ('broken'); its previous data is unchanged."
    )


def test_leftover_staging_folders_never_load_and_an_interrupted_swap_recovers(tmp_path: Path, server: Server) -> None:
    root, _before = _good_then(server, tmp_path)
    remote = root / "data/remote"
    shutil.copytree(remote / "evals", remote / "evals.staging-abc123")
    assert brief(root, "validate").exit_code == 0  # no duplicate ids from the staging copy
    shutil.rmtree(remote / "evals.staging-abc123")
    (remote / "evals.old-xyz").mkdir()
    (remote / "evals").rename(remote / "evals.old-xyz" / "evals")  # crash between the two renames

    result = brief(root, "pull")

    assert result.exit_code == 0, result.output
    assert "restored the previous data from an interrupted pull" in result.output
    assert "evals: unchanged" in result.output
    assert sorted(p.name for p in remote.iterdir()) == ["evals"]


def test_remote_table_is_checked(tmp_path: Path) -> None:
    root = make_project(tmp_path, remote_table("evals", "inspect", url="https://x.test/a.eval", path="logs"))
    assert "remote 'evals': give url/urls or path, not both" in brief(root, "pull").output
    root = make_project(tmp_path / "b", remote_table("evals", "inspect", timout=3, url="https://x.test/a.eval"))
    result = brief(root, "pull")
    assert result.exit_code == 1 and "unknown setting 'timout' (did you mean 'timeout'?)" in result.output
    root = make_project(tmp_path / "c", remote_table("evals", "pdf", url="https://x.test/a.eval"))
    result = brief(root, "pull")
    assert result.exit_code == 1
    assert "remote.0.kind: unknown kind 'pdf': expected one of brief, aiid, inspect, csv, table" in result.output
    root = make_project(tmp_path / "d", remote_table("rows", "csv", url="https://x.test/a.csv", since="2024-01-01"))
    result = brief(root, "pull")  # an aiid setting on a csv remote: refused, not ignored
    assert result.exit_code == 1 and "remote.0.since: unknown setting 'since'" in result.output
    root = make_project(tmp_path / "e", remote_table("t", "table", url="https://x.test/t.csv", id_prefx="t-"))
    assert "unknown setting 'id_prefx' (did you mean 'id_prefix'?)" in brief(root, "pull").output


def test_build_offline_includes_pulled_incidents(tmp_path: Path, server: Server) -> None:
    urls = serve_aiid(server)
    root = make_project(tmp_path, remote_table("aiid", "aiid", urls=urls, incidents=[1]))
    (root / "briefs/aiid.yaml").write_text(
        "id: aiid-watch\ntitle: AIID watch\nscope:\n  tags: [aiid]\naudiences: [regulator]\n"
    )
    assert brief(root, "pull").exit_code == 0
    server.close()  # the build must not need the network

    result = brief(root, "build", "--offline", "--html-only", "--brief", "aiid-watch", "--date", "2026-11-26")

    assert result.exit_code == 0, result.output
    html = next((root / "output/aiid-watch").rglob("*.html")).read_text()
    assert "Uber AV Killed Pedestrian in Arizona" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "Self-Driving Uber Car Kills Pedestrian in Arizona" in html  # the report, cited from the summary


def test_inspect_fixtures_match_the_installed_package(tmp_path: Path) -> None:
    """The committed logs were written by inspect_ai; regenerate them and import the fresh ones."""
    pytest.importorskip("inspect_ai")
    import runpy

    fresh = tmp_path / "fresh"
    module = runpy.run_path(str(FIXTURES / "make_inspect_logs.py"), run_name="fixtures")
    module["main"](fresh)
    root = make_project(tmp_path, remote_table("evals", "inspect", path=str(fresh)))

    result = brief(root, "pull")

    assert result.exit_code == 0, result.output
    assert "evals: 6 new" in result.output and result.output.count("skipped, not counted") == 2


@pytest.mark.parametrize(
    ("body", "cause"),
    [
        (INCIDENTS_CSV + '9,2020-01-01,[],[],[],[],"an unterminated quote,T\n', "invalid CSV (unexpected end of data)"),
        (INCIDENTS_CSV.replace("TayBot", "Tay\x00Bot"), "invalid CSV (contains a NUL character; binary data?)"),
        (b"\xff\xfe" + INCIDENTS_CSV.encode("utf-16-le"), "invalid CSV (not UTF-8: byte 0xff at offset 0)"),
    ],
    ids=["unterminated quote", "NUL", "UTF-16"],
)
def test_invalid_csv_keeps_last_good_data(tmp_path: Path, server: Server, body: str | bytes, cause: str) -> None:
    urls = serve_aiid(server)
    root = make_project(tmp_path, remote_table("aiid", "aiid", urls=urls))
    assert brief(root, "pull").exit_code == 0
    before = tree_hash(root / "data")
    server.put("/aiid/incidents.csv", body, "text/csv")

    result = brief(root, "pull")

    assert result.exit_code == 1
    assert f"remote 'aiid': {urls[0]}" in result.output and cause in result.output
    assert tree_hash(root / "data") == before


def test_export_refuses_a_folder_that_is_not_an_earlier_export(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    result = brief(root, "export", str(busy))
    assert result.exit_code == 2
    assert (
        f"{busy} exists and is not an earlier export (no manifest.json): choose an empty or new folder" in result.output
    )
    assert [p.name for p in busy.iterdir()] == ["notes.txt"]
    first = brief(root, "export", str(tmp_path / "pkg"))
    assert (
        first.exit_code == 0 and brief(root, "export", str(tmp_path / "pkg")).exit_code == 0
    )  # an earlier export is replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy", "pkg", "proj"]  # no staging left behind


def test_aiid_snapshot_archive(tmp_path: Path, server: Server) -> None:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:bz2") as archive:
        for name, text in (
            ("incidents.csv", INCIDENTS_CSV),
            ("reports.csv", REPORTS_CSV),
            ("classifications_MIT.csv", MIT_CSV),
        ):
            data = text.encode()
            info = tarfile.TarInfo(f"mongodump_full_snapshot/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    server.put("/backup-20261120.tar.bz2", buffer.getvalue(), "application/x-bzip2")
    root = make_project(
        tmp_path, remote_table("aiid", "aiid", url=server.url("/backup-20261120.tar.bz2"), incidents=[1])
    )

    result = brief(root, "pull")

    assert result.exit_code == 0, result.output
    assert "aiid: 4 new" in result.output  # incident 1, its AIID page and two reports
    source = next(s for s in listed(root, "sources") if s["id"] == "aiid-report-1")
    assert "backup-20261120.tar.bz2!mongodump_full_snapshot/reports.csv" in source["checked"]


def test_retry_after_reads_seconds_and_http_dates() -> None:
    from brief.load.remote import retry_after_seconds

    now = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT
    assert retry_after_seconds("120", now) == 120.0
    assert retry_after_seconds("Tue, 14 Nov 2023 22:14:20 GMT", now) == 60.0
    assert retry_after_seconds("Tue, 14 Nov 2023 22:00:00 GMT", now) == 0.0  # already passed: no pause
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None, now) is None
