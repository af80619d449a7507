"""A reusable leakage guard for any feature function.

``assert_no_leakage(feature_fn, matches)`` picks days ``D`` and rebuilds the features after tampering with
the future: (1) every result and statistic of matches on or after ``D`` is redrawn - features of matches
BEFORE ``D`` and ON ``D`` must not move (a match must not see its own result nor a same-day result); (2)
matches on or after ``D`` are deleted, (3) invented matches on or after ``D`` are added - features of matches
before ``D`` must not move. Any change raises :class:`LeakageError` naming tampering, day, match and feature.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from scoreline import columns as c

PERTURBATIONS = ("results", "delete", "add")
_KEY = [c.LEAGUE, c.DATE, c.HOME, c.AWAY]
_RESULT_COLUMNS = (c.HOME_GOALS, c.AWAY_GOALS, c.HOME_GOALS_HT, c.AWAY_GOALS_HT, c.RESULT, *c.STAT_COLUMNS)


class LeakageError(AssertionError):
    """A feature of a match changed when only later (or its own/same-day) information changed."""


def _days(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame[c.DATE]).dt.normalize()


def _redraw_results(matches: pd.DataFrame, later: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    out = matches.copy()
    n = int(later.sum())
    home, away = rng.integers(0, 7, n), rng.integers(0, 7, n)
    out.loc[later, c.HOME_GOALS] = home
    out.loc[later, c.AWAY_GOALS] = away
    if c.RESULT in out.columns:
        out.loc[later, c.RESULT] = np.where(home > away, "H", np.where(home < away, "A", "D"))
    for name, goals in ((c.HOME_GOALS_HT, home), (c.AWAY_GOALS_HT, away)):
        if name in out.columns:
            out.loc[later, name] = rng.integers(0, goals + 1)
    for name in c.STAT_COLUMNS:
        if name in out.columns:
            out.loc[later, name] = rng.integers(0, 25, n)
    return out


def _delete(matches: pd.DataFrame, later: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    drop = later & (rng.random(len(matches)) < 0.5)
    if later.any() and not drop.any():
        drop[np.flatnonzero(later)[0]] = True
    return matches[~drop]


def _add(matches: pd.DataFrame, day: pd.Timestamp, rng: np.random.Generator) -> pd.DataFrame:
    teams = pd.unique(pd.concat([matches[c.HOME], matches[c.AWAY]]).astype(str))
    count = max(1, len(matches) // 10)
    source = matches.iloc[rng.integers(0, len(matches), count)].copy()
    shift = pd.to_timedelta(rng.integers(0, 15, count), unit="D")
    kick = pd.to_datetime(source[c.KICKOFF]) if c.KICKOFF in source.columns else _days(source)
    offset = kick - _days(source)
    source[c.DATE] = day + shift
    if c.KICKOFF in source.columns:
        source[c.KICKOFF] = source[c.DATE] + offset.fillna(pd.Timedelta(0))
    home = rng.choice([*teams, "Invented Rovers"], count)
    away = rng.choice(teams, count)
    source[c.HOME] = home
    source[c.AWAY] = np.where(away == home, "Invented Athletic", away)
    source = _redraw_results(source, np.ones(count, dtype=bool), rng)
    added = pd.concat([matches, source], ignore_index=True)
    return added.drop_duplicates(subset=_KEY, keep="first")


def _compare(
    before: pd.DataFrame, after: pd.DataFrame, rows: pd.DataFrame, what: str, rtol: float, atol: float
) -> None:
    left = rows[_KEY].merge(before, on=_KEY, how="left")
    right = rows[_KEY].merge(after, on=_KEY, how="left", indicator=True)
    missing = right["_merge"] != "both"
    if missing.any():
        raise LeakageError(f"{what}: match {right.loc[missing, _KEY].iloc[0].tolist()} lost its feature row")
    for name in before.columns:
        if name in _KEY or name not in after.columns:
            continue
        a, b = left[name].to_numpy(), right[name].to_numpy()
        if pd.api.types.is_numeric_dtype(left[name]) and pd.api.types.is_numeric_dtype(right[name]):
            same = np.isclose(a.astype(float), b.astype(float), rtol=rtol, atol=atol, equal_nan=True)
        else:
            same = (a == b) | (pd.isna(a) & pd.isna(b))
        if not same.all():
            i = int(np.flatnonzero(~same)[0])
            raise LeakageError(
                f"{what}: feature {name!r} of match {list(left.loc[i, _KEY])} changed from {a[i]!r} to "
                f"{b[i]!r} ({int((~same).sum())} row(s) affected)"
            )


def assert_no_leakage(
    feature_fn: Callable[[pd.DataFrame], pd.DataFrame],
    matches: pd.DataFrame,
    *,
    days: Iterable[pd.Timestamp | str] | None = None,
    n_days: int = 3,
    perturbations: Iterable[str] = PERTURBATIONS,
    seed: int = 0,
    rtol: float = 1e-9,
    atol: float = 1e-9,
) -> None:
    """Raise :class:`LeakageError` if ``feature_fn`` lets later, same-day or own results into a match's row.

    ``feature_fn(matches)`` must return one row per match with the key columns league, date, home, away.
    ``days`` are the tampering days ``D`` (default: ``n_days`` match days drawn at random with ``seed``).
    """
    kinds = tuple(perturbations)
    unknown = set(kinds) - set(PERTURBATIONS)
    if unknown:
        raise ValueError(f"unknown perturbation(s) {sorted(unknown)}; choose from {PERTURBATIONS}")
    rng = np.random.default_rng(seed)
    match_day = _days(matches)
    if days is None:
        unique = np.sort(match_day.unique())
        chosen = [
            pd.Timestamp(d) for d in rng.choice(unique[1:], min(n_days, len(unique) - 1), replace=False)
        ]
    else:
        chosen = [pd.Timestamp(d).normalize() for d in days]
    base = feature_fn(matches).assign(**{c.DATE: _days})
    keys = matches[[c.LEAGUE, c.HOME, c.AWAY]].assign(**{c.DATE: match_day})
    for day in chosen:
        later = (match_day >= day).to_numpy()
        for kind in kinds:
            if kind == "results":
                tampered, rows = _redraw_results(matches, later, rng), keys[match_day <= day]
            elif kind == "delete":
                tampered, rows = _delete(matches, later, rng), keys[match_day < day]
            else:
                tampered, rows = _add(matches, day, rng), keys[match_day < day]
            after = feature_fn(tampered).assign(**{c.DATE: _days})
            what = f"leak: after tampering ({kind}) with matches on or after {day.date()}"
            _compare(base, after, rows, what, rtol, atol)
