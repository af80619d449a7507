"""``scoreline fixtures ...``: football-data.co.uk's ``fixtures.csv`` into the store, and what is upcoming."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

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
    from rich.console import Console

    from scoreline.errors import FROM_DIR_HINT, ConfigurationError
    from scoreline.pipelines.ingest import FileStatus, ingest_fixtures
    from scoreline.sources.football_data import SourceUnavailableError, fetch_fixtures, local_fixtures
    from scoreline.store import Store

    console = Console(stderr=True)
    try:
        source = local_fixtures(from_dir) if from_dir is not None else fetch_fixtures()
    except SourceUnavailableError as exc:
        if from_dir is None:
            raise  # offline or the site is down: the error boundary says so, with what to do
        raise ConfigurationError(str(exc), FROM_DIR_HINT) from exc
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
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="DATE",
            help="List the fixtures as they stood on this past date (YYYY-MM-DD), results ignored.",
        ),
    ] = None,
    db: Annotated[str | None, typer.Option("--db", help=DB_OPTION_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines instead of a table.")] = False,
) -> None:
    """Scheduled fixtures without a result kicking off in the next days (fixtures.csv and season files)."""
    from rich.console import Console
    from rich.table import Table

    from scoreline.pipelines.upcoming import parse_as_of, upcoming_fixtures
    from scoreline.store import Store

    try:
        moment = parse_as_of(as_of)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--as-of") from None
    chosen = [part.strip() for part in leagues.split(",") if part.strip()] if leagues else None
    with Store.from_url(resolve_db_url(db)) as store:
        upcoming = upcoming_fixtures(store, moment, days, chosen)
    if as_json:
        for record in upcoming.to_dict("records"):
            typer.echo(json.dumps({str(key): str(value) for key, value in record.items()}))
        return
    title = f"Upcoming fixtures, next {days} days"
    if moment is not None:
        title = f"Fixtures as of {moment:%Y-%m-%d}, following {days} days (results ignored)"
    table = Table(title=title)
    for header in ("Kickoff", "League", "Home", "Away"):
        table.add_column(header)
    for row in upcoming.itertuples(index=False):
        kickoff = getattr(row, c.KICKOFF)
        shown = (
            kickoff.strftime("%Y-%m-%d %H:%M") if getattr(row, c.HAS_TIME) else kickoff.strftime("%Y-%m-%d")
        )
        table.add_row(shown, getattr(row, c.LEAGUE), getattr(row, c.HOME), getattr(row, c.AWAY))
    Console().print(table)
    if upcoming.empty:
        hint = (
            "run `scoreline fixtures fetch` for the coming round, or pass --as-of YYYY-MM-DD for a past date"
            if moment is None
            else "ingest that season first: `scoreline ingest --leagues ... --seasons ...`"
        )
        Console(stderr=True).print(f"No fixtures: {hint}.", highlight=False, soft_wrap=True)
