"""Citations: pandoc-style markers in prose, rendered by pandoc's citeproc.

Prose carries pandoc citation markers (`[@key, sec. 4.1.1.2]`, `[see @a; @b, p. 3]`). One marker
is one `Citation`, which becomes one footnote in note styles (Chicago notes-bibliography, OSCOLA)
or one in-text citation in in-text styles (APA, IEEE).

The CSL engine is pandoc's citeproc, from the bundled pandoc of PyPI `pypandoc-binary`, so notes
and bibliography entries read exactly as pandoc renders the same items and style. Pandoc runs once
per rendered document: every citation goes into one generated Markdown document, in document
order (so that subsequent short notes, "ibid." and OSCOLA's "(n 1)" are right), one paragraph per
citation, followed by the `#refs` div. The output is parsed with `html.parser`, stripped of
pandoc's wrapper markup and filtered to a small allowlist of inline tags and safe link schemes.
Results are cached in-process (LRU) and optionally in a cache directory.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import xml.etree.ElementTree as ET
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NotRequired, TypedDict, cast

import pypandoc  # heavy import (~0.1 s): only when the package layout is unexpected

from brief.core.errors import DataError, Location, Problem, RenderError
from brief.load.markers import Citation, CiteItem, item_text, marker_text
from brief.load.model import Reliability, Source
from brief.load.styles import DEFAULT_STYLE, resolve_style, styles_dir
from brief.render.sanitise import Element, html_to_text, node_text, parse_html, serialise, unwrap_p, walk

log = logging.getLogger(__name__)


# Bump when the post-processing of pandoc's output changes, so cached results are not reused.
_CACHE_FORMAT = 2
_MEMO_SIZE = 128
_PANDOC_TIMEOUT = 120

# --- Markers ----------------------------------------------------------------------------------


# --- Results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BibEntry:
    """One bibliography entry: source key, pandoc's HTML fragment, the source's reliability."""

    key: str
    html: str
    reliability: Reliability


@dataclass
class Rendered:
    """Rendered citations of one document: one note per Citation, and the bibliography."""

    notes: list[str]
    bibliography: list[BibEntry]
    note_style: bool
    style: str = DEFAULT_STYLE

    @staticmethod
    def text_of(note: str) -> str:
        """Return the plain text of an HTML fragment, whitespace normalised."""
        return html_to_text(note)


# --- HTML parsing and filtering ---------------------------------------------------------------


# --- pandoc and styles ------------------------------------------------------------------------


class RawCitations(TypedDict):
    """pandoc's rendering of a document's citations, as cached (JSON): before sources are attached."""

    notes: list[str]  # one HTML fragment per citation, in document order
    bib: list[list[str]]  # [source key, HTML fragment] per bibliography entry
    unprinted: NotRequired[list[str]]  # cited sources the style prints no entry for (absent in older caches)


_LOCK = threading.RLock()
_MEMO: OrderedDict[str, RawCitations] = OrderedDict()
_VERSIONS: dict[tuple[str, int, int], str] = {}


def clear_cache() -> None:
    """Forget the in-process cache of rendered citations."""
    with _LOCK:
        _MEMO.clear()


def find_pandoc() -> Path:
    """Locate pandoc: the binary bundled in pypandoc-binary, else pandoc on PATH."""
    spec = importlib.util.find_spec("pypandoc")
    for location in (spec.submodule_search_locations or []) if spec else []:
        for name in ("pandoc", "pandoc.exe"):
            candidate = Path(location) / "files" / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
    if spec is not None:
        try:
            return Path(pypandoc.get_pandoc_path())
        except (ImportError, OSError) as exc:
            log.debug("pypandoc could not locate pandoc: %s", exc)
    on_path = shutil.which("pandoc")
    if on_path:
        return Path(on_path)
    raise RenderError("pandoc not found: install pypandoc-binary (pip install pypandoc-binary), which bundles pandoc 3")


def pandoc_version(pandoc: Path) -> str:
    """Return pandoc's version string (run once per binary and process)."""
    try:
        st = pandoc.stat()
    except OSError as exc:
        raise RenderError(f"pandoc not found at {pandoc}: {exc.strerror}") from None
    memo_key = (str(pandoc), st.st_size, st.st_mtime_ns)
    with _LOCK:
        if memo_key in _VERSIONS:
            return _VERSIONS[memo_key]
    try:
        proc = subprocess.run([str(pandoc), "--version"], capture_output=True, text=True, encoding="utf-8", timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        raise RenderError(f"pandoc at {pandoc} could not be run: {exc}") from None
    first = (proc.stdout.splitlines() or [""])[0].strip()
    if proc.returncode != 0 or not first.startswith("pandoc"):
        raise RenderError(f"pandoc at {pandoc} did not report a version (exit {proc.returncode})")
    version = first.split()[-1]
    if not version.split(".")[0].isdigit() or int(version.split(".")[0]) < 3:
        log.warning("pandoc %s at %s is older than 3: notes may differ from pypandoc-binary's pandoc", version, pandoc)
    with _LOCK:
        _VERSIONS[memo_key] = version
    return version


def _read_style(path: Path) -> tuple[Path, bytes, bool]:
    """Return (file pandoc should use, bytes for the cache key, whether it is a note style)."""
    try:
        data = path.read_bytes()
        root = ET.fromstring(data)
    except OSError as exc:
        raise RenderError(f"citation style {path} could not be read: {exc.strerror}") from None
    except ET.ParseError as exc:
        raise RenderError(f"citation style {path} is not valid XML: {exc}") from None
    ns = "{http://purl.org/net/xbiblio/csl}"
    if not root.tag.endswith("style"):
        raise RenderError(f"citation style {path} is not a CSL style (root element <{root.tag}>)")
    parent = next(
        (link.get("href", "") for link in root.iter(f"{ns}link") if link.get("rel") == "independent-parent"), None
    )
    if parent:  # a dependent style: use its parent from the bundled styles (pandoc would fetch it)
        parent_path = styles_dir() / f"{parent.rstrip('/').rsplit('/', 1)[-1]}.csl"
        if not parent_path.is_file():
            raise RenderError(f"citation style {path} depends on {parent}, which is not installed")
        used, parent_data, note = _read_style(parent_path)
        return used, data + b"\0" + parent_data, note
    return path, data, root.get("class") == "note"


_LANG_RE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
# Raw HTML, footnotes and raw attributes are off: prefixes and suffixes come from curated prose.
_PANDOC_FROM = "markdown-raw_html-raw_attribute-raw_tex-footnotes-inline_notes-implicit_figures"
_PARA_TOKEN = "BRIEFCITE"
_PARA_RE = re.compile(_PARA_TOKEN + r"(\d{5})")


# A name written in lower case with a digit ("o1", "o3-mini") is a product name: CSL's title case
# would print "O1". It is kept as written with CSL's nocase markup, as a curator would mark it.
_LOWER_NAME_RE = re.compile(r"(?<![\w<>/\"=-])([a-z]+\d[\w.]*(?:-[a-z\d]+)*)(?![\w>])")
_CASED_FIELDS = ("title", "title-short", "container-title", "collection-title")


def _keep_case(item: dict[str, Any]) -> dict[str, Any]:
    """Return the CSL item with lower-case product names in its titles protected from title case."""
    for name in _CASED_FIELDS:
        value = item.get(name)
        if isinstance(value, str) and _LOWER_NAME_RE.search(value):
            item[name] = _LOWER_NAME_RE.sub(r'<span class="nocase">\1</span>', value)
    return item


class CitationEngine:
    """Render citations and bibliography with pandoc's citeproc, one pandoc call per document."""

    def __init__(
        self,
        sources: Mapping[str, Source],
        style: str = DEFAULT_STYLE,
        lang: str | None = "en-US",
        cache_dir: Path | None = None,
    ):
        # lang=None: the style's default-locale (OSCOLA: en-GB); a given lang overrides it, as in pandoc.
        if lang is not None and not _LANG_RE.fullmatch(lang):
            raise RenderError(f"language {lang!r} is not a BCP 47 tag (e.g. en-US, en-GB, fr-FR)")
        self.sources = sources
        self.style = style
        self.lang = lang
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.style_path, self._style_bytes, self.note_style = _read_style(resolve_style(style))

    # The public entry point.
    def render(self, citations: Sequence[Citation], bibliography_keys: Sequence[str] | None = None) -> Rendered:
        """Render citations (in document order) and the bibliography of every cited source."""
        citations = list(citations)
        keys = list(dict.fromkeys([k for c in citations for k in c.keys] + list(bibliography_keys or [])))
        unknown = [k for k in keys if k not in self.sources]
        if unknown:
            raise DataError([self._unknown(k) for k in unknown])
        if not keys:
            return Rendered([], [], self.note_style, self.style)

        items = [_keep_case({**self.sources[k].csl(), "id": k}) for k in keys]
        items_json = json.dumps(items, ensure_ascii=False, sort_keys=True, indent=1)
        cited = {k for c in citations for k in c.keys}
        document = self._document(citations, [k for k in keys if k not in cited])
        pandoc = find_pandoc()
        digest = hashlib.sha256(
            json.dumps(
                [
                    _CACHE_FORMAT,
                    pandoc_version(pandoc),
                    hashlib.sha256(self._style_bytes).hexdigest(),
                    self.lang,
                    items_json,
                    document,
                ],
                ensure_ascii=False,
            ).encode("utf-8")
        ).hexdigest()

        raw = self._cached(digest)
        if raw is None:
            raw = self._run(pandoc, items_json, document, len(citations))
            self._store(digest, raw)
        return self._finish(raw)

    def _unknown(self, key: str) -> Problem:
        close = difflib.get_close_matches(key, list(self.sources), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return Problem(Location("citations", 0, f"@{key}"), f"unknown citation key {key!r}{hint}")

    def _document(self, citations: list[Citation], nocite: list[str]) -> str:
        lines = []
        if nocite:
            lines += ["---", "nocite: |", "  " + ", ".join(item_text(CiteItem(k)) for k in nocite), "---", ""]
        for number, citation in enumerate(citations, 1):
            lines += [f"{_PARA_TOKEN}{number:05d} {marker_text(citation)}", ""]
        lines += ["::: {#refs}", ":::", ""]
        return "\n".join(lines)

    # Cache ------------------------------------------------------------------------------------

    def _cached(self, digest: str) -> RawCitations | None:
        with _LOCK:
            if digest in _MEMO:
                _MEMO.move_to_end(digest)
                log.debug("citations: in-process cache hit %s", digest[:12])
                return _MEMO[digest]
        if self.cache_dir is None:
            return None
        path = self.cache_dir / f"{digest}.json"
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if not (isinstance(raw, dict) and isinstance(raw.get("notes"), list) and isinstance(raw.get("bib"), list)):
                raise ValueError("unexpected layout")
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("citations: ignoring unreadable cache file %s (%s)", path, exc)
            return None
        log.debug("citations: cache-dir hit %s", digest[:12])
        found = cast(RawCitations, raw)  # its layout is checked above
        self._remember(digest, found)
        return found

    def _remember(self, digest: str, raw: RawCitations) -> None:
        with _LOCK:
            _MEMO[digest] = raw
            _MEMO.move_to_end(digest)
            while len(_MEMO) > _MEMO_SIZE:
                _MEMO.popitem(last=False)

    def _store(self, digest: str, raw: RawCitations) -> None:
        self._remember(digest, raw)
        if self.cache_dir is None:
            return
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{digest[:12]}-", suffix=".tmp", dir=self.cache_dir)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(raw, fh, ensure_ascii=False)
                os.replace(tmp, self.cache_dir / f"{digest}.json")
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError as exc:  # a cache that cannot be written only costs time
            log.warning("citations: could not write cache in %s (%s)", self.cache_dir, exc)

    # pandoc -----------------------------------------------------------------------------------

    def _run(self, pandoc: Path, items_json: str, document: str, count: int) -> RawCitations:
        with tempfile.TemporaryDirectory(prefix="brief-citeproc-") as tmp:
            bib = Path(tmp) / "references.json"
            bib.write_text(items_json, encoding="utf-8")
            args = [
                str(pandoc), "--sandbox", "--citeproc", "--csl", str(self.style_path), "--bibliography", str(bib),
                "-M", "link-bibliography=true", "-f", _PANDOC_FROM, "-t", "html", "--wrap=none",
            ]  # fmt: skip
            if self.lang:
                args += ["-M", f"lang={self.lang}"]
            log.debug("citations: running %s", " ".join(args))
            try:
                proc = subprocess.run(
                    args, input=document, capture_output=True, text=True, encoding="utf-8", timeout=_PANDOC_TIMEOUT
                )
            except FileNotFoundError:
                raise RenderError(f"pandoc not found at {pandoc}: install pypandoc-binary") from None
            except subprocess.TimeoutExpired:
                raise RenderError(f"pandoc --citeproc did not finish within {_PANDOC_TIMEOUT} s") from None
            except OSError as exc:
                raise RenderError(f"pandoc at {pandoc} could not be run: {exc}") from None
        stderr = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
        if proc.returncode != 0:
            detail = stderr[0] if stderr else "no message"
            raise RenderError(f"pandoc --citeproc failed (exit {proc.returncode}) with style {self.style}: {detail}")
        for line in stderr:
            (log.debug if "no printed form" in line else log.warning)("pandoc: %s", line)
        return self._parse(proc.stdout, count)

    def _parse(self, output: str, count: int) -> RawCitations:
        nodes = parse_html(output)
        elements = list(walk(nodes))
        footnotes = {
            el.attrs["id"]: el for el in elements if el.tag == "li" and el.attrs.get("id", "").startswith("fn")
        }
        notes: list[str | None] = [None] * count
        for para in (n for n in nodes if isinstance(n, Element) and n.tag == "p"):
            m = _PARA_RE.match(node_text(para).strip())
            if not m or not 1 <= int(m.group(1)) <= count:
                continue
            index = int(m.group(1)) - 1
            inner = list(walk(para.children))
            if self.note_style:
                ref = next((el for el in inner if el.tag == "a" and "footnote-ref" in el.cls()), None)
                note = footnotes.get(ref.attrs.get("href", "").lstrip("#")) if ref else None
                if note is not None:
                    notes[index] = serialise(unwrap_p(note.children)).strip()
            else:
                span = next((el for el in inner if el.tag == "span" and "citation" in el.cls()), None)
                if span is not None:
                    notes[index] = serialise(span.children).strip()
        missing = [i + 1 for i, n in enumerate(notes) if n is None]
        if missing:
            raise RenderError(f"pandoc --citeproc output lacks citation {missing[0]} of {count} (style {self.style})")
        bib, unprinted = [], []
        for el in elements:
            if el.tag == "div" and "csl-entry" in el.cls() and el.attrs.get("id", "").startswith("ref-"):
                fragment = serialise(el.children).strip()
                if fragment:
                    bib.append([el.attrs["id"][4:], fragment])
                else:  # e.g. Chicago (18th ed.) prints social-media posts in notes only, not in the bibliography
                    unprinted.append(el.attrs["id"][4:])
        return {"notes": cast(list[str], notes), "bib": bib, "unprinted": unprinted}  # no note is None (above)

    def _unprinted(self, key: str) -> Problem:
        """Say why the style prints no bibliography entry for a cited source, at the source."""
        source = self.sources[key]
        item = source.csl()
        if item.get("type") == "post":
            why = (
                f"style {self.style} prints no bibliography entry for type 'post' "
                "(social-media posts are cited in notes only)"
            )
            fix = "a type the Sources list shows, e.g. webpage"
        elif not any(
            item.get(v)
            for v in ("archive", "archive-place", "container-title", "DOI", "number", "publisher", "references", "URL")
        ):
            why = (
                f"style {self.style} prints no bibliography entry for a source without container-title, publisher, "
                "URL, DOI, number or archive"
            )
            fix = "one of those fields"
        else:
            why = f"style {self.style} prints no bibliography entry for this {item.get('type')} source"
            fix = "a type and fields the style lists in its bibliography"
        origin = source.origin or Location("sources", 0)
        return Problem(
            Location(origin.path, origin.line, "type"),
            f"cited source {key!r} would be missing from the Sources list: {why} (expected {fix})",
        )

    def _finish(self, raw: RawCitations) -> Rendered:
        if raw.get("unprinted"):  # a cited source must be listed: its notes link to its entry
            raise DataError([self._unprinted(k) for k in raw["unprinted"]])
        rank = {Reliability.primary: 0, Reliability.secondary: 1, Reliability.social: 2}
        entries = []
        for key, fragment in raw["bib"]:
            source = self.sources.get(key)
            reliability = Reliability(source.reliability) if source is not None else Reliability.secondary
            entries.append(BibEntry(key, fragment, reliability))
        entries.sort(key=lambda e: rank[e.reliability])  # stable: the style's order within a group
        return Rendered(list(raw["notes"]), entries, self.note_style, self.style)


# --- Markdown ---------------------------------------------------------------------------------
