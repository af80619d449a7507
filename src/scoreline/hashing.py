"""Content hashes of frames: the one definition the registry's provenance and the models' memo keys share."""

from __future__ import annotations

import hashlib

import pandas as pd


def frame_hash(frame: pd.DataFrame, *, index: bool) -> str:
    """SHA-256 of a frame's column names, dtypes and values in row order; with ``index``, of its index too."""
    digest = hashlib.sha256()
    digest.update(repr([(str(name), str(dtype)) for name, dtype in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=index).to_numpy().tobytes())
    return digest.hexdigest()
