"""The pipeline, top to bottom: config -> load -> validate -> compute -> render -> write.

Nothing is written until everything has loaded, validated and rendered in memory. A new edition
is written into a hidden staging folder and renamed into place in one step; a published edition
is never changed: rebuilding it with the same inputs is a no-op, with different inputs it is
refused unless issued as a numbered correction, written beside the original.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, NoReturn, NotRequired, TypedDict

from brief import __version__
from brief.check.evidence import render_facts
from brief.check.validate import log_warnings, scoped_warnings, validate
from brief.core import audiences
from brief.core.errors import BriefError, DataError, EditionExistsError, Problem, UsageError
from brief.core.writer import OutputRoot, check_name, output_lock
from brief.load.config import Config, check_audience
from brief.load.dataset import Dataset
from brief.load.model import BriefSpec
from brief.load.styles import resolve_style
from brief.publish import editions
from brief.publish.index import write_index
from brief.render import chunked
from brief.render import html as render_html
from brief.render.citations import CitationEngine
from brief.render.context import Computed, Edition, build_context, compute, edition_id
from brief.render.docx import reference_doc, write_docx
from brief.render.pages import over_budget
from brief.render.pdf import write_pdf
from brief.render.templates import template_source_dirs

log = logging.getLogger(__name__)


# Called as (done, total, label) after each document a build renders.
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class RenderedFile:
    """One file of an edition, rendered in memory: its name, bytes, audience, format and PDF pages (0 otherwise)."""

    name: str
    data: bytes
    audience: str
    format: str  # html | pdf | docx
    pages: int


@dataclass
class BuildResult:
    """What one brief's build did."""

    brief: str
    edition: str
    folder: Path
    status: str = "built"  # built | unchanged | extended | corrected
    revision: int = 0
    files: list[Path] = field(default_factory=list)
    pages: dict[str, int] = field(default_factory=dict)


def build(
    config: Config,
    briefs: list[str] | None = None,
    audience: str | None = None,
    edition: str | None = None,
    date: dt.date | None = None,
    strict: bool = False,
    pdf: bool = True,
    force: bool = False,
    correction: str | None = None,
    pdf_variant: str | None = None,
    jobs: int = 1,
    formats: list[str] | None = None,
    progress: Progress | None = None,
) -> list[BuildResult]:
    """Build the requested briefs and audiences as editions; return what was done.

    `jobs` > 1 renders the (brief, audience) documents in that many processes; the outputs are the
    same for any number, and this process writes them, in brief order, once all have rendered.
    `formats` (html, pdf, docx; HTML is always written) overrides each brief's `formats`; `progress`
    is called as (done, total, label) after each document.
    """
    started = time.perf_counter()
    if edition is not None:
        check_name(edition, "edition")
    if audience and audience != "all":
        check_audience(audience)
    if correction is not None and not correction.strip():
        raise UsageError('--correction needs a reason, e.g. --correction "Fixed the n of the o1 rows"')
    if jobs < 1:
        raise UsageError(f"--jobs {jobs}: expected 1 or more processes")
    for fmt in formats or []:
        if fmt not in FORMATS:
            raise UsageError(f"--format {fmt!r}: expected one or more of {', '.join(FORMATS)}")

    # 1-3. Load and validate everything; stop once with every problem.
    report = validate(config, today=date or dt.date.today())
    report.raise_if_failed(strict=strict, briefs=briefs)

    log_warnings(scoped_warnings(report, briefs), log)  # not fatal without --strict, but never silent: the briefs' own
    ds = report.dataset
    ids = briefs or sorted(ds.briefs)
    for brief_id in ids:
        if brief_id not in ds.briefs:
            raise UsageError(
                f"unknown brief {brief_id!r}: expected one of {', '.join(sorted(ds.briefs)) or '(none in briefs/)'}"
            )
        check_name(brief_id, "brief id")

    results = []
    try:
        with output_lock(config.output_dir):
            _clean_stale(config.output_dir, ids)
            request = BuildRequest(
                config=config,
                dataset=ds,
                audience=audience,
                edition=edition,
                date=date,
                formats=formats,
                pdf=pdf,
                force=force,
                correction=correction,
                pdf_variant=pdf_variant,
            )
            planned = [_plan_brief(request, brief_id) for brief_id in ids]
            # 5-7. Render every (brief, audience) document, in parallel with --jobs; then 8. write, in brief order.
            _render_tasks(
                [task for plan in planned if isinstance(plan, _Pending) for task in plan.tasks], jobs, progress
            )
            results = [plan.finish() if isinstance(plan, _Pending) else plan for plan in planned]

            write_index(config)
    except OSError as exc:  # a full disk or a read-only folder: one line; staging is cleaned, editions untouched
        where = config.relative(Path(exc.filename)) if exc.filename else config.relative(config.output_dir)
        raise BriefError(f"{where}: cannot write ({exc.strerror or exc}); earlier editions are untouched") from None
    log.info("done in %.2f s", time.perf_counter() - started)
    return results


