"""Canonical team names per league.

football-data.co.uk uses short names (``Man United``, ``Nott'm Forest``, ``Ath Madrid``) and, within the
mirror in ``shared/data/football-data`` (286 files, 2000/01-2024/25), they are stable: the name sets per
season and across the divisions of each country were compared and no club appears under two spellings.
Similar names that look like variants are different clubs and must NOT be merged: ``Ajaccio`` /
``Ajaccio GFCO`` (AC and GFC Ajaccio, both in Ligue 2 in 2016/17), ``Gaziantep`` / ``Gaziantepspor``,
``Aves`` / ``AVS``, ``Reggiana`` / ``Reggina``, ``Barcelona`` / ``Barcelona B``.

The alias table therefore only maps spellings seen in other copies of football-data files (re-saved or edited
by third parties) to the spelling of the upstream files, plus whitespace clean-up (always applied).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import pandas as pd

ALL_LEAGUES: Final = "*"

# league ("*" = every league) -> {spelling seen elsewhere: football-data spelling}
TEAM_ALIASES: Final[Mapping[str, Mapping[str, str]]] = {
    ALL_LEAGUES: {
        # tsvetomirbogdanow/football-analyzer renamed it in its copy of E0/2526 (see the data README)
        "Nottingham Forest": "Nott'm Forest",
        "Nottingham": "Nott'm Forest",
        # spellings of older football-data files and of re-saved copies
        "Middlesboro": "Middlesbrough",
        "Man Utd": "Man United",
        "Sheffield Utd": "Sheffield United",
        "Sheff Utd": "Sheffield United",
        "Sheff Wed": "Sheffield Weds",
        "Wolverhampton": "Wolves",
    },
}


def canonical_team_name(name: str, league: str) -> str:
    """``name`` with whitespace stripped and collapsed, mapped through the aliases of ``league``."""
    cleaned = " ".join(str(name).split())
    return TEAM_ALIASES.get(league, {}).get(cleaned) or TEAM_ALIASES[ALL_LEAGUES].get(cleaned, cleaned)


def canonical_team_names(names: pd.Series, league: str) -> pd.Series:
    """:func:`canonical_team_name` of every name (computed once per distinct name; a new Series)."""
    codes, uniques = pd.factorize(names.astype(str))
    canonical = pd.Index([canonical_team_name(name, league) for name in uniques], dtype=object)
    return pd.Series(canonical.take(codes), index=names.index, dtype=object)
