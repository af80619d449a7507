"""Season codes of dates: the scalar rule and its vectorised form agree, July is the boundary."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from scoreline.sources.seasons import season_of_date, seasons_of_dates


def test_season_of_date_turns_over_on_the_first_of_july() -> None:
    assert season_of_date(date(2024, 6, 30)) == "2324"
    assert season_of_date(date(2024, 7, 1)) == "2425"
    assert season_of_date(date(1999, 12, 31)) == "9900"


def test_seasons_of_dates_matches_the_scalar_rule_on_every_kind_of_day() -> None:
    days = pd.date_range("1968-01-01 13:45", "2031-12-31", freq="11D")
    assert list(seasons_of_dates(days)) == [season_of_date(day) for day in days]
    assert list(seasons_of_dates(days.to_numpy())) == [season_of_date(day) for day in days]
    assert seasons_of_dates(pd.DatetimeIndex([])).tolist() == []


def test_seasons_of_aware_dates_count_by_local_wall_time() -> None:
    # half past midnight on 1 July in Madrid is still 30 June in UTC: the local date decides, as for DATE
    days = pd.DatetimeIndex(["2024-07-01 00:30", "2024-06-30 23:30"]).tz_localize("Europe/Madrid")
    assert seasons_of_dates(days).tolist() == ["2425", "2324"]


def test_a_missing_date_has_no_season() -> None:
    with pytest.raises(ValueError, match="NaT"):
        seasons_of_dates(pd.DatetimeIndex(["2024-07-01", None]))
