"""The ``scoreline`` command line: a thin shell over pipelines and library functions."""

from __future__ import annotations

import logging

import typer

from scoreline import __version__
from scoreline.cli.backtest import backtest_command
from scoreline.cli.data import data_app
from scoreline.cli.doctor import doctor_command
from scoreline.cli.features import features_app
from scoreline.cli.fixtures import fixtures_app
from scoreline.cli.ingest import ingest_command
from scoreline.cli.insights import insights_app
from scoreline.cli.ledger import ledger_app
from scoreline.cli.run import run_command
from scoreline.cli.serve import predict_command, serve_command
from scoreline.cli.stage import stage_command
from scoreline.cli.train import models_app

app = typer.Typer(
    name="scoreline",
    help="Football match prediction, end to end: data, features, models, backtests, serving.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # plain help: flags without typer's "<bool>" placeholder, and rich is not loaded
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"scoreline {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug messages."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """scoreline: football match prediction you can check against the market."""
    from scoreline.settings import get_settings  # pydantic: loaded when a command runs, not for --help

    level = logging.DEBUG if verbose else getattr(logging, get_settings().log_level.upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("matplotlib", "alembic", "mlflow", "urllib3", "httpx", "numba"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


# Commands in the order of the workflow: data, features, backtests, training, staging, serving, insights.
app.command("ingest")(ingest_command)
app.add_typer(fixtures_app, name="fixtures")
app.add_typer(data_app, name="data")
app.add_typer(features_app, name="features")
app.command("backtest")(backtest_command)
app.add_typer(models_app)
app.command("run")(run_command)
app.command("stage")(stage_command)
app.add_typer(ledger_app, name="ledger")
app.command("serve")(serve_command)
app.command("predict")(predict_command)
app.add_typer(insights_app, name="insights")
app.command("doctor")(doctor_command)
