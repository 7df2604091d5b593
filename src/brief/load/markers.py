"""Citation markers in prose: the one grammar of `[@key, locator]` that every layer reads.

Prose carries pandoc citation markers (`[@key, sec. 4.1.1.2]`, `[see @a; @b, p. 3]`). One marker
is one `Citation`. Markers inside code spans and escaped brackets are not citations. Pandoc also
reads an in-text citation, `@key` without brackets ("@doe99 says"): `in_text_keys` finds those.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class CiteItem:
    """One cited source inside a marker: key, locator (text after the comma), prefix, suffix."""

    key: str
    locator: str | None = None
    prefix: str | None = None
    suffix: str | None = None
    suppress_author: bool = False  # pandoc's `[-@key]`


@dataclass(frozen=True)
class Citation:
    """One bracketed marker: one footnote in note styles, one in-text citation otherwise."""

    items: tuple[CiteItem, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        """Return the cited keys, in order."""
        return tuple(item.key for item in self.items)


# A bracketed span that contains an "@" and no nested brackets: a candidate marker. Whether it is a
# citation is decided by `parse_body` (every ";"-separated part must hold a key).
MARKER_RE = re.compile(r"\[(?P<body>[^\[\]]*@[^\[\]]*)\]")


# Pandoc's citation keys: start with a letter, digit or "_"; alphanumerics and "_" with internal
# punctuation from `:.#$%&-+?<>~/` (punctuation only between word characters). Or any key in braces.
_KEY = r"(?:\{(?P<bkey>[^{}\s]+)\}|(?P<key>\w+(?:[:.#$%&\-+?<>~/]+\w+)*))"


_KEY_RE = re.compile(r"\w+(?:[:.#$%&\-+?<>~/]+\w+)*")


# One ";"-separated part: optional prefix ending in whitespace, optional "-", "@key", the rest.
_PART_RE = re.compile(r"(?P<prefix>(?:.*?\s)?)(?P<minus>-?)@" + _KEY + r"(?P<rest>.*)", re.DOTALL)


_BACKTICKS = re.compile(r"`+")


# A pandoc in-text citation: "@" and a key in running text. An "@" right after a word character, "."
# or another "@" is part of an e-mail address or a handle (a@b.org), not a citation.
IN_TEXT_RE = re.compile(r"(?<![\w.@])@" + _KEY)


def squash(text: str) -> str:
    """Return text with each run of whitespace (str.isspace, as regex \\s) made one space."""
    return " ".join(text.split())


# The common part, "@key" or "@key, locator" (one "@", first): what _PART_RE would match, without
# its backtracking prefix (a tenth of `brief validate` at 15,000 incidents).
_SIMPLE_PART_RE = re.compile(
    r"(?P<prefix>)(?P<minus>)@(?P<bkey>)(?P<key>\w+(?:[:.#$%&\-+?<>~/]+\w+)*)(?P<rest>(?:,.*)?)", re.DOTALL
)


def _match_part(part: str) -> re.Match[str] | None:
    """Match one stripped ";"-separated part of a marker as _PART_RE does."""
    return (_SIMPLE_PART_RE.fullmatch(part) if "@" not in part[1:] else None) or _PART_RE.fullmatch(part)


def parse_body(body: str) -> Citation | None:
    """Return the citation a marker's body (the text inside its brackets) holds, or None if it is none."""
    items = []
    for part in body.split(";"):
        part = part.strip()
        m = _match_part(part)
        if not m:
            return None
        key = m.group("bkey") or m.group("key")
        rest = m.group("rest")
        locator = suffix = None
        if rest.startswith(","):
            locator = squash(rest[1:]) or None
        elif rest.strip():
            suffix = squash(rest)
        items.append(
            CiteItem(
                key=key,
                locator=locator,
                prefix=squash(m.group("prefix")) or None,
                suffix=suffix,
                suppress_author=bool(m.group("minus")),
            )
        )
    return Citation(tuple(items)) if items else None


def _escaped(text: str, pos: int) -> bool:
    """Tell whether the character at pos is preceded by an odd number of backslashes."""
    n = 0
    while pos - n - 1 >= 0 and text[pos - n - 1] == "\\":
        n += 1
    return n % 2 == 1


def _code_spans(text: str) -> list[tuple[int, int]]:
    """Return the (start, end) ranges of CommonMark code spans (and backtick-fenced blocks)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    while True:
        opener = _BACKTICKS.search(text, pos)
        if not opener:
            return spans
        if _escaped(text, opener.start()):
            pos = opener.start() + 1
            continue
        width = len(opener.group())
        closer = next((c for c in _BACKTICKS.finditer(text, opener.end()) if len(c.group()) == width), None)
        if closer is None:
            pos = opener.end()
            continue
        spans.append((opener.start(), closer.end()))
        pos = closer.end()


def parse_markers(text: str) -> list[tuple[int, int, Citation]]:
    """Find the pandoc citation markers in text and return (start, end, citation) in order."""
    return list(_markers(text))


@functools.lru_cache(maxsize=1 << 18)  # more than the prose fields of a large project: a scan must not evict itself
def _markers(text: str) -> tuple[tuple[int, int, Citation], ...]:
    """Return (start, end, citation) of each marker; cached, as validation, the numbers check and the
    snapshot all read the markers of the same prose."""
    if "@" not in text:
        return ()
    spans = _code_spans(text) if "`" in text else []
    found = []
    for m in MARKER_RE.finditer(text):
        start = m.start()
        if (start and text[start - 1] == "\\" and _escaped(text, start)) or (
            spans and any(a <= start < b for a, b in spans)
        ):
            continue
        citation = parse_body(m.group("body"))
        if citation is not None:
            found.append((start, m.end(), citation))
    return tuple(found)


def cite_keys(text: str) -> list[str]:
    """Return every citation key in text, in order (repeats kept)."""
    return [item.key for _, _, citation in parse_markers(text) for item in citation.items]


def in_text_keys(text: str) -> list[str]:
    """Return the keys of pandoc's in-text citations in text (`@key` without brackets), in order.

    Keys inside bracketed markers are `cite_keys`'s, not repeated here; an "@" in a code span or in
    an e-mail address is no citation. `@{key}` gives the key inside the braces."""
    if "@" not in text:
        return []
    taken = [(start, end) for start, end, _ in _markers(text)]
    if "`" in text:
        taken += _code_spans(text)
    return [
        m.group("bkey") or m.group("key")
        for m in IN_TEXT_RE.finditer(text)
        if not any(a <= m.start() < b for a, b in taken)
    ]


def marker_text(citation: Citation) -> str:
    """Write a citation back as a pandoc marker (the text pandoc sees)."""
    return "[" + "; ".join(item_text(item) for item in citation.items) + "]"


def _md_text(text: str) -> str:
    """Return text with the characters a marker gives meaning to (brackets, ";" and "\\") escaped.

    Prefixes, locators and suffixes parsed from prose never hold these; programmatic ones might."""
    return re.sub(r"([\[\];\\])", r"\\\1", squash(text))


def item_text(item: CiteItem) -> str:
    """Return one cited item as it reads inside a marker: `see @key, p. 3`."""
    out = f"{_md_text(item.prefix)} " if item.prefix else ""
    out += "-" if item.suppress_author else ""
    out += "@" + (item.key if _KEY_RE.fullmatch(item.key) else "{" + item.key + "}")
    if item.locator:
        out += ", " + _md_text(item.locator)
    if item.suffix:
        out += ("" if item.suffix.startswith("{") else " ") + _md_text(item.suffix)
    return out
