"""YAML (and JSON) reading that remembers the line of every key, safely.

`load_lined(text)` returns plain dicts/lists whose mappings are `LinedDict`s: `d.line` is the line
of the mapping, `d.key_lines[key]` the line of each key. Aliases are capped so that a "billion
laughs" document fails fast instead of eating memory.
"""

from __future__ import annotations

import json
import re
import sys
from typing import TYPE_CHECKING, Any

import yaml

# The C parser is ~10x faster; line marks work the same. A PyYAML built without libyaml has none.
if TYPE_CHECKING:
    _FastBase = yaml.CSafeLoader
else:
    _FastBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ALIAS_RE = re.compile(r"(?:^|[\s\[{,:-])\*[^\s,\[\]{}]+", re.M)
_ANCHOR_RE = re.compile(r"(?:^|[\s\[{,:-])&[^\s,\[\]{}]+", re.M)


def _has_aliases(text: str) -> bool:
    """Tell whether a text may hold YAML aliases: an alias needs an anchor, so a '*' in a title alone
    ("*exposed*") does not send a file to the pure-Python loader (10 times slower). An alias
    without an anchor is an error either loader reports."""
    return "*" in text and "&" in text and _ALIAS_RE.search(text) is not None and _ANCHOR_RE.search(text) is not None


MAX_ALIASES = 100


class LinedDict(dict[Any, Any]):
    """A dict that remembers its own line and the line of each key (1-based)."""

    __slots__ = ("line", "key_lines")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.line = 0
        self.key_lines: dict[Any, int] = {}


class LinedList(list[Any]):
    """A list that remembers its line and the line of each item (1-based)."""

    __slots__ = ("line", "item_lines")

    def __init__(self, *args: Any):
        super().__init__(*args)
        self.line = 0
        self.item_lines: list[int] = []


class YamlProblem(Exception):
    """A YAML document could not be read; `line` is 1-based (0 when unknown)."""

    def __init__(self, message: str, line: int = 0):
        super().__init__(message)
        self.message = message
        self.line = line


class _FastLoader(_FastBase):
    """The C loader, for documents without aliases."""