FORMATS = ("html", "pdf", "docx")


@dataclass(frozen=True)
class BuildRequest:
    """What `brief build` was asked for, the same for every brief: the project, its data and the options."""

    config: Config
    dataset: Dataset
    audience: str | None  # an audience, "all", or None: brief.toml's default
    edition: str | None  # None: from each brief's cadence
    date: dt.date | None  # None: the published edition's own date, else today
    formats: list[str] | None  # --format; None: each brief's `formats`
    pdf: bool  # False with --html-only
    force: bool
    correction: str | None  # the reason of a numbered correction
    pdf_variant: str | None


def _formats(spec: BriefSpec, formats: list[str] | None, pdf: bool) -> tuple[str, ...]:
    """The formats of one brief's files: --format, else the brief's `formats`; HTML always, no PDF with --html-only."""
    wanted = set(formats or spec.formats or ("html", "pdf")) | {"html"}
    return tuple(f for f in FORMATS if f in wanted and (pdf or f != "pdf"))


def _plan_brief(request: BuildRequest, brief_id: str) -> BuildResult | _Pending:
    """Plan one brief's edition: an up-to-date result, or the render jobs and how to publish them."""
    config, ds, date, correction = request.config, request.dataset, request.date, request.correction
    spec = ds.briefs[brief_id]
    formats = _formats(spec, request.formats, request.pdf)
    requested = request.audience or config.settings.default_audience
    audiences = list(spec.audiences) if requested == "all" else check_audience(requested)
    ed_id = request.edition or edition_id(spec, date or dt.date.today())
    output = OutputRoot(config.output_dir)
    folder = output.folder(f"{brief_id}/{ed_id}")
    existing = editions.latest_revision(config.output_dir, brief_id, ed_id)
    if folder.exists() and existing is None:
        raise BriefError(f"{config.relative(folder)} exists but holds no manifest.json: move it away, then build again")

    # The edition date: given, or the published edition's own, or today.
    day = date or (existing.date if existing else dt.date.today())
    if existing and date and date != existing.date and correction is None:
        raise EditionExistsError(
            f"edition {ed_id} of {brief_id} was published dated {existing.date}; to reissue it dated {date} run: "
            f'brief build --brief {brief_id} --edition {ed_id} --date {date} --correction "<reason>"'
        )
    ed = Edition(ed_id, existing.date if existing else day)

    # 4. Compute once per brief and edition date: risk, the law at the edition date, clocks and
    # recommendations (every audience reads these), the snapshot and the diff.
    previous = editions.previous_edition(config.output_dir, brief_id, ed_id, ed.date)
    if existing is not None and existing.manifest.get("previous"):
        # A published edition keeps the predecessor it was built against, even if that one was corrected since.
        recorded = existing.manifest["previous"]
        previous = (
            editions.find_revision(config.output_dir, brief_id, recorded["edition"], recorded["revision"]) or previous
        )
    draft = plan_draft(config, ds, spec, ed, previous)
    key, inputs = _inputs_key(config, draft.snapshot, previous, spec, draft.evidence)

    def plan(corrections: list[Correction]) -> PlannedEdition:
        """Return what every audience of this edition renders from, with its corrections."""
        return replace(
            draft,
            corrections=corrections,
            formats=formats,
            pdf_variant=request.pdf_variant or config.settings.pdf_variant,
            inputs=inputs,
        )

    if existing is not None and existing.manifest["inputs"]["key"] == key:
        have = {(f["audience"], f["format"]) for f in existing.manifest["files"]}
        missing = [a for a in audiences if any((a, fmt) not in have for fmt in formats)]
        if not missing and not request.force:
            log.info("%s edition %s is up to date (published %s); nothing to do", brief_id, ed_id, existing.date)
            return BuildResult(brief_id, ed_id, existing.folder, "unchanged", existing.revision)
        targets = audiences if request.force else missing
        result = BuildResult(brief_id, ed_id, existing.folder, "extended" if missing else "built", existing.revision)
        planned = plan(existing.manifest.get("corrections", []))
        published = existing

        def extend(rendered: list[RenderedFile]) -> None:
            _extend(published.folder, rendered, published.manifest, result)

        return _Pending(result, [_Task(RenderJob(planned, aud), result) for aud in targets], extend)

    corrections: list[Correction] = []
    revision = 0
    if existing is not None:
        if correction is None:
            raise EditionExistsError(
                f"edition {ed_id} of {brief_id} is published (dated {existing.date}) and its inputs have changed; "
                f"published editions are never overwritten. To publish the change as a numbered correction run: "
                f'brief build --brief {brief_id} --edition {ed_id} --correction "<what was corrected and why>"'
            )
        revision = existing.revision + 1
        fixed = editions.diff_snapshots(existing.snapshot(), draft.snapshot)
        corrections = list(existing.manifest.get("corrections", [])) + [
            Correction(
                revision=revision,
                date=(date or dt.date.today()).isoformat(),
                reason=correction.strip(),
                changes=[c.as_dict() for c in fixed.changes],
            )
        ]
    target = (folder / f"correction-{revision}") if revision else folder
    result = BuildResult(brief_id, ed_id, target, "corrected" if revision else "built", revision)
    planned = plan(corrections)

    def publish(rendered: list[RenderedFile]) -> None:
        manifest = _manifest(spec, ed, revision, inputs, corrections, rendered, previous)
        _publish_new(target, rendered, draft.snapshot, manifest)
        result.files = [target / f.name for f in rendered]

    return _Pending(result, [_Task(RenderJob(planned, aud), result) for aud in audiences], publish)


