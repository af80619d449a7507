"""Atomic file writes: readers never see half a file, and a crash leaves the old file or none.

Every file scoreline writes outside the store (feature tables, backtest reports, caches, monitoring
documents, downloaded source files) goes through :func:`atomic_path`: the content is written to a
temporary file in the target's folder, flushed, then renamed onto the target (``os.replace`` is atomic on
one file system). On any failure the temporary file is removed and the target is left as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

FILE_MODE = 0o644  # mkstemp creates 0600 files; written files are readable like any other


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; when the block ends without error, rename it onto ``path``.

    For writers that take a path (``DataFrame.to_parquet``, ``Figure.savefig``). The target's folder is
    created if missing.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def write_atomic(path: Path | str, content: bytes | str) -> Path:
    """Write ``content`` (text as UTF-8) to ``path`` atomically; returns the path."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    with atomic_path(path) as temporary, temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return Path(path)
