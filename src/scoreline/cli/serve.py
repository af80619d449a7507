"""``scoreline serve`` (API and dashboard under uvicorn), ``scoreline predict`` (one fixture, same code)."""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import TYPE_CHECKING

import typer

from scoreline.cli.data import DB_OPTION_HELP, resolve_db_url

if TYPE_CHECKING:  # the serving code loads pandas and scikit-learn: imported by the commands that use it
    from rich.table import Table

    from scoreline.serving.opening_odds import OpeningPriceLookup
    from scoreline.serving.provider import ModelProvider
    from scoreline.serving.schemas import FixtureIn, PredictionOut
    from scoreline.serving.snapshot import StoreFixtureSource

DEFAULT_MODEL_REF = "champion"  # scoreline.serving.provider.DEFAULT_MODEL_REF, literal to keep --help fast
MODEL_HELP = "Alias (champion, challenger, previous_champion) or version number of the registered model."


def _model_ref(value: str) -> str:
    from scoreline.serving.provider import check_model_ref

    try:
        return check_model_ref(value)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    model: str = typer.Option(DEFAULT_MODEL_REF, "--model", callback=_model_ref, help=MODEL_HELP),
    db: str | None = typer.Option(None, "--db", help=DB_OPTION_HELP),
) -> None:
    """Serve the prediction API and the dashboard (JSON logs on stderr)."""
    import uvicorn

    from scoreline.redaction import install_log_redaction
    from scoreline.serving import create_app
    from scoreline.serving.observability import configure_json_logging
    from scoreline.settings import check_api_settings, get_settings

    settings = get_settings()
    if db is not None:
        settings = settings.model_copy(update={"db_url": db})
    check_api_settings(settings)
    typer.echo(serving_banner(host, port, model))
    configure_json_logging(settings.log_level)
    install_log_redaction(settings.secret_values())  # the JSON handler replaced the CLI's handlers
    uvicorn.run(
        create_app(settings, model=model, tune_gc=True),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        server_header=False,  # no "server: uvicorn" banner
    )


def serving_banner(host: str, port: int, model: str) -> str:
    """Where ``serve`` listens: the dashboard and API docs URLs (a wildcard host shown as localhost)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else host
    base = f"http://{shown}:{port}"
    return (
        f"Serving model {model!r}: dashboard {base}/ (past fixtures: {base}/?as_of=YYYY-MM-DD), "
        f"API docs {base}/docs. Ctrl+C stops."
    )


def predict_fixture(
    provider: ModelProvider,
    source: StoreFixtureSource,
    fixture: FixtureIn,
    model: str,
    opening_prices: OpeningPriceLookup | None = None,
) -> PredictionOut:
    """The prediction of one fixture by ``model``, with the same name checks and code as the API.

    A market model uses the fixture's odds, else ``opening_prices`` (default: the store's), else raises
    :class:`~scoreline.serving.service.OpeningOddsError`.
    """
    from scoreline.serving.opening_odds import store_opening_prices, with_opening_prices
    from scoreline.serving.schemas import PredictionOut
    from scoreline.serving.service import Fixture, PredictionService

    league, home, away = source.snapshot().directory.resolve(fixture.league, fixture.home, fixture.away)
    service = PredictionService(provider.load(model))
    odds = None if fixture.odds is None else (fixture.odds.home, fixture.odds.draw, fixture.odds.away)
    fixtures = [Fixture(league, home, away, fixture.kickoff, odds)]
    if service.needs_opening_prices:
        lookup = opening_prices or functools.partial(store_opening_prices, source.url)
        fixtures = with_opening_prices(fixtures, lookup)
    (prediction,) = service.predict(fixtures)
    return PredictionOut.of(prediction)


def parse_odds(text: str | None) -> dict[str, str] | None:
    """``H,D,A`` decimal prices as the API's ``odds`` object (validated by :class:`FixtureIn`)."""
    if text is None:
        return None
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 3:
        raise typer.BadParameter(f"expected three prices H,D,A, got {text!r}", param_hint="--odds")
    return dict(zip(("home", "draw", "away"), parts, strict=True))


