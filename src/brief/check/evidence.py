"""Evidence integrity in `brief validate`: claim quotes checked against captured source text.

Every quote of a claim whose source has a capture (brief.load.capture) must appear in the captured
text, after normalising what differs between a PDF, a web page and a quote typed by an analyst:
Unicode compatibility forms and ligatures ("ﬁ" is "fi"), curly and straight quote marks, dashes,
line-end hyphenation ("conse-\\nquences"), hyphens inside words, whitespace, letter case and
accents. "..." (or "…") and an editorial insertion in brackets ("[the model]", "[T]he") skip
text: the parts must appear in order. With a page
locator (the reference's `page:`, or "p. 27" / "pp. 26-27" in its locator) and a paged capture
(a PDF), the quote must be on that page; "page 27" means the 27th page of the PDF file.

Problems:
- a quote missing from its capture is an error naming the claim, the source and the closest
  passage found (and its page);
- a source quoted by a confirmed claim without a capture is a warning (so an error under
  --strict), unless the source records why it has none: "capture": {"status": "unavailable",
  "reason": "..."} -- an explicit, reviewed decision that the validation note lists;
- sources quoted only by claims that are not confirmed and have no capture are counted in the
  note, not warned about (--strict turns every warning into an error, and the rule is that only
  confirmed claims must rest on checked words).
"""

from __future__ import annotations

import datetime as dt
import difflib
import html
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterator

from brief.check import numbers
from brief.check.linkcheck import load_cache
from brief.core.errors import Location, Problem
from brief.load.capture import load_captures
from brief.load.config import Config
from brief.load.dataset import Dataset
from brief.load.model import ClaimStatus, Incident, Source, SourceRef

# --- normalisation -----------------------------------------------------------------------------

_QUOTES = dict.fromkeys(map(ord, "\u2018\u2019\u201a\u201b\u2032\u0060\u00b4"), "'") | dict.fromkeys(
    map(ord, "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"), '"'
)
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-")
_INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")


@dataclass
class Normalised:
    """Normalised text and, for each of its characters, the index of the original character."""

    text: str
    index: list[int]
    original: str

    def passage(self, start: int, end: int, limit: int = 240) -> str:
        """Return the original text behind normalised [start, end), whitespace squashed."""
        if start >= end or not self.index:
            return ""
        a = self.index[start]
        b = self.index[min(end, len(self.index)) - 1] + 1
        text = " ".join(self.original[a:b].split())
        return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def normalise(text: str) -> Normalised:
    """Return `text` in the form quotes are compared in, with a map back to the original."""
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if ch in _INVISIBLE:
            continue
        for c in unicodedata.normalize("NFKD", ch.translate(_QUOTES).translate(_DASHES)):
            if unicodedata.combining(c):
                continue
            for folded in c.casefold():
                chars.append(folded)
                index.append(i)
    # Line-end hyphenation, then hyphens between letters, then whitespace runs.
    out: list[str] = []
    out_index: list[int] = []
    n = len(chars)
    i = 0
    while i < n:
        c = chars[i]
        if c == "-" and out and out[-1].isalnum():
            j = i + 1
            newline = False
            while j < n and chars[j].isspace():
                newline = newline or chars[j] == "\n"
                j += 1
            if j < n and chars[j].isalnum() and (j == i + 1 or newline):
                i = j  # "con-\nsequences" and "long-term" both join
                continue
        if c.isspace():
            if out and out[-1] != " ":
                out.append(" ")
                out_index.append(index[i])
            i += 1
            continue
        out.append(c)
        out_index.append(index[i])
        i += 1
    while out and out[-1] == " ":
        out.pop()
        out_index.pop()
    return Normalised("".join(out), out_index, text)


def quote_parts(quote: str) -> list[str]:
    """Return the normalised parts of a quote: an ellipsis or an editorial [insertion] is a gap."""
    parts = []
    for part in re.split(r"\.\s*\.\s*\.|\u2026|\[[^\[\]]*\]", quote):
        norm = normalise(part).text.strip(" \"'")
        if norm:
            parts.append(norm)
    return parts


# --- matching ----------------------------------------------------------------------------------


@dataclass
class Page:
    number: int | None  # 1-based page of a paged capture; None for a page-less one
    norm: Normalised


