"""Content hashes, one definition each: of files (the store's change detector, ETag records) and of frames
(the registry's provenance, the models' memo keys)."""

from __future__ import annotations

import hashlib

import pandas as pd


def content_sha256(content: bytes) -> str:
    """Hex SHA-256 of a file's bytes, the store's change detector."""
    return hashlib.sha256(content).hexdigest()


def frame_hash(frame: pd.DataFrame, *, index: bool) -> str:
    """SHA-256 of a frame's column names, dtypes and values in row order; with ``index``, of its index too."""
    digest = hashlib.sha256()
    digest.update(repr([(str(name), str(dtype)) for name, dtype in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=index).to_numpy().tobytes())
    return digest.hexdigest()