def _table(prediction: PredictionOut) -> Table:
    from rich.table import Table

    table = Table(
        title=f"{prediction.home} v {prediction.away} "
        f"({prediction.league}, {prediction.kickoff:%Y-%m-%d %H:%M})",
        caption=f"model {prediction.model.name} version {prediction.model.version}",
    )
    table.add_column("Market")
    table.add_column("Value", justify="right")
    p = prediction.probabilities
    table.add_row("Home / draw / away", f"{p.home:.1%} / {p.draw:.1%} / {p.away:.1%}")
    if prediction.expected_goals is not None:
        table.add_row(
            "Expected goals", f"{prediction.expected_goals.home:.2f} - {prediction.expected_goals.away:.2f}"
        )
    for score in prediction.most_likely_scores:
        table.add_row(f"Score {score.home}-{score.away}", f"{score.probability:.1%}")
    if prediction.over_under is not None:
        table.add_row(
            "Over / under 2.5", f"{prediction.over_under.over:.1%} / {prediction.over_under.under:.1%}"
        )
    if prediction.both_teams_to_score is not None:
        table.add_row("Both teams to score", f"{prediction.both_teams_to_score:.1%}")
    if prediction.odds is not None:
        o = prediction.odds
        table.add_row("Opening odds used", f"{o.home:.2f} / {o.draw:.2f} / {o.away:.2f}")
    return table


def predict_command(
    home: str = typer.Argument(..., help="Home team, as the store spells it."),
    away: str = typer.Argument(..., help="Away team."),
    league: str = typer.Option(..., "--league", help="football-data division code, e.g. E0."),
    kickoff: str | None = typer.Option(None, "--kickoff", help="ISO 8601 kickoff (default: now)."),
    model: str = typer.Option(DEFAULT_MODEL_REF, "--model", callback=_model_ref, help=MODEL_HELP),
    db: str | None = typer.Option(None, "--db", help=DB_OPTION_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the API's JSON answer instead of a table."),
    odds: str | None = typer.Option(
        None,
        "--odds",
        help="Opening 1X2 decimal prices H,D,A for models that use the market (default: the store's).",
    ),
) -> None:
    """Predict one fixture with the registered model (the API's prediction code, without a server)."""
    from pydantic import ValidationError
    from rich.console import Console

    from scoreline.serving.opening_odds import OddsUnavailableError
    from scoreline.serving.provider import ModelNotFoundError, RegistryModelProvider, RegistryUnavailableError
    from scoreline.serving.schemas import FixtureIn
    from scoreline.serving.service import OpeningOddsError
    from scoreline.serving.snapshot import StoreFixtureSource, UnknownNamesError
    from scoreline.settings import get_settings

    settings = get_settings()
    try:
        when = kickoff or datetime.now().replace(microsecond=0).isoformat()
        fixture = FixtureIn.model_validate(
            {"league": league, "home": home, "away": away, "kickoff": when, "odds": parse_odds(odds)}
        )
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        typer.echo(f"error: {problems}", err=True)
        raise typer.Exit(2) from None
    try:
        prediction = predict_fixture(
            RegistryModelProvider(settings), StoreFixtureSource(resolve_db_url(db)), fixture, model
        )
    except UnknownNamesError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    except OpeningOddsError as error:
        typer.echo(f"error: {'; '.join(error.reasons)} (pass --odds H,D,A)", err=True)
        raise typer.Exit(2) from None
    except OddsUnavailableError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    except (ModelNotFoundError, RegistryUnavailableError) as error:
        typer.echo(f"error: cannot load model {model!r}: {error}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(prediction.model_dump(mode="json")))
    else:
        Console().print(_table(prediction))