@dataclass
class Searchable:
    """A capture's text, normalised once, page by page."""

    pages: list[Page]

    @classmethod
    def of(cls, page_texts: list[str], paged: bool) -> "Searchable":
        return cls([Page(i if paged else None, normalise(text)) for i, text in enumerate(page_texts, start=1)])

    @property
    def paged(self) -> bool:
        return bool(self.pages) and self.pages[0].number is not None

    def find(self, parts: list[str], pages: set[int] | None = None) -> int | None:
        """Return the page (or 0 for a page-less capture) holding every part in order, else None."""
        candidates = [p for p in self.pages if pages is None or p.number is None or p.number in pages]
        for page in candidates:
            if _in_order(page.norm.text, parts):
                return page.number or 0
        if pages and self.paged and len(pages) > 1:  # a quote running over consecutive pages of a range
            joined = " ".join(p.norm.text for p in candidates)
            if _in_order(joined, parts):
                return min(pages)
        return None

    def closest(self, part: str, pages: set[int] | None = None, keep: int = 8) -> tuple[str, int | None, float]:
        """Return the passage most like `part` (original text), its page and the similarity 0..1."""
        words = part.split()
        if not words:
            return "", None, 0.0
        # Rank word windows of every page by shared words, then compare only the best few closely.
        ranked: list[tuple[int, int, Page, list[tuple[int, int]]]] = []
        for order, page in enumerate(self.pages):
            if pages is not None and page.number is not None and page.number not in pages:
                continue
            spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", page.norm.text)]
            for score, first in _window_scores([page.norm.text[a:b] for a, b in spans], words):
                ranked.append((-score, order * 10**9 + first, page, spans))
        ranked.sort(key=lambda r: (r[0], r[1]))
        best: tuple[float, str, int | None] = (0.0, "", None)
        for _score, key, page, spans in ranked[:keep]:
            first = key % 10**9
            for shift in (-1, 0, 1):  # the window may start a word early or late
                a = max(0, first + shift)
                b = min(len(spans), a + len(words)) - 1
                if a > b:
                    continue
                start, end = spans[a][0], spans[b][1]
                ratio = difflib.SequenceMatcher(None, part, page.norm.text[start:end], autojunk=False).ratio()
                if ratio > best[0]:
                    best = (ratio, page.norm.passage(start, end), page.number)
        return best[1], best[2], best[0]


def _in_order(text: str, parts: list[str]) -> bool:
    pos = 0
    for part in parts:
        found = text.find(part, pos)
        if found < 0:
            return False
        pos = found + len(part)
    return True


def _window_scores(tokens: list[str], words: list[str], keep: int = 8) -> list[tuple[int, int]]:
    """Return (shared words, first token) of the best windows of len(words) tokens (a sliding count)."""
    m = len(words)
    want = Counter(words)
    have: Counter[str] = Counter()
    scored: list[tuple[int, int]] = []
    overlap = 0
    for i, tok in enumerate(tokens):
        have[tok] += 1
        if have[tok] <= want.get(tok, 0):
            overlap += 1
        if i >= m:
            old = tokens[i - m]
            if have[old] <= want.get(old, 0):
                overlap -= 1
            have[old] -= 1
        if i >= m - 1 or i == len(tokens) - 1:
            scored.append((overlap, max(0, i - m + 1)))
    return sorted(scored, key=lambda s: (-s[0], s[1]))[:keep]


def page_locator(ref: SourceRef) -> set[int] | None:
    """Return the pages a reference points to: its `page:`, else "p. N" or "pp. N-M" in the locator."""
    if ref.page:
        return {ref.page}
    match = re.search(r"\bpp?\.\s*(\d+)(?:\s*[-\u2013\u2014]\s*(\d+))?", ref.locator or "")
    if not match:
        return None
    first = int(match.group(1))
    last = int(match.group(2) or first)
    return set(range(first, last + 1)) if first <= last <= first + 50 else {first}


def _pages_text(pages: set[int]) -> str:
    ordered = sorted(pages)
    if len(ordered) == 1:
        return f"page {ordered[0]}"
    return f"pages {ordered[0]}-{ordered[-1]}"


# --- the check ---------------------------------------------------------------------------------


@dataclass
class QuoteRef:
    """One quote of one claim: where it is, what it says, which source it claims."""

    incident: Incident
    claim_index: int
    claim_id: str
    status: ClaimStatus
    field: str  # "sources" or "reported_by"
    ref_index: int
    ref: SourceRef

    @property
    def path(self) -> str:
        return f"claims[{self.claim_index}].{self.field}[{self.ref_index}]"

    def location(self, leaf: str = "quote") -> Location:
        return self.incident.locate(f"{self.path}.{leaf}")


