"""Output layout and guarded, atomic writes: nothing half-written is ever visible."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Iterator

from brief import audiences
from brief.errors import BriefError, UsageError

log = logging.getLogger(__name__)
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def check_name(value: str, what: str) -> str:
    """Return `value` when it is safe as one path component (no separators, no '..', no NUL)."""
    if not SAFE_NAME.fullmatch(value) or ".." in value:
        raise UsageError(f"{what} {value!r} is not allowed (use letters, digits, '.', '_' or '-'; no path separators or '..')")
    return value


def safe_join(root: Path, *parts: str) -> Path:
    """Join `parts` under `root`, refusing any result outside it."""
    base = root.resolve()
    target = base.joinpath(*parts).resolve()
    if target != base and base not in target.parents:
        raise UsageError(f"refusing to write outside {base}: {target}")
    return target


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary file in the same folder and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; published files must be readable
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise BriefError(f"{path}: cannot write ({exc.strerror or exc}); nothing was changed") from None
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def output_lock(output_dir: Path, timeout: float = 600.0) -> Iterator[None]:
    """Hold an exclusive lock on the output folder: two builds never write at the same time."""
    import fcntl
    import time

    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / ".lock"
    with open(path, "a+b") as handle:
        deadline = time.monotonic() + timeout
        announced = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not announced:
                    log.info("waiting for another build to finish (%s)", path)
                    announced = True
                if time.monotonic() > deadline:
                    raise BriefError(f"{path}: another build has held the lock for {timeout:.0f} s; try again later") from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def write_index(config: Any) -> list[Path]:
    """Write output/index.html (every brief, newest edition first) and output/feed.xml (Atom)."""
    from brief import __version__
    from brief.editions import published
    from brief.render.context import long_date
    from brief.render.templates import environment, read_asset

    out = config.output_dir
    briefs = []
    for folder in sorted(p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")) if out.is_dir() else []:
        revisions = published(out, folder.name)
        if not revisions:
            continue
        editions: dict[str, list[Any]] = {}
        for rev in revisions:
            editions.setdefault(rev.edition, []).append(rev)
        rows = []
        for edition_id, revs in editions.items():
            current = revs[-1]
            files = []
            for f in current.manifest["files"]:
                href = current.folder.relative_to(out).as_posix() + "/" + f["name"]
                files.append(dict(f, href=href, size=_size(f["bytes"])))
            by_audience: dict[str, dict[str, Any]] = {}
            for f in files:
                by_audience.setdefault(f["audience"], {})[f["format"]] = f
            rows.append(
                {
                    "id": edition_id,
                    "date": current.date,
                    "date_text": long_date(current.date),
                    "revision": current.revision,
                    "corrections": current.manifest.get("corrections", []),
                    "audiences": dict(sorted(by_audience.items(), key=lambda kv: audiences.order(kv[0]))),
                    "earlier_revisions": [
                        {"revision": r.revision, "href": r.folder.relative_to(out).as_posix() + "/", "files": r.manifest["files"]} for r in revs[:-1]
                    ],
                    "folder": current.folder.relative_to(out).as_posix(),
                }
            )
        rows.sort(key=lambda r: (r["date"], r["id"]), reverse=True)
        title = revisions[-1].manifest["brief"]["title"]
        briefs.append({"id": folder.name, "title": title, "subtitle": revisions[-1].manifest["brief"].get("subtitle"), "editions": rows, "revisions": revisions})
    env = environment(config.templates_dir, {})
    context = {
        "project": config.settings,
        "organisation": config.settings.organisation,
        "language": config.settings.language,
        "briefs": briefs,
        "tool_version": __version__,
        "css": read_asset(config.templates_dir, "screen.css"),
    }
    import jinja2

    try:
        html = env.get_template("index.html").render(context)
    except jinja2.TemplateError as exc:
        raise BriefError(f"index.html: template error: {exc}") from None
    feed = _atom(config, briefs)
    atomic_write_text(out / "index.html", html)
    atomic_write_text(out / "feed.xml", feed)
    return [out / "index.html", out / "feed.xml"]


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    return f"{max(1, round(n / 1024))} KB"


def _atom(config: Any, briefs: list[dict[str, Any]]) -> str:
    """Return an Atom feed with an entry per edition and per correction."""
    from xml.sax.saxutils import escape, quoteattr

    from brief.render.context import long_date

    base = (config.settings.base_url or "").rstrip("/")
    entries = []
    for brief in briefs:
        for rev in brief["revisions"]:
            files = {(f["audience"], f["format"]): f["name"] for f in rev.manifest["files"]}
            name = files.get(("regulator", "pdf")) or files.get(("regulator", "html")) or next(iter(files.values()), "")
            link = rev.folder.relative_to(config.output_dir).as_posix() + "/" + name
            href = f"{base}/{link}" if base else link
            title = f"{brief['title']}: edition {rev.edition}" + (f", correction {rev.revision}" if rev.revision else "")
            if rev.revision:
                last = rev.manifest["corrections"][-1]
                day, summary = last["date"], f"Correction {rev.revision} of edition {rev.edition}: {last['reason']}"
            else:
                day, summary = rev.date.isoformat(), f"Edition {rev.edition} of {brief['title']}, dated {long_date(rev.date)}."
            entries.append(
                (
                    day,
                    f"<entry>\n<id>urn:brief:{escape(brief['id'])}:{escape(rev.edition)}:{rev.revision}</id>\n<title>{escape(title)}</title>\n"
                    f"<updated>{day}T00:00:00Z</updated>\n<link rel=\"alternate\" href={quoteattr(href)}/>\n<summary>{escape(summary)}</summary>\n</entry>",
                )
            )
    entries.sort(key=lambda e: e[0], reverse=True)
    updated = entries[0][0] if entries else "1970-01-01"
    self_link = f'<link rel="self" href={quoteattr(base + "/feed.xml")}/>\n' if base else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"<id>urn:brief:{escape(config.settings.name)}</id>\n<title>{escape(config.settings.organisation)}: briefs</title>\n"
        f"<updated>{updated}T00:00:00Z</updated>\n<author><name>{escape(config.settings.organisation)}</name></author>\n"
        f'{self_link}<link rel="alternate" href={quoteattr((base + "/" if base else "") + "index.html")}/>\n'
        + "\n".join(e[1] for e in entries)
        + "\n</feed>\n"
    )
