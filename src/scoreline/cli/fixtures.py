"""``scoreline fixtures ...``: football-data.co.uk's ``fixtures.csv`` into the store, and what is upcoming."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from scoreline import columns as c
from scoreline.cli.data import DB_OPTION_HELP, resolve_db_url

fixtures_app = typer.Typer(
    help="Scheduled fixtures from football-data.co.uk's fixtures.csv (main leagues only).",
    no_args_is_help=True,
)


@fixtures_app.command("fetch")
def fetch_command(
    from_dir: Annotated[
        Path | None,
        typer.Option("--from-dir", help="Read DIR/fixtures.csv instead of downloading it.", file_okay=False),
    ] = None,
    db: Annotated[str | None, typer.Option("--db", help=DB_OPTION_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Store fixtures.csv's fixtures in place of the scheduled fixtures of the leagues it lists."""
    from scoreline.pipelines.ingest import FileStatus, ingest_fixtures
    from scoreline.sources.football_data import SourceUnavailableError, fetch_fixtures, local_fixtures
    from scoreline.store import Store

    console = Console(stderr=True)
    try:
        source = local_fixtures(from_dir) if from_dir is not None else fetch_fixtures()
    except SourceUnavailableError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    with Store.from_url(resolve_db_url(db)) as store:
        outcome = ingest_fixtures(store, source)
    if as_json:
        typer.echo(json.dumps(outcome.to_dict()))
        return
    if outcome.status is FileStatus.UNCHANGED:
        console.print(f"{outcome.source_file}: unchanged since the last fetch, nothing written.")
        return
    console.print(
        f"{outcome.source_file} {outcome.status}: {outcome.fixtures} fixtures of {len(outcome.leagues)} "
        f"leagues ({', '.join(outcome.leagues)}) with {outcome.odds_rows:,} prices; "
        f"{outcome.quarantined} rows quarantined (see `scoreline data summary`).",
        highlight=False,
        soft_wrap=True,
    )


@fixtures_app.command("upcoming")
def upcoming_command(
    leagues: Annotated[
        str | None, typer.Option("--leagues", help="Comma-separated divisions, e.g. E0,SP1.")
    ] = None,
    days: Annotated[
        int, typer.Option("--days", min=1, help="Fixtures kicking off in the next DAYS days.")
    ] = 7,
    db: Annotated[str | None, typer.Option("--db", help=DB_OPTION_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines instead of a table.")] = False,
) -> None:
    """Scheduled fixtures without a result kicking off in the next days (fixtures.csv and season files)."""
    from scoreline.store import Store, with_scheduled

    chosen = [part.strip() for part in leagues.split(",") if part.strip()] if leagues else None
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    until = now + pd.Timedelta(days=days)
    with Store.from_url(resolve_db_url(db)) as store:
        matches = store.read_matches(leagues=chosen)
        fixtures = store.read_fixtures(leagues=chosen, after=now, until=until)
    unplayed = matches[matches[c.RESULT].isna() & (matches[c.KICKOFF] > now) & (matches[c.KICKOFF] <= until)]
    upcoming = with_scheduled(unplayed, fixtures)
    if as_json:
        for record in upcoming.to_dict("records"):
            typer.echo(json.dumps({str(key): str(value) for key, value in record.items()}))
        return
    table = Table(title=f"Upcoming fixtures, next {days} days")
    for header in ("Kickoff", "League", "Home", "Away"):
        table.add_column(header)
    for row in upcoming.itertuples(index=False):
        kickoff = getattr(row, c.KICKOFF)
        shown = (
            kickoff.strftime("%Y-%m-%d %H:%M") if getattr(row, c.HAS_TIME) else kickoff.strftime("%Y-%m-%d")
        )
        table.add_row(shown, getattr(row, c.LEAGUE), getattr(row, c.HOME), getattr(row, c.AWAY))
    Console().print(table)
