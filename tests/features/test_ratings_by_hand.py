"""Elo and pi-ratings against arithmetic worked out by hand on five matches.

Matches (one league, one season; teams A-D, all start at Elo 1500 and pi-ratings 0):
  1. 1 Aug  A 2-0 B
  2. 2 Aug  C 1-1 D
  3. 5 Aug  A 1-3 C   } same day: match 4 must see C's rating from before 5 Aug,
  4. 5 Aug  C 1-0 B   } and C gets both updates only after the day
  5. 9 Aug  D 2-1 A
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.features import build_features

K, HA = 20.0, 70.0  # Elo k and home advantage (points); margin multiplier (1 + |gd|) ** 0.5
LAM, GAM = 0.035, 0.7  # pi-rating learning rates (paper defaults)


def five_matches() -> pd.DataFrame:
    rows = [
        ("2023-08-01", "A", "B", 2, 0),
        ("2023-08-02", "C", "D", 1, 1),
        ("2023-08-05", "A", "C", 1, 3),
        ("2023-08-05", "C", "B", 1, 0),
        ("2023-08-09", "D", "A", 2, 1),
    ]
    frame = pd.DataFrame(rows, columns=[c.DATE, c.HOME, c.AWAY, c.HOME_GOALS, c.AWAY_GOALS])
    frame[c.DATE] = pd.to_datetime(frame[c.DATE])
    frame[c.KICKOFF] = frame[c.DATE] + pd.Timedelta(hours=15)
    return frame.assign(**{c.LEAGUE: "E0", c.SEASON: "2324"})


def expected_score(rating_home: float, rating_away: float) -> float:
    return 1.0 / (1.0 + 10.0 ** ((rating_away - rating_home - HA) / 400.0))


def test_elo_matches_hand_arithmetic() -> None:
    e1 = expected_score(1500, 1500)  # = 1 / (1 + 10 ** -0.175) = 0.5993968
    assert e1 == pytest.approx(0.5993968, abs=1e-7)
    d1 = K * math.sqrt(1 + 2) * (1 - e1)  # A beats B by 2: A +13.877, B -13.877
    assert d1 == pytest.approx(13.8773, abs=1e-4)
    a1, b1 = 1500 + d1, 1500 - d1
    d2 = K * math.sqrt(1 + 0) * (0.5 - e1)  # C draws D at home: C -1.988, D +1.988
    c1, dd1 = 1500 + d2, 1500 - d2
    e3 = expected_score(a1, c1)  # day 3, match 3: A (home) v C, both pre-day ratings
    d3 = K * math.sqrt(1 + 2) * (0 - e3)  # A loses by 2
    e4 = expected_score(c1, b1)  # day 3, match 4: C uses c1, NOT c1 - d3 (same day)
    d4 = K * math.sqrt(1 + 1) * (1 - e4)  # C wins by 1
    a2, c2 = a1 + d3, c1 - d3 + d4
    e5 = expected_score(dd1, a2)  # match 5: D (home) v A
    expected = pd.DataFrame(
        {
            "elo_home": [1500, 1500, a1, c1, dd1],
            "elo_away": [1500, 1500, c1, b1, a2],
            "elo_expected_home": [e1, e1, e3, e4, e5],
        }
    )
    params = {"elo": {"k": K, "home_advantage": HA, "margin_exponent": 0.5}}
    got = build_features(five_matches(), groups=("elo",), params=params)
    assert np.allclose(got[list(expected.columns)].to_numpy(), expected.to_numpy(), rtol=0, atol=1e-9)
    assert np.allclose(got["elo_diff"], got["elo_home"] - got["elo_away"])
    assert c2 == pytest.approx(1500 + d2 - d3 + d4)  # C's rating after day 3 sums both updates


def goal_diff(rating: float) -> float:
    """The paper's rating -> expected goal difference: sign(r) * (10 ** (|r| / 3) - 1)."""
    return math.copysign(10 ** (abs(rating) / 3) - 1, rating)


def psi(error: float) -> float:
    return 3 * math.log10(1 + error)