def _inputs_key(
    config: Config,
    snapshot: dict[str, Any],
    previous: editions.Published | None,
    spec: BriefSpec,
    evidence: dict[str, dict[str, Any]],
) -> tuple[str, dict[str, Any]]:
    """Return the content hash of everything an edition depends on, and its parts."""
    h = editions.sha256_bytes
    templates = []
    for folder in template_source_dirs(config.templates_dir):
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            templates.append(f"{path.relative_to(folder)}:{h(path.read_bytes())}")
    style = config.style(spec.citation_style)  # a relative .csl path is read from the project root
    try:
        style_hash = h(Path(resolve_style(style)).read_bytes())
    except Exception:  # an unknown style fails later with its own message
        style_hash = style
    inputs = {
        "tool": __version__,
        "snapshot_sha256": h(editions.canonical_json(snapshot)),
        "templates_sha256": h("\n".join(templates).encode()),
        "config_sha256": h(config.settings.model_dump_json().encode()),
        "style_sha256": style_hash,
        "previous": {
            "edition": previous.edition,
            "revision": previous.revision,
            "snapshot_sha256": h((previous.folder / editions.SNAPSHOT).read_bytes()),
        }
        if previous
        else None,
    }
    if evidence:  # only when there are any, so that older editions keep their key
        inputs["evidence_sha256"] = h(editions.canonical_json(evidence))
    key = h(editions.canonical_json(inputs))
    return key, {"key": key, **inputs}


class Correction(TypedDict):
    """One numbered correction as the manifest lists it."""

    revision: int
    date: str  # ISO date
    reason: str
    changes: list[dict[str, str]]  # editions.Change.as_dict() of each change


@dataclass(frozen=True)
class PlannedEdition:
    """What every audience of one brief's edition renders from (computed once, shared by its render jobs)."""

    config: Config
    dataset: Dataset
    spec: BriefSpec
    edition: Edition
    computed: Computed
    changes: editions.Diff | None  # against the previous edition
    previous: editions.Published | None
    corrections: list[Correction]
    formats: tuple[str, ...]  # html, and pdf or docx as requested
    pdf_variant: str | None
    snapshot: dict[str, Any]  # the normalised data (JSON), attached to a PDF/A-3 file
    inputs: dict[str, Any]  # the inputs' hashes (JSON), attached to a PDF/A-3 file
    evidence: dict[str, dict[str, Any]]  # per source id: capture date and dead link, as the sources list prints them


