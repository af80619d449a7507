"""football-data's ``fixtures.csv`` from simulated matches: results blank, pre-match odds, the quirks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from scoreline import columns as c
from scoreline.simulate import football_data_frame

RESULT_COLUMNS = (
    "FTHG", "FTAG", "FTR", "HTHG", "HTAG", "HTR", "Referee", "HS", "AS", "HST", "AST", "HF", "AF", "HC", "AC",
    "HY", "AY", "HR", "AR",
)  # fmt: skip
CLOSING_COLUMNS = tuple(f"{prefix}C{side}" for prefix in ("B365", "PS", "Avg") for side in "HDA")


def fixtures_table(matches: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """``matches`` (any leagues) as fixtures.csv rows (strings), results and closing odds blank."""
    table = football_data_frame(matches, seed=seed).astype(object)
    table.loc[:, list(RESULT_COLUMNS + CLOSING_COLUMNS)] = ""
    table["Date"] = pd.to_datetime(matches[c.DATE]).dt.strftime("%d/%m/%Y").to_numpy()
    return table.reset_index(drop=True)


def write_fixtures_csv(table: pd.DataFrame, path: Path, extra_lines: tuple[str, ...] = ()) -> bytes:
    """Write ``table`` as the site does (BOM, CRLF, trailing empty column, comma-only row); return the bytes.

    Team names get stray spaces around them; ``extra_lines`` are appended verbatim (bad rows for tests).
    """
    out = table.copy()
    out["HomeTeam"] = " " + out["HomeTeam"].astype(str) + "  "
    out["AwayTeam"] = out["AwayTeam"].astype(str) + " "
    out[""] = ""
    text = out.to_csv(index=False, lineterminator="\r\n")
    text += "".join(line + "\r\n" for line in extra_lines)
    text += "," * (len(out.columns) - 1) + "\r\n"
    content = b"\xef\xbb\xbf" + text.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return content
