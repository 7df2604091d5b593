"""Guarded, atomic writes: a path is checked against its root, and nothing half-written is ever visible.

`OutputRoot(folder)` is the writer of published output: its methods take paths relative to the folder
and refuse any that would land outside it (absolute, with '..', or through a symbolic link that
leads out), so code holding one cannot write elsewhere. `atomic_write_bytes` and `atomic_write_text`
are the unguarded primitives it writes with.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import tempfile
import time
from pathlib import Path, PurePath
from typing import Iterator

from brief.core.errors import BriefError, UsageError

log = logging.getLogger(__name__)
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def check_name(value: str, what: str) -> str:
    """Return `value` when it is safe as one path component (no separators, no '..', no NUL)."""
    if not SAFE_NAME.fullmatch(value) or ".." in value:
        raise UsageError(
            f"{what} {value!r} is not allowed (use letters, digits, '.', '_' or '-'; no path separators or '..')"
        )
    return value


def _inside(base: Path, target: Path) -> Path:
    """Return `target` (resolved) when it is `base` (resolved) or below it; raise UsageError otherwise."""
    if target != base and base not in target.parents:
        raise UsageError(f"refusing to write outside {base}: {target}")
    return target


class OutputRoot:
    """A folder that output is written into, and only into.

    Every method takes a path relative to the folder (`"example/2026-11/brief.html"`). A path that
    is absolute, that holds a '..' part or a NUL, that names the folder itself, or whose folders
    resolve outside the root (a symbolic link on the way leading out) is refused with a UsageError
    before anything is written. A file that is itself a symbolic link is replaced by the new file,
    never written through. Writes are atomic (`atomic_write_bytes`)."""

    def __init__(self, root: Path, *, sync: bool = True):
        """`sync`: flush each file to disk before it replaces the old one (off for a staging folder
        that is itself renamed into place once complete)."""
        self.root = root
        self.sync = sync

    def __repr__(self) -> str:
        return f"OutputRoot({str(self.root)!r})"

    def path(self, relative: str | PurePath) -> Path:
        """Return where a file written at `relative` lands: its folder resolved (inside the root), then its name.

        Raises UsageError when the path would leave the root."""
        parts = self._parts(relative)
        base = self.root.resolve()
        folder = _inside(base, base.joinpath(*parts[:-1]).resolve())
        return folder / parts[-1]

    def folder(self, relative: str | PurePath) -> Path:
        """Return the resolved path of the folder `relative` inside the root; raise UsageError when it leaves it."""
        base = self.root.resolve()
        return _inside(base, base.joinpath(*self._parts(relative)).resolve())

    def _parts(self, relative: str | PurePath) -> tuple[str, ...]:
        """Return the parts of a relative path; raise UsageError for one that is not plainly inside the root."""
        text = str(relative)
        parts = PurePath(text).parts
        base = self.root.resolve()
        if "\x00" in text:
            raise UsageError(f"refusing to write outside {base}: {text!r} holds a NUL character")
        if PurePath(text).is_absolute():
            raise UsageError(f"refusing to write outside {base}: {text} is an absolute path")
        if ".." in parts:
            raise UsageError(f"refusing to write outside {base}: {text} climbs out with '..'")
        if not parts:
            raise UsageError(f"refusing to write over {base} itself: name a file inside it")
        return parts

    def child(self, relative: str | PurePath) -> OutputRoot:
        """Return the writer of a folder inside this root (resolved and checked now; made when first written)."""
        return OutputRoot(self.folder(relative), sync=self.sync)

    def write_bytes(self, relative: str | PurePath, data: bytes) -> Path:
        """Write `data` atomically to `relative` inside the root (making its folders); return the path written."""
        target = self.path(relative)
        atomic_write_bytes(target, data, sync=self.sync)
        return target

    def write_text(self, relative: str | PurePath, text: str) -> Path:
        """Write UTF-8 `text` atomically to `relative` inside the root; return the path written."""
        return self.write_bytes(relative, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Write `data` to `path` via a temporary file in the same folder and an atomic rename.

    `sync`: flush the file to disk before the rename (a crash then leaves the old file or the new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; published files must be readable
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if sync:
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
    """Return the process's umask (reading it means setting it: it is set back at once)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def output_lock(output_dir: Path, timeout: float = 600.0) -> Iterator[None]:
    """Hold an exclusive lock on the output folder: two builds never write at the same time."""
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
                    raise BriefError(
                        f"{path}: another build has held the lock for {timeout:.0f} s; try again later"
                    ) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
