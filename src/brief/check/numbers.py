"""Numbers in prose must be cited: a sentence that states a rate, a count or a date needs a marker.

Checked: the Markdown prose a brief prints (incident summaries, claim notes, risk and regulatory
rationales, confidence statements, override justifications, suppression reasons, timeline events
without a `source`, recommendation texts, rationales and questions, key judgements, bottom
lines). Not checked: claim texts and table rows (they carry their sources as fields), and the
brief's own metadata (title, dates, authors, marking).

The Markdown is rendered first, so code spans and blocks, headings and link targets are never
read. A number is a percentage, a date (a month name with a year or day, an ISO date, a year), a
count or a measure (84, 1,000, 0.3, 10^25, 12th). Not numbers: identifiers such as model names
("Claude Opus 4", "o3", "GPT-4o"), section and article references ("sec. 4.1.1.2", "Art. 73",
"Measure 7.3", "ASL-3") and numbers inside citation markers. Words for numbers ("two options")
are not detected.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator

from brief.core.cache import MISSING, ContentCache, code_digest, text_digest
from brief.core.errors import Problem
from brief.load import markdown, markers
from brief.load.dataset import Dataset
from brief.load.markdown import markdown_to_html
from brief.load.markers import cite_keys, parse_markers
from brief.load.model import Record, prose_fields

MARK = "\ue010"  # stands for a citation marker in the rendered text
MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
# Words after which a number names a part of a document or a framework, not a quantity.
LABELS = frozenset(
    """sec section sections p pp page pages art arts article articles para paras paragraph paragraphs
    § §§ no nos number fig figs figure figures table tables annex appendix chapter chapters ch measure
    measures commitment commitments subdomain subdomains domain domains level levels tier tiers version
    versions v rev recital recitals point points step steps phase phases stage stages rule rules
    principle principles objective objectives category categories class item items footnote note notes
    line lines question questions recommendation recommendation box option options model models""".split()
)
_BLOCKS = frozenset("p li td th blockquote dd dt div".split())
_SKIP = frozenset("code pre h1 h2 h3 h4 h5 h6".split())
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)]*\s+(?=[\"'\u201c\u2018(]*[A-Z" + MARK + r"])")
_PLAIN = re.compile(r"^\d+(?:,\d{3})*(?:\.\d+)?(?:st|nd|rd|th)?$")
_RANGE = re.compile(r"^\d+(?:\.\d+)?[-\u2013\u2014]\d+(?:\.\d+)?$")
_STRIP = "()[]{},;:!?\"'\u201c\u201d\u2018\u2019*_"


class _Blocks(HTMLParser):
    """Collect the text of each block of rendered Markdown, leaving out code and headings."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.buffer: list[str] = []
        self.skip = 0

    def flush(self) -> None:
        text = " ".join("".join(self.buffer).split())
        if text:
            self.blocks.append(text)
        self.buffer = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag in _BLOCKS:
            self.flush()
        elif tag == "br":
            self.buffer.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            if tag == "code":  # an inline code span sits inside a sentence
                self.buffer.append(" ")
        elif tag in _BLOCKS:
            self.flush()

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.buffer.append(data)


# Plain prose: paragraphs of text and citation markers, nothing Markdown would turn into markup
# (no emphasis, code, links, HTML, entities, escapes, headings, lists, quotes, rules or code blocks).
_MARKUP = re.compile(
    r"[`*_<>&\\#|~!\[\]\x00-\x08\x0b\x0c\x0e-\x1f]|^(?:[ \t]*(?:[-+=>]|\d+[.)])|[ ]{0,3}\t| {4})", re.M
)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def _plain_blocks(markdown: str) -> list[str] | None:
    """Return the blocks of plain prose as the Markdown renderer would, or None when it has markup.

    Rendering every prose field of a large data set is most of `brief validate`'s time;
    most fields are plain paragraphs with citation markers, whose blocks need no renderer.
    """
    markdown = markdown.replace("\r\n", "\n").replace("\r", "\n")
    out, pos = [], 0
    for start, end, _citation in parse_markers(markdown):
        out += [markdown[pos:start], MARK]
        pos = end
    text = "".join(out) + markdown[pos:]
    if _MARKUP.search(text):
        return None
    blocks = (" ".join(part.split()) for part in _BLANK_LINE.split(text))
    return [block for block in blocks if block]


def _blocks(markdown: str) -> list[str]:
    plain = _plain_blocks(markdown)
    if plain is not None:
        return plain

    parser = _Blocks()
    parser.feed(markdown_to_html(markdown, lambda _citation: MARK))
    parser.close()
    parser.flush()
    return parser.blocks


def sentences(markdown: str) -> Iterator[str]:
    """Yield the prose sentences of a Markdown text, each citation marker shown as MARK."""
    for block in _blocks(markdown):
        parts = _SENTENCE_END.split(block)
        merged: list[str] = []
        for part in _join_abbreviations(parts):
            lead = len(part) - len(part.lstrip(MARK + " "))
            if merged and lead and MARK in part[:lead]:  # "... rollouts. [@x]": the note belongs to the sentence before
                merged[-1] += " " + MARK
                part = part[lead:]
            if part.strip():
                merged.append(part.strip())
        yield from merged


_ABBREVIATION = re.compile(
    r"(?:\b(?:[A-Z]\.){1,4}|\b(?:e\.g|i\.e|cf|sec|secs|p|pp|art|arts|no|nos|fig|figs|para|vol|al|vs|approx|ca|dr|mr|ms|mrs|st|inc|ltd|co|corp)\.)$",
    re.I,
)


