"""Frame content hashes: what changes them and what does not."""

from __future__ import annotations

import pandas as pd

from scoreline.hashing import frame_hash


def test_a_frame_hash_follows_names_dtypes_values_order_and_only_optionally_the_index() -> None:
    frame = pd.DataFrame({"home": ["A", "B"], "goals": [1, 2]})
    same = frame_hash(frame, index=True)
    assert frame_hash(frame.copy(), index=True) == same
    assert frame_hash(frame.rename(columns={"goals": "away"}), index=True) != same
    assert frame_hash(frame.astype({"goals": "float64"}), index=True) != same
    assert frame_hash(frame.iloc[::-1], index=False) != frame_hash(frame, index=False)
    moved = frame.set_axis([10, 11])
    assert frame_hash(moved, index=True) != same
    assert frame_hash(moved, index=False) == frame_hash(frame, index=False)