def plan_draft(
    config: Config, ds: Dataset, spec: BriefSpec, ed: Edition, previous: editions.Published | None
) -> PlannedEdition:
    """Return what an edition renders from before anything is decided about publishing it: computed once,
    its snapshot, what changed since `previous`, the evidence facts; the HTML only, no corrections.

    `brief build` adds its formats, corrections and inputs key; `brief preview` renders it as it is."""
    computed = compute(config, ds, spec, ed.date)
    snapshot = editions.make_snapshot(
        ds, spec, computed.incidents, computed.assessments, computed.library_recommendations, ed
    )
    return PlannedEdition(
        config=config,
        dataset=ds,
        spec=spec,
        edition=ed,
        computed=computed,
        changes=editions.diff_snapshots(previous.snapshot(), snapshot) if previous else None,
        previous=previous,
        corrections=[],
        formats=("html",),
        pdf_variant=None,
        snapshot=snapshot,
        inputs={},
        evidence=evidence_facts(config, snapshot),  # capture dates, dead links (files only, no network)
    )


@dataclass(frozen=True)
class RenderJob:
    """One (brief, audience) document to render in memory: the same in this process, a worker process or
    the preview."""

    planned: PlannedEdition
    audience: str

    @property
    def label(self) -> str:
        """Return what the progress bar shows: "brief-id (audience)"."""
        return f"{self.planned.spec.id} ({self.audience})"


@dataclass(frozen=True)
class Rendering:
    """A rendered document: its files (HTML first), its PDF's page count and the lines to log."""

    files: list[RenderedFile]
    pages: int | None  # None without a PDF
    messages: list[tuple[int, str]]  # (logging level, message)


@dataclass(frozen=True)
class _Failed:
    """A worker's BriefError, as data: an exception with several arguments does not pickle back."""

    kind: type[BriefError]
    message: str
    problems: list[Problem] | None = None  # a DataError's problems
    summary: str | None = None  # a DataError's summary

    def reraise(self) -> NoReturn:
        """Raise the error again in this process."""
        if self.problems is not None:
            raise DataError(self.problems, self.summary)
        raise self.kind(self.message)


@dataclass
class _Task:
    """A render job of the running build, the result it counts towards, and its rendering once done."""

    job: RenderJob
    result: BuildResult
    output: list[RenderedFile] = field(default_factory=list)


@dataclass
class _Pending:
    """A brief whose documents are being rendered, and how to publish them once they are."""

    result: BuildResult
    tasks: list[_Task]
    publish: Callable[[list[RenderedFile]], None]

    def finish(self) -> BuildResult:
        """Publish the rendered files (in audience order, as requested); return the brief's result."""
        self.publish([item for task in self.tasks for item in task.output])
        return self.result


# The jobs of the running build, for worker processes: forked after they are set, so that the
# dataset, the computed assessments and the configuration are inherited, never pickled.
_JOBS: list[RenderJob] = []


def _render_tasks(tasks: list[_Task], jobs: int, progress: Progress | None = None) -> None:
    """Render every task, in `jobs` processes when more than one; fill each task's output in place."""
    global _JOBS
    if progress is not None:
        progress(0, len(tasks), "")
    if jobs <= 1 or len(tasks) <= 1:
        for n, task in enumerate(tasks, 1):
            _take(task, render(task.job))
            if progress is not None:
                progress(n, len(tasks), task.job.label)
        return

    _JOBS = [task.job for task in tasks]
    try:
        # Longest first (the regulator brief lays out the most pages), so that the last task to
        # start is a short one; each result is taken in task order whatever the finishing order.
        order = sorted(range(len(tasks)), key=lambda i: (_weight(tasks[i].job), -i), reverse=True)
        with ProcessPoolExecutor(
            max_workers=min(jobs, len(tasks)), mp_context=multiprocessing.get_context("fork")
        ) as pool:
            futures = {i: pool.submit(_render_worker, i) for i in order}
            for i, task in enumerate(tasks):
                done = futures[i].result()
                if isinstance(done, _Failed):
                    done.reraise()
                _take(task, done)
                if progress is not None:
                    progress(i + 1, len(tasks), task.job.label)
    finally:
        _JOBS = []


def _weight(job: RenderJob) -> int:
    """Return the relative layout cost of a job (pages of the default brief), to start long jobs first."""
    return 8 if job.planned.spec.layout == "compendium" else audiences.get(job.audience).weight