def _join_abbreviations(parts: list[str]) -> list[str]:
    """Undo splits after abbreviations ("U.S. AI Safety Institute", "et al. report")."""
    out: list[str] = []
    for part in parts:
        # Abbreviations hold no space, so only the last word can end in one (and searching a
        # whole paragraph for a "$"-anchored pattern costs a scan per split).
        if out and _ABBREVIATION.search(out[-1].rsplit(None, 1)[-1] if out[-1].strip() else ""):
            out[-1] += " " + part
        else:
            out.append(part)
    return out


def stated_numbers(sentence: str) -> list[str]:
    """Return the numbers a sentence states (not identifiers, references or years in names)."""
    words = sentence.replace(MARK, " ").split()
    found = []
    for i, raw in enumerate(words):
        word = raw.strip(_STRIP + ".")
        if not any(c.isdigit() for c in word) or "://" in raw or raw.startswith("www."):
            continue
        if re.fullmatch(r"\(\d+\)[.,;:]?", raw):
            continue  # an enumerator: "points (1) to (7)"
        prev = words[i - 1].strip(_STRIP + ".") if i else ""
        after = " ".join(words[i + 1 : i + 3]).lower()
        if "%" in word or after.startswith(("per cent", "percent")):
            found.append(word)
            continue
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", word) or re.fullmatch(r"\d+\^\d+", word):
            found.append(word)
            continue
        if not (_PLAIN.match(word) or _RANGE.match(word)):
            continue  # mixed letters, digits and separators: o3, ASL-3, 4.1.1.2, 2024/1689, 73(1)
        if prev.lower() in MONTHS or after.split(" ")[0].strip(_STRIP + ".") in MONTHS:
            found.append(word)  # "22 May 2025", "May 2025"
            continue
        if prev.lower() in LABELS:
            continue  # "sec. 4", "Article 55", "Measure 7.3"
        if i > 1 and prev[:1].isupper():
            continue  # part of a name: "Claude Opus 4", "Commitment 7", "Sonnet 3.7" (not "In 2025, ...")
        found.append(word)
    return found


def _prose(ds: Dataset) -> Iterator[tuple[Record, str, str]]:
    """Yield (record, field path, Markdown) for every prose field a brief prints (model.prose_fields)."""
    records: list[Record] = [*ds.incidents.values(), *ds.recommendations.values(), *ds.briefs.values()]
    for record in records:
        for fld, text in prose_fields(record, sourced_events=False):  # an event with a source is cited by it
            yield record, fld, text


def uncited(markdown: str) -> list[tuple[str, list[str]]]:
    """Return (sentence, numbers) for each sentence that states a number and carries no citation."""
    out = []
    for sentence in sentences(markdown):
        if MARK in sentence:
            continue
        found = stated_numbers(sentence)
        if found:
            out.append((sentence, found))
    return out


# What ProseFacts reads from one text: its citation keys in order, and (sentence, numbers) per uncited sentence.
ProseFact = tuple[tuple[str, ...], list[tuple[str, list[str]]]]


class ProseFacts:
    """What the checks read from each prose text: its citation keys and its uncited numbers.

    Computed once per distinct text. Given a cache folder, a large project (MIN_TEXTS texts or
    more) keeps them across runs in prose.marshal there (core/cache.py), keyed by each text's
    hash and by the hash of the code that computes them: at 15,000 incidents this reading was
    a fifth of `brief validate`."""

    MIN_TEXTS = 10_000

    def __init__(self, cache_dir: Path | None = None):
        self.memo: dict[str, ProseFact] = {}
        self.cache: ContentCache[ProseFact] | None = (
            ContentCache(cache_dir / "prose.marshal", code_digest(markers, markdown, sys.modules[__name__]))
            if cache_dir
            else None
        )

    def of(self, text: str) -> ProseFact:
        """Return (citation keys in order, [(sentence, numbers)] of uncited sentences) for `text`."""
        got = self.memo.get(text)
        if got is None:
            digest = text_digest(text) if self.cache is not None else b""
            kept = self.cache.get(digest) if self.cache is not None else MISSING
            if kept is MISSING:
                kept = (tuple(cite_keys(text)), uncited(text))
                if self.cache is not None:
                    self.cache.put(digest, kept)
            got = self.memo[text] = kept
        return got

    def keys(self, text: str) -> tuple[str, ...]:
        return self.of(text)[0]

    def save(self) -> None:
        """Keep what was read for the next run (large projects only)."""
        if self.cache is not None:
            self.cache.save(self.MIN_TEXTS)


def check(ds: Dataset, prose: ProseFacts | None = None) -> list[Problem]:
    """Return a warning for each prose sentence that states a number without a citation."""
    prose = prose or ProseFacts()
    problems = []
    for record, fld, text in _prose(ds):
        for sentence, found in prose.of(text or "")[1]:
            shown = sentence if len(sentence) <= 160 else sentence[:159].rstrip() + "…"
            what = ", ".join(dict.fromkeys(found))
            problems.append(
                Problem(
                    record.locate(fld),
                    (
                        f'sentence states {what} without a citation: "{shown}" (add a marker such as '
                        "[@source-id, p. 27] to the sentence)"
                    ),
                    "warning",
                )
            )
    return problems