def test_pi_ratings_match_hand_arithmetic() -> None:
    # ratings as (home rating, away rating); everyone starts at (0, 0)
    # Match 1: A 2-0 B, expected gd 0, error 2, psi = 3 log10(3) = 1.431364; A did better than expected.
    p1 = psi(2.0)
    assert p1 == pytest.approx(1.4313638, abs=1e-7)
    a = [LAM * p1, GAM * LAM * p1]  # A: home +0.0500977, away +0.7 * that
    b = [-GAM * LAM * p1, -LAM * p1]  # B: away -0.0500977, home -0.7 * that
    # Match 2: C 1-1 D, expected 0, observed 0: error 0, psi(0) = 0, nothing moves.
    cc, d = [0.0, 0.0], [0.0, 0.0]
    # Day 3, match 3: A (home rating a[0]) v C (away rating 0): expected gd = goal_diff(a[0]) - 0.
    exp3 = goal_diff(a[0]) - goal_diff(cc[1])
    p3 = psi(abs(-2 - exp3))  # observed -2: A worse than expected, C better
    # Day 3, match 4: C (home rating 0, pre-day) v B (away rating b[1]).
    exp4 = goal_diff(cc[0]) - goal_diff(b[1])
    p4 = psi(abs(1 - exp4))
    assert exp4 < 1  # C did better than expected: C home up, B away down
    pre = {"m3": (a[0], cc[1]), "m4": (cc[0], b[1])}
    a = [a[0] - LAM * p3, a[1] - GAM * LAM * p3]
    cc = [cc[0] + GAM * LAM * p3 + LAM * p4, cc[1] + LAM * p3 + GAM * LAM * p4]
    b = [b[0] - GAM * LAM * p4, b[1] - LAM * p4]
    # Match 5: D (home rating 0) v A (away rating a[1]).
    exp5 = goal_diff(d[0]) - goal_diff(a[1])
    expected_home = [0.0, 0.0, pre["m3"][0], pre["m4"][0], d[0]]
    expected_away = [0.0, 0.0, pre["m3"][1], pre["m4"][1], a[1]]
    got = build_features(five_matches(), groups=("pi",))
    assert np.allclose(got["pi_home_rating"], expected_home, rtol=0, atol=1e-12)
    assert np.allclose(got["pi_away_rating"], expected_away, rtol=0, atol=1e-12)
    assert got["pi_expected_gd"].iloc[4] == pytest.approx(exp5, abs=1e-12)
    assert got["pi_expected_gd"].iloc[2] == pytest.approx(exp3, abs=1e-12)
    assert np.allclose(got["pi_diff"], got["pi_home_rating"] - got["pi_away_rating"])
    assert a[1] == pytest.approx(GAM * LAM * (p1 - p3))  # A's away rating before match 5


def test_input_row_order_does_not_matter() -> None:
    matches = five_matches()
    shuffled = matches.iloc[[4, 2, 0, 3, 1]]
    straight = build_features(matches, groups=("elo", "pi"))
    mixed = build_features(shuffled, groups=("elo", "pi")).loc[matches.index]
    pd.testing.assert_frame_equal(straight, mixed)


def test_pi_shots_ratings_use_the_blended_margin_by_hand() -> None:
    # Match 1: A 2-0 B with shots on target 3-5: margin (1 - 0.7) * 2 + 0.7 * 0.25 * (3 - 5) = 0.25.
    # Everyone starts at 0, so the expected margin is 0 and the error 0.25: A did better than expected.
    # Match 2 has no shots-on-target counts: its margin is its goal difference (0).
    matches = five_matches()
    matches[c.HOME_SHOTS_ON_TARGET] = [3, np.nan, 2, 4, 6]
    matches[c.AWAY_SHOTS_ON_TARGET] = [5, np.nan, 4, 1, 2]
    lam, gam = 0.05, 0.8  # PiShotsParams defaults
    p1 = psi(0.25)
    got = build_features(matches, groups=("pi_shots",))
    a_home, b_away = lam * p1, -lam * p1
    assert got["pis_home_rating"].iloc[2] == pytest.approx(a_home, abs=1e-12)  # A at home on day 3
    assert got["pis_away_rating"].iloc[3] == pytest.approx(b_away, abs=1e-12)  # B away on day 3
    # Match 3: A 1-3 C, shots on target 2-4: margin 0.3 * -2 + 0.175 * -2 = -0.95 against the expected
    # g(A's home rating) - g(C's away rating 0); A did worse: its away rating drops by gamma * lambda * psi.
    p3 = psi(abs(-0.95 - goal_diff(a_home)))
    assert got["pis_away_rating"].iloc[4] == pytest.approx(gam * lam * (p1 - p3), abs=1e-12)


def test_pi_shots_without_shot_weight_is_the_pi_rating() -> None:
    matches = five_matches().assign(**{c.HOME_SHOTS_ON_TARGET: 9, c.AWAY_SHOTS_ON_TARGET: 0})
    params = {"pi_shots": {"shots_weight": 0.0, "learning_rate": LAM, "cross_rate": GAM}}
    shots = build_features(matches, groups=("pi_shots",), params=params)
    plain = build_features(matches, groups=("pi",))
    np.testing.assert_array_equal(shots["pis_home_rating"], plain["pi_home_rating"])
    np.testing.assert_array_equal(shots["pis_away_rating"], plain["pi_away_rating"])
