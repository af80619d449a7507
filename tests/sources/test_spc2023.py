"""The Soccer Prediction Challenge 2023 loader: canonical frames, unplayed rows dropped, bad rows named."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.sources.spc2023 import load_spc2023, parse_spc2023

ROWS = [
    ("22-23", "ENG1", "05/08/2022", "Crystal Palace", "Arsenal", 0, 2, -2, "L"),
    ("22-23", "ENG1", "06/08/2022", "Fulham", "Liverpool", 2, 2, 0, "D"),
    ("22-23", "GER1", "05/08/2022", "Frankfurt", "Bayern Munich", 1, 6, -5, "L"),
    ("22-23", "ENG1", "07/05/2023", "Leeds", "Everton", -1, -1, 0, "D"),  # unplayed fixture
    ("21-22", "ENG1", "06/03/2022", "Man City", "Man United", 4, 1, 3, "W"),
]


def write(tmp_path: Path, rows: list[tuple[object, ...]]) -> Path:
    path = tmp_path / "training_set.parquet"
    pd.DataFrame(rows, columns=["Sea", "Lge", "Date", "HT", "AT", "HS", "AS", "GD", "WDL"]).to_parquet(path)
    return path


def test_canonical_frame_from_a_small_file(tmp_path: Path) -> None:
    write(tmp_path, ROWS)
    matches = load_spc2023(tmp_path)
    assert len(matches) == 4  # the unplayed fixture is dropped
    assert list(matches.columns) == list(c.MATCH_COLUMNS)
    assert matches[c.KICKOFF].is_monotonic_increasing
    first = matches.iloc[0]
    assert (first[c.SEASON], first[c.HOME], first[c.DATE]) == ("2122", "Man City", pd.Timestamp("2022-03-06"))
    assert (first[c.HOME_GOALS], first[c.AWAY_GOALS], first[c.RESULT]) == (4, 1, "H")
    assert first[c.SOURCE_LINE] == 5 and not first[c.HAS_TIME]
    assert matches[list(c.STAT_COLUMNS)].isna().all().all()
    assert set(matches[c.RESULT]) == {"H", "D", "A"}


def test_bad_rows_are_quarantined_with_row_field_and_reason(tmp_path: Path) -> None:
    bad = [
        *ROWS,
        ("22-23", "ENG1", "31/02/2023", "A", "B", 1, 0, 1, "W"),
        ("22-23", "ENG1", "01/03/2023", "C", "D", 2, 0, 2, "D"),
    ]
    path = write(tmp_path, bad)
    matches, quarantine = parse_spc2023(path)
    assert len(matches) == 4
    assert quarantine[[c.SOURCE_LINE, c.FIELD]].values.tolist() == [[6, "Date"], [7, "WDL"]]
    with pytest.raises(ValueError, match=r"training_set.parquet row 6: field 'Date': date is not dd/mm/yyyy"):
        load_spc2023(path)
    assert len(load_spc2023(path, strict=False)) == 4


@pytest.mark.slow
@pytest.mark.shared_data
def test_real_database_loads_whole(shared_data: Path) -> None:
    matches, quarantine = parse_spc2023(shared_data / "soccer-prediction-challenge-2023")
    assert len(quarantine) == 0
    assert len(matches) == 299_214 - 7
    assert matches[c.LEAGUE].nunique() == 51
    assert (matches[c.HOME_GOALS] >= 0).all() and matches[c.SEASON].str.fullmatch(r"\d{4}").all()
