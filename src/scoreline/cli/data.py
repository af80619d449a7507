"""``scoreline data ...``: look at what the store holds."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

from scoreline import columns as c

if TYPE_CHECKING:  # imported where used, so that `scoreline --help` loads neither pandas nor rich
    import pandas as pd
    from rich.table import Table

data_app = typer.Typer(help="Inspect the stored data.", no_args_is_help=True)

COUNT_COLUMNS = ("matches", "matches_with_result", "odds_rows", "quarantined")
DB_OPTION_HELP = (
    "SQLAlchemy URL of the store (default: $SCORELINE_DB_URL, else the DuckDB file in SCORELINE_HOME)."
)


def resolve_db_url(db: str | None) -> str:
    """``--db`` if given, else the configured store URL."""
    from scoreline.settings import get_settings

    return db or get_settings().resolved_db_url


def summary_document(summary: pd.DataFrame) -> dict[str, object]:
    """The summary as ``{"totals": {...}, "rows": [{league, season, counts...}, ...]}``."""
    totals = {name: int(summary[name].sum()) for name in COUNT_COLUMNS}
    rows = [
        {
            c.LEAGUE: str(row[c.LEAGUE]),
            c.SEASON: str(row[c.SEASON]),
            **{name: int(row[name]) for name in COUNT_COLUMNS},
        }
        for row in summary.to_dict("records")
    ]
    return {"totals": totals, "rows": rows}


def summary_table(document: dict[str, object]) -> Table:
    """A Rich table: one line per league and season, then the totals."""
    from rich.table import Table

    table = Table(title="Stored data per league and season")
    for header in ("League", "Season", "Matches", "With result", "Odds rows", "Quarantined"):
        table.add_column(header, justify="left" if header in ("League", "Season") else "right")
    rows = document["rows"]
    totals = document["totals"]
    assert isinstance(rows, list) and isinstance(totals, dict)
    for row in rows:
        table.add_row(row[c.LEAGUE], row[c.SEASON], *(f"{row[name]:,}" for name in COUNT_COLUMNS))
    table.add_section()
    table.add_row("Total", "", *(f"{totals[name]:,}" for name in COUNT_COLUMNS), style="bold")
    return table


@data_app.command("summary")
def summary_command(
    db: str | None = typer.Option(None, "--db", help=DB_OPTION_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
) -> None:
    """Matches, matches with results, odds rows and quarantined rows per league and season."""
    from rich.console import Console

    from scoreline.store import Store

    with Store.from_url(resolve_db_url(db)) as store:
        document = summary_document(store.summary())
    if as_json:
        typer.echo(json.dumps(document))
    else:
        Console().print(summary_table(document))


def use_store(db: str | None) -> None:
    """Make ``--db`` the store of this process: commands whose steps read the settings (``run``) use it."""
    if db is None:
        return
    import os

    from scoreline.settings import get_settings

    os.environ["SCORELINE_DB_URL"] = db
    get_settings.cache_clear()
