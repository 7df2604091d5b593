"""The command line: parse options, call one library function, map BriefError to exit codes.

Nothing heavy is imported at module level, so `brief --help` stays fast (no WeasyPrint, no pandas).
"""

from __future__ import annotations

import atexit
import datetime as dt
import enum
import functools
import json
import logging
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Callable, NoReturn, Optional, ParamSpec, TypeVar

import typer

from brief import __version__
from brief.core import audiences
from brief.core.errors import BriefError, UsageError

if TYPE_CHECKING:  # for the annotations only: rich loads when a bar is drawn
    from rich.progress import Progress, TaskID

app = typer.Typer(
    name="brief",
    help="Turn curated AI-incident data and evaluation results into cited, risk-rated policy briefs (HTML and PDF).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
log = logging.getLogger("brief")

ProjectOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--project",
        "-C",
        help="Project folder (holding brief.toml); default: the current folder or its nearest parent with one.",
    ),
]
StrictOpt = Annotated[
    bool, typer.Option("--strict", help="Treat warnings as errors (use for every published edition).")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors, and one line counting the warnings.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"brief {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Turn curated AI-incident data and evaluation results into cited, risk-rated policy briefs."""


def _setup_logging(quiet: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.WARNING if quiet else logging.INFO)
    log.propagate = False
    for noisy in ("weasyprint", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


class _progress:
    """A progress reporter (done, total, label) for long commands: a rich bar when stderr is a
    terminal; otherwise nothing more than the command's own line per step (build logs each document
    rendered, capture prints each source's result), so logs and tests read plain lines."""

    def __init__(self, verb: str) -> None:
        self.verb = verb
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def __call__(self, done: int, total: int, label: str) -> None:
        if total <= 1 or not sys.stderr.isatty():
            return
        if self.bar is None:
            # progress bars are drawn on a terminal only; rich loads then
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            bar = self.bar = Progress(
                TextColumn(self.verb),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            bar.start()
            self.task = bar.add_task("", total=total)
        assert self.task is not None  # added with the bar
        self.bar.update(self.task, completed=done, description=label)
        if done >= total:
            self.bar.stop()
            self.bar = None


def _fail(exc: BriefError) -> NoReturn:
    for line in exc.lines():
        typer.echo(line, err=True)
    raise typer.Exit(exc.exit_code)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _command(name: Optional[str] = None) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Register a command whose BriefError becomes its one-line-per-problem message and exit code
    (the one place the CLI maps errors; typer reads the command's signature through the wrapper)."""

    def register(function: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(function)
        def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            try:
                return function(*args, **kwargs)
            except BriefError as exc:
                _fail(exc)

        return app.command(name)(run)

    return register


def _parse_date(value: Optional[str]) -> Optional[dt.date]:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--date {value!r} is not a date (expected YYYY-MM-DD)") from None


# --- The commands ------------------------------------------------------------------------------------
# Each command imports brief's modules it needs inside its body, not at the top of this file: only
# the command that runs loads its modules (and through them WeasyPrint, pandas, pydantic ...), so
# `brief --help` and a mistyped option answer at once. Every command is registered by `_command`,
# which maps its BriefError to the one-line messages and exit code.


@_command()
def build(
    brief: Annotated[
        Optional[list[str]],
        typer.Option("--brief", "-b", help="Brief id to build (repeatable); default: every brief in briefs/."),
    ] = None,
    audience: Annotated[
        Optional[str],
        typer.Option(
            "--audience",
            "-a",
            help=f"Audience to build: {', '.join(audiences.NAMES)} or all; default from brief.toml.",
        ),
    ] = None,
    edition: Annotated[
        Optional[str],
        typer.Option(
            "--edition",
            help=(
                "Edition id; default from the brief's cadence and the edition date (2026-11 monthly, 2026-Q4 "
                "quarterly)."
            ),
        ),
    ] = None,
    date: Annotated[
        Optional[str],
        typer.Option("--date", help="Edition date YYYY-MM-DD; every date in the output comes from it. Default: today."),
    ] = None,
    html_only: Annotated[bool, typer.Option("--html-only", help="Write the HTML only, skip the PDF.")] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help=(
                "Render again even when nothing the edition depends on changed (published files are only verified, "
                "never changed)."
            ),
        ),
    ] = False,
    correction: Annotated[
        Optional[str],
        typer.Option(
            "--correction",
            help="Publish changed inputs of an already published edition as a numbered correction, with this reason.",
        ),
    ] = None,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            help="Use only the data already pulled (build never touches the network; the flag says so in scripts).",
        ),
    ] = False,
    pdf_variant: Annotated[
        Optional[str],
        typer.Option(
            "--pdf-variant",
            help=(
                "PDF standard: pdf/ua-1 (tagged, accessible; the default from brief.toml) or pdf/a-3b (archival, with "
                "the data snapshot and manifest attached)."
            ),
        ),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            max=64,
            help=(
                "Render this many (brief, audience) documents at a time, one process each; the output is the same for "
                "any number."
            ),
        ),
    ] = 1,
    fmt: Annotated[
        Optional[list[str]],
        typer.Option(
            "--format",
            "-f",
            help=(
                "Files to write per audience: html, pdf, docx (repeatable or comma list; HTML always). Default: the "
                "brief's `formats`, else html,pdf."
            ),
        ),
    ] = None,
    strict: StrictOpt = False,
    project: ProjectOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Build briefs as HTML and PDF editions into output/<brief>/<edition>/, then the index and feed.

    Example: brief build --audience regulator --date 2026-11-26
    """
    _setup_logging(quiet)
    from brief.build import build as run_build
    from brief.load.config import load_config
    from brief.render.pdf import check_variant

    config = load_config(project)
    results = run_build(
        config,
        pdf_variant=check_variant(pdf_variant) if pdf_variant else None,
        briefs=brief or None,
        audience=audience,
        edition=edition,
        date=_parse_date(date),
        strict=strict,
        pdf=not html_only,
        force=force,
        correction=correction,
        jobs=jobs,
        formats=[f.strip().lower() for item in fmt for f in item.split(",") if f.strip()] if fmt else None,
        progress=None if quiet else _progress("rendered"),
    )
    for result in results:
        if result.status == "unchanged":
            typer.echo(f"{result.brief} {result.edition}: up to date ({config.relative(result.folder)})")
        for path in result.files:
            typer.echo(config.relative(path))


@_command()
def diff(
    old: Annotated[str, typer.Argument(help="The older edition id (or a path to its snapshot.json).")],
    new: Annotated[str, typer.Argument(help="The newer edition id (or a path to its snapshot.json).")],
    brief: Annotated[
        Optional[str],
        typer.Option("--brief", "-b", help="Brief id the editions belong to; default: the only brief in briefs/."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the changes as JSON (for scripts).")] = False,
    project: ProjectOpt = None,
) -> None:
    """Show what changed between two editions of a brief (the same list as the brief's what-changed section).

    Example: brief diff 2026-10 2026-11 --brief frontier-self-preservation
    """
    _setup_logging(True)
    from brief.load.config import load_config
    from brief.publish.editions import diff_snapshots, resolve_snapshot

    config = load_config(project)
    if brief is None:
        ids = sorted(p.stem for p in config.briefs_dir.glob("*.yaml"))
        brief = ids[0] if len(ids) == 1 else None
    changes = diff_snapshots(
        resolve_snapshot(config.output_dir, brief, old), resolve_snapshot(config.output_dir, brief, new)
    )
    if as_json:
        typer.echo(json.dumps(changes.as_dict(), indent=2, ensure_ascii=False))
    else:
        typer.echo("\n".join(changes.lines()))


@_command()
def validate(
    strict: StrictOpt = False,
    project: ProjectOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Check all data and briefs; report every problem as path:line: field: message.

    Exit code 0 when clean, 1 when there are errors (or warnings under --strict).
    """
    _setup_logging(quiet)
    from brief.check.validate import validate as run_validate
    from brief.load.config import load_config

    config = load_config(project)
    report = run_validate(config)
    report.raise_if_failed(strict=strict)  # lists warnings too when it fails: print each once
    from brief.check.validate import warning_lines

    for line in warning_lines(report.warnings, quiet=quiet):  # each, grouped by kind when many, or one count (-q)
        typer.echo(line, err=True)
    ds = report.dataset
    if not quiet:
        typer.echo(
            f"OK: {len(ds.sources)} sources, {len(ds.incidents)} incidents, "
            f"{sum(len(i.claims) for i in ds.incidents.values())} claims, {len(ds.evaluations)} evaluation rows, "
            f"{len(ds.recommendations)} recommendations, {len(ds.briefs)} briefs"
            + (f"; {len(report.warnings)} warnings" if report.warnings else "")
        )
        from brief.check.evidence import verify  # the evidence note: quotes verified, captures, why the rest have none

        typer.echo("\n".join(verify(ds, config).note()))
        from brief.assess import currency, regulatory  # stale facts with their age; law not yet verified
        from brief.load.scope import scoped_incidents

        lines = currency.stale_lines(ds, dt.date.today(), scoped_incidents) + currency.unverified_lines(
            regulatory.load_tables(config.data_dir)
        )
        if lines:
            typer.echo("\n".join(lines))


class ListKind(str, enum.Enum):
    briefs = "briefs"
    incidents = "incidents"
    sources = "sources"
    evaluations = "evaluations"


@_command("list")
def list_(
    kind: Annotated[ListKind, typer.Argument(help="What to list: briefs, incidents, sources or evaluations.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of records (for scripts).")] = False,
    project: ProjectOpt = None,
) -> None:
    """List the briefs, incidents, sources or evaluation rows of the project."""
    _setup_logging(True)
    from brief.load.config import load_config
    from brief.load.listing import list_records, render_table

    config = load_config(project)
    records = list_records(config, kind.value)
    if as_json:
        typer.echo(json.dumps(records, indent=2, ensure_ascii=False))
    else:
        typer.echo(render_table(kind.value, records))


@_command()
def schema(
    out: Annotated[
        Optional[Path], typer.Option("--out", help="Folder for the JSON Schemas; default data/schema/.")
    ] = None,
    project: ProjectOpt = None,
) -> None:
    """Write JSON Schemas for the data files, so editors validate YAML as it is typed."""
    from brief.load.config import load_config
    from brief.load.schema import write_schemas

    config = load_config(project)
    for path in write_schemas(out or config.data_dir / "schema"):
        typer.echo(config.relative(path))


@_command()
def pull(
    remote: Annotated[
        Optional[list[str]],
        typer.Option(
            "--remote", "-r", help="Name of a [[remote]] in brief.toml to pull (repeatable); default: all of them."
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Download and validate, print what would change, write nothing.")
    ] = False,
    project: ProjectOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Refresh data/remote/<name>/ from the remotes in brief.toml, all or nothing per remote.

    A remote that fails keeps its previous data byte for byte; the error names the remote, the URL
    and the cause. Example: brief pull --remote evals --dry-run
    """
    _setup_logging(quiet)
    from brief.load.config import load_config
    from brief.pull import pull as run_pull

    config = load_config(project)
    run_pull(config, names=remote or None, dry_run=dry_run, progress=not quiet)


@_command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="The incident table: .csv, .json, .jsonl/.ndjson or .xlsx.")],
    remote: Annotated[
        Optional[str],
        typer.Option(
            "--remote",
            "-r",
            help=(
                'Name of the [[remote]] (kind = "table") whose column mapping to use; default: the one whose path is '
                "this file, else the file's name."
            ),
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Read and validate, print what would change, write nothing.")
    ] = False,
    project: ProjectOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Import an incident table into data/remote/<name>/, all or nothing (mapping: [remote.columns] in brief.toml).

    Each row becomes an incident (not yet assessed) citing a source marked as listed by the data
    set. Example: brief import incidents.json --remote genai
    """
    _setup_logging(quiet)
    from brief.load.config import load_config
    from brief.pull import import_file

    config = load_config(project)
    result = import_file(config, file, remote, dry_run=dry_run)
    typer.echo(result.summary())


@_command()
def assess(
    incident: Annotated[str, typer.Argument(help="Id of the incident to assess (see `brief list incidents`).")],
    accept_upstream: Annotated[
        bool,
        typer.Option(
            "--accept-upstream",
            help=(
                "Record that the assessment was reviewed against the pulled record as it is now (after validate named "
                "changed fields)."
            ),
        ),
    ] = False,
    project: ProjectOpt = None,
) -> None:
    """Write data/assessments/<id>.yaml: an assessment of a pulled incident that survives every pull.

    The file starts with the rubric inputs commented out, each with its allowed values; any incident
    field given there replaces the pulled one when the project loads. Example: brief assess aiid-114
    """
    _setup_logging(False)
    from brief.assess.curate import write_starter
    from brief.load.config import load_config

    config = load_config(project)
    path = write_starter(config, incident, accept=accept_upstream)
    if accept_upstream:
        typer.echo(f"{config.relative(path)}: upstream state recorded")
    else:
        typer.echo(f"{config.relative(path)}: written; fill in the risk inputs, then run brief validate")


@_command()
def export(
    folder: Annotated[
        Path, typer.Argument(help="Folder to write the data package into (new, empty, or an earlier export).")
    ],
    project: ProjectOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Write the curated data as a package (files + manifest.json with SHA-256) for `kind = "brief"` remotes.

    Example: brief export ../published/data && serve it, then in the other project: url = ".../data/manifest.json"
    """
    _setup_logging(quiet)
    from brief.load.config import load_config
    from brief.publish.export import export as run_export

    config = load_config(project)
    manifest = run_export(config, folder)
    if not quiet:
        typer.echo(str(manifest))


@_command()
def preview(
    brief: Annotated[
        Optional[str], typer.Option("--brief", "-b", help="Brief id to preview; default: the first brief in briefs/.")
    ] = None,
    audience: Annotated[
        Optional[str],
        typer.Option(
            "--audience", "-a", help="Audience to show; default from brief.toml (its first audience when that is all)."
        ),
    ] = None,
    port: Annotated[
        int, typer.Option("--port", "-p", min=0, max=65535, help="Port on 127.0.0.1; 0 picks a free one.")
    ] = 8000,
    project: ProjectOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Serve the working draft's HTML on 127.0.0.1, re-render it on save and reload the page (nothing is published).

    Example: brief preview --audience regulator --port 0
    """
    _setup_logging(quiet)
    from brief.preview import serve

    serve(project, brief, audience, port, echo=typer.echo)
    typer.echo("Preview stopped.")


@_command()
def capture(
    source: Annotated[
        Optional[list[str]],
        typer.Argument(help="Ids of the sources to capture (see `brief list sources`).", show_default=False),
    ] = None,
    all_sources: Annotated[
        bool, typer.Option("--all", help="Capture every source with a URL that has no capture yet.")
    ] = False,
    file: Annotated[
        Optional[Path],
        typer.Option(
            "--file",
            help="Capture a local copy (PDF, HTML or text) of the one source named, e.g. one behind a paywall.",
        ),
    ] = None,
    retrieved: Annotated[
        Optional[str],
        typer.Option(
            "--retrieved",
            help="With --file: when the copy was obtained, YYYY-MM-DD or an ISO date and time (default: now).",
        ),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Capture again a source that already has a capture (the old one is replaced)."),
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.01, help="Seconds to wait for a connection or for the next bytes.")
    ] = 30.0,
    retries: Annotated[
        int,
        typer.Option("--retries", min=0, max=10, help="Retries after a 5xx answer, a timeout or a dropped connection."),
    ] = 2,
    max_bytes: Annotated[int, typer.Option("--max-bytes", min=1, help="Largest download accepted, in bytes.")] = 50
    * 2**20,
    delay: Annotated[
        float, typer.Option("--delay", min=0, help="Seconds between two requests to the same host (politeness).")
    ] = 1.0,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Allow plain http to hosts other than this machine.")
    ] = False,
    project: ProjectOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Fetch sources (HTML, PDF or text) and keep their text under data/captures/ to check quotes against.

    Each capture records the URL, retrieval time, content type, SHA-256 and byte count; a PDF keeps
    its pages so that page locators can be checked. Never run by `brief build`.
    Example: brief capture anthropic-2025-asl3; brief capture anthropic-2025-syscard --file card.pdf
    """
    _setup_logging(quiet)
    from brief.load.capture import capture_sources, parse_retrieved
    from brief.load.config import load_config

    config = load_config(project)
    results = capture_sources(
        config,
        source or [],
        all_sources=all_sources,
        file=file,
        replace=replace,
        retrieved=parse_retrieved(retrieved) if retrieved else None,
        timeout=timeout,
        retries=retries,
        max_bytes=max_bytes,
        insecure=insecure,
        delay=delay,
        progress=None if quiet else _progress("capturing"),
    )
    for result in results:
        if result.status == "failed":
            typer.echo(str(result), err=True)
        elif not quiet or result.status == "captured":
            typer.echo(str(result))
    if any(r.status == "failed" for r in results):
        raise typer.Exit(1)


@_command("check-links")
def check_links(
    source: Annotated[
        Optional[list[str]],
        typer.Argument(help="Ids of the sources to check; default: every source.", show_default=False),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON (for scripts).")] = False,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency", min=1, max=32, help="Links checked at the same time (never two at once on one host)."
        ),
    ] = 4,
    delay: Annotated[
        float, typer.Option("--delay", min=0, help="Seconds between two requests to the same host (politeness).")
    ] = 1.0,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.01, help="Seconds to wait for a connection or for the next bytes.")
    ] = 10.0,
    retries: Annotated[
        int,
        typer.Option("--retries", min=0, max=10, help="Retries after a 5xx answer, a timeout or a dropped connection."),
    ] = 1,
    max_age: Annotated[
        float,
        typer.Option(
            "--max-age",
            min=0,
            help=(
                "Reuse results from data/captures/links.json younger than this many hours (0: check everything again)."
            ),
        ),
    ] = 24.0,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Allow plain http to hosts other than this machine.")
    ] = False,
    project: ProjectOpt = None,
) -> None:
    """Check every source URL: report dead, redirected and changed links, and whether an archived copy is recorded.

    Results are kept in data/captures/links.json; `brief build` reads it (it never touches the
    network) to print the archived link next to a dead original. Exit code 1 when a link is
    dead, changed or failing. Example: brief check-links --json
    """
    _setup_logging(True)
    from brief.check.linkcheck import check_links as run_check
    from brief.load.config import load_config

    config = load_config(project)
    report = run_check(
        config,
        source or None,
        concurrency=concurrency,
        delay=delay,
        timeout=timeout,
        retries=retries,
        max_age=max_age * 3600,
        insecure=insecure,
    )
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        typer.echo("\n".join(report.lines()))
    if report.failed:
        raise typer.Exit(1)


@_command()
def init(
    folder: Annotated[Path, typer.Argument(help="Folder for the new project (created; must be new or empty).")],
) -> None:
    """Create a brief project: brief.toml, one brief, a minimal data set and an empty templates/.

    Example: brief init my-briefs && cd my-briefs && brief build --date 2026-11-26
    """
    _setup_logging(False)
    from brief.load.scaffold import init_project

    written = init_project(folder)
    root = folder.resolve()
    for path in written:
        typer.echo(str(path.relative_to(root)) + ("/" if path.is_dir() else ""))
    typer.echo(f"Created a brief project in {folder}. Next: cd {folder} && brief build")


def main() -> None:
    """Run the CLI (console script entry point), then leave the process at once."""
    code = _run()
    # Leave without tearing the interpreter down object by object: after a large project that took
    # 1.3 s of an 8 s `brief validate`. Exit handlers still run and streams are flushed.

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(code)


def _run() -> int:
    """Run the app; return the process exit code."""
    try:
        try:
            app()
        except BriefError as exc:  # pragma: no cover - commands catch their own
            for line in exc.lines():
                print(line, file=sys.stderr)
            return exc.exit_code
        except KeyboardInterrupt:
            print("Interrupted.", file=sys.stderr)
            return 130
        except Exception as exc:  # last line of defence: a bug must not greet a user with a traceback
            if os.environ.get("BRIEF_DEBUG"):
                traceback.print_exc()
                return 1
            print(
                (
                    f"internal error: {type(exc).__name__}: {exc} (a bug in brief; rerun with BRIEF_DEBUG=1 for the "
                    "traceback and report it)"
                ),
                file=sys.stderr,
            )
            return 1
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    return 0
