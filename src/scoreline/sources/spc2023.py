"""The 2023 Soccer Prediction Challenge database (Berrar, Lopes & Dubitzky) as canonical match frames.

``training_set.parquet`` holds ``Sea, Lge, Date, HT, AT, HS, AS, GD, WDL`` for ~300k matches of 51 leagues:
goals only (no half-time score, statistics or odds, which stay NA). Seasons ``"00-01"`` become football-data
style ``"0001"``; dates are ``dd/mm/yyyy`` without kickoff times. The 7 unplayed fixtures encoded
``HS = AS = -1`` are dropped; any other inconsistent row (bad date, negative goals, ``GD``/``WDL`` not
matching the goals, duplicate match) goes to a quarantine frame with its row and reason, not the matches.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from scoreline import columns as c

logger = logging.getLogger(__name__)

TRAINING_FILE = "training_set.parquet"
SPC_COLUMNS = ("Sea", "Lge", "Date", "HT", "AT", "HS", "AS", "GD", "WDL")
_WDL_TO_RESULT = {"W": "H", "D": "D", "L": "A"}


def _resolve(path: Path | str) -> Path:
    path = Path(path)
    return path / TRAINING_FILE if path.is_dir() else path


def _season_code(label: pd.Series) -> pd.Series:
    """``"00-01"`` -> ``"0001"``; anything else becomes NA (and is quarantined)."""
    parts = label.astype(str).str.extract(r"^(\d{2})-(\d{2})$")
    return (parts[0] + parts[1]).where(parts.notna().all(axis=1))


def _problems(raw: pd.DataFrame, date: pd.Series, season: pd.Series) -> pd.DataFrame:
    """One row per offending record: position, field and reason (first problem per record)."""
    hs = pd.to_numeric(raw["HS"], errors="coerce")
    away = pd.to_numeric(raw["AS"], errors="coerce")
    gd = pd.to_numeric(raw["GD"], errors="coerce")
    result = np.where(hs > away, "W", np.where(hs < away, "L", "D"))
    checks = [
        ("Sea", season.isna(), "season is not of the form YY-YY"),
        ("Lge", raw["Lge"].isna() | (raw["Lge"].astype(str).str.strip() == ""), "league is missing"),
        ("Date", date.isna(), "date is not dd/mm/yyyy"),
        ("HT", raw["HT"].isna() | (raw["HT"].astype(str).str.strip() == ""), "home team is missing"),
        ("AT", raw["AT"].isna() | (raw["AT"].astype(str).str.strip() == ""), "away team is missing"),
        ("HS", hs.isna() | (hs < 0), "home goals are not a count"),
        ("AS", away.isna() | (away < 0), "away goals are not a count"),
        ("GD", gd != hs - away, "GD differs from HS - AS"),
        ("WDL", raw["WDL"].astype(str) != result, "WDL does not match the goals"),
    ]
    found = []
    flagged = pd.Series(False, index=raw.index)
    for field, bad, reason in checks:
        new = bad.fillna(True) & ~flagged
        found.append(
            pd.DataFrame({"position": np.flatnonzero(new.to_numpy()), c.FIELD: field, c.REASON: reason})
        )
        flagged |= new
    return pd.concat(found, ignore_index=True)


def parse_spc2023(path: Path | str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Valid matches (canonical columns) and quarantined rows (``columns.QUARANTINE_COLUMNS``) of ``path``.

    ``path`` is the training parquet file or the folder holding it. ``source_line`` is the 1-based row number.
    """
    file = _resolve(path)
    raw = pd.read_parquet(file)
    missing = [name for name in SPC_COLUMNS if name not in raw.columns]
    if missing:
        raise ValueError(f"{file}: not a Soccer Prediction Challenge file, missing column(s) {missing}")
    raw = raw.reset_index(drop=True)
    unplayed = (pd.to_numeric(raw["HS"], errors="coerce") == -1) & (
        pd.to_numeric(raw["AS"], errors="coerce") == -1
    )
    date = pd.to_datetime(raw["Date"], format="%d/%m/%Y", errors="coerce")
    season = _season_code(raw["Sea"])
    problems = _problems(raw, date, season)
    problems = problems[~unplayed.to_numpy()[problems["position"].to_numpy()]]
    bad = np.zeros(len(raw), dtype=bool)
    bad[problems["position"].to_numpy()] = True
    keep = ~bad & ~unplayed.to_numpy()
    key = pd.DataFrame({"l": raw["Lge"], "d": date, "h": raw["HT"], "a": raw["AT"]})
    duplicate = (key.duplicated(keep="first").to_numpy()) & keep
    dup = pd.DataFrame({"position": np.flatnonzero(duplicate), c.FIELD: "HT", c.REASON: "duplicate match"})
    problems = pd.concat([problems, dup], ignore_index=True).sort_values("position", kind="stable")
    keep &= ~duplicate
    logger.info(
        "%s: %d matches, %d unplayed dropped, %d quarantined", file, keep.sum(), unplayed.sum(), len(problems)
    )
    return _canonical(raw[keep], date[keep], season[keep], file), _quarantine(raw, problems, season, file)