@dataclass
class EvidenceReport:
    """Quote verification over a dataset: the problems and the counts the validation note prints."""

    problems: list[Problem] = field(default_factory=list)
    quotes: int = 0
    checked: int = 0
    verified: int = 0
    sources: int = 0
    captured: list[str] = field(default_factory=list)  # ids of sources with a capture
    uncaptured: dict[str, tuple[int, str]] = field(default_factory=dict)  # quoted source id -> (quotes, why)
    orphans: list[str] = field(default_factory=list)  # captures whose folder names no source

    def note(self) -> list[str]:
        """Return the validation note: quotes verified, sources captured, and why the rest are not."""
        lines = [
            f"Quotes: {self.verified} of {self.quotes} verified against a capture"
            + (f" ({self.checked - self.verified} not found)" if self.checked != self.verified else "")
            + f"; {len(self.captured)} of {self.sources} sources have a capture."
        ]
        if self.uncaptured:
            count = sum(n for n, _ in self.uncaptured.values())
            lines.append(
                (
                    f"Not checked: {count} quote{'s' if count != 1 else ''} of {len(self.uncaptured)} "
                    f"source{'s' if len(self.uncaptured) != 1 else ''} without a capture:"
                )
            )
            for key, (n, why) in sorted(self.uncaptured.items()):
                lines.append(f"  {key} ({n} quote{'s' if n != 1 else ''}): {why}")
        if self.orphans:
            lines.append(
                (
                    "Captures of unknown sources (rename the folder under data/captures/ to a source id, or "
                    f"remove it): {', '.join(self.orphans)}."
                )
            )
        return lines


def quotes(ds: Dataset) -> Iterator[QuoteRef]:
    """Yield every quote of every claim (evidence sources and reported_by), in data order."""
    for inc in ds.incidents.values():
        for i, claim in enumerate(inc.claims):
            for fld in ("sources", "reported_by"):
                for j, ref in enumerate(getattr(claim, fld)):
                    if ref.quote and ref.quote.strip():
                        yield QuoteRef(inc, i, claim.id, claim.status, fld, j, ref)


def verify(ds: Dataset, config: Config) -> EvidenceReport:
    """Check every claim quote against the captures; return the problems and the counts."""
    captures, problems = load_captures(config)
    report = EvidenceReport(problems=list(problems), sources=len(ds.sources))
    for key, kept in sorted(captures.items()):
        if key not in ds.sources:  # listed in the note: a source that failed to load must not cascade
            report.orphans.append(key)
            continue
        report.captured.append(key)
        src = ds.sources[key]
        if src.capture is not None:
            report.problems.append(
                Problem(
                    src.locate("capture"),
                    (
                        f"source {key!r} records that no capture is available, but data/captures/{key}/ holds "
                        'one (remove "capture" from the source)'
                    ),
                    "warning",
                )
            )
        if src.URL and kept.url and not kept.file and kept.url != src.URL:
            report.problems.append(
                Problem(
                    src.locate("URL"),
                    (
                        f"the capture of {key!r} was fetched from {kept.url}, not from the source's URL "
                        f"(capture again with `brief capture {key} --replace`)"
                    ),
                    "warning",
                )
            )

    searchable: dict[str, Searchable] = {}
    confirmed_uncaptured: dict[str, list[str]] = {}
    for q in quotes(ds):
        report.quotes += 1
        key = q.ref.id
        if key not in ds.sources:
            continue  # validate reports the unknown id
        capture = captures.get(key)
        if capture is None:
            n, _why = report.uncaptured.get(key, (0, ""))
            report.uncaptured[key] = (n + 1, "")
            if q.status == ClaimStatus.confirmed and q.field == "sources":
                confirmed_uncaptured.setdefault(key, []).append(q.claim_id)
            continue
        if key not in searchable:
            searchable[key] = Searchable.of(capture.page_texts, bool(capture.pages))
        report.checked += 1
        problem = _check_quote(q, key, searchable[key])
        if problem is None:
            report.verified += 1
        else:
            report.problems.append(problem)

    for key in list(report.uncaptured):
        n = report.uncaptured[key][0]
        src = ds.sources[key]
        if src.capture is not None:
            report.uncaptured[key] = (n, src.capture.reason)
            continue
        report.uncaptured[key] = (n, "no capture, and no reason recorded")
        claims = list(dict.fromkeys(confirmed_uncaptured.get(key, [])))
        if claims:
            named = [repr(c) for c in claims[:3]] + ([f"{len(claims) - 3} more"] if len(claims) > 3 else [])
            shown = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
            report.problems.append(
                Problem(
                    src.locate("id"),
                    f"no capture of {key!r}: the quotes of confirmed claim{'s' if len(claims) > 1 else ''} "
                    f"{shown} cannot be checked "
                    f"(run `brief capture {key}`, or `brief capture {key} --file PATH` for a copy you have; "
                    "if it cannot be captured, "
                    'record why in the source: "capture": {"status": "unavailable", "reason": "..."})',
                    "warning",
                )
            )
    return report