def _take(task: _Task, done: Rendering) -> None:
    """Keep a task's files and page count; log its lines here, in task order, whichever process rendered it."""
    task.output = done.files
    if done.pages is not None:
        task.result.pages[task.job.audience] = done.pages
    for level, message in done.messages:
        log.log(level, "%s", message)


def _render_worker(index: int) -> Rendering | _Failed:
    """Render the job `index` of the running build in a worker process; return its rendering or its error."""
    try:
        return render(_JOBS[index])
    except DataError as exc:
        return _Failed(DataError, str(exc), exc.problems, exc.summary)
    except BriefError as exc:
        return _Failed(type(exc), str(exc))


def render(job: RenderJob) -> Rendering:
    """Render one audience's document in memory; return its files, its PDF's page count and its log lines."""
    plan, aud = job.planned, job.audience
    config, ds, spec, ed, pdf_variant = plan.config, plan.dataset, plan.spec, plan.edition, plan.pdf_variant

    engine = CitationEngine(
        ds.sources,
        style=config.style(spec.citation_style),
        lang=config.settings.language,
        cache_dir=config.output_dir / ".cache" / "citations",
    )
    out = []
    messages: list[tuple[int, str]] = []
    pages = None
    context = build_context(config, ds, spec, aud, ed, plan.computed)
    context.update(
        changes=plan.changes,
        previous_edition=plan.previous,
        edition_corrections=plan.corrections,
        revision=len(plan.corrections) and plan.corrections[-1]["revision"],
        evidence=plan.evidence,
    )
    names = [f"{aud}/{spec.id}.html", f"{aud}/brief.html", "brief.html"]
    if spec.layout == "compendium":  # one page per incident, any audience's marking
        names = [f"compendium/{spec.id}.html", f"compendium/{aud}.html", "compendium/brief.html"]
    rendered = render_html.render(config.templates_dir, context, engine, names)
    stem = f"{spec.id}-{aud}"
    out.append(RenderedFile(f"{stem}.html", rendered.html.encode("utf-8"), aud, "html", 0))
    pdf = "pdf" in plan.formats
    if pdf:
        attachments = None
        if pdf_variant and pdf_variant.startswith("pdf/a-3"):
            attachments = [
                (
                    "snapshot.json",
                    editions.canonical_json(plan.snapshot),
                    "The normalised data this edition was built from",
                ),
                (
                    "inputs.json",
                    editions.canonical_json(plan.inputs),
                    "Hashes of every input of this edition (tool version, data, templates, configuration)",
                ),
            ]

        folders = template_source_dirs(config.templates_dir)
        if rendered.print_parts is not None and chunked.splittable(rendered.print_parts, pdf_variant):
            # a long compendium
            data, pages, refused = chunked.write_pdf_in_parts(
                rendered.print_parts,
                rendered.print_css,
                variant=pdf_variant,
                created=ed.date,
                base_dir=folders[0],
                allowed_dirs=folders,
            )
        else:
            data, pages, refused = write_pdf(
                rendered.print_html,
                rendered.print_css,
                variant=pdf_variant,
                created=ed.date,
                attachments=attachments,
                base_dir=folders[0],
                allowed_dirs=folders,
            )
        for url in refused:
            messages.append((logging.WARNING, f"{stem}: the renderer was refused {url[:100]}"))
        out.append(RenderedFile(f"{stem}.pdf", data, aud, "pdf", pages))
        budget = spec.pages.get(aud) or (
            audiences.get(aud).pages if aud in audiences.REGISTRY and spec.layout == "standard" else None
        )
        if budget and pages and pages > budget:
            messages.append(
                (
                    logging.WARNING,
                    f"{stem}: {over_budget(data, pages, budget)} "
                    f"(set `pages: {{{aud}: N}}` in the brief to change the budget)",
                )
            )
    if "docx" in plan.formats:
        out.append(
            RenderedFile(
                f"{stem}.docx",
                write_docx(rendered.print_html, reference_doc(template_source_dirs(config.templates_dir)), ed.date),
                aud,
                "docx",
                0,
            )
        )
    messages.append(
        (
            logging.INFO,
            f"rendered {spec.id} ({aud}, edition {ed.id}): {rendered.notes} notes, {rendered.bibliography} sources"
            + (f", {pages} pages" if pdf else ""),
        )
    )
    return Rendering(out, pages, messages)


