"""How the default ``prior_weight`` of the goal models was chosen: a walk-forward on seasons before 2021/22.

For each top league with a second division in the data (E0/E1, D1/D2, SP1/SP2, I1/I2, F1/F2) and each target
season 2017/18-2020/21, every week's matches are predicted by a Dixon-Coles model fitted on the two previous
seasons plus the target season before that week (optionally with the second division's matches too). Prints
the mean log loss for every ``prior_weight``, overall and on matches involving a team new to the league that
season. Seasons from 2021/22 on are never read.

Run: ``python bench/prior_weight.py [--data /work/shared/data/football-data]`` (a few minutes).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import pandas as pd
from fit import read_season

from scoreline import columns as c
from scoreline.models.dixon_coles import DixonColesGoalModel

LEAGUES = (("E0", "E1"), ("D1", "D2"), ("SP1", "SP2"), ("I1", "I2"), ("F1", "F2"))
SEASONS = ("1516", "1617", "1718", "1819", "1920", "2021")
TARGETS = SEASONS[2:]
WEIGHTS = (0.0, 1.0, 2.0, 4.0, 8.0, 16.0)


def walk_forward(top: pd.DataFrame, second: pd.DataFrame | None, target: str, weight: float) -> pd.DataFrame:
    """Log loss of every match of ``target`` predicted week by week."""
    position = SEASONS.index(target)
    history = top[top[c.SEASON].isin(SEASONS[position - 2 : position + 1])]
    if second is not None:
        history = pd.concat([history, second[second[c.SEASON].isin(SEASONS[position - 2 : position + 1])]])
    season = top[top[c.SEASON] == target]
    new_teams = set(season[c.HOME]) - set(top.loc[top[c.SEASON] == SEASONS[position - 1], c.HOME])
    out = []
    for _, week in season.groupby(season[c.DATE].dt.to_period("W")):
        start = week[c.DATE].min()
        train = history[history[c.DATE] < start]
        model = DixonColesGoalModel(prior_weight=weight, reference_date=start).fit(train)
        p = model.predict_proba(week)
        outcome = np.select(
            [week[c.HOME_GOALS] > week[c.AWAY_GOALS], week[c.HOME_GOALS] == week[c.AWAY_GOALS]], [0, 1], 2
        )
        out.append(
            pd.DataFrame(
                {
                    "log_loss": -np.log(p[np.arange(len(week)), outcome]),
                    "newcomer": week[c.HOME].isin(new_teams).to_numpy()
                    | week[c.AWAY].isin(new_teams).to_numpy(),
                }
            )
        )
    return pd.concat(out, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data/football-data"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    rows = []
    for top_code, second_code in LEAGUES:
        top = pd.concat([read_season(args.data / top_code / f"{s}.csv") for s in SEASONS], ignore_index=True)
        second = pd.concat(
            [read_season(args.data / second_code / f"{s}.csv") for s in SEASONS], ignore_index=True
        )
        for with_second in (False, True):
            for weight in WEIGHTS:
                for target in TARGETS:
                    losses = walk_forward(top, second if with_second else None, target, weight)
                    rows.append(
                        {
                            "league": top_code,
                            "second_division": with_second,
                            "prior_weight": weight,
                            "matches": len(losses),
                            "log_loss": losses["log_loss"].sum(),
                            "newcomer_matches": int(losses["newcomer"].sum()),
                            "newcomer_log_loss": losses.loc[losses["newcomer"], "log_loss"].sum(),
                        }
                    )
        print(f"{top_code} done", flush=True)
    table = (
        pd.DataFrame(rows)
        .groupby(["second_division", "prior_weight"])[
            ["matches", "log_loss", "newcomer_matches", "newcomer_log_loss"]
        ]
        .sum()
    )
    table["mean_log_loss"] = table["log_loss"] / table["matches"]
    table["newcomer_mean_log_loss"] = table["newcomer_log_loss"] / table["newcomer_matches"]
    print(
        table[["matches", "mean_log_loss", "newcomer_matches", "newcomer_mean_log_loss"]].round(5).to_string()
    )


if __name__ == "__main__":
    main()