def _check_quote(q: QuoteRef, key: str, text: Searchable) -> Problem | None:
    parts = quote_parts(q.ref.quote or "")
    if not parts:
        return None
    pages = page_locator(q.ref) if text.paged else None
    if text.find(parts, pages) is not None:
        return None
    if pages:
        elsewhere = text.find(parts)
        if elsewhere is not None:
            return Problem(
                q.location("page" if q.ref.page else "locator"),
                (
                    f"claim {q.claim_id!r}: the quote is on page {elsewhere} of the capture of {key!r}, not on "
                    f"{_pages_text(pages)} (fix the page locator)"
                ),
            )
    missing = next(p for i, p in enumerate(parts) if not _in_order_somewhere(text, parts[: i + 1], pages))
    passage, page, ratio = text.closest(missing, pages)
    where = f" on {_pages_text(pages)}" if pages else ""
    if passage:
        on = f" (page {page})" if page else ""
        found = f'; closest passage{on}, {ratio:.0%} alike: "{passage}"'
    else:
        found = "; no similar passage"
    return Problem(q.location(), f"claim {q.claim_id!r}: quote not found in the capture of {key!r}{where}{found}")


def _in_order_somewhere(text: Searchable, parts: list[str], pages: set[int] | None) -> bool:
    return text.find(parts, pages) is not None


def check(ds: Dataset, config: Config, prose: numbers.ProseFacts | None = None) -> list[Problem]:
    """Return the evidence problems of a dataset: quotes against captures, uncited numbers in prose
    (`prose`: the numbers.ProseFacts the other checks share)."""
    return verify(ds, config).problems + numbers.check(ds, prose)


# --- what a build may show (no network: files written by capture and check-links) -------------


def render_facts(config: Config) -> dict[str, dict[str, Any]]:
    """Return per source id what the sources list prints: capture date, and a dead original link.

    {"dev-2025-card": {"captured": "2026-11-20",
                       "dead": {"url": ..., "since": "2026-11-20", "reason": "HTTP 404 Not Found"}}}
    Only stable facts are included (the first day a link was found dead, not the last check), so
    that checking links again does not change the inputs of an edition.
    """
    facts: dict[str, dict[str, Any]] = {}
    captures, _problems = load_captures(config, with_text=False)
    for key, capture in captures.items():
        facts.setdefault(key, {})["captured"] = capture.retrieved[:10]
    for url, entry in sorted(load_cache(config).items()):
        if entry.get("outcome") == "dead" and entry.get("dead_since"):
            for key in entry.get("sources", []):
                facts.setdefault(key, {})["dead"] = {
                    "url": url,
                    "since": entry["dead_since"],
                    "reason": entry.get("error") or "dead",
                }
    return facts


def _day(value: Any) -> str | None:
    """Return '20 November 2026' for an ISO date or CSL date-parts; None when there is no full date."""
    try:
        if isinstance(value, dict):
            parts = (value.get("date-parts") or [[]])[0]
            if len(parts) < 3:
                return None
            day = dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
        else:
            day = dt.date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError, IndexError):
        return None
    return f"{day.day} {day.strftime('%B')} {day.year}"


def bibliography_notes(src: Source, facts: dict[str, Any] | None, entry_html: str) -> str:
    """Return the HTML the sources list adds to an entry: the access date and a dead original link.

    The access date is the source's CSL `accessed`, else the day its capture was retrieved (unless
    the citation style printed one already). A dead link (from `brief check-links`, via
    render_facts) is reported only while the source still has the URL that was found dead; the
    archived link, printed after this by the renderer, then stands next to it.
    """
    facts = facts or {}
    out = ""
    accessed = _day(src.accessed) if src.accessed else None
    how = ""
    if accessed is None and facts.get("captured"):
        accessed, how = _day(facts["captured"]), " (text captured)"
    if accessed and "accessed" not in entry_html.lower():
        out += f' <span class="accessed">Accessed {html.escape(accessed)}{how}.</span>'
    dead = facts.get("dead")
    if dead and dead.get("url") == src.URL:
        since = _day(dead.get("since")) or "an earlier check"
        reason = f" ({html.escape(str(dead['reason']))})" if dead.get("reason") else ""
        out += (
            f' <span class="link-status dead">The original link was found dead on {html.escape(since)}{reason}.</span>'
        )
        if not src.archived:
            out += ' <span class="archived">No archived copy is recorded.</span>'
    return out