class ManifestFile(TypedDict):
    """A file's entry in an edition's manifest."""

    name: str
    audience: str
    format: str
    bytes: int
    sha256: str
    pages: NotRequired[int]  # a PDF's


def _file_record(f: RenderedFile, digest: str) -> ManifestFile:
    """Return a file's entry in the manifest: name, audience, format, size, SHA-256 and (a PDF's) pages."""
    record = ManifestFile(name=f.name, audience=f.audience, format=f.format, bytes=len(f.data), sha256=digest)
    if f.format == "pdf":
        record["pages"] = f.pages
    return record


def _manifest(
    spec: BriefSpec,
    ed: Edition,
    revision: int,
    inputs: dict[str, Any],
    corrections: list[Correction],
    rendered: list[RenderedFile],
    previous: editions.Published | None,
) -> dict[str, Any]:
    """Return the manifest of a new edition (or correction): what it is, what it was built from, its files."""
    return {
        "tool": {"name": "brief", "version": __version__},
        "brief": {"id": spec.id, "title": spec.title, "subtitle": spec.subtitle},
        "edition": {"id": ed.id, "date": ed.iso},
        "revision": revision,
        "previous": {"edition": previous.edition, "revision": previous.revision} if previous else None,
        "corrections": corrections,
        "inputs": inputs,
        "files": [_file_record(f, editions.sha256_bytes(f.data)) for f in rendered],
    }


def _publish_new(
    target: Path, rendered: list[RenderedFile], snapshot: dict[str, Any], manifest: dict[str, Any]
) -> None:
    """Write a new edition (or correction) into a hidden staging folder, then rename it into place."""
    editions.publish_staged(OutputRoot(target.parent), target.name, _named(rendered), snapshot, manifest)


def _extend(folder: Path, rendered: list[RenderedFile], manifest: dict[str, Any], result: BuildResult) -> None:
    """Add audiences to a published edition whose inputs are unchanged (the manifest is written last)."""
    files = {f["name"]: f for f in manifest["files"]}
    new: list[RenderedFile] = []
    for f in rendered:
        old = files.get(f.name)
        digest = editions.sha256_bytes(f.data)
        if old is not None and old["sha256"] != digest:
            raise EditionExistsError(
                f"{folder / f.name}: a rebuild with unchanged inputs gave different bytes "
                "(was the tool or WeasyPrint upgraded?); "
                "the published file is kept. Issue a correction to publish a new rendering."
            )
        if old is None:
            new.append(f)
            files[f.name] = _file_record(f, digest)
        result.files.append(folder / f.name)
    manifest = dict(manifest, files=sorted(files.values(), key=lambda f: (f["audience"], f["format"])))
    editions.add_files(OutputRoot(folder), _named(new), manifest)


def _named(rendered: list[RenderedFile]) -> list[tuple[str, bytes]]:
    return [(f.name, f.data) for f in rendered]


def _clean_stale(output_dir: Path, brief_ids: list[str]) -> None:
    """Remove staging folders and temporary files left by a build that was killed (under the lock)."""
    for path in (
        list(output_dir.glob(".*.tmp"))
        + list(output_dir.glob(".cache/.*.tmp"))
        + list(output_dir.glob(".cache/*/.*.tmp"))
    ):  # index, feed, citation cache
        try:
            path.unlink()
        except OSError:
            pass
    inside = output_dir.resolve()
    for brief_id in brief_ids:
        root = output_dir / brief_id
        if not root.is_dir():
            continue
        # Never through a symlink out of output/: a linked folder is refused later by OutputRoot.
        for path in list(root.glob(".staging-*")) + list(root.glob("*/.staging-*")):
            if not path.is_symlink() and path.resolve().is_relative_to(inside):
                shutil.rmtree(path, ignore_errors=True)
        for path in list(root.glob("*/.*.tmp")) + list(root.glob("*/*/.*.tmp")):
            if not path.resolve().is_relative_to(inside):
                continue
            try:
                path.unlink()
            except OSError:
                pass


def evidence_facts(config: Config, snapshot: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return what the sources list shows from captures and link checks, for the sources of this edition."""
    cited = snapshot.get("sources", {})
    return {key: facts for key, facts in render_facts(config).items() if key in cited}
