"""``scoreline fixtures ...``: football-data.co.uk's ``fixtures.csv`` into the store, and what is upcoming."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from scoreline import columns as c
from scoreline.cli.data import DB_OPTION_HELP, resolve_db_url

if TYPE_CHECKING:
    import pandas as pd

    from scoreline.pipelines.upcoming import ServedModel
    from scoreline.settings import Settings

fixtures_app = typer.Typer(
    help="Scheduled fixtures from football-data.co.uk's fixtures.csv (main leagues only).",
    no_args_is_help=True,
)


@fixtures_app.command("fetch")
def fetch_command(
    from_dir: Annotated[
        str | None,
        typer.Option("--from-dir", help="Read DIR/fixtures.csv (a folder or s3://bucket/prefix) instead."),
    ] = None,
    db: Annotated[str | None, typer.Option("--db", help=DB_OPTION_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Store fixtures.csv's fixtures in place of the scheduled fixtures of the leagues it lists."""
    from rich.console import Console

    from scoreline.errors import FROM_DIR_HINT, ConfigurationError
    from scoreline.pipelines.ingest import FileStatus, ingest_fixtures
    from scoreline.sources.football_data import SourceUnavailableError, fetch_fixtures, folder_fixtures
    from scoreline.store import Store

    console = Console(stderr=True)
    try:
        source = folder_fixtures(from_dir) if from_dir is not None else fetch_fixtures()
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
            help="List the fixtures as they stood on this past date (YYYY-MM-DD), results ignored, with "
            "probabilities only from a model fitted before it (and where they come from).",
        ),
    ] = None,
    db: Annotated[str | None, typer.Option("--db", help=DB_OPTION_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines instead of a table.")] = False,
) -> None:
    """Scheduled fixtures without a result kicking off in the next days (fixtures.csv and season files).

    With ``--as-of``, each match gets the probabilities of a model that saw only matches before that date
    (a recorded backtest's walk-forward, else the champion if trained before it, else none), and the
    output says where they come from.
    """
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
    source: dict[str, str | None] = {}
    if moment is not None and not upcoming.empty:
        upcoming, source = _with_past_forecasts(upcoming.reset_index(drop=True), moment)
    if as_json:
        if source:
            typer.echo(source["note"], err=True)
        for record in upcoming.to_dict("records"):
            typer.echo(json.dumps({str(key): str(value) for key, value in record.items()}))
        return
    title = f"Upcoming fixtures, next {days} days"
    if moment is not None:
        title = f"Fixtures as of {moment:%Y-%m-%d}, following {days} days (results ignored)"
    table = Table(title=title)
    probabilities = [col for col in c.PROBABILITY_COLUMNS if col in upcoming.columns]
    for header in (
        "Kickoff",
        "League",
        "Home",
        "Away",
        *("Home %", "Draw %", "Away %")[: len(probabilities)],
    ):
        table.add_column(header)
    for row in upcoming.to_dict("records"):
        kickoff = row[c.KICKOFF]
        shown = kickoff.strftime("%Y-%m-%d %H:%M") if row[c.HAS_TIME] else kickoff.strftime("%Y-%m-%d")
        numbers = ["–" if row[col] != row[col] else f"{100 * row[col]:.0f}" for col in probabilities]
        table.add_row(shown, row[c.LEAGUE], row[c.HOME], row[c.AWAY], *numbers)
    Console().print(table)
    if source:
        Console().print(str(source["note"]), highlight=False, soft_wrap=True)
    if upcoming.empty:
        hint = (
            "run `scoreline fixtures fetch` for the coming round, or pass --as-of YYYY-MM-DD for a past date"
            if moment is None
            else "ingest that season first: `scoreline ingest --leagues ... --seasons ...`"
        )
        Console(stderr=True).print(f"No fixtures: {hint}.", highlight=False, soft_wrap=True)


def _with_past_forecasts(
    upcoming: pd.DataFrame, as_of: pd.Timestamp
) -> tuple[pd.DataFrame, dict[str, str | None]]:
    """The fixtures with honest probabilities for ``as_of`` and where they come from (``source``, ``model``,
    ``train_cutoff``, ``path``, ``note``)."""
    from scoreline.pipelines.backtest_index import index_path
    from scoreline.pipelines.upcoming import choose_past_forecasts, recorded_backtests
    from scoreline.settings import get_settings

    settings = get_settings()
    backtests = recorded_backtests(index_path(settings.home_dir), set(upcoming[c.LEAGUE].astype(str)))
    champion = _champion(settings)
    served = champion[0] if champion is not None else None
    chosen = choose_past_forecasts(upcoming, as_of, backtests, served)
    probabilities = chosen.probabilities
    if chosen.source == "served" and champion is not None:
        probabilities = champion[1](upcoming)
    source = {
        "source": chosen.source,
        "model": chosen.model,
        "train_cutoff": None if chosen.train_cutoff is None else f"{chosen.train_cutoff:%Y-%m-%d}",
        "path": chosen.path,
        "note": chosen.note,
    }
    described = {f"forecast_{key}": value for key, value in source.items() if key != "note"}
    return upcoming.join(probabilities).assign(**described), source


def _champion(settings: Settings) -> tuple[ServedModel, Callable[[pd.DataFrame], pd.DataFrame]] | None:
    """The registry's champion (name, version, training cutoff) and its 1X2 probabilities of fixtures;
    None without a reachable registry, a champion, or when it needs opening prices (a market model)."""
    import pandas as pd

    from scoreline.pipelines.upcoming import ServedModel
    from scoreline.serving.provider import ModelNotFoundError, RegistryModelProvider, RegistryUnavailableError
    from scoreline.serving.service import Fixture, PredictionService

    uri = settings.resolved_mlflow_uri
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).is_file():
        return None  # no registry written yet: nothing to load, and none to create by reading
    try:
        handle = RegistryModelProvider(settings).load("champion")
    except (ModelNotFoundError, RegistryUnavailableError):
        return None
    service = PredictionService(handle)
    if service.needs_opening_prices:
        return None
    cutoff = None if handle.train_cutoff is None else pd.Timestamp(handle.train_cutoff)

    def predict(fixtures: pd.DataFrame) -> pd.DataFrame:
        found = service.predict(
            [
                Fixture(str(r[c.LEAGUE]), str(r[c.HOME]), str(r[c.AWAY]), r[c.KICKOFF].to_pydatetime())
                for r in fixtures.to_dict("records")
            ]
        )
        rows = [(p.home, p.draw, p.away) for p in found]
        return pd.DataFrame(rows, index=fixtures.index, columns=list(c.PROBABILITY_COLUMNS))

    return ServedModel(handle.name, handle.version, cutoff), predict