class _Loader(yaml.SafeLoader):
    """The pure-Python loader, which counts aliases (used when a document has any)."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:  # count aliases before expanding
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
                mark = event.start_mark  # the parser marks every event; 0 (unknown line) is only a fallback
                raise YamlProblem(
                    f"more than {MAX_ALIASES} YAML aliases (refusing a possible alias bomb)",
                    mark.line + 1 if mark is not None else 0,
                )
        return super().compose_node(parent, index)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LinedDict:
    loader.flatten_mapping(node)
    result = LinedDict()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise YamlProblem("a mapping key must be a plain value", key_node.start_mark.line + 1) from None
        if key in result:
            raise YamlProblem(f"duplicate key {key!r}", key_node.start_mark.line + 1)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> LinedList:
    result = LinedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


for _cls in (_FastLoader, _Loader):
    _cls.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _cls.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _construct_timestamp_as_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    # Keep dates as text: pydantic parses them and reports bad ones with the field name.
    return loader.construct_scalar(node)


for _cls in (_FastLoader, _Loader):
    _cls.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)


class _NeedsLines(Exception):
    """The fast path met something only the full loader reports or handles (duplicate key, merge key)."""


# What load_plain gives for a text changes only with this number (or the YAML library): the
# parse cache is keyed by both. 2: short strings shared (see _shared).
PLAIN_FORMAT = 2
SHARED_MAX = 64  # longest string _shared shares
_STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_PLAIN_SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("int", "float", "bool", "null"))
# What the YAML reader refuses (PyYAML's Reader.NON_PRINTABLE): such text goes the full way, which reports it.
# YAML also breaks lines at NEL, LS and PS, and treats a BOM specially; JSON does neither.
_NON_PRINTABLE = re.compile(
    "[\x85\u2028\u2029\ufeff]|[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
# In JSON text, the characters a YAML reading would refuse or read otherwise (so JSON and YAML readings agree).
_NON_PRINTABLE_JSON = _NON_PRINTABLE
_JSON_NUMBER_AS_TEXT = re.compile(r"[eE]")  # YAML 1.1 reads 1e3 and 1.0e3 as text, JSON as numbers


def _plain_node(node: yaml.Node, loader: _FastLoader) -> Any:
    """Turn a composed node into plain dicts, lists and scalars, as `load_lined` would (no line marks)."""
    kind = type(node)
    if kind is yaml.ScalarNode:
        tag = node.tag
        if tag == _STR_TAG or tag == _TIMESTAMP_TAG:  # dates stay text, as in load_lined
            return _shared(node.value)
        if tag in _PLAIN_SCALAR_TAGS:
            return loader.construct_object(node, deep=True)
        raise _NeedsLines  # !!binary, !!set, unknown tags: the full loader builds or refuses them
    if kind is yaml.MappingNode and node.tag == _MAP_TAG:  # other tags (!!omap, !!python/...): the full loader
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                raise _NeedsLines
            key = _plain_node(key_node, loader)
            try:
                if key in result:
                    raise _NeedsLines
            except TypeError:  # an unhashable key: the full loader reports it
                raise _NeedsLines from None
            result[key] = _plain_node(value_node, loader)
        return result
    if kind is yaml.SequenceNode and node.tag == _SEQ_TAG:
        return [_plain_node(child, loader) for child in node.value]
    raise _NeedsLines


def _shared(text: str) -> str:
    """Return one shared object for a short text (keys, statuses, types, publishers, model names).

    They repeat across thousands of records, which keep what they are given; a shared string is
    also written to the parse cache as shared (marshal), so loads from the cache share it too."""
    return sys.intern(text) if len(text) <= SHARED_MAX else text


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = {key: _shared(value) if type(value) is str else value for key, value in pairs}
    if len(result) != len(pairs):  # a duplicate key: the full loader reports it with its line
        raise _NeedsLines
    return result


def _json_float(text: str) -> float:
    if _JSON_NUMBER_AS_TEXT.search(text):
        raise _NeedsLines
    return float(text)


def _json_constant(name: str) -> Any:
    raise _NeedsLines  # NaN, Infinity: not JSON, and YAML reads them as text


def load_plain(text: str) -> Any:
    """Parse one YAML (or JSON) document into plain dicts and lists, fast, without line marks.

    Gives the values `load_lined` gives (and raises the same YamlProblem for bad input); only the
    line marks are missing, so a caller that needs a line parses the text again with `load_lined`.
    JSON goes through the json module; YAML through the C composer and a direct walk of its
    nodes. Anything unusual (aliases, merge keys, duplicate keys, characters YAML refuses,
    exponent numbers in JSON) takes the full loader.
    """
    try:
        head = text.lstrip()[:1]
        # JSON first: a '*' in a JSON string is no YAML alias, so the YAML-only checks below must not send
        # a 7 MB sources.json to the pure-Python loader (11 s against 0.03 s).
        if head in ("[", "{") and "\\ud" not in text.lower() and not _NON_PRINTABLE_JSON.search(text):
            try:
                return json.loads(
                    text, object_pairs_hook=_json_pairs, parse_float=_json_float, parse_constant=_json_constant
                )
            except ValueError:
                pass  # not JSON after all (YAML flow style, comments ...): parse it as YAML
        if _has_aliases(text) or _NON_PRINTABLE.search(text):
            return load_lined(text)
        loader = _FastLoader(text)
        try:
            node = loader.get_single_node()
            return None if node is None else _plain_node(node, loader)
        finally:
            loader.dispose()
    except _NeedsLines:
        return load_lined(text)
    except (yaml.YAMLError, RecursionError):
        return load_lined(text)  # raises the YamlProblem with its line and wording


def load_lined(text: str) -> Any:
    """Parse one YAML (or JSON) document into LinedDict/LinedList values."""
    try:
        loader = _Loader if _has_aliases(text) else _FastLoader
        return yaml.load(text, Loader=loader)  # noqa: S506 - both loaders derive from SafeLoader
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        if "nesting depth" in what:  # newer libyaml stops here; older ones recurse until RecursionError below
            raise YamlProblem("YAML nesting is too deep") from None
        if exc.context and what.startswith(
            "but found"
        ):  # e.g. "expected a single document in the stream, but found another document"
            what = f"{exc.context}, {what}"
        opened = {
            "while parsing a flow sequence": "list",
            "while parsing a flow mapping": "mapping",
            "while scanning a quoted scalar": "quoted text",
        }.get(exc.context or "")
        if opened and exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            what = (
                f"{what} (in the {opened} opened at line {exc.context_mark.line + 1}: a missing comma, bracket "
                "or quote?)"
            )
        if mark and "\t" in (text.splitlines()[mark.line : mark.line + 1] or [""])[0][: mark.column + 1]:
            what += " (a tab: indent YAML with spaces)"
        raise YamlProblem(f"invalid YAML: {what}", mark.line + 1 if mark else 0) from None
    except yaml.reader.ReaderError as exc:  # a control character YAML does not allow
        line = text[: exc.position].count("\n") + 1 if isinstance(exc.position, int) else 0
        raise YamlProblem(
            (
                "invalid YAML: character "
                f"U+{exc.character if isinstance(exc.character, int) else ord(exc.character):04X} is not "
                "allowed in YAML (remove it)"
            ),
            line,
        ) from None
    except yaml.YAMLError as exc:
        raise YamlProblem("invalid YAML: " + " ".join(str(exc).split())) from None
    except RecursionError:
        raise YamlProblem("YAML nesting is too deep") from None


def line_of(container: Any, path: tuple[Any, ...]) -> int:
    """Return the best-known line for a field path inside a loaded document."""
    line = getattr(container, "line", 0)
    node = container
    for part in path:
        if isinstance(node, LinedDict):
            if part in node:
                line = node.key_lines.get(part, line)
                node = node[part]
                continue
            return line
        if isinstance(node, LinedList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
            continue
        return line
    return line
