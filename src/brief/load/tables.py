"""Our YAML files read into pydantic models, every problem worded for a reader and located by line.

The loader of the data set (load/dataset.py) and the readers of brief's own tables (the risk rubric,
the regulatory rules and vocabularies) share this: `read_table` parses a file with line marks
(load/yamlio.py), validates it against a model and raises one `DataError` holding every problem as
`file:line: field: message`. Its two steps, `read_lined` and `validate_table`, serve a reader that
needs the document between them (validation context from the file, checks across files).
`message` turns one pydantic error into our wording.
"""

from __future__ import annotations

import difflib
import re
import typing
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from brief.core.errors import DataError, Location, Problem
from brief.load.model import Source
from brief.load.yamlio import YamlProblem, line_of, load_lined

M = TypeVar("M", bound=BaseModel)


def read_table(path: Path, model: type[M], shown: str | None = None, *, what: str = "table") -> M:
    """Return the YAML file at `path` validated as `model`, or raise a DataError naming every problem.

    `shown` is the file as the user knows it (e.g. data/regulatory/clocks.yaml); default: `path`."""
    shown = shown or str(path)
    return validate_table(read_lined(path, shown, what=what), model, shown)


def read_lined(path: Path, shown: str, *, what: str = "table") -> Any:
    """Return the line-marked YAML document of a file, or raise a DataError: the file cannot be read
    ("cannot read the {what}: ...") or is not valid YAML (its line and the parser's words)."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark from a Windows editor is not content
    except OSError as exc:
        raise DataError([Problem(Location(shown), f"cannot read the {what}: {exc.strerror or exc}")]) from None
    try:
        return load_lined(text)
    except YamlProblem as exc:
        raise DataError([Problem(Location(shown, exc.line), str(exc))]) from None


def validate_table(doc: Any, model: type[M], shown: str, *, context: dict[str, Any] | None = None) -> M:
    """Return `doc` (from read_lined) validated as `model`, or raise a DataError with every problem located.

    `context` reaches the model's validators (e.g. names the document itself declares)."""
    try:
        return model.model_validate(doc, context=context)
    except ValidationError as exc:
        raise DataError(pydantic_problems(exc, model, doc, shown)) from None


def pydantic_problems(exc: ValidationError, model: type[BaseModel], doc: Any, shown: str) -> list[Problem]:
    """Return one located problem per error of `exc`, raised validating `doc` (parsed by load_lined)."""
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        line = line_of(doc, loc) if doc is not None else 0
        out.append(Problem(Location(shown, line, field_path(loc)), message(model, err)))
    return out


def field_path(loc: tuple[int | str, ...]) -> str:
    """Return a pydantic error location as a reader writes it: `claims[2].source`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not re.fullmatch(r"[\w-]+", str(part)):  # a key with spaces, dots or line breaks stays one quoted part
            out += f"[{str(part)!r}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def message(cls: type[BaseModel], err: ErrorDetails) -> str:
    """Turn a pydantic error into `what is wrong (expected ...)` wording."""
    kind = err["type"]
    value = err.get("input")
    if kind == "missing":
        if (
            err["loc"] and err["loc"][-1] == "verification" and cls is Source
        ):  # no default may claim that a source was read
            return (
                "required field is missing (expected consulted, corroborated, listed or unverified: say "
                "whether an analyst read the source)"
            )
        return "required field is missing"
    if kind == "extra_forbidden":
        name = str(err["loc"][-1])
        owner = _owner(cls, err["loc"][:-1])
        close = close_field(cls, err["loc"])
        hint = (
            f" (did you mean {close!r}?)"
            if close
            else (f" (expected one of: {', '.join(owner.model_fields)})" if owner else "")
        )
        return f"unknown field {name!r}{hint}"
    if kind in ("enum", "literal_error"):
        expected = err.get("ctx", {}).get("expected", "")
        return f"unknown value {value!r} (expected {expected})"
    if kind.startswith("date") or kind == "date_from_datetime_parsing":
        return f"bad date {value!r} (expected YYYY-MM-DD, a real calendar date)"
    if kind == "string_pattern_mismatch":
        return (
            f"{value!r} is not a valid id (expected lower-case letters, digits, '.', '_' or '-', starting with "
            "a letter or digit)"
        )
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        ctx = err.get("ctx", {})
        words = {"ge": "at least", "le": "at most", "gt": "more than", "lt": "less than"}
        bound = ", ".join(f"{words.get(k, k)} {v}" for k, v in ctx.items())
        return f"{value!r} is out of range (expected {bound})"
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    if kind == "int_from_float":
        return f"{value!r} is not a whole number (expected a whole number)"
    if kind in ("int_parsing", "float_parsing", "int_type", "float_type"):
        return f"{value!r} is not a number (expected {'a whole number' if kind.startswith('int') else 'a number'})"
    if kind == "finite_number":
        return f"{value!r} is not a finite number (expected a number)"
    if kind == "string_too_short":
        return "must not be empty"
    if kind in ("string_type", "list_type", "dict_type", "model_type", "bool_type", "bool_parsing"):
        wanted = {
            "string_type": "text",
            "list_type": "a list",
            "dict_type": "a mapping",
            "model_type": "a mapping of fields",
            "bool_type": "true or false",
            "bool_parsing": "true or false",
        }[kind]
        if kind == "string_type" and isinstance(value, bool):
            return (
                f"wrong type: true/false (expected {wanted}; YAML reads an unquoted yes, no, on, off, true or "
                "false as true/false: quote it)"
            )
        return f"wrong type: {kind_of(value)} (expected {wanted})"
    return str(err["msg"]).removeprefix("Value error, ")


def kind_of(value: object) -> str:
    """Name the type of a parsed value in a reader's words."""
    if value is None:
        return "null (no value)"
    if isinstance(value, bool):
        return f"true/false ({value!r})"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return f"text ({value[:40]!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def close_field(cls: type[BaseModel], loc: tuple[int | str, ...]) -> str | None:
    """Return the known field an unknown key at `loc` most likely meant, or None."""
    owner = _owner(cls, tuple(loc[:-1]))
    close = difflib.get_close_matches(str(loc[-1]), list(owner.model_fields), n=1) if owner else []
    return close[0] if close else None


def _owner(cls: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """Return the model class that owns the field path `loc` inside `cls`."""
    owner: Any = cls
    for part in loc:
        if isinstance(part, int):
            continue
        fld = owner.model_fields.get(part) if hasattr(owner, "model_fields") else None
        if fld is None:
            return None
        annotation = fld.annotation
        candidates = [annotation, *typing.get_args(annotation)]
        for arg in list(candidates):
            candidates.extend(typing.get_args(arg))
        owner = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if owner is None:
            return None
    return owner if isinstance(owner, type) else None
