"""The feature-set version: a short hash of groups, parameters and the code that computes them."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from scoreline import __version__
from scoreline.features.params import FeatureParams

VERSION_LENGTH = 12


@lru_cache(maxsize=1)
def code_hash() -> str:
    """SHA-256 of the features package's source files (name and content, in name order)."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def feature_set_version(groups: tuple[str, ...], params: FeatureParams) -> str:
    """Same groups, parameters, package version and features code -> same version, else a different one."""
    payload = json.dumps(
        {"groups": list(groups), "params": params.as_dict(), "package": __version__, "code": code_hash()},
        sort_keys=True,
        default=list,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:VERSION_LENGTH]
