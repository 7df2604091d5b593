"""Content-addressed caches under output/.cache/: values computed from a text, by the text's hash.

A large project spends most of `brief validate` recomputing the same things from the same text:
parsing 15,000 incident files, splitting 75,000 prose fields into sentences and citation markers.
Both are pure functions of a file's or a field's text, so their results are kept here,
keyed by content hash, and reused while the text is unchanged. What a load does not use drops out
when the file is written again. Small projects never write a cache (see `save`), so their output/
holds only what builds publish.

Each cache file is `marshal`led (plain dicts, lists, tuples and scalars only); each entry is
marshalled on its own, so a reader unpacks only what it asks for. The file's key names the format,
the Python version and whatever else the values depend on (the YAML library's version, the
checking code's own hash): a cache with another key is ignored, never trusted.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import sys
import tempfile
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import Final, Generic, Literal, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")  # what a cache keeps per text


class _Missing(Enum):
    """The type of MISSING (an enum member, so `value is MISSING` narrows a lookup's type)."""

    MISSING = 0


MISSING: Final = _Missing.MISSING  # what `get` returns for a text it has no value for
Missing = Literal[_Missing.MISSING]


def text_digest(text: str) -> bytes:
    """Return the content hash of a text (the key of its entries)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=20).digest()


def code_digest(*modules: ModuleType) -> str:
    """Return a hash of the source files of `modules`: values they compute change with their code."""
    h = hashlib.blake2b(digest_size=12)
    for module in modules:
        source = module.__file__
        try:
            if source is None:
                raise OSError("no source file")
            h.update(Path(source).read_bytes())
        except (OSError, TypeError, AttributeError):
            h.update(repr(module).encode())  # no readable source: a key no other run shares
            h.update(os.urandom(8))
    return h.hexdigest()


class ContentCache(Generic[T]):
    """Values by content hash, read from and written to one file.

    The values are what the file's key says (the key names the code that computed them); marshal
    gives back the same plain values it was given."""

    FORMAT = 2  # 2: each entry marshalled on its own

    def __init__(self, path: Path, *key: str | int | None):
        self.path = path
        self.key = (self.FORMAT, sys.version_info[:2], *key)
        self.old: dict[bytes, bytes] | None = None  # read at the first lookup
        self.used: dict[bytes, bytes] = {}
        self.lookups = 0

    def _read(self) -> dict[bytes, bytes]:
        try:
            data = marshal.loads(self.path.read_bytes())
            if isinstance(data, tuple) and len(data) == 2 and data[0] == self.key and isinstance(data[1], dict):
                return data[1]
        except FileNotFoundError:
            pass
        except (OSError, ValueError, EOFError, TypeError) as exc:
            log.debug("ignoring unreadable cache %s (%s)", self.path, exc)
        return {}

    def get(self, digest: bytes) -> T | Missing:
        """Return the value kept for the text whose hash is `digest`, or MISSING."""
        if self.old is None:
            self.old = self._read()
        self.lookups += 1
        blob = self.old.get(digest)
        if isinstance(blob, bytes):
            try:
                value: T = marshal.loads(blob)
            except (ValueError, EOFError, TypeError):  # a damaged entry: computed again
                return MISSING
            self.used[digest] = blob
            return value
        return MISSING

    def has(self, digest: bytes) -> bool:
        """Tell whether a value is kept for the text whose hash is `digest` (without unpacking it)."""
        if self.old is None:
            self.old = self._read()
        return digest in self.old

    def prime(self, digest: bytes, blob: bytes) -> None:
        """Keep an already marshalled value (made in a worker process) for the next `get`."""
        if self.old is None:
            self.old = self._read()
        self.old[digest] = blob

    def put(self, digest: bytes, value: T) -> None:
        """Keep `value` for the text whose hash is `digest` (a value marshal cannot write is not kept)."""
        try:
            self.used[digest] = marshal.dumps(value)  # type: ignore[arg-type]  # T is a plain value marshal writes
        except ValueError:  # e.g. a YAML !!set: not cached, no harm
            pass

    def save(self, min_lookups: int) -> None:
        """Write the entries used since reading (stale ones drop out) when at least `min_lookups` were made."""
        if self.lookups < min_lookups or self.used.keys() == (self.old or {}).keys():
            return
        data = marshal.dumps((self.key, self.used))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".cache-", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, self.path)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError as exc:  # a cache that cannot be written only costs time
            log.debug("could not write the cache %s (%s)", self.path, exc)


__all__ = ["ContentCache", "MISSING", "code_digest", "text_digest"]
