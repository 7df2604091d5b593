"""Guarded, atomic writes: a path is checked against its root, and nothing half-written is ever visible."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import tempfile
import time
from pathlib import Path
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


def safe_join(root: Path, *parts: str) -> Path:
    """Join `parts` under `root`, refusing any result outside it."""
    base = root.resolve()
    target = base.joinpath(*parts).resolve()
    if target != base and base not in target.parents:
        raise UsageError(f"refusing to write outside {base}: {target}")
    return target


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary file in the same folder and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; published files must be readable
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
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
