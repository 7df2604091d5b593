"""YAML (and JSON) reading that remembers the line of every key, safely.

`load_lined(text)` returns plain dicts/lists whose mappings are `LinedDict`s: `d.line` is the line
of the mapping, `d.key_lines[key]` the line of each key. Aliases are capped so that a "billion
laughs" document fails fast instead of eating memory.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

try:  # the C parser is ~10x faster; line marks work the same
    _FastBase = yaml.CSafeLoader  # type: ignore[attr-defined]
except AttributeError:  # pragma: no cover
    _FastBase = yaml.SafeLoader
_ALIAS_RE = re.compile(r"(?:^|[\s\[{,:-])\*[^\s,\[\]{}]+", re.M)

MAX_ALIASES = 100


class LinedDict(dict):
    """A dict that remembers its own line and the line of each key (1-based)."""

    __slots__ = ("line", "key_lines")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.line = 0
        self.key_lines: dict[Any, int] = {}


class LinedList(list):
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


class _FastLoader(_FastBase):  # type: ignore[misc, valid-type]
    """The C loader, for documents without aliases."""


class _Loader(yaml.SafeLoader):
    """The pure-Python loader, which counts aliases (used when a document has any)."""

    def __init__(self, stream: Any):
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # count aliases before expanding
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise YamlProblem(f"more than {MAX_ALIASES} YAML aliases (refusing a possible alias bomb)", mark.line + 1)
        return super().compose_node(parent, index)


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> LinedDict:
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


def _construct_sequence(loader: Any, node: yaml.SequenceNode) -> LinedList:
    result = LinedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


for _cls in (_FastLoader, _Loader):
    _cls.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _cls.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _construct_timestamp_as_text(loader: Any, node: yaml.ScalarNode) -> str:
    # Keep dates as text: pydantic parses them and reports bad ones with the field name.
    return loader.construct_scalar(node)


for _cls in (_FastLoader, _Loader):
    _cls.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)


def load_lined(text: str) -> Any:
    """Parse one YAML (or JSON) document into LinedDict/LinedList values."""
    try:
        loader = _Loader if _ALIAS_RE.search(text) else _FastLoader
        return yaml.load(text, Loader=loader)  # noqa: S506 - both loaders derive from SafeLoader
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        if "nesting depth" in what:  # newer libyaml stops here; older ones recurse until RecursionError below
            raise YamlProblem("YAML nesting is too deep") from None
        if exc.context and what.startswith("but found"):  # e.g. "expected a single document in the stream, but found another document"
            what = f"{exc.context}, {what}"
        opened = {"while parsing a flow sequence": "list", "while parsing a flow mapping": "mapping", "while scanning a quoted scalar": "quoted text"}.get(exc.context or "")
        if opened and exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            what = f"{what} (in the {opened} opened at line {exc.context_mark.line + 1}: a missing comma, bracket or quote?)"
        if mark and "\t" in (text.splitlines()[mark.line:mark.line + 1] or [""])[0][: mark.column + 1]:
            what += " (a tab: indent YAML with spaces)"
        raise YamlProblem(f"invalid YAML: {what}", mark.line + 1 if mark else 0) from None
    except yaml.reader.ReaderError as exc:  # a control character YAML does not allow
        line = text[: exc.position].count("\n") + 1 if isinstance(exc.position, int) else 0
        raise YamlProblem(f"invalid YAML: character U+{exc.character if isinstance(exc.character, int) else ord(exc.character):04X} is not allowed in YAML (remove it)", line) from None
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