def _canonical(raw: pd.DataFrame, date: pd.Series, season: pd.Series, file: Path) -> pd.DataFrame:
    n = len(raw)
    hs = raw["HS"].astype("int64")
    away = raw["AS"].astype("int64")
    na_int = pd.array([pd.NA] * n, dtype="Int64")
    out = pd.DataFrame(
        {
            c.LEAGUE: raw["Lge"].astype(str).to_numpy(),
            c.SEASON: season.to_numpy(),
            c.DATE: date.to_numpy(),
            c.KICKOFF: date.to_numpy(),
            c.HAS_TIME: np.zeros(n, dtype=bool),
            c.HOME: raw["HT"].astype(str).str.strip().to_numpy(),
            c.AWAY: raw["AT"].astype(str).str.strip().to_numpy(),
            c.HOME_GOALS: pd.array(hs.to_numpy(), dtype="Int64"),
            c.AWAY_GOALS: pd.array(away.to_numpy(), dtype="Int64"),
            c.HOME_GOALS_HT: na_int,
            c.AWAY_GOALS_HT: na_int.copy(),
            c.RESULT: raw["WDL"].map(_WDL_TO_RESULT).to_numpy(),
            c.REFEREE: pd.array([pd.NA] * n, dtype="string"),
        }
    )
    for name in c.STAT_COLUMNS:
        out[name] = na_int.copy()
    out[c.SOURCE_FILE] = file.name
    out[c.SOURCE_LINE] = (raw.index.to_numpy() + 1).astype("int64")
    return out.sort_values([c.KICKOFF, c.LEAGUE, c.HOME], kind="stable").reset_index(drop=True)


def _quarantine(raw: pd.DataFrame, problems: pd.DataFrame, season: pd.Series, file: Path) -> pd.DataFrame:
    rows = raw.iloc[problems["position"].to_numpy()]
    text = [",".join(map(str, row)) for row in rows[list(SPC_COLUMNS)].itertuples(index=False)]
    return pd.DataFrame(
        {
            c.SOURCE_FILE: file.name,
            c.SOURCE_LINE: problems["position"].to_numpy() + 1,
            c.LEAGUE: rows["Lge"].to_numpy(),
            c.SEASON: season.iloc[problems["position"].to_numpy()].to_numpy(),
            c.FIELD: problems[c.FIELD].to_numpy(),
            c.REASON: problems[c.REASON].to_numpy(),
            c.RAW: text,
        }
    ).reset_index(drop=True)


def load_spc2023(path: Path | str, strict: bool = True) -> pd.DataFrame:
    """Canonical match frame of the challenge's training set, sorted by kickoff (unplayed fixtures dropped).

    With ``strict`` any quarantined row raises a ``ValueError`` naming file, row, field and reason; otherwise
    such rows are logged and left out.
    """
    matches, quarantine = parse_spc2023(path)
    if len(quarantine):
        first = quarantine.iloc[0]
        message = (
            f"{first[c.SOURCE_FILE]} row {first[c.SOURCE_LINE]}: field {first[c.FIELD]!r}: {first[c.REASON]} "
            f"({len(quarantine)} bad row(s); raw: {first[c.RAW]})"
        )
        if strict:
            raise ValueError(message)
        logger.warning(message)
    return matches
